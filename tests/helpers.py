"""What the tests share: the project's paths, the one-line-error check, and running the scripts
as a learner does, from a terminal, with every wait bounded.

Import from here, never from conftest (which holds only fixtures and the sys.path set-up).
"""
import os
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

# --- paths ----------------------------------------------------------------------------------
ROOT = Path(__file__).resolve().parent.parent
SCRIPT = str(ROOT / "style_transfer.py")
VIDEO_SCRIPT = str(ROOT / "style_video.py")
IMAGES = ROOT / "images"
CONTENT = str(IMAGES / "chelsea.png")   # the bundled photo, 451x300
STYLE = str(IMAGES / "swirls.png")
MOSAIC = str(IMAGES / "mosaic.png")


# --- memory, measured ------------------------------------------------------------------------
# What one graph really takes, for checking style_transfer's estimate (activation_bytes) against
# a measured figure rather than against itself. Measured 2026-12-01 on this machine: 2 cores
# of an Intel Xeon, 23 GB, Linux; Python 3.11.7, TensorFlow 2.21.0. Each figure is the peak RSS
# (getrusage's ru_maxrss) of a fresh process that builds the graph for the bundled photo and
# evaluates it twice, above that process's peak before the graph (TensorFlow loaded, VGG16's
# weights not yet read: MEASURED_BASELINE_GB), in GB of 10**9 bytes; the larger of two runs:
#     .venv/bin/python tests/measure_memory.py fast 512     (tutorial for the batch of three)
MEASURED_BASELINE_GB = 0.86
MEASURED_PEAK_GB = {  # (graph, --size): GB above the baseline
    ("fast", 512): 0.78,        # 512x341 px, a batch of one (--fast)
    ("fast", 1024): 2.18,       # 1024x681
    ("tutorial", 512): 1.95,    # the tutorial's batch of three
    ("tutorial", 1024): 6.95,
}


def measured_peak_bytes(graph, pixels):
    """The peak (bytes above the baseline) the measurements give `graph` for a picture of the
    bundled photo's shape with `pixels` pixels: the straight line through its 512 and
    1024 px figures (a part that does not grow, VGG16's weights and the graph; a part that
    grows with the pixel count, the activations)."""
    small, large = 512 * 341, 1024 * 681
    low, high = MEASURED_PEAK_GB[graph, 512] * 1e9, MEASURED_PEAK_GB[graph, 1024] * 1e9
    return low + (high - low) * (pixels - small) / (large - small)


# --- the one-line error ---------------------------------------------------------------------
def main_says(argv, capsys, main=None):
    """Run a command line in this process, as `python style_transfer.py ARGV` would (or
    `main`, say painter.video's, instead of the stills' painter.still.main); return (exit
    status, the lines on stderr). argparse's usage errors exit: their status is returned too.
    A traceback on stderr fails the test."""
    if main is None:
        from painter import still
        main = still.main
    try:
        status = main(argv)
    except SystemExit as exit_:  # argparse's usage errors
        status = exit_.code
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    return status, err.strip().splitlines()


def assert_one_line_error(status, err, *words):
    """What a learner's mistake must give: exit status 2, exactly one line on stderr and no
    traceback, the line holding each of `words`. `err` is stderr's text or its lines (as
    main_says returns them). Returns the line."""
    lines = err.strip().splitlines() if isinstance(err, str) else list(err)
    shown = "\n".join(lines)
    assert status == 2, shown
    assert len(lines) == 1, shown
    assert "Traceback" not in shown, shown
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def refused_before_tensorflow(program, argv, *words):
    """`program`.parse_args(argv) in a fresh Python must exit 2 with one line holding each of
    `words`, before TensorFlow is imported. Returns the line."""
    code = (f"import sys\nimport {program} as program\n"
            f"try:\n    program.parse_args({argv!r})\nexcept SystemExit as exit_:\n"
            "    print('STATUS', exit_.code, 'TENSORFLOW', 'tensorflow' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=60)
    assert done.stdout.split() == ["STATUS", "2", "TENSORFLOW", "False"], done.stderr
    return assert_one_line_error(2, done.stderr, *words)


# --- children, run as from a terminal, every wait bounded ------------------------------------
def as_from_a_terminal():
    """Popen's preexec_fn for runs the tests stop with a signal: the stop signals as a
    terminal leaves them. A program started with a signal ignored keeps ignoring it (as the
    script does, and `nohup` relies on), so a suite run in the background (`make test &`,
    which ignores SIGINT) or under nohup would otherwise test nothing."""
    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, signal.SIG_DFL)


def shown(data):
    """A child's output for a failure message, whatever its bytes."""
    if data is None:
        return ""
    return data.decode(errors="replace") if isinstance(data, bytes) else data


def run(command, timeout, check=False, **kwargs):
    """subprocess.run(command) from the project's folder, its output captured as text. A
    child still running after `timeout` seconds is killed and fails the test with what it
    printed; with `check`, so does an exit status other than 0."""
    command = [str(part) for part in command]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                                cwd=kwargs.pop("cwd", ROOT), **kwargs)
    except subprocess.TimeoutExpired as expired:
        pytest.fail(f"{' '.join(command)}: still running after {timeout} s, stopped\n"
                    f"--- stdout ---\n{shown(expired.stdout)}\n"
                    f"--- stderr ---\n{shown(expired.stderr)}")
    if check and result.returncode != 0:
        pytest.fail(f"{' '.join(command)}: exit status {result.returncode}\n"
                    f"--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}")
    return result


