"""Control of what is transferred (Gatys et al. 2017): colour, and a painting per region."""
import imageio.v3 as iio
import numpy as np
import pytest

from tf_keras import backend as K

from painter import colors, files, still
import style_transfer as st
from helpers import CONTENT, MOSAIC, STYLE, assert_one_line_error, main_says

pytestmark = pytest.mark.lesson  # needs only requirements.txt (make test-lesson)


@pytest.fixture(scope="module")
def photo_and_painting():
    return (st.resize(files.load_image(CONTENT), (60, 90)),
            st.resize(files.load_image(STYLE), (70, 80)))


def mean_and_covariance(image):
    pixels = np.asarray(image, dtype=np.float64).reshape(-1, 3)
    return pixels.mean(axis=0), np.cov(pixels, rowvar=False, bias=True)


# -- colour ------------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["pca", "chol", "sym"])
def test_colour_matching_gives_the_painting_the_photos_mean_and_covariance(photo_and_painting,
                                                                          method):
    photo, painting = photo_and_painting
    matched = colors.match_colors(painting, photo, method)
    assert matched.shape == painting.shape
    mean, covariance = mean_and_covariance(matched)
    photo_mean, photo_covariance = mean_and_covariance(photo)
    np.testing.assert_allclose(mean, photo_mean, atol=1e-3)
    np.testing.assert_allclose(covariance, photo_covariance,
                               atol=1e-3 * np.abs(photo_covariance).max())


def test_the_three_maps_are_different_and_sym_is_symmetric(photo_and_painting):
    photo, painting = photo_and_painting
    results = {method: colors.match_colors(painting, photo, method)
               for method in ["pca", "chol", "sym"]}
    assert np.abs(results["pca"] - results["chol"]).max() > 1
    assert np.abs(results["pca"] - results["sym"]).max() > 1
    # Recover each map A from the pixels (least squares) and check the symmetric one is.
    centred = painting.reshape(-1, 3) - painting.reshape(-1, 3).mean(axis=0)
    target = results["sym"].reshape(-1, 3) - results["sym"].reshape(-1, 3).mean(axis=0)
    a = np.linalg.lstsq(centred, target, rcond=None)[0].T
    np.testing.assert_allclose(a, a.T, atol=1e-6)


def yiq(image):
    return np.asarray(image, dtype=np.float64) @ colors.RGB_TO_YIQ.T


def test_luminance_only_inputs_are_grey_with_the_photos_brightness_statistics(
        photo_and_painting):
    photo, painting = photo_and_painting
    grey_photo, [grey_painting] = colors.luminance_only(photo, [painting])
    for image in (grey_photo, grey_painting):
        assert (image[..., 0] == image[..., 1]).all() and (image[..., 1] == image[..., 2]).all()
    y_photo = yiq(photo)[..., 0]
    np.testing.assert_allclose(grey_photo[..., 0], y_photo, atol=0.5 + 1e-9)
    assert grey_painting[..., 0].mean() == pytest.approx(y_photo.mean(), abs=0.5)
    assert grey_painting[..., 0].std() == pytest.approx(y_photo.std(), rel=0.02)


@pytest.mark.parametrize("mode", ["luminance", "swap"])
@pytest.mark.slow
def test_a_run_that_keeps_the_photos_colours_has_exactly_its_colour_channels(tmp_path, mode,
                                                                              capsys):
    output = tmp_path / "grey.png"
    status = still.main([CONTENT, MOSAIC, "--size", "48", "--iterations", "1", "--fast",
                      "--init", "content", "--preserve-color", mode, "--no-extras",
                      "--output", str(output)])
    assert status == 0, capsys.readouterr().err
    result = iio.imread(output)
    photo = st.resize(files.load_image(CONTENT), result.shape[:2])
    inside = ((result > 0) & (result < 255)).all(axis=-1)  # clipping moves colour, rightly
    assert inside.mean() > 0.9
    difference = np.abs(yiq(result)[..., 1:] - yiq(photo)[..., 1:])[inside]
    assert difference.max() < 1.0  # I and Q, to within rounding RGB to whole numbers
    # ... while its brightness is the painting's work, not the photo's
    assert np.abs(yiq(result)[..., 0] - yiq(photo)[..., 0]).mean() > 3


