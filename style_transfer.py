"""Neural style transfer: the classic 2017 Keras tutorial, made to run today.

Paint a photo (the *content* image) in the manner of a painting (the *style* image), as in
Gatys, Ecker and Bethge, "A Neural Algorithm of Artistic Style" (2015), and the video
"How to Generate Art". We start from noise and let L-BFGS change the pixels until

  * the photo's VGG16 features at one layer match the result's (content loss),
  * the painting's feature correlations (Gram matrices) at five layers match the result's
    (style loss), and
  * neighbouring pixels do not jump about too much (total variation loss).

Run it:

    python style_transfer.py images/chelsea.png images/swirls.png --output output/cat.png
    python style_transfer.py images/chelsea.png images/swirls.png images/mosaic.png  # a blend
    python style_transfer.py images/chelsea.png images/swirls.png --quick --size 256  # preview
    python style_transfer.py --help

Each iteration prints the loss and its parts and saves the picture so far; the final image goes
to --output, with a comparison sheet, a GIF of the run and a plot of its loss. Add --fast to
compute the photo's and paintings' features once, not at every step: the same loss, 2.4x sooner.

The tutorial's code no longer runs as written: Keras 3 dropped `K.placeholder` and
`K.gradients`, TensorFlow 2 runs eagerly, and `scipy.misc.imsave` is gone. We keep its shape
by taking the Keras 2 API from the `tf-keras` package and switching TensorFlow back to graph
mode, which is the world the tutorial was written for.

This file is the lesson, in the video's order:
  1. the tutorial's numbers                 5. the loss and its gradient
  2. images in and out                      6. the Evaluator
  3. VGG16 and the graph's inputs           7. the optimisation loop (L-BFGS)
  4. the losses                             8. beyond the tutorial: the loss's own options
Everything else (the command line, coarse to fine, posters, video, batches, the studio) is the
`painter` package beside this file; running this file hands over to its command line.
"""
if __name__ == "__main__":  # run as a program: the package's command line takes over
    from painter import startup
    startup.starting_up()  # a Ctrl-C while the libraries load (seconds) just stops, in one line
    from painter import still
    startup.finish(still.main())

from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import tensorflow as tf
from PIL import Image
from scipy.optimize import fmin_l_bfgs_b
from tf_keras import backend as K
from tf_keras import mixed_precision
from tf_keras.applications.vgg16 import VGG16
from tf_keras.models import Model


# ---------------------------------------------------------------------------------------------
# 1. The tutorial's numbers
# ---------------------------------------------------------------------------------------------
CONTENT_WEIGHT = 0.025      # how much the result must look like the photo
STYLE_WEIGHT = 5.0          # how much it must feel like the painting
TV_WEIGHT = 1.0             # how smooth it must be
ITERATIONS = 10             # the outer loop: the tutorial's "iterations" ...
EVALS_PER_ITERATION = 20    # ... of 20 loss-and-gradient evaluations each
SIZE = 512                  # longer side of the result, in pixels; the weights are set for it

# The photo is matched at a shallow layer, so the result keeps its shapes but not its exact
# pixels; the tutorial picked block2_conv2 (Gatys et al. used conv4_2, which leaves the
# painting more freedom).
CONTENT_LAYER = "block2_conv2"
# Style is matched from fine brush marks (block1) to large motifs (block5).
STYLE_LAYERS = ("block1_conv2", "block2_conv2", "block3_conv3", "block4_conv3", "block5_conv3")
# Every layer of headless VGG16, in order: the names --content-layer and --style-layers take.
VGG16_LAYERS = ["block1_conv1", "block1_conv2", "block1_pool",
                "block2_conv1", "block2_conv2", "block2_pool",
                "block3_conv1", "block3_conv2", "block3_conv3", "block3_pool",
                "block4_conv1", "block4_conv2", "block4_conv3", "block4_pool",
                "block5_conv1", "block5_conv2", "block5_conv3", "block5_pool"]

# VGG16 was trained on Caffe-style inputs: BGR channel order with the ImageNet mean removed.
IMAGENET_MEAN_BGR = np.array([103.939, 116.779, 123.68], dtype=np.float32)


