"""A stage painted in tiles (posters): each tile's part of the whole picture's loss, in sweeps.

The lesson's losses count each position by a weight (style_transfer.PositionWeights); a tile's
graph weighs its positions by the tile's blend weights (tiles.py), and its style targets are
the paintings' Gram matrices less the other tiles' parts (WholeStyle), so that painting each
tile paints the whole picture's loss; with --style-loss w2 the others' moments are added to
the tile's instead.
"""
from dataclasses import dataclass, replace

import numpy as np
from tf_keras import backend as K

import style_transfer as st
from painter import tiles
from painter.painting import Descent
from painter.settings import painting_shapes



@dataclass(frozen=True, kw_only=True)
class TileVisit:
    """Which tile a tiled stage paints now: tile `index` of `count` (`tile`, a tiles.Tile),
    in sweep `sweep` of `sweeps` over them all."""
    index: int
    count: int
    tile: object
    sweep: int
    sweeps: int


def tile_graph(tile_array, paintings, weights_path, loss_settings, whole):
    """The fast path's graph for a tile (`tile_array`, preprocessed) of a picture of `whole`
    (height, width) size, with `paintings` paintings, and its PositionWeights: the paintings'
    Gram targets and the weights are variables, set for each tile by WholeStyle, so that one
    graph serves every tile. The masks' part is in the weights (WholeStyle.shares)."""
    settings = replace(loss_settings, style_masks=None)
    features = st.fast_features(tile_array, [], weights_path, settings)
    extra = settings.style_loss != "gram"  # a moments matrix has a row and column more

    def variables():
        return [{name: K.variable(np.zeros((K.int_shape(features.combination[name])[-1]
                                            + extra,) * 2, np.float32))
                 for name in settings.style_layers} for _ in range(paintings)]
    features.style_grams = variables()
    # The Gram loss is a difference, so the others' part can come off its target; the W2
    # loss is not, and takes the whole picture's moments: the tile's plus the others'.
    features.style_rest = variables() if extra else None
    ones = np.ones((1, *tile_array.shape[1:3], 1), np.float32)
    weights = st.PositionWeights(whole=tuple(whole), pixels=K.variable(ones),
                                 styles=tuple(K.variable(ones) for _ in range(paintings)))
    return st.loss_and_grads(features, settings, st.SIZE / max(whole), weights=weights), weights


class WholeStyle:
    """A tiled stage's style loss: the whole picture's, not each tile's own.

    A Gram matrix is a sum over positions, and the tiles' blend weights sum to one at every
    pixel, so the whole picture's Gram matrix is the sum of the tiles', each position counted
    by its share. While one tile is painted the others are held as they are on the canvas:
    its target is the painting's Gram matrix less the others' shares, and matching it matches
    the whole picture's. (A tile matching the painting by itself gets smaller, busier brush
    marks than the whole picture would.) The paintings' Gram matrices are summed the same way,
    in pieces of a tile's size, so no pass through VGG16 is larger than a tile."""

    def __init__(self, *, features, weights, canvas, photo, paintings, masks, tile, overlap):
        """`features` and `weights`: the tile graph's (tile_graph); `canvas`: the stage's
        tiles.Canvas, whose tiles and blend weights it shares; `photo` and `paintings`
        preprocessed; `tile` and `overlap`: the pieces the paintings are measured in."""
        self.features, self.positions = features, weights
        self.grid, self.weights = canvas.tiles, canvas.weights
        shape = canvas.start.shape[:2]
        # A mask counts each pixel by its square, scaled to a mean of 1 (st.mask_weights).
        masks = [None if m is None else np.square(st.resize_mask(m, shape))
                 for m in masks or [None] * len(paintings)]
        self.masks = [None if m is None else m / np.mean(m) for m in masks]
        self.targets = []
        for painting in paintings:
            # A painting of another size (--style-scale): scaled to the picture's positions.
            self.targets.append({name: st.as_if_sized(gram, name, shape, painting.shape[1:3])
                                 for name, gram in self.in_pieces(painting, tile, overlap).items()})
        # With w2, each tile's loss is over the whole photo's spreads, not the tile's own (set
        # with its photo by set_content), so that every tile counts the layers alike.
        self.photo_spreads = None if features.photo_spreads is None else {
            name: np.trace(st.mean_and_covariance(moments)[1])
            for name, moments in self.in_pieces(photo, tile, overlap).items()}
        self.grams = [None] * len(self.grid)  # each tile's, measured once it is painted
        # Until a tile is first painted it still holds the enlarged picture, blurred, whose
        # Gram matrices are smaller than a painted tile's: counted as they are, the first tiles
        # would make up for them with the busiest marks. So each counts as its fair part of
        # the painting's (its share of the picture's positions) until it is painted.
        shares = [[np.sum(share) for share in self.shares(i)] for i in range(len(self.grid))]
        totals = np.sum(shares, axis=0)
        self.fair = [np.array(tile) / totals for tile in shares]
        self.unpainted = set(range(len(self.grid)))

    def in_pieces(self, image, tile, overlap):
        """{layer: Gram matrix} of a whole preprocessed `image` (1, h, w, 3), summed from pieces
        of a tile's size, so that no pass through VGG16 is larger than a tile."""
        pieces = tiles.tile_grid(image.shape[1:3], tile, overlap)
        parts = [self.grams_of(image[0][piece.region], weights) for piece, weights in
                 zip(pieces, tiles.blend_weights(pieces, image.shape[1:3]))]
        return {name: sum(part[name] for part in parts) for name in parts[0]}

    def grams_of(self, pixels, share):
        """{layer: Gram matrix} of preprocessed `pixels` (h, w, 3), weighted by `share`."""
        grams = self.features.grams_of([pixels[np.newaxis], share[np.newaxis, :, :, np.newaxis]])
        return dict(zip(self.features.style_grams[0], (g.astype(np.float64) for g in grams)))

    def shares(self, index):
        """Tile `index`'s share of each pixel, for each painting (its mask's part in it)."""
        weights, region = self.weights[index], self.grid[index].region
        return [weights if mask is None else weights * mask[region] for mask in self.masks]

    def measure(self, index, picture):
        """Tile `index`'s Gram matrices on `picture` (the whole, preprocessed), per painting."""
        pixels, shares = picture[self.grid[index].region], self.shares(index)
        self.grams[index] = [self.grams_of(pixels, share) for share in shares]

    def aim_at(self, index):
        """Set the graph up for tile `index`: its shares, and targets that make its Gram
        matrices plus the other tiles' (as last measured) the paintings'."""
        shares = self.shares(index)
        for name, spread in (self.photo_spreads or {}).items():
            K.set_value(self.features.photo_spreads[name], spread)
        K.set_value(self.positions.pixels, self.weights[index][np.newaxis, :, :, np.newaxis])
        for i, (target, share) in enumerate(zip(self.targets, shares)):
            K.set_value(self.positions.styles[i], share[np.newaxis, :, :, np.newaxis])
            for name, variable in self.features.style_grams[i].items():
                rest = sum(target[name] * self.fair[other][i] if other in self.unpainted
                           else grams[i][name] for other, grams in enumerate(self.grams)
                           if other != index)
                if self.features.style_rest is None:
                    K.set_value(variable, target[name] - rest)
                else:
                    K.set_value(variable, target[name])
                    K.set_value(self.features.style_rest[i][name], rest)

    def painted(self, index, picture):
        """Tile `index` is finished and blended into `picture`: measure it and its neighbours
        (whose overlaps with it changed) again."""
        self.unpainted.discard(index)
        for other, tile in enumerate(self.grid):
            if tiles.overlap(tile, self.grid[index]):
                self.measure(other, picture)


