"""Bad moments, fourth trial: what a new user found in masks, clips, stops and writes, each
case and its siblings."""
import subprocess
import sys
import time

import numpy as np
import pytest
from PIL import Image

from painter import clips, files, inputs, startup, video
import style_transfer as st
from helpers import CONTENT, ROOT, STYLE, assert_one_line_error, main_says


def disc(shape, radius, centre=None):
    height, width = shape
    cy, cx = centre or (height / 2, width / 2)
    y, x = np.mgrid[:height, :width]
    return (x - cx) ** 2 + (y - cy) ** 2 < radius ** 2


# -- masks: transparency means "not here"; a region too small for a layer is refused -----------
def test_a_mask_drawn_on_a_transparent_layer_counts_its_transparent_part_as_black(tmp_path):
    inside = disc((30, 40), 9)
    rgba = np.zeros((30, 40, 4), np.uint8)
    rgba[inside] = 255                     # a white disc, opaque; elsewhere white-ish but clear
    rgba[~inside, :3] = 255
    rgba[4:8, 4:8, 3] = 128                # and a half-transparent white patch
    Image.fromarray(rgba).save(tmp_path / "layer.png")
    mask = inputs.load_mask(tmp_path / "layer.png")
    expected = inside.astype(float)
    expected[4:8, 4:8] = 128 / 255
    np.testing.assert_allclose(mask, expected, atol=1e-9)
    # A grey picture of the same, without transparency, is read as it looks.
    Image.fromarray((expected * 255).round().astype(np.uint8)).save(tmp_path / "grey.png")
    np.testing.assert_allclose(inputs.load_mask(tmp_path / "grey.png"), expected, atol=1 / 255)


def test_a_mask_whose_white_region_is_too_small_for_a_layer_is_refused_before_any_work(
        tmp_path, capsys):
    dot = np.zeros((300, 451), np.uint8)
    dot[150, 225] = 255  # one white pixel: gone by the time the mask reaches deeper layers
    Image.fromarray(dot).save(tmp_path / "dot.png")
    output = tmp_path / "out" / "o.png"
    status, err = main_says([CONTENT, STYLE, "--style-masks", str(tmp_path / "dot.png"),
                             "--size", "64", "--fast", "--output", str(output)], capsys)
    line = assert_one_line_error(status, err, "--style-masks", "too small", "at least")
    assert any(layer in line for layer in st.STYLE_LAYERS)
    assert not output.parent.exists()  # refused before anything was made


@pytest.mark.slow
def test_the_smallest_region_the_refusal_names_paints(tmp_path, capsys):
    dot = np.zeros((300, 451), np.uint8)
    dot[150, 225] = 255
    Image.fromarray(dot).save(tmp_path / "dot.png")
    status, err = main_says([CONTENT, STYLE, "--style-masks", str(tmp_path / "dot.png"),
                             "--size", "64", "--fast", "--output", str(tmp_path / "o.png")],
                            capsys)
    least = int(err[0].split("at least ")[1].split("x")[0])
    region = disc((300, 451), least / 2 + 1, centre=(150, 225)).astype(np.uint8) * 255
    Image.fromarray(region).save(tmp_path / "region.png")
    status, err = main_says([CONTENT, STYLE, "--style-masks", str(tmp_path / "region.png"),
                             "--size", "64", "--fast", "--iterations", "1", "--no-extras",
                             "--output", str(tmp_path / "o.png")], capsys)
    assert status == 0, err


# -- pictures: the file's bit depth, not its values --------------------------------------------
@pytest.mark.parametrize("suffix", [".png", ".tif"])
def test_a_16_bit_picture_with_small_values_is_dark_not_8_bit(tmp_path, suffix):
    values = (np.arange(12 * 16).reshape(12, 16) % 251).astype(np.uint16)  # all at most 250
    Image.fromarray(values).save(tmp_path / f"dark{suffix}")
    image = files.load_image(tmp_path / f"dark{suffix}")
    expected = np.clip(values / 65535 * 255 + 0.5, 0, 255).astype(np.uint8)  # 0 or 1: dark
    np.testing.assert_array_equal(image[:, :, 0], expected)
    assert image.max() <= 1


# -- video: a rate a writer would refuse, a clip cut short -------------------------------------
@pytest.mark.parametrize("fps, output", [("0.0001", "v.mp4"), ("0.0001", "v.gif"),
                                         ("0.001", "v.gif")])
def test_a_frame_rate_no_video_can_hold_is_refused_before_the_clip_is_read(tmp_path, capsys,
                                                                          fps, output):
    status, err = main_says(["no-such-clip.mp4", STYLE, "--fps", fps,
                             "--output", str(tmp_path / "new" / output)], capsys, video.main)
    assert_one_line_error(status, err, "--fps", "ten minutes")
    assert not (tmp_path / "new").exists()