@dataclass(frozen=True, kw_only=True)
class LossSettings:
    """Everything the loss is made of, with the tutorial's numbers as defaults (in one object,
    as nanoGPT's GPTConfig). The last five go beyond the tutorial (section 8)."""
    content_weight: float = CONTENT_WEIGHT
    style_weight: float = STYLE_WEIGHT
    tv_weight: float = TV_WEIGHT
    content_layer: str = CONTENT_LAYER
    style_layers: tuple = STYLE_LAYERS
    style_blend: tuple = None   # each painting's share of the style loss; None: equal shares
    style_masks: tuple = None   # where on the photo each painting paints (0 to 1); None: all
    fast: bool = False          # the photo's and paintings' features once, not every step
    bfloat16: bool = False      # with fast: VGG16's convolutions in bfloat16
    style_loss: str = "gram"    # how styles are compared: "gram" (section 4), "w2" (section 8)


# ---------------------------------------------------------------------------------------------
# 2. Images in and out
# ---------------------------------------------------------------------------------------------
# The pictures come in as RGB arrays of shape (height, width, 3) (the package's load_image
# reads any picture file so).
def result_shape(image, size):
    """(height, width) of the result: the photo's aspect ratio with `size` as its longer side."""
    h, w = image.shape[:2]
    scale = size / max(h, w)
    return max(1, round(h * scale)), max(1, round(w * scale))


def resize(image, shape):
    height, width = shape
    return np.asarray(Image.fromarray(image).resize((width, height), Image.LANCZOS))


def preprocess(image, shape):
    """RGB uint8 image -> the (1, height, width, 3) float32 BGR batch VGG16 expects.

    The 2017 notebook subtracted the mean before flipping the channels, so red lost blue's
    mean and blue lost red's. We flip first, then subtract, which is what VGG16 was trained on."""
    x = resize(image, shape).astype(np.float32)[:, :, ::-1]  # RGB -> BGR
    return (x - IMAGENET_MEAN_BGR)[np.newaxis]


def deprocess(x, shape):
    """The optimiser's flat float vector -> an RGB uint8 image: preprocess, undone."""
    height, width = shape
    x = x.reshape((height, width, 3)) + IMAGENET_MEAN_BGR
    return np.clip(x[:, :, ::-1], 0, 255).astype(np.uint8)  # BGR -> RGB


# ---------------------------------------------------------------------------------------------
# 3. VGG16 and the graph's inputs, in the tutorial's order
# ---------------------------------------------------------------------------------------------
def use_graph_mode():
    """The tutorial's K.placeholder and K.gradients only exist in TensorFlow's graph mode."""
    tf.compat.v1.disable_eager_execution()


def vgg16(input_tensor, weights_path):
    """Headless VGG16 (no classifier on top: we want its features, not its guesses)."""
    return VGG16(input_tensor=input_tensor, weights=str(weights_path), include_top=False)


@dataclass
class Features:
    """What the loss compares. `combination_image` is the result, fed in at each evaluation;
    `content` the photo's features at the content layer; `style_grams` each painting's Gram
    matrices {layer: gram} (section 8's moments matrices with style_loss "w2"); `combination`
    the result's features {layer: tensor}."""
    combination_image: object
    content: object
    style_grams: list
    combination: dict
    photo: object                  # the variable to set for another photo of the same size ...
    features_of: object = None     # ... through this function (fast path), or as it is
    grams_of: object = None        # (fast path) [image, weights] -> its weighted Gram matrices
    style_rest: list = None        # (w2, tiles) per painting {layer: the other tiles' moments}
    photo_spreads: dict = None     # (w2) {layer: the photo's features' spread}

    def set_content(self, array):
        """Another photo of the same size (a video's next frame), without a new graph."""
        if self.features_of is None:  # the tutorial's graph: the photo, its spreads follow
            return K.set_value(self.photo, array)
        content, *moments = self.features_of([array])
        K.set_value(self.photo, content)
        for variable, value in zip((self.photo_spreads or {}).values(), moments):
            K.set_value(variable, np.trace(mean_and_covariance(value.astype(np.float64))[1]))


