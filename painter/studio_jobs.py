"""The studio's jobs: the knobs as settings, a job, how long jobs take, the thread that paints them.

One worker thread does all the painting (TensorFlow's graph and Keras' session belong to the
thread that made them), taking jobs from a queue, one at a time; each job is painted by a
Painter of its settings, with one Easel for them all, so that the next job of the same shape,
paintings and loss reuses the graph.
"""
import queue
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import style_transfer as st
from painter import files
from painter.easel import Easel
from painter.colors import COLOR_MODES
from painter.numbers import (CONTENT_LAYER, CONTENT_WEIGHT, EVALS_PER_ITERATION, ITERATIONS,
                             SIZE, STYLE_LAYERS, STYLE_WEIGHT, TV_WEIGHT)
from painter.options import check_loss_weights
from painter.paint import Painter
from painter.painting import Iteration, Painting, Watcher
from painter.recipes import FLAGS as RECIPE_KNOBS, RECIPES
from painter.settings import PaintSettings, iterations_per_stage
from painter.startup import UserError
from painter.words import duration, plural

ROOT = Path(__file__).resolve().parent.parent
STUDIO_DIR = ROOT / "output" / "studio"   # every picture the studio writes goes here
SEED = 0                           # the same noise every run, so that runs compare fairly
COLORS = {"the painting's": None, **{mode: mode for mode in COLOR_MODES}}
STARTS = {"noise": "noise", "the photo": "content"}

# How long a run takes here, before the studio has measured one itself: the fast graph's
# seconds per evaluation per pixel (BENCHMARKS.md: 0.363 s at 256x256, 1.263 s at 512x512,
# 2 cores) and the seconds to build VGG16 and the loss's graph.
BENCH_SECONDS_PER_PIXEL = 5.2e-6
BENCH_BUILD_SECONDS = 5.0


