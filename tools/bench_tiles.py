"""Posters in tiles (style_transfer.py --tile): the same picture painted coarse to fine with its
top stage whole and in tiles, and how visible the tiles' seams are.

The seam figure: the picture's gradient energy (the mean of its squared differences between
neighbouring pixels, over the channels) in bands along the lines where neighbouring tiles
meet (the middle of each overlap), over the same away from them. A seam, an edge or a change
of texture where the tiles meet, raises it above 1; the untiled picture, measured in the same
bands, is what the photo and the painting give there by themselves. Both pictures' loss is
taken at full size by one untiled graph.

It is the part "tiles" of tools/bench.py (`make bench`; `make bench-tiles` runs only it), which
writes BENCHMARKS.md. Alone, to check it at a tiny size (no file written):

    python tools/bench_tiles.py --tiles-size 128 --tiles-tile 64 --tiles-iterations 1 1
"""
import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from toolkit import ROOT, verdict
from painter import files, tiles


PHOTO, STYLE = ROOT / "images" / "chelsea.png", ROOT / "images" / "swirls.png"
SIZE, TILE = 1024, 512          # the issue's: a size that fits both ways, in 512 px tiles
ITERATIONS = (5, 3)             # at 512 px, then at 1024 px (each tile, when tiled)
BAND = 8                        # pixels each side of a seam line
SEAM_TARGET = 0.10              # tiled within 10% of the untiled picture's ratio ...
LOSS_TARGET = 0.10              # ... and of its loss


