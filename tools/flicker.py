"""`make flicker`: how much flicker each part of Ruder et al.'s cure removes, and what it costs.

The demo clip is painted four ways by style_video.py, with the same options otherwise:

  independent       --start noise --temporal-weight 0: every frame painted like a still, from
                    the same noise, for --iterations (the flickering baseline)
  previous          --start previous --temporal-weight 0: from the previous painted frame
  warped            --start warped --temporal-weight 0: from it, moved along the motion
  warped + temporal --start warped and the temporal loss: style_video.py's default

For each, Ruder et al.'s temporal error (flow.temporal_error: the root mean square of
c * (x_t - warp(x_t-1)) over frames and pixels, on values 0 to 255) and the seconds per frame,
from the run's record. It writes the table to FLICKER.md, the GIFs to output/flicker/ and, with
--docs, the independent and the stable GIF to docs/ for the README.

    python tools/flicker.py [--docs] [--frames N] [-- STYLE_VIDEO_OPTIONS ...]

Options after `--` go to every style_video.py run (the Makefile passes make video's). A run
that is stopped carries on where it was next time, like style_video.py itself.
"""
import argparse
import json
import os
import platform
import shutil
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np

from toolkit import ROOT, verdict  # noqa: E402  (it puts the programs on the path)
from painter import clips, files, flow, frame_files, video


CLIP = ROOT / "output" / "video" / "chelsea_pan.mp4"
STYLE = ROOT / "images" / "swirls.png"

# (name, file stem, style_video.py options): the four ways, the cure's parts added one by one.
VARIANTS = [
    ("independent frames", "independent", ["--start", "noise", "--temporal-weight", "0"]),
    ("previous frame", "previous", ["--start", "previous", "--temporal-weight", "0"]),
    ("warped previous frame", "warped", ["--start", "warped", "--temporal-weight", "0"]),
    ("warped + temporal loss", "temporal", ["--start", "warped"]),
]
TARGETS = [("independent", 0.35), ("previous", 0.7)]  # warped + temporal at most this x theirs


def paint(stem, options, clip, style, folder, passed_on):
    """One way: style_video.py's main, in this process. Returns its status."""
    output = folder / f"{stem}.gif"
    print(f"\n== {stem}: style_video.py {' '.join(options + passed_on)}", flush=True)
    return video.main([str(clip), str(style), *options, *passed_on,
                             "--output", str(output)])


def measure(stem, folder, contents):
    """The temporal error of one way's painted frames, and its run's record."""
    frames_folder = folder / f"{stem}_frames"
    record = json.loads((frames_folder / "run.json").read_text())
    painted = [files.load_image(frame_files.frame_path(frames_folder, i))
               for i in range(len(contents))]
    return flow.temporal_error(painted, contents), record


def row(name, error, record, errors):
    frames = record["frames"]
    later = frames[1:]
    seconds = np.mean([f["seconds"] for f in later])
    evaluations = np.mean([f["evaluations"] for f in later])
    # The painting's own loss (content, style, smoothness), without the temporal part: what
    # holding a frame to the one before costs the picture.
    painting_loss = np.mean([f["loss"] - f["parts"].get("temporal", 0) for f in later])
    return (f"| {name} | {error:.2f} | {error / errors['independent']:.2f}x | "
            f"{error / errors['previous']:.2f}x | {seconds:.1f} | {evaluations:.0f} | "
            f"{painting_loss:.3g} |")


def report(results, settings, clip_path, frames, seconds):
    errors = {stem: error for stem, (error, _) in results.items()}
    first = results["temporal"][1]["frames"][0]
    lines = [
        "# Flicker",
        "",
        f"Made by `make flicker` (`tools/flicker.py`) on {date.today()}: {platform.machine()}, "
        f"{os.cpu_count()} cores. The demo clip `{clip_path}` ({frames} frames, "
        f"{settings['shape'][1]}x{settings['shape'][0]} px) in the style of "
        f"`{Path(settings['styles'][0]).name}`, painted four ways by `style_video.py "
        f"{' '.join(settings['passed on'])}`.",
        "",
        "Temporal error (Ruder et al. 2016): the root mean square, over frames 2 to "
        f"{frames} and all pixels and channels, of c * (x_t - warp(x_t-1)) on pixel values "
        "0-255, with the clip's own DIS flow and consistency mask c. Lower is steadier. "
        "Seconds and evaluations are the mean over frames 2 to the last (the first frame is "
        f"painted from scratch in every way: {first['evaluations']} evaluations, "
        f"{first['seconds']:.0f} s here). Painting loss: content + style + total variation, "
        "without the temporal part, mean over the same frames.",
        "",
        "| frames start from | temporal error | vs independent | vs previous frame | "
        "s / frame | evaluations / frame | painting loss |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, stem, _ in VARIANTS:
        error, record = results[stem]
        lines.append(row(name, error, record, errors))
    lines += ["", "| target | wanted | measured | |", "| --- | --- | --- | --- |"]
    for stem, most in TARGETS:
        ratio = errors["temporal"] / errors[stem]
        lines.append(f"| warped + temporal loss vs {dict((s, n) for n, s, _ in VARIANTS)[stem]}"
                     f" | <= {most}x | {ratio:.2f}x | "
                     f"{verdict(ratio <= most)} |")
    lines += ["", f"The whole run took {seconds:.0f} s."]
    return "\n".join(lines) + "\n"


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    passed_on = argv[argv.index("--") + 1:] if "--" in argv else []
    own = argv[:argv.index("--")] if "--" in argv else argv
    parser = argparse.ArgumentParser(description="Measure flicker: the demo clip painted four "
                                                 "ways (make flicker).")
    parser.add_argument("--clip", type=Path, default=CLIP,
                        help=f"the clip (default: {CLIP.relative_to(ROOT)}, made if missing)")
    parser.add_argument("--style", type=Path, default=STYLE)
    parser.add_argument("--folder", type=Path, default=ROOT / "output" / "flicker",
                        help="where the four videos go (default: output/flicker)")
    parser.add_argument("--report", type=Path, default=ROOT / "FLICKER.md")
    parser.add_argument("--docs", action="store_true",
                        help="copy the independent and the stable GIF into docs/")
    args = parser.parse_args(own)
    start = time.time()
    if not args.clip.exists():
        import make_clip
        make_clip.main([str(args.clip)])
    for name, stem, options in VARIANTS:
        status = paint(stem, options, args.clip, args.style, args.folder, passed_on)
        if status != 0:
            return status
    options = video.parse_args(["clip", "style", *passed_on])  # their --size, --frames
    contents = clips.read_clip(args.clip, options.size, options.max_frames).frames
    results = {stem: measure(stem, args.folder, contents) for _, stem, _ in VARIANTS}
    settings = results["temporal"][1]["settings"]
    settings["passed on"] = passed_on
    text = report(results, settings, args.clip.relative_to(ROOT) if args.clip.is_relative_to(
        ROOT) else args.clip, len(contents), time.time() - start)
    args.report.write_text(text)
    print("\n" + text)
    print(f"Wrote {args.report}")
    if args.docs:
        for stem, name in (("independent", "video_independent.gif"),
                           ("temporal", "video_stable.gif")):
            shutil.copyfile(args.folder / f"{stem}.gif", ROOT / "docs" / name)
        print("Copied docs/video_independent.gif and docs/video_stable.gif")
    return 0


if __name__ == "__main__":
    sys.exit(main())
