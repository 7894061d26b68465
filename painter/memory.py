"""Memory: what a stage needs, and sizes that VGG16 or this machine cannot take, refused first."""
import math

import numpy as np

import style_transfer as st
from painter.numbers import SMALLEST_SIDE
from painter.settings import SMALLEST_TILE, painting_shape
from painter.machine import available_memory
from painter.startup import UserError
from painter.weights import vgg16_channels
from painter.words import plural


def activation_bytes(shape, batch):
    """Roughly the memory one evaluation needs, in bytes, for a batch of images of `shape`.

    Each layer's output is kept for the backward pass, whose gradients are as large again,
    plus scratch space. Measured (`make bench`): the fast graph's batch of one peaks at about
    2 to 2.5 times its activations above TensorFlow's own memory; the tutorial's batch at
    about 4 times, as the gradients flow back through every image in it.
    """
    total = 0
    for name, channels in vgg16_channels().items():
        height, width = st.layer_shape(shape, name)
        total += height * width * channels * 4  # float32
    return total * (2.5 if batch == 1 else 4 * batch)


CANVAS_BYTES_PER_PIXEL = 200  # a tiled stage's whole picture, as it is held while painting:
# tiles.Canvas's start, sums, pieces and blend weights (float64), the enlarged
# start, and the picture put together and converted for each save


def memory_needed(content, size, batch, style_scale=1.0, tile=None, proportions=None):
    """The memory a stage `size` px long needs, in bytes: its evaluations' (or the paintings'
    one pass through VGG16, half as much per pixel), or in tiles of `tile` px, one tile's and
    the whole picture's own arrays. `batch` is a whole stage's (the tutorial's graph sends
    the photo and paintings with the result); a tile's graph has the result alone.
    `proportions`: the paintings' own (settings.own_proportions), None: the picture's."""
    shape = st.result_shape(content, size)
    paintings = [painting_shape(shape, style_scale, own) for own in proportions or [None]]
    if tile is None or max(shape) <= tile:
        return max(activation_bytes(shape, batch),
                   *(activation_bytes(painting, 1) // 2 for painting in paintings))
    canvas = np.prod(shape) * CANVAS_BYTES_PER_PIXEL
    shape, *paintings = ([min(side, tile) for side in s] for s in [shape, *paintings])
    return max(activation_bytes(shape, 1),
               *(activation_bytes(painting, 1) // 2 for painting in paintings)) + canvas


def most_needed(content, sizes, batch, style_scale=1.0, tile=None, proportions=None):
    """memory_needed of the hungriest stage: with tiles, it may be one painted whole."""
    return max(memory_needed(content, size, batch, style_scale, tile, proportions)
               for size in sizes)


TENSORFLOW_BYTES = 1.5e9  # a process's TensorFlow itself and VGG16's weights


def memory_free():
    """Bytes free for the painting: the machine's, less TensorFlow itself and VGG16's weights."""
    return available_memory() - TENSORFLOW_BYTES


def tile_to_fit(content, sizes, batch, style_scale=1.0, proportions=None):
    """With no --tile: None where every stage fits in memory whole, else the largest tile
    (at least SMALLEST_TILE px) that lets every stage fit, so that a stage too large for
    memory is painted in tiles instead of refused. None too where no tile fits: check_size
    then names the largest size that does."""
    free = memory_free()
    if most_needed(content, sizes, batch, style_scale, proportions=proportions) <= free:
        return None
    tile = max(sizes)
    while (tile >= SMALLEST_TILE
           and most_needed(content, sizes, batch, style_scale, tile, proportions) > free):
        tile = int(tile * 0.95)
    return tile if tile >= SMALLEST_TILE else None


def check_size(content, sizes, batch, style_scale=1.0, tile=None, proportions=None):
    """Refuse sizes that VGG16 cannot use or memory cannot hold, naming one that works.

    `sizes` are the stages' longer sides (one for a plain run): the smallest must give VGG16
    SMALLEST_SIDE pixels across, the largest must fit in memory (memory_needed), or with
    `tile` (--tile) its largest tile must (the paintings go through VGG16 in pieces of a tile
    too: tiling.WholeStyle).
    """
    flag = "--size" if len(sizes) == 1 else "--scales"
    free = memory_free()

    def needed(size, tile=tile):
        return memory_needed(content, size, batch, style_scale, tile, proportions)

    def most(tile=tile):
        return most_needed(content, sizes, batch, style_scale, tile, proportions)

    shape = st.result_shape(content, sizes[0])
    if min(shape) < SMALLEST_SIDE:
        least = math.floor((SMALLEST_SIDE - 1) * max(content.shape[:2]) / min(content.shape[:2]))
        while min(st.result_shape(content, least)) < SMALLEST_SIDE:  # it rounds: find the edge
            least += 1
        if needed(least) > free:
            raise UserError(f"the photo is {content.shape[1]}x{content.shape[0]} pixels, "
                            f"too thin: VGG16 needs {SMALLEST_SIDE} pixels across, and a "
                            "picture that wide would not fit in memory; crop the photo to a "
                            "squarer shape")
        raise UserError(f"{flag} {sizes[0]}: the photo's shorter side would be "
                        f"{plural(min(shape), 'pixel')}; VGG16 needs at least {SMALLEST_SIDE}, "
                        f"which {'--size' if len(sizes) == 1 else 'a first size of'} {least} "
                        "gives")
    thinnest = min(min(painting_shape(shape, style_scale, own)) for own in proportions or [None])
    if thinnest < SMALLEST_SIDE:
        raise UserError(f"--style-scale {style_scale:g}: the paintings would be "
                        f"{plural(thinnest, 'pixel')} across at "
                        f"{sizes[0]} px; VGG16 needs at least {SMALLEST_SIDE}: raise "
                        "--style-scale or the (first) size")
    if most() <= free:
        return
    if tile is not None and most(tile=SMALLEST_SIDE) <= free:
        fits = tile
        while fits > SMALLEST_SIDE and most(tile=fits) > free:
            fits = int(fits * 0.95)
        raise UserError(f"--tile {tile}: needs about {most() / 1e9:.0f} GB of memory, "
                        f"{max(free, 0) / 1e9:.1f} GB is free; the largest tile that "
                        f"fits is about {fits}")
    fits = sizes[-1]
    while fits > SMALLEST_SIDE and needed(fits) > free:
        fits = int(fits * 0.95)
    raise UserError(f"{flag} {sizes[-1]}: needs about {needed(sizes[-1]) / 1e9:.0f} GB of "
                    f"memory, {max(free, 0) / 1e9:.1f} GB is free; the largest size that "
                    f"fits is about {fits}")
