"""Tiled stages (--tile, Painter.paint_tiles): each tile's style loss is the whole picture's
(checked against numpy on VGG16's features), a tiny tiled run gives a valid picture
whose loss falls, a stop keeps only whole tiles, and bad tile options are usage errors. The
tiles' geometry is tests/test_tiles.py's."""
import numpy as np
import pytest

import command_line as cli
import style_transfer as st
import tiles
from helpers import CONTENT, STYLE, assert_one_line_error, main_says

WHOLE, TILE, OVERLAP = (64, 96), 64, 16
LAYERS = ("block1_conv2", "block2_conv2")


def features(image, layers, weights_path):
    """VGG16's features of a preprocessed image at `layers`, as numpy arrays (positions x
    channels): a plain Keras model, apart from the painter's graph."""
    model = st.vgg16(st.K.placeholder((1, None, None, 3)), weights_path)
    fetch = st.K.function([model.input], [model.get_layer(name).output for name in layers])
    return [f[0].reshape(-1, f.shape[-1]).astype(np.float64) for f in fetch([image])]


def pooled(weights, times):
    """Per-pixel weights at a layer `times` poolings down: 2x2 means, rounding down (numpy)."""
    for _ in range(times):
        h, w = weights.shape[0] // 2 * 2, weights.shape[1] // 2 * 2
        weights = weights[:h, :w].reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))
    return weights.reshape(-1, 1)


def weighted_grams(image, weights, weights_path):
    """Each LAYERS' Gram matrix of a preprocessed image, each position counted by `weights`
    (pixel weights, pooled to the layer: block1 none, block2 once)."""
    return [f.T @ (f * pooled(weights, times)) for times, f in
            enumerate(features(image, LAYERS, weights_path))]


def test_a_tiles_style_loss_is_the_whole_pictures(weights_path, fresh_graph):
    """The tile's style loss, checked in numpy: its blend-weighted Gram matrices plus the
    other tile's (its fair part until painted, then as on the canvas), against the painting's, summed the same way in pieces,
    normalised by the whole picture's size."""
    photo, painting = cli.load_image(CONTENT), cli.load_image(STYLE)
    loss = st.LossSettings(fast=True, style_layers=LAYERS, content_weight=0.0, tv_weight=0.0)
    how = st.PaintSettings(tile=TILE, tile_overlap=OVERLAP)
    painter = st.Painter(weights_path, loss, how)
    grid = tiles.tile_grid(WHOLE, TILE, OVERLAP)
    tile = grid[1]
    tile_shape = (tile.height, tile.width)
    graph = painter.build_graph(tile_shape, st.resize(photo, WHOLE)[tile.region], [painting],
                                whole=WHOLE)
    styled = st.preprocess(painting, WHOLE)
    canvas = st.random_start(WHOLE, seed=3)[0]
    style = st.WholeStyle(graph.features, grid, canvas, [styled], None, how)
    x = st.random_start(tile_shape, seed=4).astype(np.float32)
    got = []
    for painted in (False, True):  # before and after the other tile is first painted
        if painted:
            style.painted(0, canvas)
        style.aim_at(1)
        _, _, *parts = graph.f_outputs([x])
        got.append(float(dict(zip(graph.parts, parts))["style 1"]))

    st.K.clear_session()
    weights = tiles.blend_weights(grid, WHOLE)
    assert np.allclose(sum(np.pad(w, ((t.top, WHOLE[0] - t.top - t.height),
                                      (t.left, WHOLE[1] - t.left - t.width)))
                           for t, w in zip(grid, weights)), 1.0)
    pieces = [weighted_grams(styled[0][t.region][np.newaxis], w, weights_path)
              for t, w in zip(grid, weights)]
    mine = weighted_grams(x, weights[1], weights_path)
    # Not yet painted, the other tile counts as its share of the picture's positions times
    # the painting's Gram matrix; once painted, as its Gram matrix on the canvas.
    fair = weights[0].sum() / (weights[0].sum() + weights[1].sum())
    for got_now, other in zip(got, [
            [(a + b) * fair for a, b in zip(*pieces)],
            weighted_grams(canvas[grid[0].region][np.newaxis], weights[0], weights_path)]):
        total = sum(np.sum((a + b - (o + m)) ** 2) for a, b, o, m in zip(*pieces, other, mine))
        expected = st.STYLE_WEIGHT / len(LAYERS) * total / (4 * 9 * (WHOLE[0] * WHOLE[1]) ** 2)
        assert got_now == pytest.approx(expected, rel=2e-3)
    # And the pieces' sum is the painting's own Gram matrix, nearly: only the features near
    # the pieces' edges differ, where VGG16 sees zeros instead of the neighbour's pixels.
    whole = weighted_grams(styled, np.ones(WHOLE), weights_path)
    for a, b, w in zip(*pieces, whole):
        assert np.abs(a + b - w).sum() / np.abs(w).sum() < 0.1


