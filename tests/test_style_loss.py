"""The second style statistic (--style-loss w2): its moments and its loss against numpy and
scipy's own matrix square root, its gradient against finite differences, and with masks."""
import numpy as np
import pytest
import scipy.linalg
from tf_keras import backend as K

import style_transfer as st

pytestmark = pytest.mark.lesson  # needs only requirements.txt (make test-lesson)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture
def float64_graph(fresh_graph):
    """A graph in float64, for finite differences."""
    K.set_floatx("float64")
    yield
    K.set_floatx("float32")


def numpy_w2(result, painting, photo_spread, weights=None):
    """The loss by its formula, from the features (positions x channels) themselves, with
    numpy's weighted mean and covariance and scipy's matrix square root: over the painting's
    spread, times the painting's spread over the photo's (at least a hundredth of the
    painting's) to the power W2_PULL."""
    weights = np.ones(len(result)) if weights is None else weights
    mean = np.average(result, axis=0, weights=weights)
    cov = np.cov(result.T, aweights=weights, bias=True)
    style_mean, style_cov = painting.mean(axis=0), np.cov(painting.T, bias=True)
    root = scipy.linalg.sqrtm(style_cov).real
    cross = scipy.linalg.sqrtm(root @ cov @ root).real
    spread = np.trace(style_cov)
    varied = spread / max(photo_spread, 0.01 * spread)
    return ((np.sum(np.square(mean - style_mean)) + np.trace(style_cov + cov - 2 * cross))
            / spread * varied ** st.W2_PULL)


def test_moments_matrix_holds_the_weighted_sums_and_count(rng, fresh_graph):
    x = rng.normal(size=(1, 5, 6, 4))
    weights = rng.uniform(0, 2, size=(1, 5, 6, 1))
    got = K.eval(st.moments_matrix(K.constant(x), K.constant(weights)))
    f, w = x.reshape(-1, 4), weights.reshape(-1)
    assert np.allclose(got[:4, :4], (f * w[:, None]).T @ f, rtol=1e-4)
    assert np.allclose(got[:4, 4], w @ f, rtol=1e-4)
    assert got[4, 4] == pytest.approx(w.sum(), rel=1e-5)


def test_wasserstein_loss_matches_its_formula_with_and_without_weights(rng, float64_graph):
    result = rng.normal(size=(1, 6, 5, 4)) * [1, 2, 0.5, 1] + [0, 1, 0, 2]
    painting = rng.normal(size=(1, 7, 8, 4)) @ rng.normal(size=(4, 4)) + 1
    weights = rng.uniform(0.1, 2, size=(1, 6, 5, 1))
    target = st.moments_matrix(K.constant(painting))
    photo = rng.normal(size=(30, 4)) * 3
    # the photo's spread, and a flat photo's (none: a hundredth of the painting's instead)
    for spread in (np.trace(np.cov(photo.T, bias=True)), 0.0):
        for w in (None, weights):
            got = K.eval(st.wasserstein_style_loss(target, K.constant(result), spread,
                                                   None if w is None else K.constant(w)))
            want = numpy_w2(result.reshape(-1, 4), painting.reshape(-1, 4), spread,
                            None if w is None else w.reshape(-1))
            assert got == pytest.approx(want, rel=1e-6)


def test_wasserstein_loss_is_zero_for_the_same_features_in_any_order(rng, float64_graph):
    painting = rng.normal(size=(1, 6, 5, 3)) @ rng.normal(size=(3, 3))
    shuffled = rng.permutation(painting.reshape(-1, 3)).reshape(painting.shape)
    got = K.eval(st.wasserstein_style_loss(st.moments_matrix(K.constant(painting)),
                                           K.constant(shuffled), 1.0))
    assert abs(got) < 1e-6


