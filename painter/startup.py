"""Start-up and shutdown, stop signals and main()'s skeleton: the standard library only.

Every program starts here, before anything slow loads (the package's __init__ imports this
module, so its environment is set before numpy or TensorFlow loads, whatever imports first):

  * the environment: OpenBLAS's threads, TensorFlow's notices, Keras 2 as TensorFlow's Keras;
  * a stop signal while the libraries load (seconds): one line, exit 130;
  * stop signals during the run: noted, and answered at the next safe moment (StopRequests);
  * main()'s skeleton: exit status 2 for a mistake (UserError), 130 for a stop, and a finished
    run that always ends with its own exit status (finish).
"""
import contextlib
import os
import signal
import sys
import tempfile
import threading

# scipy's L-BFGS does its vector maths with OpenBLAS, whose idle threads spin and steal a core
# from TensorFlow; one thread is plenty for vectors. It must be set before numpy loads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# TensorFlow loads Keras 3 as tf.keras when it is imported (0.8 s of its 4.5 s here) unless
# told that the Keras 2 API, tf-keras (the tutorial's), is the one in use; then only that loads.
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")


class UserError(Exception):
    """Something the user can fix: printed as one line, exit status 2."""


STOP_SIGNALS = [getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP")
                if hasattr(signal, name)]  # Windows has no SIGHUP


# ---------------------------------------------------------------------------------------------
# Start-up and shutdown
# ---------------------------------------------------------------------------------------------
class StoppedWhileStarting:
    """The stop signals' handler while the libraries load (seconds): there is nothing to save
    yet, so one line on the terminal's own copy of stderr (quiet_native_stderr may have parked
    file descriptor 2) and exit 130, with no traceback."""

    def __init__(self, nothing_saved):
        self.terminal = os.dup(2)
        self.message = f"\nInterrupted before painting started: {nothing_saved}\n".encode()

    def __call__(self, signum, frame):
        os.write(self.terminal, self.message)
        os._exit(130)


def starting_up(nothing_saved="nothing was saved"):
    """Called by a program before it loads anything slow. A signal it was started with ignored
    stays ignored: `nohup` ignores SIGHUP on purpose, a background job SIGINT."""
    handler = StoppedWhileStarting(nothing_saved)
    for number in STOP_SIGNALS:
        if signal.getsignal(number) is not signal.SIG_IGN:
            signal.signal(number, handler)


def finish(status):
    """End the program with `status`, now. Everything is saved: a stop signal from here on is
    ignored, and Python's own shutdown is skipped, because it restores the default handlers
    before TensorFlow's slow teardown, where a Ctrl-C or a hang-up would kill a finished run."""
    for number in STOP_SIGNALS:
        signal.signal(number, signal.SIG_IGN)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a reader that went away (`| head`)
            stream.flush()
    os._exit(status)


@contextlib.contextmanager
def quiet_native_stderr():
    """Keep TensorFlow's C++ notices (CUDA, oneDNN) off the terminal.

    They are written straight to file descriptor 2 before any log level applies, and would
    bury our one-line error messages. We park them in a temporary file and show them only
    if something inside the block fails unexpectedly.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as parked:
        os.dup2(parked.fileno(), 2)
        try:
            yield
        except (UserError, KeyboardInterrupt):
            raise
        except BaseException:
            os.dup2(saved, 2)
            parked.seek(0)
            sys.stderr.write(parked.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


# ---------------------------------------------------------------------------------------------
# Stop signals during the run, and main()'s skeleton
# ---------------------------------------------------------------------------------------------
class StopRequests:
    """Ctrl-C (SIGINT), `kill` (SIGTERM) or a closed terminal (SIGHUP), for the time of a `with`
    block: noted, and answered at the next safe moment, at most one evaluation later.

    Raising KeyboardInterrupt in the handler would land wherever Python happens to be: inside
    TensorFlow's C++ while it builds VGG16 (which then reports a broken weights file, or loses
    the interrupt), or half-way through writing a picture. The painter asks is_set() between
    evaluations; the rest of the run calls check() where stopping is safe. Outside a `with`
    block (a Dask worker, which Dask itself cancels) it is never set.
    """

    def __init__(self):
        self.event = threading.Event()
        self.previous = {}

    def __enter__(self):
        for number in STOP_SIGNALS:
            if signal.getsignal(number) is not signal.SIG_IGN:
                self.previous[number] = signal.signal(number, self.note)
        return self

    def __exit__(self, *exception):
        for number, old in self.previous.items():
            # After the run, the start-up's "nothing was saved" would be untrue: ignore instead.
            signal.signal(number, signal.SIG_IGN if isinstance(old, StoppedWhileStarting)
                          else old)
        self.previous.clear()

    def note(self, signum, frame):
        self.event.set()

    def is_set(self):
        return self.event.is_set()

    def check(self):
        if self.event.is_set():
            raise KeyboardInterrupt


def run_program(parse, load, argv, nothing_saved="nothing was saved"):
    """main()'s skeleton for the programs: parse the command line into its settings, then load
    the run (load(settings) imports what it needs, TensorFlow included, with its notices
    parked, and returns run), run them with stop signals noted (run(settings, stop) returns the exit
    status), and turn a UserError into one line and exit status 2, a stop before the painting
    started into one line and 130. --help and a mistake in the command never load the run."""
    for stream in (sys.stdout, sys.stderr):  # a file name that is not UTF-8 must still print
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    try:
        with StopRequests() as stop:
            settings = parse(argv)
            with quiet_native_stderr():
                run = load(settings)
            return run(settings, stop)
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # while the inputs were read or VGG16 was still being built
        print(f"\nInterrupted before painting started: {nothing_saved}", file=sys.stderr)
        return 130


def console_command(main, nothing_saved="nothing was saved"):
    """A console command's entry point (pyproject.toml) for a program's main(): started up as
    its launcher starts it, and finished with main()'s exit status."""
    def command():
        starting_up(nothing_saved)
        finish(main())
    return command


def ended_early(error, kept):
    """The last line of a run that was stopped (exit 130) or failed (exit 1), saying what was
    kept; `error` is the KeyboardInterrupt or the failure."""
    if isinstance(error, KeyboardInterrupt):
        print(f"\nInterrupted: {kept}", file=sys.stderr)
        return 130
    print(f"error: {error}; {kept}", file=sys.stderr)
    return 1


def could_not_write(error, complete):
    """A write that failed: name the file, and say what is complete. Exit status 1."""
    print(f"error: could not write {error.filename} ({error.strerror or error}); {complete}",
          file=sys.stderr)
    return 1
