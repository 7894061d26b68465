"""style_video.py: the flow, the mask, the temporal loss, one graph for a clip, video files in
and out, resuming, bad input and Ctrl-C. Tiny clips (48x32 px, a few frames) keep it quick."""
import json
import math
import re
import signal
import sys
import time

import cv2
import imageio_ffmpeg
import numpy as np
import pytest

from tf_keras import backend as K

from painter import clips, colors, files, frame_files, frame_rates, startup, temporal, video
from painter.flow import consistency, motion, optical_flow, temporal_error, warp
import style_transfer as st
from helpers import (CONTENT, ROOT, STYLE, VIDEO_SCRIPT, Child, assert_one_line_error,
                     finished_then_signalled, run)

QUICK = ["--size", "48", "--iterations", "1", "--later-iterations", "1", "--fast"]


# --- clips made here ------------------------------------------------------------------------
def texture(height, width, seed=0):
    """A smooth random texture, RGB uint8: blobs of a few pixels, the kind flow can follow."""
    rng = np.random.default_rng(seed)
    noise = rng.uniform(0, 255, (height, width, 3)).astype(np.float32)
    blurred = cv2.GaussianBlur(noise, (0, 0), 1.5)
    low, high = blurred.min(), blurred.max()
    return ((blurred - low) / (high - low) * 255).round().astype(np.uint8)


def panning_frames(count, shape=(32, 48), step=2, seed=0):
    """Frames of a texture moving right by `step` pixels a frame: frame t at x shows what
    frame t-1 showed at x - step; a strip of `step` columns comes in at the left."""
    height, width = shape
    wide = texture(height, width + step * count, seed)
    right = step * count
    return [wide[:, right - step * t: right - step * t + width] for t in range(count)]


def probe(path):
    return run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(path)],
               timeout=60).stderr


def decoded_frames(path):
    reader = imageio_ffmpeg.read_frames(str(path), output_params=["-fps_mode", "passthrough"])
    meta = next(reader)
    width, height = meta["size"]
    return meta, [np.frombuffer(b, np.uint8).reshape(height, width, 3) for b in reader]


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """A 3-frame H.264 clip of a panning texture, 48x32 px at 6 fps."""
    path = tmp_path_factory.mktemp("clip") / "pan.mp4"
    clips.write_video(path, panning_frames(3), 6)
    return path


# --- 1. flow and warp -----------------------------------------------------------------------
@pytest.mark.parametrize("step", [2, 3])
def test_flow_of_a_shifted_texture_is_the_shift_and_the_warp_undoes_it(step):
    previous, current = panning_frames(2, shape=(40, 48), step=step)
    backward = optical_flow(current, previous)  # where current's pixels were before
    inner = np.s_[4:-4, step + 4:-4]  # away from the edges and the strip that came in
    miss = np.linalg.norm(backward[inner] - [-step, 0], axis=-1)
    assert np.percentile(miss, 95) < 0.25, np.percentile(miss, 95)
    warped = warp(previous, backward)
    error = np.abs(warped[inner] - current[inner].astype(np.float32))
    unmoved = np.abs(previous[inner].astype(np.float32) - current[inner])
    assert error.mean() < 3.0 and error.mean() < unmoved.mean() / 5, (error.mean(),
                                                                       unmoved.mean())


def test_warp_is_exact_bilinear_sampling():
    image = np.arange(4 * 5 * 3, dtype=np.float32).reshape(4, 5, 3) ** 1.5
    flow = np.zeros((4, 5, 2), np.float32)
    flow[1, 2] = (0.25, 1.5)        # pixel (x=2, y=1) reads at (2.25, 2.5)
    flow[3, 4] = (3.0, 0.0)         # off the right edge: the edge pixel, repeated
    warped = warp(image, flow)
    expected = (0.75 * 0.5 * image[2, 2] + 0.25 * 0.5 * image[2, 3]
                + 0.75 * 0.5 * image[3, 2] + 0.25 * 0.5 * image[3, 3])
    np.testing.assert_allclose(warped[1, 2], expected, rtol=1e-6)
    np.testing.assert_array_equal(warped[3, 4], image[3, 4])
    np.testing.assert_array_equal(warped[0], image[0])


