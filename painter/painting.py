"""A picture being painted: its start, its L-BFGS runs, what its watcher hears, a whole stage.

A Painter (paint.py) paints a picture stage by stage into a Run, the picture's state; each stage
is a WholeStage (here) or a tiling.TiledStage, with one interface: paint(), and the hooks a
Descent (one L-BFGS run) calls: started(loss), iteration_done(evaluator), picture(evaluator).
"""
from dataclasses import dataclass, field, replace

import numpy as np

import style_transfer as st
from painter.colors import color_inputs, color_result
from painter.easel import digest
from painter.settings import painting_shapes


# ---------------------------------------------------------------------------------------------
# What a Painter says as it paints, and what it returns
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class Iteration:
    """What a Painter tells its watcher after each iteration: the best picture so far (RGB,
    at the stage's size), its loss and the loss's parts."""
    stage: int          # 0 for the first size
    stages: int
    number: int         # 1 to `iterations`, within the stage
    iterations: int
    picture: np.ndarray
    loss: float
    parts: dict
    evaluations: int    # in the whole run so far


class Watcher:
    """What a Painter reports to as it paints: the command line prints and saves, the studio
    shows. Override what you need."""

    def stage_begins(self, stage, shape, iterations):
        """Stage `stage` (0 for the first size) is about to be built, at `shape`."""

    def stage_started(self, stage, loss):
        """Its first evaluation, from the start (stage 0) or the previous stage's picture."""

    def tile_started(self, visit, loss):
        """In a tiled stage, instead: which tile it paints now (a TileVisit), its first loss."""

    def iteration_done(self, iteration):
        """After every iteration: an Iteration."""

    def evaluation_done(self, evaluator):
        """After every run of the graph: the stage's Evaluator (its loss_value, best_loss)."""

    def should_stop(self):
        """Asked between two evaluations: True ends the run, keeping the best picture."""
        return False


@dataclass
class Painting:
    """What Painter.paint returns. `picture` is the best picture of the last stage reached (RGB
    at `shape`; None if stopped before the first iteration: nothing painted yet, the start
    is no result), and `loss` its loss (in a tiled
    stage, the last tile's: no graph holds the whole picture); `history` every evaluation's
    {"loss": ..., part: ...}, and `stage_starts` where in it each stage began; `stopped` says
    the watcher stopped it, `failure` why it failed (the loss overflowed), if it did."""
    picture: np.ndarray = None
    shape: tuple = None
    loss: float = np.inf
    parts: dict = field(default_factory=dict)
    history: list = field(default_factory=list)
    stage_starts: list = field(default_factory=list)
    painted: np.ndarray = None    # the picture as painted, before --preserve-color's swap
    stopped: bool = False
    failure: str = None


class Stopped(Exception):
    """Raised between two evaluations when the watcher asked to stop."""


class Flat(Exception):
    """Raised after an iteration that lowered the loss by less than PaintSettings.flat."""


def flattened(before, after, flat):
    """True when an iteration that took the loss from `before` to `after` lowered it by less
    than the fraction `flat` (None: never). A stage that has flattened has done most of what
    it can at its size; the next, larger one has far to go and learns faster."""
    return flat is not None and before - after < flat * before


# ---------------------------------------------------------------------------------------------
# Where a stage starts, and the pixels' bounds
# ---------------------------------------------------------------------------------------------
def starting_image(init, content, styles, shape, seed):
    """The image the optimisation starts from, already preprocessed: "noise" (the tutorial's),
    "content" (the photo), "style" (the first painting) or any RGB image."""
    if isinstance(init, str) and init == "noise":
        return st.random_start(shape, seed)
    image = {"content": content, "style": styles[0]}[init] if isinstance(init, str) else init
    return st.preprocess(image, shape).astype(np.float64)


def enlarged(picture, content, shape, keep_detail=False):
    """A coarse stage's picture at the next stage's `shape`, preprocessed: resized, and with
    `keep_detail` the photo's own detail at the new size added back (the photo minus the photo
    resized down to the picture's size and up again). Resizing up blurs: the content loss then
    starts far from its minimum, and L-BFGS spends its first evaluations putting back the
    photo's edges, which the photo itself can give for free."""
    x = st.preprocess(picture, shape).astype(np.float64)
    if keep_detail:
        coarse = st.resize(content, picture.shape[:2])
        x += st.preprocess(content, shape) - st.preprocess(coarse, shape)
    return x


def pixel_bounds(shape):
    """L-BFGS-B's bounds (the B) that keep every pixel of a picture of `shape` between 0 and
    255 while it is optimised: (low, high) for each of its values, preprocessed (BGR, the mean
    removed). The tutorial optimised without them, and L-BFGS pushed pixels far past black and
    white, which the saved picture clips: its picture's loss, as saved, is about 1.5 times the
    loss it printed (make bench). Inside the bounds the picture saved is the one optimised."""
    low = np.tile(-st.IMAGENET_MEAN_BGR.astype(np.float64), shape[0] * shape[1])
    return np.stack([low, low + 255.0], axis=1)


