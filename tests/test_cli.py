"""The command line as a learner meets it: help, mistakes, and a real (tiny) run."""
import os
import re
import signal
import time

import imageio.v3 as iio
import numpy as np
import pytest

from helpers import CONTENT, ROOT, STYLE, Child, assert_one_line_error, run_script

# Every test here runs the script as a learner does, in a process of its own.
pytestmark = [pytest.mark.slow, pytest.mark.lesson]


def test_help_lists_every_option_with_its_default():
    result = run_script("--help")
    assert result.returncode == 0
    for option in ["--output", "--size", "--iterations", "--content-weight", "--style-weight",
                   "--tv-weight", "--weights", "--seed"]:
        assert option in result.stdout
    for default in ["512", "imagenet", "tutorial"]:
        assert f"default: {default}" in result.stdout
    text = " ".join(result.stdout.split())  # the recipes' values, as argparse wraps them
    for default in ["tutorial 0.025,", "tutorial 5,", "tutorial 1,", "tutorial block2_conv2,"]:
        assert default in text


def test_missing_content_file(tmp_path):
    missing = str(tmp_path / "nope.jpg")
    result = run_script(missing, STYLE, "--output", str(tmp_path / "o.png"))
    assert_one_line_error(result.returncode, result.stderr, missing, "no such file")


def test_style_file_that_is_not_an_image(tmp_path):
    fake = tmp_path / "notes.png"
    fake.write_text("this is not a picture\n")
    result = run_script(CONTENT, str(fake), "--output", str(tmp_path / "o.png"))
    assert_one_line_error(result.returncode, result.stderr, str(fake), "not a readable image")
    assert not (tmp_path / "o.png").exists()


@pytest.mark.parametrize("flag, value", [("--size", "16"), ("--iterations", "0"),
                                         ("--style-weight", "-1"), ("--tv-weight", "nan")])
def test_bad_numbers_are_usage_errors_naming_the_flag(flag, value):
    result = run_script(CONTENT, STYLE, flag, value)
    assert result.returncode == 2
    assert flag in result.stderr and "Traceback" not in result.stderr


def test_quick_given_its_own_iterations_is_one_line(tmp_path):
    # --quick looks for a GPU; TensorFlow's notice about finding none must not reach stderr
    result = run_script(CONTENT, STYLE, "--quick", "--iterations", "2")
    assert_one_line_error(result.returncode, result.stderr, "--quick", "--iterations")


def test_unknown_output_extension_is_refused_before_any_work(tmp_path):
    result = run_script(CONTENT, STYLE, "--output", str(tmp_path / "out.txt"))
    assert_one_line_error(result.returncode, result.stderr, "--output", ".png")


def test_a_tiny_run_lowers_the_loss_and_writes_a_valid_image(tmp_path):
    output = tmp_path / "result.png"
    result = run_script(CONTENT, STYLE, "--size", "64", "--iterations", "3", "--seed", "1",
                        "--output", str(output))
    assert result.returncode == 0, result.stderr
    start = float(re.search(r"Start: loss (\S+)", result.stdout).group(1))
    losses = [float(v) for v in re.findall(r"Iteration \d+/3: loss (\S+),", result.stdout)]
    assert len(losses) == 3
    assert losses[0] < start and losses[-1] < losses[0]
    assert all(b <= a for a, b in zip(losses, losses[1:]))

    image = iio.imread(output)
    assert image.shape == (43, 64, 3) and image.dtype == np.uint8  # 451x300 photo, longer side 64
    assert image.std() > 5  # not a flat grey or black
    steps = sorted(p.name for p in (tmp_path / "result_iterations").iterdir())
    assert steps == ["iteration_001.png", "iteration_002.png", "iteration_003.png"]
    np.testing.assert_array_equal(iio.imread(tmp_path / "result_iterations" / steps[-1]), image)

    # The GIF: one frame per iteration, the last one the result.
    frames = iio.imread(tmp_path / "result.gif", index=None)
    assert frames.shape[0] == 3 and frames.shape[1:3] == (43, 64)
    # The sheet: photo, painting and result side by side at the result's height.
    sheet = iio.imread(tmp_path / "result_sheet.png")
    tiles = [resized(CONTENT, (43, 65)), resized(STYLE, (43, 43)), image]
    assert sheet.shape == (43, sum(t.shape[1] for t in tiles) + 8 * 2, 3)
    left = 0
    for tile in tiles:
        np.testing.assert_array_equal(sheet[:, left:left + tile.shape[1]], tile)
        left += tile.shape[1] + 8


def resized(path, shape):
    from PIL import Image
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB").resize(shape[::-1], Image.LANCZOS))


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "kill"])
def test_stopping_a_run_keeps_the_best_image_so_far(tmp_path, stop):
    output = tmp_path / "stopped.png"
    process = Child.script(CONTENT, STYLE, "--size", "64", "--iterations", "500",
                           "--output", str(output))
    process.read_until("Iteration 2/", timeout=240)
    time.sleep(0.5)  # somewhere inside iteration 3
    process.send_signal(stop)
    status, _, err = process.finish(timeout=120)
    assert status == 130
    assert "Traceback" not in err and f"best image so far is in {output}" in err
    image = iio.imread(output)  # complete and valid
    assert image.shape == (43, 64, 3) and image.std() > 5
    assert not list(tmp_path.glob(".*partial*"))
    assert (tmp_path / "stopped.gif").exists()