# --- 2. the consistency mask ----------------------------------------------------------------
def test_mask_is_zero_in_the_strip_that_came_into_view_and_one_elsewhere():
    step = 3
    previous, current = panning_frames(2, shape=(40, 48), step=step)
    backward, mask = motion(current, previous)
    assert mask.shape == (40, 48) and set(np.unique(mask)) <= {0.0, 1.0}
    assert np.all(mask[:, :step] == 0)
    assert mask[:, step + 2:].mean() > 0.9


def reference_consistency(backward, forward):
    """Ruder et al.'s consistencyChecker, pixel by pixel, as their C++ reads (with its edge:
    positions from 0 to w-1 count as inside)."""
    height, width = backward.shape[:2]

    def bilinear(field, x, y):
        x0, y0 = min(int(math.floor(x)), width - 1), min(int(math.floor(y)), height - 1)
        x1, y1 = min(x0 + 1, width - 1), min(y0 + 1, height - 1)
        ax, ay = x - x0, y - y0
        top = (1 - ax) * field[y0, x0] + ax * field[y0, x1]
        bottom = (1 - ax) * field[y1, x0] + ax * field[y1, x1]
        return (1 - ay) * top + ay * bottom

    def derivative(f, y, x, axis):  # (f(p + 1) - f(p - 1)) / 2, one-sided at the edges
        n = f.shape[axis]
        i = y if axis == 0 else x
        lo, hi = max(i - 1, 0), min(i + 1, n - 1)
        pick = (lambda j: f[j, x]) if axis == 0 else (lambda j: f[y, j])
        return (pick(hi) - pick(lo)) / (hi - lo)

    mask = np.ones((height, width))
    for y in range(height):
        for x in range(width):
            u, v = backward[y, x]
            bx, by = x + u, y + v
            if not (0 <= bx <= width - 1 and 0 <= by <= height - 1):
                mask[y, x] = 0
                continue
            fu, fv = bilinear(forward, bx, by)
            if (u + fu) ** 2 + (v + fv) ** 2 > 0.01 * (u * u + v * v + fu * fu + fv * fv) + 0.5:
                mask[y, x] = 0
                continue
            edge = sum(derivative(backward[..., c], y, x, axis) ** 2
                       for c in (0, 1) for axis in (0, 1))
            if edge > 0.01 * (u * u + v * v) + 0.002:
                mask[y, x] = 0
    return mask


def test_mask_matches_a_pixel_by_pixel_reference():
    rng = np.random.default_rng(7)
    height, width = 24, 30
    # A smooth motion, the forward flow its inverse up to small errors, and three things the
    # mask must catch: a region where forward and backward disagree (something uncovered),
    # a jump in the backward flow (a motion boundary) and motion out of the frame.
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    backward = np.stack([1.5 + 0.02 * x, -0.8 + 0.01 * y], axis=-1)
    forward = -backward + rng.normal(0, 0.1, backward.shape)
    forward[5:12, 5:12] += 3.0
    backward[:, 20:] += (4.0, 0.0)
    consistent = consistency(backward, forward)
    expected = reference_consistency(backward, forward)
    np.testing.assert_array_equal(consistent, expected)
    assert 0.3 < expected.mean() < 0.9  # every test has something to catch


def test_a_still_scene_is_consistent_everywhere():
    frame = texture(32, 48)
    backward, mask = motion(frame, frame)
    assert np.abs(backward).max() < 0.05
    assert mask.mean() > 0.98


