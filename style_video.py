"""Style transfer on video, without flicker: Ruder, Dosovitskiy and Brox (2016).

Paint every frame of a film in the manner of a painting, with style_transfer.py's losses, graph
and Evaluator. Painted one by one, the frames flicker: from each new photo L-BFGS finds another
of the many paintings that fit it, so the brush strokes jump about. Ruder et al.'s cure,
"Artistic style transfer for videos" (2016, github.com/manuelruder/artistic-videos), is here:

  * each frame starts from the previous painted frame, moved along with the film's motion
    (the optical flow: where each pixel of this frame was in the one before), so it only has
    to paint what changed, in fewer evaluations;
  * a temporal loss keeps the result close to that moved frame ...
  * ... wherever the motion can be trusted: not where something came into view, and not at
    the edges of moving objects (the consistency mask).

Run it:

    python style_video.py clip.mp4 images/swirls.png --fast --output output/clip_swirls.mp4
    python style_video.py my_frames/ images/swirls.png images/mosaic.png --output out.gif
    python style_video.py --help

CONTENT is a video file (mp4, mov, webm, animated GIF, anything ffmpeg reads) or a folder of
frames. The video comes out at the clip's frame rate (.mp4 with the clip's sound, or .gif),
with every painted frame in OUTPUT_frames/, written as it is finished, and
OUTPUT_side_by_side.mp4 (the clip and the painting next to each other). Stop it with Ctrl-C
and the video of the frames so far is written; the same command again carries on after the
last finished frame. `make video` paints a demo clip; `make flicker` (tools/flicker.py)
measures how much each part of the cure helps.

The lesson:
  1. optical flow and the warp           3. the temporal loss, added to style_transfer's
  2. where the flow can be trusted          graph; painting the frames with one graph
                                         4. measuring flicker
Then the command line (its plumbing in command_line.py): 5. reading and writing video (in
video_files.py), 6. the frames folder (resuming), 7. options, 8. the run and main().
"""
import command_line as cli  # first: the command line's plumbing (see style_transfer.py)
if __name__ == "__main__":
    cli.starting_up("nothing new was saved")  # a Ctrl-C while the libraries load just stops
import hashlib
import json
import math
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import cluster  # Dask's machinery, used only with --workers or --address
import colours
import style_transfer as st
from video_files import (FOLDER_FPS, VIDEO_TYPES, check_frame_rate, frame_files, read_clip,
                         write_video)
import cv2
import numpy as np
from scipy.ndimage import map_coordinates
from tqdm import tqdm


# ---------------------------------------------------------------------------------------------
# 1. Optical flow and the warp
# ---------------------------------------------------------------------------------------------
def optical_flow(frame, other):
    """Where each pixel of `frame` is in `other`: an (h, w, 2) float32 array of (dx, dy).

    DIS, Kroeger et al.'s "dense inverse search" (2016), is OpenCV's fast dense flow: it
    matches small patches from coarse to fine, then smooths the field. It needs only
    brightness, so the frames go in as grey.
    """
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    return dis.calc(cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY),
                    cv2.cvtColor(other, cv2.COLOR_RGB2GRAY), None)


def displaced_grid(flow):
    """The positions p + flow(p) of every pixel p: their x and their y, each (h, w)."""
    height, width = flow.shape[:2]
    y, x = np.mgrid[0:height, 0:width]
    return x + flow[..., 0], y + flow[..., 1]


def sample(image, x, y):
    """`image` read at fractional positions (x, y): bilinear interpolation between the four
    nearest pixels, with the edge pixels repeated beyond the border. Exact, where OpenCV's
    remap rounds positions to 1/32 of a pixel."""
    if image.ndim == 3:
        return np.stack([sample(image[..., c], x, y) for c in range(image.shape[-1])], axis=-1)
    return map_coordinates(image, [y, x], order=1, mode="nearest")


def warp(image, flow):
    """`image` moved along the film's motion: pixel p of the result is `image` at p + flow(p).

    With the backward flow of frame t (where its pixels were in frame t-1), this moves the
    previous painted frame to where its content is now. Positions outside the picture take
    the nearest edge pixel; the consistency mask marks them untrustworthy anyway.
    """
    return sample(np.asarray(image, dtype=np.float32), *displaced_grid(flow))


