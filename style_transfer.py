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
    python style_transfer.py images/chelsea.png images/swirls.png --fast --scales 256 512 1024
    python style_transfer.py --help

Each iteration prints the loss and its parts and saves the picture so far; the final image goes
to --output, with a comparison sheet, an animated GIF of the run and a plot of its loss beside
it. Add --fast to compute the photo's and the paintings' features once instead of at every
step: the same loss, 2.4x sooner. --scales paints large pictures coarse to fine.

The tutorial's code no longer runs as written: Keras 3 dropped `K.placeholder` and
`K.gradients`, TensorFlow 2 runs eagerly, and `scipy.misc.imsave` is gone. We keep its shape
by taking the Keras 2 API from the `tf-keras` package and switching TensorFlow back to graph
mode, which is the world the tutorial was written for.

The file follows the video. The lesson:
  1. the tutorial's numbers            5. the Evaluator
  2. images in and out                 6. the optimisation loop (L-BFGS)
  3. the losses                        7. beyond the tutorial: the painter's options
  4. VGG16 and the graph               8. painting a picture, from code (Painter)
Then the command line, which a learner can skip: 9. VGG16's weights, 10. memory, 11. options,
12. the run and main(). Its plumbing, shared with style_video.py, is in command_line.py.
"""
import command_line as cli  # first: the command line's plumbing, out of the lesson's way
if __name__ == "__main__":
    cli.starting_up()  # a Ctrl-C while the libraries load (seconds) just stops, in one line
import argparse
import math
import os
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from PIL import Image
from scipy.optimize import fmin_l_bfgs_b

from colours import COLOR_MODES, RGB_TO_YIQ, color_inputs, color_result
import tiles  # posters: a stage too large for memory, painted in tiles (section 8)

with cli.quiet_native_stderr():  # TensorFlow writes notices about GPUs straight to the terminal
    import tensorflow as tf
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


@dataclass(frozen=True)
class LossSettings:
    """Everything the loss is made of, with the tutorial's numbers as defaults (in one object,
    as nanoGPT's GPTConfig). The last three go beyond the tutorial (section 7)."""
    content_weight: float = CONTENT_WEIGHT
    style_weight: float = STYLE_WEIGHT
    tv_weight: float = TV_WEIGHT
    content_layer: str = CONTENT_LAYER
    style_layers: tuple = STYLE_LAYERS
    style_blend: tuple = None   # each painting's share of the style loss; None: equal shares
    style_masks: tuple = None   # where on the photo each painting paints (0 to 1); None: all
    fast: bool = False          # the photo's and paintings' features once, not every step
    bfloat16: bool = False      # with fast: VGG16's convolutions in bfloat16 (section 7)


# ---------------------------------------------------------------------------------------------
# 2. Images in and out
# ---------------------------------------------------------------------------------------------
# command_line.load_image reads any picture file as an RGB array of shape (height, width, 3).
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
    mean and blue lost red's. We flip first, then subtract, which is what VGG16 was trained on.
    """
    x = resize(image, shape).astype(np.float32)[:, :, ::-1]  # RGB -> BGR
    return (x - IMAGENET_MEAN_BGR)[np.newaxis]


def deprocess(x, shape):
    """The optimiser's flat float vector -> an RGB uint8 image: preprocess, undone."""
    height, width = shape
    x = x.reshape((height, width, 3)) + IMAGENET_MEAN_BGR
    return np.clip(x[:, :, ::-1], 0, 255).astype(np.uint8)  # BGR -> RGB


# ---------------------------------------------------------------------------------------------
# 3. The losses
# ---------------------------------------------------------------------------------------------
def content_loss(content, combination, share=None):
    """Squared distance between the photo's and the result's features. (`share`: a tile's
    part of each position, section 8; None for a whole picture.)"""
    square = K.square(combination - content)
    return K.sum(square if share is None else square * share)


def gram_matrix(x, mask=None, share=None):
    """Channel-by-channel correlations of one image's features, shape (channels, channels).

    Summing over positions throws away *where* things are and keeps *which features appear
    together*: that is what we call style.
    The tutorial first moved the channels to the front (`permute_dimensions`) and took
    features . features^T; we lay out one row per position and let the matrix product read
    it transposed: the same matrix, without first copying every feature in memory.

    A mask (one weight per position, section 7) gives the Gram matrix of a region only:
    Gatys et al. 2017's spatial control. It is scaled to a mean square of 1, so a region's
    Gram matrix is on the scale of a whole picture's and an all-ones mask changes nothing.
    A tile of a larger picture (section 8) counts each position by its `share` (a tensor of
    one weight per position): the tile's part of the whole picture's Gram matrix.
    """
    features = K.reshape(x, (-1, K.int_shape(x)[-1]))  # (positions, channels)
    if mask is not None:
        weights = mask.reshape(-1, 1) / np.sqrt(np.mean(np.square(mask)))
        features = features * K.constant(weights)
    if share is not None:
        features = features * K.sqrt(K.reshape(share, (-1, 1)))
    return tf.linalg.matmul(features, features, transpose_a=True)


def style_loss(style_gram, combination, height, width, mask=None, share=None):
    """Squared distance between the painting's Gram matrix and the result's.

    The tutorial computed both Gram matrices here; we take the painting's ready-made, so the
    fast path can compute it once (the painting never changes).
    The divisor 4 * 3**2 * (h*w)**2 is the tutorial's: Gatys et al. divide by
    4 * N**2 * M**2 with N the layer's channels and M its positions, but the tutorial used
    the image's 3 channels and pixel count for every layer. We keep it so the weights above
    mean what they meant in the video.
    """
    C = gram_matrix(combination, mask, share)
    channels = 3
    size = height * width
    return K.sum(K.square(style_gram - C)) / (4.0 * (channels ** 2) * (size ** 2))


def total_variation_loss(x, height, width, share=None):
    """Penalise differences between neighbouring pixels, so the result is not speckled."""
    a = K.square(x[:, : height - 1, : width - 1, :] - x[:, 1:, : width - 1, :])
    b = K.square(x[:, : height - 1, : width - 1, :] - x[:, : height - 1, 1:, :])
    variation = K.pow(a + b, 1.25)
    return K.sum(variation if share is None else variation * share[:, : height - 1,
                                                                   : width - 1, :])


# ---------------------------------------------------------------------------------------------
# 4. VGG16 and the graph, in the tutorial's order
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
    matrices {layer: gram}; `combination` the result's features {layer: tensor}."""
    combination_image: object
    content: object
    style_grams: list
    combination: dict
    photo: object                  # the variable to set for another photo of the same size ...
    features_of: object = None     # ... through this function (fast path), or as it is
    grams_of: object = None        # (fast path) [image, share] -> its weighted Gram matrices
    tile: object = None            # a tile's part in a larger picture's loss (TileShares)

    def set_content(self, array):
        """Another photo of the same size (a video's next frame), without a new graph."""
        K.set_value(self.photo, array if self.features_of is None
                    else self.features_of([array])[0])


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
    style_grams = [{name: gram_matrix(outputs_dict[name][1 + i, :, :, :])
                    for name in settings.style_layers} for i in range(len(style_arrays))]
    combination = {name: outputs_dict[name][-1, :, :, :]
                   for name in [settings.content_layer, *settings.style_layers]}
    return Features(combination_image, content, style_grams, combination, photo=content_image)


def total_loss(features, settings, size_scale):
    """The tutorial's weighted sum of content, style and total variation losses, in parts.

    Returns {part: tensor}, whose sum is the loss: "content", "style 1" (one per painting,
    each counting by its share of the blend and, with masks, only where its mask is) and
    "total variation". The weights are the tutorial's at its 512 px; `size_scale` says how
    many times smaller this picture is, and loss_weights_for_size (section 7) adjusts them.
    """
    height, width = K.int_shape(features.combination_image)[1:3]
    content_weight, tv_weight = loss_weights_for_size(settings.content_weight,
                                                      settings.tv_weight, size_scale)
    count = len(features.style_grams)
    blend = normalise_blend(settings.style_blend or [1.0] * count)
    masks = settings.style_masks or [None] * count
    tile = features.tile or TileShares((height, width), None, [None] * count)  # a whole picture
    parts = {"content": content_weight * content_loss(
        features.content, features.combination[settings.content_layer],
        layer_share(tile.pixels, settings.content_layer))}
    for i, (grams, part, mask) in enumerate(zip(features.style_grams, blend, masks)):
        sl = 0.0
        for name in settings.style_layers:
            layer_mask = None if mask is None else resize_mask(mask, layer_shape(mask.shape,
                                                                                 name))
            sl = sl + style_loss(grams[name], features.combination[name], *tile.whole,
                                 layer_mask, layer_share(tile.styles[i], name))
        parts[f"style {i + 1}"] = part * (settings.style_weight / len(settings.style_layers)) * sl
    parts["total variation"] = tv_weight * total_variation_loss(features.combination_image,
                                                                height, width, tile.pixels)
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
                         extra_loss=None, weights_size=SIZE, whole=None):
    """Build the graph of the loss and its gradient with respect to the result: a Graph.

    The weights mean what they mean for a picture `weights_size` pixels long (the tutorial's
    512), whatever this one's size (loss_weights_for_size). `extra_loss(features, size_scale)`,
    if given, returns more parts {name: tensor} to add to the loss: style_video.py adds its
    temporal loss this way. With `whole` (height, width), the photo is a tile of a picture
    that size, and the graph its part of that picture's loss (tile_features, section 8).
    """
    size_scale = weights_size / max(whole or content_array.shape[1:3])
    if whole is not None:
        features = tile_features(content_array, len(style_arrays), weights_path, settings,
                                 whole)
    else:
        features = (fast_features if settings.fast else tutorial_features)(
            content_array, style_arrays, weights_path, settings)
    parts = total_loss(features, settings, size_scale)
    if extra_loss is not None:
        parts.update(extra_loss(features, size_scale))
    loss = sum(parts.values())
    grads = K.gradients(loss, features.combination_image)
    f_outputs = K.function([features.combination_image], [loss] + grads + list(parts.values()))
    return Graph(f_outputs, list(parts), features)


