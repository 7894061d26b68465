"""The studio: paint a photo in a web page and watch the picture appear.

    make studio                            # serves http://127.0.0.1:7860 and prints it
    .venv/bin/python studio.py --port 8765

Drop in a photo, pick one or more paintings, press Paint: the picture is shown after every
iteration, with the loss and a progress bar, and the finished one downloads as a PNG. It is
style_transfer.Painter behind a Gradio page, and the page adds three things of its own:

  1. one worker thread does all the painting (TensorFlow's graph and Keras' session belong to
     the thread that made them), taking jobs from a queue, one at a time (Worker);
  2. every upload is read by the command line's own checks (command_line.load_image), and
     the browser's file names are only shown, never used as paths (read_upload);
  3. it serves on 127.0.0.1 unless told otherwise, and makes no request beyond this machine.
"""
import argparse
import hashlib
import html
import ipaddress
import math
import os
import queue
import signal
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

# Gradio reports usage to its makers and asks PyPI-like servers for its latest version when
# it is imported and launched, and huggingface_hub (which it loads) has telemetry of its own.
# The studio works offline and tells no one: these must be set before `import gradio`.
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["HF_HUB_OFFLINE"] = "1"

import command_line as cli  # noqa: E402  (first, as in the other programs: it sets OpenBLAS up)
import numpy as np  # noqa: E402
import style_transfer as st  # noqa: E402

ROOT = Path(__file__).resolve().parent
STUDIO_DIR = ROOT / "output" / "studio"   # every picture the studio writes goes here
IMAGES = ROOT / "images"
BUNDLED_PHOTOS = {"the cat": IMAGES / "chelsea.png"}
BUNDLED_PAINTINGS = {"swirls": IMAGES / "swirls.png", "mosaic": IMAGES / "mosaic.png"}
MAX_PAINTINGS = 4                  # the page has this many slots for paintings
MAX_UPLOAD_BYTES = 25 * 1024 ** 2  # an upload larger than this is refused (Gradio and us)
SMALLEST_SIDE = 32                 # VGG16 halves a picture five times
SEED = 0                           # the same noise every run, so that runs compare fairly
PORT = 7860

# How long a run takes here, before the studio has measured one itself: the fast graph's
# seconds per evaluation per pixel (BENCHMARKS.md: 0.363 s at 256x256, 1.263 s at 512x512,
# 2 cores) and the seconds to build VGG16 and the loss's graph.
BENCH_SECONDS_PER_PIXEL = 5.2e-6
BENCH_BUILD_SECONDS = 5.0

COLOUR_MODES = {"the painting's": None, **{mode: mode for mode in st.COLOR_MODES}}
STARTS = {"noise": "noise", "the photo": "content"}
CONV_LAYERS = [name for name in st.VGG16_LAYERS if "conv" in name]
BOLD = {"content_layer": "block4_conv2", "content_weight": 0.25}  # README: "A bold recipe"


# ---------------------------------------------------------------------------------------------
# 1. What the page sends: uploads read safely, and the knobs turned into a painter's settings
# ---------------------------------------------------------------------------------------------
def shown_name(path):
    """The name to show for an upload: the file name the browser sent (Gradio keeps it as the
    last part of its own copy's path), with anything unprintable taken out. Only shown."""
    name = "".join(c for c in Path(str(path)).name if c.isprintable())
    return name[:60] + ("..." if len(name) > 60 else "") or "the file"


def read_upload(path, upload_folder):
    """An uploaded picture as an RGB array, checked as the command line checks its files
    (cli.load_image: decompression bombs, broken or unsupported files), or one UserError line
    that names the file as the browser did. `path` is Gradio's copy of the upload; it must
    lie in Gradio's upload folder, so a path made up by a browser is never opened."""
    name = shown_name(path)
    real = Path(path).resolve()
    if not real.is_relative_to(Path(upload_folder).resolve()):
        raise cli.UserError(f"{name}: not an upload")
    if real.is_file() and real.stat().st_size > MAX_UPLOAD_BYTES:
        raise cli.UserError(f"{name}: larger than {MAX_UPLOAD_BYTES // 1024 ** 2} MB; "
                            "shrink it first")
    try:
        image = cli.load_image(real)
    except cli.UserError as error:  # it names Gradio's temporary copy: name the user's file
        raise cli.UserError(str(error).replace(str(real), name)) from None
    check_not_too_small(image, name)
    return image