# --- 3. the temporal loss in the painter's graph --------------------------------------------
@pytest.fixture(scope="module")
def temporal_painter(weights_path):
    K.clear_session()
    settings = video.parse_args(["clip.mp4", STYLE, "--temporal-weight", "2.5", "--fast"])
    frame = texture(32, 32, seed=1)
    painter = temporal.VideoPainter(
        first_frame=frame, styles=[texture(32, 32, seed=2)], weights_path=weights_path,
        loss_settings=st.LossSettings(**settings.loss),
        temporal_weight=settings.frames.temporal_weight, stop=startup.StopRequests())
    yield painter
    K.clear_session()


def test_temporal_loss_is_zero_on_the_warped_frame_and_masked_pixels_get_no_gradient(
        temporal_painter):
    graph = temporal_painter.graph
    assert graph.parts[-1] == "temporal"
    # Scaled like the content weight, to mean what it means at 512 px: 32 px is 16x shorter,
    # so --temporal-weight 2.5 weighs each squared difference 2.5 * 16**2 here. Measured
    # through the graph: a picture 1 away from the previous frame in every pixel and channel,
    # all of it trusted, costs that weight once for each of its 32 * 32 * 3 numbers.
    weight = 2.5 * 16 ** 2
    rng = np.random.default_rng(0)
    previous = rng.uniform(-100, 100, (1, 32, 32, 3)).astype(np.float32)
    temporal_painter.temporal.set_previous(previous, np.ones((32, 32), np.float32))
    one_off = graph.f_outputs([previous + np.float32(1)])
    assert float(one_off[-1]) == pytest.approx(weight * 32 * 32 * 3, rel=1e-4)
    mask = (rng.uniform(size=(32, 32)) > 0.4).astype(np.float32)
    temporal_painter.temporal.set_previous(previous, mask)
    at_previous = graph.f_outputs([previous])
    assert float(at_previous[-1]) == 0.0

    x = previous + rng.normal(0, 20, previous.shape).astype(np.float32)
    with_mask = graph.f_outputs([x])
    expected = weight * np.sum(mask[None, :, :, None] * (x.astype(np.float64) - previous) ** 2)
    assert float(with_mask[-1]) == pytest.approx(expected, rel=1e-5)
    temporal_painter.temporal.set_previous(previous, np.zeros_like(mask))
    without = graph.f_outputs([x])
    assert float(without[-1]) == 0.0
    # Same content, style and smoothness gradient; the temporal term adds 2 w c (x - previous).
    added = with_mask[1] - without[1]
    assert np.all(added[0][mask == 0] == 0)
    scale = np.abs(without[1]).max()
    np.testing.assert_allclose(added, 2 * weight * mask[None, :, :, None] * (x - previous),
                               atol=1e-5 * scale)


# --- 4. the flicker measure -----------------------------------------------------------------
def test_temporal_error_of_a_still_scene_is_the_rms_of_frame_differences():
    contents = [texture(32, 48)] * 4  # nothing moves: the warp is the identity, the mask 1
    rng = np.random.default_rng(5)
    painted = [rng.integers(0, 256, (32, 48, 3), dtype=np.uint8) for _ in range(4)]
    differences = [painted[t].astype(np.float64) - painted[t - 1] for t in range(1, 4)]
    expected = np.sqrt(np.mean(np.square(differences)))
    assert temporal_error(painted, contents) == pytest.approx(expected, rel=0.02)


def test_temporal_error_is_zero_for_a_painting_that_moves_with_the_clip():
    contents = panning_frames(4, shape=(40, 48), step=2)
    assert temporal_error(contents, contents) < 2.0
    shuffled = [contents[0], contents[2], contents[1], contents[3]]
    assert temporal_error(shuffled, contents) > 10.0