# ---------------------------------------------------------------------------------------------
# 5. The Evaluator
# ---------------------------------------------------------------------------------------------
class Evaluator:
    """Hands scipy the loss and the gradient from one run of the graph.

    fmin_l_bfgs_b asks for the loss and the gradient through two separate functions, but one
    pass through VGG16 gives both. So `loss(x)` runs the graph and keeps the gradient, and
    `grads(x)` for the same x hands it over: half the work of running the graph twice.
    It also remembers the best point seen, so a stopped run can keep its best picture, and
    calls `on_evaluation(evaluator)` after every run of the graph, if given (to record the
    loss, to time it, to stop between two runs).
    """

    def __init__(self, f_outputs, shape, parts=(), on_evaluation=None):
        self.f_outputs = f_outputs
        self.shape = shape
        self.parts = list(parts)
        self.on_evaluation = on_evaluation
        self.evaluations = 0
        self.best_x = None
        self.best_loss = np.inf
        self.best_parts = {}
        self.x = None
        self.loss_value = None
        self.grad_values = None
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
# 6. The optimisation loop
# ---------------------------------------------------------------------------------------------
def random_start(shape, seed=None):
    """The tutorial's start: uniform noise around zero in the preprocessed (BGR) space."""
    height, width = shape
    rng = np.random.default_rng(seed)
    return rng.uniform(0, 255, (1, height, width, 3)) - 128.0


def optimize_restarted(evaluator, x, iterations, on_iteration, bounds=None):
    """The tutorial's loop: each iteration a fresh L-BFGS run of 20 evaluations.

    Every restart forgets the curvature L-BFGS has learnt, which costs quality. (`bounds`,
    beyond the tutorial: pixel_bounds, section 7.)
    """
    x = x.ravel()
    for i in range(1, iterations + 1):
        x, _, _ = fmin_l_bfgs_b(evaluator.loss, x, fprime=evaluator.grads,
                                maxfun=EVALS_PER_ITERATION, bounds=bounds)
        on_iteration(i)


