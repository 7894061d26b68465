"""Painting a clip's frames one after another with one graph, held together by a temporal loss.

Ruder et al.'s temporal loss enters the lesson's graph through build_loss_and_grads'
`extra_loss`; each frame starts from the one before, warped along the motion (flow.py). The
frames are painted here, in order, or by a Dask worker one span at a time (workers.py).
"""
import time

import numpy as np
from tf_keras import backend as K

import style_transfer as st
from painter.flow import motion, warp
from painter.settings import painting_shapes
from painter.startup import quiet_native_stderr


class TemporalLoss:
    """Ruder et al.'s temporal loss, added to the lesson's loss through the graph builder's
    extra_loss: stay close to the previous painted frame, moved along with the film's motion,
    wherever that motion could be trusted (consistency 1; 0 where something came into view or
    at the edge of a moving object). It sums over positions as the content loss does, so its
    weight, set for 512 px like the content weight, is scaled the same way.
    """

    def __init__(self, weight):
        self.weight = weight
        self.previous = self.consistency = None  # the graph's variables, once it is built

    def __call__(self, features, size_scale):
        """Called while the graph is built: the previous frame and its mask become variables,
        fed before each frame by set_previous."""
        x = features.combination_image
        self.previous = K.variable(np.zeros(K.int_shape(x)))
        self.consistency = K.variable(np.zeros(K.int_shape(x)[:3] + (1,)))
        weight, _ = st.loss_weights_for_size(self.weight, 0.0, size_scale)
        return {"temporal": weight * K.sum(self.consistency * K.square(x - self.previous))}

    def set_previous(self, warped, mask):
        K.set_value(self.previous, warped)
        K.set_value(self.consistency, mask.reshape(K.int_shape(self.consistency)))


class VideoPainter:
    """The lesson's graph and Evaluator, built once and used for every frame.

    Building the graph (VGG16, the losses, their gradient) takes seconds; a frame of the same
    size only changes the photo, so the graph's set_content feeds in the new frame's features.
    The paintings never change: with --fast their Gram matrices are computed once, here.
    With a temporal weight the graph also holds the previous frame, moved, and its mask.
    `stop` (startup.StopRequests) is checked between two evaluations.
    """

    def __init__(self, *, first_frame, styles, weights_path, loss_settings, temporal_weight,
                 stop, style_shape="picture"):
        self.shape = first_frame.shape[:2]
        self.temporal = TemporalLoss(temporal_weight) if temporal_weight > 0 else None
        self.stop = stop
        st.use_graph_mode()
        K.clear_session()  # a fresh graph, not one more beside an earlier run's
        with quiet_native_stderr():  # TensorFlow looks for a GPU here, at length
            self.graph = st.build_loss_and_grads(
                st.preprocess(first_frame, self.shape),
                [st.preprocess(style, shape) for style, shape in
                 zip(styles, painting_shapes(self.shape, styles, style_shape=style_shape))],
                weights_path,
                loss_settings, extra_loss=self.temporal)
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


def first_start(settings, content, shape):
    """How a frame painted from scratch starts: the tutorial's noise (the same noise for every
    frame, from the seed) or, with init "content", the frame's own photo."""
    if settings.init == "content":
        return st.preprocess(content, shape).astype(np.float64)
    return st.random_start(shape, settings.seed)


def frame_plan(settings, index, contents, previous):
    """Where frame `index` starts, how long it is optimised, and what holds it to the past.

    Returns (start, iterations, warped previous frame or None, mask or None), all in the
    lesson's preprocessed space. `settings` are FrameSettings; `previous` is frame index-1's
    painting, preprocessed, or None for a frame painted from scratch (a clip's or a shot's
    first).
    """
    content = contents[index]
    if previous is None or settings.start == "noise":
        start, iterations = first_start(settings, content, content.shape[:2]), settings.iterations
    else:
        start, iterations = previous, settings.later_iterations
    if previous is None or (settings.start != "warped" and settings.temporal_weight == 0):
        return start, iterations, None, None
    backward, mask = motion(content, contents[index - 1])
    warped = warp(previous[0], backward)[np.newaxis]
    if settings.start == "warped":
        start = warped.astype(np.float64)
    if settings.temporal_weight == 0:
        return start, iterations, None, None
    return start, iterations, warped, mask


def paint_frames(painter, settings, contents, indices, previous=None):
    """Paint the frames `indices` (one after another in the clip) with `painter` (a
    VideoPainter) as `settings` (FrameSettings) say, each from the one before, the first from
    `previous` (the painting before it, preprocessed) or, if None, from scratch. Yields (index,
    painting as painted (RGB), Evaluator, seconds) as each frame is finished: the clip's run
    here, and a cluster's worker painting one span."""
    for index in indices:
        began = time.time()
        start, iterations, warped, mask = frame_plan(settings, index, contents, previous)
        evaluator = painter.paint(contents[index], start, iterations, warped, mask)
        painting = st.deprocess(evaluator.best_x, contents[index].shape[:2])
        previous = st.preprocess(painting, painting.shape[:2])
        yield index, painting, evaluator, time.time() - began