# ---------------------------------------------------------------------------------------------
# 2. Where the flow can be trusted: the consistency mask
# ---------------------------------------------------------------------------------------------
def squared_length(flow):
    return np.sum(np.square(flow), axis=-1)


def consistency(backward, forward):
    """1 where frame t's backward flow can be trusted, 0 where it cannot: an (h, w) array.

    Ruder et al.'s three tests (their consistencyChecker), for each pixel p of frame t with
    backward flow w = backward(p) to frame t-1:
      * p + w must be inside frame t-1: a pixel that came in over the edge has no past;
      * forward-backward check: following w into frame t-1 and that frame's forward flow
        w^ = forward(p + w) back should return to p, so w + w^ is about 0. Where something came
        out from behind an object the two disagree:
        |w + w^|^2 > 0.01 (|w|^2 + |w^|^2) + 0.5 marks p as newly seen;
      * not on a motion boundary, where the flow jumps and is blurred by every method:
        |grad u|^2 + |grad v|^2 > 0.01 |w|^2 + 0.002, with (u, v) = w.
    (Their program then blurs the mask a little; we keep it 0 or 1.)
    """
    backward, forward = backward.astype(np.float64), forward.astype(np.float64)
    height, width = backward.shape[:2]
    to_x, to_y = displaced_grid(backward)
    inside = (to_x >= 0) & (to_x <= width - 1) & (to_y >= 0) & (to_y <= height - 1)
    returning = sample(forward, to_x, to_y)  # w^ at p + w
    agree = (squared_length(backward + returning)
             <= 0.01 * (squared_length(backward) + squared_length(returning)) + 0.5)
    # Central differences, as their CDerivative: (f(p + 1) - f(p - 1)) / 2, one-sided at edges.
    du_dy, du_dx = np.gradient(backward[..., 0])
    dv_dy, dv_dx = np.gradient(backward[..., 1])
    boundary = (du_dx ** 2 + du_dy ** 2 + dv_dx ** 2 + dv_dy ** 2
                > 0.01 * squared_length(backward) + 0.002)
    return (inside & agree & ~boundary).astype(np.float32)


def motion(frame, previous):
    """Frame t's backward flow to frame t-1, and where it can be trusted."""
    backward = optical_flow(frame, previous)
    return backward, consistency(backward, optical_flow(previous, frame))


# ---------------------------------------------------------------------------------------------
# 3. The temporal loss, and painting the frames with one graph for the whole video
# ---------------------------------------------------------------------------------------------
class TemporalLoss:
    """Ruder et al.'s temporal loss, added to style_transfer's loss through the graph
    builder's extra_loss: stay close to the previous painted frame, moved along with the
    film's motion, wherever that motion could be trusted (consistency 1; 0 where something
    came into view or at the edge of a moving object). It sums over positions as the content
    loss does, so its weight, set for 512 px like the content weight, is scaled the same way.
    """

    def __init__(self, weight):
        self.weight = weight

    def __call__(self, features, size_scale):
        """Called while the graph is built: the previous frame and its mask become variables,
        fed before each frame by set_previous."""
        x = features.combination_image
        self.previous = st.K.variable(np.zeros(st.K.int_shape(x)))
        self.consistency = st.K.variable(np.zeros(st.K.int_shape(x)[:3] + (1,)))
        weight, _ = st.loss_weights_for_size(self.weight, 0.0, size_scale)
        return {"temporal": weight * st.K.sum(self.consistency
                                              * st.K.square(x - self.previous))}

    def set_previous(self, warped, mask):
        st.K.set_value(self.previous, warped)
        st.K.set_value(self.consistency, mask.reshape(st.K.int_shape(self.consistency)))