def run_script(*args, timeout=300, script=SCRIPT, **kwargs):
    """`python style_transfer.py ARGS` (or `script`), bounded as run() is."""
    return run([sys.executable, script, *args], timeout, **kwargs)


LIVE = set()  # the Children not yet finished, so that a failed test leaves none running


class Child:
    """A program started as a learner starts it from a terminal (as_from_a_terminal), whose
    output the test reads with a deadline. A child that hangs, or ends before printing what
    the test waits for, fails the test with everything it printed, and is stopped; it never
    hangs the suite. Its output is read from the pipes directly (stderr too, so a chatty
    child never blocks on a full pipe), and decoded as UTF-8."""

    def __init__(self, command, **kwargs):
        self.command = [str(part) for part in command]
        self.process = subprocess.Popen(self.command, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, cwd=kwargs.pop("cwd", ROOT),
                                        preexec_fn=as_from_a_terminal, **kwargs)
        self.out, self.err = bytearray(), bytearray()
        self.unread = bytearray()  # stdout not yet looked at by read_until
        self.open = {self.process.stdout.fileno(): "out", self.process.stderr.fileno(): "err"}
        LIVE.add(self)

    @classmethod
    def script(cls, *args, script=SCRIPT, **kwargs):
        """`python style_transfer.py ARGS` (or `script`), as from a terminal."""
        return cls([sys.executable, script, *args], **kwargs)

    @property
    def returncode(self):
        return self.process.returncode

    def send_signal(self, number):
        self.process.send_signal(number)

    def close_stdout(self):
        """Stop reading stdout, as a reader that goes away does (`| head -1`)."""
        self.open.pop(self.process.stdout.fileno(), None)
        self.process.stdout.close()

    def _pump(self, seconds):
        """Read whatever the child prints within `seconds` (or until its pipes close)."""
        if not self.open:
            time.sleep(max(0.0, min(seconds, 0.05)))
            return
        ready, _, _ = select.select(list(self.open), [], [], max(0.0, seconds))
        for fd in ready:
            data = os.read(fd, 65536)
            if not data:  # the child closed it: it has ended, or will
                self.open.pop(fd)
            elif self.open[fd] == "out":
                self.out += data
                self.unread += data
            else:
                self.err += data

    def _text(self, data):
        try:
            return bytes(data).decode()
        except UnicodeDecodeError as error:
            self.fail(f"printed something that is not UTF-8 ({error})")

    def fail(self, why):
        """Fail the test with `why` and everything the child printed; stop it if it runs."""
        if self.process.poll() is None:
            self.process.kill()
        deadline = time.monotonic() + 10
        while self.open and time.monotonic() < deadline:  # what it printed before the kill
            self._pump(deadline - time.monotonic())
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        self._close()
        pytest.fail(f"{' '.join(self.command)}: {why}\n"
                    f"--- stdout ---\n{shown(bytes(self.out))}\n"
                    f"--- stderr ---\n{shown(bytes(self.err))}")

    def read_until(self, pattern, timeout):
        """Read stdout, from where the last call stopped, up to the first line that starts
        with `pattern` (a regular expression, re.match); return that line. Fails the test if
        no such line comes within `timeout` seconds, or stdout ends first."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            while b"\n" in self.unread:
                line, _, rest = bytes(self.unread).partition(b"\n")
                self.unread = bytearray(rest)
                text = self._text(line)
                if regex.match(text):
                    return text
            ended = (self.process.stdout.closed
                     or self.process.stdout.fileno() not in self.open)
            if ended and self.unread:  # a last line with no newline
                self.unread += b"\n"
                continue
            if ended:
                status = self.process.poll()
                self.fail(f"its output ended (exit status {status}) before a line starting "
                          f"with {pattern!r}")
            left = deadline - time.monotonic()
            if left <= 0:
                self.fail(f"no line starting with {pattern!r} within {timeout} s")
            self._pump(left)

    def finish(self, timeout):
        """Wait for the child to end, reading all it prints; return (exit status, stdout,
        stderr), each output whole. Fails the test if it is still running after `timeout`
        seconds."""
        deadline = time.monotonic() + timeout
        while self.open or self.process.poll() is None:
            left = deadline - time.monotonic()
            if left <= 0:
                self.fail(f"still running after {timeout} s")
            self._pump(left)
        self._close()
        return self.process.returncode, self._text(self.out), self._text(self.err)

    def _close(self):
        for pipe in (self.process.stdout, self.process.stderr):
            if not pipe.closed:
                pipe.close()
        LIVE.discard(self)


def finished_then_signalled(command, stop, delay):
    """Run `command` until its last line, "Also: ...", wait `delay`, send `stop`; the exit
    status and what it wrote to stderr."""
    child = Child(command)
    child.read_until("Also:", timeout=120)
    time.sleep(delay)
    child.send_signal(stop)
    status, _, err = child.finish(timeout=60)
    return status, err


def local_workers(child):
    """The worker processes of a child's local Dask cluster (multiprocessing's spawned
    children)."""
    import psutil
    return [process for process in psutil.Process(child.process.pid).children(recursive=True)
            if "spawn_main" in " ".join(process.cmdline())]


def stop_children():
    """Kill the children a test left running (it failed before finishing them)."""
    for child in list(LIVE):
        if child.process.poll() is None:
            child.process.kill()
            child.process.wait(timeout=30)
        child._close()
