"""A finished run ends 0, always: a stop signal after the last line is ignored (issue: a
hang-up while TensorFlow shut down used to end a finished video with "Interrupted before
painting started" and 130, and a Ctrl-C a finished still with -2)."""
import signal
import sys

import pytest

from helpers import CONTENT, ROOT, STYLE, finished_then_signalled

pytestmark = [pytest.mark.slow, pytest.mark.lesson]


@pytest.mark.parametrize("stop, delay", [(signal.SIGHUP, 0.0), (signal.SIGINT, 0.0),
                                         (signal.SIGTERM, 0.05), (signal.SIGHUP, 0.2)])
def test_a_still_that_finished_ends_0_whatever_comes_after(tmp_path, stop, delay):
    command = [sys.executable, str(ROOT / "style_transfer.py"), CONTENT, STYLE, "--size", "48",
               "--fast", "--iterations", "1", "--output", str(tmp_path / "o.png")]
    status, err = finished_then_signalled(command, stop, delay)
    assert status == 0 and "Interrupted" not in err and "Traceback" not in err, err