class VideoPainter:
    """style_transfer's graph and Evaluator, built once and used for every frame.

    Building the graph (VGG16, the losses, their gradient) takes seconds; a frame of the same
    size only changes the photo, so the graph's set_content feeds in the new frame's features.
    The paintings never change: with --fast their Gram matrices are computed once, here.
    With a temporal weight the graph also holds the previous frame, moved, and its mask.
    `stop` (command_line.StopRequests) is checked between two evaluations.
    """

    def __init__(self, first_frame, styles, weights_path, settings, temporal_weight, stop):
        self.shape = first_frame.shape[:2]
        self.temporal = TemporalLoss(temporal_weight) if temporal_weight > 0 else None
        self.stop = stop
        st.K.clear_session()  # a fresh graph, not one more beside an earlier run's
        with cli.quiet_native_stderr():  # TensorFlow looks for a GPU here, at length
            self.graph = st.build_loss_and_grads(
                st.preprocess(first_frame, self.shape),
                [st.preprocess(style, self.shape) for style in styles], weights_path,
                settings, extra_loss=self.temporal)
        self.content = first_frame

    def paint(self, content, start, iterations, previous=None, mask=None):
        """Optimise one frame from `start` (preprocessed) for `iterations` x 20 evaluations,
        held to `previous` (the moved previous frame, preprocessed) where `mask` is 1.
        Returns the Evaluator, which holds the best picture found and its loss."""
        if content is not self.content:
            self.graph.set_content(st.preprocess(content, self.shape))
            self.content = content
        if self.temporal is not None:  # no temporal loss for a first frame: mask 0
            height, width = self.shape
            self.temporal.set_previous(
                np.zeros((1, height, width, 3), np.float32) if previous is None else previous,
                np.zeros(self.shape, np.float32) if mask is None else mask)
        evaluator = st.Evaluator(self.graph.f_outputs, self.shape, self.graph.parts,
                                 on_evaluation=lambda _: self.stop.check())
        st.optimize_continuous(evaluator, start, iterations, on_iteration=lambda i: None)
        return evaluator


def first_start(args, content, shape):
    """How a frame painted from scratch starts: the tutorial's noise (the same noise for every
    frame, from --seed) or, with --init content, the frame's own photo."""
    if args.init == "content":
        return st.preprocess(content, shape).astype(np.float64)
    return st.random_start(shape, args.seed)


def frame_plan(args, index, contents, previous):
    """Where frame `index` starts, how long it is optimised, and what holds it to the past.

    Returns (start, iterations, warped previous frame or None, mask or None), all in
    style_transfer's preprocessed space. `previous` is frame index-1's painting, preprocessed,
    or None for a frame painted from scratch (the clip's first, or a shot's).
    """
    content = contents[index]
    if previous is None or args.start == "noise":
        start, iterations = first_start(args, content, content.shape[:2]), args.iterations
    else:
        start, iterations = previous, args.later_iterations
    if previous is None or (args.start != "warped" and args.temporal_weight == 0):
        return start, iterations, None, None
    backward, mask = motion(content, contents[index - 1])
    warped = warp(previous[0], backward)[np.newaxis]
    if args.start == "warped":
        start = warped.astype(np.float64)
    if args.temporal_weight == 0:
        return start, iterations, None, None
    return start, iterations, warped, mask


def paint_frames(painter, args, contents, indices, previous=None):
    """Paint the frames `indices` (one after another in the clip) with `painter`, each from
    the one before, the first from `previous` (the painting before it, preprocessed) or, if
    None, from scratch. Yields (index, painting as painted (RGB), Evaluator, seconds) as each
    frame is finished: style_video's run, and a cluster's worker painting one shot."""
    for index in indices:
        began = time.time()
        start, iterations, warped, mask = frame_plan(args, index, contents, previous)
        evaluator = painter.paint(contents[index], start, iterations, warped, mask)
        painting = st.deprocess(evaluator.best_x, contents[index].shape[:2])
        previous = st.preprocess(painting, painting.shape[:2])
        yield index, painting, evaluator, time.time() - began


# ---------------------------------------------------------------------------------------------
# 4. Measuring flicker
# ---------------------------------------------------------------------------------------------
def temporal_error(painted, contents):
    """Ruder et al.'s measure of flicker: the root mean square, over frames 2 to n and every
    pixel and channel, of c * (x_t - warp(x_t-1)), on pixel values 0 to 255.

    x_t is painted frame t, warp(x_t-1) the frame before it moved along the clip's motion, and c
    the consistency mask: what should have stayed the same, but changed.
    """
    changes = frame_changes(painted, contents)
    return math.sqrt(sum(changes) / len(changes)) if changes else 0.0