def optimize_continuous(evaluator, x, iterations, on_iteration, bounds=None):
    """One L-BFGS run of iterations x 20 evaluations, reporting every 20 like the tutorial.

    The last report waits until L-BFGS has stopped: its line search may take a step or two
    past the 20th evaluation, and the last picture saved must be the best one.
    """
    reported = []

    def report(_):  # scipy calls this after each of its steps
        while len(reported) < min(iterations - 1, evaluator.evaluations // EVALS_PER_ITERATION):
            reported.append(len(reported) + 1)
            on_iteration(reported[-1])

    fmin_l_bfgs_b(evaluator.loss, x.ravel(), fprime=evaluator.grads,
                  maxfun=iterations * EVALS_PER_ITERATION, callback=report, bounds=bounds)
    on_iteration(iterations)  # the last one (all that are left, if it converged early)


# ---------------------------------------------------------------------------------------------
# 7. Beyond the tutorial: the fast path, blends, sizes, regions, the start (and the photo's
# colours, before and after the run: colours.py, plain numpy, imported above)
# ---------------------------------------------------------------------------------------------
def layer_shape(shape, layer):
    """(height, width) of a VGG16 layer's features for an image of `shape`: each pooling up to
    that layer halves it, rounding down."""
    height, width = shape
    for name in VGG16_LAYERS[: VGG16_LAYERS.index(layer) + 1]:
        if name.endswith("pool"):
            height, width = height // 2, width // 2
    return height, width


@contextmanager
def layer_precision(bfloat16):
    """Layers made inside compute in bfloat16 (their weights kept in float32) if asked.

    bfloat16 keeps float32's range with 8 bits of mantissa: CPUs with AVX512_BF16 or AMX (and
    GPUs) multiply it about twice as fast. The loss is still summed in float32 (the features
    are cast back before the Gram matrices), which keeps it within about 0.1% of float32's.
    """
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

    They never change, so sending them through VGG16 at every evaluation (as the tutorial
    does) triples the work for nothing. Here only the result goes through the network; the
    photo and each painting go through the same network once, at their own size (a painting
    may be larger or smaller than the result: --style-scale).
    """
    combination_image = K.placeholder(content_array.shape)
    with layer_precision(settings.bfloat16):
        model = vgg16(combination_image, weights_path)
    layers = [settings.content_layer, *settings.style_layers]
    combination = {name: K.cast(model.get_layer(name).output, "float32")  # batch of 1
                   for name in layers}
    any_image = K.placeholder((1, None, None, 3))
    outputs = [K.cast(output, "float32") for output in Model(
        model.input, [model.get_layer(name).output for name in layers])(any_image)]
    features_of = K.function([any_image], [outputs[0]] + [gram_matrix(f) for f in outputs[1:]])
    share = K.placeholder((1, None, None, 1))  # each pixel's part: a tile's (section 8)
    grams_of = K.function([any_image, share], [
        gram_matrix(f, share=layer_share(share, name))
        for f, name in zip(outputs[1:], settings.style_layers)])
    content = K.zeros(K.int_shape(combination[settings.content_layer]))
    K.set_value(content, features_of([content_array])[0])
    style_grams = []
    for array in style_arrays:
        # A painting of another size has more (or fewer) positions to sum over: scale its Gram
        # matrices to the result's number of positions, so they compare like for like.
        grams = features_of([array])[1:]
        style_grams.append({
            name: K.constant(gram * np.prod(layer_shape(content_array.shape[1:3], name))
                             / np.prod(layer_shape(array.shape[1:3], name)))
            for name, gram in zip(settings.style_layers, grams)})
    return Features(combination_image, content, style_grams, combination, photo=content,
                    features_of=features_of, grams_of=grams_of)


def normalise_blend(weights):
    """Style blend weights, scaled to sum to 1 so the style weight keeps its meaning."""
    weights = np.asarray(weights, dtype=np.float64)
    weights = weights / weights.max()  # first, so that huge weights cannot overflow the sum
    return list(weights / weights.sum())


def loss_weights_for_size(content_weight, tv_weight, scale):
    """The content and total variation weights for a picture `scale` times smaller (in length)
    than the tutorial's 512 px, so that they mean what they meant there.

    In the tutorial's sums the three losses grow differently with the picture's size. The
    style loss does not grow: its Gram matrices grow with the number of positions and it
    divides by that number squared. The content loss sums over positions: a picture s times
    smaller has s**2 times fewer, so its weight is s**2 times larger here. The total variation
    loss sums (difference**2)**1.25: s times smaller means s**2 times fewer pixels with
    differences s times larger, s**-2 * s**2.5 = s**0.5, so its weight is s**-0.5 times.
    With this, one set of weights paints the same picture at 192 px as at 512 or 2048 (a quick
    small try shows what the large one will look like), and each stage of a coarse-to-fine
    run (--scales) is a smaller version of the final picture, not a different painting.
    """
    return content_weight * scale ** 2, tv_weight * scale ** -0.5


def resize_mask(mask, shape):
    """A mask of weights 0 to 1 at another size: each new pixel is the mean of those it covers.
    This is how a mask drawn on the photo reaches each VGG16 layer's smaller feature map."""
    height, width = shape
    image = Image.fromarray(np.asarray(mask, dtype=np.float32))
    return np.asarray(image.resize((width, height), Image.BOX), dtype=np.float64)


def enlarged(picture, content, shape, keep_detail=False):
    """A coarse stage's picture at the next stage's `shape`, preprocessed: resized, and with
    `keep_detail` the photo's own detail at the new size added back (the photo minus the photo
    resized down to the picture's size and up again). Resizing up blurs: the content loss then
    starts far from its minimum, and L-BFGS spends its first evaluations putting back the
    photo's edges, which the photo itself can give for free."""
    x = preprocess(picture, shape).astype(np.float64)
    if keep_detail:
        coarse = resize(content, picture.shape[:2])
        x += preprocess(content, shape) - preprocess(coarse, shape)
    return x


def pixel_bounds(shape):
    """L-BFGS-B's bounds (the B) that keep every pixel of a picture of `shape` between 0 and
    255 while it is optimised: (low, high) for each of its values, preprocessed (BGR, the mean
    removed). The tutorial optimised without them, and L-BFGS pushed pixels far past black and
    white, which the saved picture clips: its picture's loss, as saved, is about 1.5 times the
    loss it printed (make bench). Inside the bounds the picture saved is the one optimised."""
    low = np.tile(-IMAGENET_MEAN_BGR.astype(np.float64), shape[0] * shape[1])
    return np.stack([low, low + 255.0], axis=1)


def starting_image(init, content, styles, shape, seed):
    """The image the optimisation starts from, already preprocessed: "noise" (the tutorial's),
    "content" (the photo), "style" (the first painting) or any RGB image."""
    if isinstance(init, str) and init == "noise":
        return random_start(shape, seed)
    image = {"content": content, "style": styles[0]}[init] if isinstance(init, str) else init
    return preprocess(image, shape).astype(np.float64)


# ---------------------------------------------------------------------------------------------
# 8. Painting a picture, from code: stage by stage, with a word after every iteration
# ---------------------------------------------------------------------------------------------
# Posters (--tile): neighbouring tiles share 64 px, two of block5's 32 px cells, so that the
# blend between them is wider than anything VGG16 sees as one feature.
TILE_OVERLAP = 64
SMALLEST_TILE = 256  # the smallest a stage too large for memory is cut into, unasked (--tile)


@dataclass(frozen=True)
class PaintSettings:
    """How a picture is painted: the path, not the loss. `sizes` (longer sides, growing) are
    the stages of coarse to fine (one for a plain run), each `iterations` long; `init` the
    start (see starting_image); `preserve_color` a COLOR_MODES mode or None; `style_scale` the
    paintings' size as a multiple of the result's (with the fast path)."""
    sizes: tuple = (SIZE,)
    iterations: tuple = (ITERATIONS,)
    init: object = "noise"
    seed: int = None
    restarts: bool = False        # the tutorial's loop: a fresh L-BFGS run every iteration
    preserve_color: str = None
    style_scale: float = 1.0
    flat: float = None            # end a stage early once an iteration lowers the loss by
                                  # less than this fraction (None: all its iterations)
    keep_detail: bool = False     # each stage after the first starts from the last one's
                                  # picture enlarged *plus the photo's finer detail*
    bounded: bool = False         # every pixel kept within 0 to 255 (pixel_bounds)
    tile: int = None              # a stage longer than this is painted in tiles of this size
    tile_overlap: int = TILE_OVERLAP  # ... overlapping by at least this many pixels (tiles.py)


# --quick: the recipe that reaches the tutorial's picture soonest, found by measuring the
# alternatives (`make bench`, BENCHMARKS.md). It changes the path, not the loss: start from the
# photo, keep every pixel between 0 and 255, run in bfloat16 where the machine multiplies it
# faster, and end once the loss has stopped falling. Above 512 px it paints coarse to fine,
# from 512 px up by doubling, each stage starting from the last one's picture plus the
# photo's finer detail; at 512 px and below one size is quicker (a smaller stage's picture,
# enlarged, costs the larger one as many evaluations as the photo does).
QUICK_BASE = 512         # the smallest stage above it
QUICK_ITERATIONS = 8     # the most each stage may take; most end sooner ...
QUICK_FLAT = 0.01        # ... once an iteration lowers its loss by less than 1%


def quick_sizes(size):
    """--quick's stages up to `size`: 512 1024 2048 for 2048, 512 alone for 512."""
    sizes = [size]
    while sizes[0] / 2 >= QUICK_BASE:
        sizes.insert(0, round(sizes[0] / 2))
    return tuple(sizes)


def quick_recipe(size, how=PaintSettings()):
    """`how` (its start, seed, colours and style scale) painted by --quick's recipe."""
    sizes = quick_sizes(size)
    return replace(how, sizes=sizes, iterations=(QUICK_ITERATIONS,) * len(sizes),
                   restarts=False, flat=QUICK_FLAT, keep_detail=True, bounded=True)


def bfloat16_is_faster():
    """True where VGG16's convolutions run faster in bfloat16: a GPU, or a CPU with AVX512_BF16
    or AMX (Linux says so in /proc/cpuinfo; elsewhere we keep float32)."""
    with cli.quiet_native_stderr():  # looking for a GPU, TensorFlow reports failing at length
        if tf.config.list_physical_devices("GPU"):
            return True
    try:
        flags = Path("/proc/cpuinfo").read_text().split()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


@dataclass
class Iteration:
    """What a Painter tells its watcher after each iteration: the best picture so far (RGB,
    at the stage's size), its loss and the loss's parts."""
    stage: int          # 0 for the first size
    stages: int
    number: int         # 1 to `iterations`, within the stage
    iterations: int
    picture: np.ndarray
    loss: float
    parts: dict
    evaluations: int    # in the whole run so far


class Watcher:
    """What a Painter reports to as it paints: the command line prints and saves, the studio
    shows. Override what you need."""

    def stage_begins(self, stage, shape, iterations):
        """Stage `stage` (0 for the first size) is about to be built, at `shape`."""

    def stage_started(self, stage, loss):
        """Its first evaluation, from the start (stage 0) or the previous stage's picture."""

    def tile_started(self, visit, loss):
        """In a tiled stage, instead: which tile it paints now (a TileVisit), its first loss."""

    def iteration_done(self, iteration):
        """After every iteration: an Iteration."""

    def evaluation_done(self, evaluator):
        """After every run of the graph: the stage's Evaluator (its loss_value, best_loss)."""

    def should_stop(self):
        """Asked between two evaluations: True ends the run, keeping the best picture."""
        return False


class Stopped(Exception):
    """Raised between two evaluations when the watcher asked to stop."""


class Flat(Exception):
    """Raised after an iteration that lowered the loss by less than PaintSettings.flat."""


def flattened(before, after, flat):
    """True when an iteration that took the loss from `before` to `after` lowered it by less
    than the fraction `flat` (None: never). A stage that has flattened has done most of what
    it can at its size; the next, larger one has far to go and learns faster."""
    return flat is not None and before - after < flat * before


@dataclass
class Painting:
    """What Painter.paint returns. `picture` is the best picture of the last stage reached (RGB
    at `shape`; None if stopped before the first evaluation), and `loss` its loss (in a tiled
    stage, the last tile's: no graph holds the whole picture); `history` every evaluation's
    {"loss": ..., part: ...}, and `stage_starts` where in it each stage began; `stopped` says
    the watcher stopped it, `failure` why it failed (the loss overflowed), if it did."""
    picture: np.ndarray = None
    shape: tuple = None
    loss: float = np.inf
    parts: dict = field(default_factory=dict)
    history: list = field(default_factory=list)
    stage_starts: list = field(default_factory=list)
    painted: np.ndarray = None    # the picture as painted, before --preserve-color's swap
    stopped: bool = False
    failure: str = None


@dataclass
class TileVisit:
    """Which tile a tiled stage paints now: tile `index` of `count` (`tile`, a tiles.Tile),
    in sweep `sweep` of `sweeps` over them all."""
    index: int
    count: int
    tile: object
    sweep: int
    sweeps: int


@dataclass
class TileShares:
    """A tile's part in a larger picture's loss: `pixels`, the tile's blend weights
    (1, h, w, 1), weigh its content and total variation losses; `styles`, one per painting,
    the same times the painting's mask, weigh its Gram matrices. Variables, which WholeStyle
    sets before each tile. `whole` (height, width) is the picture's size: the style loss is
    normalised by it, as the whole picture's is."""
    whole: tuple
    pixels: object
    styles: list


def layer_share(share, layer):
    """Each pixel's share (1, h, w, 1) at a VGG16 layer's size: averaged over 2x2 blocks at
    each pooling up to that layer, as VGG16 pools its features (rounding down)."""
    if share is None:
        return None
    for name in VGG16_LAYERS[: VGG16_LAYERS.index(layer) + 1]:
        if name.endswith("pool"):
            share = K.pool2d(share, (2, 2), strides=(2, 2), pool_mode="avg")
    return share


def tile_features(content_array, paintings, weights_path, settings, whole):
    """The fast path's features for a tile of a picture of `whole` (height, width) size, with
    `paintings` paintings: their Gram targets and the tile's shares are variables, set for
    each tile by WholeStyle, so that one graph serves every tile."""
    features = fast_features(content_array, [], weights_path, settings)
    channels = vgg16_channels()
    features.style_grams = [{name: K.variable(np.zeros((channels[name],) * 2, np.float32))
                             for name in settings.style_layers} for _ in range(paintings)]
    ones = np.ones((1, *content_array.shape[1:3], 1), np.float32)
    features.tile = TileShares(whole, K.variable(ones),
                               [K.variable(ones) for _ in range(paintings)])
    return features


class WholeStyle:
    """A tiled stage's style loss: the whole picture's, not each tile's own.

    A Gram matrix is a sum over positions, and the tiles' blend weights sum to one at every
    pixel, so the whole picture's Gram matrix is the sum of the tiles', each position counted
    by its share. While one tile is painted the others are held as they are on the canvas:
    its target is the painting's Gram matrix less the others' shares, and matching it matches
    the whole picture's. (A tile matching the painting by itself gets smaller, busier brush
    marks than the whole picture would.) The paintings' Gram matrices are summed the same way,
    in pieces of a tile's size, so no pass through VGG16 is larger than a tile."""

    def __init__(self, features, canvas, paintings, masks, how):
        """`canvas`: the stage's tiles.Canvas, whose tiles and blend weights it shares."""
        self.features, self.grid, self.weights = features, canvas.tiles, canvas.weights
        grid, shape = canvas.tiles, canvas.start.shape[:2]
        # A mask counts each pixel by its square (gram_matrix), scaled to a mean of 1.
        masks = [None if m is None else np.square(resize_mask(m, shape))
                 for m in masks or [None] * len(paintings)]
        self.masks = [None if m is None else m / np.mean(m) for m in masks]
        self.targets = []
        for painting in paintings:
            pieces = tiles.tile_grid(painting.shape[1:3], how.tile, how.tile_overlap)
            parts = [self.grams_of(painting[0][piece.region], weights) for piece, weights in
                     zip(pieces, tiles.blend_weights(pieces, painting.shape[1:3]))]
            # A painting of another size (--style-scale): scaled to the picture's positions.
            self.targets.append({
                name: sum(part[name] for part in parts) * np.prod(layer_shape(shape, name))
                / np.prod(layer_shape(painting.shape[1:3], name)) for name in parts[0]})
        self.grams = [None] * len(grid)  # each tile's, measured once it is painted
        # Until a tile is first painted it still holds the enlarged picture, blurred, whose
        # Gram matrices are smaller than a painted tile's: counted as they are, the first tiles
        # would make up for them with the busiest marks. So each counts as its fair part of
        # the painting's (its share of the picture's positions) until it is painted.
        shares = [[np.sum(share) for share in self.shares(i)] for i in range(len(grid))]
        totals = np.sum(shares, axis=0)
        self.fair = [np.array(tile) / totals for tile in shares]
        self.unpainted = set(range(len(grid)))

    def grams_of(self, pixels, share):
        """{layer: Gram matrix} of preprocessed `pixels` (h, w, 3), weighted by `share`."""
        grams = self.features.grams_of([pixels[np.newaxis], share[np.newaxis, :, :, np.newaxis]])
        return dict(zip(self.features.style_grams[0], (g.astype(np.float64) for g in grams)))

    def shares(self, index):
        """Tile `index`'s share of each pixel, for each painting (its mask's part in it)."""
        weights, region = self.weights[index], self.grid[index].region
        return [weights if mask is None else weights * mask[region] for mask in self.masks]

    def measure(self, index, picture):
        """Tile `index`'s Gram matrices on `picture` (the whole, preprocessed), per painting."""
        pixels, shares = picture[self.grid[index].region], self.shares(index)
        self.grams[index] = [self.grams_of(pixels, share) for share in shares]

    def aim_at(self, index):
        """Set the graph up for tile `index`: its shares, and targets that make its Gram
        matrices plus the other tiles' (as last measured) the paintings'."""
        shares = self.shares(index)
        K.set_value(self.features.tile.pixels, self.weights[index][np.newaxis, :, :, np.newaxis])
        for i, (target, share) in enumerate(zip(self.targets, shares)):
            K.set_value(self.features.tile.styles[i], share[np.newaxis, :, :, np.newaxis])
            for name, variable in self.features.style_grams[i].items():
                rest = sum(target[name] * self.fair[other][i] if other in self.unpainted
                           else grams[i][name] for other, grams in enumerate(self.grams)
                           if other != index)
                K.set_value(variable, target[name] - rest)

    def painted(self, index, picture):
        """Tile `index` is finished and blended into `picture`: measure it and its neighbours
        (whose overlaps with it changed) again."""
        self.unpainted.discard(index)
        for other, tile in enumerate(self.grid):
            if tiles.overlap(tile, self.grid[index]):
                self.measure(other, picture)


class Painter:
    """Paints photos with one set of settings, as often as asked, with no state left over
    from one picture to the next. Each stage of `how.sizes` builds its graph (section 4),
    starts from the previous stage's best picture enlarged, and runs the L-BFGS loop."""

    def __init__(self, weights_path, loss=LossSettings(), how=PaintSettings()):
        self.weights_path = weights_path
        self.loss = loss
        self.how = how

    def paint(self, photo, paintings, watcher=None):
        """Paint `photo` (RGB) in the style of `paintings` (RGB): a Painting."""
        self.watcher = watcher or Watcher()
        self.photo = photo
        self.canvas = None  # a tiled stage's whole picture (tiles.Canvas)
        self.result = Painting()
        content, styles = color_inputs(photo, paintings, self.how.preserve_color)
        use_graph_mode()
        try:
            for stage, size in enumerate(self.how.sizes):
                self.paint_stage(stage, result_shape(content, size), content, styles)
        except Stopped:
            self.result.stopped = True
        except FloatingPointError as error:
            self.result.failure = str(error)
        return self.result

    def paint_stage(self, stage, shape, content, styles):
        self.stage, self.shape = stage, shape
        self.iterations = self.how.iterations[stage]
        if stage == 0:
            x = starting_image(self.how.init, content, styles, shape, self.how.seed)
        else:
            x = enlarged(self.result.painted, content, shape, self.how.keep_detail)
        self.watcher.stage_begins(stage, shape, self.iterations)
        self.stop_if_asked()
        self.result.stage_starts.append(len(self.result.history))
        if self.how.tile and max(shape) > self.how.tile:
            self.paint_tiles(shape, content, styles, x)
        else:
            self.canvas = None
            self.optimise(self.build_graph(shape, content, styles), shape, x)

    def optimise(self, graph, shape, x):
        """One L-BFGS run from `x` through `graph`: a stage's, or one tile's of it."""
        self.stop_if_asked()
        self.evaluator = Evaluator(graph.f_outputs, shape, graph.parts, self.evaluated)
        try:
            self.last_loss = self.evaluator.loss(x.ravel())  # the start's, for PaintSettings.flat
            if self.canvas is None:
                self.watcher.stage_started(self.stage, self.last_loss)
            else:
                self.watcher.tile_started(self.visit, self.last_loss)
            optimize = optimize_restarted if self.how.restarts else optimize_continuous
            optimize(self.evaluator, x, self.iterations, self.iteration_done,
                     pixel_bounds(shape) if self.how.bounded else None)
        except Flat:
            pass  # on to the next stage, where the same loss still has far to go
        finally:
            self.keep_best()

    def paint_tiles(self, shape, content, styles, x):
        """A stage too large to paint whole, in overlapping tiles (tiles.py), each an L-BFGS
        run through its part of the whole picture's loss from the picture so far: the stages
        before fixed the composition, the tiles refine the brushwork. The photo's features are
        each tile's own; the style loss is the whole picture's (WholeStyle), so neighbours do
        not drift apart. The stage's iterations are sweeps over the tiles, one iteration per
        tile each: a tile painted once and for all would make up for the tiles not yet painted
        (still the enlarged picture, blurred), and the first ones would get the busiest marks."""
        grid = tiles.tile_grid(shape, self.how.tile, self.how.tile_overlap)
        self.canvas = tiles.Canvas(x[0], grid)
        photo = resize(content, shape)
        tile_shape = (grid[0].height, grid[0].width)  # every tile is one size: one graph
        graph = self.build_graph(tile_shape, photo[grid[0].region], styles, whole=shape)
        self.style = WholeStyle(graph.features, self.canvas,
                                [preprocess(s, self.style_shape(shape)) for s in styles],
                                self.loss.style_masks, self.how)
        sweeps, self.iterations = self.iterations, 1
        for visit in range(sweeps * len(grid)):
            index = visit % len(grid)
            tile = grid[index]
            graph.set_content(preprocess(photo[tile.region], tile_shape))
            self.style.aim_at(index)
            self.visit = TileVisit(index, len(grid), tile, visit // len(grid) + 1, sweeps)
            self.optimise(graph, tile_shape, self.canvas.start_of(index)[np.newaxis])

    def tile_done(self):
        """The tile just painted, into the whole picture, and its part of the style measured
        for the tiles after it (its one iteration is over, so it is finished)."""
        tile = self.visit.tile
        self.canvas.add(self.visit.index,
                        self.evaluator.best_x.reshape((tile.height, tile.width, 3)))
        self.style.painted(self.visit.index, self.canvas.picture())

    def build_graph(self, shape, content, styles, whole=None):
        """A fresh graph for a stage at `shape` (the studio overrides this to reuse one), or
        for the tiles of `shape` of a stage at `whole` (its paintings and masks are
        WholeStyle's)."""
        K.clear_session()  # the previous stage's graph, whose sizes no longer fit
        if whole is not None:
            return build_loss_and_grads(preprocess(content, shape), styles, self.weights_path,
                                        replace(self.loss, style_masks=None), whole=whole)
        masks = self.loss.style_masks and tuple(resize_mask(m, shape)
                                                for m in self.loss.style_masks)
        return build_loss_and_grads(preprocess(content, shape),
                                    [preprocess(style, self.style_shape(shape))
                                     for style in styles], self.weights_path,
                                    replace(self.loss, style_masks=masks))

    def style_shape(self, shape):
        """The paintings' size for a picture of `shape`: --style-scale times it."""
        return tuple(max(1, round(side * self.how.style_scale)) for side in shape)

    def evaluated(self, evaluator):
        """The Evaluator's hook: record the evaluation, tell the watcher, stop if asked."""
        self.result.history.append({"loss": evaluator.loss_value, **evaluator.part_values})
        self.watcher.evaluation_done(evaluator)
        self.stop_if_asked()

    def stop_if_asked(self):
        if self.watcher.should_stop():
            raise Stopped

    def keep_best(self):
        """The stage's best picture so far into the result (as painted, and as shown); in a
        tiled stage, the whole picture with its finished tiles, never one being painted."""
        evaluator = self.evaluator
        if evaluator.best_x is None:
            return
        painted = deprocess(evaluator.best_x if self.canvas is None else self.canvas.picture(),
                            self.shape)
        self.result.painted = painted
        self.result.picture = color_result(painted, resize(self.photo, self.shape),
                                           self.how.preserve_color)
        self.result.shape, self.result.loss = self.shape, evaluator.best_loss
        self.result.parts = evaluator.best_parts

    def iteration_done(self, number):
        if self.canvas is not None:  # before the save: the picture must hold this tile
            self.tile_done()
        self.keep_best()
        self.watcher.iteration_done(Iteration(
            self.stage, len(self.how.sizes), number, self.iterations, self.result.picture,
            self.result.loss, self.result.parts, len(self.result.history)))
        before, self.last_loss = self.last_loss, self.result.loss
        if number < self.iterations and flattened(before, self.result.loss, self.how.flat):
            raise Flat


# =============================================================================================
# The command line. The lesson is above; below are the checks and messages that let a
# learner's mistakes end in one clear line instead of a traceback.
# =============================================================================================

# ---------------------------------------------------------------------------------------------
# 9. VGG16's weights
# ---------------------------------------------------------------------------------------------
def resolve_weights(weights):
    """Path of a headless VGG16 weights file ('imagenet': ours, Keras' cache or a download),
    its arrays checked against VGG16's shapes before any work starts (command_line.py)."""
    return cli.resolve_weights(weights, vgg16_weight_shapes())


def vgg16_channels():
    """{layer: channels of its output} in headless VGG16: 64 in block 1, doubled in each
    block after it, up to 512."""
    return {name: min(64 * 2 ** (int(name[5]) - 1), 512) for name in VGG16_LAYERS}


def vgg16_weight_shapes():
    """{conv layer: [kernel shape, bias shape]} of headless VGG16, whose kernels are 3x3."""
    shapes, channels_in = {}, 3
    for name, channels in vgg16_channels().items():
        if "conv" in name:
            shapes[name] = [(3, 3, channels_in, channels), (channels,)]
            channels_in = channels
    return shapes


# ---------------------------------------------------------------------------------------------
# 10. Memory
# ---------------------------------------------------------------------------------------------
def activation_bytes(shape, batch):
    """Roughly the memory one evaluation needs, in bytes, for a batch of images of `shape`.

    Each layer's output is kept for the backward pass, whose gradients are as large again,
    plus scratch space. Measured (`make bench`): the fast graph's batch of one peaks at about
    2 to 2.5 times its activations above TensorFlow's own memory; the tutorial's batch at
    about 4 times, as the gradients flow back through every image in it.
    """
    total = 0
    for name, channels in vgg16_channels().items():
        height, width = layer_shape(shape, name)
        total += height * width * channels * 4  # float32
    return total * (2.5 if batch == 1 else 4 * batch)


CANVAS_BYTES_PER_PIXEL = 200  # a tiled stage's whole picture, as it is held while painting:
# tiles.Canvas's start, sums, pieces and blend weights (float64), the enlarged
# start, and the picture put together and converted for each save


def memory_needed(content, size, batch, style_scale=1.0, tile=None):
    """The memory a stage `size` px long needs, in bytes: its evaluations' (or the paintings'
    one pass through VGG16, half as much per pixel), or in tiles of `tile` px, one tile's and
    the whole picture's own arrays. `batch` is a whole stage's (the tutorial's graph sends
    the photo and paintings with the result); a tile's graph has the result alone."""
    shape = result_shape(content, size)
    style_shape = [max(1, round(side * style_scale)) for side in shape]
    if tile is None or max(shape) <= tile:
        return max(activation_bytes(shape, batch), activation_bytes(style_shape, 1) // 2)
    canvas = np.prod(shape) * CANVAS_BYTES_PER_PIXEL
    shape, style_shape = ([min(side, tile) for side in s] for s in (shape, style_shape))
    return max(activation_bytes(shape, 1), activation_bytes(style_shape, 1) // 2) + canvas


def most_needed(content, sizes, batch, style_scale=1.0, tile=None):
    """memory_needed of the hungriest stage: with tiles, it may be one painted whole."""
    return max(memory_needed(content, size, batch, style_scale, tile) for size in sizes)


def memory_free():
    """Bytes free for the painting: the machine's, less TensorFlow itself and VGG16's weights."""
    return cli.available_memory() - 1.5e9


def tile_to_fit(content, sizes, batch, style_scale=1.0):
    """With no --tile: None where every stage fits in memory whole, else the largest tile
    (at least SMALLEST_TILE px) that lets every stage fit, so that a stage too large for
    memory is painted in tiles instead of refused. None too where no tile fits: check_size
    then names the largest size that does."""
    free = memory_free()
    if most_needed(content, sizes, batch, style_scale) <= free:
        return None
    tile = max(sizes)
    while tile >= SMALLEST_TILE and most_needed(content, sizes, batch, style_scale, tile) > free:
        tile = int(tile * 0.95)
    return tile if tile >= SMALLEST_TILE else None


def check_size(content, sizes, batch, style_scale=1.0, tile=None):
    """Refuse sizes that VGG16 cannot use or memory cannot hold, naming one that works.

    `sizes` are the stages' longer sides (one for a plain run): the smallest must give VGG16
    32 pixels across, the largest must fit in memory (memory_needed), or with `tile` (--tile)
    its largest tile must (the paintings go through VGG16 in pieces of a tile too:
    WholeStyle).
    """
    flag = "--size" if len(sizes) == 1 else "--scales"
    free = memory_free()

    def needed(size, tile=tile):
        return memory_needed(content, size, batch, style_scale, tile)

    def most(tile=tile):
        return most_needed(content, sizes, batch, style_scale, tile)

    shape = result_shape(content, sizes[0])
    if min(shape) < 32:
        least = math.floor(31 * max(content.shape[:2]) / min(content.shape[:2]))
        while min(result_shape(content, least)) < 32:  # result_shape rounds: find the edge
            least += 1
        if needed(least) > free:
            raise cli.UserError(f"the photo is {content.shape[1]}x{content.shape[0]} pixels, "
                                "too thin: VGG16 needs 32 pixels across, and a picture that "
                                "wide would not fit in memory; crop the photo to a squarer shape")
        raise cli.UserError(f"{flag} {sizes[0]}: the photo's shorter side would be "
                            f"{cli.plural(min(shape), 'pixel')}; VGG16 needs at least 32, which "
                            f"{'--size' if len(sizes) == 1 else 'a first size of'} {least} gives")
    if round(min(shape) * style_scale) < 32:
        raise cli.UserError(f"--style-scale {style_scale:g}: the paintings would be "
                            f"{cli.plural(round(min(shape) * style_scale), 'pixel')} across at "
                            f"{sizes[0]} px; VGG16 needs at least 32: raise --style-scale or "
                            "the (first) size")
    if most() <= free:
        return
    if tile is not None and most(tile=32) <= free:
        fits = tile
        while fits > 32 and most(tile=fits) > free:
            fits = int(fits * 0.95)
        raise cli.UserError(f"--tile {tile}: needs about {most() / 1e9:.0f} GB of memory, "
                            f"{max(free, 0) / 1e9:.1f} GB is free; the largest tile that "
                            f"fits is about {fits}")
    fits = sizes[-1]
    while fits > 32 and needed(fits) > free:
        fits = int(fits * 0.95)
    raise cli.UserError(f"{flag} {sizes[-1]}: needs about {needed(sizes[-1]) / 1e9:.0f} GB of "
                        f"memory, {max(free, 0) / 1e9:.1f} GB is free; the largest size that "
                        f"fits is about {fits}")


# ---------------------------------------------------------------------------------------------
# 11. Options: those both programs share (style_video.py adds them too), then the stills' own
# ---------------------------------------------------------------------------------------------
def layer_name(text):
    if text not in VGG16_LAYERS:
        raise argparse.ArgumentTypeError(f"unknown VGG16 layer {text!r}; valid names: "
                                         + ", ".join(VGG16_LAYERS))
    return text


def color_mode(text):
    if text not in COLOR_MODES:  # most often a file name, the flag alone given before it
        raise argparse.ArgumentTypeError(
            f"unknown mode {text!r} (modes: {', '.join(COLOR_MODES)}); for the default, put "
            "--preserve-color after the file names or write --preserve-color=swap")
    return text


def add_painting_options(parser):
    """The options that decide what a painting looks like, for stills and video alike."""
    paint = parser.add_argument_group("what the picture looks like")
    paint.add_argument("--style-weights", type=cli.non_negative, nargs="+", metavar="W",
                       help="one share per style image, e.g. 3 1 for three parts of the first "
                            "to one of the second; equal shares if not given")
    paint.add_argument("--content-weight", type=cli.non_negative, default=CONTENT_WEIGHT,
                       help="raise to keep more of the photo (default: %(default)s)")
    paint.add_argument("--style-weight", type=cli.non_negative, default=STYLE_WEIGHT,
                       help="raise for more of the painting(s) (default: %(default)s)")
    paint.add_argument("--tv-weight", type=cli.non_negative, default=TV_WEIGHT,
                       help="raise for a smoother, less noisy result (default: %(default)s)")
    paint.add_argument("--preserve-color", nargs="?", const="swap", default=None,
                       type=color_mode, metavar="MODE",
                       help="keep the photo's colours and take only the painting's brushwork. "
                            "MODE: swap (the default: the result's brightness with the photo's "
                            "colours, after the run), luminance (paint in brightness only, "
                            "then colour), match-pca, match-chol or match-sym (recolour the "
                            "paintings to the photo's (a clip's first frame's) colours first, "
                            "by one of three linear maps); Gatys et al. 2017")
    paint.add_argument("--content-layer", type=layer_name, default=CONTENT_LAYER,
                       metavar="NAME", help="VGG16 layer the photo is matched at; deeper "
                                            "layers leave the painting more freedom "
                                            "(default: %(default)s)")
    paint.add_argument("--style-layers", type=layer_name, nargs="+", default=list(STYLE_LAYERS),
                       metavar="NAME", help="VGG16 layers whose Gram matrices are matched "
                                            f"(default: {' '.join(STYLE_LAYERS)})")
    return paint


def add_run_options(parser, size, seed, output):
    """The options of how a run goes, for stills and video alike: `size` and `seed` are the
    defaults (None: a new seed each run), `output` the default output's description."""
    run = parser.add_argument_group("how it runs")
    run.add_argument("--output", "-o", type=os.path.expanduser, metavar="OUTPUT",
                     help=f"where to write the result; default {output}")
    run.add_argument("--size", type=cli.whole_number(32, " (VGG16 halves it five times)",
                                                     maximum=100_000), default=size,
                     help="longer side of the result in pixels (the photo's aspect ratio is "
                          "kept); time grows with the number of pixels "
                          f"(default: {size or SIZE})")
    run.add_argument("--fast", action="store_true",
                     help="compute the photo's features and the paintings' Gram matrices "
                          "once and send only the result through VGG16 (same loss, about "
                          "2.4x faster) instead of the tutorial's batch of all images")
    run.add_argument("--weights", default="imagenet", type=os.path.expanduser,
                     help="'imagenet' (downloaded once, or the copy `make weights` built) or "
                          "the path of a Keras VGG16 notop weights file (default: %(default)s)")
    run.add_argument("--seed", type=cli.whole_number(0), default=seed,
                     help="seed of the starting noise, for repeatable runs (default: "
                          + ("a new one each run)" if seed is None else f"{seed})"))
    return run


def loss_settings(args, masks=None):
    """The LossSettings of the command line's options (both programs)."""
    return LossSettings(args.content_weight, args.style_weight, args.tv_weight,
                        args.content_layer, tuple(args.style_layers),
                        args.style_weights and tuple(args.style_weights), masks, args.fast,
                        getattr(args, "bfloat16", False))  # style_video.py has no --quick


EPILOG = """\
Each iteration saves the best picture so far to OUTPUT; stop with Ctrl-C (or kill) at any
time and it is kept. Beside OUTPUT go OUTPUT_sheet.png (inputs and result side by side),
OUTPUT.gif (the run, a frame per iteration), OUTPUT_loss.png (the loss and its parts over
the run) and the folder OUTPUT_iterations/ (each iteration's picture).

VGG16's layers, the names --content-layer and --style-layers take:
""" + "\n".join("  " + " ".join(name for name in VGG16_LAYERS if name.startswith(f"block{b}_"))
                for b in range(1, 6)) + """

Exit status: 0 done; 1 the run failed after it started (the loss overflowed, or a file could
not be written: the message says which files are complete); 2 a mistake in the command or in
its files, found before any work; 130 stopped by Ctrl-C, kill or a closed terminal."""


def parse_args(argv=None):
    parser = cli.OneLineErrors(
        prog="style_transfer.py", epilog=EPILOG,
        description="Paint CONTENT in the style of one or more STYLE images (Gatys et al. "
                    "2015, the classic Keras tutorial).",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    # Paths get ~ expanded as a shell would, so a quoted "~/cat.jpg" means the home folder too.
    parser.add_argument("content", type=os.path.expanduser, help="the photo to repaint")
    parser.add_argument("styles", nargs="+", metavar="style", type=os.path.expanduser,
                        help="the painting whose style to copy; give several to blend them")
    paint = add_painting_options(parser)
    paint.add_argument("--style-masks", nargs="+", metavar="MASK", type=os.path.expanduser,
                       help="one greyscale image per painting: where on the photo it paints "
                            "(white), or not (black); masks that overlap blend there, and "
                            "where none is white only the photo and smoothness count")
    add_start_options(paint)
    run = add_run_options(parser, size=None, seed=None,
                          output="output/CONTENT_STYLE.png (.png or .jpg)")
    add_ladder_options(run)
    run.add_argument("--no-extras", action="store_true",
                     help="write only OUTPUT and the iterations folder: no sheet, no GIF, "
                          "no plot")
    args = parser.parse_args(argv)
    cli.check_loss_weights(parser, args)
    check_still_options(parser, args)
    if args.style_masks is not None and len(args.style_masks) != len(args.styles):
        parser.error(f"--style-masks: got {cli.plural(len(args.style_masks), 'mask')} for "
                     f"{cli.plural(len(args.styles), 'style image')}; give one per style image")
    args.output = args.output or cli.default_output(args, ".png")
    return args


def add_start_options(paint):
    """The stills' own options of what the picture looks like (style_batch.py adds them too):
    the start and the paintings' scale."""
    paint.add_argument("--init", metavar="noise|content|style|PATH", type=os.path.expanduser,
                       help="start from noise (the tutorial's way), the photo, the (first) "
                            "style image, or any image file; the photo gets there soonest "
                            "(default: noise; content with --quick)")
    paint.add_argument("--style-scale", type=cli.positive_number, default=1.0, metavar="F",
                       help="the paintings' size, as a multiple of the result's: their "
                            "brush marks and motifs come out that much larger (above 1) or "
                            "finer (below 1); other than 1 needs --fast (default: %(default)s)")


def add_ladder_options(run):
    """The stills' own options of how the run goes (style_batch.py adds them too): the sizes
    and iterations of coarse to fine, and the loop."""
    run.add_argument("--scales", type=cli.whole_number(32, " (VGG16 halves it five times)",
                                                       maximum=100_000),
                     nargs="+", metavar="SIZE",
                     help="paint coarse to fine: at each of these sizes in turn (longer "
                          "side, growing, e.g. 256 512 1024), each starting from the one "
                          "before's picture, enlarged; the last is the result's size. Large "
                          "pictures come out sooner and keep the painting's large motifs")
    run.add_argument("--iterations", type=cli.whole_number(1, maximum=1_000_000), nargs="+",
                     metavar="N",
                     help=f"how many times to report and save: every {EVALS_PER_ITERATION} "
                          f"loss-and-gradient evaluations (default: {ITERATIONS}). With "
                          "--scales, one number per size, or one for the first size that "
                          "halves at each larger one (10 gives 10 5 3 2)")
    run.add_argument("--restarts", action="store_true",
                     help="the tutorial's loop: a fresh L-BFGS run every iteration, which "
                          "forgets what L-BFGS has learnt each time; the default, one "
                          "continuous run, reaches the lower loss in the same number of "
                          "evaluations")
    run.add_argument("--tile", type=cli.whole_number(32, " (VGG16 halves it five times)",
                                                     maximum=100_000), metavar="N",
                     help="paint any stage longer than N px in overlapping tiles of at most "
                          "N px, so that memory holds one tile, not the picture: a poster. "
                          "Each tile paints its part of the whole picture's loss, for about "
                          "three times the evaluations (README: Posters). Without --tile, a "
                          "stage too large for memory whole is tiled in the largest tiles "
                          "that fit. Tiles always use the fast graph")
    run.add_argument("--tile-overlap", type=cli.whole_number(0, maximum=100_000), metavar="N",
                     help=f"how many pixels neighbouring tiles share (default: {TILE_OVERLAP})")
    run.add_argument("--quick", action="store_true",
                     help="the tutorial's picture sooner (see the README's Speed section): "
                          "start from the photo (unless --init says otherwise), keep every "
                          "pixel within 0 to 255, compute VGG16 in bfloat16 where the CPU or "
                          "GPU multiplies it faster (the fast graph), and end once an "
                          f"iteration lowers the loss by under {QUICK_FLAT * 100:g}%%; above "
                          f"{QUICK_BASE} px, paint coarse to fine from {QUICK_BASE} px up by "
                          "doubling. It changes the path, not the loss: the weights and layers "
                          "mean what they always do. --quick --size 256 is a preview in "
                          "seconds; the same command with a larger --size paints it large")


def check_still_options(parser, args):
    """The stills' own options, taken together (after parsing)."""
    check_quick(parser, args)
    check_ladder(parser, args)
    check_tiles(parser, args)
    if args.style_scale != 1 and not args.fast:
        parser.error("--style-scale: needs --fast (the tutorial's graph sends the paintings "
                     "through VGG16 in one batch with the result, so they must be its size)")


def check_quick(parser, args):
    """--quick chooses the start (unless asked), the stages and their length, and the graph."""
    args.init = args.init or ("content" if args.quick else "noise")
    args.bfloat16 = False
    if not args.quick:
        return
    given = [flag for flag, value in [("--scales", args.scales), ("--iterations",
                                      args.iterations), ("--restarts", args.restarts)] if value]
    if given:
        parser.error(f"--quick chooses its own sizes and iterations: drop {' and '.join(given)}, "
                     "or --quick")
    args.fast, args.bfloat16 = True, bfloat16_is_faster()
    args.scales = list(quick_sizes(args.size or SIZE))
    args.iterations = [QUICK_ITERATIONS] * len(args.scales)


def check_ladder(parser, args):
    """--size and --scales, --iterations: the sizes of the stages, and each one's iterations."""
    args.iterations = args.iterations or [ITERATIONS]
    if args.scales is None:
        args.scales = [args.size or SIZE]
    elif args.size is not None and args.size != args.scales[-1]:
        parser.error(f"--size {args.size} and --scales {' '.join(map(str, args.scales))}: "
                     "give one or the other (the last of --scales is the result's size)")
    if any(b <= a for a, b in zip(args.scales, args.scales[1:])):
        parser.error(f"--scales {' '.join(map(str, args.scales))}: each size must be larger "
                     "than the one before (coarse to fine)")
    args.size = args.scales[-1]
    if len(args.iterations) == 1:  # halving at each larger size: they cost 4x as much each
        args.iterations = [max(1, math.ceil(args.iterations[0] / 2 ** stage))
                           for stage in range(len(args.scales))]
    elif len(args.iterations) != len(args.scales):
        parser.error(f"--iterations: got {cli.plural(len(args.iterations), 'number')} for "
                     f"{cli.plural(len(args.scales), 'size')}; give one, or one per size")


def check_tiles(parser, args):
    """--tile and --tile-overlap."""
    args.tile_chosen = False  # by run(), where a stage would not fit in memory whole
    if args.tile is None:
        if args.tile_overlap is not None:
            parser.error("--tile-overlap: only with --tile")
        return
    args.tile_overlap = TILE_OVERLAP if args.tile_overlap is None else args.tile_overlap
    if args.tile_overlap >= args.tile:
        parser.error(f"--tile-overlap {args.tile_overlap}: must be less than --tile "
                     f"({args.tile})")


def paint_settings(args, init):
    """The PaintSettings of the stills' options; `init` as read (a mode, or an image)."""
    how = PaintSettings(tuple(args.scales), tuple(args.iterations), init, args.seed,
                        args.restarts, args.preserve_color, args.style_scale,
                        tile=args.tile, tile_overlap=args.tile_overlap or TILE_OVERLAP)
    return quick_recipe(args.size, how) if args.quick else how


# ---------------------------------------------------------------------------------------------
# 12. The run: the inputs read and checked, each iteration printed and saved, and main()
# ---------------------------------------------------------------------------------------------
OUTPUT_TYPES = (".png", ".jpg", ".jpeg")


def extra_paths(output):
    """What a run writes beside OUTPUT: the sheet, the GIF, the plot of the loss and the
    folder of iterations."""
    return (output.with_name(f"{output.stem}_sheet.png"), output.with_suffix(".gif"),
            output.with_name(f"{output.stem}_loss.png"),
            output.with_name(f"{output.stem}_iterations"))


def read_start(init):
    """--init: a mode of starting_image, or the image file it names."""
    if init in ("noise", "content", "style"):
        return init
    if not os.path.exists(init):
        raise cli.UserError(f"--init {init}: not noise, content or style, and no such file")
    try:
        return cli.load_image(init)
    except cli.UserError as error:
        raise cli.UserError(f"--init {error}") from None


def load_mask(path):
    """A --style-masks image as weights from 0 (black: not this painting) to 1 (white). Where
    it is transparent (a mask drawn on a layer of its own) is "not here" too."""
    try:
        image, alpha = cli.load_image(path, alpha=True)
    except cli.UserError as error:
        raise cli.UserError(f"--style-masks {error}") from None
    return (image.astype(np.float64) @ RGB_TO_YIQ[0]) / 255.0 * (alpha / 255.0)


def read_masks(paths, content):
    """The --style-masks, each as weights 0 to 1; one stretched to the photo's shape says so."""
    masks = []
    for path in paths:
        mask = load_mask(path)
        (h, w), (ch, cw) = mask.shape, content.shape[:2]
        if mask.max() <= 0:
            raise cli.UserError(f"--style-masks {path}: all black, so its painting would paint "
                                "nowhere; paint white where it should")
        if abs(w / h - cw / ch) > 0.01 * cw / ch:
            print(f"warning: --style-masks {path} is {w}x{h}, not the photo's shape "
                  f"({cw}x{ch}); it is stretched to fit", file=sys.stderr)
        masks.append(mask)
    return tuple(masks)


def check_masks_reach_every_layer(masks, paths, args, content):
    """A white region too small to survive the shrinking to some style layer's feature map would
    make that layer's masked Gram matrix divide by zero: refuse it now, naming what works."""
    for mask, path in zip(masks, paths):
        for size in args.scales:
            shape = result_shape(content, size)
            stage = resize_mask(mask, shape)
            for layer in args.style_layers:
                if resize_mask(stage, layer_shape(shape, layer)).max() > 0:
                    continue
                cell = shape[0] / layer_shape(shape, layer)[0]  # picture pixels per position
                least = math.ceil(2 * cell * max(mask.shape) / size)
                raise cli.UserError(
                    f"--style-masks {path}: its white region is too small to reach VGG16's "
                    f"{layer} at {size} px (each of its positions covers {cell:.0f}x{cell:.0f} "
                    f"pixels of the picture); paint a region of at least {least}x{least} "
                    f"pixels on the {mask.shape[1]}x{mask.shape[0]} mask, or leave {layer} "
                    "out of --style-layers")


def warn_if_small(image, path):
    """A picture under 32 pixels on a side works (it is scaled up) but blurs: say so."""
    height, width = image.shape[:2]
    if min(height, width) < 32:
        print(f"warning: {path} is only {width}x{height} pixels, under 32 on a side: it is "
              "scaled up to the picture's size, which blurs it; a larger image paints better",
              file=sys.stderr)


def describe_run(args, shapes):
    """The "Painting ..." line: everything that decides what the picture will look like."""
    paintings = args.styles
    if len(args.styles) > 1:
        shares = normalise_blend(args.style_weights or [1.0] * len(args.styles))
        paintings = [f"{path} ({share:.0%})" for path, share in zip(args.styles, shares)]
    sizes = " -> ".join(f"{width}x{height}" for height, width in shapes) + " px"
    if len(shapes) > 1:
        sizes += " (coarse to fine)"
    start = {"noise": "noise" + ("" if args.seed is None else f" (seed {args.seed})"),
             "content": "the photo", "style": "the (first) painting"}.get(args.init, args.init)
    options = [f"from {start}"]
    if args.preserve_color:
        options.append(f"keeping the photo's colours ({args.preserve_color})")
    if args.style_masks:
        options.append("each painting where its mask is white")
    if args.style_scale != 1:
        options.append(f"paintings at {args.style_scale:g}x the picture's size")
    tiled = [shape for shape in shapes if args.tile and max(shape) > args.tile]
    if tiled:
        count = len(tiles.tile_grid(tiled[-1], args.tile, args.tile_overlap))
        options.append(f"{'the stages above' if len(tiled) < len(shapes) else 'in tiles of'} "
                       f"{args.tile} px{' in tiles' if len(tiled) < len(shapes) else ''} "
                       f"overlapping by {args.tile_overlap} px "
                       f"({count} at the last size{'' if args.fast else ', on the fast graph'}"
                       f"{', chosen to fit in memory' if args.tile_chosen else ''})")
    if args.quick:
        length = (f"--quick: up to {cli.plural(QUICK_ITERATIONS, 'iteration')} of "
                  f"{EVALS_PER_ITERATION} evaluations"
                  + (" at each size, each starting from the last one's picture with the "
                     "photo's finer detail" if len(shapes) > 1 else "")
                  + f", ending once one lowers the loss by under {QUICK_FLAT:.0%}; pixels "
                  "kept within 0 to 255; fast graph" + (" in bfloat16" if args.bfloat16 else "")
                  + ", continuous L-BFGS.")
    else:
        length = (f"{cli.and_list(args.iterations)} "
                  f"{'iteration' if args.iterations == [1] else 'iterations'} of "
                  f"{EVALS_PER_ITERATION} evaluations, {'fast' if args.fast else 'tutorial'} "
                  f"graph, {'restarted' if args.restarts else 'continuous'} L-BFGS.")
    return (f"Painting {args.content} in the style of {' + '.join(paintings)} at {sizes}, "
            f"{', '.join(options)}: {length}")


GIF_SIDE = 1024  # the animation's longer side at most: a poster's would be hundreds of MB


def gif_frame(picture):
    """A picture for the animation: at most GIF_SIDE pixels long."""
    return resize(picture, result_shape(picture, min(GIF_SIDE, max(picture.shape[:2]))))


class StillRun(Watcher):
    """The command line's watcher: a line per iteration, and every iteration's picture saved
    (to OUTPUT and OUTPUT_iterations/), so that a stop at any moment keeps the best so far."""

    def __init__(self, args, stop):
        self.args, self.stop = args, stop
        self.output = Path(args.output)
        self.sheet, self.gif, self.plot, self.steps = extra_paths(self.output)
        self.labels = cli.loss_labels(args.styles)
        self.frames = []      # the picture after each iteration, for the GIF (gif_frame)
        self.saved = 0        # how many of them are in OUTPUT_iterations/
        self.complete = {}    # the files written in full so far: {path: what it holds}
        self.last = time.time()
        self.tiles_began = None  # when a tiled stage's first tile began, for the time left
        self.visit = None        # the tile being painted (a TileVisit), in a tiled stage

    def should_stop(self):
        return self.stop.is_set()

    def stage_begins(self, stage, shape, iterations):
        self.visit = None
        if stage:
            detail = " with the photo's detail" if self.args.quick else ""
            cli.say(f"Stage {stage + 1}/{len(self.args.scales)}: {shape[1]}x{shape[0]} px, "
                    f"from stage {stage}'s picture resized{detail}, "
                    f"{'up to ' if self.args.quick else ''}{cli.plural(iterations, 'iteration')}")

    def stage_started(self, stage, loss):
        cli.say(f"Start: loss {loss:.4g} ({self.args.init})" if stage == 0
                else f"Stage start: loss {loss:.4g} (resized)")
        self.last = time.time()

    def tile_started(self, visit, loss):
        tile, now = visit.tile, time.time()
        self.visit = visit
        done = (visit.sweep - 1) * visit.count + visit.index  # tiles painted in this stage
        if done == 0:
            self.tiles_began, left = now, ""
        else:  # the tiles are one size: each takes about as long as the ones before
            wait = (now - self.tiles_began) / done * (visit.sweeps * visit.count - done)
            left = f", about {cli.duration(wait)} left in the stage"
        cli.say(f"Tile {visit.index + 1}/{visit.count}, sweep {visit.sweep}/{visit.sweeps} "
                f"({tile.width}x{tile.height} px at x {tile.left}, y {tile.top}): its part of "
                f"the loss {loss:.4g} at the start{left}")
        self.last = now

    def iteration_done(self, iteration):
        self.frames.append(gif_frame(iteration.picture))
        self.saved += 1
        cli.save_image(self.steps / f"iteration_{self.saved:03d}.png", iteration.picture)
        self.complete[self.steps] = f"the pictures of iterations 1 to {self.saved}"
        self.save(self.output, iteration.picture,
                  f"the picture after iteration {len(self.frames)}")
        now = time.time()
        # A tile's loss is its part of the whole picture's (WholeStyle), not the whole's:
        # said so, lest the loss seem to halve when a stage goes into tiles.
        step = (f"Iteration {iteration.number}/{iteration.iterations}: " if self.visit is None
                else f"Tile {self.visit.index + 1}/{self.visit.count} done, its part of the ")
        cli.say(f"{step}{cli.describe_loss(iteration.loss, iteration.parts, self.labels)}; "
                f"{now - self.last:.1f} s, saved {self.output}")
        self.last = now

    def save(self, path, image, what):
        cli.save_image(path, image)
        self.complete[path] = what

    def finish(self, painting, photo, styles):
        """After the run: the best picture (a stop may come mid-iteration), then the extras.
        An earlier run's later iterations go (removed now, not at the start, so that another
        run writing the same OUTPUT meanwhile keeps its pictures)."""
        for old in self.steps.glob("iteration_*.png"):
            if not old.stem[10:].isdigit() or int(old.stem[10:]) > self.saved:
                old.unlink(missing_ok=True)
        if (painting.stopped or painting.failure) and painting.picture is not None:
            self.frames.append(gif_frame(painting.picture))
            self.save(self.output, painting.picture, "the best picture so far")
        if self.args.no_extras or not self.frames:
            return
        final = self.frames[-1]
        self.save(self.sheet, cli.comparison_sheet([photo, *styles, final],
                                                   min(final.shape[0], 600)),
                  "the comparison sheet")
        self.save(self.gif, [resize(frame, final.shape[:2]) for frame in self.frames],
                  "the animation")
        self.save(self.plot, cli.loss_plot(painting.history, painting.stage_starts,
                                           self.labels), "the plot of the loss")

    def could_not_save(self, error):
        done = ", ".join(f"{path} ({what})" for path, what in self.complete.items())
        done = f"complete: {done}" if done else "no file was completed"
        return cli.could_not_write(error, f"{done}; free some space or choose another --output")


def run(args, stop):
    """Paint from the command line's arguments; the exit status."""
    photo = cli.load_image(args.content)
    paintings = [cli.load_image(path) for path in args.styles]
    masks = read_masks(args.style_masks, photo) if args.style_masks else None
    if masks:
        check_masks_reach_every_layer(masks, args.style_masks, args, photo)
    init = read_start(args.init)
    content, styles = color_inputs(photo, paintings, args.preserve_color)
    batch = 1 if args.fast else 2 + len(styles)
    if args.tile is None:  # a stage too large for memory whole is painted in tiles, unasked
        args.tile = tile_to_fit(content, args.scales, batch, args.style_scale)
        args.tile_chosen, args.tile_overlap = args.tile is not None, TILE_OVERLAP
    check_size(content, args.scales, batch, tile=args.tile, style_scale=args.style_scale)
    for image, path in zip([photo, *paintings], [args.content, *args.styles]):
        warn_if_small(image, path)
    inputs = [args.content, *args.styles, *(args.style_masks or [])]
    inputs += [] if isinstance(init, str) else [args.init]
    sheet, gif, plot, steps = extra_paths(Path(args.output))
    cli.check_output(args.output, OUTPUT_TYPES, inputs, "the input image",
                     beside=[] if args.no_extras else [sheet, gif, plot], folder=steps)
    weights_path = resolve_weights(args.weights)
    stop.check()

    watcher = StillRun(args, stop)
    cli.say(f"VGG16 weights: {weights_path}")
    cli.say(describe_run(args, [result_shape(content, size) for size in args.scales]))
    start = time.time()
    painter = Painter(weights_path, loss_settings(args, masks), paint_settings(args, init))
    try:
        with cli.quiet_native_stderr():  # TensorFlow looks for a GPU, and says so at length
            painting = painter.paint(photo, paintings, watcher)
        watcher.finish(painting, photo, styles)
    except OSError as error:  # a full disk, a folder deleted under our feet
        return watcher.could_not_save(error)
    if painting.failure is None and stop.is_set():  # a stop during the last saves
        painting.stopped = True
    if painting.stopped or painting.failure:
        kept = "nothing was saved"
        if painting.picture is not None:
            kept = (f"the best image so far is in {args.output} ({painting.shape[1]}x"
                    f"{painting.shape[0]} px, loss {painting.loss:.4g})")
        return cli.ended_early(KeyboardInterrupt() if painting.stopped else painting.failure,
                               kept)
    seconds, evaluations = time.time() - start, len(painting.history)
    cli.say(f"Done in {seconds:.0f} s ({evaluations} evaluations, {seconds / evaluations:.2f} s "
            f"each): {args.output}")
    if not args.no_extras:
        cli.say(f"Also: {sheet}, {gif}, {plot}, {steps}/")
    return 0


def main(argv=None):
    return cli.run_program(parse_args, run, argv)


if __name__ == "__main__":
    cli.finish(main())
