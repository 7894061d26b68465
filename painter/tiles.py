"""Tiles' geometry: a picture too large to paint whole, cut into overlapping tiles and joined.

Plain numpy, like colors.py. A tiled stage (tiling.py) paints each tile with the lesson's
loss, then blends the tiles back into the whole picture with weights that
fall off towards each tile's edge (a feathered window) and sum to one at every pixel, so a
pixel in an overlap is a weighted mean of the tiles that cover it and no seam is left where one
tile ends. Beyond the tutorial; the lesson does not need it.
"""
import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Tile:
    """One tile: its top-left corner and its size, in the whole picture's pixels."""
    top: int
    left: int
    height: int
    width: int

    @property
    def region(self):
        """The tile's part of an array shaped like the picture: picture[tile.region]."""
        return slice(self.top, self.top + self.height), slice(self.left, self.left + self.width)


def starts(length, tile, overlap):
    """Where tiles of `tile` pixels begin along a side of `length`, each overlapping the one
    before by `overlap` pixels; the last one is moved back to end at the edge (so it may overlap
    its neighbour by more). One tile if the side is no longer than a tile."""
    if length <= tile:
        return [0]
    stride = tile - overlap
    count = math.ceil((length - tile) / stride) + 1
    return [min(i * stride, length - tile) for i in range(count)]


def tile_grid(shape, tile, overlap):
    """The tiles, row by row, that cover a picture of `shape` (height, width): at most `tile`
    pixels a side, neighbours overlapping by at least `overlap` pixels."""
    if not 0 <= overlap < tile:
        raise ValueError(f"the overlap ({overlap}) must be at least 0 and less than the tile "
                         f"({tile})")
    height, width = shape
    return [Tile(top, left, min(tile, height), min(tile, width))
            for top in starts(height, tile, overlap) for left in starts(width, tile, overlap)]


def overlap(a, b):
    """Whether tiles `a` and `b` share a pixel (a tile overlaps itself)."""
    return (min(a.top + a.height, b.top + b.height) > max(a.top, b.top)
            and min(a.left + a.width, b.left + b.width) > max(a.left, b.left))


def ramp(length, before, after):
    """One side's weights for a tile `length` long that overlaps its neighbours by `before`
    pixels at its start and `after` at its end: rising from near 0 to 1 across each overlap
    (a raised cosine, smooth at both ends), 1 between. Never 0, so every pixel of a tile counts
    a little, even at the picture's edge where nothing overlaps it."""
    weights = np.ones(length)
    for size, side in ((before, slice(None, None)), (after, slice(None, None, -1))):
        if size > 0:
            t = (np.arange(size) + 0.5) / size
            weights[side][:size] = np.minimum(weights[side][:size], 0.5 - 0.5 * np.cos(np.pi * t))
    return weights


def overlaps(tiles, tile):
    """How much `tile` overlaps its neighbours at its top, bottom, left and right edges."""
    top = bottom = left = right = 0
    for other in tiles:
        if other is tile:
            continue
        rows = min(tile.top + tile.height, other.top + other.height) - max(tile.top, other.top)
        cols = min(tile.left + tile.width, other.left + other.width) - max(tile.left, other.left)
        if rows <= 0 or cols <= 0:
            continue
        if other.top < tile.top:
            top = max(top, rows)
        if other.top + other.height > tile.top + tile.height:
            bottom = max(bottom, rows)
        if other.left < tile.left:
            left = max(left, cols)
        if other.left + other.width > tile.left + tile.width:
            right = max(right, cols)
    return top, bottom, left, right


def blend_weights(tiles, shape):
    """Each tile's weights (its height x width), feathered across its overlaps and divided by
    their sum over every tile covering the pixel, so that they sum to one everywhere."""
    windows = []
    for tile in tiles:
        top, bottom, left, right = overlaps(tiles, tile)
        windows.append(np.outer(ramp(tile.height, top, bottom), ramp(tile.width, left, right)))
    total = np.zeros(shape)
    for tile, window in zip(tiles, windows):
        total[tile.region] += window
    return [window / total[tile.region] for tile, window in zip(tiles, windows)]


def split(picture, tiles):
    """The tiles' parts of `picture` (height x width x channels), as copies."""
    return [picture[tile.region].copy() for tile in tiles]


def join(pieces, tiles, shape):
    """The whole picture (`shape`: height, width) from its tiles' pieces, blended where they
    overlap. float64; the caller rounds it to a picture's 8 bits."""
    channels = pieces[0].shape[2:]
    picture = np.zeros((*shape, *channels))
    for piece, tile, weights in zip(pieces, tiles, blend_weights(tiles, shape)):
        picture[tile.region] += piece * weights.reshape(weights.shape + (1,) * len(channels))
    return picture


class Canvas:
    """A tiled stage's whole picture while its tiles are painted one after another: the start
    (the previous stage's picture enlarged) where no tile is finished yet, the finished tiles
    blended where they are. Any array shaped (height, width, ...) works: the painter keeps it
    preprocessed."""

    def __init__(self, start, tiles):
        self.start = np.asarray(start, dtype=np.float64)
        self.tiles = tiles
        self.weights = blend_weights(tiles, self.start.shape[:2])
        self.sum = np.zeros_like(self.start)               # finished tiles x their weights
        self.covered = np.zeros(self.start.shape[:2])      # and their weights' sum
        self.pieces = [None] * len(tiles)                  # each tile's painting, once done

    def _spread(self, weights):
        return weights.reshape(weights.shape + (1,) * (self.start.ndim - 2))

    def start_of(self, index):
        """Where tile `index` starts: the finished neighbours' pixels where they reach into it
        (so that it carries on from them and they agree in the overlap), else the start."""
        region = self.tiles[index].region
        covered = self._spread(self.covered[region])
        painted = self.sum[region] / np.maximum(covered, 1e-12)
        return np.where(covered > 0, painted, self.start[region])

    def add(self, index, piece):
        """Tile `index` finished: `piece`, its painting, blended in (in place of the one it
        had, if it was painted before)."""
        region, weights = self.tiles[index].region, self._spread(self.weights[index])
        if self.pieces[index] is None:
            self.covered[region] += self.weights[index]
        else:
            self.sum[region] -= self.pieces[index] * weights
        self.pieces[index] = np.array(piece, dtype=np.float64)
        self.sum[region] += self.pieces[index] * weights

    def picture(self):
        """The whole picture now: finished tiles only, never one still being painted; once
        every tile is in, the tiles joined (join)."""
        return self.sum + self._spread(1.0 - self.covered) * self.start