def frame_changes(painted, contents):
    """The mean square of c * (x_t - warp(x_t-1)) for each t from 2 to n: the flicker from
    one frame to the next (all have as many pixels, so their mean is the clip's)."""
    changes = []
    for t in range(1, len(painted)):
        backward, mask = motion(contents[t], contents[t - 1])
        moved = warp(painted[t - 1], backward)
        change = mask[..., np.newaxis] * (painted[t].astype(np.float32) - moved)
        changes.append(float(np.mean(np.square(change, dtype=np.float64))))
    return changes


# =============================================================================================
# The command line. The lesson is above; below are video files, resuming, and messages.
# =============================================================================================

# ---------------------------------------------------------------------------------------------
# 5. Reading and writing video: video_files.py (ffmpeg, through imageio-ffmpeg)
# ---------------------------------------------------------------------------------------------
# ---------------------------------------------------------------------------------------------
# 6. The frames folder: painted frames as they finish, and what a resumed run must match
# ---------------------------------------------------------------------------------------------
def side_paths(output):
    """What a run writes beside OUTPUT: the folder of frames and the side-by-side preview."""
    output = Path(output)
    return (output.with_name(f"{output.stem}_frames"),
            output.with_name(f"{output.stem}_side_by_side{output.suffix}"))


def frame_path(folder, index):
    return Path(folder) / f"frame_{index + 1:05d}.png"


def recolours_after(mode):
    """Whether --preserve-color MODE changes each frame after it is painted (swap, luminance):
    then the painting as it was is kept too, for the next frame to carry on from."""
    return mode in ("swap", "luminance")


def style_colours_folder(folder):
    """With --preserve-color the frames take the photo's colours; the next frame starts from
    the painting as it was, in the painting's colours, kept here."""
    return Path(folder) / "style_colours"


def fingerprint(path):
    """A short digest of the clip's bytes (a folder's: its frames' names and bytes). A clip made
    again differently under the same name must not be carried on with the old frames."""
    digest = hashlib.sha256()
    for name in frame_files(path) if os.path.isdir(path) else [Path(path)]:
        digest.update(name.name.encode())
        with open(name, "rb") as file:
            for block in iter(lambda: file.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:16]


def painting_settings(args, clip):
    """Everything that decides what the frames look like: a resumed run must match it."""
    loss = asdict(st.loss_settings(args))
    del loss["style_blend"], loss["style_masks"]  # a video has no masks; the blend, normalised:
    settings = {
        "content": str(Path(clip.path).resolve()), "clip digest": fingerprint(clip.path),
        "clip frames": clip.total,
        "clip size": list(clip.original_size), "size": args.size,
        "shape": list(clip.frames[0].shape[:2]),
        "styles": [str(Path(path).resolve()) for path in args.styles],
        "style_weights": st.normalise_blend(args.style_weights or [1.0] * len(args.styles)),
        **loss, **{name: getattr(args, name) for name in (
            "temporal_weight", "preserve_color", "start", "init", "iterations",
            "later_iterations", "seed")},
        # A cluster paints each shot from scratch and fades chunks into each other: its frames
        # are not the ones painted here in order (None).
        **{name: getattr(args, name) if args.on_cluster else None
           for name in ("chunk", "overlap")},
        "weights": str(args.weights_path)}
    return json.loads(json.dumps(settings))  # as it will read back: lists, not tuples


def setting_name(key):
    return key if " " in key or key in ("content", "shape") else "--" + key.replace("_", "-")


def save_frame(folder, index, painting, content, mode):
    """Frame `index` into the frames folder; with --preserve-color swap or luminance, in the
    clip's colours, and as painted too (style_colours/), which the next frame carries on from."""
    if recolours_after(mode):
        cli.save_image(frame_path(style_colours_folder(folder), index), painting)
        cli.save_image(frame_path(folder, index), colours.color_result(painting, content, mode))
    else:
        cli.save_image(frame_path(folder, index), painting)


