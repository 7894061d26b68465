"""A finished run ends 0, always: a stop signal after the last line is ignored (issue: a
hang-up while TensorFlow shut down used to end a finished video with "Interrupted before
painting started" and 130, and a Ctrl-C a finished still with -2)."""
import signal
import subprocess
import sys
import time

import pytest

from conftest import ROOT, as_from_a_terminal

CONTENT = str(ROOT / "images" / "chelsea.png")
STYLE = str(ROOT / "images" / "swirls.png")

pytestmark = pytest.mark.slow


def finished_then_signalled(command, last, stop, delay):
    """Run `command` until it prints a line starting with `last`, wait `delay`, send `stop`;
    the exit status and what it wrote to stderr."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, cwd=ROOT, preexec_fn=as_from_a_terminal)
    seen = []
    deadline = time.time() + 120
    for line in process.stdout:
        seen.append(line)
        if line.startswith(last) or time.time() > deadline:
            break
    assert seen and seen[-1].startswith(last), "".join(seen) + process.stderr.read()
    time.sleep(delay)
    process.send_signal(stop)
    _, err = process.communicate(timeout=60)
    return process.returncode, err


@pytest.mark.parametrize("stop, delay", [(signal.SIGHUP, 0.0), (signal.SIGINT, 0.0),
                                         (signal.SIGTERM, 0.05), (signal.SIGHUP, 0.2)])
def test_a_still_that_finished_ends_0_whatever_comes_after(tmp_path, stop, delay):
    command = [sys.executable, str(ROOT / "style_transfer.py"), CONTENT, STYLE, "--size", "48",
               "--fast", "--iterations", "1", "--output", str(tmp_path / "o.png")]
    status, err = finished_then_signalled(command, "Also:", stop, delay)
    assert status == 0 and "Interrupted" not in err and "Traceback" not in err, err


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
    status, err = finished_then_signalled(command, "Also:", stop, 0.0)
    assert status == 0 and "Interrupted" not in err and "Traceback" not in err, err
