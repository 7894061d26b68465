"""The Painter: paints photos stage by stage, coarse to fine, each stage whole or in tiles."""
from tf_keras import backend as K

import style_transfer as st
from painter.easel import Easel
from painter.painting import Run, Stopped, WholeStage, Watcher, enlarged, starting_image
from painter.settings import PaintSettings
from painter.tiling import TiledStage


class Painter:
    """Paints photos with one set of settings, as often as asked: `loss_settings` (the lesson's
    LossSettings: what the picture must be) and `paint_settings` (PaintSettings: the path to
    it). Each stage of paint_settings.sizes starts from the previous stage's best picture,
    enlarged, and is painted whole (painting.WholeStage) or, longer than paint_settings.tile,
    in tiles (tiling.TiledStage). Nothing is left over from one picture to the next but the
    last graph, which `easel` keeps for the next picture that needs the same one."""

    def __init__(self, *, weights_path, loss_settings=st.LossSettings(),
                 paint_settings=PaintSettings(), easel=None):
        self.weights_path = weights_path
        self.loss_settings = loss_settings
        self.paint_settings = paint_settings
        self.easel = easel or Easel()

    def paint(self, photo, paintings, watcher=None):
        """Paint `photo` (RGB) in the style of `paintings` (RGB): a painting.Painting."""
        run = Run(painter=self, photo=photo, paintings=paintings, watcher=watcher or Watcher())
        st.use_graph_mode()
        try:
            for number, size in enumerate(self.paint_settings.sizes):
                self.paint_stage(run, number, st.result_shape(run.content, size))
        except Stopped:
            run.painting.stopped = True
        except FloatingPointError as error:
            run.painting.failure = str(error)
        return run.painting

    def build_graph(self, content, styles):
        """A whole stage's graph (the lesson's), for `content` and `styles` preprocessed."""
        K.clear_session()  # the previous graph, whose sizes no longer fit
        return st.build_loss_and_grads(content, styles, self.weights_path, self.loss_settings)

    def paint_stage(self, run, number, shape):
        how = self.paint_settings
        if number == 0:
            start = starting_image(how.init, run.content, run.styles, shape, how.seed)
        else:
            start = enlarged(run.painting.painted, run.content, shape, how.keep_detail)
        run.watcher.stage_begins(number, shape, how.iterations[number])
        run.stop_if_asked()
        run.painting.stage_starts.append(len(run.painting.history))
        tiled = how.tile is not None and max(shape) > how.tile
        (TiledStage if tiled else WholeStage)(run=run, number=number, shape=shape,
                                              start=start).paint()