def frame_record(index, evaluator, seconds):
    """A finished frame's line in run.json."""
    return {"frame": index + 1, "loss": evaluator.best_loss, "parts": evaluator.best_parts,
            "evaluations": evaluator.evaluations, "seconds": round(seconds, 3)}


def difference(key, then, now):
    """One setting of an earlier run that the run asked for now does not match, in words."""
    if key == "clip digest":
        return "the clip has changed since"
    if key == "chunk" and then is None:
        return "painted in order then, on a cluster now"
    if key == "chunk" and now is None:
        return "painted on a cluster then, in order now"
    return f"{setting_name(key)} {then} then, {now} now"


def finished_frames(folder, settings, fresh):
    """How many frames, from the first on, an earlier run of the same command finished (0 for
    a new run), and the records of the frames it left. --fresh forgets them."""
    record_path = Path(folder) / "run.json"
    if fresh:
        for old in [*Path(folder).glob("frame_*.png"), *Path(folder).glob("*/frame_*.png"),
                    record_path]:  # and style_colours/, and a cluster's overlaps/
            old.unlink(missing_ok=True)
    if not record_path.exists():
        if list(Path(folder).glob("frame_*.png")):
            raise cli.UserError(f"{folder} holds frames of another run (no run.json); add "
                               "--fresh to paint over them, or choose another --output")
        return 0, []
    try:
        record = json.loads(record_path.read_text())
        earlier = record["settings"]
    except (ValueError, KeyError, TypeError):
        raise cli.UserError(f"{record_path}: unreadable; add --fresh to start again") from None
    changed = [key for key in settings if earlier.get(key) != settings[key]]
    if "size" in changed and "shape" in changed:  # the shape follows the size typed: name it
        changed.remove("shape")
    if "chunk" in changed and None in (earlier.get("chunk"), settings["chunk"]):
        changed = [key for key in changed if key != "overlap"]  # in order, or on a cluster
    if changed:
        differences = "; ".join(difference(key, earlier.get(key), settings[key])
                                for key in changed[:3])
        raise cli.UserError(f"{folder} holds frames painted with other settings "
                           f"({differences}); add --fresh to paint them again, or choose "
                           "another --output")
    done = 0
    while frame_path(folder, done).exists() and (
            not recolours_after(settings["preserve_color"])
            or frame_path(style_colours_folder(folder), done).exists()):
        done += 1
    # A cluster finishes frames out of order: the records of every frame on disk.
    return done, [frame for frame in record.get("frames", [])
                  if frame_path(folder, frame["frame"] - 1).exists()]


def write_record(folder, settings, frames):
    """run.json: the settings, and each finished frame's loss, evaluations and seconds."""
    text = json.dumps({"settings": settings, "frames": frames}, indent=1)
    cli.write_bytes(Path(folder) / "run.json", text.encode())


# ---------------------------------------------------------------------------------------------
# 7. Options
# ---------------------------------------------------------------------------------------------
SIZE = 256               # a frame at 512 px costs 4x as much, times every frame
# Like the content weight, it means what it means at 512 px (build_loss_and_grads scales both
# with the frames' size). Chosen by trying 30, 100 and 300 on the demo clip: 300 raised the
# style loss by a quarter (each frame is held to a copy of the one before, blurred a little by
# the warp); 100 removes a third of the flicker left after the warped start, for 4% more
# painting loss (FLICKER.md).
TEMPORAL_WEIGHT = 100.0
# 40 evaluations: a later frame starts almost finished, warped from the one before; the first
# gets the tutorial's 200.
LATER_ITERATIONS = 2
# On a cluster: 48 frames (2 s at 24 fps) a task; the first, from scratch, costs about five
# later frames and each of the 8 frames of overlap is painted twice, about 25% more in all.
CHUNK = 48
OVERLAP = 8


