"""--quick: the recipe that reaches the tutorial's picture sooner (coarse to fine by sqrt(2) from
the photo, the photo's detail kept at each hand-over, stages ending on a flat loss, bfloat16)."""
import re
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image

from tf_keras import backend as K

from painter import files, machine, paint, settings, still, still_run
from painter.painting import enlarged, flattened, pixel_bounds
import style_transfer as st
from helpers import CONTENT, STYLE, assert_one_line_error, main_says

pytestmark = pytest.mark.lesson  # needs only requirements.txt (make test-lesson)

BFLOAT16_HERE = machine.bfloat16_is_faster()


# --- the ladder and the options ---------------------------------------------------------------
def test_quick_paints_512_px_and_below_at_one_size_and_doubles_up_from_512_above():
    assert settings.quick_sizes(512) == (512,) and settings.quick_sizes(256) == (256,)
    assert settings.quick_sizes(1023) == (1023,)
    assert settings.quick_sizes(1024) == (512, 1024)
    assert settings.quick_sizes(4096) == (512, 1024, 2048, 4096)
    how = still.parse_args([CONTENT, STYLE, "--quick", "--size", "2048"]).paint
    assert how.sizes == (512, 1024, 2048)
    assert how.iterations == (settings.QUICK_ITERATIONS,) * 3


def test_quick_means_the_fast_graph_from_the_photo_unless_another_start_is_asked():
    quick = still.parse_args([CONTENT, STYLE, "--quick"])
    assert quick.loss["fast"] and quick.paint.init == "content"
    assert still_run.loss_settings(quick).bfloat16 == BFLOAT16_HERE
    assert still.parse_args([CONTENT, STYLE, "--quick", "--init", "noise"]).paint.init == "noise"
    plain = still.parse_args([CONTENT, STYLE])
    assert plain.paint.init == "noise" and plain.paint.iterations == (st.ITERATIONS,)
    assert not still_run.loss_settings(plain).bfloat16


def test_help_says_what_quick_does(capsys):
    with pytest.raises(SystemExit) as exit_:
        still.parse_args(["--help"])
    assert exit_.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "--quick" in text and "lowers the loss by under 1%;" in text
    assert "changes the path, not the loss" in text


def test_quick_paint_settings_change_the_path_not_the_loss():
    quick = still.parse_args([CONTENT, STYLE, "--quick", "--size", "1024", "--seed", "3"])
    plain = still.parse_args([CONTENT, STYLE, "--fast", "--size", "1024", "--seed", "3"])
    how = quick.paint
    assert how.sizes == (512, 1024) and how.keep_detail and how.flat and how.bounded
    assert how.seed == 3 and how.init == "content" and not how.restarts
    loss, plain_loss = still_run.loss_settings(quick), still_run.loss_settings(plain)
    assert loss.bfloat16 == BFLOAT16_HERE
    assert replace(loss, bfloat16=False) == plain_loss  # the same loss otherwise


@pytest.mark.parametrize("extra", [["--scales", "64", "128"], ["--iterations", "3"],
                                   ["--restarts"]])
def test_quick_refuses_what_it_chooses_itself(extra, capsys):
    status, err = main_says([CONTENT, STYLE, "--quick", *extra], capsys)
    assert_one_line_error(status, err, extra[0], "--quick")


def test_keeping_the_detail_gives_back_the_photo_when_the_small_picture_is_the_photo():
    # A coarse stage that painted nothing (its picture is the photo, shrunk) hands over the
    # photo itself at the larger size: the detail the shrinking lost is put back exactly.
    photo = files.load_image(CONTENT)
    small, large = st.result_shape(photo, 96), st.result_shape(photo, 192)
    shrunk = np.asarray(Image.fromarray(photo).resize(small[::-1], Image.LANCZOS))
    kept = enlarged(shrunk, photo, large, keep_detail=True)
    np.testing.assert_allclose(kept, st.preprocess(photo, large), atol=1e-3)
    blurred = enlarged(shrunk, photo, large)  # only resized: the detail is gone
    assert np.abs(blurred - st.preprocess(photo, large)).mean() > 3


