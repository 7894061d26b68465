"""Batches' command line (python style_batch.py ...): its options, checked into BatchSettings.

    python style_batch.py photos/ --styles images/swirls.png images/mosaic.png
    python style_batch.py a.jpg b.jpg --styles images/swirls.png --fast --size 256 -o out/
    python style_batch.py photos/ --styles images/swirls.png --address tcp://HOST:8786

Every photo is painted in every style, one Dask task per picture (batch_run.py), with the
options style_transfer.py has. Light to import: --help and every mistake in the command answer
before TensorFlow or Dask load.
"""
import argparse
from dataclasses import dataclass
from pathlib import Path

from painter import cluster, options, startup
from painter.cluster import ClusterSettings
from painter.files import PICTURE_TYPES
from painter.machine import usable_cores
from painter.settings import PaintSettings

EPILOG = """\
Every photo is painted in every style, one picture per pair: OUTPUT/PHOTO_STYLE.png. Each is
written whole as soon as it is painted; stop with Ctrl-C at any time and the finished ones
are kept; run the same command again and only the missing ones are painted. OUTPUT/batch.json
records the settings, and a run with other settings is refused.

Exit status: 0 done; 1 some pictures failed (the others are written); 2 a mistake in the
command or in its files, found before any work; 130 stopped by Ctrl-C, kill or a closed
terminal."""


@dataclass(frozen=True, kw_only=True)
class BatchSettings:
    """A batch as its command line asked for it, checked. `paint.init` is --init as given."""
    photos: tuple
    styles: tuple
    output: str
    skip_unreadable: bool = False
    plan: bool = False          # --plan: say what the run would do, and paint nothing
    loss: dict                  # the lesson's LossSettings, as keywords (options.loss_keywords)
    recipe: str = "tutorial"    # --recipe, whose values `loss` takes where no option was given
    paint: PaintSettings
    weights: str
    quick: bool
    cluster: ClusterSettings


def parser():
    parser = options.OneLineErrors(
        prog="style_batch.py", epilog=EPILOG,
        description="Paint each PHOTO in each of the --styles, on this machine's cores or on "
                    "a Dask cluster; the options of style_transfer.py mean the same here.",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("photos", nargs="+", metavar="PHOTO", type=options.path,
                        help="a photo to paint, or a folder of them (its pictures, in name "
                             "order; the pictures in its subfolders are not painted)")
    parser.add_argument("--styles", nargs="+", metavar="STYLE", type=options.path,
                        required=True, help="the paintings (or folders of them): each photo "
                                            "is painted in each one")
    paint = options.add_painting_options(parser)
    for option in paint._group_actions:  # refused below: not shown either
        if "--style-weights" in option.option_strings:
            option.help = argparse.SUPPRESS
    options.add_start_options(paint)
    run = options.add_run_options(parser, size=None, seed=None,
                                  output="output/batch/ (a folder)")
    options.add_ladder_options(run)
    run.add_argument("--skip-unreadable", action="store_true",
                     help="paint the pictures that read and skip those that do not (named at "
                          "the end); without it, a batch with an unreadable picture is refused, "
                          "every such picture named")
    cluster.add_cluster_options(parser, "one per GPU, or without one, one per core: "
                                        f"{usable_cores()} here")
    return parser


def parse_args(argv=None):
    """The command line, checked: BatchSettings, or exit status 2 with one line."""
    parser_ = parser()
    args = parser_.parse_args(argv)
    try:
        if args.style_weights is not None:
            raise startup.UserError("--style-weights: each picture of a batch has one style; "
                                    "blends are style_transfer.py's")
        if args.output and Path(args.output).suffix.lower() in PICTURE_TYPES:
            raise startup.UserError(f"--output {args.output}: a picture's name, but a batch "
                                    "writes a folder of pictures; give a folder, such as "
                                    f"{Path(args.output).with_suffix('')}/")
        paint = options.paint_settings(args)
        loss = options.loss_keywords(args)
        where = cluster.cluster_settings(args)
    except startup.UserError as error:
        parser_.error(str(error))
    return BatchSettings(photos=tuple(args.photos), styles=tuple(args.styles),
                         output=args.output or "output/batch", loss=loss, paint=paint,
                         weights=args.weights, quick=args.quick, cluster=where,
                         skip_unreadable=args.skip_unreadable, plan=args.plan,
                         recipe=args.recipe)


def load_run(settings):
    """The run (batch_run.paint_batch), or with --plan plan.plan_batch: TensorFlow and Dask
    load with it, once the options are checked."""
    from painter import plan, batch_run
    return plan.plan_batch if settings.plan else batch_run.paint_batch


def main(argv=None) -> int:
    return startup.run_program(parse_args, load_run, argv)


command = startup.console_command(main)  # `style-batch` (pyproject.toml)