def check_not_too_small(image, name):
    height, width = image.shape[:2]
    if min(height, width) < SMALLEST_SIDE:
        raise cli.UserError(f"{name}: only {width}x{height} pixels; the studio needs at least "
                            f"{SMALLEST_SIDE} on each side (VGG16 halves a picture five times)")


def ladder(size, coarse_to_fine):
    """The stages' sizes: `size` alone, or coarse to fine, halving down to about 128 px (the
    README's --scales 256 512 1024 for 1024), at most three stages."""
    sizes = [size]
    while coarse_to_fine and len(sizes) < 3 and sizes[0] // 2 >= 128:
        sizes.insert(0, sizes[0] // 2)
    return tuple(sizes)


def iterations_for(sizes, iterations):
    """Each stage's iterations: the command line's rule, halving at each larger size."""
    return tuple(max(1, math.ceil(iterations / 2 ** stage)) for stage in range(len(sizes)))


@dataclass(frozen=True)
class Knobs:
    """The page's controls, as the painter's settings take them. Defaults: the tutorial's."""
    content_weight: float = st.CONTENT_WEIGHT
    style_weight: float = st.STYLE_WEIGHT
    tv_weight: float = st.TV_WEIGHT
    content_layer: str = st.CONTENT_LAYER
    size: int = st.SIZE
    iterations: int = st.ITERATIONS
    start: str = "noise"
    colour: str = "the painting's"
    coarse_to_fine: bool = False

    def check(self):
        weights = {"content weight": self.content_weight, "style weight": self.style_weight,
                   "smoothness weight": self.tv_weight}
        for label, value in weights.items():
            if value is None or not math.isfinite(value) or value < 0:
                raise cli.UserError(f"The {label} must be a number, 0 or more.")
        if not any(weights.values()):
            raise cli.UserError("The three weights are all 0: nothing would change the "
                                "picture; raise at least one.")

    def settings(self, shares):
        """(LossSettings, PaintSettings). The fast graph always: the same loss, 2.4x sooner."""
        sizes = ladder(int(self.size), self.coarse_to_fine)
        loss = st.LossSettings(self.content_weight, self.style_weight, self.tv_weight,
                               self.content_layer, style_blend=tuple(shares), fast=True)
        how = st.PaintSettings(sizes, iterations_for(sizes, int(self.iterations)),
                               STARTS[self.start], SEED,
                               preserve_color=COLOUR_MODES[self.colour])
        return loss, how


def check_shares(names, shares):
    for name, share in zip(names, shares):
        if share is None or not share > 0:
            raise cli.UserError(f"The share of {name} is 0: give it a share above 0, or "
                                "remove it.")


# ---------------------------------------------------------------------------------------------
# 2. A job, and how long jobs take here
# ---------------------------------------------------------------------------------------------
@dataclass
class Job:
    """One press of Paint: the pictures, the settings, a stop flag, and what the worker has
    said about it so far. The worker changes it through update(); the page waits for that."""
    session: str
    photo: np.ndarray
    paintings: list
    names: list
    loss: st.LossSettings
    how: st.PaintSettings
    knobs: object = None          # the page's controls it was made from
    number: int = 0
    stop: threading.Event = field(default_factory=threading.Event)
    state: str = "waiting"        # then "running", then "done", "stopped" or "failed"
    place: int = 0                # waiting: its place in the queue (1: next)
    note: str = ""                # what the worker is doing now
    iteration: st.Iteration = None
    fraction: float = 0.0         # of the run's work done
    seconds_left: float = None
    painting: st.Painting = None  # when finished
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
        evaluations = [n * st.EVALS_PER_ITERATION for n in iterations]
        pixels = sum(e * h * w for e, (h, w) in zip(evaluations, shapes))
        return len(shapes) * self.build_seconds + pixels * self.seconds_per_pixel

    def describe(self, photo_shape, knobs):
        """'about 1 min 10 s here (512x341 px, 200 evaluations at 1.3 s)'."""
        sizes = ladder(int(knobs.size), knobs.coarse_to_fine)
        iterations = iterations_for(sizes, int(knobs.iterations))
        shapes = [st.result_shape(np.zeros(photo_shape + (3,)), size) for size in sizes]
        h, w = shapes[-1]
        evaluations = sum(iterations) * st.EVALS_PER_ITERATION
        each = h * w * self.seconds_per_pixel
        source = "measured here" if self.measured else "from BENCHMARKS.md"
        return (f"About {duration(self.seconds(shapes, iterations))} on this machine: "
                f"{w}x{h} px, {evaluations} evaluations at {each:.2g} s ({source}).")


def duration(seconds):
    seconds = max(0, round(seconds))
    return f"{seconds} s" if seconds < 60 else f"{seconds // 60} min {seconds % 60:02d} s"


class JobWatcher(st.Watcher):
    """The Painter's watcher for a job: passes each evaluation's progress and each iteration's
    picture on to the job (for the page), measures the rate, and answers the Stop button."""

    def __init__(self, job, rate, shapes):
        self.job, self.rate, self.shapes = job, rate, shapes
        pixels = [h * w for h, w in shapes]
        self.work = [n * st.EVALS_PER_ITERATION * p for n, p in zip(job.how.iterations, pixels)]
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
        self.job.update(iteration=iteration)


# ---------------------------------------------------------------------------------------------
# 3. The worker: one thread owns TensorFlow and paints the jobs of a queue, one at a time
# ---------------------------------------------------------------------------------------------
class Easel:
    """What the worker thread paints with: VGG16's weights, and the last graph it built, kept
    for the next run of the same shape with the same paintings and loss (a different photo is
    fed into it, Graph.set_content, as the video does for each frame)."""

    def __init__(self, weights_path):
        self.weights_path = weights_path
        self.kept = None            # (what the graph was built for, the Graph)
        self.built = self.reused = 0

    def paint(self, job, watcher):
        return ReusingPainter(self, job.loss, job.how).paint(job.photo, job.paintings, watcher)


class ReusingPainter(st.Painter):
    """A Painter that asks its Easel for a graph before building one."""

    def __init__(self, easel, loss, how):
        super().__init__(easel.weights_path, loss, how)
        self.easel = easel

    def build_graph(self, shape, content, styles, whole=None):
        if whole is not None:  # the tiles': built for them (Painter.paint_tiles reuses it)
            self.easel.kept = None
            return super().build_graph(shape, content, styles, whole)
        key = (shape, self.loss, self.how.style_scale, fingerprint(styles))
        if self.easel.kept is not None and self.easel.kept[0] == key:
            graph = self.easel.kept[1]
            graph.set_content(st.preprocess(content, shape))
            self.easel.reused += 1
            return graph
        self.easel.kept = None  # super() clears the session, and the kept graph with it
        graph = super().build_graph(shape, content, styles)
        self.easel.kept = (key, graph)
        self.easel.built += 1
        return graph


def fingerprint(images):
    return tuple(hashlib.sha256(np.ascontiguousarray(image)).hexdigest() for image in images)


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
                 f"{cli.plural(sum(job.how.iterations), 'iteration')}", flush=True)
        job.update(state="running", place=0, note="starting")
        began = time.monotonic()
        try:
            painting = self.paint(job, JobWatcher(job, self.rate, shapes))
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
        path = self.out_dir / f"{time.strftime('%Y%m%d-%H%M%S')}_job{job.number:03d}.png"
        cli.save_image(path, painting.picture)
        return path