class Recorder(st.Watcher):
    """Each tile's start loss and every iteration's loss; stops once `stop_in` tiles began."""

    def __init__(self, stop_in=None):
        self.visits, self.starts, self.losses, self.stop_in = [], [], [], stop_in

    def tile_started(self, visit, loss):
        self.visits.append((visit.index, visit.sweep, visit.sweeps))
        self.starts.append(loss)
        self.losses.append([])

    def iteration_done(self, iteration):
        self.losses[-1].append(iteration.loss)

    def should_stop(self):
        return self.stop_in is not None and len(self.starts) >= self.stop_in


@pytest.mark.slow
def test_a_tiny_tiled_run_gives_a_valid_picture_whose_loss_falls(weights_path, fresh_graph):
    photo, painting = cli.load_image(CONTENT), cli.load_image(STYLE)
    loss = st.LossSettings(fast=True)
    how = st.PaintSettings(sizes=(96,), iterations=(2,), seed=0, tile=TILE,
                           tile_overlap=OVERLAP)
    watcher = Recorder()
    result = st.Painter(weights_path, loss, how).paint(photo, [painting], watcher)
    assert result.picture.shape == WHOLE + (3,) and result.picture.dtype == np.uint8
    assert result.picture.std() > 10  # a picture, not a flat field
    assert len(tiles.tile_grid(WHOLE, TILE, OVERLAP)) == 2
    # Two iterations: two sweeps over the two tiles, one iteration each.
    assert watcher.visits == [(0, 1, 2), (1, 1, 2), (0, 2, 2), (1, 2, 2)]
    for start, losses in zip(watcher.starts, watcher.losses):
        assert len(losses) == 1 and losses[-1] < start
    # The whole picture's loss, by one untiled graph at its size: below the start's.
    st.K.clear_session()
    whole = st.build_loss_and_grads(st.preprocess(photo, WHOLE), [st.preprocess(painting,
                                                                                WHOLE)],
                                    weights_path, loss)
    loss_of = lambda x: float(whole.f_outputs([x.astype(np.float32)])[0])  # noqa: E731
    assert loss_of(st.preprocess(result.picture, WHOLE)) < loss_of(st.random_start(WHOLE, 0))


@pytest.mark.slow
def test_a_stop_in_a_tile_keeps_the_whole_picture_with_the_finished_tiles(weights_path,
                                                                          fresh_graph):
    photo, painting = cli.load_image(CONTENT), cli.load_image(STYLE)
    how = st.PaintSettings(sizes=(96,), iterations=(2,), seed=0, tile=TILE,
                           tile_overlap=OVERLAP)
    result = st.Painter(weights_path, st.LossSettings(fast=True), how).paint(
        photo, [painting], Recorder(stop_in=2))
    assert result.stopped and result.picture.shape == WHOLE + (3,)
    first, second = tiles.tile_grid(WHOLE, TILE, OVERLAP)
    start = st.deprocess(st.random_start(WHOLE, 0), WHOLE)
    # Where only the second tile reaches, the picture is still the start: none of it painted.
    only_second = np.s_[:, first.left + first.width:]
    assert np.array_equal(result.picture[only_second], start[only_second])
    assert not np.array_equal(result.picture[:, :second.left], start[:, :second.left])