def test_wasserstein_gradient_matches_finite_differences(rng, float64_graph):
    painting = rng.normal(size=(1, 7, 4, 4)) * 2 + 1
    x = K.placeholder((1, 6, 5, 4), dtype="float64")
    loss = st.wasserstein_style_loss(st.moments_matrix(K.constant(painting)), x, 2.5)
    f = K.function([x], [loss, K.gradients(loss, x)[0]])
    point = rng.normal(size=(1, 6, 5, 4))
    _, gradient = f([point])
    for index in [(0, 0, 0, 0), (0, 2, 3, 1), (0, 5, 4, 3)]:
        step = np.zeros_like(point)
        step[index] = 1e-5
        numeric = (f([point + step])[0] - f([point - step])[0]) / 2e-5
        assert gradient[index] == pytest.approx(numeric, rel=1e-4, abs=1e-9)


def test_the_rest_of_a_picture_counts_as_its_moments_added(rng, float64_graph):
    """The package's tiles: a part's loss with the rest's moments added is the whole's."""
    painting = K.constant(rng.normal(size=(1, 6, 6, 3)) + 1)
    whole = rng.normal(size=(1, 8, 6, 3))
    part, rest = whole[:, :3], whole[:, 3:]
    target = st.moments_matrix(painting)
    together = K.eval(st.wasserstein_style_loss(target, K.constant(whole), 1.0))
    in_parts = K.eval(st.wasserstein_style_loss(target, K.constant(part), 1.0,
                                                rest=st.moments_matrix(K.constant(rest))))
    assert in_parts == pytest.approx(together, rel=1e-9)


def test_the_w2_loss_builds_on_both_graphs_with_masks_and_blends(weights_path, fresh_graph):
    """The tutorial's graph and the fast one give the same w2 loss, blends and masks too."""
    rng = np.random.default_rng(1)
    photo = rng.uniform(0, 255, (1, 48, 64, 3)) - st.IMAGENET_MEAN_BGR
    paintings = [rng.uniform(0, 255, (1, 48, 64, 3)) - st.IMAGENET_MEAN_BGR for _ in range(2)]
    masks = (np.ones((48, 64)), np.tri(48, 64))
    x = photo + rng.normal(0, 10, photo.shape)
    losses = []
    for fast in (False, True):
        K.clear_session()
        settings = st.LossSettings(style_loss="w2", fast=fast, style_blend=(1.0, 3.0),
                                   style_masks=masks)
        graph = st.build_loss_and_grads(photo, paintings, weights_path, settings)
        loss, grad = graph.f_outputs([x])[:2]
        assert np.isfinite(loss) and np.all(np.isfinite(grad)) and np.abs(grad).max() > 0
        losses.append(float(loss))
    assert losses[1] == pytest.approx(losses[0], rel=1e-3)


@pytest.mark.slow
def test_the_w2_loss_in_bfloat16_is_float32s_to_the_tolerance_of_the_gram_loss(weights_path,
                                                                             fresh_graph):
    """bfloat16 (--quick where the machine is faster in it) rounds the features, not the
    statistics: the w2 loss stays as near float32's as the Gram loss does (test_quick.py: the
    loss within 0.5%, the gradient's cosine above 0.99 at this size). TensorFlow runs
    bfloat16 on any CPU, only slower where the CPU lacks it, so this runs everywhere."""
    rng = np.random.default_rng(0)
    photo = rng.uniform(0, 255, (1, 64, 96, 3)) - st.IMAGENET_MEAN_BGR
    painting = rng.uniform(0, 255, (1, 64, 96, 3)) - st.IMAGENET_MEAN_BGR
    x = photo + rng.normal(0, 20, photo.shape)
    outputs = {}
    for bfloat16 in (False, True):
        K.clear_session()
        settings = st.LossSettings(style_loss="w2", fast=True, bfloat16=bfloat16)
        loss, grad = st.build_loss_and_grads(photo, [painting], weights_path,
                                             settings).f_outputs([x])[:2]
        outputs[bfloat16] = float(loss), np.asarray(grad, np.float64).ravel()
    (loss32, grad32), (loss16, grad16) = outputs[False], outputs[True]
    assert loss16 == pytest.approx(loss32, rel=5e-3)
    assert grad16 @ grad32 / np.linalg.norm(grad16) / np.linalg.norm(grad32) > 0.99