# --- 5. video files in and out --------------------------------------------------------------
@pytest.mark.parametrize("suffix, fps", [(".mp4", 12.0), (".gif", 10.0), (".gif", 8.0)])
@pytest.mark.slow
def test_writing_and_reading_a_clip_round_trips_frames_size_and_rate(tmp_path, suffix, fps):
    frames = panning_frames(5, shape=(32, 48))
    path = tmp_path / f"clip{suffix}"
    clips.write_video(path, frames, fps)
    assert not list(tmp_path.glob(".*partial*"))
    clip = clips.read_clip(path, 48)
    assert len(clip.frames) == clip.total == 5
    assert clip.frames[0].shape == (32, 48, 3) and clip.original_size == (48, 32)
    # A GIF stores whole hundredths of a second: 8 fps becomes 13, 12, 13, 12, 13.
    assert clip.fps == pytest.approx(fps, abs=0.01 if suffix == ".mp4" else 0.1)
    # Lossy (H.264 and yuv420p keep colour at half size; a GIF has 256 colours), but the
    # same pictures: brightness within a few levels.
    grey = lambda image: cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(float)
    error = np.mean([np.abs(grey(a) - grey(b)).mean() for a, b in zip(clip.frames, frames)])
    assert error < 4, error
    if suffix == ".mp4":
        log = probe(path)
        assert "h264" in log and "yuv420p" in log and "Audio" not in log


@pytest.mark.slow
def test_an_mp4_keeps_the_clips_sound(tmp_path):
    source = tmp_path / "with_sound.mp4"
    run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i",
         "testsrc=size=48x32:rate=10", "-f", "lavfi", "-i", "sine=frequency=440",
         "-t", "1", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", str(source)],
        timeout=60, check=True)
    clip = clips.read_clip(source, 48)
    assert clip.has_audio and len(clip.frames) == 10 and clip.fps == 10
    clips.write_video(tmp_path / "painted.mp4", clip.frames[:5], clip.fps, audio_from=source)
    log = probe(tmp_path / "painted.mp4")
    assert "Audio: aac" in log
    duration = re.search(r"Duration: (\d+):(\d+):([\d.]+)", log).groups()
    assert float(duration[2]) < 0.8  # cut to the 5 frames' half second, not the full second


def test_a_folder_of_frames_is_read_in_name_order(tmp_path):
    frames = panning_frames(11, shape=(32, 48))
    for i, frame in enumerate(frames):
        files.save_image(tmp_path / f"f{i + 1}.png", frame)  # f10 after f9, not after f1
    (tmp_path / "notes.txt").write_text("not a frame")
    clip = clips.read_clip(tmp_path, 48, max_frames=4)
    assert clip.total == 11 and len(clip.frames) == 4 and clip.fps == frame_rates.FOLDER_FPS
    for read, made in zip(clip.frames, frames):
        np.testing.assert_array_equal(read, made)
    assert [p.name for p in sorted(tmp_path.glob("*.png"), key=files.natural_key)][8:10] == [
        "f9.png", "f10.png"]


# --- 6. a whole run: one graph, the outputs, resuming ---------------------------------------
def counting(monkeypatch, module, name):
    calls = []
    original = getattr(module, name)

    def counted(*args, **kwargs):
        calls.append(name)
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)
    return calls


@pytest.mark.slow
def test_a_three_frame_clip_builds_the_graph_once(tmp_path, clip, monkeypatch, capsys):
    builds = counting(monkeypatch, st, "build_loss_and_grads")
    networks = counting(monkeypatch, st, "vgg16")
    output = tmp_path / "painted.mp4"
    assert video.main([str(clip), STYLE, *QUICK, "--output", str(output)]) == 0
    out = capsys.readouterr().out
    assert len(builds) == 1 and len(networks) == 1
    assert [int(n) for n in re.findall(r"Frame (\d)/3: loss", out)] == [1, 2, 3]
    meta, frames = decoded_frames(output)
    assert len(frames) == 3 and meta["size"] == (48, 32) and meta["fps"] == 6
    assert "yuv420p" in meta["pix_fmt"]
    meta, previews = decoded_frames(tmp_path / "painted_side_by_side.mp4")
    assert len(previews) == 3 and meta["size"] == (48 + 8 + 48, 32)
    folder = tmp_path / "painted_frames"
    assert sorted(p.name for p in folder.glob("frame_*.png")) == [
        "frame_00001.png", "frame_00002.png", "frame_00003.png"]
    record = json.loads((folder / "run.json").read_text())
    assert [f["frame"] for f in record["frames"]] == [1, 2, 3]
    assert record["frames"][0]["evaluations"] >= 20  # the first from scratch
    assert all(f["parts"]["temporal"] > 0 for f in record["frames"][1:])
    assert record["frames"][0]["parts"]["temporal"] == 0
    for painted in frames:
        assert painted.std() > 5  # a picture, not a flat colour


