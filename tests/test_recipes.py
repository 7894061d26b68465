"""--recipe: each recipe's values, options given winning over them, the first line naming
them, --quick with a recipe, an unknown name refused before TensorFlow, and the studio's
presets."""
import re

import numpy as np
import pytest
from PIL import Image

from helpers import CONTENT, STYLE, refused_before_tensorflow
from painter import batch, numbers, recipes, still, video

pytestmark = pytest.mark.lesson  # needs only requirements.txt (make test-lesson)


def test_the_tutorial_recipe_is_the_lessons_numbers_and_the_default():
    """`tutorial` (the default) is today's behaviour: the lesson's numbers, the Gram matrix,
    from noise at one size for 10 iterations."""
    default, tutorial = (still.parse_args([CONTENT, STYLE, *extra])
                         for extra in ([], ["--recipe", "tutorial"]))
    assert default == tutorial
    assert default.loss == dict(
        content_weight=numbers.CONTENT_WEIGHT, style_weight=numbers.STYLE_WEIGHT,
        tv_weight=numbers.TV_WEIGHT, content_layer=numbers.CONTENT_LAYER,
        style_layers=numbers.STYLE_LAYERS, style_loss="gram", style_blend=None, fast=False)
    assert default.paint.init == "noise" and default.paint.sizes == (512,)
    assert default.paint.iterations == (numbers.ITERATIONS,)


def test_a_recipe_sets_what_is_not_given_and_each_option_given_wins():
    painted = recipes.RECIPES["painted"]
    settings = still.parse_args([CONTENT, STYLE, "--recipe", "painted", "--size", "256"])
    assert settings.loss["style_loss"] == "w2"
    assert settings.loss["style_layers"] == painted.style_layers
    assert settings.loss["content_weight"] == painted.content_weight
    assert settings.paint.init == painted.init
    assert settings.paint.sizes == (128, 256)  # one halving below, coarse to fine
    given = still.parse_args([CONTENT, STYLE, "--recipe", "painted", "--content-weight", "0.5",
                              "--style-loss", "gram", "--init", "noise", "--scales", "200"])
    assert given.loss["content_weight"] == 0.5 and given.loss["style_loss"] == "gram"
    assert given.loss["tv_weight"] == painted.tv_weight  # not given: the recipe's
    assert given.paint.init == "noise" and given.paint.sizes == (200,)
    bold = still.parse_args([CONTENT, STYLE, "--recipe", "bold"]).loss
    assert (bold["content_layer"], bold["content_weight"]) == ("block4_conv2", 0.25)


@pytest.mark.parametrize("parse, argv", [
    (batch.parse_args, [CONTENT, "--styles", STYLE]),
    (video.parse_args, [CONTENT, STYLE]),
])
def test_batches_and_clips_take_the_recipes_loss(parse, argv):
    settings = parse([*argv, "--recipe", "painted", "--tv-weight", "3"])
    assert settings.loss["style_loss"] == "w2" and settings.loss["tv_weight"] == 3
    assert settings.recipe == "painted"


def test_quick_with_a_recipe_takes_its_loss_and_quicks_path():
    settings = still.parse_args([CONTENT, STYLE, "--quick", "--recipe", "painted"])
    assert settings.quick and settings.paint.flat and settings.paint.sizes == (512,)
    assert settings.loss["style_loss"] == "w2" and settings.loss["fast"]


def test_an_unknown_recipe_is_one_line_listing_them_before_tensorflow_loads():
    refused_before_tensorflow("painter.still", ["a.jpg", "b.jpg", "--recipe", "vivid"],
                              "--recipe", "'vivid'", "tutorial", "bold", "painted")


def test_the_help_names_each_recipe_and_each_options_value_in_them():
    text = still.parser().format_help()
    for name in recipes.RECIPES:
        assert f"{name}:" in text
    assert "tutorial 0.025, bold 0.25, painted" in " ".join(text.split())


@pytest.mark.slow
def test_a_painted_run_names_its_recipe_first_and_repaints_the_photo(weights_path, tmp_path,
                                                                      capsys):
    output = tmp_path / "painted.png"
    status = still.main([CONTENT, STYLE, "--recipe", "painted", "--size", "96", "--iterations",
                         "2", "--no-extras", "--output", str(output)])
    said = capsys.readouterr().out.splitlines()
    assert status == 0, said
    assert said[0].startswith("recipe painted (--style-loss w2 --content-layer block4_conv2")
    with Image.open(output) as image:
        picture = np.asarray(image.convert("RGB"), np.float64)
        size = image.size
    with Image.open(CONTENT) as photo:
        photo = np.asarray(photo.convert("RGB").resize(size, Image.BICUBIC), np.float64)
    assert np.abs(picture - photo).mean() > 10  # repainted, not the photo


def test_the_studios_presets_are_the_recipes():
    from painter import studio_jobs
    loss, how = studio_jobs.Knobs.of_recipe("painted").settings([1.0])
    painted = recipes.RECIPES["painted"]
    assert loss.style_loss == "w2" and loss.style_layers == painted.style_layers
    assert loss.content_weight == painted.content_weight and how.init == "content"
    assert len(how.sizes) > 1  # coarse to fine
    assert studio_jobs.Knobs.of_recipe("tutorial") == studio_jobs.Knobs()


@pytest.mark.slow
def test_a_poster_in_tiles_paints_with_the_w2_loss(weights_path, tmp_path, capsys):
    """Tiles hold the other tiles' moments as the rest of the whole picture's (tiling.py)."""
    output = tmp_path / "tiled.png"
    status = still.main([CONTENT, STYLE, "--recipe", "painted", "--scales", "64", "128",
                         "--iterations", "1", "--tile", "96", "--tile-overlap", "32",
                         "--no-extras", "--output", str(output)])
    said = capsys.readouterr().out
    assert status == 0, said
    assert re.search(r"tile \d/\d", said, re.I), said
    with Image.open(output) as image:
        assert image.size[0] == 128 and np.asarray(image).std() > 10


def test_a_plan_counts_w2s_eigendecompositions_at_every_size(monkeypatch):
    """w2 adds eigendecompositions of each style layer's C x C covariance whatever the
    picture's size: at the first conv of each block (64, 128, 256, 512 and 512 channels),
    150 C^3 matrix FLOPs, 0.431 s at 1e11 FLOP/s (by hand: 150 x 287,571,968 / 1e11)."""
    from painter import plan
    monkeypatch.setattr(plan, "gemm_rate", lambda: 1e11)
    loss = dict(fast=True, style_layers=recipes.FIRST_CONVS)
    gram = plan.Estimate(dict(loss, style_loss="gram"))
    w2 = plan.Estimate(dict(loss, style_loss="w2"))
    for shape in [(96, 128), (384, 512)]:
        assert w2.evaluation(shape) - gram.evaluation(shape) == pytest.approx(0.4314, abs=1e-4)
