"""The README's gallery (make gallery): the committed sheets hold the panels they promise."""
import numpy as np
import pytest
from scipy import ndimage

import gallery
from painter import files
from helpers import ROOT

pytestmark = pytest.mark.lesson  # needs only requirements.txt (make test-lesson)


def panels(image):
    """The pictures on a sheet: regions that are not white, once the labels' thin letters are
    opened away, each at least 48 pixels on a side. Returns their (height, width)s."""
    not_white = (np.asarray(image)[..., :3] < 245).any(axis=-1)
    solid = ndimage.binary_opening(not_white, structure=np.ones((7, 7)))
    labels, count = ndimage.label(solid)
    sizes = []
    for found in ndimage.find_objects(labels):
        height, width = found[0].stop - found[0].start, found[1].stop - found[1].start
        if min(height, width) >= 48:
            sizes.append((height, width))
    return sizes


@pytest.mark.parametrize("name, count", [
    ("gallery_weights.png", 2 + 9),    # the photo, the painting, then 3 x 3 weights
    ("gallery_layers.png", 4),         # block2_conv2 to block5_conv2
    ("gallery_start.png", 2),          # noise, the photo
    ("gallery_bold.png", 2),           # the tutorial, the bold recipe
    ("gallery_colours.png", 6),        # the painting's colours and five modes
    ("gallery_regions.png", 3),        # the photo, the mask, the result
    ("gallery_style_scale.png", 3),    # 0.5, 1, 2
])
def test_each_committed_sheet_holds_its_panels(name, count):
    sheet = files.load_image(ROOT / "docs" / name)
    found = panels(sheet)
    assert len(found) == count, found
    for height, width in found:  # every panel a 192 px picture of the 451x300 photo's shape
        assert (height, width) == (128, 192), found


def test_the_layout_keeps_every_panel_apart():
    rng = np.random.default_rng(0)
    tile = lambda: rng.integers(0, 200, (60, 90, 3), dtype=np.uint8)
    rows = [[gallery.labelled(tile(), "a label long enough to wrap onto a second line")],
            [gallery.labelled(tile(), "b"), gallery.labelled(tile(), "c")]]
    sheet = gallery.sheet(rows)
    assert sheet.shape == (2 * (60 + 36) + gallery.GAP, 2 * 90 + gallery.GAP, 3)
    assert panels(sheet) == [(60, 90)] * 3


def test_the_big_picture_and_its_crop_are_there():
    page = files.load_image(ROOT / "docs" / "big_coarse_to_fine.jpg")
    crop = files.load_image(ROOT / "docs" / "big_coarse_to_fine_crop.png")
    assert page.shape[1] == 640 and crop.shape == (320, 320, 3)
    assert crop.std() > 20  # a painting, not a flat field