@pytest.mark.slow
def test_running_again_resumes_after_the_last_finished_frame(tmp_path, clip, capsys):
    output = tmp_path / "resumed.gif"
    assert video.main([str(clip), STYLE, *QUICK, "--frames", "2", "--output", str(output)]) == 0
    assert len(decoded_frames(output)[1]) == 2
    folder = tmp_path / "resumed_frames"
    first_two = [(folder / f"frame_0000{i}.png").read_bytes() for i in (1, 2)]
    capsys.readouterr()

    assert video.main([str(clip), STYLE, *QUICK, "--output", str(output)]) == 0
    out = capsys.readouterr().out
    assert "Carrying on after frame 2" in out
    assert re.findall(r"Frame (\d)/3: loss", out) == ["3"]
    assert [(folder / f"frame_0000{i}.png").read_bytes() for i in (1, 2)] == first_two
    assert len(decoded_frames(output)[1]) == 3

    # Other settings would mix two paintings in one film: refused, unless --fresh.
    status = video.main([str(clip), STYLE, *QUICK, "--tv-weight", "2", "--output", str(output)])
    assert_one_line_error(status, capsys.readouterr().err, "--tv-weight 1.0 then, 2.0 now",
                          "--fresh")
    assert video.main([str(clip), STYLE, *QUICK, "--tv-weight", "2", "--fresh",
                    "--output", str(output)]) == 0
    assert re.findall(r"Frame (\d)/3: loss", capsys.readouterr().out) == ["1", "2", "3"]


@pytest.mark.slow
def test_preserve_color_keeps_the_clips_colours_and_chains_on_the_painting(tmp_path, clip):
    output = tmp_path / "colours.mp4"
    assert video.main([str(clip), STYLE, *QUICK, "--frames", "2", "--preserve-color",
                    "--output", str(output)]) == 0
    folder = tmp_path / "colours_frames"
    contents = clips.read_clip(clip, 48).frames
    for index in range(2):
        shown = files.load_image(frame_files.frame_path(folder, index))
        painted = files.load_image(frame_files.frame_path(frame_files.style_colors_folder(folder),
                                                          index))
        # YIQ: the painting's brightness (Y), the clip's colour (I and Q), up to rounding,
        # except where a colour fell outside RGB and was clipped to 0 or 255.
        yiq = lambda image: image.astype(float) @ colors.RGB_TO_YIQ.T
        unclipped = np.all((shown > 0) & (shown < 255), axis=-1)
        assert unclipped.mean() > 0.9
        np.testing.assert_allclose(yiq(shown)[unclipped][:, 0], yiq(painted)[unclipped][:, 0],
                                   atol=1.5)
        np.testing.assert_allclose(yiq(shown)[unclipped][:, 1:],
                                   yiq(contents[index])[unclipped][:, 1:], atol=1.5)
        assert np.abs(yiq(painted)[..., 1:] - yiq(contents[index])[..., 1:]).mean() > 5


