"""The yardstick (painter/quality.py, tools/yardstick.py): the sliced Wasserstein distance against
its formula in numpy, zero for a picture against itself, the same numbers twice, a painted
picture nearer the painting than the photo, a bad path in one line, and the bench's --ref."""
import numpy as np
import pytest

import style_transfer as st
from painter import files, quality
from painter.paint import Painter
from painter.settings import PaintSettings
from helpers import CONTENT, STYLE, assert_one_line_error

pytestmark = pytest.mark.lesson  # needs only requirements.txt (make test-lesson)


@pytest.fixture
def yardstick(weights_path):
    return quality.Yardstick(weights_path, size=96)


def test_the_distance_is_its_formula_in_numpy(yardstick):
    """Two sets of features, one the other moved by t: on each direction d the sorted
    projections differ by t.d everywhere, so the distance is the mean of (t.d)**2; the order of
    the positions does not count; sets of other sizes compare at the smaller one's quantiles."""
    rng = np.random.default_rng(3)
    a = rng.normal(size=(500, 64))
    t = rng.normal(size=64)
    directions = yardstick.directions["block1_conv1"]
    expected = float(np.mean(np.square(t @ directions)))
    assert yardstick.sliced_wasserstein(a, a + t, "block1_conv1") == pytest.approx(expected,
                                                                                   rel=1e-9)
    shuffled = (a + t)[rng.permutation(500)]
    assert yardstick.sliced_wasserstein(a, shuffled, "block1_conv1") == pytest.approx(expected,
                                                                                      rel=1e-9)
    twice = np.repeat(a, 2, axis=0)  # the same distribution, twice as many positions
    assert yardstick.sliced_wasserstein(a, twice, "block1_conv1") < 1e-3 * expected


def test_a_picture_against_itself_scores_zero_and_the_numbers_repeat(yardstick, weights_path):
    photo, painting = files.load_image(CONTENT), files.load_image(STYLE)
    itself = yardstick.measure(photo, painting, painting)
    assert all(value == 0 for value in itself.style.values())
    first = yardstick.measure(photo, painting, photo)
    again = quality.Yardstick(weights_path, size=96).measure(photo, painting, photo)
    assert first == again and first.content == 0  # the photo is its own content
    assert all(value > 0 for value in first.style.values())


@pytest.mark.slow
def test_a_painted_picture_is_nearer_the_painting_than_the_photo(weights_path):
    photo, painting = files.load_image(CONTENT), files.load_image(STYLE)
    how = PaintSettings(sizes=(96,), iterations=(4,), seed=0)
    painted = Painter(weights_path=weights_path,
                      loss_settings=st.LossSettings(fast=True, style_weight=50.0),
                      paint_settings=how).paint(photo, [painting]).picture
    yardstick = quality.Yardstick(weights_path, size=96)  # the painter cleared the session
    of_photo = yardstick.measure(photo, painting, photo)
    of_painted = yardstick.measure(photo, painting, painted)
    for layer in quality.LAYERS[:4]:
        assert of_painted.style[layer] < of_photo.style[layer], layer
    assert of_painted.content > of_photo.content == 0


def test_a_bad_path_is_one_line(tmp_path, capsys):
    import yardstick as tool  # tools/yardstick.py
    status = tool.main([CONTENT, STYLE, str(tmp_path / "nope.png")])
    assert_one_line_error(status, capsys.readouterr().err, "nope.png", "no such file")


def test_the_bench_takes_neural_styles_examples_or_a_clone_holding_them(tmp_path, capsys):
    import bench_quality  # tools/bench_quality.py
    examples = tmp_path / "neural-style" / "examples"
    for folder, names, suffix in [("inputs", ["golden_gate", "tubingen", "the_scream",
                                              "shipwreck", "starry_night"], ".jpg"),
                                  ("outputs", [p[2] for p in bench_quality.REFERENCE_PAIRS],
                                   ".png")]:
        (examples / folder).mkdir(parents=True)
        for name in names:
            (examples / folder / f"{name}{suffix}").write_bytes(b"")
    from_clone = bench_quality.pairs(tmp_path / "neural-style")
    assert from_clone == bench_quality.pairs(examples)
    assert [p[3] for p in from_clone] == [examples / "outputs" / f"{p[2]}.png"
                                          for p in bench_quality.REFERENCE_PAIRS]
    (examples / "outputs" / "tubingen_starry.png").unlink()
    status = bench_quality.main(["--ref", str(examples), "--out", str(tmp_path / "out")])
    assert_one_line_error(status, capsys.readouterr().err, "tubingen_starry.png", "--ref")
    assert not (tmp_path / "out").exists()  # refused: nothing written
