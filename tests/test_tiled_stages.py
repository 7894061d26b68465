"""Tiled stages (--tile, Painter.paint_tiles): each tile's style loss is the whole picture's
(checked against numpy on VGG16's features), a tiny tiled run gives a valid picture
whose loss falls, each save holds the tiles finished so far (the one just painted included), a
stop keeps only whole tiles, and bad tile options are usage errors. The
tiles' geometry is tests/test_tiles.py's."""
import imageio.v3 as iio
import numpy as np
import pytest
from PIL import Image

from tf_keras import backend as K

from painter import colors, files, memory, paint, settings, startup, still, still_run, tiles, tiling
from painter.painting import Watcher
from painter.words import duration
import style_transfer as st
from helpers import CONTENT, MOSAIC, STYLE, assert_one_line_error, main_says

pytestmark = pytest.mark.lesson  # needs only requirements.txt (make test-lesson)

WHOLE, TILE, OVERLAP = (64, 96), 64, 16
LAYERS = ("block1_conv2", "block2_conv2")


def features(image, layers, weights_path):
    """VGG16's features of a preprocessed image at `layers`, as numpy arrays (positions x
    channels): a plain Keras model, apart from the painter's graph."""
    model = st.vgg16(K.placeholder((1, None, None, 3)), weights_path)
    fetch = K.function([model.input], [model.get_layer(name).output for name in layers])
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
    other tile's (its fair part until painted, then as on the canvas), against the
    painting's, summed the same way in pieces, normalised by the whole picture's size."""
    photo, painting = files.load_image(CONTENT), files.load_image(STYLE)
    loss = st.LossSettings(fast=True, style_layers=LAYERS, content_weight=0.0, tv_weight=0.0)
    grid = tiles.tile_grid(WHOLE, TILE, OVERLAP)
    tile = grid[1]
    tile_shape = (tile.height, tile.width)
    graph, positions = tiling.tile_graph(
        st.preprocess(st.resize(photo, WHOLE)[tile.region], tile_shape), 1, weights_path, loss,
        WHOLE)
    styled = st.preprocess(painting, WHOLE)
    canvas = st.random_start(WHOLE, seed=3)[0]
    style = tiling.WholeStyle(features=graph.features, weights=positions,
                              canvas=tiles.Canvas(canvas, grid), photo=st.preprocess(photo, WHOLE),
                              paintings=[styled], masks=None,
                              tile=TILE, overlap=OVERLAP)
    x = st.random_start(tile_shape, seed=4).astype(np.float32)
    got = []
    for painted in (False, True):  # before and after the other tile is first painted
        if painted:
            style.painted(0, canvas)
        style.aim_at(1)
        _, _, *parts = graph.f_outputs([x])
        got.append(float(dict(zip(graph.parts, parts))["style 1"]))

    K.clear_session()
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


def test_with_w2_every_tile_is_measured_against_the_whole_photos_spreads(weights_path,
                                                                          fresh_graph):
    """--style-loss w2 divides by the photo's feature spreads: in a tile, the whole photo's
    (numpy's covariance of its features), not the tile's own, so no tile pulls harder."""
    photo = st.preprocess(files.load_image(CONTENT), WHOLE)
    loss = st.LossSettings(fast=True, style_layers=LAYERS, style_loss="w2")
    grid = tiles.tile_grid(WHOLE, TILE, OVERLAP)
    tile = grid[1]
    graph, positions = tiling.tile_graph(photo[:, tile.top:tile.top + tile.height,
                                               tile.left:tile.left + tile.width],
                                         1, weights_path, loss, WHOLE)
    spreads = graph.features.photo_spreads
    own = [K.get_value(spreads[name]) for name in LAYERS]
    style = tiling.WholeStyle(features=graph.features, weights=positions,
                              canvas=tiles.Canvas(photo[0], grid), photo=photo,
                              paintings=[st.preprocess(files.load_image(STYLE), WHOLE)],
                              masks=None, tile=TILE, overlap=OVERLAP)
    style.aim_at(1)
    got = [K.get_value(spreads[name]) for name in LAYERS]
    K.clear_session()
    want = [np.trace(np.cov(f.T, bias=True)) for f in features(photo, LAYERS, weights_path)]
    # Only the features near the pieces' edges differ (as for the Gram matrices above).
    assert got == pytest.approx(want, rel=0.05)
    assert own != pytest.approx(want, rel=0.05)  # the tile's own would have been wrong


class Recorder(Watcher):
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
    photo, painting = files.load_image(CONTENT), files.load_image(STYLE)
    loss = st.LossSettings(fast=True)
    how = settings.PaintSettings(sizes=(96,), iterations=(2,), seed=0, tile=TILE,
                           tile_overlap=OVERLAP)
    watcher = Recorder()
    painter = paint.Painter(weights_path=weights_path, loss_settings=loss, paint_settings=how)
    result = painter.paint(photo, [painting], watcher)
    assert result.picture.shape == WHOLE + (3,) and result.picture.dtype == np.uint8
    assert result.picture.std() > 10  # a picture, not a flat field
    assert len(tiles.tile_grid(WHOLE, TILE, OVERLAP)) == 2
    # Two iterations: two sweeps over the two tiles, one iteration each.
    assert watcher.visits == [(0, 1, 2), (1, 1, 2), (0, 2, 2), (1, 2, 2)]
    for start, losses in zip(watcher.starts, watcher.losses):
        assert len(losses) == 1 and losses[-1] < start
    # The whole picture's loss, by one untiled graph at its size: below the start's.
    K.clear_session()
    whole = st.build_loss_and_grads(st.preprocess(photo, WHOLE), [st.preprocess(painting,
                                                                                WHOLE)],
                                    weights_path, loss)
    loss_of = lambda x: float(whole.f_outputs([x.astype(np.float32)])[0])  # noqa: E731
    assert loss_of(st.preprocess(result.picture, WHOLE)) < loss_of(st.random_start(WHOLE, 0))


@pytest.mark.slow
def test_a_stop_in_a_tile_keeps_the_whole_picture_with_the_finished_tiles(weights_path,
                                                                          fresh_graph):
    photo, painting = files.load_image(CONTENT), files.load_image(STYLE)
    how = settings.PaintSettings(sizes=(96,), iterations=(2,), seed=0, tile=TILE,
                           tile_overlap=OVERLAP)
    result = paint.Painter(weights_path=weights_path, loss_settings=st.LossSettings(fast=True),
                           paint_settings=how).paint(
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


@pytest.mark.slow
def test_without_fast_the_stages_that_fit_whole_use_the_tutorials_graph(tmp_path, monkeypatch,
                                                                        capsys):
    """--tile without --fast: the 64 px stage is painted whole by the tutorial's graph (its
    features found with the result, in one batch), the 96 px stage in tiles by the fast
    graph's tile features; the run gives a whole picture."""
    built = []
    for module, name in ((st, "tutorial_features"), (st, "fast_features"),
                         (tiling, "tile_graph")):
        original = getattr(module, name)
        monkeypatch.setattr(module, name, lambda *a, original=original, name=name, **k:
                            built.append(name) or original(*a, **k))
    output = tmp_path / "both.png"
    status = still.main([CONTENT, STYLE, "--scales", "64", "96", "--iterations", "1", "1",
                      "--tile", str(TILE), "--tile-overlap", str(OVERLAP), "--seed", "0",
                      "--no-extras", "--output", str(output)])
    out = capsys.readouterr().out
    assert status == 0
    # tile_graph builds on fast_features (without paintings: WholeStyle's targets)
    assert built == ["tutorial_features", "tile_graph", "fast_features"]
    assert "on the fast graph" in out  # the plan says so
    result = iio.imread(output)
    assert result.shape == WHOLE + (3,) and result.std() > 10


