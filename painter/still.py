"""The stills' command line (python style_transfer.py ...): its options, checked into StillSettings.

Light to import: --help and every mistake in the command answer before TensorFlow loads; the
run itself (still_run.py) loads it.
"""
import argparse
from dataclasses import dataclass

from painter import options, startup
from painter.numbers import VGG16_LAYERS
from painter.settings import PaintSettings
from painter.words import plural


@dataclass(frozen=True, kw_only=True)
class StillSettings:
    """A still's run as its command line asked for it, checked. `paint.init` is --init as
    given (noise, content, style or a picture's path, read by the run)."""
    content: str
    styles: tuple
    output: str
    loss: dict                  # the lesson's LossSettings, as keywords (options.loss_keywords)
    recipe: str = "tutorial"    # --recipe, whose values `loss` takes where no option was given
    paint: PaintSettings
    style_masks: tuple = None   # the masks' paths, one per painting
    weights: str = "imagenet"
    quick: bool = False
    no_extras: bool = False
    tile_chosen: bool = False   # the run chose paint.tile to fit in memory
    plan: bool = False          # --plan: say what the run would do, and paint nothing


EPILOG = """\
Each iteration saves the best picture so far to OUTPUT; stop with Ctrl-C (or kill) at any
time and it is kept. Beside OUTPUT go OUTPUT_sheet.png (inputs and result side by side),
OUTPUT.gif (the run, a frame per iteration), OUTPUT_loss.png (the loss and its parts over
the run) and the folder OUTPUT_iterations/ (each iteration's picture).

VGG16's layers, the names --content-layer and --style-layers take:
""" + "\n".join("  " + " ".join(name for name in VGG16_LAYERS if name.startswith(f"block{b}_"))
                for b in range(1, 6)) + """

Exit status: 0 done; 1 the run failed after it started (the loss overflowed, or a file could
not be written: the message says which files are complete); 2 a mistake in the command or in
its files, found before any work; 130 stopped by Ctrl-C, kill or a closed terminal."""


def parser():
    parser = options.OneLineErrors(
        prog="style_transfer.py", epilog=EPILOG,
        description="Paint CONTENT in the style of one or more STYLE images (Gatys et al. "
                    "2015, the classic Keras tutorial).",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("content", type=options.path, help="the photo to repaint")
    parser.add_argument("styles", nargs="+", metavar="style", type=options.path,
                        help="the painting whose style to copy; give several to blend them")
    paint = options.add_painting_options(parser)
    paint.add_argument("--style-masks", nargs="+", metavar="MASK", type=options.path,
                       help="one greyscale image per painting: where on the photo it paints "
                            "(white), or not (black); masks that overlap blend there, and "
                            "where none is white only the photo and smoothness count")
    options.add_start_options(paint)
    run = options.add_run_options(parser, size=None, seed=None,
                                  output="output/CONTENT_STYLE.png (.png or .jpg)")
    options.add_ladder_options(run)
    run.add_argument("--no-extras", action="store_true",
                     help="write only OUTPUT and the iterations folder: no sheet, no GIF, "
                          "no plot")
    return parser


def parse_args(argv=None):
    """The command line, checked: StillSettings, or exit status 2 with one line."""
    parser_ = parser()
    args = parser_.parse_args(argv)
    try:
        if args.style_masks is not None and len(args.style_masks) != len(args.styles):
            raise startup.UserError(
                f"--style-masks: got {plural(len(args.style_masks), 'mask')} for "
                f"{plural(len(args.styles), 'style image')}; give one per style image")
        paint = options.paint_settings(args)
        loss = options.loss_keywords(args)
    except startup.UserError as error:
        parser_.error(str(error))
    return StillSettings(
        content=args.content, styles=tuple(args.styles), loss=loss, paint=paint,
        output=args.output or options.default_output(args.content, args.styles, ".png"),
        style_masks=args.style_masks and tuple(args.style_masks), weights=args.weights,
        quick=args.quick, no_extras=args.no_extras, plan=args.plan, recipe=args.recipe)


def load_run(settings):
    """The run (still_run.paint_still), or with --plan plan.plan_still: TensorFlow loads with
    it, once the options are checked."""
    from painter import plan, still_run
    return plan.plan_still if settings.plan else still_run.paint_still


def main(argv=None) -> int:
    return startup.run_program(parse_args, load_run, argv)


command = startup.console_command(main)  # `style-transfer` (pyproject.toml)