@pytest.mark.parametrize("mode", ["luminance", "match-sym"])
@pytest.mark.slow
def test_the_stills_colour_modes_work_for_video(tmp_path, clip, mode):
    output = tmp_path / "colours.mp4"
    assert video.main([str(clip), STYLE, *QUICK, "--frames", "2", "--preserve-color", mode,
                    "--output", str(output)]) == 0
    folder = tmp_path / "colours_frames"
    contents = clips.read_clip(clip, 48).frames
    yiq = lambda image: image.astype(float) @ colors.RGB_TO_YIQ.T
    for index in range(2):
        shown = files.load_image(frame_files.frame_path(folder, index))
        if mode == "luminance":  # painted in brightness, then the clip's colours put back
            assert frame_files.frame_path(frame_files.style_colors_folder(folder), index).exists()
            unclipped = np.all((shown > 0) & (shown < 255), axis=-1)
            np.testing.assert_allclose(yiq(shown)[unclipped][:, 1:],
                                       yiq(contents[index])[unclipped][:, 1:], atol=1.5)
        else:  # the painting recoloured before the run: the frames are kept as painted
            assert not frame_files.style_colors_folder(folder).exists()
            assert shown.std() > 5


# --- 7. bad input ---------------------------------------------------------------------------
def make_bad_input(tmp_path, kind):
    if kind == "text":
        path = tmp_path / "notes.mp4"
        path.write_text("this is not a film\n")
    elif kind == "sound":
        path = tmp_path / "tone.wav"
        run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i",
             "sine=frequency=440", "-t", "0.5", str(path)], timeout=60, check=True)
    elif kind == "cut short":  # the header says H.264 frames follow; they were cut off
        whole = tmp_path / "whole.mp4"
        clips.write_video(whole, panning_frames(8, shape=(64, 96)), 8)
        path = tmp_path / "cut.mp4"
        data = whole.read_bytes()
        path.write_bytes(data[:data.index(b"mdat") + 40])
    elif kind == "empty folder":
        path = tmp_path / "frames"
        path.mkdir()
        (path / "readme.txt").write_text("no pictures here")
    elif kind == "mixed sizes":
        path = tmp_path / "frames"
        path.mkdir()
        files.save_image(path / "1.png", texture(32, 48))
        files.save_image(path / "2.png", texture(40, 48))
    elif kind == "missing":
        path = tmp_path / "nowhere.mp4"
    elif kind == "too thin":  # 48 px wide is only 8 px high: VGG16 needs 32
        path = tmp_path / "strip.mp4"
        clips.write_video(path, [np.zeros((32, 192, 3), np.uint8)] * 2, 8)
    return path


@pytest.mark.parametrize("kind, words", [
    ("text", ["notes.mp4", "not a video ffmpeg can read"]),
    ("sound", ["tone.wav", "only sound"]),
    ("cut short", ["cut.mp4", "cannot decode its frames (the file is cut short)"]),
    ("empty folder", ["frames", "no frames"]),
    ("mixed sizes", ["2.png", "same size"]),
    ("missing", ["nowhere.mp4", "no such file"]),
    ("too thin", ["--size 48", "VGG16 needs at least 32"]),
])
@pytest.mark.slow
def test_bad_clips_are_one_line_and_status_2(tmp_path, capsys, kind, words):
    path = make_bad_input(tmp_path, kind)
    status = video.main([str(path), STYLE, *QUICK, "--output", str(tmp_path / "out.mp4")])
    assert_one_line_error(status, capsys.readouterr().err, *words)
    assert not (tmp_path / "out.mp4").exists() and not (tmp_path / "out_frames").exists()


@pytest.mark.parametrize("options, words", [
    (["--output", "{tmp}/out.avi"], ["out.avi", ".mp4 or .gif"]),
    (["--output", "{tmp}/out.gif", "--fps", "60"], ["60 frames a second", ".gif"]),
    (["--output", "{clip}"], ["would overwrite the clip"]),
])
@pytest.mark.slow
def test_bad_outputs_are_one_line_and_status_2(tmp_path, clip, capsys, options, words):
    options = [o.format(tmp=tmp_path, clip=clip) for o in options]
    status = video.main([str(clip), STYLE, *QUICK, *options])
    assert_one_line_error(status, capsys.readouterr().err, *words)


