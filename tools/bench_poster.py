"""A poster (style_transfer.py --tile): the bundled photo painted coarse to fine to 4096 px,
its last two stages in 1024 px tiles, with the wall time, the peak memory and each stage's
painting time, and the README's pictures of it.

It is the part "poster" of tools/bench.py (`make bench-poster`: about 2 h 20 min on 2 cores,
not part of `make bench`), which writes its section of BENCHMARKS.md, and writes into docs/:

  * poster.jpg: the whole picture, scaled down for the page;
  * poster_corner.png: a crop at full size centred where four tiles meet (the middle of
    their overlaps, where the blend weights cross);
  * poster_inside.png: a crop at full size inside one tile, away from every overlap.

The painting and its log (the program's lines, then this script's own last line with the
run's wall time and peak memory) go to --poster-keep (default output/poster/). With
--poster-from the same folder of an earlier run is read instead of painting again. Alone, to
check it at a tiny size (no file written into docs/ or BENCHMARKS.md):

    python tools/bench_poster.py --poster-scales 128 256 --poster-iterations 1 1 --poster-tile 128
"""
import argparse
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from toolkit import ROOT

from painter import files, settings, tiles
import style_transfer as st  # noqa: E402

PHOTO, STYLE = ROOT / "images" / "chelsea.png", ROOT / "images" / "swirls.png"
SCALES = (512, 1024, 2048, 4096)
ITERATIONS = (10, 5, 1, 1)  # a tiled stage's iterations are sweeps over its tiles
TILE = 1024
CROP = 400                  # the crops' side, in the poster's pixels
PAGE = 1024                 # the scaled-down picture's longer side
MEASURED = re.compile(r"^bench_poster: wall (\d+) s, peak ([\d.]+) GB$")


def command(args):
    """The command line a user types for this poster (without --output)."""
    return ["style_transfer.py", "images/chelsea.png", "images/swirls.png", "--fast", "--seed",
            "0", "--scales", *map(str, args.poster_scales), "--iterations",
            *map(str, args.poster_iterations), "--tile", str(args.poster_tile)]


def paint(args, keep):
    """Paint the poster into `keep`: poster.png and log.txt, the log ending with MEASURED."""
    keep.mkdir(parents=True, exist_ok=True)
    began = time.time()
    with open(keep / "log.txt", "w") as log:
        done = subprocess.run([sys.executable, *command(args), "--output",
                               str(keep / "poster.png")], stdout=log,
                              stderr=subprocess.STDOUT, cwd=ROOT)
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024 / 1e9
        print(f"bench_poster: wall {time.time() - began:.0f} s, peak {peak:.2f} GB", file=log)
    if done.returncode:
        raise SystemExit(f"bench_poster: the poster's run failed; see {keep / 'log.txt'}")


def read_log(path):
    """(wall seconds, peak GB, [(stage's size, its iterations' seconds)]) from a run's log."""
    wall = peak = None
    stages = [["1", 0.0]]
    for line in path.read_text().splitlines():
        if line.startswith("Stage ") and "/" in line.split()[1]:
            stages.append([line.split(": ", 1)[1].split(" px")[0], 0.0])
        elif line.startswith("Iteration ") and " s, saved" in line:
            stages[-1][1] += float(line.rsplit("; ", 1)[1].split(" s,")[0])
        elif line.startswith("Painting ") and " at " in line:
            stages[0][0] = line.split(" at ", 1)[1].split(" ->")[0].split(" px")[0]
        elif MEASURED.match(line):
            wall, peak = (float(x) for x in MEASURED.match(line).groups())
    if wall is None:
        raise SystemExit(f"bench_poster: {path} has no line 'bench_poster: wall ...'")
    return wall, peak, [tuple(stage) for stage in stages]