@pytest.mark.parametrize("options, words", [
    (["--tile", "16"], ["--tile", "32"]),
    (["--tile", "64", "--tile-overlap", "64"], ["--tile-overlap 64", "less than"]),
    (["--tile-overlap", "8"], ["--tile-overlap", "--tile"]),
])
def test_bad_tile_options_are_usage_errors(capsys, options, words):
    status, err = main_says([CONTENT, STYLE, "--fast", *options], capsys)
    assert_one_line_error(status, err, *words)


def test_tiles_need_the_fast_graph(capsys):
    status, err = main_says([CONTENT, STYLE, "--tile", "256"], capsys)
    assert_one_line_error(status, err, "--tile", "--fast")


def test_the_memory_check_counts_one_tile_and_names_the_largest_that_fits(monkeypatch):
    photo = cli.load_image(CONTENT)
    whole = st.activation_bytes(st.result_shape(photo, 2048), 1)
    # Room for the painting's one pass at the whole size (half a whole evaluation), not more.
    monkeypatch.setattr(cli, "available_memory", lambda: 1.5e9 + whole * 0.6)
    with pytest.raises(cli.UserError, match="--size 2048"):
        st.check_size(photo, [2048], batch=1)
    st.check_size(photo, [2048], batch=1, tile=512)  # a 512 px tile fits
    with pytest.raises(cli.UserError, match=r"--tile 2000: .* the largest tile that fits is "
                                            r"about \d+") as refused:
        st.check_size(photo, [2048], batch=1, tile=2000)
    fits = int(str(refused.value).rsplit(" ", 1)[-1])
    st.check_size(photo, [2048], batch=1, tile=fits)  # the tile it names does fit
    assert fits < 2000


@pytest.mark.slow
def test_masks_are_cut_to_each_tile(weights_path, fresh_graph, monkeypatch):
    """Two paintings, one on the left half and one on the right: each tile gets its part of
    each mask (a graph of its own), and the halves come out in their own painting's colours."""
    photo = cli.load_image(CONTENT)
    blue = np.zeros((64, 64, 3), np.uint8)
    blue[..., 2] = 200
    red = np.zeros((64, 64, 3), np.uint8)
    red[..., 0] = 200
    left = np.zeros(WHOLE)
    left[:, :WHOLE[1] // 2] = 1.0
    loss = st.LossSettings(fast=True, style_masks=(left, 1.0 - left))
    how = st.PaintSettings(sizes=(96,), iterations=(3,), seed=0, init="content", tile=TILE,
                           tile_overlap=OVERLAP)
    shares = []
    original = st.WholeStyle.shares
    monkeypatch.setattr(st.WholeStyle, "shares",
                        lambda self, index: shares.append(original(self, index)) or shares[-1])
    result = st.Painter(weights_path, loss, how).paint(photo, [red, blue])
    first, second = tiles.tile_grid(WHOLE, TILE, OVERLAP)
    # Each tile's share of each painting is its part of that painting's mask: the left
    # tile's red share is zero where the mask is, on the right of the middle.
    red_share, blue_share = shares[0]
    middle = WHOLE[1] // 2 - first.left
    assert red_share[:, :middle].min() > 0 and red_share[:, middle:].max() == 0
    assert blue_share[:, :middle].max() == 0 and blue_share[:, middle:].min() > 0
    picture = result.picture.astype(float)
    quarter = WHOLE[1] // 4
    left_half, right_half = picture[:, :quarter], picture[:, -quarter:]
    assert left_half[..., 0].mean() > left_half[..., 2].mean()    # red on the left
    assert right_half[..., 2].mean() > right_half[..., 0].mean()  # blue on the right