def tutorial_features(content_array, style_arrays, weights_path, settings):
    """The tutorial's way: one batch [photo, painting(s), result] through VGG16 each time."""
    # The photo and the paintings never change during a run: variables. The result is what we
    # optimise, fed in afresh at every evaluation: a placeholder.
    content_image = K.variable(content_array)
    style_images = [K.variable(array) for array in style_arrays]
    combination_image = K.placeholder(content_array.shape)
    # One batch, so a single pass through VGG16 gives every image's features.
    input_tensor = K.concatenate([content_image, *style_images, combination_image], axis=0)
    outputs_dict = {layer.name: layer.output for layer in vgg16(input_tensor, weights_path).layers}

    content = outputs_dict[settings.content_layer][0, :, :, :]
    # Each painting's Gram matrices (gram_matrix: section 4, where the style loss needs them).
    statistic = style_statistic(settings.style_loss)
    style_grams = [{name: statistic(outputs_dict[name][1 + i, :, :, :])
                    for name in settings.style_layers} for i in range(len(style_arrays))]
    combination = {name: outputs_dict[name][-1, :, :, :]
                   for name in [settings.content_layer, *settings.style_layers]}
    spreads = ({name: tf.linalg.trace(mean_and_covariance(moments_matrix(outputs_dict[name][0]))[1])
                for name in settings.style_layers} if settings.style_loss == "w2" else None)
    return Features(combination_image, content, style_grams, combination, photo=content_image,
                    photo_spreads=spreads)


# ---------------------------------------------------------------------------------------------
# 4. The losses
# ---------------------------------------------------------------------------------------------
# Each takes `weights` too, beyond the tutorial: one weight per position, so that some parts of
# the picture count more than others (section 8's masks). None: every position alike.
def content_loss(content, combination, weights=None):
    """Squared distance between the photo's and the result's features."""
    square = K.square(combination - content)
    return K.sum(square if weights is None else square * weights)


def gram_matrix(x, weights=None):
    """Channel-by-channel correlations of one image's features, shape (channels, channels).

    Summing over positions throws away *where* things are and keeps *which features appear
    together*: that is what we call style.
    The tutorial first moved the channels to the front (`permute_dimensions`) and took
    features . features^T; we lay out one row per position and let the matrix product read
    it transposed: the same matrix, without first copying every feature in memory."""
    features = K.reshape(x, (-1, K.int_shape(x)[-1]))  # (positions, channels)
    if weights is not None:  # each position's product counted `weight` times
        features = features * K.sqrt(K.reshape(weights, (-1, 1)))
    return tf.linalg.matmul(features, features, transpose_a=True)


def style_loss(style_gram, combination, height, width, weights=None):
    """Squared distance between the painting's Gram matrix and the result's.

    The tutorial computed both Gram matrices here; we take the painting's ready-made, so the
    fast path can compute it once (the painting never changes).
    The divisor 4 * 3**2 * (h*w)**2 is the tutorial's: Gatys et al. divide by
    4 * N**2 * M**2 with N the layer's channels and M its positions, but the tutorial used
    the image's 3 channels and pixel count for every layer. We keep it so the weights above
    mean what they meant in the video.

    A Gram matrix is one way to say what "style" is; section 8's wasserstein_style_loss
    (--style-loss w2) asks the features to be *distributed* like the painting's: more painted."""
    C = gram_matrix(combination, weights)
    channels = 3
    size = height * width
    return K.sum(K.square(style_gram - C)) / (4.0 * (channels ** 2) * (size ** 2))


def total_variation_loss(x, height, width, weights=None):
    """Penalise differences between neighbouring pixels, so the result is not speckled."""
    a = K.square(x[:, : height - 1, : width - 1, :] - x[:, 1:, : width - 1, :])
    b = K.square(x[:, : height - 1, : width - 1, :] - x[:, : height - 1, 1:, :])
    variation = K.pow(a + b, 1.25)
    return K.sum(variation if weights is None else variation * weights[:, : height - 1,
                                                                       : width - 1, :])