def stopped_after_painting_line(output, delay, stop, *argv):
    """Start a tiny run, wait for its "Painting ..." line (VGG16 is built next), wait `delay`
    seconds more, send `stop`; return the exit status and the lines on stderr."""
    process = Child.script(CONTENT, STYLE, "--size", "64", "--fast", "--iterations", "1",
                           "--no-extras", "--output", str(output), *argv)
    process.read_until("Painting", timeout=180)
    time.sleep(delay)
    process.send_signal(stop)
    status, _, err = process.finish(timeout=120)
    return status, err.strip().splitlines()


def test_a_stop_at_any_moment_around_the_graph_build_is_exit_130_and_one_line(tmp_path):
    # 24 moments from the "Painting" line to well into the first evaluations (building VGG16
    # and the fast graph takes about a second at this size), three runs at a time. Each must
    # end with 130 and one line: nothing saved before the first picture, its path after;
    # never a weights error (TensorFlow's C++ used to report an interrupt inside it as one),
    # never a traceback, never ignored.
    from concurrent.futures import ThreadPoolExecutor
    # The calibration: how long from the "Painting" line to the first picture, whose loss the
    # "Start: loss" line prints (the graph is built and evaluated once). Stopped then, it
    # must keep that picture: the other side of the first picture, made certain.
    calibration_output = tmp_path / "calibration.png"
    calibration = Child.script(CONTENT, STYLE, "--size", "64", "--fast", "--iterations", "500",
                               "--no-extras", "--output", str(calibration_output))
    calibration.read_until("Painting", timeout=180)
    began = time.time()
    calibration.read_until("Start: loss", timeout=180)
    build = time.time() - began
    calibration.read_until("Iteration 1/", timeout=180)  # a picture painted: it is kept
    calibration.send_signal(signal.SIGINT)
    status, _, err = calibration.finish(timeout=120)
    assert status == 130, err
    assert f"the best image so far is in {calibration_output}" in err, err
    assert iio.imread(calibration_output).shape == (43, 64, 3)
    moments = [1.25 * build * i / 23 for i in range(24)]
    signals = [signal.SIGINT, signal.SIGTERM, signal.SIGHUP]
    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(
            lambda i: stopped_after_painting_line(tmp_path / f"run{i}.png", moments[i],
                                                  signals[i % 3]),
            range(len(moments))))
    for i, (status, lines) in enumerate(results):
        output = tmp_path / f"run{i}.png"
        assert status == 130, (moments[i], lines)
        assert len(lines) == 1 and lines[0].startswith("Interrupted"), (moments[i], lines)
        if "nothing was saved" in lines[0]:
            assert not output.exists()
        else:
            assert f"the best image so far is in {output}" in lines[0], (moments[i], lines)
            assert iio.imread(output).shape == (43, 64, 3)
    # A stop the moment the run says "Painting" lands while VGG16 is still being built:
    # nothing to keep yet, and the learner is told so.
    assert "nothing was saved" in results[0][1][0], results[0]
    assert not list(tmp_path.glob(".*partial*"))


@pytest.mark.parametrize("stop, delay", [
    (signal.SIGINT, 0.1), (signal.SIGINT, 0.5), (signal.SIGINT, 1.5), (signal.SIGINT, 3.0),
    (signal.SIGTERM, 0.5),
])
def test_stopping_while_starting_up_is_one_line_not_a_traceback(tmp_path, stop, delay):
    # Up to a second or two lands while numpy, scipy or TensorFlow are still importing; later
    # ones while VGG16 is being built, or in the first iteration.
    output = tmp_path / "never.png"
    process = Child.script(CONTENT, STYLE, "--size", "64", "--output", str(output))
    time.sleep(delay)
    process.send_signal(stop)
    status, _, err = process.finish(timeout=120)
    assert status == 130, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Interrupted"), err
    if delay < 1:
        assert "before painting started: nothing was saved" in lines[0]
    assert not list(tmp_path.glob(".*partial*"))


def test_an_odd_file_name_and_a_closed_stdout_do_not_stop_the_painting(tmp_path):
    # A file name that is not UTF-8 (an old camera, a Windows zip) printed to a strict UTF-8
    # terminal, and a reader that goes away after one line (`| head -1`).
    photo = tmp_path / bytes.fromhex("6361748e2e706e67").decode(errors="surrogateescape")
    photo.write_bytes((ROOT / "images" / "chelsea.png").read_bytes())
    output = tmp_path / "painted.png"
    process = Child.script(str(photo), STYLE, "--size", "48", "--iterations", "2",
                           "--output", str(output),
                           env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    process.read_until("", timeout=120)  # the first line, whatever it is
    process.close_stdout()
    status, _, err = process.finish(timeout=240)
    assert status == 0, err
    assert "Traceback" not in err
    assert iio.imread(output).shape == (32, 48, 3)


def test_a_loss_that_overflows_stops_with_a_clear_message(tmp_path):
    # 1e39 is a fine number for Python but overflows float32: the loss becomes infinite.
    result = run_script(CONTENT, STYLE, "--size", "64", "--style-weight", "1e39",
                 "--output", str(tmp_path / "inf.png"))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "inf" in lines[0] and "Traceback" not in result.stderr
