"""The loss in parts: they sum to the total, each is what it says, and the plot draws them."""
import re

import imageio.v3 as iio
import numpy as np
import pytest

from tf_keras import backend as K

from painter import still
import style_transfer as st
from helpers import CONTENT, MOSAIC, STYLE

pytestmark = pytest.mark.lesson  # needs only requirements.txt (make test-lesson)

SHAPE = (32, 40)


@pytest.mark.parametrize("fast", [False, True])
def test_the_parts_sum_to_the_loss_and_total_variation_is_numpys(weights_path, fast):
    rng = np.random.default_rng(8)
    content, style_a, style_b = (st.preprocess(rng.integers(0, 256, SHAPE + (3,), np.uint8),
                                               SHAPE) for _ in range(3))
    K.clear_session()
    graph = st.build_loss_and_grads(content, [style_a, style_b], weights_path,
                                    st.LossSettings(fast=fast, style_blend=(3, 1), tv_weight=0.7))
    x = st.random_start(SHAPE, seed=1)
    loss, _, *parts = graph.f_outputs([x])
    parts = dict(zip(graph.parts, map(float, parts)))
    assert list(parts) == ["content", "style 1", "style 2", "total variation"]
    assert sum(parts.values()) == pytest.approx(float(loss), rel=1e-6)
    x64 = x[0].astype(np.float64)
    dy = (x64[:-1, :-1] - x64[1:, :-1]) ** 2
    dx = (x64[:-1, :-1] - x64[:-1, 1:]) ** 2
    # The weight is meant for 512 px; this picture is 512/40 times smaller (loss_weights_for_size).
    tv_weight = 0.7 * (512 / 40) ** -0.5
    assert parts["total variation"] == pytest.approx(tv_weight * np.sum((dx + dy) ** 1.25),
                                                     rel=1e-4)
    assert parts["style 1"] > 0 and parts["style 2"] > 0 and parts["content"] > 0


@pytest.mark.slow
def test_every_iteration_line_shows_the_parts_and_they_add_up(tmp_path, capsys):
    output = tmp_path / "o.png"
    assert still.main([CONTENT, STYLE, MOSAIC, "--size", "48", "--iterations", "2", "--fast",
                    "--output", str(output)]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines()
             if line.startswith("Iteration")]
    assert len(lines) == 2
    pattern = (r"loss (\S+), of which content (\S+), style \(swirls\) (\S+), "
               r"style \(mosaic\) (\S+), total variation (\S+);")
    for line in lines:
        loss, *parts = map(float, re.search(pattern, line).groups())
        assert sum(parts) == pytest.approx(loss, rel=0.05)  # parts are printed to 2 digits


TAB10 = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189)]


def colours_drawn(image):
    """Which of matplotlib's first line colours appear in a picture."""
    pixels = image.reshape(-1, 3).astype(int)
    return [colour for colour in TAB10
            if (np.abs(pixels - colour).sum(axis=1) < 10).sum() > 50]


@pytest.mark.slow
def test_the_plot_draws_the_loss_and_one_line_per_part(tmp_path, capsys):
    output = tmp_path / "o.png"
    assert still.main([CONTENT, STYLE, MOSAIC, "--scales", "48", "64", "--iterations", "1",
                    "--fast", "--output", str(output)]) == 0
    plot = iio.imread(tmp_path / "o_loss.png")
    assert plot.shape == (400, 640, 3)
    # content, two paintings and total variation: four coloured lines, and the black total
    assert len(colours_drawn(plot)) == 4
    assert (plot.reshape(-1, 3).max(axis=1) < 30).sum() > 500
    assert "o_loss.png" in capsys.readouterr().out


@pytest.mark.slow
def test_no_extras_means_no_plot(tmp_path):
    assert still.main([CONTENT, STYLE, "--size", "48", "--iterations", "1", "--fast",
                    "--no-extras", "--output", str(tmp_path / "o.png")]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o.png", "o_iterations"]