# --- the stopping rule --------------------------------------------------------------------------
def test_a_loss_falling_by_less_than_the_threshold_has_flattened():
    assert flattened(100.0, 99.5, 0.01)          # 0.5% < 1%
    assert flattened(100.0, 100.0, 0.01)         # not at all
    assert not flattened(100.0, 98.0, 0.01)      # 2%
    assert not flattened(100.0, 99.5, None)      # no rule: never


class Bowl:
    """A fake graph: loss offset + sum(scales * (x - 7)**2), its gradient exact, for a Painter
    to minimise without VGG16. Its curvatures span 1e-6 to 1, so L-BFGS keeps finding more to
    lower for hundreds of evaluations, falling steadily; a large `offset` makes each of those
    falls a tiny fraction of the loss: a flat loss."""

    def __init__(self, offset, shape):
        self.offset = offset
        self.scales = np.logspace(-6, 0, shape[0] * shape[1] * 3).reshape((1, *shape, 3))

    def __call__(self, inputs):
        d = inputs[0] - 7.0
        loss = self.offset + float(np.sum(self.scales * d * d))
        return [loss, 2 * self.scales * d, loss]


class BowlPainter(paint.Painter):
    def __init__(self, offset, how):
        super().__init__(weights_path=None, paint_settings=how)
        self.offset = offset

    def build_graph(self, content, styles):
        return st.Graph(Bowl(self.offset, content.shape[1:3]), ["content"], None)


@pytest.mark.parametrize("offset, stops_early", [(1e12, True), (0.0, False)])
def test_a_stage_ends_early_on_a_flat_loss_and_not_on_a_falling_one(offset, stops_early):
    photo = files.load_image(CONTENT)
    how = settings.PaintSettings(sizes=(48, 68), iterations=(4, 4), init="content",
                                 flat=settings.QUICK_FLAT)
    painting = BowlPainter(offset, how).paint(photo, [photo])
    first_stage = painting.stage_starts[1] - painting.stage_starts[0]
    assert painting.failure is None and len(painting.stage_starts) == 2
    losses = [h["loss"] for h in painting.history[:first_stage]]
    assert losses[-1] < losses[0]  # falling in both cases: by a sliver of a flat loss
    if stops_early:
        assert first_stage <= st.EVALS_PER_ITERATION + 5  # one iteration, then the next size
    else:
        assert first_stage >= 4 * st.EVALS_PER_ITERATION  # every iteration of the stage


# --- bfloat16 -----------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.skipif(not BFLOAT16_HERE, reason="this CPU has neither AVX512_BF16 nor AMX, so "
                                              "--quick keeps float32 here")
def test_bfloat16_gives_float32s_loss_and_gradient_to_the_measured_tolerance(weights_path,
                                                                            fresh_graph):
    # Measured 2026-12-02 at 512 px (BENCHMARKS.md): the loss within 0.1%, the gradient's cosine
    # to float32's 0.999. At this test's 96 px the figures are looser (fewer positions to
    # average the rounding over): 0.5% and 0.99.
    photo, painting = files.load_image(CONTENT), files.load_image(STYLE)
    shape = st.result_shape(photo, 96)
    x = st.preprocess(photo, shape) + np.random.default_rng(0).normal(0, 20, (1, *shape, 3))
    outputs = {}
    for bfloat16 in (False, True):
        K.clear_session()
        graph = st.build_loss_and_grads(st.preprocess(photo, shape), [st.preprocess(painting,
                                                                                    shape)],
                                        weights_path, st.LossSettings(fast=True,
                                                                      bfloat16=bfloat16))
        loss, grad = graph.f_outputs([x])[:2]
        outputs[bfloat16] = float(loss), np.asarray(grad, np.float64).ravel()
    (loss32, grad32), (loss16, grad16) = outputs[False], outputs[True]
    assert loss16 == pytest.approx(loss32, rel=5e-3)
    assert grad16 @ grad32 / np.linalg.norm(grad16) / np.linalg.norm(grad32) > 0.99