def test_a_bad_option_is_a_usage_line(capsys):
    with pytest.raises(SystemExit) as stop:
        video.main(["clip.mp4", STYLE, "--start", "sideways"])
    assert_one_line_error(stop.value.code, capsys.readouterr().err, "--start", "invalid choice")


# --- 8. the real program: exit statuses and Ctrl-C ------------------------------------------
@pytest.mark.slow
def test_not_a_video_exits_2_with_one_line(tmp_path):
    path = make_bad_input(tmp_path, "text")
    result = run([sys.executable, VIDEO_SCRIPT, str(path), STYLE, "--output",
                  str(tmp_path / "out.mp4")], timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"error: {path}: not a video ffmpeg can read (Invalid data found when processing "
        "input)"]


@pytest.mark.slow
def test_ctrl_c_while_starting_is_one_line(tmp_path, clip):
    process = Child.script(str(clip), STYLE, "--output", str(tmp_path / "out.mp4"),
                           script=VIDEO_SCRIPT)
    time.sleep(0.5)  # numpy, scipy or TensorFlow are loading
    process.send_signal(signal.SIGINT)
    status, _, err = process.finish(timeout=60)
    assert status == 130
    assert err.strip().splitlines() == [
        "Interrupted before painting started: nothing new was saved"]


@pytest.mark.slow
def test_ctrl_c_writes_the_video_of_the_frames_done_and_exits_130(tmp_path):
    clip = tmp_path / "six.mp4"
    clips.write_video(clip, panning_frames(6), 6)
    output = tmp_path / "stopped.mp4"
    process = Child.script(str(clip), STYLE, *QUICK, "--start", "noise", "--iterations", "2",
                           "--output", str(output), script=VIDEO_SCRIPT)
    process.read_until("Frame 2/6", timeout=120)
    process.send_signal(signal.SIGINT)  # inside frame 3
    status, _, err = process.finish(timeout=60)
    assert status == 130, err
    assert "Traceback" not in err
    finished = len(list((tmp_path / "stopped_frames").glob("frame_*.png")))
    assert 2 <= finished < 6
    assert err.strip().splitlines()[-1] == (
        f"Interrupted: the video of frames 1 to {finished} is in {output}; run the same "
        "command again to carry on")
    meta, frames = decoded_frames(output)  # complete and playable
    assert len(frames) == finished and meta["size"] == (48, 32)
    assert not list(tmp_path.glob(".*partial*"))


# --- a finished clip ends 0, whatever signal comes after its last line (as a still: test_shutdown)
@pytest.mark.slow
@pytest.mark.parametrize("stop", [signal.SIGHUP, signal.SIGINT])
def test_a_video_that_finished_ends_0_whatever_comes_after(tmp_path, stop):
    frames = tmp_path / "frames"
    frames.mkdir()
    from PIL import Image
    photo = Image.open(CONTENT).convert("RGB")
    for i in range(2):
        photo.crop((i * 4, 0, 200 + i * 4, 150)).save(frames / f"f{i}.png")
    command = [sys.executable, str(ROOT / "style_video.py"), str(frames), STYLE, "--size", "48",
               "--fast", "--iterations", "1", "--later-iterations", "1",
               "--output", str(tmp_path / "v.mp4")]
    status, err = finished_then_signalled(command, stop, 0.0)
    assert status == 0 and "Interrupted" not in err and "Traceback" not in err, err


@pytest.mark.slow
def test_a_clip_paints_with_the_painted_recipes_w2_loss(tmp_path, clip, capsys):
    output = tmp_path / "painted.mp4"
    assert video.main([str(clip), STYLE, *QUICK, "--recipe", "painted", "--output",
                       str(output)]) == 0
    said = capsys.readouterr().out
    assert said.startswith("recipe painted (--style-loss w2")
    record = json.loads((tmp_path / "painted_frames" / "run.json").read_text())
    assert all(f["parts"]["temporal"] > 0 for f in record["frames"][1:])
    _, frames = decoded_frames(output)
    assert len(frames) == 3 and all(frame.std() > 5 for frame in frames)
