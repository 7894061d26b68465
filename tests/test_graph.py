"""The tutorial's graph: its gradient, and the Evaluator that hands it to L-BFGS."""
import numpy as np
import pytest
from scipy.optimize import fmin_l_bfgs_b

from tf_keras import backend as K

import style_transfer as st

pytestmark = pytest.mark.lesson  # needs only requirements.txt (make test-lesson)

SHAPE = (32, 40)


@pytest.fixture
def tiny_problem(weights_path, fresh_graph):
    # float64 so that finite differences are exact enough to check the gradient tightly;
    # the graph is the same one a run builds in float32.
    K.set_floatx("float64")
    yield build_tiny_problem(weights_path)
    K.set_floatx("float32")


def build_tiny_problem(weights_path):
    rng = np.random.default_rng(3)
    content = rng.integers(0, 256, size=SHAPE + (3,), dtype=np.uint8)
    style = rng.integers(0, 256, size=SHAPE + (3,), dtype=np.uint8)
    f = st.build_loss_and_grads(st.preprocess(content, SHAPE), [st.preprocess(style, SHAPE)],
                                weights_path).f_outputs
    x = st.random_start(SHAPE, seed=0)
    return f, x


@pytest.mark.slow
def test_gradient_matches_finite_differences(tiny_problem):
    f, x = tiny_problem
    loss, grads, *_ = f([x])
    assert grads.shape == x.shape
    rng = np.random.default_rng(4)
    # Directional derivatives along random directions: the gradient's dot product with a
    # direction must match (L(x + h d) - L(x - h d)) / 2h.
    for _ in range(3):
        d = rng.normal(size=x.shape)
        d /= np.linalg.norm(d)
        h = 1e-3
        up = f([x + h * d])[0]
        down = f([x - h * d])[0]
        numeric = (float(up) - float(down)) / (2 * h)
        analytic = float(np.sum(grads * d))
        assert numeric == pytest.approx(analytic, rel=1e-6)


class CountingQuadratic:
    """Stands in for the graph: loss = sum((x - 3)^2), gradient 2 (x - 3); counts its runs."""

    def __init__(self):
        self.runs = 0

    def __call__(self, inputs):
        self.runs += 1
        x = inputs[0].astype(np.float64)
        return [np.sum((x - 3.0) ** 2), 2.0 * (x - 3.0)]


def test_evaluator_runs_the_graph_once_per_loss_and_grads_pair():
    f = CountingQuadratic()
    evaluator = st.Evaluator(f, (2, 2))
    x1 = np.arange(12, dtype=np.float64)
    x2 = x1 + 1.0
    assert evaluator.loss(x1) == pytest.approx(np.sum((x1 - 3) ** 2))
    np.testing.assert_allclose(evaluator.grads(x1), 2 * (x1 - 3))
    assert f.runs == 1
    assert evaluator.loss(x2) == pytest.approx(np.sum((x2 - 3) ** 2))
    np.testing.assert_allclose(evaluator.grads(x2), 2 * (x2 - 3))  # x2's, not x1's
    assert f.runs == 2
    # Asking for a point the optimiser has not asked the loss of still gives its own gradient.
    np.testing.assert_allclose(evaluator.grads(x1), 2 * (x1 - 3))
    assert f.runs == 3


def test_evaluator_drives_lbfgs_with_one_run_per_evaluation():
    f = CountingQuadratic()
    evaluator = st.Evaluator(f, (2, 3))
    x, loss, info = fmin_l_bfgs_b(evaluator.loss, np.zeros(18), fprime=evaluator.grads,
                                  maxfun=20)
    np.testing.assert_allclose(x, 3.0, atol=1e-5)
    assert f.runs == evaluator.evaluations == info["funcalls"]


class IllConditioned(CountingQuadratic):
    """A long narrow bowl: L-BFGS needs many steps, as on a real picture."""

    def __call__(self, inputs):
        self.runs += 1
        x = inputs[0].astype(np.float64).ravel()
        scale = np.logspace(0, 4, x.size)
        return [np.sum(scale * (x - 3.0) ** 2), (2.0 * scale * (x - 3.0)).reshape(inputs[0].shape)]


def test_a_loss_that_turns_nan_stops_the_run_and_keeps_the_last_good_point():
    good = IllConditioned()

    def turns_nan(inputs):
        loss, grads = good(inputs)
        return [np.nan if good.runs > 25 else loss, grads]

    evaluator = st.Evaluator(turns_nan, (10, 10))
    with pytest.raises(FloatingPointError, match="nan"):
        st.optimize_continuous(evaluator, np.zeros(300), 5, lambda i: None)
    assert evaluator.evaluations == 25  # the 26th, NaN, was not taken
    assert good.runs == 26 and np.isfinite(evaluator.best_loss)
    scale = np.logspace(0, 4, 300)
    assert evaluator.best_loss == pytest.approx(np.sum(scale * (evaluator.best_x - 3) ** 2))


@pytest.mark.parametrize("optimize", [st.optimize_restarted, st.optimize_continuous])
def test_both_loops_report_each_iteration_with_the_best_loss_so_far(optimize):
    evaluator = st.Evaluator(IllConditioned(), (10, 10))
    reported = []
    optimize(evaluator, np.zeros(300), 4, lambda i: reported.append((i, evaluator.best_loss)))
    assert [i for i, _ in reported] == [1, 2, 3, 4]
    losses = [loss for _, loss in reported]
    assert all(b <= a for a, b in zip(losses, losses[1:]))