# --- a real run ---------------------------------------------------------------------------------
@pytest.mark.slow
def test_quick_paints_a_lower_loss_than_the_tutorial_start_with_as_many_evaluations(
        weights_path, tmp_path, capsys):
    output = tmp_path / "quick.png"
    status = still.main([CONTENT, STYLE, "--quick", "--size", "96", "--seed", "0", "--no-extras",
                      "--output", str(output)])
    said = capsys.readouterr().out
    assert status == 0, said
    with Image.open(output) as image:
        assert image.size == (96, 64) and image.mode == "RGB"
        picture = np.asarray(image)
    assert picture.std() > 10  # a picture, not a flat colour
    evaluations = int(re.search(r"Done in \d+ s \((\d+) evaluations", said).group(1))
    # The tutorial's start, noise, with as many evaluations, all at the final size (so more
    # work than --quick's, whose evaluations are mostly at the smaller sizes).
    photo, painting = files.load_image(CONTENT), files.load_image(STYLE)
    noise = paint.Painter(weights_path=weights_path, loss_settings=st.LossSettings(fast=True),
                          paint_settings=settings.PaintSettings(
        sizes=(96,), iterations=(max(1, round(evaluations / st.EVALS_PER_ITERATION)),),
        seed=0)).paint(photo, [painting])
    # Both pictures scored by one float32 graph, independent of how each was painted.
    shape = picture.shape[:2]
    K.clear_session()
    graph = st.build_loss_and_grads(st.preprocess(photo, shape), [st.preprocess(painting,
                                                                                shape)],
                                    weights_path, st.LossSettings(fast=True))
    quick_loss = float(graph.f_outputs([st.preprocess(picture, shape)])[0])
    noise_loss = float(graph.f_outputs([st.preprocess(noise.picture, shape)])[0])
    assert quick_loss < noise_loss


@pytest.mark.slow
def test_within_bounds_the_picture_saved_is_the_picture_optimised(weights_path, fresh_graph):
    photo, painting = files.load_image(CONTENT), files.load_image(STYLE)
    shape = st.result_shape(photo, 64)
    low, high = pixel_bounds(shape).T
    # pixel_bounds against the preprocessing itself: black and white pixels are the bounds.
    np.testing.assert_allclose(st.preprocess(np.zeros((*shape, 3), np.uint8), shape).ravel(), low)
    np.testing.assert_allclose(st.preprocess(np.full((*shape, 3), 255, np.uint8), shape).ravel(),
                               high)
    K.clear_session()
    graph = st.build_loss_and_grads(st.preprocess(photo, shape), [st.preprocess(painting, shape)],
                                    weights_path, st.LossSettings(fast=True))
    gaps = {}
    for bounded in (False, True):
        painting_ = BoundsPainter(weights_path, graph, settings.PaintSettings(
            sizes=(64,), iterations=(3,), seed=0, bounded=bounded)).paint(photo, [painting])
        saved = float(graph.f_outputs([st.preprocess(painting_.picture, shape)])[0])
        gaps[bounded] = saved / painting_.loss - 1
    assert abs(gaps[True]) < 0.01      # clipping to 8 bits changes nothing but the rounding
    assert gaps[False] > 0.05          # without bounds, the clipped picture is worse


class BoundsPainter(paint.Painter):
    """A painter that reuses one graph (the size never changes here)."""

    def __init__(self, weights_path, graph, how):
        super().__init__(weights_path=weights_path, loss_settings=st.LossSettings(fast=True),
                         paint_settings=how)
        self.graph = graph

    def build_graph(self, content, styles):
        return self.graph