def test_the_memory_check_counts_the_tutorials_batch_where_a_stage_is_painted_whole(
        monkeypatch):
    """The tutorial's graph has the photo and the painting in its batch, a tile's has the
    result alone: with room for a 1024 px tile, a 1024 px stage painted whole fits with the
    fast graph but not with the tutorial's, and the check names a smaller tile, which fits."""
    photo = files.load_image(CONTENT)
    tile = memory.activation_bytes((1024, 1024), 1)
    assert memory.activation_bytes(st.result_shape(photo, 1024), 3) > 1.3 * tile
    monkeypatch.setattr(memory, "available_memory", lambda: 1.5e9 + tile * 1.2)
    memory.check_size(photo, [1024, 2048], batch=1, tile=1024)  # the fast graph
    with pytest.raises(startup.UserError, match=r"--tile 1024: .* the largest tile that fits is "
                                            r"about \d+") as refused:
        memory.check_size(photo, [1024, 2048], batch=3, tile=1024)  # the tutorial's
    fits = int(str(refused.value).rsplit(" ", 1)[-1])
    assert fits < 1024
    memory.check_size(photo, [1024, 2048], batch=3, tile=fits)


def test_the_memory_check_counts_one_tile_and_names_the_largest_that_fits(monkeypatch):
    photo = files.load_image(CONTENT)
    whole = memory.activation_bytes(st.result_shape(photo, 2048), 1)
    # Room for the painting's one pass at the whole size (half a whole evaluation), not more.
    monkeypatch.setattr(memory, "available_memory", lambda: 1.5e9 + whole * 0.6)
    with pytest.raises(startup.UserError, match="--size 2048"):
        memory.check_size(photo, [2048], batch=1)
    memory.check_size(photo, [2048], batch=1, tile=512)  # a 512 px tile fits
    with pytest.raises(startup.UserError, match=r"--tile 2000: .* the largest tile that fits is "
                                            r"about \d+") as refused:
        memory.check_size(photo, [2048], batch=1, tile=2000)
    fits = int(str(refused.value).rsplit(" ", 1)[-1])
    memory.check_size(photo, [2048], batch=1, tile=fits)  # the tile it names does fit
    assert fits < 2000


