"""`make gallery`: the README's pictures of what each knob does, painted by the project itself.

Every panel is a real run of style_transfer.py's command line (fast graph, seed 0) on the
bundled photo and paintings; the runs' own outputs stay in output/gallery/, and the labelled
sheets go to docs/:

  knobs     docs/gallery_weights.png  content weight x style weight, 3 x 3
            docs/gallery_layers.png   the content layer, block2_conv2 to block5_conv2
            docs/gallery_start.png    noise or the photo as the start, same evaluations
            docs/gallery_bold.png     the tutorial's settings beside the bold recipe
  colours   docs/gallery_colours.png  --preserve-color's modes side by side
  regions   docs/gallery_regions.png  two paintings, split by a mask this script draws
  scales    docs/gallery_style_scale.png  --style-scale 0.5, 1 and 2
  big       docs/big_coarse_to_fine.jpg, _crop.png and _stage1.png: a 1024 px
            coarse-to-fine picture, scaled down for the page, a crop at full size, and its
            first stage (256 px)

    python tools/gallery.py [knobs colours regions scales big] [--size 192]

About 25 minutes for all on 2 CPU cores (the big picture alone about 9).
"""
import argparse
import sys
import time
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from toolkit import ROOT, run_quietly
from painter import colors, files, still
import style_transfer as st

PHOTO = ROOT / "images" / "chelsea.png"
SWIRLS = ROOT / "images" / "swirls.png"
MOSAIC = ROOT / "images" / "mosaic.png"
RUNS = ROOT / "output" / "gallery"
DOCS = ROOT / "docs"
GAP = 8  # white pixels between panels: the tests count panels by these gaps

# The bold recipe, found by trying (see the README): match the photo at a deeper layer, which
# keeps its shapes but not its textures, with a content weight for that layer (the tutorial's
# 0.025 loses the cat there, 1 and more give back the fur).
BOLD = ["--content-layer", "block4_conv2", "--content-weight", "0.25"]


# -- running the command line -------------------------------------------------------------------
class Runs:
    """The gallery's runs of the command line, into output/gallery/. With `reuse` (--reuse) a
    picture an earlier run left there is laid out again, without painting."""

    def __init__(self, reuse=False):
        self.reuse = reuse

    def paint(self, name, *argv, size=192):
        """One run of the command line; returns its picture."""
        output = RUNS / f"{name}.png"
        if self.reuse and output.exists():
            return files.load_image(output)
        began = time.time()
        status, said = run_quietly(still.main, [
            *map(str, argv), "--fast", "--seed", "0", "--no-extras", "--output", str(output),
            *(["--size", str(size)] if "--scales" not in argv else [])])
        if status != 0:
            raise SystemExit(f"gallery: the run for {name} failed (exit {status}):\n{said}")
        loss = [line for line in said.splitlines() if line.startswith("Iteration")][-1]
        print(f"  {name}: {time.time() - began:.0f} s, {loss.split(';')[0]}", flush=True)
        return files.load_image(output)


# -- laying out panels --------------------------------------------------------------------------
def font(size=14):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow before 10.1 has one bitmap size
        return ImageFont.load_default()


def labelled(image, text, lines=2):
    """The image with a white strip above it holding `text`, wrapped to its width."""
    width, face = image.shape[1], font(13)
    rows = [""]
    for word in text.split():
        candidate = f"{rows[-1]} {word}".strip()
        if face.getlength(candidate) <= width - 4 or not rows[-1]:
            rows[-1] = candidate
        else:
            rows.append(word)
    strip = Image.new("RGB", (width, 4 + 16 * lines), "white")
    draw = ImageDraw.Draw(strip)
    for i, row in enumerate(rows[:lines]):
        draw.text((2, 2 + 16 * i), row, fill="black", font=face)
    return np.concatenate([np.asarray(strip), image], axis=0)


def pad(image, height, width):
    canvas = np.full((height, width, 3), 255, np.uint8)
    canvas[:image.shape[0], :image.shape[1]] = image
    return canvas


def sheet(rows):
    """Rows of panels, GAP white pixels between panels and between rows."""
    height = [max(panel.shape[0] for panel in row) for row in rows]
    width = max(panel.shape[1] for row in rows for panel in row)
    blocks = []
    for row, row_height in zip(rows, height):
        gap = np.full((row_height, GAP, 3), 255, np.uint8)
        tiles = [item for panel in row for item in (pad(panel, row_height, width), gap)]
        blocks.append(np.concatenate(tiles[:-1], axis=1))
    full = max(block.shape[1] for block in blocks)
    gap = np.full((GAP, full, 3), 255, np.uint8)
    parts = [item for block in blocks for item in (pad(block, block.shape[0], full), gap)]
    return np.concatenate(parts[:-1], axis=0)


def save(name, image):
    DOCS.mkdir(exist_ok=True)
    files.save_image(DOCS / name, image)
    print(f"Wrote docs/{name} ({image.shape[1]}x{image.shape[0]})", flush=True)


