"""The yardstick: how near a picture's VGG16 features are to the painting's, and to the photo's.

The loss a run lowers cannot judge its picture: a Gram matrix matches the features' second
moments, not how they are distributed, and a picture that is still the photo with a texture
laid over can score lower than one repainted in the painting's own strokes. This measures,
apart from any loss a run optimises,

  * per layer (the first conv of each VGG16 block), the sliced Wasserstein distance between
    the picture's features and the painting's: the squared difference of their sorted
    projections on fixed random directions (Heitz et al. 2021), averaged; 0 when the two are
    distributed alike, whatever their layout;
  * the content distance: the mean squared difference of block4_conv2's features from the
    photo's, at the same size.

Every picture is measured at the yardstick's size (its longer side), with directions drawn
from a fixed seed, so that two runs give the same numbers.
"""
from dataclasses import dataclass

import numpy as np
from tf_keras import backend as K

import style_transfer as st

LAYERS = ("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1")
CONTENT_LAYER = "block4_conv2"
SIZE = 384          # the longer side every picture is measured at
DIRECTIONS = 256    # random unit directions a layer's features are projected on
SEED = 0


@dataclass(frozen=True, kw_only=True)
class Distances:
    """A picture's distances: {layer: sliced Wasserstein distance to the painting's features}
    and the content distance to the photo's."""
    style: dict
    content: float


class Yardstick:
    """VGG16's features of pictures at the yardstick's size, and the distances between them.
    Builds its own small graph (the lesson's headless VGG16, graph mode)."""

    def __init__(self, weights_path, size=SIZE):
        st.use_graph_mode()
        self.size = size
        image = K.placeholder((1, None, None, 3))
        model = st.vgg16(image, weights_path)
        names = [*LAYERS, CONTENT_LAYER]
        self.features_of = K.function([image], [model.get_layer(name).output for name in names])
        rng = np.random.default_rng(SEED)
        self.directions = {}
        for name in LAYERS:
            channels = K.int_shape(model.get_layer(name).output)[-1]
            directions = rng.normal(size=(channels, DIRECTIONS))
            self.directions[name] = directions / np.linalg.norm(directions, axis=0)

    def features(self, picture, shape=None):
        """{layer: (positions, channels) float64} of an RGB picture at `shape` (default: its
        own aspect ratio at the yardstick's size)."""
        shape = shape or st.result_shape(picture, self.size)
        outputs = self.features_of([st.preprocess(picture, shape)])
        return {name: np.asarray(output[0], np.float64).reshape(-1, output.shape[-1])
                for name, output in zip([*LAYERS, CONTENT_LAYER], outputs)}

    def sliced_wasserstein(self, a, b, layer):
        """The squared sliced Wasserstein distance between two sets of a layer's features
        (positions x channels): each projected on the layer's directions and sorted; sets of
        other sizes compared at the smaller one's quantiles."""
        pa = np.sort(a @ self.directions[layer], axis=0)
        pb = np.sort(b @ self.directions[layer], axis=0)
        count = min(len(pa), len(pb))
        pa, pb = quantiles(pa, count), quantiles(pb, count)
        return float(np.mean(np.square(pa - pb)))

    def measure(self, photo, painting, picture):
        """The picture's Distances to the painting (each at its own shape) and to the photo
        (resized to the picture's shape)."""
        mine = self.features(picture)
        theirs = self.features(painting)
        shape = st.result_shape(picture, self.size)
        photo_features = self.features(photo, shape)
        return Distances(
            style={name: self.sliced_wasserstein(mine[name], theirs[name], name)
                   for name in LAYERS},
            content=float(np.mean(np.square(mine[CONTENT_LAYER]
                                            - photo_features[CONTENT_LAYER]))))


def quantiles(sorted_values, count):
    """`count` evenly spaced quantiles of each column of sorted values (itself if as many)."""
    if len(sorted_values) == count:
        return sorted_values
    at = np.linspace(0, len(sorted_values) - 1, count)
    low = np.floor(at).astype(int)
    high = np.minimum(low + 1, len(sorted_values) - 1)
    part = (at - low)[:, np.newaxis]
    return sorted_values[low] * (1 - part) + sorted_values[high] * part
