"""A batch's run: its pictures named and checked, handed to the cluster, written as they come."""
import time
import warnings
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

import style_transfer as st
from painter import cluster, files, memory, records
from painter.inputs import read_start, warn_if_small
from painter.machine import bfloat16_is_faster
from painter.recipes import describe
from painter.settings import own_proportions
from painter.startup import UserError, could_not_write, ended_early
from painter.weights import resolve_weights
from painter.workers import Task, paint_task
from painter.words import plural, say

RECORD = "batch.json"  # in the output folder: the settings its pictures were painted with


# ---------------------------------------------------------------------------------------------
# The batch: its pictures, their names, and the record of its settings
# ---------------------------------------------------------------------------------------------
def picture_files(paths, option):
    """The photos (or styles) given: files as they are, folders as the pictures in them."""
    found = []
    for path in map(Path, paths):
        if path.is_dir():
            pictures = files.picture_files(path)
            if not pictures:
                raise UserError(f"{option}{path}: a folder with no pictures in it")
            found += pictures
        else:
            found.append(path)
    return found


def by_name(paths, what):
    """{stem: path}, refusing two files of one name: their pictures would be one file."""
    named = {}
    for path in paths:
        if path.stem in named and Path(named[path.stem]).resolve() != path.resolve():
            raise UserError(f"{named[path.stem]} and {path}: two {what} named "
                            f"{path.stem!r}, whose pictures would have one name; rename one")
        named[path.stem] = path
    return named


def output_name(photo, style):
    return f"{photo}_{style}.png"


def output_names(photos, styles):
    """{output name: (photo, style)} of every pair of the batch ({name: path} each). Two pairs
    of one name (x_y.png in z.png, x.png in y_z.png: both x_y_z.png) are refused: one picture
    would overwrite the other, and Dask would take their two tasks for one."""
    names = {}
    for style in styles:
        for photo in photos:
            name = output_name(photo, style)
            if name in names:
                other_photo, other_style = names[name]
                raise UserError(f"{photos[other_photo]} in {styles[other_style]} and "
                                f"{photos[photo]} in {styles[style]} would both be {name}; "
                                "rename one of these files")
            names[name] = (photo, style)
    return names


def read_all(photos, styles, skip_unreadable):
    """Every photo and painting ({name: path} each) read: ({name: RGB array} of each, the
    paths that could not be read). Those are refused, all of them in one line, unless
    `skip_unreadable`: then the batch paints the rest, and says at its end what it skipped."""
    images, unreadable = ({}, {}), []
    for named, read in zip((photos, styles), images):
        for name, path in named.items():
            try:
                read[name] = files.load_image(path)
            except UserError as error:
                unreadable.append((path, str(error).split("; ")[0]))
    if unreadable and not skip_unreadable:
        raise UserError(f"{plural(len(unreadable), 'picture')} cannot be read: "
                        + "; ".join(why for _, why in unreadable)
                        + ". Fix or remove them, or add --skip-unreadable to paint the rest")
    return images, [str(path) for path, _ in unreadable]


def batch_settings(settings, loss_settings):
    """Everything but the inputs that decides what a picture looks like (`settings`:
    batch.BatchSettings; `loss_settings` the lesson's LossSettings made of them): the pictures
    already in the folder must have been painted with the same."""
    loss = asdict(loss_settings)
    del loss["style_blend"], loss["style_masks"]  # a batch paints each picture in one style
    how = settings.paint
    return records.as_recorded({
        **loss, "scales": how.sizes, "iterations": how.iterations, "init": how.init,
        "seed": how.seed, "restarts": how.restarts, "preserve_color": how.preserve_color,
        "style_scale": how.style_scale, "weights": settings.weights, "quick": settings.quick,
        "tile": how.tile, "tile_overlap": how.tile_overlap if how.tile else None})


def check_record(folder, settings):
    """Refuse a folder whose pictures were painted with other settings. The record is written
    with the batch's first picture (Batch.arrived), so that a run refused or stopped before it
    leaves none; one with no picture beside it (an older run's) counts for nothing."""
    path = Path(folder) / RECORD
    record = records.read(path, "remove it (and the pictures beside it, if they were "
                                "painted otherwise) to paint again")
    if record is not None and any(Path(folder).glob("*.png")):
        earlier = record["settings"]
        changed = records.changed(earlier, settings)
        if changed:
            differences = "; ".join(f"--{key.replace('_', '-')} "
                                    f"{records.shown(earlier.get(key))} then, "
                                    f"{records.shown(settings[key])} now" for key in changed[:3])
            raise UserError(f"{folder} holds pictures painted with other settings "
                            f"({differences}); choose another --output, or remove them to "
                            "paint them again")


def check_folder(folder, inputs):
    """The output folder: writable, and holding none of the inputs (a photo there would be
    painted over, or painted again as a photo next time)."""
    folder = Path(folder)
    for path in inputs:
        if Path(path).resolve().parent == folder.resolve():
            raise UserError(f"--output {folder}: holds the input {path}; choose another "
                            "folder for the pictures")
    files.check_output(folder / output_name("probe", "probe"), (".png",), inputs,
                       "the input image")


