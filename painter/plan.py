"""A run's plan before any work (--plan): its stages and tiles, their memory and time here.

It reads the pictures (a clip's frames too) and measures this machine's matrix rate now, but
builds no graph and paints nothing. The time is each evaluation's multiply-adds (VGG16's
convolutions and the Gram matrices, forward and back) over that rate, times what an evaluation
was measured to cost above it (BENCHMARKS.md), plus each graph's build: an estimate, to decide
whether to start, not a promise.
"""
import time

import numpy as np

import style_transfer as st
from painter import files, memory, tiles
from painter.machine import bfloat16_is_faster
from painter.startup import quiet_native_stderr
from painter.numbers import EVALS_PER_ITERATION
from painter.settings import own_proportions
from painter.weights import vgg16_channels
from painter.words import and_list, duration, memory_size, plural, say

# An evaluation's seconds over its floor (its FLOPs at this machine's GEMM rate), measured by
# make bench on 2026-12-04 (BENCHMARKS.md, 2 cores): 1.33x and 1.26x for the fast graph at 256
# and 512 px, 4.08x and 4.16x for the tutorial's batch; bfloat16 took 0.57x float32's time.
OVER_FLOOR = {"fast": 1.3, "tutorial": 4.1}
BFLOAT16_TIME = 0.57
BUILD_SECONDS = 5.0     # VGG16 and the loss's graph, once a stage (the studio measured so)
# --style-loss w2 adds, at each style layer of C channels, eigendecompositions of C x C
# matrices (forward and back) whatever the picture's size. Timed on 2026-12-07 (2 cores, one
# layer's loss and gradient beside the matrix rate, in one process): 143 to 256 times C**3
# FLOPs' time for 512 and 256 channels (0.34 s for 512 at 57 GFLOP/s). Timed again with the
# square roots' eigenvalues in float64, the same day on an idle machine: 113 to 122 for 512
# channels, 176 to 215 for 256 (0.10 s for 512 at 150 GFLOP/s), so 150 still holds.
W2_FLOPS_PER_CHANNEL_CUBED = 150
START_SECONDS = 6.0     # the imports, the files read, the first evaluation (make bench)


def gemm_rate():
    """This machine's float32 matrix rate now, in FLOP/s: TensorFlow's, on all its cores, as
    the convolutions run (the median of five 2048x2048 products, in a graph of its own)."""
    with quiet_native_stderr():  # TensorFlow looks for a GPU as it starts, and says so
        import tensorflow as tf
        n = 2048
        with tf.Graph().as_default(), tf.compat.v1.Session() as session:
            product = tf.linalg.matmul(tf.random.uniform((n, n), seed=1),
                                       tf.random.uniform((n, n), seed=2))
            session.run(product)
            times = []
            for _ in range(5):
                began = time.perf_counter()
                session.run(product)
                times.append(time.perf_counter() - began)
    return 2 * n ** 3 / float(np.median(times))


def evaluation_flops(shape, style_layers):
    """The multiply-adds of one evaluation for a result of `shape`, as FLOPs: every conv layer
    up to the deepest style layer (3x3 kernels) and the Gram matrices, forward and back."""
    last = max(st.VGG16_LAYERS.index(name) for name in style_layers)
    macs, channels_in = 0, 3
    for name, channels in list(vgg16_channels().items())[:last + 1]:
        height, width = st.layer_shape(shape, name)
        if "conv" in name:
            macs += height * width * 9 * channels_in * channels
            channels_in = channels
        if name in style_layers:
            macs += height * width * channels * channels
    return 2 * 2 * macs


def w2_flops(style_layers):
    """The eigendecompositions' time of one evaluation with --style-loss w2, as FLOPs of the
    matrix rate: the same at every size."""
    channels = vgg16_channels()
    return sum(W2_FLOPS_PER_CHANNEL_CUBED * channels[name] ** 3 for name in style_layers)


class Estimate:
    """The seconds an evaluation takes here: its FLOPs over this machine's matrix rate, times
    what the graph was measured to cost above that floor."""

    def __init__(self, loss, bfloat16=False):
        self.rate = gemm_rate()
        self.loss, self.bfloat16 = loss, bfloat16

    def evaluation(self, shape, fast=None):
        """Seconds for one evaluation at `shape`, on the loss's graph or (tiles) the fast one."""
        fast = self.loss["fast"] if fast is None else fast
        factor = OVER_FLOOR["fast" if fast else "tutorial"]
        factor *= BFLOAT16_TIME if fast and self.bfloat16 else 1.0
        layers = self.loss["style_layers"]
        eigen = w2_flops(layers) if self.loss["style_loss"] == "w2" else 0
        return (evaluation_flops(shape, layers) * factor + eigen) / self.rate

    def describe(self):
        return (f"from this machine's matrix rate now, {self.rate / 1e9:.0f} GFLOP/s, and an "
                f"evaluation's measured cost above it: {OVER_FLOOR['fast']}x on the fast graph, "
                f"{OVER_FLOOR['tutorial']}x on the tutorial's, BENCHMARKS.md")


