"""The recipes (--recipe): named values of the options that decide what a picture looks like.

A recipe is the values a painter would otherwise type: the loss's weights, layers and style
statistic, and where and how the painting starts. An option given on the command line wins
over its recipe's value. Light to import: the command lines read it before TensorFlow loads.
"""
from dataclasses import dataclass

from painter.numbers import (CONTENT_LAYER, CONTENT_WEIGHT, ITERATIONS, STYLE_LAYERS,
                             STYLE_WEIGHT, TV_WEIGHT)

STYLE_LOSSES = ("gram", "w2")  # the lesson's style_loss and wasserstein_style_loss
FIRST_CONVS = ("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1")


@dataclass(frozen=True, kw_only=True)
class Recipe:
    """A recipe's values, by the options' names. `init` None: the program's own start (noise,
    or the photo with --quick); `coarse` how many halvings below the result's size the run
    starts at (0: one size), each stage `iterations` long, the first's halving at each next;
    `style_shape` the paintings' proportions (settings.STYLE_SHAPES)."""
    summary: str
    fast: bool = False    # the fast graph (the same loss): needed for style_shape "own"
    content_weight: float = CONTENT_WEIGHT
    style_weight: float = STYLE_WEIGHT
    tv_weight: float = TV_WEIGHT
    content_layer: str = CONTENT_LAYER
    style_layers: tuple = STYLE_LAYERS
    style_loss: str = "gram"
    style_shape: str = "picture"
    init: str = None
    coarse: int = 0
    iterations: int = ITERATIONS


RECIPES = {
    "tutorial": Recipe(summary="the 2017 tutorial's numbers: the photo with the painting's "
                               "texture over it"),
    # docs/knobs.md: the content weight at block4_conv2 tried from 0.025 to 4.
    "bold": Recipe(summary="the photo matched deeper (block4_conv2): bolder brushwork, the "
                           "photo's colours and shapes kept",
                   content_layer="block4_conv2", content_weight=0.25),
    # Chosen by the yardstick and by eye on four of neural-style's five pairs (BENCHMARKS.md:
    # what was tried); the fifth and two of the project's own pairs were kept out (the cat
    # chose W2_HOLD). The w2 loss of each layer is about 0.1 to 10 and the content loss at
    # block4_conv2 about 1e10, hence the weights' sizes. 8 iterations (8 at half size, 4 at
    # full), not 10: the same distances on the Golden Gate under The Starry Night in 196 s,
    # not 264 s (BENCHMARKS.md).
    "painted": Recipe(summary="repainted in the painting's own colours and strokes, as "
                              "neural-style paints: its features distributed like the "
                              "painting's (--style-loss w2) at the first conv of each block, "
                              "each painting in its own proportions, from the photo, at half "
                              "size first",
                      style_loss="w2", style_layers=FIRST_CONVS, content_layer="block4_conv2",
                      content_weight=0.03, style_weight=1.6e10, tv_weight=0.1, init="content",
                      coarse=1, iterations=8, style_shape="own", fast=True),
}
DEFAULT = "tutorial"

# The options a recipe sets, as the command line spells them, in the order the first line
# says them.
FLAGS = {"style_loss": "--style-loss", "content_layer": "--content-layer",
         "content_weight": "--content-weight", "style_layers": "--style-layers",
         "style_weight": "--style-weight", "tv_weight": "--tv-weight",
         "style_shape": "--style-shape"}
LOSS_FIELDS = tuple(name for name in FLAGS if name != "style_shape")  # the lesson's LossSettings'


def given_or_recipe(args, recipe):
    """{option: value} of the loss's options: each as given on the command line, or (None:
    not given) the recipe's."""
    return {name: recipe.__dict__[name] if getattr(args, name) is None else getattr(args, name)
            for name in FLAGS}


def describe(name, values):
    """The recipe and the values a run uses, as options: 'recipe painted (--style-loss w2 ...)'."""
    return (f"recipe {name} ("
            + " ".join(f"{flag} {as_option(values[field])}" for field, flag in FLAGS.items())
            + ")")


def as_option(value):
    """A value as the command line writes it: 1e-06, block1_conv1 block2_conv1, w2."""
    if isinstance(value, (tuple, list)):
        return " ".join(value)
    return f"{value:g}" if isinstance(value, float) else str(value)