def test_a_new_photo_brings_its_own_spreads(weights_path, fresh_graph):
    """A video's next frame (set_content) is measured against its own feature spreads: the
    graph fed the new photo gives the loss of a graph built for it."""
    rng = np.random.default_rng(2)
    first, second = (rng.uniform(0, 255, (1, 40, 56, 3)) * scale - st.IMAGENET_MEAN_BGR
                     for scale in (1.0, 0.3))  # the second photo is far less varied
    painting = rng.uniform(0, 255, (1, 40, 56, 3)) - st.IMAGENET_MEAN_BGR
    x = second + rng.normal(0, 10, second.shape)
    settings = st.LossSettings(style_loss="w2", fast=True)
    losses = []
    for photo in (first, second):
        K.clear_session()
        graph = st.build_loss_and_grads(photo, [painting], weights_path, settings)
        before = float(graph.f_outputs([x])[0])
        graph.set_content(second)
        losses.append((before, float(graph.f_outputs([x])[0])))
    (built_first, fed_second), (built_second, _) = losses
    assert fed_second == pytest.approx(built_second, rel=1e-5)
    assert abs(built_first - built_second) > 0.05 * built_second  # the spreads do matter


def test_a_soft_photo_under_a_vivid_painting_holds_on_as_hard_as_it_is_pulled(weights_path,
                                                                              fresh_graph):
    """photo_hold against numpy's covariance of VGG16's own features: the paintings' pull
    ((their spread over the photo's) ** W2_PULL, by their shares, the mean over the style
    layers) over W2_HOLD; 1 for a photo as varied as the paintings, and for the Gram loss."""
    rng = np.random.default_rng(3)
    vivid, quiet = (rng.uniform(0, 255, (1, 64, 96, 3)) * scale - st.IMAGENET_MEAN_BGR
                    for scale in (1.0, 0.1))
    paintings = [rng.uniform(0, 255, (1, 64, 96, 3)) - st.IMAGENET_MEAN_BGR for _ in range(2)]
    layers = ("block1_conv1", "block4_conv1")
    vgg = st.vgg16(K.placeholder((1, None, None, 3)), weights_path)
    features_of = K.function([vgg.input], [vgg.get_layer(name).output for name in layers])

    def spreads(image):
        return [np.trace(np.cov(f.reshape(-1, f.shape[-1]).T.astype(np.float64), bias=True))
                for f in features_of([image])]
    blend = (0.25, 0.75)  # --style-blend 1 3
    painted = [spreads(painting) for painting in paintings]

    def expected(photo):
        pulls = [share * (painting[j] / photo[j]) ** st.W2_PULL
                 for share, painting in zip(blend, painted) for j in range(len(layers))]
        return max(1.0, np.sum(pulls) / len(layers) / st.W2_HOLD)
    photos = {name: (photo, expected(spreads(photo)))
              for name, photo in (("vivid", vivid), ("quiet", quiet))}
    settings = st.LossSettings(style_loss="w2", fast=True, content_layer="block4_conv2",
                               style_layers=layers)
    holds = {}
    for name, (photo, hold) in photos.items():
        K.clear_session()
        features = st.fast_features(photo, paintings, weights_path, settings)
        holds[name] = float(K.eval(st.photo_hold(features, settings, list(blend))))
        assert holds[name] == pytest.approx(hold, rel=1e-3)
    assert holds["vivid"] == 1.0 and holds["quiet"] > 1.5  # the quiet photo holds on
    gram = st.LossSettings(fast=True, content_layer="block4_conv2")
    K.clear_session()
    assert st.photo_hold(st.fast_features(quiet, paintings, weights_path, gram), gram,
                         list(blend)) == 1.0