# ---------------------------------------------------------------------------------------------
# The knobs, as a painter's settings
# ---------------------------------------------------------------------------------------------
def ladder(size, coarse_to_fine):
    """The stages' sizes: `size` alone, or coarse to fine, halving down to about 128 px (the
    README's --scales 256 512 1024 for 1024), at most three stages."""
    sizes = [size]
    while coarse_to_fine and len(sizes) < 3 and sizes[0] // 2 >= 128:
        sizes.insert(0, sizes[0] // 2)
    return tuple(sizes)


@dataclass(frozen=True, kw_only=True)
class Knobs:
    """The page's controls, as the painter's settings take them. Defaults: the tutorial's."""
    content_weight: float = CONTENT_WEIGHT
    style_weight: float = STYLE_WEIGHT
    tv_weight: float = TV_WEIGHT
    content_layer: str = CONTENT_LAYER
    style_loss: str = "gram"
    style_layers: tuple = STYLE_LAYERS
    style_shape: str = "picture"
    size: int = SIZE
    iterations: int = ITERATIONS
    start: str = "noise"
    color: str = "the painting's"
    coarse_to_fine: bool = False

    @classmethod
    def of_recipe(cls, name, **knobs):
        """The knobs of a recipe (recipes.py): its loss, its start and coarse to fine."""
        recipe = RECIPES[name]
        return cls(**{field: getattr(recipe, field) for field in RECIPE_KNOBS},
                   start={value: key for key, value in STARTS.items()}[recipe.init or "noise"],
                   coarse_to_fine=recipe.coarse > 0, iterations=recipe.iterations, **knobs)

    def check(self):
        if not self.style_layers:
            raise UserError("Choose at least one style layer.")
        check_loss_weights({"the content weight": self.content_weight,
                            "the style weight": self.style_weight,
                            "the smoothness weight": self.tv_weight})

    def settings(self, shares):
        """(LossSettings, PaintSettings). The fast graph always: the same loss, 2.4x sooner."""
        sizes = ladder(int(self.size), self.coarse_to_fine)
        loss = st.LossSettings(content_weight=self.content_weight,
                               style_weight=self.style_weight, tv_weight=self.tv_weight,
                               content_layer=self.content_layer, style_blend=tuple(shares),
                               style_loss=self.style_loss, style_layers=tuple(self.style_layers),
                               fast=True)
        how = PaintSettings(sizes=sizes, iterations=iterations_per_stage(int(self.iterations),
                                                                         len(sizes)),
                            init=STARTS[self.start], seed=SEED,
                            preserve_color=COLORS[self.color], style_shape=self.style_shape)
        return loss, how


def check_shares(names, shares):
    for name, share in zip(names, shares):
        if share is None or not share > 0:
            raise UserError(f"The share of {name} is 0: give it a share above 0, or "
                            "remove it.")


# ---------------------------------------------------------------------------------------------
# A job, and how long jobs take here
# ---------------------------------------------------------------------------------------------
@dataclass
class Job:
    """One press of Paint: the pictures, the settings, a stop flag, and what the worker has
    said about it so far. The worker changes it through update(); the page waits for that."""
    session: str
    photo: np.ndarray
    paintings: list
    names: list
    loss: object                  # the lesson's LossSettings
    how: PaintSettings
    knobs: object = None          # the page's controls it was made from
    number: int = 0
    stop: threading.Event = field(default_factory=threading.Event)
    state: str = "waiting"        # then "running", then "done", "stopped" or "failed"
    place: int = 0                # waiting: its place in the queue (1: next)
    note: str = ""                # what the worker is doing now
    iteration: Iteration = None
    previews: list = field(default_factory=list)  # each iteration's picture, a file each
    fraction: float = 0.0         # of the run's work done
    seconds_left: float = None
    painting: Painting = None     # when finished
    path: Path = None             # the finished picture, under STUDIO_DIR
    error: str = None
    version: int = 0
    changed: threading.Condition = field(default_factory=threading.Condition)

    @property
    def finished(self):
        return self.state in ("done", "stopped", "failed")

    def update(self, **what):
        with self.changed:
            for name, value in what.items():
                setattr(self, name, value)
            self.version += 1
            self.changed.notify_all()

    def wait_for_change(self, seen, timeout):
        """Block until the job's version differs from `seen` (or `timeout` s); the version."""
        with self.changed:
            self.changed.wait_for(lambda: self.version != seen, timeout)
            return self.version


class Rate:
    """How fast this machine paints: seconds per evaluation per pixel, and to build a graph.
    Starts from the benchmarks and follows what the studio measures."""

    def __init__(self):
        self.seconds_per_pixel = BENCH_SECONDS_PER_PIXEL
        self.build_seconds = BENCH_BUILD_SECONDS
        self.measured = False

    def seconds(self, shapes, iterations):
        evaluations = [n * EVALS_PER_ITERATION for n in iterations]
        pixels = sum(e * h * w for e, (h, w) in zip(evaluations, shapes))
        return len(shapes) * self.build_seconds + pixels * self.seconds_per_pixel

    def describe(self, photo_shape, knobs):
        """'about 1 min 10 s here (512x341 px, 200 evaluations at 1.3 s)'."""
        sizes = ladder(int(knobs.size), knobs.coarse_to_fine)
        iterations = iterations_per_stage(int(knobs.iterations), len(sizes))
        shapes = [st.result_shape(np.zeros(photo_shape + (3,)), size) for size in sizes]
        h, w = shapes[-1]
        evaluations = sum(iterations) * EVALS_PER_ITERATION
        each = h * w * self.seconds_per_pixel
        source = "measured here" if self.measured else "from BENCHMARKS.md"
        return (f"About {duration(self.seconds(shapes, iterations))} on this machine: "
                f"{w}x{h} px, {evaluations} evaluations at {each:.2g} s ({source}).")


class JobWatcher(Watcher):
    """The Painter's watcher for a job: passes each evaluation's progress and each iteration's
    picture on to the job (for the page), measures the rate, and answers the Stop button."""

    def __init__(self, job, rate, shapes, previews):
        """`previews`: the folder for each iteration's picture, as the page shows it."""
        self.job, self.rate, self.shapes, self.previews = job, rate, shapes, Path(previews)
        pixels = [h * w for h, w in shapes]
        self.work = [n * EVALS_PER_ITERATION * p for n, p in zip(job.how.iterations, pixels)]
        self.done_before = 0.0  # the work of the stages already finished
        self.stage, self.evaluations, self.started = 0, 0, None

    def should_stop(self):
        return self.job.stop.is_set()

    def stage_begins(self, stage, shape, iterations):
        if stage:
            self.done_before += self.work[stage - 1]
        self.stage, self.evaluations, self.started = stage, 0, None
        self.build_began = time.monotonic()
        self.job.update(note=f"building the graph at {shape[1]}x{shape[0]} px")

    def stage_started(self, stage, loss):
        self.started = time.monotonic()
        self.rate.build_seconds = self.started - self.build_began
        self.job.update(note="painting")

    def evaluation_done(self, evaluator):
        if self.started is None:  # the stage's first evaluation: it is timed with the build
            return
        self.evaluations += 1
        h, w = self.shapes[self.stage]
        if self.evaluations >= 3:
            self.rate.seconds_per_pixel = (time.monotonic() - self.started) / (
                self.evaluations * h * w)
            self.rate.measured = True
        done = min(self.evaluations * h * w, self.work[self.stage])
        left = sum(self.work) - self.done_before - done
        unbuilt = len(self.shapes) - 1 - self.stage
        self.job.update(fraction=min(0.99, (self.done_before + done) / sum(self.work)),
                        seconds_left=left * self.rate.seconds_per_pixel
                        + unbuilt * self.rate.build_seconds)

    def iteration_done(self, iteration):
        """The picture, into a file of its own that never changes once written: the page is
        sent that file (a picture rewritten while the browser fetches it arrives broken)."""
        path = files.claim(self.previews,
                           f"job{self.job.number:03d}_{len(self.job.previews) + 1:03d}")
        files.save_image(path, iteration.picture)
        self.job.update(iteration=iteration, previews=[*self.job.previews, path])


# ---------------------------------------------------------------------------------------------
# The worker: one thread owns TensorFlow and paints the jobs of a queue, one at a time
# ---------------------------------------------------------------------------------------------
class JobPainter:
    """What the worker paints a job with: a Painter of the job's settings, and one Easel for
    every job, whose graph the next job of the same shape, paintings and loss reuses."""

    def __init__(self, weights_path):
        self.weights_path = weights_path
        self.easel = Easel()

    def __call__(self, job, watcher):
        painter = Painter(weights_path=self.weights_path, loss_settings=job.loss,
                          paint_settings=job.how, easel=self.easel)
        return painter.paint(job.photo, job.paintings, watcher)


class Worker:
    """A queue of jobs and the one thread that paints them. `paint(job, watcher)` does the
    painting (an Easel's; the tests give a fake one); everything it does happens in that
    thread, so TensorFlow's graph and session never meet another thread. A job stopped while
    running ends before the next one starts, since there is only the one thread."""

    def __init__(self, paint, out_dir=STUDIO_DIR, log=print):
        self.paint, self.out_dir, self.log = paint, Path(out_dir), log
        self.rate = Rate()
        self.waiting = []  # the jobs not yet started, first first
        self.running = None
        self.numbers = 0
        self.lock = threading.Lock()
        self.wakeup = queue.Queue()  # one item per job submitted, to wake the thread
        self.thread = threading.Thread(target=self.work, name="painter", daemon=True)
        self.closed = False

    def start(self):
        self.thread.start()
        return self

    def submit(self, job):
        with self.lock:
            self.numbers += 1
            job.number = self.numbers
            self.waiting.append(job)
            self.tell_places()
        self.wakeup.put(job)
        return job

    def tell_places(self):
        """Tell each waiting job its place in the queue (called with the lock held)."""
        for place, job in enumerate(self.waiting, 1):
            job.update(place=place)

    def stop(self, session):
        """The Stop button: the session's running job stops within one evaluation; its
        waiting ones leave the queue. True if there was one."""
        with self.lock:
            mine = [job for job in self.waiting if job.session == session]
            self.waiting = [job for job in self.waiting if job.session != session]
            self.tell_places()
            running = self.running if self.running and self.running.session == session else None
        for job in mine:
            job.stop.set()
            job.update(state="stopped", note="stopped before it started")
        if running is not None:
            running.stop.set()
            running.update()  # wake its Paint handler, which says "Stopping..."
        return bool(mine or running)

    def close(self, timeout=30):
        """Stop every job and wait (up to `timeout` s) for the thread to finish."""
        self.closed = True
        with self.lock:
            jobs = [*self.waiting, *([self.running] if self.running else [])]
        for job in jobs:
            job.stop.set()
        self.wakeup.put(None)
        if self.thread.is_alive():
            self.thread.join(timeout)

    def next_job(self):
        """The first job of the queue, now running; None when closed."""
        while not self.closed:
            self.wakeup.get()
            with self.lock:
                if self.waiting:
                    self.running = self.waiting.pop(0)
                    self.tell_places()
                    return self.running
        return None

    def work(self):
        while (job := self.next_job()) is not None:
            try:
                self.run(job)
            finally:
                with self.lock:
                    self.running = None

    def run(self, job):
        shapes = [st.result_shape(job.photo, size) for size in job.how.sizes]
        h, w = shapes[-1]
        self.log(f"Job {job.number}: started, {w}x{h} px, "
                 f"{plural(sum(job.how.iterations), 'iteration')}", flush=True)
        job.update(state="running", place=0, note="starting")
        began = time.monotonic()
        try:
            painting = self.paint(job, JobWatcher(job, self.rate, shapes,
                                                  self.out_dir / "previews"))
            path = self.save(job, painting)
        except Exception as error:  # the page says so, the server goes on
            traceback.print_exc()
            self.log(f"Job {job.number}: failed: {error}", flush=True)
            job.update(state="failed", error=f"The painting failed: {error}")
            return
        state = "failed" if painting.failure else "stopped" if painting.stopped else "done"
        self.log(f"Job {job.number}: {state} in {time.monotonic() - began:.1f} s"
                 + (f", {path}" if path else ""), flush=True)
        job.update(state=state, painting=painting, path=path, fraction=1.0 if state == "done"
                   else job.fraction, seconds_left=0, error=painting.failure and
                   f"The painting failed: {painting.failure}")

    def save(self, job, painting):
        """The finished (or best, if stopped) picture, at full size, under out_dir. The name
        is the studio's own, so it can never be one of the inputs."""
        if painting.picture is None:
            return None
        path = files.claim(self.out_dir, f"{time.strftime('%Y%m%d-%H%M%S')}_job{job.number:03d}")
        files.save_image(path, painting.picture)
        return path
