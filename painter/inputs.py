"""What a painting reads besides its photo and paintings (--init, --style-masks); small pictures."""
import math
import sys
from pathlib import Path

import numpy as np

import style_transfer as st
from painter import files
from painter.colors import RGB_TO_YIQ
from painter.numbers import SMALLEST_SIDE
from painter.startup import UserError


def read_start(init):
    """--init: a mode of painting.starting_image, or the image file it names."""
    if init in ("noise", "content", "style"):
        return init
    if not Path(init).exists():
        raise UserError(f"--init {init}: not noise, content or style, and no such file")
    try:
        return files.load_image(init)
    except UserError as error:
        raise UserError(f"--init {error}") from None


def load_mask(path):
    """A --style-masks image as weights from 0 (black: not this painting) to 1 (white). Where
    it is transparent (a mask drawn on a layer of its own) is "not here" too."""
    try:
        image, alpha = files.load_image(path, alpha=True)
    except UserError as error:
        raise UserError(f"--style-masks {error}") from None
    return (image.astype(np.float64) @ RGB_TO_YIQ[0]) / 255.0 * (alpha / 255.0)


def read_masks(paths, content):
    """The --style-masks, each as weights 0 to 1; one stretched to the photo's shape says so."""
    masks = []
    for path in paths:
        mask = load_mask(path)
        (h, w), (ch, cw) = mask.shape, content.shape[:2]
        if mask.max() <= 0:
            raise UserError(f"--style-masks {path}: all black, so its painting would paint "
                            "nowhere; paint white where it should")
        if abs(w / h - cw / ch) > 0.01 * cw / ch:
            print(f"warning: --style-masks {path} is {w}x{h}, not the photo's shape "
                  f"({cw}x{ch}); it is stretched to fit", file=sys.stderr)
        masks.append(mask)
    return tuple(masks)


def check_masks_reach_every_layer(masks, paths, sizes, layers, content):
    """A white region too small to survive the shrinking to some style layer's feature map would
    make that layer's masked Gram matrix divide by zero: refuse it now, naming what works."""
    for mask, path in zip(masks, paths):
        for size in sizes:
            shape = st.result_shape(content, size)
            stage = st.resize_mask(mask, shape)
            for layer in layers:
                if st.resize_mask(stage, st.layer_shape(shape, layer)).max() > 0:
                    continue
                cell = shape[0] / st.layer_shape(shape, layer)[0]  # picture pixels a position
                least = math.ceil(2 * cell * max(mask.shape) / size)
                raise UserError(
                    f"--style-masks {path}: its white region is too small to reach VGG16's "
                    f"{layer} at {size} px (each of its positions covers {cell:.0f}x{cell:.0f} "
                    f"pixels of the picture); paint a region of at least {least}x{least} "
                    f"pixels on the {mask.shape[1]}x{mask.shape[0]} mask, or leave {layer} "
                    "out of --style-layers")


def warn_if_small(image, path):
    """A picture under SMALLEST_SIDE pixels on a side works (it is scaled up) but blurs: say so."""
    height, width = image.shape[:2]
    if min(height, width) < SMALLEST_SIDE:
        print(f"warning: {path} is only {width}x{height} pixels, under {SMALLEST_SIDE} on a "
              "side: it is scaled up to the picture's size, which blurs it; a larger image "
              "paints better", file=sys.stderr)