# ---------------------------------------------------------------------------------------------
# 4. The page
# ---------------------------------------------------------------------------------------------
CSS = """
#message .error { color: #b00020; font-weight: 600; }
#message .info { color: #1a5e20; }
#progress progress { width: 100%; height: 1.1em; }
#picture img { width: 100%; height: 100%; object-fit: contain; }
"""


def message_html(text, kind="error"):
    return f'<div class="{kind}" role="status">{html.escape(text)}</div>' if text else ""


def progress_html(fraction, text):
    return (f'<progress max="1" value="{fraction:.3f}"></progress>'
            f'<div class="progress-text">{html.escape(text)}</div>')


def loss_html(iteration, names):
    if iteration is None:
        return ""
    labels = {"content": "content", "total variation": "smoothness"}
    labels.update({f"style {i + 1}": f"style ({name})" for i, name in enumerate(names)})
    parts = ", ".join(f"{labels.get(k, k)} {v:.3g}" for k, v in iteration.parts.items())
    stage = (f"stage {iteration.stage + 1}/{iteration.stages}, "
             if iteration.stages > 1 else "")
    return (f'<div class="iteration">{stage}iteration {iteration.number}/'
            f'{iteration.iterations}</div><div class="loss">loss {iteration.loss:.4g}: '
            f'{html.escape(parts)}</div>')