def parse_args(argv=None):
    parser = cli.OneLineErrors(
        prog="style_video.py",
        description="Paint a video in the style of one or more STYLE images, frame after "
                    "frame, without flicker (Ruder, Dosovitskiy and Brox 2016).",
        epilog="Beside OUTPUT go OUTPUT_frames/ (every painted frame, written as it is "
               "finished) and OUTPUT_side_by_side.mp4 or .gif, as OUTPUT (the clip and the "
               "painting next to each other). Stop with Ctrl-C at any time: the video of the "
               "frames so far is written; run the same command again to carry on after the "
               "last finished frame.")
    parser.add_argument("content", type=os.path.expanduser,
                        help="the clip to repaint: a video file (mp4, mov, webm, GIF, ...) or "
                             "a folder of frames (in name order)")
    parser.add_argument("styles", nargs="+", metavar="style", type=os.path.expanduser,
                        help="the painting whose style to copy; give several to blend them")
    st.add_painting_options(parser)
    video = parser.add_argument_group("from frame to frame")
    video.add_argument("--start", choices=["noise", "previous", "warped"], default="warped",
                       help="where frames after the first start: 'noise', painted from scratch "
                            "like the first (independently: they flicker); 'previous', the "
                            "previous painted frame as it was; 'warped', the previous painted "
                            "frame moved along the clip's motion (default: %(default)s)")
    video.add_argument("--temporal-weight", type=cli.non_negative, default=TEMPORAL_WEIGHT,
                       help="how strongly each frame is held to the previous one, moved along "
                            "the motion, where that motion can be trusted; 0 for none. Like "
                            "the content weight, it is set for 512 px and scaled with --size "
                            "(default: %(default)s)")
    video.add_argument("--init", choices=["noise", "content"], default="noise",
                       help="how a frame painted from scratch starts (the first, or all of "
                            "them with --start noise): the tutorial's noise, the same for "
                            "every frame, or the frame itself (default: %(default)s)")
    video.add_argument("--iterations", type=cli.whole_number(1, maximum=1_000_000),
                       default=st.ITERATIONS, metavar="N",
                       help=f"iterations of {st.EVALS_PER_ITERATION} evaluations for a frame "
                            "painted from scratch: the first (default: %(default)s)")
    video.add_argument("--later-iterations", type=cli.whole_number(1, maximum=1_000_000),
                       default=LATER_ITERATIONS, metavar="N",
                       help="iterations for each frame after the first, which starts from the "
                            "previous one and only has to paint what changed "
                            "(default: %(default)s)")
    video.add_argument("--frames", type=cli.whole_number(1), metavar="N",
                       help="paint only the first N frames (try a clip out)")
    video.add_argument("--fps", type=cli.positive_number, metavar="F",
                       help=f"frame rate of the result (default: the clip's; {FOLDER_FPS:g} "
                            "for a folder of frames)")
    run = st.add_run_options(parser, size=SIZE, seed=0,
                             output="output/CONTENT_STYLE.mp4 (.mp4 or .gif)")
    run.add_argument("--fresh", action="store_true",
                     help="forget frames painted by an earlier run into OUTPUT_frames/ "
                          "and start again")
    add_shot_options(parser)
    args = parser.parse_args(argv)
    cli.check_loss_weights(parser, args)
    check_shot_options(parser, args)
    args.output = args.output or cli.default_output(args, ".mp4")
    if args.fps is not None and Path(args.output).suffix.lower() in VIDEO_TYPES:
        check_frame_rate(args.fps, args.output, "--fps")  # before the clip is even read
    return args


def add_shot_options(parser):
    """On a cluster (video_cluster.py): the shots painted at once, long ones in chunks."""
    where = cluster.add_cluster_options(
        parser, "none: the frames are painted here, one after another. With --workers or "
                "--address the clip is cut into shots where the picture changes abruptly, "
                "and the shots are painted at once, each from scratch")
    where.add_argument("--chunk", type=cli.whole_number(2, maximum=1_000_000), metavar="N",
                       help="on a cluster, a shot longer than N frames is cut into chunks "
                            f"of N, painted at once too (default: {CHUNK})")
    where.add_argument("--overlap", type=cli.whole_number(1, maximum=1_000_000), metavar="N",
                       help="frames each chunk shares with the one before: both paint them, "
                            "and the video fades from the earlier chunk's to the later's "
                            f"(default: {OVERLAP})")