@pytest.mark.slow
def test_masks_are_cut_to_each_tile(weights_path, fresh_graph, monkeypatch):
    """Two paintings, one on the left half and one on the right: each tile gets its part of
    each mask (a graph of its own), and the halves come out in their own painting's colours."""
    photo = files.load_image(CONTENT)
    blue = np.zeros((64, 64, 3), np.uint8)
    blue[..., 2] = 200
    red = np.zeros((64, 64, 3), np.uint8)
    red[..., 0] = 200
    left = np.zeros(WHOLE)
    left[:, :WHOLE[1] // 2] = 1.0
    loss = st.LossSettings(fast=True, style_masks=(left, 1.0 - left))
    how = settings.PaintSettings(sizes=(96,), iterations=(3,), seed=0, init="content", tile=TILE,
                           tile_overlap=OVERLAP)
    shares = []
    original = tiling.WholeStyle.shares
    monkeypatch.setattr(tiling.WholeStyle, "shares",
                        lambda self, index: shares.append(original(self, index)) or shares[-1])
    painter = paint.Painter(weights_path=weights_path, loss_settings=loss, paint_settings=how)
    result = painter.paint(photo, [red, blue])
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


def test_blended_scaled_paintings_style_losses_in_a_tile(weights_path, fresh_graph):
    """Two paintings blended 3:1, each at half the picture's size (--style-scale 0.5): each
    painting's style loss in a tile, checked in numpy. Its target is its Gram matrices scaled
    to the picture's number of positions (each painting is one piece here, being smaller than
    a tile), and its part of the loss is its share of the blend."""
    photo = files.load_image(CONTENT)
    loss = st.LossSettings(fast=True, style_layers=LAYERS, content_weight=0.0, tv_weight=0.0,
                           style_blend=(3.0, 1.0))
    half = settings.painting_shape(WHOLE, 0.5)
    assert half == (32, 48)
    grid = tiles.tile_grid(WHOLE, TILE, OVERLAP)
    tile = grid[1]
    tile_shape = (tile.height, tile.width)
    paintings = [st.preprocess(files.load_image(path), half) for path in (STYLE, MOSAIC)]
    graph, positions = tiling.tile_graph(
        st.preprocess(st.resize(photo, WHOLE)[tile.region], tile_shape), 2, weights_path, loss,
        WHOLE)
    style = tiling.WholeStyle(
        features=graph.features, weights=positions,
        canvas=tiles.Canvas(st.random_start(WHOLE, seed=3)[0], grid),
        photo=st.preprocess(photo, WHOLE), paintings=paintings,
        masks=None, tile=TILE, overlap=OVERLAP)
    style.aim_at(1)
    x = st.random_start(tile_shape, seed=4).astype(np.float32)
    _, _, *parts = graph.f_outputs([x])
    got = dict(zip(graph.parts, map(float, parts)))

    K.clear_session()
    weights = tiles.blend_weights(grid, WHOLE)
    mine = weighted_grams(x, weights[1], weights_path)
    fair = weights[0].sum() / (weights[0].sum() + weights[1].sum())  # the unpainted tile's
    for number, (painting, blend) in enumerate(zip(paintings, (0.75, 0.25)), start=1):
        target = [g * (WHOLE[0] * WHOLE[1] / 4 ** times) / (half[0] * half[1] / 4 ** times)
                  for times, g in enumerate(weighted_grams(painting, np.ones(half),
                                                           weights_path))]
        total = sum(np.sum((t - (t * fair + m)) ** 2) for t, m in zip(target, mine))
        expected = (blend * st.STYLE_WEIGHT / len(LAYERS) * total
                    / (4 * 9 * (WHOLE[0] * WHOLE[1]) ** 2))
        assert got[f"style {number}"] == pytest.approx(expected, rel=2e-3)


class PaintingsGiven:
    """Records the paintings each tiled stage's WholeStyle was given, as RGB pictures."""

    def __init__(self, monkeypatch):
        self.given = []
        original = tiling.WholeStyle.__init__

        def record(style, *, paintings, **given):
            self.given.append([st.deprocess(p, p.shape[1:3]) for p in paintings])
            original(style, paintings=paintings, **given)
        monkeypatch.setattr(tiling.WholeStyle, "__init__", record)


def yiq(image):
    return np.asarray(image, dtype=np.float64) @ colors.RGB_TO_YIQ.T


@pytest.mark.slow
@pytest.mark.parametrize("mode", colors.COLOR_MODES)
def test_every_colour_mode_works_in_tiles(tmp_path, monkeypatch, capsys, mode):
    """--preserve-color with --tile, through the command line: swap and luminance give the
    whole picture exactly the photo's colours (YIQ's I and Q, as without tiles); luminance
    and the match modes hand the tiles their paintings grey, or recoloured to the photo's
    colours."""
    given = PaintingsGiven(monkeypatch)
    output = tmp_path / "tiled.png"
    status = still.main([CONTENT, MOSAIC, "--fast", "--size", "96", "--tile", str(TILE),
                      "--tile-overlap", str(OVERLAP), "--iterations", "1", "--init", "content",
                      "--preserve-color", mode, "--no-extras", "--output", str(output)])
    assert status == 0, capsys.readouterr().err
    result = iio.imread(output)
    assert result.shape == WHOLE + (3,)
    assert len(given.given) == 1  # the one stage, in tiles
    [painting] = given.given[0]
    photo = st.resize(files.load_image(CONTENT), WHOLE)
    if mode in ("swap", "luminance"):
        inside = ((result > 0) & (result < 255)).all(axis=-1)
        assert inside.mean() > 0.9
        assert np.abs(yiq(result)[..., 1:] - yiq(photo)[..., 1:])[inside].max() < 1.0
        assert np.abs(yiq(result)[..., 0] - yiq(photo)[..., 0]).mean() > 1  # painted
    if mode == "luminance":
        assert np.abs(painting.astype(int) - painting[..., :1]).max() <= 1  # grey
    if mode.startswith("match"):
        mosaic = st.resize(files.load_image(MOSAIC), painting.shape[:2])
        photo_mean = photo.reshape(-1, 3).mean(axis=0)
        assert np.abs(painting.reshape(-1, 3).mean(axis=0) - photo_mean).max() < 4
        assert np.abs(mosaic.reshape(-1, 3).mean(axis=0) - photo_mean).max() > 10


@pytest.mark.slow
def test_a_blend_at_another_scale_paints_in_tiles(tmp_path, monkeypatch, capsys):
    """Two paintings, --style-weights and --style-scale with --tile, through the command
    line: the tiles get both paintings at the scaled size, and the run's picture is whole."""
    given = PaintingsGiven(monkeypatch)
    output = tmp_path / "blend.png"
    status = still.main([CONTENT, STYLE, MOSAIC, "--style-weights", "3", "1", "--style-scale",
                      "0.5", "--fast", "--size", "96", "--tile", str(TILE), "--tile-overlap",
                      str(OVERLAP), "--iterations", "1", "--seed", "0", "--no-extras",
                      "--output", str(output)])
    out = capsys.readouterr().out
    assert status == 0
    assert [p.shape[:2] for p in given.given[0]] == [(32, 48), (32, 48)]
    result = iio.imread(output)
    assert result.shape == WHOLE + (3,) and result.std() > 10
    assert "style (swirls)" in out and "style (mosaic)" in out  # each painting's part
    # Progress: which tile, and from the second on, the time left for the stage
    first = next(line for line in out.splitlines() if line.startswith("Tile 1/2"))
    second = next(line for line in out.splitlines() if line.startswith("Tile 2/2"))
    assert "left in the stage" not in first and "left in the stage" in second


@pytest.mark.parametrize("seconds, said", [(40.4, "40 s"), (89, "89 s"), (90, "2 min"),
                                           (12 * 60 + 20, "12 min"), (89 * 60, "89 min"),
                                           (125 * 60, "2 h 05 min")])
def test_a_time_to_wait_reads_as_a_person_would_say_it(seconds, said):
    assert duration(seconds) == said


@pytest.mark.slow
def test_coarse_to_fine_into_tiles_saves_the_whole_picture_and_its_extras(tmp_path, capsys):
    """--scales with the top stage in tiles, through the command line, extras on: each
    iteration's save, the sheet, the GIF and the plot hold the whole picture (Pillow reads
    them), never a tile of it."""
    output = tmp_path / "poster.png"
    status = still.main([CONTENT, STYLE, "--fast", "--scales", "48", "96", "--iterations", "1",
                      "2", "--tile", str(TILE), "--tile-overlap", str(OVERLAP), "--seed", "0",
                      "--output", str(output)])
    out = capsys.readouterr().out
    assert status == 0
    assert "Tile 2/2, sweep 2/2" in out
    sheet, gif, plot, steps = still_run.extra_paths(output)
    assert iio.imread(output).shape == WHOLE + (3,)
    saved = sorted(steps.iterdir())
    # One per iteration: 1 at 48 px, then one per tile in each of the 2 sweeps at 96 px
    assert len(saved) == 1 + 2 * 2
    assert all(iio.imread(path).shape == WHOLE + (3,) for path in saved[1:])
    assert np.array_equal(iio.imread(saved[-1]), iio.imread(output))
    # Each save holds the tile just painted: where only the second tile reaches, its second
    # sweep is in the last picture, and the second tile leaves the first's own part alone.
    first, second = tiles.tile_grid(WHOLE, TILE, OVERLAP)
    only_first, only_second = np.s_[:, :second.left], np.s_[:, first.left + first.width:]
    at_96 = [iio.imread(path).astype(int) for path in saved[1:]]
    assert np.abs(at_96[3] - at_96[2])[only_second].mean() > 0.5
    assert np.array_equal(at_96[1][only_first], at_96[0][only_first])
    with Image.open(gif) as frames:
        assert frames.n_frames == len(saved)  # (identical frames would be merged)
    for picture in (sheet, plot):
        with Image.open(picture) as image:
            image.verify()


def test_a_stage_too_large_for_memory_whole_is_given_the_largest_tile_that_fits(monkeypatch):
    """No --tile: where every stage fits whole there are no tiles; where the top one does
    not, the largest tile that fits, which check_size accepts and a 5% larger one would not;
    where not even the smallest tile fits, none (check_size then refuses the size)."""
    photo = files.load_image(CONTENT)
    sizes = [1024, 2048]
    whole = memory.most_needed(photo, sizes, 1)
    assert memory.memory_needed(photo, 2048, 1, tile=512) == (
        memory.activation_bytes((512, 512), 1) + memory.CANVAS_BYTES_PER_PIXEL * 2048 * 1362)
    monkeypatch.setattr(memory, "available_memory", lambda: 1.5e9 + whole)
    assert memory.tile_to_fit(photo, sizes, 1) is None
    monkeypatch.setattr(memory, "available_memory", lambda: 1.5e9 + whole * 0.7)
    tile = memory.tile_to_fit(photo, sizes, 1)
    assert settings.SMALLEST_TILE <= tile < 2048
    memory.check_size(photo, sizes, 1, tile=tile)
    with pytest.raises(startup.UserError, match="--tile"):
        memory.check_size(photo, sizes, 1, tile=round(tile / 0.95) + 1)
    monkeypatch.setattr(memory, "available_memory",
                        lambda: 1.5e9 + memory.memory_needed(photo, 2048, 1, tile=256) * 0.9)
    assert memory.tile_to_fit(photo, sizes, 1) is None
    with pytest.raises(startup.UserError, match="--scales 2048: .* the largest size that fits"):
        memory.check_size(photo, sizes, 1)


def test_the_canvas_estimate_covers_the_arrays_a_tiled_stage_holds():
    """CANVAS_BYTES_PER_PIXEL against the bytes numpy reports for what a tiled stage keeps of
    the whole picture: the canvas with every tile painted, WholeStyle's blend weights, the
    start it was enlarged to and one picture put together for a save."""
    shape, grid = (341, 512), tiles.tile_grid((341, 512), 128, 32)
    start = np.zeros(shape + (3,), np.float32)
    canvas = tiles.Canvas(start, grid)
    for index, tile in enumerate(grid):
        canvas.add(index, np.ones((tile.height, tile.width, 3)))
    held = [start, canvas.start, canvas.sum, canvas.covered, *canvas.pieces, *canvas.weights,
            *tiles.blend_weights(grid, shape), canvas.picture()]
    per_pixel = sum(array.nbytes for array in held) / np.prod(shape)
    assert per_pixel <= memory.CANVAS_BYTES_PER_PIXEL <= 2 * per_pixel, per_pixel


@pytest.mark.slow
def test_a_size_too_large_for_memory_is_painted_in_tiles_unasked(tmp_path, monkeypatch, capsys):
    """Through the command line, the tutorial's graph: with memory for a 256 px tile but not
    for the 300 px picture whole (its batch holds the photo and the painting), the run says it
    chose tiles and paints the whole picture in them."""
    photo = files.load_image(CONTENT)
    room = memory.memory_needed(photo, 300, 1, tile=256)
    assert memory.memory_needed(photo, 300, 3) > room * 1.1
    monkeypatch.setattr(memory, "available_memory", lambda: 1.5e9 + room * 1.02)
    output = tmp_path / "unasked.png"
    status = still.main([CONTENT, STYLE, "--size", "300", "--iterations", "1", "--seed", "0",
                      "--no-extras", "--output", str(output)])
    out = capsys.readouterr().out
    assert status == 0
    assert "in tiles of 256 px overlapping by 64 px (2 at the last size, on the fast graph, " \
           "chosen to fit in memory)" in out, out
    assert "Tile 2/2" in out
    result = iio.imread(output)
    assert result.shape == (200, 300, 3) and result.std() > 10
