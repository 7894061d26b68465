"""Paint the project's two style images, deterministically, so we can ship them.

Famous paintings are the classic style images, but a repository must own what it ships.
This script draws two images with strong, easy-to-recognise textures instead:

    swirls.png  short curved brush strokes in blues and yellows that follow a field of
                whirlpools (a nod to The Starry Night's sky)
    mosaic.png  a stained-glass window: bright Voronoi tiles between thick dark lead lines

Run it from the project root (needs numpy and Pillow, both in requirements.txt):

    python images/make_styles.py

The same seed always gives the same pixels, so the committed PNGs can be re-made and checked.
"""
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

SIZE = 512
HERE = Path(__file__).resolve().parent


def swirls(seed=1889):
    rng = np.random.default_rng(seed)
    palette = np.array([[16, 38, 92], [30, 70, 150], [60, 110, 190], [120, 170, 220],
                        [235, 200, 60], [250, 230, 120], [20, 30, 50]])
    image = Image.new("RGB", (SIZE, SIZE), (25, 45, 100))
    draw = ImageDraw.Draw(image)
    # A velocity field made of a few whirlpools: strokes follow it, so they curl.
    centres = rng.uniform(0, SIZE, (6, 2))
    spins = rng.choice([-1.0, 1.0], 6) * rng.uniform(0.6, 1.4, 6)

    def direction(p):
        v = np.array([1.0, 0.15])  # a gentle wind to the right between the whirlpools
        for c, s in zip(centres, spins):
            d = p - c
            r2 = d @ d + 400.0
            v += s * 4000.0 * np.array([-d[1], d[0]]) / r2 / np.sqrt(r2)
        return v / (np.linalg.norm(v) + 1e-9)

    for _ in range(5000):
        p = rng.uniform(0, SIZE, 2)
        colour = palette[rng.integers(len(palette))] + rng.integers(-15, 16, 3)
        points = [tuple(p)]
        for _ in range(rng.integers(6, 14)):
            p = p + 3.0 * direction(p)
            points.append(tuple(p))
        draw.line(points, fill=tuple(int(c) for c in np.clip(colour, 0, 255)),
                  width=int(rng.integers(3, 7)), joint="curve")
    return image.filter(ImageFilter.SMOOTH)


def mosaic(seed=1225, tiles=90):
    rng = np.random.default_rng(seed)
    palette = np.array([[200, 30, 40], [240, 170, 30], [30, 90, 180], [40, 150, 80],
                        [120, 50, 150], [230, 100, 30], [60, 170, 200]])
    sites = rng.uniform(0, SIZE, (tiles, 2))
    colours = palette[rng.integers(len(palette), size=tiles)] + rng.integers(-25, 26, (tiles, 3))
    yy, xx = np.mgrid[0:SIZE, 0:SIZE]
    d = (xx[..., None] - sites[:, 0]) ** 2 + (yy[..., None] - sites[:, 1]) ** 2
    order = np.argsort(d, axis=-1)
    nearest, second = order[..., 0], order[..., 1]
    d1 = np.sqrt(np.take_along_axis(d, nearest[..., None], -1)[..., 0])
    d2 = np.sqrt(np.take_along_axis(d, second[..., None], -1)[..., 0])
    pixels = colours[nearest].astype(float)
    # Light falls off towards each tile's edge, like glass lit from behind.
    pixels *= (0.75 + 0.25 * np.clip((d2 - d1) / 25.0, 0, 1))[..., None]
    lead = (d2 - d1) < 5.0  # near the bisector between two sites: the lead came
    pixels[lead] = [25, 20, 20]
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


if __name__ == "__main__":
    for name, paint in [("swirls", swirls), ("mosaic", mosaic)]:
        path = HERE / f"{name}.png"
        paint().save(path)
        print("wrote", path)
