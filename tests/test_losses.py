"""The tutorial's loss functions, each checked against a direct numpy computation."""
import numpy as np
import pytest

from tf_keras import backend as K

import style_transfer as st

pytestmark = pytest.mark.lesson  # needs only requirements.txt (make test-lesson)



def evaluate(tensor):
    return K.eval(tensor)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def numpy_gram(features):
    """features (h, w, c) -> c x c matrix of sums over positions of products of channels."""
    flat = features.reshape(-1, features.shape[-1]).astype(np.float64)
    return flat.T @ flat


def test_gram_matrix_matches_numpy(rng, fresh_graph):
    x = rng.normal(size=(5, 7, 4)).astype(np.float32)
    got = evaluate(st.gram_matrix(K.constant(x)))
    assert got.shape == (4, 4)
    np.testing.assert_allclose(got, numpy_gram(x), rtol=1e-5)
    np.testing.assert_allclose(got, got.T, rtol=1e-6)  # a Gram matrix is symmetric


def test_content_loss_matches_numpy(rng, fresh_graph):
    a, b = rng.normal(size=(2, 6, 5, 8)).astype(np.float32)
    got = evaluate(st.content_loss(K.constant(a), K.constant(b)))
    np.testing.assert_allclose(got, np.sum((b.astype(np.float64) - a) ** 2), rtol=1e-5)


def test_style_loss_matches_numpy_with_the_tutorials_normalisation(rng, fresh_graph):
    height, width = 12, 10
    style, combination = rng.normal(size=(2, 6, 5, 8)).astype(np.float32)
    style_gram = st.gram_matrix(K.constant(style))
    got = evaluate(st.style_loss(style_gram, K.constant(combination), height, width))
    expected = (np.sum((numpy_gram(style) - numpy_gram(combination)) ** 2)
                / (4.0 * 3 ** 2 * (height * width) ** 2))
    np.testing.assert_allclose(got, expected, rtol=1e-5)


def test_style_loss_is_zero_for_the_same_features_in_any_order(rng, fresh_graph):
    # Style ignores where features are: shuffling positions keeps the Gram matrix.
    style = rng.normal(size=(6, 5, 8)).astype(np.float32)
    shuffled = rng.permutation(style.reshape(30, 8)).reshape(6, 5, 8)
    got = evaluate(st.style_loss(st.gram_matrix(K.constant(style)), K.constant(shuffled), 6, 5))
    assert abs(got) < 1e-9 * np.sum(numpy_gram(style) ** 2)


def test_total_variation_loss_matches_numpy(rng, fresh_graph):
    height, width = 9, 11
    x = rng.normal(scale=20, size=(1, height, width, 3)).astype(np.float32)
    got = evaluate(st.total_variation_loss(K.constant(x), height, width))
    x64 = x.astype(np.float64)[0]
    dy = (x64[:-1, :-1] - x64[1:, :-1]) ** 2
    dx = (x64[:-1, :-1] - x64[:-1, 1:]) ** 2
    np.testing.assert_allclose(got, np.sum((dx + dy) ** 1.25), rtol=1e-5)


def test_total_variation_loss_is_zero_for_a_flat_image(fresh_graph):
    x = np.full((1, 8, 8, 3), 42.0, dtype=np.float32)
    assert evaluate(st.total_variation_loss(K.constant(x), 8, 8)) == 0.0