class Studio:
    """The page's handlers: what each button does, on top of one Worker."""

    def __init__(self, worker, upload_folder):
        self.worker, self.upload_folder = worker, upload_folder

    # --- the pictures ---
    def photo_uploaded(self, path):
        """-> (photo state, preview, message)."""
        if not path:
            return None, None, ""
        try:
            image = read_upload(path, self.upload_folder)
        except cli.UserError as error:
            return None, None, message_html(str(error))
        return {"name": shown_name(path), "image": image}, image, ""

    def bundled_photo(self, name):
        image = cli.load_image(BUNDLED_PHOTOS[name])
        return {"name": name, "image": image}, image, ""

    def paintings_uploaded(self, paths, paintings, *shares):
        """Add each upload that reads to the paintings; say what did not."""
        added, errors = [], []
        for path in paths or []:
            try:
                added.append({"name": shown_name(path),
                              "image": read_upload(path, self.upload_folder)})
            except cli.UserError as error:
                errors.append(str(error))
        return self.add_paintings(paintings, shares, added, errors)

    def bundled_painting(self, name, paintings, *shares):
        added = [{"name": name, "image": cli.load_image(BUNDLED_PAINTINGS[name])}]
        return self.add_paintings(paintings, shares, added, [])

    def add_paintings(self, paintings, shares, added, errors):
        paintings = [dict(p, share=s) for p, s in zip(paintings or [], shares)]
        room = MAX_PAINTINGS - len(paintings)
        if len(added) > room:
            errors.append(f"At most {MAX_PAINTINGS} paintings: "
                          f"{cli.plural(len(added) - room, 'painting')} left out.")
        paintings += [dict(p, share=1.0) for p in added[:max(room, 0)]]
        return (paintings, None, message_html(" ".join(errors)), *slots(paintings))

    def remove_painting(self, index, paintings, *shares):
        paintings = [dict(p, share=s) for p, s in zip(paintings or [], shares)]
        del paintings[index]
        return (paintings, *slots(paintings))

    # --- the knobs ---
    def estimate(self, photo, size, iterations, coarse_to_fine):
        shape = photo["image"].shape[:2] if photo else (300, 451)  # the cat's, until a photo
        knobs = Knobs(size=size or 32, iterations=iterations or 1,
                      coarse_to_fine=coarse_to_fine)
        return self.worker.rate.describe(shape, knobs)

    # --- Paint and Stop ---
    def new_job(self, session, photo, paintings, shares, knobs):
        """The job for this press of Paint, or a UserError saying what is missing."""
        if photo is None:
            raise cli.UserError("Choose a photo first: drop one in, or click the cat.")
        if not paintings:
            raise cli.UserError("Choose a painting: drop one or more in, or click a bundled "
                                "one.")
        names = [p["name"] for p in paintings]
        shares = list(shares[:len(paintings)])
        check_shares(names, shares)
        knobs.check()
        loss, how = knobs.settings(shares)
        content, _ = st.color_inputs(photo["image"], [paintings[0]["image"]],
                                     how.preserve_color)
        st.check_size(content, how.sizes, batch=1)
        return Job(session, photo["image"], [p["image"] for p in paintings], names, loss, how,
                   knobs)

    def paint(self, session, photo, paintings, shares, knobs, runs):
        """Paint's handler, a generator: each yield updates the page. Yields dicts of
        {output name: value}; the page maps them onto its components."""
        try:
            job = self.new_job(session, photo, paintings, shares, knobs)
        except cli.UserError as error:
            yield {"message": message_html(str(error)), "progress": ""}
            return
        self.worker.submit(job)
        yield {"message": "", "picture": None, "loss": "", "download": None,
               "progress": progress_html(0, f"Job {job.number}: in the queue")}
        try:
            yield from self.follow(job, runs)
        finally:  # the tab was closed mid-run: nobody is watching, so stop painting
            if not job.finished:
                self.worker.stop(job.session)

    def follow(self, job, runs):
        seen, shown_iteration, shown_progress, last = -1, None, None, 0.0
        told_stopping = False
        while True:
            seen = job.wait_for_change(seen, timeout=1.0)
            if job.finished:
                yield self.finished(job, runs)
                return
            if job.stop.is_set() and not told_stopping:
                told_stopping = True
                yield {"message": message_html("Stopping...", "info")}
            progress = self.progress(job)
            if job.iteration is not shown_iteration:  # a new picture: show it at once
                shown_iteration, shown_progress = job.iteration, progress
                yield {"picture": job.iteration.picture,
                       "loss": loss_html(job.iteration, job.names), "progress": progress}
            elif progress != shown_progress and time.monotonic() - last > 0.25:
                shown_progress, last = progress, time.monotonic()  # a few times a second
                yield {"progress": progress}

    def progress(self, job):
        if job.state == "waiting":
            return progress_html(0, f"Job {job.number}: waiting, place {job.place} in the "
                                    "queue")
        left = "" if job.seconds_left is None else f", about {duration(job.seconds_left)} left"
        return progress_html(job.fraction, f"Job {job.number}: {job.note}, "
                                           f"{job.fraction:.0%}{left}")

    def finished(self, job, runs):
        painting = job.painting
        update = {"progress": self.progress(job)}
        if job.iteration is not None:  # the last iteration may end just as the job does
            update["loss"] = loss_html(job.iteration, job.names)
        if job.state == "stopped":
            kept = ("the best picture so far is kept" if job.path else
                    "stopped before the first evaluation: no picture")
            update["message"] = message_html(f"Stopped: {kept}.", "info")
        if job.error:
            update["message"] = message_html(job.error)
        if job.path is not None:
            h, w = painting.shape
            caption = (f"{job.number}: {' + '.join(job.names)}, {w}x{h}, loss "
                       f"{painting.loss:.3g}" + (" (stopped)" if painting.stopped else ""))
            runs = [*(runs or []), (str(job.path), caption)]
            update.update(picture=painting.picture, download=str(job.path), runs=runs,
                          run_list=runs)
            update["progress"] = progress_html(job.fraction, f"Job {job.number}: {job.state}"
                                                             f", {w}x{h} px")
        if self.worker.rate.measured and job.knobs:  # the time a run takes, now measured here
            update["estimate"] = self.worker.rate.describe(job.photo.shape[:2], job.knobs)
        return update

    def stop(self, session):
        """The Stop button. While a job runs, its Paint handler alone writes the message
        ("Stopping...", then "Stopped: ..."): two handlers writing it could arrive out of
        order and leave "Stopping..." over the final word."""
        if not self.worker.stop(session):
            return message_html("Nothing to stop.", "info")
        import gradio as gr
        return gr.update()


