"""How a picture is painted (PaintSettings: the path, not the loss), --quick's, and a clip's frames.

Light to import (no numpy, no TensorFlow): the command lines build these settings before
TensorFlow loads. The loss's own settings are the lesson's LossSettings.
"""
import math
from dataclasses import dataclass, replace

from painter.numbers import ITERATIONS, SIZE

# Posters (--tile): neighbouring tiles share 64 px, two of block5's 32 px cells, so that the
# blend between them is wider than anything VGG16 sees as one feature.
TILE_OVERLAP = 64
SMALLEST_TILE = 256  # the smallest a stage too large for memory is cut into, unasked (--tile)


@dataclass(frozen=True, kw_only=True)
class PaintSettings:
    """How a picture is painted: the path, not the loss. `sizes` (longer sides, growing) are
    the stages of coarse to fine (one for a plain run), each `iterations` long; `init` the
    start ("noise", "content", "style" or an RGB picture: painting.starting_image);
    `preserve_color` a colors.COLOR_MODES mode or None; `style_scale` the paintings' size as a
    multiple of the result's and `style_shape` their proportions (STYLE_SHAPES; other than
    the tutorial's needs the fast path)."""
    sizes: tuple = (SIZE,)
    iterations: tuple = (ITERATIONS,)
    init: object = "noise"
    seed: int = None
    restarts: bool = False        # the tutorial's loop: a fresh L-BFGS run every iteration
    preserve_color: str = None
    style_scale: float = 1.0
    style_shape: str = "picture"
    flat: float = None            # end a stage early once an iteration lowers the loss by
                                  # less than this fraction (None: all its iterations)
    keep_detail: bool = False     # each stage after the first starts from the last one's
                                  # picture enlarged *plus the photo's finer detail*
    bounded: bool = False         # every pixel kept within 0 to 255 (painting.pixel_bounds)
    tile: int = None              # a stage longer than this is painted in tiles of this size
    tile_overlap: int = TILE_OVERLAP  # ... overlapping by at least this many pixels (tiles.py)


def iterations_per_stage(iterations, stages):
    """One number of iterations for the first stage, halved at each larger one (rounding up):
    a stage twice as long costs four times as much per iteration. 10 gives 10 5 3 2."""
    return tuple(max(1, math.ceil(iterations / 2 ** stage)) for stage in range(stages))


# --style-shape: a painting stretched to the picture's proportions (the tutorial's), or in its
# own, its longer side the picture's longer side (as neural-style sizes it). A portrait like The
# Scream stretched across a landscape photo has its strokes squashed to 0.6 of their height,
# and the picture is painted in strokes the painting does not have.
STYLE_SHAPES = ("picture", "own")


def painting_shape(shape, style_scale, proportions=None):
    """A painting's size for a picture of `shape`: --style-scale times it, in the picture's
    proportions, or in `proportions` (the painting's own (height, width): --style-shape own)
    with its longer side --style-scale times the picture's."""
    if proportions is None:
        return tuple(max(1, round(side * style_scale)) for side in shape)
    longer = max(shape) * style_scale / max(proportions)
    return tuple(max(1, round(side * longer)) for side in proportions)


def own_proportions(paintings, style_shape):
    """The paintings' own (height, width) where `style_shape` keeps them ("own"), else None:
    stretched to the picture's."""
    return [painting.shape[:2] for painting in paintings] if style_shape == "own" else None


def painting_shapes(shape, paintings, *, style_scale=1.0, style_shape="picture"):
    """Each painting's shape for a picture of `shape` (painting_shape)."""
    return [painting_shape(shape, style_scale, proportions) for proportions
            in own_proportions(paintings, style_shape) or [None] * len(paintings)]


# --quick: the recipe that reaches the tutorial's picture soonest, found by measuring the
# alternatives (`make bench`, BENCHMARKS.md). It changes the path, not the loss: start from the
# photo, keep every pixel between 0 and 255, run in bfloat16 where the machine multiplies it
# faster, and end once the loss has stopped falling. Above 512 px it paints coarse to fine,
# halving the size until it would be under 512 px (4000 paints 1000, 2000, 4000), each stage
# starting from the last one's picture plus the photo's finer detail; at 512 px and below one
# size is quicker (a smaller stage's picture, enlarged, costs the larger one as many
# evaluations as the photo does).
QUICK_BASE = 512         # no stage below it, but for a picture smaller than it
QUICK_ITERATIONS = 8     # the most each stage may take; most end sooner ...
QUICK_FLAT = 0.01        # ... once an iteration lowers its loss by less than 1%


def quick_sizes(size):
    """--quick's stages up to `size`: 512 1024 2048 for 2048, 512 alone for 512."""
    sizes = [size]
    while sizes[0] / 2 >= QUICK_BASE:
        sizes.insert(0, round(sizes[0] / 2))
    return tuple(sizes)


def quick_recipe(size, how=PaintSettings()):
    """`how` (its start, seed, colours and style scale) painted by --quick's recipe."""
    sizes = quick_sizes(size)
    return replace(how, sizes=sizes, iterations=(QUICK_ITERATIONS,) * len(sizes),
                   restarts=False, flat=QUICK_FLAT, keep_detail=True, bounded=True)


# A clip's frames (style_video.py). Its size: a frame at 512 px costs 4x as much, times every
# frame.
VIDEO_SIZE = 256
# Like the content weight, the temporal loss's weight means what it means at 512 px (the lesson
# scales both with the frames' size). Chosen by trying 30, 100 and 300 on the demo clip: 300
# raised the style loss by a quarter (each frame is held to a copy of the one before, blurred a
# little by the warp); 100 removes a third of the flicker left after the warped start, for 4%
# more painting loss (FLICKER.md).
TEMPORAL_WEIGHT = 100.0
# 40 evaluations: a later frame starts almost finished, warped from the one before; the first
# gets the tutorial's 200.
LATER_ITERATIONS = 2


@dataclass(frozen=True, kw_only=True)
class FrameSettings:
    """How the frames are painted, from one to the next: `start` (noise, previous or warped)
    for the frames after the first, `init` (noise or content) and `seed` for a frame painted
    from scratch, each frame's iterations, the temporal loss's weight, and the paintings'
    proportions (STYLE_SHAPES)."""
    start: str = "warped"
    init: str = "noise"
    seed: int = 0
    iterations: int = ITERATIONS
    later_iterations: int = LATER_ITERATIONS
    temporal_weight: float = TEMPORAL_WEIGHT
    style_shape: str = "picture"
