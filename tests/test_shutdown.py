"""A finished run ends 0, always: a stop signal after the last line is ignored (issue: a
hang-up while TensorFlow shut down used to end a finished video with "Interrupted before
painting started" and 130, and a Ctrl-C a finished still with -2)."""
import signal
import sys
import time

import pytest

from helpers import CONTENT, ROOT, STYLE, Child

pytestmark = [pytest.mark.slow, pytest.mark.lesson]


def finished_then_signalled(command, stop, delay):
    """Run `command` until its last line, "Also: ...", wait `delay`, send `stop`; the exit
    status and what it wrote to stderr."""
    child = Child(command)
    child.read_until("Also:", timeout=120)
    time.sleep(delay)
    child.send_signal(stop)
    status, _, err = child.finish(timeout=60)
    return status, err


@pytest.mark.parametrize("stop, delay", [(signal.SIGHUP, 0.0), (signal.SIGINT, 0.0),
                                         (signal.SIGTERM, 0.05), (signal.SIGHUP, 0.2)])
def test_a_still_that_finished_ends_0_whatever_comes_after(tmp_path, stop, delay):
    command = [sys.executable, str(ROOT / "style_transfer.py"), CONTENT, STYLE, "--size", "48",
               "--fast", "--iterations", "1", "--output", str(tmp_path / "o.png")]
    status, err = finished_then_signalled(command, stop, delay)
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
    status, err = finished_then_signalled(command, stop, 0.0)
    assert status == 0 and "Interrupted" not in err and "Traceback" not in err, err