def slots(paintings):
    """The painting slots' contents: for each, (row, picture, share slider, Remove button)."""
    import gradio as gr
    updates = []
    for i in range(MAX_PAINTINGS):
        if i < len(paintings):
            p = paintings[i]
            updates += [gr.update(visible=True), p["image"],
                        gr.update(value=p.get("share", 1.0), label=f"Share of {p['name']}"),
                        gr.update()]
        else:
            updates += [gr.update(visible=False), None, gr.update(), gr.update()]
    return updates


def build_page(studio):
    """The page: the pictures on the left, the knobs in the middle, the picture on the right.
    No work here: the handlers are Studio's."""
    import gradio as gr
    defaults = Knobs()
    with gr.Blocks(title="The studio: neural style transfer", analytics_enabled=False) as page:
        gr.Markdown("# The studio\nDrop in a photo, pick one or more paintings, press "
                    "**Paint** and watch the picture appear, one iteration at a time.")
        photo = gr.State(None)
        paintings = gr.State([])
        run_list = gr.State([])
        with gr.Row():
            with gr.Column(scale=1, min_width=260):
                photo_file = gr.File(label="Photo: drop one here", elem_id="photo-file")
                with gr.Row():
                    photo_buttons = {name: gr.Button(name, icon=str(path), size="sm")
                                     for name, path in BUNDLED_PHOTOS.items()}
                photo_view = gr.Image(label="The photo", interactive=False, height=150,
                                      elem_id="photo-view")
                painting_files = gr.File(label="Paintings: drop one or more",
                                         file_count="multiple", elem_id="painting-files")
                with gr.Row():
                    painting_buttons = {name: gr.Button(name, icon=str(path), size="sm")
                                        for name, path in BUNDLED_PAINTINGS.items()}
                slot_parts = []  # per painting: its row, picture, share and Remove button
                for i in range(MAX_PAINTINGS):
                    with gr.Row(visible=False, equal_height=True) as row:
                        slot_parts += [row, gr.Image(interactive=False, height=90,
                                                     show_label=False, elem_id=f"painting-{i}",
                                                     min_width=90, scale=1)]
                        with gr.Column(scale=2, min_width=120):
                            slot_parts += [gr.Slider(0, 10, value=1, step=0.5,
                                                     elem_id=f"share-{i}"),
                                           gr.Button("Remove", size="sm",
                                                     elem_id=f"remove-{i}")]
                shares = slot_parts[2::4]
            with gr.Column(scale=1, min_width=260):
                content_weight = gr.Number(defaults.content_weight, label="Content weight",
                                           info="more of the photo", elem_id="content-weight")
                style_weight = gr.Number(defaults.style_weight, label="Style weight",
                                         info="more of the painting(s)", elem_id="style-weight")
                tv_weight = gr.Number(defaults.tv_weight, label="Smoothness weight",
                                      info="total variation: less speckle", elem_id="tv-weight")
                content_layer = gr.Dropdown(CONV_LAYERS, value=defaults.content_layer,
                                            label="Content layer", elem_id="content-layer",
                                            info="deeper: only the photo's shapes")
                size = gr.Slider(32, 2048, value=defaults.size, step=16, label="Size",
                                 info="longer side, pixels", elem_id="size")
                estimate = gr.Markdown(elem_id="estimate")
                iterations = gr.Slider(1, 50, value=defaults.iterations, step=1,
                                       label="Iterations", info="of 20 evaluations each",
                                       elem_id="iterations")
                start = gr.Radio(list(STARTS), value=defaults.start, label="Start from",
                                 elem_id="start")
                colour = gr.Dropdown(list(COLOUR_MODES), value=defaults.colour,
                                     label="Colours", elem_id="colour",
                                     info="keep the painting's, or the photo's (see README)")
                coarse = gr.Checkbox(defaults.coarse_to_fine, label="Coarse to fine",
                                     info="paint small first, then larger", elem_id="coarse")
                with gr.Row():
                    tutorial = gr.Button("The tutorial's values", size="sm", elem_id="tutorial")
                    bold = gr.Button("Bold recipe", size="sm", elem_id="bold")
            with gr.Column(scale=2, min_width=320):
                with gr.Row():
                    paint_button = gr.Button("Paint", variant="primary", elem_id="paint")
                    stop_button = gr.Button("Stop", variant="stop", elem_id="stop")
                message = gr.HTML(elem_id="message")
                progress = gr.HTML(elem_id="progress")
                picture = gr.Image(label="The picture", interactive=False, format="png",
                                   elem_id="picture", height=360)
                loss = gr.HTML(elem_id="loss")
                download = gr.DownloadButton("Download PNG", elem_id="download",
                                             interactive=False)
                runs = gr.Gallery(label="This session's runs, to compare", columns=4,
                                  height=200, elem_id="runs", preview=False,
                                  object_fit="contain", interactive=False)

        # The pictures
        photo_file.upload(studio.photo_uploaded, photo_file, [photo, photo_view, message])
        for name, button in photo_buttons.items():
            button.click(lambda name=name: studio.bundled_photo(name), None,
                         [photo, photo_view, message])
        painting_outputs = [paintings, painting_files, message, *slot_parts]
        painting_files.upload(studio.paintings_uploaded, [painting_files, paintings, *shares],
                              painting_outputs)
        for name, button in painting_buttons.items():
            button.click(lambda p, *s, name=name: studio.bundled_painting(name, p, *s),
                         [paintings, *shares], painting_outputs)
        for i in range(MAX_PAINTINGS):
            slot_parts[4 * i + 3].click(
                lambda p, *s, i=i: studio.remove_painting(i, p, *s), [paintings, *shares],
                [paintings, *slot_parts])

        # The knobs
        estimate_inputs = [photo, size, iterations, coarse]
        for control in (size, iterations, coarse):
            control.change(studio.estimate, estimate_inputs, estimate)
        photo.change(studio.estimate, estimate_inputs, estimate)
        page.load(studio.estimate, estimate_inputs, estimate)
        knob_controls = [content_weight, style_weight, tv_weight, content_layer, size,
                         iterations, start, colour, coarse]
        tutorial.click(lambda: [getattr(defaults, f) for f in Knobs.__dataclass_fields__],
                       None, knob_controls)
        bold.click(lambda: [BOLD["content_weight"], BOLD["content_layer"]], None,
                   [content_weight, content_layer])

        # Paint and Stop
        outputs = {"message": message, "progress": progress, "picture": picture,
                   "loss": loss, "download": download, "runs": runs, "run_list": run_list,
                   "estimate": estimate}

        def paint(request: gr.Request, photo, paintings, *values):
            shares_given = values[:MAX_PAINTINGS]
            knobs = Knobs(*values[MAX_PAINTINGS:MAX_PAINTINGS + len(knob_controls)])
            runs_so_far = values[-1]
            for update in studio.paint(request.session_hash, photo, paintings, shares_given,
                                       knobs, runs_so_far):
                if "download" in update:  # a button to press only once there is a picture
                    update["download"] = gr.DownloadButton(value=update["download"],
                                                           interactive=bool(update["download"]))
                yield {outputs[name]: value for name, value in update.items()}

        # Many tabs may wait at once (each sees its place in the queue); the Worker paints
        # one job at a time whatever Gradio does.
        paint_button.click(paint, [photo, paintings, *shares, *knob_controls, run_list],
                           list(outputs.values()), concurrency_limit=None)
        def stop(request: gr.Request):
            return studio.stop(request.session_hash)

        stop_button.click(stop, None, message, concurrency_limit=None)
    return page


