"""The pictures a run makes beside the painting: the comparison sheet, the loss's plot, the GIF."""
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

import style_transfer as st


def comparison_sheet(images, height):
    """Images side by side, each scaled to `height`, with white gaps: inputs, then result."""
    gap = np.full((height, 8, 3), 255, dtype=np.uint8)
    tiles = []
    for image in images:
        h, w = image.shape[:2]
        width = max(1, round(w * height / h))
        tiles += [st.resize(image, (height, width)), gap]
    return np.concatenate(tiles[:-1], axis=1)


def loss_plot(history, stage_starts, labels):
    """A picture of the run: the loss and each of its parts at every evaluation, on a log
    scale, so one can see which part dominates and which one L-BFGS is still lowering."""
    figure = Figure(figsize=(6.4, 4.0), dpi=100)
    FigureCanvasAgg(figure)  # draws into memory: no window, no screen needed
    axes = figure.subplots()
    evaluations = np.arange(1, len(history) + 1)
    axes.plot(evaluations, [h["loss"] for h in history], color="black", linewidth=2.5,
              label="loss (the sum of the parts)")
    for name, label in labels.items():
        if any(name in h for h in history):
            axes.plot(evaluations, [h.get(name, np.nan) for h in history], label=label)
    for stage, start in enumerate(stage_starts[1:], 2):
        axes.axvline(start + 0.5, color="grey", linestyle=":")
        axes.text(start + 1, 1, f" stage {stage}", transform=axes.get_xaxis_transform(),
                  va="top", color="grey")
    axes.set_yscale("log")
    axes.set_xlabel("evaluation (20 make one iteration)")
    axes.set_ylabel("weighted loss (log scale)")
    axes.grid(True, which="major", alpha=0.3)
    axes.legend(fontsize="small")
    figure.tight_layout()
    figure.canvas.draw()
    return np.asarray(figure.canvas.buffer_rgba())[:, :, :3].copy()


GIF_SIDE = 1024  # the animation's longer side at most: a poster's would be hundreds of MB


def gif_frame(picture):
    """A picture for the animation: at most GIF_SIDE pixels long."""
    return st.resize(picture, st.result_shape(picture, min(GIF_SIDE, max(picture.shape[:2]))))
