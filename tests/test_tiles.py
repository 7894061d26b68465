"""Tiles (tiles.py): the grid covers the picture with the asked overlap, the blend weights sum
to one, and a picture cut into tiles and joined back is the picture. Checked with numpy."""
import numpy as np
import pytest
from painter import tiles

pytestmark = pytest.mark.lesson  # needs only requirements.txt (make test-lesson)



@pytest.mark.parametrize("shape, tile, overlap", [((341, 512), 128, 32), ((100, 100), 64, 16),
                                                  ((64, 300), 64, 0), ((50, 40), 64, 8),
                                                  ((2730, 4096), 1024, 128)])
def test_the_tiles_cover_the_picture_with_at_least_the_asked_overlap(shape, tile, overlap):
    grid = tiles.tile_grid(shape, tile, overlap)
    covered = np.zeros(shape, dtype=int)
    for t in grid:
        assert 0 < t.height <= tile and 0 < t.width <= tile
        assert t.top >= 0 and t.left >= 0
        assert t.top + t.height <= shape[0] and t.left + t.width <= shape[1]
        covered[t.region] += 1
    assert covered.min() >= 1  # every pixel, none outside
    for axis in range(2):
        starts = sorted({(t.top, t.left)[axis] for t in grid})
        size = min(tile, shape[axis])
        gaps = [b - a for a, b in zip(starts, starts[1:])]
        # Neighbours overlap by exactly the asked overlap, except the last, moved back to the edge.
        assert all(size - gap == overlap for gap in gaps[:-1])
        assert all(size - gap >= overlap for gap in gaps)
        assert starts[-1] + size == shape[axis]


def test_the_grid_is_as_small_as_the_overlap_allows():
    # 512 wide in 128 px tiles overlapping by 32: starts 0 96 192 288 384 = 5 across.
    assert len({t.left for t in tiles.tile_grid((100, 512), 128, 32)}) == 5
    assert len(tiles.tile_grid((100, 100), 128, 32)) == 1


@pytest.mark.parametrize("tile, overlap", [(64, 64), (64, 100), (64, -1)])
def test_an_overlap_not_smaller_than_the_tile_is_refused(tile, overlap):
    with pytest.raises(ValueError, match="overlap"):
        tiles.tile_grid((200, 200), tile, overlap)


@pytest.mark.parametrize("shape, tile, overlap", [((341, 512), 128, 32), ((97, 203), 64, 20),
                                                  ((64, 64), 64, 8)])
def test_the_blend_weights_sum_to_one_at_every_pixel(shape, tile, overlap):
    grid = tiles.tile_grid(shape, tile, overlap)
    total = np.zeros(shape)
    for t, weights in zip(grid, tiles.blend_weights(grid, shape)):
        assert weights.shape == (t.height, t.width) and weights.min() > 0
        total[t.region] += weights
    np.testing.assert_allclose(total, 1.0, atol=1e-12)


def test_the_weights_fall_off_smoothly_towards_a_neighbour():
    grid = tiles.tile_grid((64, 160), 96, 32)  # two tiles side by side, 32 px in common
    left, right = tiles.blend_weights(grid, (64, 160))
    row = left[10]
    assert np.all(row[:64] == 1)                   # alone there
    assert np.all(np.diff(row[64:]) < 0)           # falling across the overlap ...
    assert row[-1] < 0.01                          # ... to almost nothing at its edge
    np.testing.assert_allclose(left[:, 64:] + right[:, :32], 1.0)


def test_a_picture_cut_into_tiles_and_joined_back_is_the_picture():
    picture = np.random.default_rng(0).uniform(0, 255, (341, 512, 3))
    grid = tiles.tile_grid(picture.shape[:2], 128, 40)
    pieces = tiles.split(picture, grid)
    assert [p.shape[:2] for p in pieces] == [(t.height, t.width) for t in grid]
    np.testing.assert_allclose(tiles.join(pieces, grid, picture.shape[:2]), picture, rtol=1e-12)


def test_joining_different_tiles_blends_them_in_the_overlap_only():
    grid = tiles.tile_grid((32, 96), 64, 32)  # two tiles, columns 32 to 63 shared
    pieces = [np.zeros((32, 64, 1)), np.full((32, 64, 1), 100.0)]
    joined = tiles.join(pieces, grid, (32, 96))[..., 0]
    assert np.all(joined[:, :32] == 0) and np.all(joined[:, 64:] == 100)
    middle = joined[0, 32:64]
    assert np.all(np.diff(middle) > 0) and 0 < middle[0] < 5 and 95 < middle[-1] < 100


def test_a_tile_starts_from_its_finished_neighbours_pixels_in_their_overlap():
    grid = tiles.tile_grid((32, 96), 64, 32)  # two tiles, columns 32 to 63 shared
    start = np.zeros((32, 96, 1))
    canvas = tiles.Canvas(start, grid)
    canvas.add(0, np.full((32, 64, 1), 7.0))
    second = canvas.start_of(1)[..., 0]
    np.testing.assert_allclose(second[:, :32], 7.0)
    assert np.all(second[:, 32:] == 0.0)
    # Painted again, a tile's earlier piece is replaced, not added to.
    canvas.add(0, np.full((32, 64, 1), 3.0))
    np.testing.assert_allclose(canvas.picture()[:, :32, 0], 3.0)
    canvas.add(1, np.full((32, 64, 1), 3.0))
    np.testing.assert_allclose(canvas.picture()[..., 0], 3.0)