# ---------------------------------------------------------------------------------------------
# 5. Starting it
# ---------------------------------------------------------------------------------------------
def parse_args(argv):
    parser = argparse.ArgumentParser(description="The studio: paint in a web page.")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to serve on (default: %(default)s, this machine only)")
    parser.add_argument("--port", type=cli.whole_number(1, maximum=65535), default=PORT,
                        help="port to serve on (default: %(default)s)")
    return parser.parse_args(argv)


def is_loopback(host):
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def theme():
    """Gradio's plain theme with the system's fonts: its default ones come from Google."""
    import gradio as gr
    return gr.themes.Base(font=["ui-sans-serif", "system-ui", "sans-serif"],
                          font_mono=["ui-monospace", "monospace"])


def serve(args):
    """Start the worker and the page; return the running page (the tests stop it)."""
    from gradio.utils import get_upload_folder
    weights_path = st.resolve_weights("imagenet")
    with cli.quiet_native_stderr():  # TensorFlow looks for a GPU once, and says so at length
        st.tf.config.list_physical_devices("GPU")
    worker = Worker(Easel(weights_path).paint).start()
    page = build_page(Studio(worker, get_upload_folder()))
    page.queue(default_concurrency_limit=4)
    page.launch(server_name=args.host, server_port=args.port, prevent_thread_lock=True,
                quiet=True, inbrowser=False, share=False, ssr_mode=False, theme=theme(),
                css=CSS, max_file_size=MAX_UPLOAD_BYTES, allowed_paths=[str(STUDIO_DIR)],
                footer_links=[])
    page.studio_worker = worker
    return page


def interrupted(signum, frame):
    raise KeyboardInterrupt


def main(argv=None) -> int:
    args = parse_args(argv)
    if not is_loopback(args.host):
        print(f"warning: --host {args.host} is not loopback: anyone who can reach this "
              f"machine on port {args.port} can use the studio", file=sys.stderr)
    STUDIO_DIR.mkdir(parents=True, exist_ok=True)
    try:
        page = serve(args)
    except cli.UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OSError as error:  # the port is taken
        print(f"error: cannot serve on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 2
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"The studio is at http://{host}:{args.port}/ (Ctrl-C to stop)", flush=True)
    signal.signal(signal.SIGTERM, interrupted)  # `kill` stops it as Ctrl-C does
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        print("Stopping the studio.", flush=True)
    for number in (signal.SIGINT, signal.SIGTERM):  # a second Ctrl-C must not break the close
        signal.signal(number, signal.SIG_IGN)
    page.studio_worker.close()
    page.close()
    return 0


if __name__ == "__main__":
    cli.finish(main())  # as the other programs end: no slow TensorFlow teardown
