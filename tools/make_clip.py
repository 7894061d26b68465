"""The demo clip for `make video`: a slow pan and zoom across the bundled photo.

A camera glides over images/chelsea.png from the whole cat to its eyes and nose, easing in and
out. Made from our own photo (CC0), so the clip and every video painted from it are ours to
ship. The same arguments always give the same frames.

    python tools/make_clip.py output/video/chelsea_pan.mp4 [--frames 24] [--fps 8]
"""
import argparse
import sys

import numpy as np
from PIL import Image

from toolkit import ROOT  # noqa: E402  (it puts the programs on the path)
PHOTO = ROOT / "images" / "chelsea.png"

# The camera's first and last view of the 451x300 photo: (centre x, centre y, width), in the
# photo's pixels. The view keeps the clip's 3:2 shape; the last is 1.33x closer, on the face.
FIRST_VIEW = (222.0, 150.0, 440.0)
LAST_VIEW = (250.0, 160.0, 330.0)


def ease(u):
    """Smoothstep: the camera starts and stops gently instead of jerking into motion."""
    return u * u * (3 - 2 * u)


def view(u, aspect):
    """The camera's rectangle (left, top, right, bottom) at time u from 0 to 1."""
    s = ease(u)
    cx, cy, width = (a + (b - a) * s for a, b in zip(FIRST_VIEW, LAST_VIEW))
    height = width / aspect
    return cx - width / 2, cy - height / 2, cx + width / 2, cy + height / 2


def clip_frames(photo, count, size):
    """`count` frames of `size` (width, height), each the photo seen through the camera.
    PIL's EXTENT transform takes fractional corners, so the motion is smooth to a sub-pixel."""
    width, height = size
    return [np.asarray(photo.transform(size, Image.EXTENT, view(i / max(1, count - 1),
                                                                width / height),
                                       resample=Image.BICUBIC))
            for i in range(count)]


def main(argv=None):
    parser = argparse.ArgumentParser(description="Make the demo clip: a slow pan and zoom "
                                                 "across images/chelsea.png.")
    parser.add_argument("output", help="the clip to write, .mp4 or .gif")
    parser.add_argument("--frames", type=int, default=24, help="how many (default: 24)")
    parser.add_argument("--fps", type=float, default=8.0, help="frame rate (default: 8)")
    parser.add_argument("--width", type=int, default=384,
                        help="width in pixels, even; the height is 2/3 of it (default: 384)")
    args = parser.parse_args(argv)
    if args.frames < 2 or args.fps <= 0 or args.width < 32 or args.width % 6:
        parser.error("--frames must be 2 or more, --fps above 0, and --width a multiple of 6 "
                     "(so that both sides are even), at least 36")
    from painter.clips import write_video  # one place that writes video: H.264, yuv420p

    with Image.open(PHOTO) as photo:
        frames = clip_frames(photo.convert("RGB"), args.frames,
                             (args.width, args.width * 2 // 3))
    write_video(args.output, frames, args.fps)
    print(f"{args.output}: {args.frames} frames of {args.width}x{args.width * 2 // 3} px at "
          f"{args.fps:g} fps")
    return 0


if __name__ == "__main__":
    sys.exit(main())