def frames_of(count, shape=(48, 64)):
    rng = np.random.default_rng(0)
    base = rng.integers(0, 256, (shape[0], shape[1] + count, 3), dtype=np.uint8)
    return [np.ascontiguousarray(base[:, i:i + shape[1]]) for i in range(count)]


@pytest.mark.slow
@pytest.mark.parametrize("kind, remux", [
    (".mp4", ["-movflags", "+faststart"]),                     # as ours: the index in front
    (".mov", ["-movflags", "+faststart"]),                     # a phone's
    (".mkv", []), (".webm", ["-c:v", "libvpx-vp9", "-b:v", "200k"]),
    (".mp4", ["-movflags", "-faststart"])])                    # the index at the end
def test_a_clip_cut_short_is_refused_whatever_its_container(tmp_path, kind, remux):
    made = tmp_path / "made.mp4"
    clips.write_video(made, frames_of(24), 8.0)
    whole = tmp_path / f"whole{kind}"
    subprocess.run([clips.imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(made),
                    *(remux if "-c:v" in remux else ["-c", "copy", *remux]), str(whole)],
                   check=True, timeout=120)
    assert len(clips.read_clip(whole, 64).frames) == 24
    data = whole.read_bytes()
    cut = tmp_path / f"cut{kind}"
    cut.write_bytes(data[:int(len(data) * 0.6)])
    with pytest.raises(startup.UserError) as refused:  # never painted as a shorter clip
        clips.read_clip(cut, 64)
    if remux != ["-movflags", "-faststart"]:  # with the index at the end it is unreadable
        assert "cut short" in str(refused.value)


# -- writes: two programs writing one output, a reader never sees half a file ------------------
WRITER = """
import sys, numpy as np
sys.path.insert(0, {root!r})
from painter import files
rng = np.random.default_rng(int(sys.argv[1]))
for _ in range(40):
    files.save_image(sys.argv[2], rng.integers(0, 256, (120, 160, 3), dtype=np.uint8))
"""


@pytest.mark.slow
def test_two_programs_writing_one_output_never_leave_a_broken_file(tmp_path):
    output = tmp_path / "shared.png"
    files.save_image(output, np.zeros((120, 160, 3), np.uint8))
    code = WRITER.format(root=str(ROOT))
    writers = [subprocess.Popen([sys.executable, "-c", code, str(seed), str(output)],
                                stderr=subprocess.PIPE) for seed in (1, 2)]
    reads = 0
    deadline = time.time() + 120
    while any(w.poll() is None for w in writers) and time.time() < deadline:
        with Image.open(output) as image:  # whichever picture is there, complete
            image.load()
            assert image.size == (160, 120)
        reads += 1
    for writer in writers:
        _, err = writer.communicate(timeout=60)
        assert writer.returncode == 0, err.decode()
    assert reads > 10
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shared.png"]  # no temporary left


# -- a refusal leaves nothing behind -----------------------------------------------------------
@pytest.mark.parametrize("extra", [["--init", "no-such-start.png"],
                                   ["--weights", "no-such-weights.h5"]])
def test_a_refused_still_leaves_no_folder_behind(tmp_path, capsys, extra):
    output = tmp_path / "new" / "deeper" / "o.png"
    status, err = main_says([CONTENT, STYLE, *extra, "--output", str(output)], capsys)
    assert_one_line_error(status, err)
    assert list(tmp_path.iterdir()) == []


def test_a_refused_video_leaves_no_folder_behind(tmp_path, capsys):
    output = tmp_path / "new" / "v.mp4"
    status, err = main_says([str(tmp_path / "no-such-clip.mp4"), STYLE,
                             "--output", str(output)], capsys, video.main)
    assert_one_line_error(status, err, "no such file")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_an_earlier_runs_later_iterations_are_removed_at_the_end_not_the_start(
        tmp_path, capsys, monkeypatch):
    # Not at the start: another run writing the same OUTPUT meanwhile keeps its pictures.
    steps = tmp_path / "o_iterations"
    steps.mkdir()
    for i in range(1, 6):  # an earlier, longer run's
        files.save_image(steps / f"iteration_{i:03d}.png", np.zeros((8, 8, 3), np.uint8))
    seen_while_painting = []
    save_image = files.save_image

    def noting(path, image):  # what another run watching the folder would see meanwhile
        seen_while_painting.append((steps / "iteration_005.png").exists())
        save_image(path, image)

    monkeypatch.setattr(files, "save_image", noting)
    status, err = main_says([CONTENT, STYLE, "--size", "48", "--fast", "--iterations", "2",
                             "--no-extras", "--output", str(tmp_path / "o.png")], capsys)
    assert status == 0, err
    assert seen_while_painting and all(seen_while_painting)
    assert sorted(p.name for p in steps.iterdir()) == ["iteration_001.png", "iteration_002.png"]
    assert files.load_image(steps / "iteration_002.png").shape == (32, 48, 3)  # this run's
