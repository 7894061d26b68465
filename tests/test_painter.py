"""Painting from code, without argparse: the Painter, its watcher's callbacks and stop flag."""
import threading

import numpy as np
import pytest

from painter import files, paint, settings
from painter.painting import Watcher
import style_transfer as st
from helpers import CONTENT, STYLE

pytestmark = pytest.mark.lesson  # needs only requirements.txt (make test-lesson)

HOW = settings.PaintSettings(sizes=(48,), iterations=(2,), seed=0)


def fast_painter(weights_path):
    return paint.Painter(weights_path=weights_path, loss_settings=st.LossSettings(fast=True),
                         paint_settings=HOW)


class Recorder(Watcher):
    """Keeps what the painter said; stops after `stop_after` evaluations, if given."""

    def __init__(self, stop_after=None):
        self.iterations, self.evaluations, self.stages = [], 0, []
        self.stop_after = stop_after
        self.stop = threading.Event()  # as the studio's Stop button would set it

    def stage_begins(self, stage, shape, iterations):
        self.stages.append((stage, shape, iterations))

    def iteration_done(self, iteration):
        self.iterations.append(iteration)

    def evaluation_done(self, evaluator):
        self.evaluations += 1
        if self.stop_after is not None and self.evaluations >= self.stop_after:
            self.stop.set()

    def should_stop(self):
        return self.stop.is_set()


@pytest.fixture(scope="module")
def images():
    return files.load_image(CONTENT), files.load_image(STYLE)


@pytest.mark.slow
def test_a_painter_calls_back_after_every_iteration_with_the_picture_so_far(weights_path,
                                                                            images):
    watcher = Recorder()
    painting = fast_painter(weights_path).paint(
        images[0], [images[1]], watcher)
    assert not painting.stopped and painting.failure is None
    assert [i.number for i in watcher.iterations] == [1, 2]
    assert watcher.stages == [(0, (32, 48), 2)]
    losses = [i.loss for i in watcher.iterations]
    assert losses[1] <= losses[0]
    # The last callback's picture is the result, which is the best evaluation's picture.
    np.testing.assert_array_equal(watcher.iterations[-1].picture, painting.picture)
    assert painting.loss == min(h["loss"] for h in painting.history)
    assert painting.picture.shape == (32, 48, 3) and painting.picture.std() > 5
    assert sum(painting.parts.values()) == pytest.approx(painting.loss, rel=1e-5)


@pytest.mark.slow
def test_the_same_painter_paints_a_second_picture_as_a_fresh_one_would(weights_path, images):
    photo, painting = images
    other = np.ascontiguousarray(photo[:, ::-1])  # another photo: the mirror image
    painter = fast_painter(weights_path)
    first = painter.paint(photo, [painting])
    second = painter.paint(other, [painting])
    fresh = fast_painter(weights_path).paint(other, [painting])
    assert len(second.history) == len(fresh.history)  # no history carried over
    assert second.loss == pytest.approx(fresh.loss, rel=1e-4)
    np.testing.assert_allclose(second.picture.astype(int), fresh.picture.astype(int), atol=2)
    assert not np.array_equal(first.picture, second.picture)


@pytest.mark.slow
def test_a_stop_asked_for_ends_the_run_within_one_evaluation_and_keeps_the_best(
        weights_path, images):
    watcher = Recorder(stop_after=27)  # in the second iteration
    painting = fast_painter(weights_path).paint(
        images[0], [images[1]], watcher)
    assert painting.stopped and painting.failure is None
    assert len(painting.history) == 27 and len(watcher.iterations) == 1
    assert painting.loss == min(h["loss"] for h in painting.history)
    assert painting.picture.shape == (32, 48, 3)


def test_a_stop_before_the_first_evaluation_keeps_no_picture(weights_path, images):
    watcher = Recorder()
    watcher.stop.set()
    painting = fast_painter(weights_path).paint(
        images[0], [images[1]], watcher)
    assert painting.stopped and painting.picture is None and painting.history == []