class TiledStage:
    """A stage too large to paint whole, in overlapping tiles (tiles.py), each an L-BFGS run
    through its part of the whole picture's loss from the picture so far: the stages before
    fixed the composition, the tiles refine the brushwork. The photo's features are each
    tile's own; the style loss is the whole picture's (WholeStyle), so neighbours do not drift
    apart. The stage's iterations are sweeps over the tiles, one iteration per tile each: a
    tile painted once and for all would make up for the tiles not yet painted (still the
    enlarged picture, blurred), and the first ones would get the busiest marks. Tiles always
    use the fast graph."""

    def __init__(self, *, run, number, shape, start):
        self.run, self.number, self.shape = run, number, shape
        painter, how = run.painter, run.painter.paint_settings
        self.sweeps = how.iterations[number]
        self.grid = tiles.tile_grid(shape, how.tile, how.tile_overlap)
        self.canvas = tiles.Canvas(start[0], self.grid)
        self.photo = st.resize(run.content, shape)
        first = self.grid[0]
        self.tile_shape = (first.height, first.width)  # every tile is one size: one graph
        key = ("tiles", str(painter.weights_path), self.tile_shape, shape,
               replace(painter.loss_settings, style_masks=None), len(run.styles))

        def build():
            K.clear_session()
            return tile_graph(st.preprocess(self.photo[first.region], self.tile_shape),
                              len(run.styles), painter.weights_path, painter.loss_settings,
                              shape)

        (self.graph, weights), _ = painter.easel.get(key, build)
        self.style = WholeStyle(
            features=self.graph.features, weights=weights, canvas=self.canvas,
            photo=st.preprocess(self.photo, shape),
            paintings=[st.preprocess(painting, painting_shape) for painting, painting_shape
                       in zip(run.styles, painting_shapes(shape, run.styles,
                                                          style_scale=how.style_scale,
                                                          style_shape=how.style_shape))],
            masks=painter.loss_settings.style_masks, tile=how.tile, overlap=how.tile_overlap)
        self.visit = None  # the tile being painted (a TileVisit)

    def paint(self):
        for visit in range(self.sweeps * len(self.grid)):
            index = visit % len(self.grid)
            tile = self.grid[index]
            self.graph.set_content(st.preprocess(self.photo[tile.region], self.tile_shape))
            self.style.aim_at(index)
            self.visit = TileVisit(index=index, count=len(self.grid), tile=tile,
                                   sweep=visit // len(self.grid) + 1, sweeps=self.sweeps)
            Descent(run=self.run, stage=self, graph=self.graph, shape=self.tile_shape,
                    iterations=1).go(self.canvas.start_of(index)[np.newaxis])

    def started(self, loss):
        self.run.watcher.tile_started(self.visit, loss)

    def iteration_done(self, evaluator):
        """The tile just painted, into the whole picture, and its part of the style measured
        for the tiles after it (its one iteration is over, so it is finished)."""
        tile = self.visit.tile
        self.canvas.add(self.visit.index, evaluator.best_x.reshape((tile.height, tile.width, 3)))
        self.style.painted(self.visit.index, self.canvas.picture())

    def picture(self, evaluator):
        """The whole picture with its finished tiles, never one being painted."""
        return self.canvas.picture()
