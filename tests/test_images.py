"""Getting pixels in and out of VGG16's format."""
import numpy as np

import style_transfer as st


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
    st.save_image(target, image)
    np.testing.assert_array_equal(st.load_image(target), image)
    assert [p.name for p in target.parent.iterdir()] == ["out.png"]