# ---------------------------------------------------------------------------------------------
# A picture being painted, and one L-BFGS run of it
# ---------------------------------------------------------------------------------------------
class Run:
    """One picture being painted by a Painter: its photo and paintings (as --preserve-color
    paints with them), its watcher, and the Painting so far, which the stages paint into."""

    def __init__(self, *, painter, photo, paintings, watcher):
        self.painter = painter
        self.photo = photo
        self.content, self.styles = color_inputs(photo, paintings,
                                                 painter.paint_settings.preserve_color)
        self.watcher = watcher
        self.painting = Painting()
        self.iterations = 0  # done in the whole run: before the first, nothing is painted

    def evaluated(self, evaluator):
        """The Evaluator's hook: record the evaluation, tell the watcher, stop if asked."""
        self.painting.history.append({"loss": evaluator.loss_value, **evaluator.part_values})
        self.watcher.evaluation_done(evaluator)
        self.stop_if_asked()

    def stop_if_asked(self):
        if self.watcher.should_stop():
            raise Stopped

    def keep_best(self, stage, evaluator):
        """The stage's best picture so far into the Painting (as painted, and as shown), once
        the run has painted at least one iteration."""
        if evaluator.best_x is None or not self.iterations:
            return
        painted = st.deprocess(stage.picture(evaluator), stage.shape)
        self.painting.painted = painted
        self.painting.picture = color_result(painted, st.resize(self.photo, stage.shape),
                                             self.painter.paint_settings.preserve_color)
        self.painting.shape, self.painting.loss = stage.shape, evaluator.best_loss
        self.painting.parts = evaluator.best_parts


class Descent:
    """One L-BFGS run from a start through a graph: a whole stage's, or one tile's of it, for
    `iterations` iterations or until the loss flattens (PaintSettings.flat). After each
    iteration the stage's picture is kept in the Run and the watcher hears of it."""

    def __init__(self, *, run, stage, graph, shape, iterations):
        self.run, self.stage, self.shape, self.iterations = run, stage, shape, iterations
        self.evaluator = st.Evaluator(graph.f_outputs, shape, graph.parts, run.evaluated)
        self.last_loss = None  # the loss after the last iteration: has it flattened?

    def go(self, x):
        how = self.run.painter.paint_settings
        self.run.stop_if_asked()
        try:
            self.last_loss = self.evaluator.loss(x.ravel())
            self.stage.started(self.last_loss)
            optimize = st.optimize_restarted if how.restarts else st.optimize_continuous
            optimize(self.evaluator, x, self.iterations, self.iteration_done,
                     pixel_bounds(self.shape) if how.bounded else None)
        except Flat:
            pass  # on to the next stage, where the same loss still has far to go
        finally:
            self.run.keep_best(self.stage, self.evaluator)

    def iteration_done(self, number):
        self.stage.iteration_done(self.evaluator)  # before the save: a tile joins the picture
        self.run.iterations += 1
        self.run.keep_best(self.stage, self.evaluator)
        painting = self.run.painting
        self.run.watcher.iteration_done(Iteration(
            stage=self.stage.number, stages=len(self.run.painter.paint_settings.sizes),
            number=number, iterations=self.iterations, picture=painting.picture,
            loss=painting.loss, parts=painting.parts, evaluations=len(painting.history)))
        before, self.last_loss = self.last_loss, painting.loss
        if number < self.iterations and flattened(before, painting.loss,
                                                  self.run.painter.paint_settings.flat):
            raise Flat


class WholeStage:
    """A stage painted whole: one graph at the stage's size (its Painter's Easel keeps it for
    the next picture of the same shape, paintings and loss), one L-BFGS run of its iterations."""

    def __init__(self, *, run, number, shape, start):
        self.run, self.number, self.shape, self.start = run, number, shape, start
        self.iterations = run.painter.paint_settings.iterations[number]

    def paint(self):
        Descent(run=self.run, stage=self, graph=self.graph(), shape=self.shape,
                iterations=self.iterations).go(self.start)

    def graph(self):
        painter, run = self.run.painter, self.run
        loss = painter.loss_settings
        content = st.preprocess(run.content, self.shape)
        how = painter.paint_settings
        shapes = painting_shapes(self.shape, run.styles, style_scale=how.style_scale,
                                 style_shape=how.style_shape)
        styles = [st.preprocess(style, shape) for style, shape in zip(run.styles, shapes)]
        key = ("whole", str(painter.weights_path), self.shape, replace(loss, style_masks=None),
               digest(loss.style_masks or ()), tuple(shapes), digest(run.styles))
        graph, kept = painter.easel.get(key, lambda: painter.build_graph(content, styles))
        if kept:  # built for another photo of the same size
            graph.set_content(content)
        return graph

    def started(self, loss):
        self.run.watcher.stage_started(self.number, loss)

    def iteration_done(self, evaluator):
        """Nothing to add: the stage's picture is the evaluator's best."""

    def picture(self, evaluator):
        return evaluator.best_x