# ---------------------------------------------------------------------------------------------
# The run (the cluster itself, local or at --address, and watching it: cluster.py)
# ---------------------------------------------------------------------------------------------
class Batch(cluster.Job):
    """The pictures of one run as they come back: each written (atomically) to the output
    folder as it arrives, a line and a step of the progress bar for each."""

    def __init__(self, folder, total, done, settings):
        super().__init__(total, done, "picture")
        self.folder = Path(folder)
        self.total, self.done, self.painted = total, done, 0
        self.settings = settings  # for the record, written with the first picture

    def arrived(self, result):
        if result.failure or result.picture is None:
            self.failed.append(result.name)
            self.say(f"{result.name}: failed ({result.failure or 'no picture'})")
            return
        if not self.painted:
            records.write(self.folder / RECORD, self.settings)
        files.save_image(self.folder / result.name, result.picture)
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


@dataclass(frozen=True, kw_only=True)
class Plan:
    """What a batch will paint: the tasks still to paint, the photos and styles they need
    ({name: RGB array} each), the number of pictures in the batch, the record of its settings
    and the files skipped as unreadable."""
    tasks: list
    photos: dict
    styles: dict
    total: int
    recorded: dict
    skipped: list
    where: cluster.ClusterSettings  # where it runs, the local cluster's size settled


def plan(settings):
    """Read and check every input, before any work: the batch's Plan."""
    photos = by_name(picture_files(settings.photos, ""), "photos")
    styles = by_name(picture_files(settings.styles, "--styles "), "styles")
    output_names(photos, styles)
    (photo_images, style_images), skipped = read_all(photos, styles, settings.skip_unreadable)
    photos = {name: path for name, path in photos.items() if name in photo_images}
    styles = {name: path for name, path in styles.items() if name in style_images}
    if not photos or not styles:
        raise UserError(f"no {'photo' if not photos else 'painting'} could be read "
                        f"({', '.join(skipped)}): nothing to paint")
    for name, path in [*photos.items(), *styles.items()]:
        warn_if_small(photo_images.get(name, style_images.get(name)), path)
    init = read_start(settings.paint.init)
    how = replace(settings.paint, init=init)
    batch = 1 if settings.loss["fast"] else 3
    proportions = own_proportions(list(style_images.values()), how.style_shape)
    for image in photo_images.values():
        memory.check_size(image, how.sizes, batch=batch, style_scale=how.style_scale,
                          tile=how.tile, proportions=proportions)
    where = cluster.fit_workers(settings.cluster, memory.TENSORFLOW_BYTES + max(
        memory.most_needed(image, how.sizes, batch, how.style_scale, how.tile, proportions)
        for image in photo_images.values()))
    inputs = [*photos.values(), *styles.values()] + ([] if isinstance(init, str)
                                                     else [settings.paint.init])
    check_folder(settings.output, inputs)
    resolve_weights(settings.weights)  # here too: a wrong file is refused before any work
    loss = st.LossSettings(**settings.loss, bfloat16=settings.quick and bfloat16_is_faster())
    recorded = batch_settings(settings, loss)
    check_record(settings.output, recorded)
    tasks = [Task(name=output_name(p, s), photo=p, style=s, loss=loss, how=how,
                  weights=settings.weights, where=where)
             for s in styles for p in photos
             if not (Path(settings.output) / output_name(p, s)).exists()]
    return Plan(tasks=tasks, photos=photo_images, styles=style_images,
                total=len(photos) * len(styles), recorded=recorded, skipped=skipped,
                where=where)


def paint_batch(settings, stop):
    """Paint the batch from the command line's settings; the exit status."""
    planned = plan(settings)
    tasks, total = planned.tasks, planned.total
    done = total - len(tasks)
    skipped = (f"; skipped, unreadable: {', '.join(planned.skipped)}" if planned.skipped
               else "")
    if not tasks:
        say(f"Nothing to paint: all {plural(total, 'picture')} are in {settings.output}"
            + skipped)
        return 0
    say(describe(settings.recipe,
                 dict(settings.loss, style_shape=settings.paint.style_shape)))
    say(f"Painting {len(tasks)} of {plural(total, 'picture')} into {settings.output}"
        + (f" ({done} already there)" if done else "") + skipped)
    stop.check()
    start = time.time()
    batch = Batch(settings.output, total, done, planned.recorded)
    try:
        with cluster.running(planned.where, len(tasks)) as (client, local):
            cluster.watch(client, submit(client, tasks, planned.photos, planned.styles), batch,
                          stop, local)
    except OSError as error:  # a full disk, a folder deleted under our feet
        return could_not_write(error, f"{batch.done} of {total} pictures are in "
                                      f"{settings.output}")
    except cluster.ClusterFailed as error:
        return ended_early(error, f"{batch.done} of {total} pictures are in {settings.output}")
    finally:
        batch.bar.close()
    kept = f"{batch.done} of {total} pictures are in {settings.output}"
    if stop.is_set() and batch.done < total:
        return ended_early(KeyboardInterrupt(), f"{kept}; run the same command again to "
                                                "paint the rest")
    if batch.gave_up:
        return ended_early(batch.gave_up, kept)
    if batch.failed:
        return ended_early(f"{plural(len(batch.failed), 'picture')} failed "
                           f"({', '.join(batch.failed[:3])})", kept)
    seconds = time.time() - start
    say(f"Done in {seconds:.0f} s: {plural(batch.painted, 'picture')} painted "
        f"({batch.painted / seconds * 60:.1f} a minute); all the batch's pictures are in "
        f"{settings.output}" + skipped)
    return 0
