"""Measure the memory one graph needs, for the figures the memory tests check the estimate
against (helpers.MEASURED_PEAK_GB). Not a test: run it by hand, on an idle machine,

    .venv/bin/python tests/measure_memory.py fast 512      # or tutorial, 1024

It builds the graph for the bundled photo at that size in this fresh process, as a run does
(VGG16, the losses, their gradient), evaluates it twice, and prints the process's peak RSS
(resource.getrusage's ru_maxrss) before the graph, TensorFlow loaded, and after, in GB
(10**9 bytes), with style_transfer.activation_bytes' estimate beside it.
"""
import json
import resource
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from painter import files, memory, startup
from painter.weights import resolve_weights
import style_transfer as st  # noqa: E402


def peak_rss():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


def main(graph, size):
    st.use_graph_mode()
    photo = files.load_image(ROOT / "images" / "chelsea.png")
    painting = files.load_image(ROOT / "images" / "swirls.png")
    weights = resolve_weights("imagenet")
    shape = st.result_shape(photo, size)
    x = st.random_start(shape, 0).ravel()
    baseline = peak_rss()
    with startup.quiet_native_stderr():
        built = st.build_loss_and_grads(st.preprocess(photo, shape),
                                        [st.preprocess(painting, shape)], weights,
                                        st.LossSettings(fast=graph == "fast"))
    evaluator = st.Evaluator(built.f_outputs, shape, built.parts)
    evaluator.loss(x)
    evaluator.loss(x + 1.0)
    peak = peak_rss()
    print(json.dumps({"graph": graph, "size": size, "shape": shape,
                      "baseline_gb": round(baseline / 1e9, 3), "peak_gb": round(peak / 1e9, 3),
                      "above_baseline_gb": round((peak - baseline) / 1e9, 3),
                      "estimate_gb": round(memory.activation_bytes(shape, 1 if graph == "fast"
                                                               else 3) / 1e9, 3)}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
