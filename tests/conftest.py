import signal
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

import command_line as cli  # noqa: E402
import style_transfer as st  # noqa: E402



def as_from_a_terminal():
    """Popen's preexec_fn for runs the tests stop with a signal: the stop signals as a
    terminal leaves them. A program started with a signal ignored keeps ignoring it (as the
    script does, and `nohup` relies on), so a suite run in the background (`make test &`,
    which ignores SIGINT) or under nohup would otherwise test nothing."""
    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, signal.SIG_DFL)


# The tutorial's K.placeholder and K.gradients need graph mode, for the whole test process.
st.use_graph_mode()


@pytest.fixture(scope="session")
def weights_path():
    """The real VGG16 ImageNet weights, found as a user's run finds them."""
    try:
        return st.resolve_weights("imagenet")
    except cli.UserError as error:
        pytest.fail(f"{error} (make test builds them first)")


@pytest.fixture
def fresh_graph():
    """Each graph-building test starts from an empty Keras session."""
    st.K.clear_session()
    yield
    st.K.clear_session()
