"""Many pictures at once: every photo painted in every style, spread over this machine's cores
or over a cluster of machines by Dask distributed.

    python style_batch.py photos/ --styles images/swirls.png images/mosaic.png
    python style_batch.py a.jpg b.jpg --styles images/swirls.png --fast --size 256 -o out/
    python style_batch.py photos/ --styles images/swirls.png --address tcp://HOST:8786

Each photo x style pair is one task, painted by style_transfer's Painter with the options
style_transfer.py has (the same ones, added by its own functions), and named after its inputs:
OUTPUT/PHOTO_STYLE.png. Each picture is written whole, never half of one, as soon as it is
painted; a batch stopped part-way (Ctrl-C) keeps every finished picture and, run again, paints
only those still missing. A worker that dies has its task painted again by another.

  1. the tasks, and the worker's side: one task painted, its graph kept for the next task
  2. the batch: its pictures, their names, and the record of its settings (resuming)
  3. the run: tasks handed out and their pictures written as they come, progress, faults (the
     cluster, a local one or the one at --address, and the watching are cluster.py's)
  4. options and main()
"""
import command_line as cli  # first: the command line's plumbing (see style_transfer.py)
if __name__ == "__main__":
    cli.starting_up()
import argparse
import json
import os
import time
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

import cluster  # first of ours after the plumbing: it quiets Dask's logging before it loads
import style_transfer as st
from studio import Easel, ReusingPainter  # a Painter that reuses its graph
from video_files import frame_files  # a folder's pictures, in name order


# ---------------------------------------------------------------------------------------------
# 1. The tasks, and the worker's side
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Task:
    """One picture to paint, OUTPUT/`name`, from the photo and style of those names (the
    pictures themselves go to the worker beside the Task, once each: see submit). `weights`
    is resolved on the worker, which may be another machine with its own copy; `threads` is
    how many cores TensorFlow may use there (None: all it sees); `gpu_each`: the workers of a
    local cluster, one per GPU, each take the GPU of its number (TensorFlow would otherwise
    take every GPU's memory in every worker)."""
    name: str
    photo: str
    style: str
    loss: st.LossSettings
    how: st.PaintSettings
    weights: str
    threads: int = None
    gpu_each: bool = False


@dataclass
class Done:
    """What a worker sends back: the picture (RGB) or why it failed, and how it went."""
    name: str
    picture: np.ndarray
    loss: float
    evaluations: int
    seconds: float
    worker: str
    reused: bool        # the graph of the worker's previous task was reused
    failure: str = None


EASELS = {}  # in each worker process: VGG16's weights path -> the Easel that keeps its graph


def paint_task(task, photo, style):
    """Paint one Task, on a worker, from its photo and style (RGB arrays): a Done. The worker
    keeps its last graph (studio's Easel), so a task of the same shape, style and settings as
    its previous one skips the build."""
    start = time.time()
    with cli.quiet_native_stderr():  # TensorFlow's notices (CUDA's too), as in style_transfer
        easel = worker_easel(task)
        reused = easel.reused
        painting = ReusingPainter(easel, task.loss, task.how).paint(photo, [style])
    return Done(task.name, painting.picture, painting.loss, len(painting.history),
                time.time() - start, cluster.worker_name(), easel.reused > reused,
                painting.failure)


def worker_easel(task):
    """This worker process's Easel for the task's weights, made on its first task (its
    threads and GPU are set then, before TensorFlow's runtime starts, as they must be)."""
    if not EASELS:
        cluster.set_up_worker(task.threads, task.gpu_each)
    path = str(st.resolve_weights(task.weights))
    if path not in EASELS:
        EASELS[path] = Easel(path)
    return EASELS[path]


# ---------------------------------------------------------------------------------------------
# 2. The batch: its pictures, their names, and the record of its settings
# ---------------------------------------------------------------------------------------------
RECORD = "batch.json"  # in the output folder: the settings its pictures were painted with


def picture_files(paths, option):
    """The photos (or styles) given: files as they are, folders as the pictures in them."""
    files = []
    for path in map(Path, paths):
        if path.is_dir():
            found = frame_files(path)
            if not found:
                raise cli.UserError(f"{option}{path}: a folder with no pictures in it")
            files += found
        else:
            files.append(path)
    return files


def by_name(files, what):
    """{stem: path}, refusing two files of one name: their pictures would be one file."""
    named = {}
    for path in files:
        if path.stem in named and Path(named[path.stem]).resolve() != path.resolve():
            raise cli.UserError(f"{named[path.stem]} and {path}: two {what} named "
                                f"{path.stem!r}, whose pictures would have one name; "
                                "rename one")
        named[path.stem] = path
    return named


def output_name(photo, style):
    return f"{photo}_{style}.png"