# -- the sheets ---------------------------------------------------------------------------------
def knobs(runs, size):
    """The weights, the content layer, the start, and the bold recipe."""
    paint = runs.paint
    photo = st.resize(files.load_image(PHOTO), st.result_shape(files.load_image(PHOTO), size))
    painting = st.resize(files.load_image(SWIRLS), photo.shape[:2])
    rows = [[labelled(photo, "the photo"), labelled(painting, "the painting")]]
    for style_weight in [1, 5, 25]:
        rows.append([labelled(paint(f"weights_c{content}_s{style_weight}", PHOTO, SWIRLS,
                                    "--content-weight", content, "--style-weight",
                                    style_weight, size=size),
                              f"content {content}, style {style_weight}")
                     for content in [0.005, 0.025, 0.125]])
    save("gallery_weights.png", sheet(rows))

    layers = ["block2_conv2", "block3_conv2", "block4_conv2", "block5_conv2"]
    save("gallery_layers.png", sheet([[labelled(paint(f"layer_{layer}", PHOTO, SWIRLS,
                                                      "--content-layer", layer, size=size),
                                                layer) for layer in layers]]))

    save("gallery_start.png", sheet([[labelled(paint(f"start_{start}", PHOTO, SWIRLS,
                                                     "--init", start, "--iterations", 3,
                                                     size=size),
                                               f"from {'the photo' if start == 'content' else 'noise'}"
                                               ", 60 evaluations")
                                      for start in ["noise", "content"]]]))

    tutorial = paint("bold_tutorial", PHOTO, SWIRLS, size=size)
    bold = paint("bold_recipe", PHOTO, SWIRLS, *BOLD, size=size)
    save("gallery_bold.png", sheet([[labelled(tutorial, "the tutorial's settings"),
                                     labelled(bold, f"bold: {BOLD[1]}, content {BOLD[3]}")]]))


def colours(runs, size):
    """--preserve-color's modes on the stained glass, whose colours are far from the cat's."""
    paint = runs.paint
    rows = [[labelled(paint("colours_painting", PHOTO, MOSAIC, "--init", "content",
                            "--iterations", 5, size=size), "the painting's colours")]]
    for mode in colors.COLOR_MODES:
        rows[0].append(labelled(paint(f"colours_{mode}", PHOTO, MOSAIC, "--init", "content",
                                      "--iterations", 5, "--preserve-color", mode, size=size),
                                mode))
    save("gallery_colours.png", sheet([rows[0][:3], rows[0][3:]]))


def circle_masks(shape):
    """A disc over the cat's head, and everything else: masks this project draws itself."""
    height, width = shape
    y, x = np.mgrid[:height, :width]
    disc = (x - 0.5 * width) ** 2 + (y - 0.42 * height) ** 2 < (0.36 * height) ** 2
    return disc.astype(np.uint8) * 255, (~disc).astype(np.uint8) * 255


def regions(runs, size):
    paint = runs.paint
    photo = files.load_image(PHOTO)
    inside, outside = circle_masks(photo.shape[:2])
    RUNS.mkdir(parents=True, exist_ok=True)
    files.save_image(RUNS / "mask_disc.png", np.repeat(inside[:, :, None], 3, axis=2))
    files.save_image(RUNS / "mask_outside.png", np.repeat(outside[:, :, None], 3, axis=2))
    result = paint("regions", PHOTO, SWIRLS, MOSAIC, "--style-masks", RUNS / "mask_disc.png",
                   RUNS / "mask_outside.png", size=size)
    shape = result.shape[:2]
    mask = np.repeat(st.resize(inside, shape)[:, :, None], 3, axis=2)
    save("gallery_regions.png", sheet([[labelled(st.resize(photo, shape), "the photo"),
                                        labelled(mask, "white: swirls; black: mosaic"),
                                        labelled(result, "the result")]]))


def scales(runs, size):
    paint = runs.paint
    save("gallery_style_scale.png",
         sheet([[labelled(paint(f"style_scale_{scale}", PHOTO, SWIRLS, "--style-scale", scale,
                                size=size), f"--style-scale {scale}")
                 for scale in [0.5, 1, 2]]]))


def big(runs, size):
    """A 1024 px picture, coarse to fine; the page gets it scaled down and a full-size crop."""
    paint = runs.paint
    picture = paint("big_coarse_to_fine", PHOTO, SWIRLS, "--scales", 256, 512, 1024)
    height, width = picture.shape[:2]
    page = st.resize(picture, (round(height * 640 / width), 640))
    save("big_coarse_to_fine.jpg", page)
    top, left = int(0.18 * height), int(0.36 * width)  # the cat's eyes
    save("big_coarse_to_fine_crop.png", picture[top:top + 320, left:left + 320])
    # The first stage's last picture (256 px, 10 iterations): the final one should be this,
    # sharper, not another painting.
    first = files.load_image(RUNS / "big_coarse_to_fine_iterations" / "iteration_010.png")
    save("big_coarse_to_fine_stage1.png", first)


SHEETS = {"knobs": knobs, "colours": colours, "regions": regions, "scales": scales, "big": big}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sheets", nargs="*", choices=list(SHEETS), default=list(SHEETS))
    parser.add_argument("--size", type=int, default=192, help="size of the small panels")
    parser.add_argument("--reuse", action="store_true",
                        help="lay out the pictures an earlier run left in output/gallery/ again")
    args = parser.parse_args(argv)
    runs = Runs(args.reuse)
    st.use_graph_mode()
    began = time.time()
    for name in args.sheets:
        print(f"{name}:", flush=True)
        SHEETS[name](runs, args.size)
    print(f"make gallery took {time.time() - began:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
