"""The video's command line (python style_video.py ...): its options, checked into VideoSettings.

    python style_video.py clip.mp4 images/swirls.png --fast --output output/clip_swirls.mp4
    python style_video.py my_frames/ images/swirls.png images/mosaic.png --output out.gif
    python style_video.py clip.mp4 images/swirls.png --fast --workers 2   # shots at once

Every frame of the clip is painted with the lesson's loss, without flicker (Ruder, Dosovitskiy
and Brox 2016: temporal.py, flow.py), here one after another or on a cluster shot by shot
(shots.py). Light to import: --help and every mistake in the command answer before TensorFlow
loads; the run itself is video_run.py.
"""
from dataclasses import dataclass
from pathlib import Path

from painter import cluster, options, startup
from painter.cluster import ClusterSettings
from painter.frame_rates import FOLDER_FPS, VIDEO_TYPES, check_frame_rate
from painter.numbers import EVALS_PER_ITERATION, ITERATIONS
from painter.settings import LATER_ITERATIONS, TEMPORAL_WEIGHT, VIDEO_SIZE, FrameSettings

# On a cluster: 48 frames (2 s at 24 fps) a task; the first, from scratch, costs about five
# later frames and each of the 8 frames of overlap is painted twice, about 25% more in all.
CHUNK = 48
OVERLAP = 8


@dataclass(frozen=True, kw_only=True)
class VideoSettings:
    """A clip's run as its command line asked for it, checked."""
    content: str
    styles: tuple
    output: str
    loss: dict                     # the lesson's LossSettings, as keywords
    recipe: str = "tutorial"       # --recipe, whose loss values `loss` takes where not given
    preserve_color: str = None
    frames: FrameSettings
    size: int = VIDEO_SIZE
    max_frames: int = None         # --frames: paint only the first so many
    fps: float = None              # --fps: the result's frame rate (None: the clip's)
    weights: str = "imagenet"
    fresh: bool = False
    cluster: ClusterSettings = None  # None: painted here, frame after frame
    chunk: int = None
    overlap: int = None
    plan: bool = False             # --plan: say what the run would do, and paint nothing


def parser():
    parser = options.OneLineErrors(
        prog="style_video.py",
        description="Paint a video in the style of one or more STYLE images, frame after "
                    "frame, without flicker (Ruder, Dosovitskiy and Brox 2016).",
        epilog="Beside OUTPUT go OUTPUT_frames/ (every painted frame, written as it is "
               "finished) and OUTPUT_side_by_side.mp4 or .gif, as OUTPUT (the clip and the "
               "painting next to each other). Stop with Ctrl-C at any time: the video of the "
               "frames so far is written; run the same command again to carry on after the "
               "last finished frame.")
    parser.add_argument("content", type=options.path,
                        help="the clip to repaint: a video file (mp4, mov, webm, GIF, ...) or "
                             "a folder of frames (in name order)")
    parser.add_argument("styles", nargs="+", metavar="style", type=options.path,
                        help="the painting whose style to copy; give several to blend them")
    options.add_painting_options(parser)
    video = parser.add_argument_group("from frame to frame")
    video.add_argument("--start", choices=["noise", "previous", "warped"], default="warped",
                       help="where frames after the first start: 'noise', painted from scratch "
                            "like the first (independently: they flicker); 'previous', the "
                            "previous painted frame as it was; 'warped', the previous painted "
                            "frame moved along the clip's motion (default: %(default)s)")
    video.add_argument("--temporal-weight", type=options.non_negative, default=TEMPORAL_WEIGHT,
                       help="how strongly each frame is held to the previous one, moved along "
                            "the motion, where that motion can be trusted; 0 for none. Like "
                            "the content weight, it is set for 512 px and scaled with --size "
                            "(default: %(default)s)")
    video.add_argument("--init", choices=["noise", "content"], default="noise",
                       help="how a frame painted from scratch starts (the first, or all of "
                            "them with --start noise): the tutorial's noise, the same for "
                            "every frame, or the frame itself (default: %(default)s)")
    video.add_argument("--iterations", type=options.whole_number(1, maximum=1_000_000),
                       default=ITERATIONS, metavar="N",
                       help=f"iterations of {EVALS_PER_ITERATION} evaluations for a frame "
                            "painted from scratch: the first (default: %(default)s)")
    video.add_argument("--later-iterations", type=options.whole_number(1, maximum=1_000_000),
                       default=LATER_ITERATIONS, metavar="N",
                       help="iterations for each frame after the first, which starts from the "
                            "previous one and only has to paint what changed "
                            "(default: %(default)s)")
    video.add_argument("--frames", type=options.whole_number(1), metavar="N",
                       help="paint only the first N frames (try a clip out)")
    video.add_argument("--fps", type=options.positive_number, metavar="F",
                       help=f"frame rate of the result (default: the clip's; {FOLDER_FPS:g} "
                            "for a folder of frames)")
    run = options.add_run_options(parser, size=VIDEO_SIZE, seed=0,
                                  output="output/CONTENT_STYLE.mp4 (.mp4 or .gif)")
    run.add_argument("--fresh", action="store_true",
                     help="forget frames painted by an earlier run into OUTPUT_frames/ "
                          "and start again")
    add_shot_options(parser)
    return parser


