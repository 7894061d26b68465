"""A clip on a cluster (style_video.py --workers): the demo clip painted here, frame after frame,
and by a local cluster of 2 workers in overlapping chunks; the flicker at the chunks' seams
against inside them, and the speed-up.

The flicker is FLICKER.md's measure (Ruder et al.'s temporal error: the RMS of
c * (x_t - warp(x_t-1))), taken pair of frames by pair: at a seam are the pairs from the one
entering a chunk's overlap to the one leaving it (overlap + 1 pairs), inside are the others.
The same pairs are measured in the run painted in order, where there is no seam: the clip's
own motion (it eases in and out) changes the flicker along it, and that is not the seams'.

It is the part "clip" of tools/bench.py (`make bench`; `make bench-clip` runs only it), which
writes BENCHMARKS.md. Alone, to check it at a tiny size (no file written):

    python tools/bench_clip.py --clip-size 48 --clip-frames 12 --clip-chunk 6 --clip-overlap 2
"""
import argparse
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from toolkit import ROOT, verdict

from painter.clips import read_clip  # noqa: E402
from painter import files, flow, frame_files, shots, words

STYLE = str(ROOT / "images" / "swirls.png")
FRAMES, FPS = 56, 8          # 7 s of the demo clip's pan and zoom
SIZE = 128                   # about 3 s a later frame on one core
CHUNK, OVERLAP = 16, 8       # four chunks (two for each worker): three seams
SEAM_TARGET = 1.5            # the issue's: flicker at a seam at most 1.5x that inside a chunk


def paint(clip, output, size, extra):
    """style_video.py on the clip, as a user runs it: its wall time."""
    began = time.time()
    subprocess.run([sys.executable, str(ROOT / "style_video.py"), str(clip), STYLE, "--fast",
                    "--size", str(size), "--fresh", "--output", str(output), *extra],
                   check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
    return time.time() - began


def changes(output, contents):
    folder, _ = frame_files.side_paths(output)
    painted = [files.load_image(frame_files.frame_path(folder, index))
               for index in range(len(contents))]
    return flow.frame_changes(painted, contents)


def seam_pairs(contents, chunk, overlap):
    """The pairs (t-1, t), by t, that see a seam, as the cluster plans its chunks: from
    entering each overlap to leaving it. And how many seams there are."""
    spans = shots.plan_spans(len(contents), shots.find_cuts(contents, FPS),
                                     chunk, overlap)
    seams = [span for span in spans if span.lead]
    pairs = {t for span in seams for t in range(span.first, span.first + span.lead + 1)}
    return pairs, len(seams)


def rms(values):
    return math.sqrt(sum(values) / len(values))


def split(errors, seams):
    """(RMS at the seams, RMS inside), from each pair's mean square."""
    at = [error for t, error in enumerate(errors, start=1) if t in seams]
    inside = [error for t, error in enumerate(errors, start=1) if t not in seams]
    return rms(at), rms(inside)


def measure_clip(args):
    """BENCHMARKS.md's section on clips."""
    began = time.time()
    frames, size, chunk, overlap = (args.clip_frames, args.clip_size, args.clip_chunk,
                                    args.clip_overlap)
    with tempfile.TemporaryDirectory() as scratch:
        clip = Path(scratch) / "pan.mp4"
        subprocess.run([sys.executable, str(ROOT / "tools" / "make_clip.py"), str(clip),
                        "--frames", str(frames), "--fps", str(FPS)], check=True,
                       stdout=subprocess.DEVNULL)
        contents = read_clip(clip, size).frames
        in_order = Path(scratch) / "in_order.mp4"
        chunked = Path(scratch) / "chunked.mp4"
        here = paint(clip, in_order, size, [])
        there = paint(clip, chunked, size, ["--workers", "2", "--threads", "1", "--chunk",
                                            str(chunk), "--overlap", str(overlap)])
        seams, seam_count = seam_pairs(contents, chunk, overlap)
        rows = {"in order, here": (here, changes(in_order, contents)),
                "2 workers, in chunks": (there, changes(chunked, contents))}
    table, figures = [], {}
    for name, (wall, errors) in rows.items():
        at, inside = split(errors, seams)
        figures[name] = (at, inside)
        table.append(f"| {name} | {wall:.0f} s | {frames / wall * 60:.1f} | "
                     f"{rms(errors):.2f} | {at:.2f} | {inside:.2f} | {at / inside:.2f}x |")
    at, inside = figures["2 workers, in chunks"]
    ratio = at / inside
    speed_up = rows["in order, here"][0] / rows["2 workers, in chunks"][0]
    return "\n".join([
        "## Clips on a cluster: chunks and their seams",
        "",
        f"Measured on {time.strftime('%Y-%m-%d')}. The demo clip's pan and zoom in {frames} "
        f"frames (`tools/make_clip.py --frames {frames}`, {FPS} fps) at {size} px in the style of swirls.png "
        "(`style_video.py --fast`), painted here frame after frame (TensorFlow on all the "
        f"cores), and by a local cluster of 2 workers of one thread each in chunks of {chunk} "
        f"frames overlapping by {overlap} (`--workers 2 --chunk {chunk} --overlap {overlap}`: "
        f"{words.plural(seam_count, 'seam')}). Temporal error: FLICKER.md's measure (0-255), "
        f"over all pairs of frames, over the {len(seams)} pairs at the seams (entering an "
        "overlap to leaving it) and over the others; the run in order has no seam and shows "
        "what the clip's own motion does to the same pairs.",
        "",
        "| painted | wall | frames / minute | temporal error | at the seams | inside | "
        "seams / inside |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        *table,
        "",
        "| target | wanted | measured | |",
        "| --- | --- | --- | --- |",
        f"| temporal error at the chunks' seams against inside them | <= {SEAM_TARGET}x | "
        f"{ratio:.2f}x | {verdict(ratio <= SEAM_TARGET)} |",
        "",
        f"2 workers against the run in order: {speed_up:.2f}x the frames a minute (each chunk "
        "paints its first frame from scratch and its overlap twice). This part took "
        f"{time.time() - began:.0f} s.",
    ])


def add_options(parser):
    """bench.py's options for this part."""
    parser.add_argument("--clip-size", type=int, default=SIZE)
    parser.add_argument("--clip-frames", type=int, default=FRAMES)
    parser.add_argument("--clip-chunk", type=int, default=CHUNK)
    parser.add_argument("--clip-overlap", type=int, default=OVERLAP)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_options(parser)
    print(measure_clip(parser.parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