def paint(output, args, extra):
    """style_transfer.py, as a user runs it: (wall time, the evaluations it printed)."""
    began = time.time()
    done = subprocess.run([sys.executable, str(ROOT / "style_transfer.py"), str(PHOTO),
                           str(STYLE), "--fast", "--seed", "0", "--no-extras", "--scales",
                           str(args.tiles_size // 2), str(args.tiles_size), "--iterations",
                           *map(str, args.tiles_iterations), "--recipe", args.tiles_recipe,
                           "--output", str(output), *extra],
                          check=True, capture_output=True, text=True, cwd=ROOT)
    evaluations = int(done.stdout.rsplit("Done in", 1)[1].split("(")[1].split()[0])
    return time.time() - began, evaluations


def peak_gb():
    """The largest resident memory of any child waited for so far (Linux: kilobytes)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024 / 1e9


def seam_mask(shape, tile, overlap):
    """True within BAND pixels of a line where two tiles meet."""
    mask = np.zeros(shape, bool)
    grid = tiles.tile_grid(shape, tile, overlap)
    for a in grid:
        for b in grid:
            if b.left > a.left and b.top == a.top and b.left < a.left + a.width:
                middle = (b.left + a.left + a.width) // 2
                mask[a.top:a.top + a.height, max(0, middle - BAND):middle + BAND] = True
            if b.top > a.top and b.left == a.left and b.top < a.top + a.height:
                middle = (b.top + a.top + a.height) // 2
                mask[max(0, middle - BAND):middle + BAND, a.left:a.left + a.width] = True
    return mask


def energy_ratio(picture, mask):
    """Gradient energy at the seams over away from them."""
    x = picture.astype(np.float64)
    energy = np.zeros(picture.shape[:2])
    energy[:, :-1] += np.sum((x[:, 1:] - x[:, :-1]) ** 2, axis=-1)
    energy[:-1, :] += np.sum((x[1:] - x[:-1]) ** 2, axis=-1)
    return energy[mask].mean() / energy[~mask].mean()


def full_size_loss(pictures, recipe):
    """Each picture's loss (the recipe's) at its size, by one untiled fast graph (in its own
    process: the bench's own holds no TensorFlow)."""
    code = ("import sys\nfrom painter import files, weights, recipes, settings\n"
            "import style_transfer as st\n"
            f"recipe = recipes.RECIPES[{recipe!r}]\n"
            "st.use_graph_mode()\n"
            "photo, style = files.load_image(sys.argv[1]), files.load_image(sys.argv[2])\n"
            "shape = files.load_image(sys.argv[3]).shape[:2]\n"
            "style_shape = settings.painting_shapes(shape, [style], "
            "style_shape=recipe.style_shape)[0]\n"
            "graph = st.build_loss_and_grads(st.preprocess(photo, shape), "
            "[st.preprocess(style, style_shape)], weights.resolve_weights('imagenet'), "
            "st.LossSettings(fast=True, **{k: getattr(recipe, k) "
            "for k in recipes.LOSS_FIELDS}))\n"
            "for path in sys.argv[3:]:\n"
            "    picture = files.load_image(path)\n"
            "    print(float(graph.f_outputs([st.preprocess(picture, shape)])[0]))\n")
    done = subprocess.run([sys.executable, "-c", code, str(PHOTO), str(STYLE),
                           *map(str, pictures)], check=True, capture_output=True, text=True,
                          cwd=ROOT)
    return [float(line) for line in done.stdout.split()]


def measure_tiles(args):
    """BENCHMARKS.md's section on tiles."""
    began = time.time()
    size, tile, overlap = args.tiles_size, args.tiles_tile, args.tiles_overlap
    with tempfile.TemporaryDirectory() as scratch:
        tiled, whole = Path(scratch) / "tiled.png", Path(scratch) / "whole.png"
        # Tiled first: the children's peak only grows, and the untiled run's is the larger.
        tiled_wall, tiled_evals = paint(tiled, args, ["--tile", str(tile), "--tile-overlap",
                                                      str(overlap)])
        tiled_peak = peak_gb()
        whole_wall, whole_evals = paint(whole, args, [])
        whole_peak = peak_gb()
        pictures = [files.load_image(tiled), files.load_image(whole)]
        losses = full_size_loss([tiled, whole], args.tiles_recipe)
        for path, name in ((tiled, "tiled"), (whole, "untiled")):
            if args.tiles_keep:
                keep = Path(args.tiles_keep)
                keep.mkdir(parents=True, exist_ok=True)
                files.save_image(keep / f"{name}_{size}.png", files.load_image(path))
    mask = seam_mask(pictures[0].shape[:2], tile, overlap)
    ratios = [energy_ratio(picture, mask) for picture in pictures]
    height, width = pictures[0].shape[:2]
    count = len(tiles.tile_grid((height, width), tile, overlap))
    seam_off = abs(ratios[0] / ratios[1] - 1)
    loss_off = losses[0] / losses[1] - 1
    rows = [("in tiles", tiled_wall, tiled_evals, tiled_peak, ratios[0], losses[0]),
            ("whole", whole_wall, whole_evals, whole_peak, ratios[1], losses[1])]
    return "\n".join([
        "## Posters: the top stage in tiles",
        "",
        f"Measured on {time.strftime('%Y-%m-%d')}. The bundled photo in the style of "
        f"swirls.png, `--recipe {args.tiles_recipe} --fast --seed 0 --scales {size // 2} {size} "
        "--iterations "
        f"{' '.join(map(str, args.tiles_iterations))}`, its {width}x{height} px stage whole "
        f"and with `--tile {tile} --tile-overlap {overlap}` ({count} tiles, each given the "
        "stage's iterations). Seams: gradient energy within "
        f"{BAND} px of the lines where tiles meet over the energy elsewhere, for both pictures "
        "in the same bands. Loss: both pictures scored at full size by one untiled graph. "
        "Peak: the largest resident memory of the run.",
        "",
        "| top stage | wall | evaluations | peak memory | seams / elsewhere | loss at full size |",
        "| --- | --- | --- | --- | --- | --- |",
        *[f"| {name} | {wall:.0f} s | {evals} | {peak:.1f} GB | {ratio:.3f} | {loss:.4g} |"
          for name, wall, evals, peak, ratio, loss in rows],
        "",
        "| target | wanted | measured | |",
        "| --- | --- | --- | --- |",
        f"| the seams' ratio, tiled against untiled | within {SEAM_TARGET:.0%} | "
        f"{ratios[0] / ratios[1] - 1:+.1%} | {verdict(seam_off <= SEAM_TARGET)} |",
        f"| the loss at full size, tiled against untiled | within {LOSS_TARGET:.0%} | "
        f"{loss_off:+.1%} | {verdict(abs(loss_off) <= LOSS_TARGET)} |",
        "",
        f"This part took {time.time() - began:.0f} s.",
    ])


def add_options(parser):
    """bench.py's options for this part."""
    parser.add_argument("--tiles-size", type=int, default=SIZE)
    parser.add_argument("--tiles-tile", type=int, default=TILE)
    parser.add_argument("--tiles-overlap", type=int, default=64)
    parser.add_argument("--tiles-iterations", type=int, nargs=2, default=list(ITERATIONS))
    parser.add_argument("--tiles-keep", help="a folder to keep both pictures in")
    parser.add_argument("--tiles-recipe", default="tutorial",
                        help="paint both with this --recipe (painted: the w2 style loss)")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_options(parser)
    print(measure_tiles(parser.parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