def test_colour_matching_recolours_the_paintings_before_the_run(photo_and_painting):
    photo, painting = photo_and_painting
    same_photo, [recoloured] = colors.color_inputs(photo, [painting], "match-sym")
    assert same_photo is photo
    assert np.abs(recoloured.reshape(-1, 3).mean(axis=0)
                  - photo.reshape(-1, 3).mean(axis=0)).max() < 2  # clipping aside
    assert colors.color_result(painting, photo, "match-sym") is painting  # nothing after
    assert colors.color_inputs(photo, [painting], None) == (photo, [painting])


# -- regions -----------------------------------------------------------------------------------
SHAPE = (32, 40)


def build(weights_path, masks, fast=True, layers=st.STYLE_LAYERS, content_weight=0.025,
          tv_weight=1.0, blend=None):
    rng = np.random.default_rng(11)
    content, style_a, style_b = (st.preprocess(rng.integers(0, 256, SHAPE + (3,), np.uint8),
                                               SHAPE) for _ in range(3))
    K.clear_session()
    styles = [style_a, style_b][:len(masks) if masks else 1]
    settings = st.LossSettings(content_weight=content_weight, tv_weight=tv_weight,
                               style_layers=tuple(layers), style_blend=blend,
                               style_masks=masks, fast=fast)
    return st.build_loss_and_grads(content, styles, weights_path, settings)


def evaluate(graph):
    outputs = graph.f_outputs([st.random_start(SHAPE, seed=4)])
    return float(outputs[0]), outputs[1][0].astype(np.float64), outputs[2:]


@pytest.mark.slow
def test_an_all_ones_mask_gives_exactly_todays_loss(weights_path):
    loss, grads, _ = evaluate(build(weights_path, None))
    masked_loss, masked_grads, _ = evaluate(build(weights_path, [np.ones(SHAPE)]))
    assert masked_loss == pytest.approx(loss, rel=1e-6)
    np.testing.assert_allclose(masked_grads, grads, rtol=1e-5, atol=1e-6 * np.abs(grads).max())


def test_a_painting_gets_no_gradient_where_its_mask_is_zero(weights_path):
    # Style only, at block1_conv2: two 3x3 convolutions, so a pixel reaches features at most
    # 2 columns away. With the mask zero on columns 0-19, columns 0-17 must get nothing.
    mask = np.ones(SHAPE)
    mask[:, :20] = 0
    _, grads, _ = evaluate(build(weights_path, [mask], layers=["block1_conv2"],
                                 content_weight=0, tv_weight=0))
    assert np.all(grads[:, :18] == 0)
    assert np.abs(grads[:, 22:]).mean() > 0  # where it is white, the painting works


@pytest.mark.slow
def test_two_masks_split_the_picture_between_two_paintings(weights_path):
    left, right = np.zeros(SHAPE), np.zeros(SHAPE)
    left[:, :20], right[:, 20:] = 1, 1
    graph = build(weights_path, [left, right], layers=["block1_conv2"], content_weight=0,
                  tv_weight=0)
    _, grads, parts = evaluate(graph)
    assert graph.parts == ["content", "style 1", "style 2", "total variation"]
    assert all(value > 0 for value in parts[1:3])
    # Each side of the picture is pulled by its own painting only: on the left, the gradient
    # is that of a run with painting 1 and the left mask alone, at half its share.
    K.clear_session()
    _, left_only, _ = evaluate(build(weights_path, [left], layers=["block1_conv2"],
                                     content_weight=0, tv_weight=0))
    np.testing.assert_allclose(0.5 * left_only[:, :18], grads[:, :18], rtol=1e-4,
                               atol=1e-6 * np.abs(grads).max())


@pytest.mark.slow
def test_masks_work_the_same_on_the_tutorial_graph_and_the_fast_one(weights_path):
    mask = np.zeros(SHAPE)
    mask[8:24, 10:30] = 1
    fast_loss, fast_grads, _ = evaluate(build(weights_path, [mask], fast=True))
    loss, grads, _ = evaluate(build(weights_path, [mask], fast=False))
    assert fast_loss == pytest.approx(loss, rel=1e-5)
    assert np.linalg.norm(fast_grads - grads) <= 1e-5 * np.linalg.norm(grads)


