"""What a Dask worker runs: a batch's picture or a clip's span, with the worker's kept graph.

Dask sends these functions to the workers by their module's name, painter.workers, so a worker
imports this module and what it needs below it, never a program or the studio.
"""
import time
from dataclasses import dataclass

import numpy as np

from painter.easel import Easel, digest
from painter.startup import StopRequests, quiet_native_stderr
from painter.weights import resolve_weights

# Dask imports this module in each worker process, where TensorFlow then loads for the first
# time: its start-up notices (CUDA, oneDNN) would reach the terminal, so they are parked.
with quiet_native_stderr():
    from painter.frame_files import frame_record
    from painter.paint import Painter
    from painter.temporal import VideoPainter, paint_frames


class WorkerProcess:
    """This worker process: set up on its first task (its cores and GPU, before TensorFlow's
    runtime starts, as they must be), and the Easel that keeps its last graph, so that a task
    of the same shape, paintings and settings as the one before skips the build."""

    def __init__(self):
        self.easel = Easel()
        self.ready = False

    def set_up(self, where):
        """`where` (cluster.ClusterSettings): how many cores TensorFlow may use (None: all it
        sees) and, in a local cluster of one worker per GPU, the GPU of its number (TensorFlow
        would otherwise take every GPU's memory in every worker)."""
        if self.ready:
            return
        import tensorflow as tf
        if where.threads:
            tf.config.threading.set_intra_op_parallelism_threads(where.threads)
            tf.config.threading.set_inter_op_parallelism_threads(where.threads)
        gpus = tf.config.list_physical_devices("GPU")
        if where.gpu_each and gpus and worker_name().isdigit():  # a local cluster's 0, 1, ...
            gpu = gpus[int(worker_name()) % len(gpus)]
            tf.config.set_visible_devices(gpu, "GPU")
            tf.config.experimental.set_memory_growth(gpu, True)  # more workers than GPUs share
        self.ready = True


THIS_PROCESS = WorkerProcess()


def worker_name():
    from distributed import get_worker
    try:
        return str(get_worker().name)
    except ValueError:  # called outside a worker
        return "here"


# ---------------------------------------------------------------------------------------------
# A batch's picture
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class Task:
    """One picture of a batch to paint, OUTPUT/`name`, from the photo and style of those names
    (the pictures themselves go to the worker beside the Task, once each: batch_run.submit).
    `loss` and `how`: the lesson's LossSettings and a PaintSettings; `weights` is resolved on
    the worker, which may be another machine with its own copy; `where`: the cluster's
    ClusterSettings (the worker's cores and GPU)."""
    name: str
    photo: str
    style: str
    loss: object
    how: object
    weights: str
    where: object


@dataclass(frozen=True, kw_only=True)
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


def paint_task(task, photo, style):
    """Paint one Task, on a worker, from its photo and style (RGB arrays): a Done."""
    start = time.time()
    with quiet_native_stderr():  # TensorFlow's notices (CUDA's too), as on the command line
        THIS_PROCESS.set_up(task.where)
        easel, reused = THIS_PROCESS.easel, THIS_PROCESS.easel.reused
        painter = Painter(weights_path=resolve_weights(task.weights), loss_settings=task.loss,
                          paint_settings=task.how, easel=easel)
        painting = painter.paint(photo, [style])
    return Done(name=task.name, picture=painting.picture, loss=painting.loss,
                evaluations=len(painting.history), seconds=time.time() - start,
                worker=worker_name(), reused=easel.reused > reused, failure=painting.failure)


# ---------------------------------------------------------------------------------------------
# A clip's span
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class SpanTask:
    """What a worker needs to paint a clip's spans as the command line would: the frames'
    FrameSettings, the lesson's LossSettings, the weights and the cluster's ClusterSettings."""
    frames: object
    loss: object
    weights: str
    where: object


@dataclass(frozen=True, kw_only=True)
class SpanDone:
    """A painted span, sent back: its frames as painted (RGB) and their run.json records."""
    span: object
    paintings: list
    records: list
    seconds: float
    worker: str
    reused: bool  # the graph of the worker's previous span was reused


def paint_span(span, task, frames, styles):
    """On a worker: paint one span's frames (RGB, as the clip's sources), the first from
    scratch, with the graph of the worker's previous span if it was built for the same."""
    began = time.time()
    with quiet_native_stderr():  # TensorFlow's notices (CUDA's too), as on the command line
        THIS_PROCESS.set_up(task.where)
        weights_path = str(resolve_weights(task.weights))
        key = ("video", frames[0].shape, task.loss, task.frames.temporal_weight,
               task.frames.style_shape, weights_path, digest(styles))
        painter, reused = THIS_PROCESS.easel.get(key, lambda: VideoPainter(
            first_frame=frames[0], styles=styles, weights_path=weights_path,
            loss_settings=task.loss, temporal_weight=task.frames.temporal_weight,
            stop=StopRequests(),  # never set: Dask cancels the task
            style_shape=task.frames.style_shape))
        paintings, records = [], []
        for index, painting, evaluator, seconds in paint_frames(
                painter, task.frames, frames, range(len(frames))):
            paintings.append(painting)
            records.append(frame_record(span.first + index, evaluator, seconds))
    return SpanDone(span=span, paintings=paintings, records=records,
                    seconds=time.time() - began, worker=worker_name(), reused=reused)
