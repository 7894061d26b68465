"""--style-shape: the paintings stretched to the picture's proportions (the tutorial's) or kept
in their own, for stills, tiles, batches, clips and the studio; refused on the tutorial's
graph, before TensorFlow loads."""
import numpy as np
import pytest

from helpers import CONTENT, STYLE, refused_before_tensorflow
from painter import batch, memory, paint, settings, still, video
from painter.painting import Watcher

pytestmark = pytest.mark.lesson  # needs only requirements.txt (make test-lesson)

SCREAM = (1528, 1200)  # The Scream's (height, width): a portrait


def test_own_keeps_a_paintings_proportions_with_the_pictures_longer_side():
    # By hand: 512 * 1200 / 1528 = 402.09; at --style-scale 0.5, 256 * 1200 / 1528 = 201.05.
    assert settings.painting_shape((384, 512), 1.0, SCREAM) == (512, 402)
    assert settings.painting_shape((384, 512), 0.5, SCREAM) == (256, 201)
    assert settings.painting_shape((384, 512), 1.0) == (384, 512)  # stretched: the tutorial's
    assert settings.painting_shape((300, 451), 1.0, (512, 512)) == (451, 451)


class StopOnceBuilt(Watcher):  # the graph is all these tests need
    def __init__(self, seen):
        self.seen = seen

    def should_stop(self):
        return "styles" in self.seen


def shapes_sent_to_vgg16(monkeypatch, weights_path, style_shape, paintings):
    """The shapes of the paintings a 64 px still sends through VGG16."""
    import style_transfer as st
    seen, real = {}, st.build_loss_and_grads

    def spy(content_array, style_arrays, *args, **kwargs):
        seen["styles"] = [array.shape[1:3] for array in style_arrays]
        return real(content_array, style_arrays, *args, **kwargs)

    monkeypatch.setattr(st, "build_loss_and_grads", spy)
    painter = paint.Painter(weights_path=weights_path, loss_settings=st.LossSettings(fast=True),
                            paint_settings=settings.PaintSettings(sizes=(64,),
                                                                  style_shape=style_shape))
    from painter import files
    painting = painter.paint(files.load_image(CONTENT), paintings, StopOnceBuilt(seen))
    assert painting.stopped
    return seen["styles"]


def test_a_still_sends_each_painting_in_its_own_proportions(monkeypatch, weights_path):
    portrait = np.zeros((100, 50, 3), np.uint8) + 128  # 2:1, upright
    wide = np.zeros((30, 90, 3), np.uint8) + 128       # 1:3
    # The photo is 451x300: at 64 px, 64x43.
    assert shapes_sent_to_vgg16(monkeypatch, weights_path, "own", [portrait, wide]) == [
        (64, 32), (21, 64)]
    assert shapes_sent_to_vgg16(monkeypatch, weights_path, "picture", [portrait, wide]) == [
        (43, 64), (43, 64)]


def test_a_clips_frames_take_the_paintings_in_their_own_proportions(monkeypatch,
                                                                      weights_path):
    import style_transfer as st
    from painter.temporal import VideoPainter
    seen = {}

    class Seen(Exception):
        """The shapes are all this test needs: no graph is built."""

    def spy(content_array, style_arrays, *args, **kwargs):
        seen["styles"] = [array.shape[1:3] for array in style_arrays]
        raise Seen

    monkeypatch.setattr(st, "build_loss_and_grads", spy)
    with pytest.raises(Seen):
        VideoPainter(first_frame=np.zeros((48, 64, 3), np.uint8),
                     styles=[np.zeros((100, 50, 3), np.uint8)], weights_path=weights_path,
                     loss_settings=st.LossSettings(fast=True), temporal_weight=0,
                     stop=None, style_shape="own")
    assert seen["styles"] == [(64, 32)]


def test_the_painted_recipe_keeps_the_paintings_shape_on_the_fast_graph_and_a_flag_wins():
    painted = still.parse_args([CONTENT, STYLE, "--recipe", "painted"])
    assert painted.paint.style_shape == "own" and painted.loss["fast"]
    given = still.parse_args([CONTENT, STYLE, "--recipe", "painted", "--style-shape", "picture"])
    assert given.paint.style_shape == "picture"
    assert still.parse_args([CONTENT, STYLE]).paint.style_shape == "picture"  # the tutorial's
    assert batch.parse_args([CONTENT, "--styles", STYLE, "--recipe", "painted"]
                            ).paint.style_shape == "own"
    assert video.parse_args([CONTENT, STYLE, "--recipe", "painted"]).frames.style_shape == "own"
    assert video.parse_args([CONTENT, STYLE, "--fast"]).frames.style_shape == "picture"


def test_own_on_the_tutorials_graph_is_one_line_before_tensorflow_loads():
    refused_before_tensorflow("painter.still", ["a.jpg", "b.jpg", "--style-shape", "own"],
                              "--style-shape own", "needs --fast")
    with pytest.raises(SystemExit) as exit_:
        video.parse_args([CONTENT, STYLE, "--style-shape", "own"])
    assert exit_.value.code == 2


def test_memory_counts_a_painting_in_its_own_shape():
    # A picture four times as wide as high, a square painting: kept square, the painting's one
    # pass (half an evaluation's memory per pixel) is 512x512, more than the 512x128 result's.
    wide = np.zeros((100, 400, 3), np.uint8)
    own = memory.memory_needed(wide, 512, 1, proportions=[(700, 700)])
    assert own == memory.activation_bytes((512, 512), 1) // 2
    assert memory.memory_needed(wide, 512, 1) == memory.activation_bytes((128, 512), 1)
    assert own > memory.memory_needed(wide, 512, 1)


def test_the_studios_painted_preset_keeps_the_paintings_shape():
    from painter import studio_jobs
    _, how = studio_jobs.Knobs.of_recipe("painted").settings([1.0])
    assert how.style_shape == "own"
    assert studio_jobs.Knobs().settings([1.0])[1].style_shape == "picture"
