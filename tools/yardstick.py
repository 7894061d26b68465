"""The yardstick from the command line: how near each result is to the painting and the photo.

    .venv/bin/python tools/yardstick.py PHOTO PAINTING RESULT [RESULT ...] [--sheet SHEET.png]

Prints, per result, the sliced Wasserstein distance of its VGG16 features to the painting's at
the first conv of each block (lower: distributed more like the painting's) and the content
distance to the photo (lower: nearer the photo), all at painter/quality.py's fixed size and
directions, so that two runs print the same numbers. The photo itself is the first row, as the
far end. --sheet writes the photo, the painting and each result side by side, labelled.
"""
import argparse
import sys
from pathlib import Path

import toolkit  # noqa: F401  (it puts the project on the import path)
from painter import files, startup  # noqa: E402
from painter.options import path  # noqa: E402


def table(rows, layers):
    """The distances as a Markdown table: a row per picture, a column per layer and content."""
    lines = ["| picture | " + " | ".join(layers) + " | content |",
             "| --- |" + " --- |" * (len(layers) + 1)]
    for name, distances in rows:
        lines.append(f"| {name} | " + " | ".join(f"{distances.style[layer]:,.0f}"
                                                 for layer in layers)
                     + f" | {distances.content:.3g} |")
    return "\n".join(lines)


def measured(photo_path, painting_path, result_paths):
    """[(name, Distances)]: the photo's own first, then each result's."""
    from painter import quality
    from painter.weights import resolve_weights
    photo, painting = files.load_image(photo_path), files.load_image(painting_path)
    results = [files.load_image(result) for result in result_paths]
    with startup.quiet_native_stderr():
        yardstick = quality.Yardstick(resolve_weights("imagenet"))
    rows = [(f"the photo ({Path(photo_path).name})",
             yardstick.measure(photo, painting, photo))]
    rows += [(Path(result).name, yardstick.measure(photo, painting, picture))
             for result, picture in zip(result_paths, results)]
    return rows, (photo, painting, results)


def labelled_row(pictures, names, height=256):
    """The pictures side by side at one height, each with its name above it."""
    import numpy as np
    from gallery import labelled
    from painter.pictures import comparison_sheet
    import style_transfer as st
    shown = [labelled(st.resize(picture, (height, max(1, round(picture.shape[1] * height
                                                                / picture.shape[0])))), name)
             for picture, name in zip(pictures, names)]
    tallest = max(p.shape[0] for p in shown)
    shown = [np.pad(p, ((0, tallest - p.shape[0]), (0, 0), (0, 0)), constant_values=255)
             for p in shown]
    return comparison_sheet(shown, tallest)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("photo", type=path)
    parser.add_argument("painting", type=path)
    parser.add_argument("results", nargs="+", type=path, metavar="result")
    parser.add_argument("--sheet", type=path, help="write the pictures side by side here")
    args = parser.parse_args(argv)
    try:
        rows, (photo, painting, results) = measured(args.photo, args.painting, args.results)
    except startup.UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    from painter.quality import LAYERS
    print(table(rows, LAYERS))
    if args.sheet:
        files.save_image(args.sheet, labelled_row(
            [photo, painting, *results],
            ["the photo", "the painting", *(Path(r).name for r in args.results)]))
        print(f"Wrote {args.sheet}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