def add_shot_options(parser):
    """On a cluster (shots.py): the shots painted at once, long ones in chunks."""
    where = cluster.add_cluster_options(
        parser, "none: the frames are painted here, one after another. With --workers or "
                "--address the clip is cut into shots where the picture changes abruptly, "
                "and the shots are painted at once, each from scratch")
    where.add_argument("--chunk", type=options.whole_number(2, maximum=1_000_000), metavar="N",
                       help="on a cluster, a shot longer than N frames is cut into chunks "
                            f"of N, painted at once too (default: {CHUNK})")
    where.add_argument("--overlap", type=options.whole_number(1, maximum=1_000_000),
                       metavar="N",
                       help="frames each chunk shares with the one before: both paint them, "
                            "and the video fades from the earlier chunk's to the later's "
                            f"(default: {OVERLAP})")


def parse_args(argv=None):
    """The command line, checked: VideoSettings, or exit status 2 with one line."""
    parser_ = parser()
    args = parser_.parse_args(argv)
    try:
        loss = options.loss_keywords(args)
        shape = options.style_shape(args)
        where, chunk, overlap = shot_settings(args)
    except startup.UserError as error:
        parser_.error(str(error))
    output = args.output or options.default_output(args.content, args.styles, ".mp4")
    if args.fps is not None and Path(output).suffix.lower() in VIDEO_TYPES:
        check_frame_rate(args.fps, output, "--fps")  # before the clip is even read
    frames = FrameSettings(start=args.start, init=args.init, seed=args.seed,
                           iterations=args.iterations, later_iterations=args.later_iterations,
                           temporal_weight=args.temporal_weight, style_shape=shape)
    return VideoSettings(content=args.content, styles=tuple(args.styles), output=output,
                         loss=loss, recipe=args.recipe, preserve_color=args.preserve_color,
                         frames=frames,
                         size=args.size, max_frames=args.frames, fps=args.fps,
                         weights=args.weights, fresh=args.fresh, cluster=where, chunk=chunk,
                         overlap=overlap, plan=args.plan)


def shot_settings(args):
    """(ClusterSettings or None, chunk, overlap): a cluster only with --workers or --address."""
    if args.workers is None and args.address is None:
        for name in ("threads", "chunk", "overlap"):
            if getattr(args, name) is not None:
                raise startup.UserError(f"--{name}: only with --workers or --address (a "
                                        "cluster paints the shots, and chunks of them, at "
                                        "once)")
        return None, None, None
    chunk = args.chunk or CHUNK
    overlap = OVERLAP if args.overlap is None else args.overlap
    if overlap >= chunk:
        raise startup.UserError(f"--overlap {overlap}: must be less than --chunk ({chunk})")
    return cluster.cluster_settings(args), chunk, overlap


def load_run(settings):
    """The run (video_run.paint_video), or with --plan plan.plan_video: TensorFlow loads with
    it, once the options are checked."""
    from painter import plan, video_run
    return plan.plan_video if settings.plan else video_run.paint_video


def main(argv=None) -> int:
    return startup.run_program(parse_args, load_run, argv, nothing_saved="nothing new was saved")


command = startup.console_command(main, "nothing new was saved")  # `style-video` (pyproject)