def check_shot_options(parser, args):
    args.on_cluster = args.workers is not None or args.address is not None
    if not args.on_cluster:
        for name in ("threads", "chunk", "overlap"):
            if getattr(args, name) is not None:
                parser.error(f"--{name}: only with --workers or --address (a cluster "
                             "paints the shots, and chunks of them, at once)")
        return
    cluster.settle_workers(parser, args)
    args.chunk = args.chunk or CHUNK
    args.overlap = OVERLAP if args.overlap is None else args.overlap
    if args.overlap >= args.chunk:
        parser.error(f"--overlap {args.overlap}: must be less than --chunk ({args.chunk})")


# ---------------------------------------------------------------------------------------------
# 8. The run: progress, resuming, Ctrl-C, and main()
# ---------------------------------------------------------------------------------------------
def describe_run(args, clip, fps, done):
    """The "Painting ..." line: everything that decides what the video will look like."""
    height, width = clip.frames[0].shape[:2]
    count = len(clip.frames)
    later = {"noise": "from scratch, like the first",
             "previous": "from the previous painted frame",
             "warped": "from the previous painted frame, warped along the motion"}[args.start]
    if args.start != "noise":
        later = f"{cli.plural(args.later_iterations, 'iteration')} each {later}"
    temporal = (f"temporal weight {args.temporal_weight:g}" if args.temporal_weight
                else "no temporal loss")
    if done >= count:
        progress = f" All {count} are painted already: writing the video."
    else:
        progress = f" Carrying on after frame {done}." if done else ""
    return (f"Painting {clip.path} ({cli.plural(count, 'frame')} at {fps:g} fps, "
            f"{width}x{height} px) in the style of {' + '.join(args.styles)}: the first frame "
            f"{cli.plural(args.iterations, 'iteration')} of {st.EVALS_PER_ITERATION} "
            f"evaluations from {args.init}, later frames {later}; {temporal}; "
            + (f"keeping the clip's colours ({args.preserve_color}); " if args.preserve_color
               else "")
            + f"{'fast' if args.fast else 'tutorial'} graph"
            + ("; shots painted at once, on a cluster" if args.on_cluster else "")
            + f".{progress}")


@dataclass
class ClipWork:
    """One run's clip and where its frames go, as both ways of painting it need them: here,
    frame after frame, or on a cluster, shot by shot (video_cluster.py)."""
    folder: Path           # OUTPUT_frames/
    settings: dict         # what run.json must match
    record: list           # run.json's records of the frames finished before
    contents: list         # the clip's frames (RGB, at the painting size)
    sources: list          # what is painted: the frames, greyed with --preserve-color luminance
    styles: list           # the paintings, recoloured with --preserve-color
    fps: float
    preserve_color: str
    labels: list           # the loss parts' names, for the lines


def run(args, stop):
    """Paint the clip from the command line's arguments; the exit status."""
    cv2.setNumThreads(1)  # the flow of a small frame takes milliseconds; TensorFlow has the cores
    output = Path(args.output)
    folder, preview = side_paths(output)
    cli.check_output(output, VIDEO_TYPES, [args.content], "the clip", beside=[preview],
                     folder=folder)
    styles = [cli.load_image(path) for path in args.styles]
    clip = read_clip(args.content, args.size, args.frames, stop)
    fps = args.fps or clip.fps
    check_frame_rate(fps, args.output, args.content if not args.fps else "--fps")
    st.check_size(clip.frames[0], [args.size], batch=1 if args.fast else 2 + len(styles))
    args.weights_path = st.resolve_weights(args.weights)
    settings = painting_settings(args, clip)
    done, record = finished_frames(folder, settings, args.fresh)
    stop.check()
    contents, count = clip.frames, len(clip.frames)
    # --preserve-color: the paintings recoloured (or made grey) once, to the first frame's
    # colours; with luminance, each frame painted as its grey brightness.
    _, styles = colours.color_inputs(contents[0], styles, args.preserve_color)
    sources = [colours.color_inputs(frame, [], args.preserve_color)[0] for frame in contents]
    work = ClipWork(folder, settings, record, contents, sources, styles, fps,
                    args.preserve_color, cli.loss_labels(args.styles, "temporal"))

    cli.say(f"VGG16 weights: {args.weights_path}")
    cli.say(describe_run(args, clip, fps, min(done, count)))
    st.use_graph_mode()
    start_time, stopped = time.time(), None
    present = frames_on_disk(folder, count)
    try:
        write_record(folder, settings, record)
        if args.on_cluster:  # Dask and PySceneDetect load only then
            import video_cluster
            stopped = video_cluster.paint_clip(args, work, stop)
        else:
            paint_in_order(args, work, done, stop)
    except (KeyboardInterrupt, FloatingPointError) as error:
        stopped = error
    except OSError as error:  # a full disk, a folder deleted under our feet
        return cli.could_not_write(error, f"the finished frames are in {folder}/")

    finished = index_of_first_missing(folder, count)
    written = None
    if finished:
        try:
            written = write_videos(args, output, preview, folder, finished, contents, fps, clip)
        except OSError as error:
            return cli.could_not_write(error, f"the finished frames are in {folder}/")
    if stop.is_set() and stopped is None and finished < count:
        stopped = KeyboardInterrupt()
    if stopped is not None:
        return cli.ended_early(stopped, f"the video of frames 1 to {finished} is in {output}; "
                               "run the same command again to carry on" if finished
                               else "no frame was finished")
    seconds = time.time() - start_time
    painted = frames_on_disk(folder, count) - present
    per_frame = f", {seconds / painted:.1f} s per frame" if painted else ""
    cli.say(f"Done in {seconds:.0f} s ({cli.plural(painted, 'frame')} painted{per_frame}): "
           f"{written}")
    cli.say(f"Also: {preview}, {folder}/")
    return 0