def stage_lines(content, how, loss, estimate, batch, paintings):
    """(one line a stage, the most memory one needs, the seconds they all take)."""
    lines, most, seconds = [], 0, 0.0
    for number, (size, iterations) in enumerate(zip(how.sizes, how.iterations), 1):
        shape = st.result_shape(content, size)
        evaluations = iterations * EVALS_PER_ITERATION
        tiled = how.tile is not None and max(shape) > how.tile
        if tiled:
            grid = tiles.tile_grid(shape, how.tile, how.tile_overlap)
            each = estimate.evaluation((grid[0].height, grid[0].width), fast=True)
            stage_seconds = BUILD_SECONDS + len(grid) * evaluations * each
            way = (f"in {plural(len(grid), 'tile')} of {how.tile} px overlapping by "
                   f"{how.tile_overlap}, {plural(iterations, 'sweep')}")
        else:
            stage_seconds = BUILD_SECONDS + evaluations * estimate.evaluation(shape)
            way = (f"whole, {plural(iterations, 'iteration')} of {EVALS_PER_ITERATION} "
                   f"evaluations{' at most' if how.flat else ''}")
        needed = memory.memory_needed(content, size, batch, how.style_scale,
                                      how.tile if tiled else None,
                                      own_proportions(paintings, how.style_shape))
        most, seconds = max(most, needed), seconds + stage_seconds
        lines.append(f"  Stage {number}: {shape[1]}x{shape[0]} px {way}: about "
                     f"{memory_size(needed)} of memory, about {duration(stage_seconds)}")
    return lines, most, seconds


def plan_still(settings, stop):
    """--plan for a still: its stages, memory and time; exit status 0 (2 for a bad input)."""
    from painter.still_run import plan as check
    settings, photo, paintings, _, _ = check(settings)  # every input read and checked
    how, loss = settings.paint, settings.loss
    batch = 1 if loss["fast"] else 2 + len(paintings)
    estimate = Estimate(loss, bfloat16=settings.quick and bfloat16_is_faster())
    lines, most, seconds = stage_lines(photo, how, loss, estimate, batch, paintings)
    say(f"Plan for {settings.content} in the style of {and_list(settings.styles)} "
        f"({plural(len(how.sizes), 'stage')}; nothing is painted: the same command without "
        "--plan paints it):")
    for line in lines:
        say(line)
    say(f"In all: at most {memory_size(most)} of memory ({memory_size(memory.memory_free())} "
        f"free for it), about {duration(START_SECONDS + seconds)} here "
        f"({estimate.describe()}).")
    return 0


def plan_batch(settings, stop):
    """--plan for a batch: its pictures, workers, memory and time; exit status 0."""
    from painter.batch_run import plan as check
    planned = check(settings)  # every input read and checked, the workers fitted
    how, loss = settings.paint, settings.loss
    estimate = Estimate(loss, bfloat16=settings.quick and bfloat16_is_faster())
    seconds, first = 0.0, []
    for task in planned.tasks:
        lines, _, task_seconds = stage_lines(planned.photos[task.photo], how, loss, estimate,
                                             1 if loss["fast"] else 3,
                                             [planned.styles[task.style]])
        seconds, first = seconds + task_seconds, first or lines
    where = planned.where
    workers = where.workers or 1
    say(f"Plan for a batch of {plural(planned.total, 'picture')} into {settings.output} "
        f"({len(planned.tasks)} to paint; nothing is painted: the same command without --plan "
        "paints them)" + (f"; skipped, unreadable: {', '.join(planned.skipped)}"
                          if planned.skipped else "") + ":")
    for line in first:
        say(line + " (the first picture)")
    on = (f"{plural(workers, 'worker')} here, each with {plural(where.threads or 1, 'core')}"
          if not where.address else f"the cluster at {where.address}")
    say(f"In all: about {duration(START_SECONDS + seconds / workers)} on {on} "
        f"({estimate.describe()}; a worker on fewer cores is slower).")
    return 0


def plan_video(settings, stop):
    """--plan for a clip: its frames, memory and time; exit status 0."""
    from painter.clips import read_clip
    from painter.cluster import fit_workers
    clip = read_clip(settings.content, settings.size, settings.max_frames, stop)
    for path in settings.styles:
        files.load_image(path)
    frame, count = clip.frames[0], len(clip.frames)
    batch = 1 if settings.loss["fast"] else 2 + len(settings.styles)
    memory.check_size(frame, [settings.size], batch=batch)
    needed = memory.memory_needed(frame, settings.size, batch)
    estimate = Estimate(settings.loss)
    each = estimate.evaluation(frame.shape[:2])
    frames = settings.frames
    later = frames.iterations if frames.start == "noise" else frames.later_iterations
    evaluations = EVALS_PER_ITERATION * (frames.iterations + (count - 1) * later)
    seconds = BUILD_SECONDS + evaluations * each
    on = "here, frame after frame"
    if settings.cluster:
        where = fit_workers(settings.cluster, memory.TENSORFLOW_BYTES + needed)
        workers = where.workers or 1
        seconds /= workers
        on = (f"on {plural(workers, 'worker')} here" if not where.address
              else f"on the cluster at {where.address}") + ", shot by shot"
    say(f"Plan for {clip.path}: {plural(count, 'frame')} at {frame.shape[1]}x{frame.shape[0]} "
        f"px, the first {plural(frames.iterations, 'iteration')}, each later one "
        f"{plural(later, 'iteration')} of {EVALS_PER_ITERATION} evaluations (nothing is "
        "painted: the same command without --plan paints it):")
    say(f"In all: about {memory_size(needed)} of memory a painter, about "
        f"{duration(START_SECONDS + seconds)} {on} ({estimate.describe()}).")
    return 0
