"""Fixtures, and the path set-up that lets the tests import the scripts, tools/ and helpers.

What the tests share that is not a fixture (paths, the one-line-error check, running a child
with a deadline) is in helpers.py: import it from there, not from here."""
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

import helpers  # noqa: E402
from painter import startup, weights  # noqa: E402  (the package sets the environment up)
import style_transfer as st  # noqa: E402
from tf_keras import backend as K  # noqa: E402

# The tutorial's K.placeholder and K.gradients need graph mode, for the whole test process.
st.use_graph_mode()


@pytest.fixture(scope="session")
def weights_path():
    """The real VGG16 ImageNet weights, found as a user's run finds them."""
    try:
        return weights.resolve_weights("imagenet")
    except startup.UserError as error:
        pytest.fail(f"{error} (make test builds them first)")


@pytest.fixture
def fresh_graph():
    """Each graph-building test starts from an empty Keras session."""
    K.clear_session()
    yield
    K.clear_session()


@pytest.fixture(autouse=True)
def no_child_outlives_its_test():
    """A test that fails while a child (helpers.Child) runs must not leave it painting."""
    yield
    helpers.stop_children()
