"""The options the programs share, their types and checks, and argparse's one-line errors.

Light to import: --help and a mistake in the command answer before TensorFlow loads. The
defaults are the lesson's numbers (numbers.py, kept equal to style_transfer.py's by a test).
"""
import argparse
import math
import os
from dataclasses import replace

from painter.colors import COLOR_MODES
from painter.recipes import (DEFAULT, LOSS_FIELDS, RECIPES, STYLE_LOSSES, as_option,
                             given_or_recipe)
from painter.numbers import EVALS_PER_ITERATION, ITERATIONS, SIZE, SMALLEST_SIDE, VGG16_LAYERS
from painter.settings import (QUICK_BASE, QUICK_FLAT, STYLE_SHAPES, TILE_OVERLAP,
                              PaintSettings, iterations_per_stage, quick_recipe)
from painter.startup import UserError
from painter.words import and_list, plural


class OneLineErrors(argparse.ArgumentParser):
    """argparse, but a mistake is one line: the long usage summary would bury it."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


# ---------------------------------------------------------------------------------------------
# Types
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


def non_negative(text):
    """An argparse type: a finite number, 0 or more (a loss weight)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0, got {text}")
    return value


def positive_number(text):
    value = non_negative(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be above 0, got 0")
    return value


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


def recipe_name(text):
    """An argparse type: a recipe's name (recipes.py), or a one-line error listing them."""
    if text not in RECIPES:
        raise argparse.ArgumentTypeError(f"unknown recipe {text!r}; the recipes: "
                                         + ", ".join(RECIPES))
    return text


PIXELS = whole_number(SMALLEST_SIDE, " (VGG16 halves it five times)", maximum=100_000)


def path(text):
    """An argparse type: a file's or folder's path, with ~ expanded as a shell would (so that a
    quoted "~/cat.jpg" means the home folder too). An empty one is refused: it would otherwise
    read as "not given" and quietly become the default."""
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty name; give a file's path")
    return os.path.expanduser(text)


# ---------------------------------------------------------------------------------------------
# The option groups, for stills, batches and video alike
# ---------------------------------------------------------------------------------------------
def add_painting_options(parser):
    """The options that decide what a painting looks like, for stills and video alike."""
    paint = parser.add_argument_group("what the picture looks like")
    paint.add_argument("--recipe", type=recipe_name, default=DEFAULT, metavar="NAME",
                       help="a painter's preset of the options below, each of which, given, "
                            "wins over it: "
                            + "; ".join(f"{name}: {recipe.summary}"
                                        for name, recipe in RECIPES.items())
                            + " (default: %(default)s)")
    paint.add_argument("--style-weights", type=non_negative, nargs="+", metavar="W",
                       help="one share per style image, e.g. 3 1 for three parts of the first "
                            "to one of the second; equal shares if not given")
    paint.add_argument("--content-weight", type=non_negative,
                       help="raise to keep more of the photo " + recipes_say("content_weight"))
    paint.add_argument("--style-weight", type=non_negative,
                       help="raise for more of the painting(s) " + recipes_say("style_weight"))
    paint.add_argument("--tv-weight", type=non_negative,
                       help="raise for a smoother, less noisy result "
                            + recipes_say("tv_weight"))
    paint.add_argument("--style-loss", choices=STYLE_LOSSES,
                       help="how a painting's style is compared: gram (the tutorial's Gram "
                            "matrices: which features appear together) or w2 (a Wasserstein "
                            "distance between the features' means and covariances: the "
                            "features spread out like the painting's, which repaints more) "
                            + recipes_say("style_loss"))
    paint.add_argument("--style-shape", choices=STYLE_SHAPES,
                       help="the paintings' proportions: picture (stretched to the result's, "
                            "the tutorial's) or own (kept, the longer side the result's, as "
                            "neural-style does: a portrait's strokes are not squashed across "
                            "a landscape); own needs --fast " + recipes_say("style_shape"))
    paint.add_argument("--preserve-color", nargs="?", const="swap", default=None,
                       type=color_mode, metavar="MODE",
                       help="keep the photo's colours and take only the painting's brushwork. "
                            "MODE: swap (the default: the result's brightness with the photo's "
                            "colours, after the run), luminance (paint in brightness only, "
                            "then colour), match-pca, match-chol or match-sym (recolour the "
                            "paintings to the photo's (a clip's first frame's) colours first, "
                            "by one of three linear maps); Gatys et al. 2017")
    paint.add_argument("--content-layer", type=layer_name, metavar="NAME",
                       help="VGG16 layer the photo is matched at; deeper layers leave the "
                            "painting more freedom " + recipes_say("content_layer"))
    paint.add_argument("--style-layers", type=layer_name, nargs="+", metavar="NAME",
                       help="VGG16 layers whose statistics are matched "
                            + recipes_say("style_layers"))
    return paint


def recipes_say(field):
    """'(default: the recipe's: tutorial 0.025, bold 0.25, painted 0.03)' for an option."""
    return ("(default: the recipe's: "
            + ", ".join(f"{name} {as_option(getattr(recipe, field))}"
                        for name, recipe in RECIPES.items()) + ")").replace("%", "%%")


def add_run_options(parser, size, seed, output):
    """The options of how a run goes, for stills and video alike: `size` and `seed` are the
    defaults (None: a new seed each run), `output` the default output's description."""
    run = parser.add_argument_group("how it runs")
    run.add_argument("--output", "-o", type=path, metavar="OUTPUT",
                     help=f"where to write the result; default {output}")
    run.add_argument("--size", type=PIXELS, default=size,
                     help="longer side of the result in pixels (the photo's aspect ratio is "
                          "kept); time grows with the number of pixels "
                          f"(default: {size or SIZE})")
    run.add_argument("--fast", action="store_true",
                     help="compute the photo's features and the paintings' Gram matrices "
                          "once and send only the result through VGG16 (same loss, about "
                          "2.4x faster) instead of the tutorial's batch of all images "
                          "(--recipe painted takes it)")
    run.add_argument("--weights", default="imagenet", type=path,
                     help="'imagenet' (downloaded once, or the copy `make weights` built) or "
                          "the path of a Keras VGG16 notop weights file (default: %(default)s)")
    run.add_argument("--seed", type=whole_number(0), default=seed,
                     help="seed of the starting noise, for repeatable runs (default: "
                          + ("a new one each run)" if seed is None else f"{seed})"))
    run.add_argument("--plan", action="store_true",
                     help="read and check everything, then print the stages (and tiles), the "
                          "memory and an estimate of the time on this machine, and stop: "
                          "nothing is painted")
    return run


def add_start_options(paint):
    """The stills' own options of what the picture looks like (batches take them too): the
    start and the paintings' scale."""
    paint.add_argument("--init", metavar="noise|content|style|PATH", type=path,
                       help="start from noise (the tutorial's way), the photo, the (first) "
                            "style image, or any image file; the photo gets there soonest "
                            "(default: noise; content with --quick)")
    paint.add_argument("--style-scale", type=positive_number, default=1.0, metavar="F",
                       help="the paintings' size, as a multiple of the result's: their "
                            "brush marks and motifs come out that much larger (above 1) or "
                            "finer (below 1); other than 1 needs --fast (default: %(default)s)")


def add_ladder_options(run):
    """The stills' own options of how the run goes (batches take them too): the sizes and
    iterations of coarse to fine, tiles, and the loop."""
    run.add_argument("--scales", type=PIXELS, nargs="+", metavar="SIZE",
                     help="paint coarse to fine: at each of these sizes in turn (longer "
                          "side, growing, e.g. 256 512 1024), each starting from the one "
                          "before's picture, enlarged; the last is the result's size. Large "
                          "pictures come out sooner and keep the painting's large motifs")
    run.add_argument("--iterations", type=whole_number(1, maximum=1_000_000), nargs="+",
                     metavar="N",
                     help=f"how many times to report and save: every {EVALS_PER_ITERATION} "
                          f"loss-and-gradient evaluations (default: {ITERATIONS}; "
                          f"--recipe painted: {RECIPES['painted'].iterations}). With "
                          "--scales, one number per size, or one for the first size that "
                          "halves at each larger one (10 gives 10 5 3 2)")
    run.add_argument("--restarts", action="store_true",
                     help="the tutorial's loop: a fresh L-BFGS run every iteration, which "
                          "forgets what L-BFGS has learnt each time; the default, one "
                          "continuous run, reaches the lower loss in the same number of "
                          "evaluations")
    run.add_argument("--tile", type=PIXELS, metavar="N",
                     help="paint any stage longer than N px in overlapping tiles of at most "
                          "N px, so that memory holds one tile, not the picture: a poster. "
                          "Each tile paints its part of the whole picture's loss, for about "
                          "three times the evaluations (docs/posters.md). Without --tile, a "
                          "stage too large for memory whole is tiled in the largest tiles "
                          "that fit. Tiles always use the fast graph")
    run.add_argument("--tile-overlap", type=whole_number(0, maximum=100_000), metavar="N",
                     help=f"how many pixels neighbouring tiles share (default: {TILE_OVERLAP})")
    run.add_argument("--quick", action="store_true",
                     help="the tutorial's picture sooner (see docs/speed.md): "
                          "start from the photo (unless --init says otherwise), keep every "
                          "pixel within 0 to 255, compute VGG16 in bfloat16 where the CPU or "
                          "GPU multiplies it faster (the fast graph), and end once an "
                          f"iteration lowers the loss by under {QUICK_FLAT * 100:g}%%; above "
                          f"{QUICK_BASE} px, paint coarse to fine, halving the size down to no "
                          f"less than {QUICK_BASE} px (4000 paints 1000, 2000, 4000). It "
                          "changes the path, not the loss: the weights and layers "
                          "mean what they always do. --quick --size 256 is a preview in "
                          "seconds; the same command with a larger --size paints it large")


# ---------------------------------------------------------------------------------------------
# Checks of options taken together: a UserError (the programs turn it into parser.error)
# ---------------------------------------------------------------------------------------------
def check_loss_weights(weights):
    """The loss's weights, {name: value}, taken together: each a finite number, 0 or more,
    and not all 0 (nothing would change the picture)."""
    for name, value in weights.items():
        if value is None or not math.isfinite(value) or value < 0:
            raise UserError(f"{name}: must be a finite number >= 0, got {value}")
    if not any(weights.values()):
        raise UserError(f"{and_list(weights)} are all 0: nothing would change the picture; "
                        "raise at least one")


def check_style_weights(style_weights, styles):
    """--style-weights: one share per painting, not all 0."""
    if style_weights is None:
        return
    if len(style_weights) != len(styles):
        raise UserError(f"--style-weights: got {plural(len(style_weights), 'weight')} for "
                        f"{plural(len(styles), 'style image')}; give one per style image")
    if sum(style_weights) <= 0:
        raise UserError("--style-weights: at least one weight must be above 0")


def fast_graph(args):
    """Whether the run takes the fast graph (the same loss, sooner): --fast, --quick, or a
    recipe that asks for it."""
    return bool(args.fast or getattr(args, "quick", False) or RECIPES[args.recipe].fast)


def style_shape(args):
    """--style-shape, or its recipe's: checked against the graph, which must be the fast one
    for paintings in their own shape (the tutorial's batch holds one shape)."""
    shape = given_or_recipe(args, RECIPES[args.recipe])["style_shape"]
    if shape != "picture" and not fast_graph(args):
        raise UserError(f"--style-shape {shape}: needs --fast (the tutorial's graph sends the "
                        "paintings through VGG16 in one batch with the result, so they must "
                        "be its shape)")
    return shape


def loss_keywords(args):
    """The lesson's LossSettings for the command line's options, as keywords: the settings are
    made before TensorFlow (which the lesson loads) and LossSettings after it."""
    check_style_weights(args.style_weights, args.styles)
    given = given_or_recipe(args, RECIPES[args.recipe])
    values = {name: given[name] for name in LOSS_FIELDS}  # style_shape is PaintSettings'
    fast = fast_graph(args)
    check_loss_weights({"--content-weight": values["content_weight"],
                        "--style-weight": values["style_weight"],
                        "--tv-weight": values["tv_weight"]})
    return dict(values, style_layers=tuple(values["style_layers"]),
                style_blend=args.style_weights and tuple(args.style_weights), fast=fast)


def paint_settings(args):
    """The PaintSettings of the stills' options (batches' too: add_start_options,
    add_ladder_options): the stages and their
    iterations, the start, tiles and --quick's recipe, each checked against the others."""
    if args.style_scale != 1 and not fast_graph(args):
        raise UserError("--style-scale: needs --fast (the tutorial's graph sends the "
                        "paintings through VGG16 in one batch with the result, so they "
                        "must be its size)")
    recipe = RECIPES[args.recipe]
    init = args.init or recipe.init or ("content" if args.quick else "noise")
    tile, overlap = tile_settings(args.tile, args.tile_overlap)
    how = PaintSettings(init=init, seed=args.seed, restarts=args.restarts,
                        preserve_color=args.preserve_color, style_scale=args.style_scale,
                        style_shape=style_shape(args), tile=tile, tile_overlap=overlap)
    if args.quick:
        given = [flag for flag, value in [("--scales", args.scales), ("--iterations",
                                          args.iterations), ("--restarts", args.restarts)]
                 if value]
        if given:
            raise UserError(f"--quick chooses its own sizes and iterations: drop "
                            f"{' and '.join(given)}, or --quick")
        return quick_recipe(args.size or SIZE, how)
    sizes = ladder(args.size, args.scales, recipe.coarse)
    return replace(how, sizes=sizes,
                   iterations=stage_iterations(args.iterations or [recipe.iterations], sizes))


def ladder(size, scales, coarse=0):
    """--size and --scales: the stages' sizes, growing; the last is the result's. Without
    --scales, a recipe's `coarse` halvings below it first (none under SMALLEST_SIDE)."""
    if scales is None:
        sizes = [size or SIZE]
        while len(sizes) <= coarse and sizes[0] // 2 >= SMALLEST_SIDE:
            sizes.insert(0, sizes[0] // 2)
        return tuple(sizes)
    if size is not None and size != scales[-1]:
        raise UserError(f"--size {size} and --scales {' '.join(map(str, scales))}: "
                        "give one or the other (the last of --scales is the result's "
                        "size)")
    if any(b <= a for a, b in zip(scales, scales[1:])):
        raise UserError(f"--scales {' '.join(map(str, scales))}: each size must be "
                        "larger than the one before (coarse to fine)")
    return tuple(scales)


def stage_iterations(iterations, sizes):
    """--iterations: one number per stage, or one that halves at each larger stage."""
    iterations = iterations or [ITERATIONS]
    if len(iterations) == 1:
        return iterations_per_stage(iterations[0], len(sizes))
    if len(iterations) != len(sizes):
        raise UserError(f"--iterations: got {plural(len(iterations), 'number')} for "
                        f"{plural(len(sizes), 'size')}; give one, or one per size")
    return tuple(iterations)


def tile_settings(tile, overlap):
    """--tile and --tile-overlap: (tile, overlap), the overlap less than the tile."""
    if tile is None:
        if overlap is not None:
            raise UserError("--tile-overlap: only with --tile")
        return None, TILE_OVERLAP
    if overlap is None:
        if TILE_OVERLAP >= tile:
            raise UserError(f"--tile {tile}: the default --tile-overlap {TILE_OVERLAP} "
                            "must be less than it; give a smaller --tile-overlap")
        return tile, TILE_OVERLAP
    if overlap >= tile:
        raise UserError(f"--tile-overlap {overlap}: must be less than --tile ({tile})")
    return tile, overlap


def default_output(content, styles, extension):
    """output/CONTENT_STYLE.EXT: the photo's and the paintings' names."""
    stems = "_".join(os.path.splitext(os.path.basename(path))[0] for path in [content, *styles])
    return f"output/{stems}{extension}"