def batch_settings(args):
    """Everything but the inputs that decides what a picture looks like: the pictures already
    in the folder must have been painted with the same."""
    loss = asdict(st.loss_settings(args))
    del loss["style_blend"], loss["style_masks"]  # a batch paints each picture in one style
    settings = {**loss, **{name: getattr(args, name) for name in (
        "scales", "iterations", "init", "seed", "restarts", "preserve_color", "style_scale",
        "weights", "quick", "tile", "tile_overlap")}}
    return json.loads(json.dumps(settings))  # as it will read back: lists, not tuples


def check_record(folder, settings):
    """Refuse a folder whose pictures were painted with other settings; write the record."""
    path = Path(folder) / RECORD
    if path.exists():
        try:
            earlier = json.loads(path.read_text())["settings"]
        except (ValueError, KeyError, TypeError, OSError):
            raise cli.UserError(f"{path}: unreadable; remove it (and the pictures beside "
                                "it, if they were painted otherwise) to paint again") from None
        changed = [key for key in settings if earlier.get(key) != settings[key]]
        if changed:
            differences = "; ".join(f"--{key.replace('_', '-')} {shown(earlier.get(key))} "
                                    f"then, {shown(settings[key])} now" for key in changed[:3])
            raise cli.UserError(f"{folder} holds pictures painted with other settings "
                                f"({differences}); choose another --output, or remove them "
                                "to paint them again")
    cli.write_bytes(path, json.dumps({"settings": settings}, indent=1).encode())


def shown(value):
    """A setting as typed: --scales 64 128, not [64, 128]."""
    return " ".join(map(str, value)) if isinstance(value, list) else str(value)


def check_folder(folder, inputs):
    """The output folder: writable, and holding none of the inputs (a photo there would be
    painted over, or painted again as a photo next time)."""
    folder = Path(folder)
    for path in inputs:
        if Path(path).resolve().parent == folder.resolve():
            raise cli.UserError(f"--output {folder}: holds the input {path}; choose another "
                                "folder for the pictures")
    cli.check_output(folder / output_name("probe", "probe"), (".png",), inputs,
                     "the input image")


# ---------------------------------------------------------------------------------------------
# 3. The run (the cluster itself, local or at --address, and watching it: cluster.py)
# ---------------------------------------------------------------------------------------------
class Batch(cluster.Job):
    """The pictures of one run as they come back: each written (atomically) to the output
    folder as it arrives, a line and a step of the progress bar for each."""

    def __init__(self, folder, total, done):
        super().__init__(total, done, "picture")
        self.folder = Path(folder)
        self.total, self.done, self.painted = total, done, 0

    def arrived(self, result):
        if result.failure or result.picture is None:
            self.failed.append(result.name)
            self.say(f"{result.name}: failed ({result.failure or 'no picture'})")
            return
        cli.save_image(self.folder / result.name, result.picture)
        self.done, self.painted = self.done + 1, self.painted + 1
        self.bar.update(1)
        graph = "its graph reused" if result.reused else "graph built"
        self.say(f"{self.done}/{self.total} {self.folder / result.name}: loss "
                 f"{result.loss:.4g}, {result.evaluations} evaluations, {result.seconds:.1f} s "
                 f"on worker {result.worker} ({graph})")


def submit(client, tasks, photos, styles):
    """Hand every Task to the cluster, with its pictures: {future: task name}. Each photo and
    style goes to the cluster once, as a task of its own that returns it: a worker that fetched
    it may die and take it along, and Dask makes it again from that task (data scattered to a
    worker could not be, and the tasks that need it would be cancelled)."""
    with warnings.catch_warnings():  # "large object in the graph": it is, once, on purpose
        warnings.simplefilter("ignore")
        photos = {name: client.submit(np.asarray, photos[name], key=f"photo-{name}")
                  for name in {task.photo for task in tasks}}
        styles = {name: client.submit(np.asarray, styles[name], key=f"style-{name}")
                  for name in {task.style for task in tasks}}
    # In the order given (a style's photos one after another, so that a worker's next task
    # can reuse its graph): Dask runs a higher priority first.
    return {client.submit(paint_task, task, photos[task.photo], styles[task.style],
                          key=f"{cluster.PAINT}{task.name}", priority=-index): task.name
            for index, task in enumerate(tasks)}


def paint_batch(args, tasks, images, batch, stop):
    """Start (or reach) the cluster, paint the tasks, close it."""
    try:
        with cluster.running(args, len(tasks)) as (client, local):
            cluster.watch(client, submit(client, tasks, *images), batch, stop, local)
    finally:
        batch.bar.close()


# ---------------------------------------------------------------------------------------------
# 4. Options and main()
# ---------------------------------------------------------------------------------------------
EPILOG = """\
Every photo is painted in every style, one picture per pair: OUTPUT/PHOTO_STYLE.png. Each is
written whole as soon as it is painted; stop with Ctrl-C at any time and the finished ones
are kept; run the same command again and only the missing ones are painted. OUTPUT/batch.json
records the settings, and a run with other settings is refused.

Exit status: 0 done; 1 some pictures failed (the others are written); 2 a mistake in the
command or in its files, found before any work; 130 stopped by Ctrl-C, kill or a closed
terminal."""


