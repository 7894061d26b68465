"""Getting pixels in and out of VGG16's format."""
import imageio.v3 as iio
import numpy as np
import pytest
from PIL import Image

from painter import colors, files, inputs, painting, pictures
import style_transfer as st

pytestmark = pytest.mark.lesson  # needs only requirements.txt (make test-lesson)


def test_preprocess_flips_to_bgr_then_subtracts_the_imagenet_mean():
    image = np.zeros((2, 3, 3), dtype=np.uint8)
    image[0, 0] = [255, 0, 0]  # pure red
    x = st.preprocess(image, (2, 3))
    assert x.shape == (1, 2, 3, 3) and x.dtype == np.float32
    # red lands in the last (R of BGR) channel and loses red's mean, 123.68
    np.testing.assert_allclose(x[0, 0, 0], [-103.939, -116.779, 255 - 123.68], rtol=1e-6)
    np.testing.assert_allclose(x[0, 1, 1], [-103.939, -116.779, -123.68], rtol=1e-6)


def test_deprocess_undoes_preprocess():
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, size=(13, 17, 3), dtype=np.uint8)
    back = st.deprocess(st.preprocess(image, (13, 17)).ravel(), (13, 17))
    assert back.dtype == np.uint8
    np.testing.assert_array_equal(back, image)


def test_deprocess_clips_to_valid_pixels():
    x = np.full((1, 2, 2, 3), 1e4, dtype=np.float64)
    x[0, 0, 0] = -1e4
    out = st.deprocess(x.ravel(), (2, 2))
    assert out[0, 0].tolist() == [0, 0, 0] and out[1, 1].tolist() == [255, 255, 255]


def test_result_shape_keeps_the_aspect_ratio_with_size_as_the_longer_side():
    landscape = np.zeros((300, 451, 3), dtype=np.uint8)
    portrait = np.zeros((400, 200, 3), dtype=np.uint8)
    assert st.result_shape(landscape, 512) == (341, 512)
    assert st.result_shape(portrait, 100) == (100, 50)


def test_save_image_writes_a_complete_file_and_leaves_no_partial(tmp_path):
    image = np.arange(4 * 5 * 3, dtype=np.uint8).reshape(4, 5, 3)
    target = tmp_path / "new" / "folder" / "out.png"
    files.save_image(target, image)
    np.testing.assert_array_equal(files.load_image(target), image)
    assert [p.name for p in target.parent.iterdir()] == ["out.png"]


def test_a_full_disk_keeps_the_old_file_and_leaves_no_partial(tmp_path, monkeypatch):
    import errno
    target = tmp_path / "out.png"
    old = np.zeros((4, 5, 3), dtype=np.uint8)
    files.save_image(target, old)

    def disk_full(self, data):
        self.open("wb").write(data[: len(data) // 2])  # half of it lands, then the disk is full
        raise OSError(errno.ENOSPC, "No space left on device", str(self))
    monkeypatch.setattr(type(target), "write_bytes", disk_full)
    with pytest.raises(OSError):
        files.save_image(target, np.full((4, 5, 3), 200, dtype=np.uint8))
    np.testing.assert_array_equal(files.load_image(target), old)
    assert [p.name for p in tmp_path.iterdir()] == ["out.png"]


def test_upper_case_extensions_and_gifs_are_written(tmp_path):
    image = np.arange(4 * 5 * 3, dtype=np.uint8).reshape(4, 5, 3)
    files.save_image(tmp_path / "out.PNG", image)
    np.testing.assert_array_equal(files.load_image(tmp_path / "out.PNG"), image)
    files.save_image(tmp_path / "run.gif", [image, 255 - image])
    assert iio.improps(tmp_path / "run.gif").shape == (2, 4, 5, 3)


def test_preserve_color_keeps_the_photos_colour_and_the_results_brightness():
    rng = np.random.default_rng(5)
    # Mid-range values, so no pixel is clipped and the check below is exact up to rounding.
    result = rng.integers(90, 170, size=(6, 7, 3)).astype(np.uint8)
    content = rng.integers(90, 170, size=(6, 7, 3)).astype(np.uint8)
    out = colors.preserve_color(result, content).astype(np.float64)
    # Changing only brightness (Y) in YIQ adds the same amount to R, G and B, because I and Q
    # weigh the channels with weights summing to 0. So out - content is grey ...
    shift = out - content
    assert np.abs(shift - shift.mean(axis=2, keepdims=True)).max() <= 1.0
    # ... and it is the brightness difference, by the Rec. 601 luma weights.
    luma = lambda img: img.astype(np.float64) @ [0.299, 0.587, 0.114]
    np.testing.assert_allclose(shift.mean(axis=2), luma(result) - luma(content), atol=1.0)


def test_init_content_starts_at_the_photo():
    rng = np.random.default_rng(6)
    content = rng.integers(0, 256, size=(20, 30, 3), dtype=np.uint8)
    style = rng.integers(0, 256, size=(50, 50, 3), dtype=np.uint8)
    start = painting.starting_image("content", content, [style], (20, 30), seed=None)
    np.testing.assert_array_equal(st.deprocess(start.ravel(), (20, 30)), content)
    start = painting.starting_image("style", content, [style], (20, 30), seed=None)
    np.testing.assert_array_equal(st.deprocess(start.ravel(), (20, 30)),
                                  st.resize(style, (20, 30)))
    noise1 = painting.starting_image("noise", content, [style], (20, 30), seed=4)
    noise2 = painting.starting_image("noise", content, [style], (20, 30), seed=4)
    np.testing.assert_array_equal(noise1, noise2)
    assert noise1.min() >= -128 and noise1.max() <= 127


def test_init_from_a_file(tmp_path):
    # A picture with structure (a gradient across, another down, a checkerboard in blue), not
    # the photo or the painting, resized to a shape of another aspect: it must be the file's
    # picture as Pillow's own Lanczos resize makes it, every pixel in its place.
    y, x = np.mgrid[0:12, 0:20]
    picture = np.stack([x * 12, y * 20, ((x // 2 + y // 2) % 2) * 255], axis=-1).astype(np.uint8)
    files.save_image(tmp_path / "start.png", picture)
    other = np.full((12, 20, 3), 77, dtype=np.uint8)
    start = painting.starting_image(inputs.read_start(str(tmp_path / "start.png")), other,
                                    [other], (6, 8), None)
    expected = np.asarray(Image.fromarray(picture).resize((8, 6), Image.LANCZOS))
    np.testing.assert_array_equal(st.deprocess(start.ravel(), (6, 8)), expected)


def test_comparison_sheet_scales_each_image_to_the_result_height():
    a = np.zeros((10, 20, 3), dtype=np.uint8)
    b = np.full((30, 30, 3), 200, dtype=np.uint8)
    sheet = pictures.comparison_sheet([a, b], 10)
    assert sheet.shape == (10, 20 + 8 + 10, 3)
    assert (sheet[:, 20:28] == 255).all() and (sheet[:, 28:] == 200).all()