# ---------------------------------------------------------------------------------------------
# 5. The loss and its gradient
# ---------------------------------------------------------------------------------------------
def total_loss(features, settings, size_scale, weights=None):
    """The tutorial's weighted sum of content, style and total variation losses, in parts:
    {part: tensor}, "content", "style 1" (one per painting, counting by its share of the blend)
    and "total variation". The weights are the tutorial's at 512 px; `size_scale` says how many
    times smaller this picture is (loss_weights_for_size). `weights` (section 8's
    PositionWeights) count each position by a weight; None: every position alike."""
    height, width = K.int_shape(features.combination_image)[1:3]
    count = len(features.style_grams)
    weights = weights or PositionWeights(whole=(height, width), styles=(None,) * count)
    content_weight, tv_weight = loss_weights_for_size(settings.content_weight,
                                                      settings.tv_weight, size_scale)
    blend = normalise_blend(settings.style_blend or [1.0] * count)
    layer = settings.content_layer
    parts = {"content": content_weight * photo_hold(features, settings, blend) * content_loss(
        features.content, features.combination[layer], at_layer(weights.pixels, layer))}
    for i, (grams, share) in enumerate(zip(features.style_grams, blend)):
        sl = 0.0
        for name in settings.style_layers:
            where = at_layer(weights.styles[i], name)
            if settings.style_loss == "gram":  # the tutorial's
                sl = sl + style_loss(grams[name], features.combination[name], *weights.whole,
                                     where)
            else:  # section 8's
                rest = features.style_rest[i][name] if features.style_rest else None
                sl = sl + wasserstein_style_loss(grams[name], features.combination[name],
                                                 features.photo_spreads[name], where, rest)
        parts[f"style {i + 1}"] = share * (settings.style_weight / len(settings.style_layers)) * sl
    parts["total variation"] = tv_weight * total_variation_loss(features.combination_image,
                                                                height, width, weights.pixels)
    return parts


@dataclass
class Graph:
    """What build_loss_and_grads builds. f_outputs: the result (1, h, w, 3) -> [loss, gradient,
    *parts], one run of the graph; parts: the names of the loss's parts, in that order."""
    f_outputs: object
    parts: list
    features: Features

    def set_content(self, array):
        self.features.set_content(array)


def build_loss_and_grads(content_array, style_arrays, weights_path, settings=LossSettings(),
                         extra_loss=None, weights_size=SIZE):
    """Build the graph of the loss and its gradient with respect to the result: a Graph.

    The weights mean what they mean for a picture `weights_size` pixels long (the tutorial's
    512), whatever this one's size (loss_weights_for_size). `extra_loss(features, size_scale)`,
    if given, returns more parts {name: tensor} to add to the loss (the package's video adds its
    temporal loss this way)."""
    features = (fast_features if settings.fast else tutorial_features)(
        content_array, style_arrays, weights_path, settings)
    weights = mask_weights(settings.style_masks, content_array.shape[1:3])
    return loss_and_grads(features, settings, weights_size / max(content_array.shape[1:3]),
                          extra_loss, weights)


def loss_and_grads(features, settings, size_scale, extra_loss=None, weights=None):
    """The loss of `features` and its gradient with respect to the result, as one K.function."""
    parts = total_loss(features, settings, size_scale, weights)
    if extra_loss is not None:
        parts.update(extra_loss(features, size_scale))
    loss = sum(parts.values())
    grads = K.gradients(loss, features.combination_image)
    f_outputs = K.function([features.combination_image], [loss] + grads + list(parts.values()))
    return Graph(f_outputs, list(parts), features)


# ---------------------------------------------------------------------------------------------
# 6. The Evaluator
# ---------------------------------------------------------------------------------------------
class Evaluator:
    """Hands scipy the loss and the gradient from one run of the graph.

    fmin_l_bfgs_b asks for the loss and the gradient through two separate functions, but one
    pass through VGG16 gives both. So `loss(x)` runs the graph and keeps the gradient, and
    `grads(x)` for the same x hands it over: half the work of running the graph twice.
    It also remembers the best point seen, so a stopped run can keep its best picture, and
    calls `on_evaluation(evaluator)` after every run of the graph, if given (to record the
    loss, to time it, to stop between two runs)."""

    def __init__(self, f_outputs, shape, parts=(), on_evaluation=None):
        self.f_outputs = f_outputs
        self.shape = shape
        self.parts = list(parts)
        self.on_evaluation = on_evaluation
        self.evaluations = 0
        self.best_x, self.best_loss, self.best_parts = None, np.inf, {}  # the best point yet
        self.x = self.loss_value = self.grad_values = None  # the last point's, cached
        self.part_values = {}

    def _evaluate(self, x):
        if self.x is not None and np.array_equal(x, self.x):
            return
        height, width = self.shape
        outputs = self.f_outputs([x.reshape((1, height, width, 3))])
        loss = float(outputs[0])
        grads = np.asarray(outputs[1], dtype=np.float64).ravel()
        if not (np.isfinite(loss) and np.all(np.isfinite(grads))):  # L-BFGS cannot go on
            raise FloatingPointError(f"the loss or its gradient became {loss} at evaluation "
                                     f"{self.evaluations + 1}; try smaller weights")
        self.x, self.loss_value, self.grad_values = np.array(x, dtype=np.float64), loss, grads
        self.part_values = dict(zip(self.parts, map(float, outputs[2:])))
        self.evaluations += 1
        if loss < self.best_loss:
            self.best_x, self.best_loss, self.best_parts = self.x, loss, self.part_values
        if self.on_evaluation is not None:
            self.on_evaluation(self)

    def loss(self, x):
        self._evaluate(x)
        return self.loss_value

    def grads(self, x):
        self._evaluate(x)
        return self.grad_values.copy()