def parse_args(argv=None):
    parser = cli.OneLineErrors(
        prog="style_batch.py", epilog=EPILOG,
        description="Paint each PHOTO in each of the --styles, on this machine's cores or on "
                    "a Dask cluster; the options of style_transfer.py mean the same here.",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("photos", nargs="+", metavar="PHOTO", type=os.path.expanduser,
                        help="a photo to paint, or a folder of them")
    parser.add_argument("--styles", nargs="+", metavar="STYLE", type=os.path.expanduser,
                        required=True, help="the paintings (or folders of them): each photo "
                                            "is painted in each one")
    paint = st.add_painting_options(parser)
    for option in paint._group_actions:  # refused below: not shown either
        if "--style-weights" in option.option_strings:
            option.help = argparse.SUPPRESS
    st.add_start_options(paint)
    run = st.add_run_options(parser, size=None, seed=None,
                             output="output/batch/ (a folder)")
    st.add_ladder_options(run)
    cluster.add_cluster_options(parser, "one per GPU, or without one, one per core: "
                                        f"{cluster.usable_cores()} here")
    args = parser.parse_args(argv)
    if args.style_weights is not None:
        parser.error("--style-weights: each picture of a batch has one style; blends are "
                     "style_transfer.py's")
    args.style_weights = None
    cli.check_loss_weights(parser, args)
    st.check_still_options(parser, args)
    cluster.settle_workers(parser, args)
    args.output = args.output or "output/batch"
    return args


def plan(args):
    """Read and check every input: the tasks still to paint, the photos and styles they need
    ({name: RGB array} each) and the number of pictures in the batch."""
    photos = by_name(picture_files(args.photos, ""), "photos")
    styles = by_name(picture_files(args.styles, "--styles "), "styles")
    photo_images = {name: cli.load_image(path) for name, path in photos.items()}
    style_images = {name: cli.load_image(path) for name, path in styles.items()}
    for name, path in [*photos.items(), *styles.items()]:
        st.warn_if_small(photo_images.get(name, style_images.get(name)), path)
    init = st.read_start(args.init)
    for image in photo_images.values():
        st.check_size(image, args.scales, batch=1 if args.fast else 3,
                      style_scale=args.style_scale, tile=args.tile)
    inputs = [*photos.values(), *styles.values()] + ([] if isinstance(init, str)
                                                     else [args.init])
    check_folder(args.output, inputs)
    st.resolve_weights(args.weights)  # here too: a wrong file is refused before any work
    check_record(args.output, batch_settings(args))
    loss, how = st.loss_settings(args), st.paint_settings(args, init)
    tasks = [Task(output_name(p, s), p, s, loss, how, args.weights, args.threads,
                  args.gpu_each)
             for s in styles for p in photos
             if not (Path(args.output) / output_name(p, s)).exists()]
    return tasks, (photo_images, style_images), len(photos) * len(styles)


def run(args, stop):
    tasks, images, total = plan(args)
    done = total - len(tasks)
    if not tasks:
        cli.say(f"Nothing to paint: all {cli.plural(total, 'picture')} are in {args.output}")
        return 0
    cli.say(f"Painting {len(tasks)} of {cli.plural(total, 'picture')} into {args.output}"
            + (f" ({done} already there)" if done else ""))
    stop.check()
    start = time.time()
    batch = Batch(args.output, total, done)
    try:
        paint_batch(args, tasks, images, batch, stop)
    except OSError as error:  # a full disk, a folder deleted under our feet
        return cli.could_not_write(error, f"{batch.done} of {total} pictures are in "
                                          f"{args.output}")
    kept = f"{batch.done} of {total} pictures are in {args.output}"
    if stop.is_set() and batch.done < total:
        return cli.ended_early(KeyboardInterrupt(), f"{kept}; run the same command again to "
                                                    "paint the rest")
    if batch.gave_up:
        return cli.ended_early(batch.gave_up, kept)
    if batch.failed:
        return cli.ended_early(f"{cli.plural(len(batch.failed), 'picture')} failed "
                               f"({', '.join(batch.failed[:3])})", kept)
    seconds = time.time() - start
    cli.say(f"Done in {seconds:.0f} s: {cli.plural(batch.painted, 'picture')} painted "
            f"({batch.painted / seconds * 60:.1f} a minute); all the batch's pictures are in "
            f"{args.output}")
    return 0


def main(argv=None):
    return cli.run_program(parse_args, run, argv)


if __name__ == "__main__":
    # The workers must find this file's functions as style_batch's, not as __main__'s (which
    # Dask would send by value, with a fresh EASELS each time: no graph would be reused).
    import style_batch
    cli.finish(style_batch.main())