def paint_in_order(args, work, done, stop):
    """Paint the frames after the first `done` here, one after another, each written as it
    is finished, with a line and a step of the progress bar for each."""
    count = len(work.contents)
    if done >= count:
        return
    work.record[:] = [frame for frame in work.record if frame["frame"] <= done]
    previous = None  # the last finished frame's painting, preprocessed: the next one's past
    if done:  # a resumed run: the past is the last finished frame, as saved
        source = (style_colours_folder(work.folder) if recolours_after(work.preserve_color)
                  else work.folder)
        previous = st.preprocess(cli.load_image(frame_path(source, done - 1)),
                                 work.contents[0].shape[:2])
    bar = tqdm(total=count, initial=done, unit="frame", desc="Painting", disable=None,
               dynamic_ncols=True)
    try:
        painter = VideoPainter(work.sources[done], work.styles, args.weights_path,
                               st.loss_settings(args), args.temporal_weight, stop)
        stop.check()
        for index, painting, evaluator, seconds in paint_frames(
                painter, args, work.sources, range(done, count), previous):
            save_frame(work.folder, index, painting, work.contents[index], work.preserve_color)
            work.record.append(frame_record(index, evaluator, seconds))
            write_record(work.folder, work.settings, work.record)
            with tqdm.external_write_mode():
                loss = cli.describe_loss(evaluator.best_loss, evaluator.best_parts, work.labels)
                cli.say(f"Frame {index + 1}/{count}: {loss}; {evaluator.evaluations} "
                        f"evaluations, {seconds:.1f} s")
            bar.update(1)
    finally:
        bar.close()


def frames_on_disk(folder, count):
    return sum(frame_path(folder, index).exists() for index in range(count))


def index_of_first_missing(folder, count):
    """How many frames, from the first on, are finished in `folder` (at most `count`)."""
    index = 0
    while index < count and frame_path(folder, index).exists():
        index += 1
    return index


def write_videos(args, output, preview, folder, finished, contents, fps, clip):
    """The painted video and the side-by-side preview, from the finished frames on disk."""
    painted = [cli.load_image(frame_path(folder, index)) for index in range(finished)]
    audio = clip.path if clip.has_audio else None
    write_video(output, painted, fps, audio)
    height = painted[0].shape[0]
    write_video(preview, [cli.comparison_sheet([content, frame], height)
                          for content, frame in zip(contents, painted)], fps, audio)
    return output


def main(argv=None):
    return cli.run_program(parse_args, run, argv, nothing_saved="nothing new was saved")


if __name__ == "__main__":
    # On a cluster, video_cluster imports this file as style_video: run that one module, not
    # a second copy of it as __main__.
    import style_video
    cli.finish(style_video.main())
