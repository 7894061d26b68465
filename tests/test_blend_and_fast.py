"""Several styles blended (the video's challenge) and the fast path: same maths, checked."""
import numpy as np
import pytest

from tf_keras import backend as K

import style_transfer as st

# Each test builds VGG16 and both graphs: seconds apiece.
pytestmark = [pytest.mark.slow, pytest.mark.lesson]

SHAPE = (32, 40)


@pytest.fixture(scope="module")
def images():
    rng = np.random.default_rng(7)
    content, style_a, style_b = (st.preprocess(rng.integers(0, 256, SHAPE + (3,), np.uint8),
                                               SHAPE) for _ in range(3))
    x = st.random_start(SHAPE, seed=2)
    return content, style_a, style_b, x


def loss_and_grads(images, weights_path, styles, blend=None, fast=False):
    """Build a fresh graph and evaluate it once at the shared point x."""
    content, style_a, style_b, x = images
    arrays = {"a": style_a, "b": style_b}
    K.clear_session()
    f = st.build_loss_and_grads(content, [arrays[s] for s in styles], weights_path,
                                st.LossSettings(style_blend=blend, fast=fast)).f_outputs
    loss, grads, *_ = f([x])
    return float(loss), grads.astype(np.float64)


def assert_same(first, second, rel):
    (loss1, grads1), (loss2, grads2) = first, second
    assert loss1 == pytest.approx(loss2, rel=rel)
    assert np.linalg.norm(grads1 - grads2) <= rel * np.linalg.norm(grads2)


@pytest.mark.parametrize("styles", [["a"], ["a", "b"]])
def test_fast_path_gives_the_tutorial_paths_loss_and_gradient(images, weights_path, styles):
    tutorial = loss_and_grads(images, weights_path, styles, fast=False)
    fast = loss_and_grads(images, weights_path, styles, fast=True)
    assert_same(fast, tutorial, rel=1e-5)


@pytest.mark.parametrize("fast", [False, True])
def test_blend_weights_1_and_0_give_the_single_style_loss(images, weights_path, fast):
    single = loss_and_grads(images, weights_path, ["a"], fast=fast)
    blended = loss_and_grads(images, weights_path, ["a", "b"], blend=[1, 0], fast=fast)
    assert_same(blended, single, rel=1e-6)
    # ... and the other way round, for the second style
    single_b = loss_and_grads(images, weights_path, ["b"], fast=fast)
    blended_b = loss_and_grads(images, weights_path, ["a", "b"], blend=[0, 1], fast=fast)
    assert_same(blended_b, single_b, rel=1e-6)


def test_a_blend_is_the_weighted_mean_of_the_single_style_losses(images, weights_path):
    # Content and total variation terms are the same in every run, so with shares summing to
    # one the blended loss is exactly the shares' mix of the two single-style losses.
    loss_a, grads_a = loss_and_grads(images, weights_path, ["a"], fast=True)
    loss_b, grads_b = loss_and_grads(images, weights_path, ["b"], fast=True)
    blended = loss_and_grads(images, weights_path, ["a", "b"], blend=[3, 1], fast=True)
    assert_same(blended, (0.75 * loss_a + 0.25 * loss_b, 0.75 * grads_a + 0.25 * grads_b),
                rel=1e-5)


def test_blend_weights_are_normalised(images, weights_path):
    assert st.normalise_blend([3, 1]) == [0.75, 0.25]
    equal = loss_and_grads(images, weights_path, ["a", "b"], fast=True)
    scaled = loss_and_grads(images, weights_path, ["a", "b"], blend=[7, 7], fast=True)
    assert_same(scaled, equal, rel=1e-6)