def crop_centres(shape, tile, overlap):
    """Where the crops are centred, (y, x): where the first four tiles meet (the middle of
    their overlaps), and inside the tile nearest the middle, away from every other tile."""
    grid = tiles.tile_grid(shape, tile, overlap)
    first = grid[0]
    right = min((t for t in grid if t.top == first.top and t.left > first.left),
                key=lambda t: t.left)
    below = min((t for t in grid if t.left == first.left and t.top > first.top),
                key=lambda t: t.top)
    corner = ((below.top + first.top + first.height) // 2,
              (right.left + first.left + first.width) // 2)
    covered = np.zeros(shape, int)
    for t in grid:
        covered[t.region] += 1
    middle = min(grid, key=lambda t: abs(t.top + t.height / 2 - shape[0] / 2)
                 + abs(t.left + t.width / 2 - shape[1] / 2))
    # Where tiles are small beside their overlap every pixel is shared: take the least shared.
    alone = np.argwhere(covered[middle.region] == covered[middle.region].min())
    inside = tuple(int(v) for v in (alone.min(axis=0) + alone.max(axis=0)) // 2
                   + (middle.top, middle.left))
    return corner, inside


def crop(picture, centre):
    """CROP x CROP pixels of `picture` (fewer if it is smaller) around `centre`, kept inside it."""
    side = min(CROP, *picture.shape[:2])
    top = int(np.clip(centre[0] - side // 2, 0, picture.shape[0] - side))
    left = int(np.clip(centre[1] - side // 2, 0, picture.shape[1] - side))
    return picture[top:top + side, left:left + side], (left, top)


def measure_poster(args, docs=ROOT / "docs"):
    """BENCHMARKS.md's section on the poster, and its pictures in `docs`."""
    keep = Path(args.poster_from or args.poster_keep)
    if not args.poster_from:
        paint(args, keep)
    wall, peak, stages = read_log(keep / "log.txt")
    picture = files.load_image(keep / "poster.png")
    height, width = picture.shape[:2]
    corner, inside = crop_centres((height, width), args.poster_tile, settings.TILE_OVERLAP)
    (corner_crop, corner_at), (inside_crop, inside_at) = crop(picture, corner), crop(picture,
                                                                                   inside)
    docs.mkdir(parents=True, exist_ok=True)
    files.save_image(docs / "poster.jpg", st.resize(picture, st.result_shape(picture, PAGE)))
    files.save_image(docs / "poster_corner.png", corner_crop)
    files.save_image(docs / "poster_inside.png", inside_crop)
    count = len(tiles.tile_grid((height, width), args.poster_tile, settings.TILE_OVERLAP))
    painted = time.strftime("%Y-%m-%d", time.localtime((keep / "poster.png").stat().st_mtime))
    return "\n".join([
        f"## A poster: {max(width, height)} px in tiles",
        "",
        f"Painted on {painted} with `python {' '.join(command(args))}`: {width}x{height} px, "
        f"the stages above {args.poster_tile} px in tiles overlapping by "
        f"{settings.TILE_OVERLAP} px "
        f"({count} at the last size). Wall: the whole run of the command line; peak: the largest "
        "resident memory of its process. A stage's time is its iterations' (a tiled stage's: "
        "its tiles'), without building its graph. Pictures: docs/poster.jpg (scaled down), "
        f"docs/poster_corner.png ({CROP} px at x {corner_at[0]}, y {corner_at[1]}, where four "
        f"tiles meet) and docs/poster_inside.png (at x {inside_at[0]}, y {inside_at[1]}, "
        "inside a tile).",
        "",
        "| stage | painting time |",
        "| --- | --- |",
        *[f"| {size} px | {seconds:.0f} s |" for size, seconds in stages],
        "",
        f"Wall time {wall:.0f} s ({wall / 60:.0f} minutes); peak memory {peak:.1f} GB.",
    ])


def add_options(parser):
    """bench.py's options for this part."""
    parser.add_argument("--poster-scales", type=int, nargs="+", default=list(SCALES))
    parser.add_argument("--poster-iterations", type=int, nargs="+", default=list(ITERATIONS))
    parser.add_argument("--poster-tile", type=int, default=TILE)
    parser.add_argument("--poster-keep", default=str(ROOT / "output" / "poster"),
                        help="the folder for the poster and its log")
    parser.add_argument("--poster-from", help="a folder of an earlier run (poster.png, "
                                              "log.txt) to read instead of painting")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_options(parser)
    args = parser.parse_args(argv)
    import tempfile
    with tempfile.TemporaryDirectory() as scratch:
        print(measure_poster(args, docs=Path(scratch)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