def test_masks_are_resized_to_each_layer_by_averaging():
    rng = np.random.default_rng(2)
    mask = rng.random((64, 48))
    for name, factor in [("block1_conv2", 1), ("block2_conv2", 2), ("block3_conv3", 4),
                         ("block4_conv3", 8), ("block5_conv3", 16)]:
        shape = st.layer_shape(mask.shape, name)
        assert shape == (64 // factor, 48 // factor)
        expected = mask.reshape(64 // factor, factor, 48 // factor, factor).mean(axis=(1, 3))
        np.testing.assert_allclose(st.resize_mask(mask, shape), expected, atol=1e-6)
    assert st.layer_shape((45, 70), "block3_conv1") == (11, 17)  # each pooling rounds down


# -- the command line --------------------------------------------------------------------------
def write_mask(path, array):
    iio.imwrite(path, array.astype(np.uint8))
    return str(path)


def test_a_mask_count_that_does_not_match_the_paintings_is_a_usage_error(tmp_path, capsys):
    mask = write_mask(tmp_path / "m.png", np.full((30, 45), 255))
    status, err = main_says([CONTENT, STYLE, MOSAIC, "--style-masks", mask,
                             "--output", str(tmp_path / "o.png")], capsys)
    assert status == 2 and len(err) == 1 and "--style-masks: got 1 mask for 2 style images" in err[0]


@pytest.mark.parametrize("content, words", [(b"not a picture", "not a readable image"),
                                            (None, "all black")])
def test_a_mask_that_is_not_an_image_or_is_all_black_is_refused(tmp_path, capsys, content,
                                                                words):
    path = tmp_path / "mask.png"
    if content is None:
        write_mask(path, np.zeros((30, 45)))
    else:
        path.write_bytes(content)
    status, err = main_says([CONTENT, STYLE, "--style-masks", str(path),
                             "--output", str(tmp_path / "o.png")], capsys)
    assert status == 2 and len(err) == 1
    assert err[0].startswith(f"error: --style-masks {path}") and words in err[0]
    assert not (tmp_path / "o.png").exists()


@pytest.mark.parametrize("graph", [["--fast"], ["--restarts"]])  # and the tutorial's graph
@pytest.mark.slow
def test_a_masked_two_painting_run_coarse_to_fine_warns_about_a_stretched_mask(tmp_path,
                                                                               capsys, graph):
    top = np.zeros((300, 451))
    top[:150] = 255
    wide = np.zeros((100, 400))
    wide[50:] = 255  # the bottom half, at another aspect ratio
    output = tmp_path / "split.png"
    status, err = main_says([CONTENT, STYLE, MOSAIC, "--style-masks",
                             write_mask(tmp_path / "top.png", top),
                             write_mask(tmp_path / "wide.png", wide),
                             "--scales", "48", "64", "--iterations", "1", *graph,
                             "--no-extras", "--output", str(output)], capsys)
    assert status == 0, err
    assert len(err) == 1 and err[0].startswith(f"warning: --style-masks {tmp_path / 'wide.png'}")
    assert "stretched" in err[0]
    assert iio.imread(output).shape == (43, 64, 3)


@pytest.mark.parametrize("argv, words", [
    # The flag alone before the file names takes the photo's name as its MODE: the line must
    # say how to give it instead, not only that the mode is unknown.
    (["--preserve-color", CONTENT, STYLE], ["unknown mode", "after the file names",
                                             "--preserve-color=swap"]),
    ([CONTENT, STYLE, "--preserve-color", "bogus"], ["'bogus'", "luminance", "match-sym"]),
])
def test_an_unknown_colour_mode_is_one_line_saying_what_to_write(argv, words, capsys):
    status, err = main_says(argv, capsys)
    assert_one_line_error(status, err, *words)


def test_each_colour_mode_and_the_flag_alone_are_taken():
    for mode in colors.COLOR_MODES:
        how = still.parse_args([CONTENT, STYLE, "--preserve-color", mode]).paint
        assert how.preserve_color == mode
    assert still.parse_args([CONTENT, STYLE, "--preserve-color"]).paint.preserve_color == "swap"
    assert still.parse_args([CONTENT, STYLE]).paint.preserve_color is None
