"""What the tools share: the project's folder (and its programs on the import path), running
a program's main() quietly, and the word for a target in a table."""
import contextlib
import io
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def verdict(ok):
    """A target's cell in a table of results."""
    return "met" if ok else "**not met**"


def run_quietly(main, argv):
    """Call a program's main(argv) with its progress (stdout) kept: (exit status, the text)."""
    with contextlib.redirect_stdout(io.StringIO()) as said:
        status = main(argv)
    return status, said.getvalue()