# ---------------------------------------------------------------------------------------------
# 7. The optimisation loop
# ---------------------------------------------------------------------------------------------
def random_start(shape, seed=None):
    """The tutorial's start: uniform noise around zero in the preprocessed (BGR) space."""
    height, width = shape
    rng = np.random.default_rng(seed)
    return rng.uniform(0, 255, (1, height, width, 3)) - 128.0


def optimize_restarted(evaluator, x, iterations, on_iteration, bounds=None):
    """The tutorial's loop: each iteration a fresh L-BFGS run of 20 evaluations.
    Every restart forgets the curvature L-BFGS has learnt, which costs quality. (`bounds`,
    beyond the tutorial: L-BFGS-B's lower and upper bound for each value of x, if any.)"""
    x = x.ravel()
    for i in range(1, iterations + 1):
        x, _, _ = fmin_l_bfgs_b(evaluator.loss, x, fprime=evaluator.grads,
                                maxfun=EVALS_PER_ITERATION, bounds=bounds)
        on_iteration(i)


def optimize_continuous(evaluator, x, iterations, on_iteration, bounds=None):
    """One L-BFGS run of iterations x 20 evaluations, reporting every 20 like the tutorial.
    The last report waits until L-BFGS has stopped: its line search may take a step or two
    past the 20th evaluation, and the last picture saved must be the best one."""
    reported = []

    def report(_):  # scipy calls this after each of its steps
        while len(reported) < min(iterations - 1, evaluator.evaluations // EVALS_PER_ITERATION):
            reported.append(len(reported) + 1)
            on_iteration(reported[-1])

    fmin_l_bfgs_b(evaluator.loss, x.ravel(), fprime=evaluator.grads,
                  maxfun=iterations * EVALS_PER_ITERATION, callback=report, bounds=bounds)
    on_iteration(iterations)  # the last one (all that are left, if it converged early)


# ---------------------------------------------------------------------------------------------
# 8. Beyond the tutorial: the loss's own options (the fast path and bfloat16, blends, sizes,
# regions). A learner can stop reading here.
# ---------------------------------------------------------------------------------------------
@contextmanager
def layer_precision(bfloat16):
    """Layers made inside compute in bfloat16 (weights kept in float32) if asked: float32's
    range with 8 bits of mantissa, about twice as fast on CPUs with AVX512_BF16 or AMX (and
    GPUs). The loss is still summed in float32: within about 0.1% of float32's."""
    if not bfloat16:  # as they are: float32, or float64 where a test checks gradients
        yield
        return
    previous = mixed_precision.global_policy()
    mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        yield
    finally:
        mixed_precision.set_global_policy(previous)


def fast_features(content_array, style_arrays, weights_path, settings):
    """The tutorial's features, but the photo's and the paintings' computed once, up front.

    They never change: sending them through VGG16 at every evaluation, as the tutorial does,
    triples the work. Here only the result does; they go once, at their own size (--style-scale)."""
    combination_image = K.placeholder(content_array.shape)
    with layer_precision(settings.bfloat16):
        model = vgg16(combination_image, weights_path)
    layers = [settings.content_layer, *settings.style_layers]
    combination = {name: K.cast(model.get_layer(name).output, "float32")  # batch of 1
                   for name in layers}
    any_image = K.placeholder((1, None, None, 3))
    outputs = [K.cast(output, "float32") for output in Model(
        model.input, [model.get_layer(name).output for name in layers])(any_image)]
    statistic = style_statistic(settings.style_loss)
    features_of = K.function([any_image], [outputs[0]] + [statistic(f) for f in outputs[1:]])
    weights = K.placeholder((1, None, None, 1))  # one per pixel (the package's tiles)
    grams_of = K.function([any_image, weights], [
        statistic(f, at_layer(weights, name)) for f, name in zip(outputs[1:],
                                                                  settings.style_layers)])
    content = K.zeros(K.int_shape(combination[settings.content_layer]))
    spreads = ({name: K.variable(0.0) for name in settings.style_layers}
               if settings.style_loss == "w2" else None)
    style_grams = [{name: K.constant(as_if_sized(gram, name, content_array.shape[1:3],
                                                 array.shape[1:3]))
                    for name, gram in zip(settings.style_layers, features_of([array])[1:])}
                   for array in style_arrays]
    features = Features(combination_image, content, style_grams, combination, photo=content,
                        features_of=features_of, grams_of=grams_of, photo_spreads=spreads)
    features.set_content(content_array)
    return features


def poolings(layer):
    """How many of VGG16's 2x2 poolings a layer's features have been through."""
    return sum(name.endswith("pool") for name in VGG16_LAYERS[: VGG16_LAYERS.index(layer) + 1])


def layer_shape(shape, layer):
    """(height, width) of a VGG16 layer's features for an image of `shape`: each pooling up to
    that layer halves it, rounding down."""
    return tuple(side // 2 ** poolings(layer) for side in shape)


def as_if_sized(gram, layer, shape, painting_shape):
    """A painting's Gram matrix at `layer` as if the painting were `shape`, the result's size.
    A painting of another size has more (or fewer) positions to sum over: scaled to the
    result's number of positions, the two compare like for like."""
    return gram * np.prod(layer_shape(shape, layer)) / np.prod(layer_shape(painting_shape, layer))


def normalise_blend(weights):
    """Style blend weights, scaled to sum to 1 so the style weight keeps its meaning."""
    weights = np.asarray(weights, dtype=np.float64)
    weights = weights / weights.max()  # first, so that huge weights cannot overflow the sum
    return list(weights / weights.sum())


def loss_weights_for_size(content_weight, tv_weight, scale):
    """The content and total variation weights for a picture `scale` times smaller (in length)
    than the tutorial's 512 px, so that one set of weights paints alike at 192, 512 or 2048 px.
    The style loss divides its sums by the positions squared: it does not grow with the size.
    The content loss sums over s**2 times fewer positions: its weight s**2 times larger. The
    total variation loss sums (difference**2)**1.25 over s**2 times fewer pixels, differences
    s times larger: s**0.5 times as large, its weight s**-0.5 times."""
    return content_weight * scale ** 2, tv_weight * scale ** -0.5


@dataclass(frozen=True, kw_only=True)
class PositionWeights:
    """How much each position of the result counts in the loss (section 4's `weights`), each a
    tensor (1, height, width, 1) or None (all alike): `pixels` for the content and total
    variation losses, `styles` (one per painting) for its Gram matrices. `whole`: the (height,
    width) of the picture whose loss this is, larger than the result for a poster's tile."""
    whole: tuple
    pixels: object = None
    styles: tuple = ()


def at_layer(weights, layer):
    """Per-position weights (1, h, w, 1) at a VGG16 layer's size: averaged over 2x2 blocks at
    each pooling up to that layer, as VGG16 pools its features (rounding down: layer_shape)."""
    if weights is None:
        return None
    for _ in range(poolings(layer)):
        weights = K.pool2d(weights, (2, 2), strides=(2, 2), pool_mode="avg")
    return weights


def resize_mask(mask, shape):
    """A mask of weights 0 to 1 at another size: each new pixel is the mean of those it covers."""
    height, width = shape
    image = Image.fromarray(np.asarray(mask, dtype=np.float32))
    return np.asarray(image.resize((width, height), Image.BOX), dtype=np.float64)


def mask_weights(masks, shape):
    """Gatys et al. 2017's spatial control: each painting's style counts only where its mask
    (0 to 1, one per painting) is white, for a result of `shape`; None without masks. A mask
    counts each position by its square, scaled to a mean of 1, so a region's Gram matrix is on
    the scale of a whole picture's and an all-white mask changes nothing."""
    if masks is None:
        return None
    squares = [np.square(resize_mask(mask, shape)) for mask in masks]
    return PositionWeights(whole=tuple(shape), styles=tuple(
        K.constant((square / np.mean(square))[np.newaxis, :, :, np.newaxis]) for square in squares))


# A second style statistic (--style-loss w2): a picture can match a painting's Gram matrices
# and still be the photo with a texture laid over. The 2-Wasserstein distance between Gaussians
# with the two pictures' feature means and covariances asks the features to be spread out like
# the painting's (as crowsonkb's style-transfer-pytorch does). Both are held by the Gram matrix
# of the features with a 1 appended, so masks, blends and tiles take it like a Gram matrix.
# A vivid painting must pull harder than a quiet one, as it does in the Gram loss: one k times
# as spread out as the photo pulls k**W2_PULL times as hard (1.5 met neural-style on its pairs).
# Past W2_HOLD (about the most a painting pulls on those pairs) a soft photo under a far more
# varied painting (a cat under swirls) would be pulled away: it holds on the harder.
W2_PULL = 1.5
W2_HOLD = 3.5


def moments_matrix(x, weights=None):
    """[[sum f f^T, sum f], [sum f^T, count]] of one image's features f, each position counted
    by its weight: the Gram matrix of the features with a constant 1 appended."""
    features = K.reshape(x, (-1, K.int_shape(x)[-1]))
    return gram_matrix(K.concatenate([features, K.ones_like(features[:, :1])]), weights)


def style_statistic(name):
    """What a painting's style is summed into, for style_loss `name`: "gram" or "w2"."""
    return gram_matrix if name == "gram" else moments_matrix


def mean_and_covariance(moments):
    """The features' mean and covariance from their moments matrix."""
    count = moments[-1, -1]
    mean = moments[:-1, -1] / count
    return mean, moments[:-1, :-1] / count - mean[:, None] * mean[None, :]


def wasserstein_style_loss(style_moments, combination, photo_spread, weights=None, rest=None):
    """Squared 2-Wasserstein distance between Gaussians with the painting's and the result's
    feature means and covariances, |m1 - m2|^2 + tr(C1 + C2 - 2 (C1^1/2 C2 C1^1/2)^1/2), over
    the painting's spread tr(C1) (so that every layer counts alike), times its pull on the
    photo (`photo_spread`: its tr(C)). `rest`: moments of the rest of the picture the result
    is a part of (the package's tiles)."""
    moments = moments_matrix(combination, weights)
    style_mean, style_cov = mean_and_covariance(style_moments)
    mean, cov = mean_and_covariance(moments if rest is None else moments + rest)
    values, vectors = tf.linalg.eigh(tf.stop_gradient(style_cov))  # the painting's: constant
    root = (vectors * K.sqrt(K.maximum(values, 0.0))) @ tf.transpose(vectors)
    product = root @ cov @ root
    # The trace of a square root is the sum of the eigenvalues' square roots (eigenvalues alone
    # stay stable when they repeat), in float64: float32's rounding noise stops L-BFGS early.
    eigenvalues = tf.linalg.eigvalsh(tf.cast((product + tf.transpose(product)) / 2, "float64"))
    root_trace = K.cast(K.sum(K.sqrt(K.maximum(eigenvalues, 1e-8))), cov.dtype)
    spread = tf.linalg.trace(style_cov)
    return (K.sum(K.square(mean - style_mean)) + spread + tf.linalg.trace(cov)
            - 2 * root_trace) / spread * pull(spread, photo_spread)


def pull(spread, photo_spread):
    """How hard a painting pulls a photo: their spreads' ratio (the photo's at least a hundredth
    of the painting's) to the power W2_PULL."""
    return (spread / K.maximum(K.cast(photo_spread, spread.dtype), 0.01 * spread)) ** W2_PULL


def photo_hold(features, settings, blend):
    """How many times the content loss counts: 1, or (w2) the paintings' mean pull / W2_HOLD."""
    if features.photo_spreads is None:
        return 1.0
    pulls = [share * pull(tf.linalg.trace(mean_and_covariance(grams[name])[1]),
                          features.photo_spreads[name])
             for grams, share in zip(features.style_grams, blend) for name in settings.style_layers]
    return K.maximum(sum(pulls) / len(settings.style_layers) / W2_HOLD, 1.0)
