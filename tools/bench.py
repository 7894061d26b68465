"""`make bench`: how fast each path is, how close to this machine's floor, and its memory.

One run measures, with the variants interleaved so that drift on a noisy machine hits them all:

  * seconds per loss-and-gradient evaluation, timed between evaluations inside a real L-BFGS
    run (so scipy's own work counts), median after warm-up, for the tutorial path and the
    fast path at 256 and 512 px, plus two variants of the fast path at 256 px: OpenBLAS
    allowed all cores, and XLA JIT;
  * the floor: multiply-adds counted from VGG16's own conv layer shapes (x2 for forward plus
    input gradient) and the Gram matrices, over a float32 GEMM rate measured with numpy now;
  * peak memory (RSS) of each variant, each in its own process;
  * the loss after 200 evaluations for the tutorial's restarted L-BFGS and one continuous run,
    from the same noise;
  * coarse to fine (--scales): the time to a finished 1024 px picture, 256 -> 512 -> 1024 px
    with two ladders of iterations, against one run at 1024 px with as many evaluations, all
    real runs of the command line from the same noise; the loss at 1024 px of each when coarse
    to fine has finished; and the peak memory of each stage of a 256 -> 2048 px ladder;
  * --quick's time to the tutorial's picture (the yardstick: the tutorial's recipe at 512 px,
    its final loss L_tut), beside the tutorial's recipe in interleaved rounds, with the other
    starts, ladders and precisions tried, three other photo and painting pairs, and the
    preview (--quick --size 256) against the tutorial's recipe at 256 px;
  * batches (style_batch.py, tools/bench_batch.py): one batch painted by 1 and by 2 local
    Dask workers of one thread each, in pictures per minute, and the engine's cost per task;
  * a clip (style_video.py --workers, tools/bench_clip.py): the demo clip painted in order and
    by 2 workers in overlapping chunks, and the flicker at the chunks' seams against inside;
  * posters (--tile, tools/bench_tiles.py): a 1024 px stage whole and in 512 px tiles, its
    time, peak memory, seams and loss at full size; and (only with --parts poster: `make
    bench-poster`, 2 h 20 min) a 4096 px poster in 1024 px tiles, tools/bench_poster.py.

It prints the tables and writes them to BENCHMARKS.md. Each measurement runs in a fresh
process; `--parts` measures some only, keeping the others' tables in BENCHMARKS.md:

    python tools/bench.py [--parts paths c2f quick batch clip tiles poster] [--rounds 2] [--evals 6] [--output ...]
"""
import argparse
import json
import os
import platform
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

from toolkit import ROOT, verdict  # noqa: E402  (it puts the programs on the path)

# Each worker imports the package itself, in the order the measurements were made with: numpy
# before the package where OpenBLAS was left all the cores (the floor's GEMM rate), the package
# first where a run's settings (OpenBLAS on one thread) were measured.

WARMUP = 2
PHOTO = ROOT / "images" / "chelsea.png"
STYLE = ROOT / "images" / "swirls.png"

VARIANTS = [  # name, path, size, extra environment
    ("tutorial", "tutorial", 256, {}),
    ("fast", "fast", 256, {}),
    ("fast, OpenBLAS on all cores", "fast", 256, {"OPENBLAS_NUM_THREADS": str(os.cpu_count())}),
    ("fast, XLA JIT", "fast", 256, {"TF_XLA_FLAGS": "--tf_xla_cpu_global_jit", "BENCH_XLA": "1"}),
    ("fast, bfloat16", "fast-bfloat16", 256, {}),
    ("tutorial", "tutorial", 512, {}),
    ("fast", "fast", 512, {}),
    ("fast, bfloat16", "fast-bfloat16", 512, {}),
]


# --- workers: each runs in its own process and prints one JSON line --------------------------
def square_photo(st, size):
    """The bundled photo's centre square, so "256 px" means 256x256 as in the tutorial."""
    from painter.files import load_image
    photo = load_image(PHOTO)
    h, w = photo.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    return st.resize(photo[top:top + side, left:left + side], (size, size))


def build(st, path, size):
    from painter import startup
    from painter.files import load_image
    from painter.weights import resolve_weights
    st.use_graph_mode()
    if os.environ.get("BENCH_XLA"):
        import tensorflow as tf
        from tf_keras.src import backend
        config = tf.compat.v1.ConfigProto()
        config.graph_options.optimizer_options.global_jit_level = (
            tf.compat.v1.OptimizerOptions.ON_1)
        backend.set_session(tf.compat.v1.Session(config=config))
    shape = (size, size)
    content = st.preprocess(square_photo(st, size), shape)
    style = st.preprocess(load_image(STYLE), shape)
    with startup.quiet_native_stderr():
        graph = st.build_loss_and_grads(content, [style], resolve_weights("imagenet"),
                                        st.LossSettings(fast=path.startswith("fast"),
                                                        bfloat16=path == "fast-bfloat16"))
    return st.Evaluator(graph.f_outputs, shape, graph.parts), shape


def worker_evals(path, size, evals):
    import numpy as np
    from scipy.optimize import fmin_l_bfgs_b

    import style_transfer as st
    from painter.memory import activation_bytes

    evaluator, shape = build(st, path, size)
    stamps = []  # the Evaluator's hook marks the end of each run of the graph
    evaluator.on_evaluation = lambda _: stamps.append(time.perf_counter())
    fmin_l_bfgs_b(evaluator.loss, st.random_start(shape, 0).ravel(), fprime=evaluator.grads,
                  maxfun=WARMUP + evals + 1)
    intervals = list(np.diff(stamps))[WARMUP:WARMUP + evals]
    return {"seconds": intervals,
            "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "estimate_mb": activation_bytes(shape, 1 if path.startswith("fast") else 3) / 2**20}


def worker_lbfgs(size):
    from painter import startup  # noqa: F401  (first: a run's OpenBLAS, one thread)
    from tf_keras import backend as K

    import style_transfer as st

    results = {}
    for name, optimize in [("restarted", st.optimize_restarted),
                           ("continuous", st.optimize_continuous)]:
        K.clear_session()
        evaluator, shape = build(st, "fast", size)
        optimize(evaluator, st.random_start(shape, 0), 10, lambda i: None)
        results[name] = {"loss": evaluator.best_loss, "evaluations": evaluator.evaluations}
    return results


def gemm_gflops():
    """This machine's float32 GEMM rate now (numpy, all cores), in GFLOP/s."""
    import numpy as np

    n = 2048
    a, b = (np.random.default_rng(0).random((n, n), dtype=np.float32) for _ in range(2))
    a @ b
    times = []
    for _ in range(7):
        start = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - start)
    return 2 * n ** 3 / float(np.median(times)) / 1e9


def bfloat16_gemm_gflops():
    """TensorFlow's bfloat16 GEMM rate now (all cores), in GFLOP/s: the floor of a bfloat16
    evaluation, as numpy's float32 rate is float32's (numpy has no bfloat16)."""
    import numpy as np

    from painter import startup
    with startup.quiet_native_stderr():
        import tensorflow as tf
    n = 2048
    a, b = (tf.cast(tf.random.uniform((n, n), seed=i), tf.bfloat16) for i in range(2))
    times = []
    for _ in range(8):
        start = time.perf_counter()
        tf.linalg.matmul(a, b).numpy()
        times.append(time.perf_counter() - start)
    return 2 * n ** 3 / float(np.median(times[1:])) / 1e9


def worker_floor(sizes):
    """GEMM rate (all cores, numpy float32) and FLOPs per evaluation from VGG16's layers."""
    import numpy as np
    from tf_keras import backend as K
    from tf_keras.applications.vgg16 import VGG16

    import style_transfer as st
    from painter import startup

    gflops = gemm_gflops()

    flops = {}
    for size in sizes:
        with startup.quiet_native_stderr():
            model = VGG16(weights=None, include_top=False, input_shape=(size, size, 3))
        macs = 0
        for layer in model.layers:
            if "conv" in layer.name:
                kh, kw, cin, cout = layer.kernel.shape
                _, oh, ow, _ = layer.output.shape
                macs += oh * ow * kh * kw * cin * cout
            if layer.name in st.STYLE_LAYERS:
                _, oh, ow, channels = layer.output.shape
                macs += oh * ow * channels * channels  # its Gram matrix
            if layer.name == "block5_conv3":
                break
        flops[size] = 2 * 2 * macs  # 2 FLOPs a multiply-add; forward and input gradient
        K.clear_session()
    return {"gemm_gflops": gflops, "flops": flops, "openblas": np.__version__}


def worker_paint(argv):
    """A run with the command line's settings (its options, as parsed) painted by the Painter,
    noting after every evaluation the seconds since the images were read, the size painted,
    the best loss so far at that size and this evaluation's loss."""
    from dataclasses import replace

    from painter import startup, still, still_run
    from painter.files import load_image
    from painter.inputs import read_start
    from painter.paint import Painter
    from painter.painting import Watcher
    from painter.weights import resolve_weights

    class Recording(Watcher):
        def __init__(self):
            self.record = []

        def evaluation_done(self, evaluator):
            self.record.append((time.perf_counter() - began, list(evaluator.shape),
                                evaluator.best_loss, evaluator.loss_value))

    began = time.perf_counter()
    settings = still.parse_args(argv)
    photo = load_image(settings.content)
    paintings = [load_image(path) for path in settings.styles]
    painter = Painter(weights_path=resolve_weights(settings.weights),
                      loss_settings=still_run.loss_settings(settings),
                      paint_settings=replace(settings.paint, init=read_start(settings.paint.init)))
    recording = Recording()
    with startup.quiet_native_stderr():
        painting = painter.paint(photo, paintings, recording)
    return {"status": 1 if painting.failure else 0, "seconds": time.perf_counter() - began,
            "record": recording.record}


def worker_yardstick(argv, extra, scratch):
    """A run of the command line (`argv`, parsed as style_transfer.py parses it, its pictures
    saved as it saves them) with some settings replaced (`extra`: {field: value} of
    LossSettings or PaintSettings, for the recipes the command line has no option for).
    After each iteration at the final size: the wall-clock time, the evaluations so far, and
    the picture as optimised (before it is clipped to 8 bits), kept in `scratch` to be scored
    in float32 afterwards."""
    from dataclasses import fields, replace

    import numpy as np

    import style_transfer as st
    from painter import startup, still, still_run
    from painter.files import load_image
    from painter.inputs import read_start
    from painter.paint import Painter
    from painter.settings import PaintSettings
    from painter.weights import resolve_weights

    record = {"imported": time.time(), "stages": [], "iterations": []}

    class Recording(still_run.StillRun):
        def stage_begins(self, stage, shape, iterations):
            record["stages"].append({"shape": list(shape), "begins": time.time()})
            super().stage_begins(stage, shape, iterations)

        def stage_started(self, stage, loss):
            record["stages"][-1]["started"] = time.time()
            super().stage_started(stage, loss)

        def evaluation_done(self, evaluator):
            self.evaluator = evaluator

        def iteration_done(self, iteration):
            super().iteration_done(iteration)  # saved, as the command line saves it
            if iteration.stage == iteration.stages - 1:
                path = Path(scratch) / f"x{len(record['iterations']):03d}.npy"
                np.save(path, self.evaluator.best_x.astype(np.float32))
                record["iterations"].append({"time": time.time(), "x": str(path),
                                             "evaluations": iteration.evaluations,
                                             "loss": iteration.loss})

    settings = still.parse_args(argv)
    photo = load_image(settings.content)
    paintings = [load_image(path) for path in settings.styles]
    weights = resolve_weights(settings.weights)
    names = {name: {f.name for f in fields(kind)} for name, kind in
             [("loss", st.LossSettings), ("how", PaintSettings)]}
    loss = replace(still_run.loss_settings(settings),
                   **{k: v for k, v in extra.items() if k in names["loss"]})
    how = replace(settings.paint, init=read_start(settings.paint.init),
                  **{k: v for k, v in extra.items() if k in names["how"]})
    with startup.quiet_native_stderr():
        painting = Painter(weights_path=weights, loss_settings=loss, paint_settings=how).paint(
            photo, paintings, Recording(settings, startup.StopRequests()))
    record["stage_starts"] = painting.stage_starts
    record["evaluations"] = len(painting.history)
    record["failure"] = painting.failure
    return record


def worker_score(argv, paths):
    """The float32 loss (the fast graph's) of each picture in `paths` (.npy, as optimised) at
    the size and with the loss of the command line `argv`: the yardstick's one loss function,
    whatever precision a recipe painted in. Also each picture's loss once clipped to 8 bits,
    as saved."""
    from dataclasses import replace

    import numpy as np

    import style_transfer as st
    from painter import startup, still, still_run
    from painter.files import load_image
    from painter.weights import resolve_weights

    settings = still.parse_args(argv)
    photo = load_image(settings.content)
    shape = st.result_shape(photo, settings.paint.sizes[-1])
    st.use_graph_mode()
    with startup.quiet_native_stderr():
        graph = st.build_loss_and_grads(
            st.preprocess(photo, shape),
            [st.preprocess(load_image(path), shape) for path in settings.styles],
            resolve_weights(settings.weights),
            replace(still_run.loss_settings(settings), fast=True, bfloat16=False))
    scores = []
    for path in paths:
        x = np.load(path).astype(np.float32).reshape((1, *shape, 3))
        saved = st.preprocess(st.deprocess(x.ravel(), shape), shape)
        scores.append({"loss": float(graph.f_outputs([x])[0]),
                       "saved": float(graph.f_outputs([saved])[0])})
    return scores


def peak_rss_gb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 2**20


def worker_memory(sizes):
    """Each stage of a coarse-to-fine ladder in turn, in one process as a real run has them:
    its graph built, two evaluations; the peak memory while it ran."""
    from painter import startup  # first: a run's OpenBLAS, one thread
    from tf_keras import backend as K

    import style_transfer as st
    from painter.files import load_image
    from painter.memory import activation_bytes
    from painter.weights import resolve_weights

    st.use_graph_mode()
    photo, painting = load_image(PHOTO), load_image(STYLE)
    stages = []
    for size in sizes:
        K.clear_session()
        Path("/proc/self/clear_refs").write_text("5")  # the peak so far: from here on
        shape = st.result_shape(photo, size)
        began = time.perf_counter()
        with startup.quiet_native_stderr():
            graph = st.build_loss_and_grads(st.preprocess(photo, shape),
                                            [st.preprocess(painting, shape)],
                                            resolve_weights("imagenet"),
                                            st.LossSettings(fast=True))
        built = time.perf_counter()
        evaluator = st.Evaluator(graph.f_outputs, shape, graph.parts)
        x = st.random_start(shape, 0).ravel()
        evaluator.loss(x)
        evaluator.loss(x + 1.0)
        stages.append({"size": size, "shape": shape, "peak_gb": peak_rss_gb(),
                       "build_s": built - began,
                       "evaluation_s": (time.perf_counter() - built) / 2,
                       "activations_gb": activation_bytes(shape, 1) / 2.5 / 2**30,
                       "estimate_gb": activation_bytes(shape, 1) / 2**30})
    return stages


def worker(args):
    kind = args[0]
    if kind == "evals":
        result = worker_evals(args[1], int(args[2]), int(args[3]))
    elif kind == "lbfgs":
        result = worker_lbfgs(int(args[1]))
    elif kind == "paint":
        result = worker_paint(args[1:])
    elif kind == "gpus":
        from painter import startup
        with startup.quiet_native_stderr():
            import tensorflow as tf
            result = {"gpus": [gpu.name for gpu in tf.config.list_physical_devices("GPU")]}
    elif kind == "gemm":
        result = {"gemm_gflops": gemm_gflops(), "bfloat16_gflops": bfloat16_gemm_gflops()}
    elif kind == "yardstick":
        result = worker_yardstick(json.loads(args[1]), json.loads(args[2]), args[3])
    elif kind == "score":
        result = worker_score(json.loads(args[1]), json.loads(args[2]))
    elif kind == "memory":
        result = worker_memory([int(s) for s in args[1:]])
    else:
        result = worker_floor([int(s) for s in args[1:]])
    print("RESULT " + json.dumps(result))


# --- the orchestrator ---------------------------------------------------------------------------
def run_worker(*args, env=None):
    environment = dict(os.environ, PYTHONUNBUFFERED="1")
    environment.pop("OPENBLAS_NUM_THREADS", None)
    # A machine may pin OpenBLAS to an older CPU's kernels (OPENBLAS_CORETYPE=Haswell: AVX2
    # on an AVX-512 CPU; seen here on 2026-12-02): numpy's GEMM rate, the floor, would then be
    # 0.6x the machine's, and every evaluation "faster than the floor".
    environment.pop("OPENBLAS_CORETYPE", None)
    environment.update(env or {})
    done = subprocess.run([sys.executable, __file__, "--worker", *map(str, args)],
                          capture_output=True, text=True, env=environment, cwd=ROOT)
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    raise RuntimeError(f"worker {args} failed:\n{done.stdout}\n{done.stderr}")


def median(values):
    values = sorted(values)
    middle = len(values) // 2
    return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2


def measure_paths(args):
    """The per-evaluation table: both graphs, the floor, memory, and the two L-BFGS loops."""
    began = time.time()
    print("Measuring the GEMM rate and counting FLOPs ...", flush=True)
    floor = run_worker("floor", 256, 512)
    gemms = []  # between the rounds: the best is the machine's, a low one says it was shared
    samples = {i: [] for i in range(len(VARIANTS))}
    by_round = {i: [] for i in range(len(VARIANTS))}
    rss = {i: 0.0 for i in range(len(VARIANTS))}
    estimate = {}
    for round_ in range(1, args.rounds + 1):
        gemms.append(run_worker("gemm"))
        for i, (name, path, size, env) in enumerate(VARIANTS):
            print(f"Round {round_}/{args.rounds}: {name} at {size} px ...", flush=True)
            result = run_worker("evals", path, size, args.evals, env=env)
            samples[i] += result["seconds"]
            by_round[i].append(median(result["seconds"]))
            rss[i] = max(rss[i], result["rss_mb"])
            estimate[i] = result["estimate_mb"]
    gemms.append(run_worker("gemm"))
    print(f"L-BFGS, restarted and continuous, 200 evaluations at {args.lbfgs_size} px ...",
          flush=True)
    lbfgs = run_worker("lbfgs", args.lbfgs_size)

    gemm = max([floor["gemm_gflops"], *(g["gemm_gflops"] for g in gemms)])
    gemm16 = max(g["bfloat16_gflops"] for g in gemms)
    seconds = {i: median(samples[i]) for i in samples}
    by_key = {(name, size): i for i, (name, _, size, _) in enumerate(VARIANTS)}
    rows, vs_floor = [], []
    for i, (name, path, size, _) in enumerate(VARIANTS):
        rate = gemm16 if path == "fast-bfloat16" else gemm
        floor_s = floor["flops"][str(size)] / (rate * 1e9)
        vs_floor.append(seconds[i] / floor_s)
        tutorial = seconds[by_key[("tutorial", size)]]
        rows.append(f"| {name} | {size}x{size} | {seconds[i]:.3f} ({len(samples[i])}) | "
                    f"{floor_s:.3f} | {seconds[i] / floor_s:.2f}x | "
                    f"{tutorial / seconds[i]:.2f}x | {rss[i] / 1024:.2f} GB | "
                    f"{estimate[i] / 1024:.2f} GB |")

    spread = max(max(r) / min(r) - 1 for r in by_round.values())
    disturbed = min(vs_floor) < 1.0 or spread > DISAGREE
    fast256, tut256 = seconds[by_key[("fast", 256)]], seconds[by_key[("tutorial", 256)]]
    floor256 = floor["flops"]["256"] / (gemm * 1e9)
    ratio_lbfgs = lbfgs["continuous"]["loss"] / lbfgs["restarted"]["loss"]
    fast512_gb = rss[by_key[("fast", 512)]] / 1024
    targets = [
        f"| fast path per evaluation vs the tutorial path, 256 px | >= 2.7x faster | "
        f"{tut256 / fast256:.2f}x | {verdict(tut256 / fast256 >= 2.7)} |",
        f"| fast path vs the floor, 256 px | within 2.0x | {fast256 / floor256:.2f}x | "
        f"{verdict(fast256 / floor256 <= 2.0)} |",
        f"| continuous / restarted L-BFGS loss after 200 evaluations | <= 0.85 | "
        f"{ratio_lbfgs:.3f} | {verdict(ratio_lbfgs <= 0.85)} |",
        f"| fast path peak memory, 512 px | < 3 GB | {fast512_gb:.2f} GB | "
        f"{verdict(fast512_gb < 3)} |",
    ]
    return "\n".join([
        "## Each evaluation: the tutorial's graph and the fast one",
        "",
        *([f"**Disturbed: not a result.** {'An evaluation ran faster than the floor' if min(vs_floor) < 1.0 else 'The rounds disagree'} "
           f"(the lowest ratio to the floor {min(vs_floor):.2f}x, the rounds apart by up to "
           f"{spread:.0%}; the margin is {DISAGREE:.0%}): another job shared the cores while "
           "the floor or the evaluations were measured. Run `make bench` again on an idle "
           "machine.", ""] if disturbed else []),
        f"Measured on {time.strftime('%Y-%m-%d')}. The bundled photo's centre square and `images/swirls.png`, one style. Seconds per "
        f"evaluation are the median (of the count in brackets) of the times between "
        f"evaluations inside a real L-BFGS run, after {WARMUP} warm-up evaluations, "
        f"over {args.rounds} interleaved rounds. The floor is this evaluation's FLOPs "
        f"(VGG16's convolutions up to block5_conv3 and the Gram matrices, forward and input "
        f"gradient) over numpy's float32 GEMM rate, the best of those measured before, "
        f"between and after the rounds: {gemm:.0f} GFLOP/s (bfloat16's: TensorFlow's "
        f"bfloat16 GEMM rate, {gemm16:.0f} GFLOP/s). Peak memory is each process's maximum "
        f"RSS; the estimate is what `--size` is checked against.",
        "",
        "| variant | size | s / evaluation | floor s | vs floor | speed-up vs tutorial | "
        "peak RSS | activations estimate |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
        *rows,
        "",
        f"FLOPs per evaluation: {floor['flops']['256'] / 1e9:.1f} G at 256x256, "
        f"{floor['flops']['512'] / 1e9:.1f} G at 512x512.",
        "",
        f"L-BFGS from the same noise, fast path at {args.lbfgs_size}x{args.lbfgs_size} px: "
        f"the tutorial's 10 restarted runs of 20 evaluations ended at loss "
        f"{lbfgs['restarted']['loss']:.4g} ({lbfgs['restarted']['evaluations']} evaluations), "
        f"one continuous run at {lbfgs['continuous']['loss']:.4g} "
        f"({lbfgs['continuous']['evaluations']} evaluations): {ratio_lbfgs:.3f}x.",
        "",
        "| target | wanted | measured | |",
        "| --- | --- | --- | --- |",
        *targets,
        "",
        f"This part took {time.time() - began:.0f} s.",
    ])



C2F_SCALES = [256, 512, 1024]
# Two ladders: the default's halving (80 + 40 + 20 evaluations), and one that spends little on
# the small sizes (40 + 20 + 20). The one run at 1024 px has as many evaluations as the longer.
C2F_LADDERS = [[4, 2, 1], [2, 1, 1]]
MEMORY_SCALES = [256, 512, 1024, 2048]


def compare_ladder(iterations, ladder, single):
    """One row of the coarse-to-fine table: `ladder` against the run at the final size."""
    record, single_record = ladder["record"], single["record"]
    stages = list(dict.fromkeys(tuple(r[1]) for r in record))
    stage_evaluations = [sum(1 for r in record if tuple(r[1]) == stage) for stage in stages]
    evaluations = len(record)
    # The one run's time to as many evaluations: its record then, plus what it spent after its
    # last evaluation (saving), which the ladder's time includes too.
    tail = single["seconds"] - single_record[-1][0]
    single_time = single_record[min(evaluations, len(single_record)) - 1][0] + tail
    # The last stage's first evaluation: the picture the stage before hands over, enlarged,
    # measured by the final size's loss.
    handover = next(r for r in record if tuple(r[1]) == stages[-1])
    by_then = [r[2] for r in single_record if r[0] <= ladder["seconds"]]
    single_then = by_then[-1] if by_then else float("inf")
    time_ratio = ladder["seconds"] / single_time
    loss_ratio = record[-1][2] / single_then
    return (f"| `--iterations {' '.join(map(str, iterations))}` | "
            f"{' + '.join(map(str, stage_evaluations))} | {ladder['seconds']:.0f} s | "
            f"{single_time:.0f} s | {time_ratio:.2f}x {verdict(time_ratio <= 0.5)} | "
            f"{record[-1][2]:.3g} | {single_then:.3g} ({len(by_then)}) | "
            f"{loss_ratio:.2f}x {verdict(loss_ratio <= 0.8)} | {handover[3]:.3g} at "
            f"{handover[0]:.0f} s |")


def measure_coarse_to_fine(args):
    """The coarse-to-fine table: time to a 1024 px picture, the loss at equal time, memory."""
    began = time.time()
    common = [str(PHOTO), str(STYLE), "--fast", "--seed", "0", "--no-extras"]
    scratch = ROOT / "output" / "bench"
    ladders = []
    for iterations in C2F_LADDERS:
        print(f"Coarse to fine {' -> '.join(map(str, C2F_SCALES))} px, iterations "
              f"{' '.join(map(str, iterations))} ...", flush=True)
        ladders.append(run_worker("paint", *common, "--scales", *C2F_SCALES,
                                  "--iterations", *iterations, "--output", scratch / "c2f.png"))
    evaluations = max(sum(iterations) for iterations in C2F_LADDERS) * 20
    print(f"One run at {C2F_SCALES[-1]} px, {evaluations} evaluations ...", flush=True)
    single = run_worker("paint", *common, "--size", C2F_SCALES[-1],
                        "--iterations", evaluations // 20, "--output", scratch / "single.png")
    print(f"Memory of each stage, {' -> '.join(map(str, MEMORY_SCALES))} px ...", flush=True)
    memory = run_worker("memory", *MEMORY_SCALES)
    assert all(run["status"] == 0 for run in [*ladders, single])
    (scratch / "c2f_records.json").write_text(json.dumps({"ladders": ladders, "single": single}))

    final_shape = single["record"][-1][1]
    size = f"{final_shape[1]}x{final_shape[0]}"
    rows = [compare_ladder(iterations, ladder, single)
            for iterations, ladder in zip(C2F_LADDERS, ladders)]
    memory_rows = [f"| {m['size']} | {m['shape'][1]}x{m['shape'][0]} | {m['build_s']:.1f} s | "
                   f"{m['evaluation_s']:.1f} s | {m['activations_gb']:.2f} GB | "
                   f"{m['estimate_gb']:.2f} GB | {m['peak_gb']:.2f} GB |" for m in memory]
    return "\n".join([
        "## Coarse to fine (`--scales`)",
        "",
        f"Measured on {time.strftime('%Y-%m-%d')}, fast graph, the bundled photo and "
        f"`images/swirls.png`, from the same noise (seed 0), one run after the other in fresh "
        f"processes: `--scales {' '.join(map(str, C2F_SCALES))}` with two ladders of "
        f"iterations (20 evaluations each, plus the few L-BFGS's line search adds) against "
        f"one run `--size {C2F_SCALES[-1]} --iterations {evaluations // 20}`. Times are whole "
        "runs of the command line (reading, building each stage's graph, painting, saving); "
        "the one run's time is to as many evaluations as the ladder's. Losses are the same "
        f"loss function at {size} px: the ladder's at its end, the one run's best after the "
        "same wall time (its evaluations by then in brackets). The hand-over is the loss of "
        f"the picture the last stage starts from, the {C2F_SCALES[-2]} px result enlarged, "
        f"and when it was handed over. The one run's loss after {len(single['record'])} evaluations, "
        f"{single['seconds']:.0f} s: {single['record'][-1][2]:.3g}.",
        "",
        "| ladder | evaluations | time | one run, same evaluations | time ratio (target "
        "<= 0.5x) | loss | one run's, same time | loss ratio (target <= 0.8x) | hand-over |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        *rows,
        "",
        "Memory of each stage of a "
        f"`--scales {' '.join(map(str, MEMORY_SCALES))}` ladder, in one process as a run has "
        "them: the graph built, two evaluations. Peak is the process's peak RSS while that "
        "stage ran (TensorFlow itself holds about 0.7 GB before any graph); activations are "
        "VGG16's layer outputs for one picture, the estimate what the size is checked against "
        "before a run.",
        "",
        "| size | picture | graph built in | s / evaluation | activations | estimate | "
        "peak RSS |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        *memory_rows,
        "",
        f"This part took {time.time() - began:.0f} s.",
    ])


# --- the yardstick: the time to the tutorial's picture ---------------------------------------
YARDSTICK = ["--fast", "--size", "512", "--seed", "0", "--no-extras"]
PHOTO_5 = ["--init", "content", "--iterations", "5"]  # 100 evaluations: enough to cross L_tut
RECIPES = [  # name, options after the yardstick's, settings the command line has no option
    # for, whether it runs in every round (the tutorial and --quick) or in the first only
    ("the tutorial's recipe: noise, 10 x 20 evaluations", [], {}, True),
    ("`--quick`", ["--quick"], {}, True),
    ("from the photo", PHOTO_5, {}, False),
    ("from the photo, blurred", ["--init", "{blurred}", "--iterations", "5"], {}, False),
    ("from the photo with noise added", ["--init", "{noisy}", "--iterations", "5"], {}, False),
    ("from the photo, bfloat16", PHOTO_5, {"bfloat16": True}, False),
    ("from the photo, pixels kept within 0 to 255", PHOTO_5, {"bounded": True}, False),
    ("from the photo, sqrt(2) ladder 128 to 512, resized",
     ["--init", "content", "--scales", "128", "181", "256", "362", "512", "--iterations",
      "4", "4", "3", "3", "4"], {}, False),
    ("the same ladder, keeping the photo's detail",
     ["--init", "content", "--scales", "128", "181", "256", "362", "512", "--iterations",
      "4", "4", "3", "3", "4"], {"keep_detail": True}, False),
    ("from the photo, 362 then 512, keeping the photo's detail",
     ["--init", "content", "--scales", "362", "512", "--iterations", "2", "4"],
     {"keep_detail": True}, False),
]
QUICK_PAIRS = [  # photo, painting, options: other pictures, another aspect ratio, the bold recipe
    ("astronaut.png", "mosaic.png", []),
    ("coffee.png", "swirls.png", []),
    ("chelsea.png", "swirls.png", ["--content-layer", "block4_conv2", "--content-weight", "0.25"]),
]
PREVIEW = ["--quick", "--size", "256"]
PREVIEW_TUTORIAL = ["--fast", "--size", "256", "--seed", "0", "--no-extras"]  # its yardstick
PREVIEW_NEAR = 0.10  # a preview worth looking at: within this of the tutorial's loss at 256 px
DISAGREE = 0.10  # rounds whose times differ by more than this mark a table as disturbed


def start_images(scratch):
    """The two starts that --init takes as files: the photo blurred, and with noise added."""
    from PIL import Image, ImageFilter
    import numpy as np

    photo = Image.open(PHOTO).convert("RGB")
    scratch.mkdir(parents=True, exist_ok=True)
    blurred, noisy = scratch / "photo_blurred.png", scratch / "photo_noisy.png"
    photo.filter(ImageFilter.GaussianBlur(2)).save(blurred)
    noise = np.random.default_rng(0).normal(0, 32, (photo.height, photo.width, 3))
    Image.fromarray(np.clip(np.asarray(photo) + noise, 0, 255).astype(np.uint8)).save(noisy)
    return {"blurred": str(blurred), "noisy": str(noisy)}


def paint_and_score(name, argv, extra, scratch):
    """One recipe: painted in a fresh process (timed from its launch), then each of its final
    size's iterations scored in float32 in another. Times are from the launch."""
    folder = scratch / re.sub(r"\W+", "_", name).strip("_")
    folder.mkdir(parents=True, exist_ok=True)
    argv = [*argv, "--output", str(folder / "picture.png")]
    launched = time.time()
    record = run_worker("yardstick", json.dumps(argv), json.dumps(extra), folder)
    scores = run_worker("score", json.dumps(argv),
                        json.dumps([i["x"] for i in record["iterations"]]))
    stages = record["stages"]
    starts = record["stage_starts"] + [record["evaluations"]]
    return {"imported": record["imported"] - launched, "shape": stages[-1]["shape"],
            "picture": argv[argv.index("--output") + 1], "inputs": argv[:2],
            "first_evaluation": stages[0]["started"] - launched,
            "read": stages[0]["begins"] - record["imported"],
            "builds": [stage["started"] - stage["begins"] for stage in stages],
            "sizes": [max(stage["shape"]) for stage in stages],
            "evaluations": [b - a for a, b in zip(starts, starts[1:])],
            "saves": [{"time": i["time"] - launched, "evaluations": i["evaluations"], **score}
                      for i, score in zip(record["iterations"], scores)]}


def time_to(run, target, key="loss"):
    """When the first saved picture at the final size reached `target` (None: never), by its
    loss as optimised (`key` "loss") or as saved in 8 bits ("saved")."""
    return next((save["time"] for save in run["saves"] if save[key] <= target), None)


def yardstick_argv(photo, painting, options, starts):
    return [str(ROOT / "images" / photo), str(ROOT / "images" / painting), *YARDSTICK,
            *[option.format(**starts) for option in options]]


def seconds_or_never(seconds):
    return "never" if seconds is None else f"{seconds:.1f} s"


def ratio_cell(run, tutorial, key="loss"):
    """The time to the tutorial's picture, and its ratio to the tutorial's own time."""
    reached = time_to(run, tutorial["saves"][-1][key], key)
    if reached is None:
        return "not reached", None
    ratio = reached / tutorial["saves"][-1]["time"]
    return f"{reached:.0f} s ({ratio:.2f}x)", ratio


def recipe_row(name, run, tutorial):
    final = run["saves"][-1]
    by_loss, _ = ratio_cell(run, tutorial)
    by_saved, _ = ratio_cell(run, tutorial, "saved")
    spent = " + ".join(f"{e} at {s}" for e, s in zip(run["evaluations"], run["sizes"]))
    target = tutorial["saves"][-1]["loss"]
    return (f"| {name} | {spent} | {by_loss} | {final['loss']:.4g} "
            f"({final['loss'] / target:.3f}x) | {by_saved} | {final['saved']:.4g} | "
            f"{run['first_evaluation']:.1f} s |")


def picture_rows(pairs, path):
    """A sheet of rows [photo, painting, the tutorial's picture, --quick's] for the README."""
    import numpy as np

    from painter.files import load_image, save_image
    from painter.pictures import comparison_sheet

    rows = [comparison_sheet([load_image(image) for image in
                              [*tutorial["inputs"], tutorial["picture"], quick["picture"]]], 200)
            for tutorial, quick in pairs]
    width = max(row.shape[1] for row in rows)
    padded = []
    for row in rows:
        padded.append(np.pad(row, ((0, 8), (0, width - row.shape[1]), (0, 0)),
                             constant_values=255))
    save_image(path, np.concatenate(padded)[:-8])


def measure_quick(args):
    """The yardstick's tables: each recipe's time to the tutorial's picture (interleaved with
    the tutorial's recipe, rounds apart), the same for other pictures, the preview, start-up."""
    began = time.time()
    scratch = ROOT / "output" / "bench" / "quick"
    starts = start_images(scratch.parent)
    gemm, runs = [], {name: [] for name, *_ in RECIPES}
    for round_ in range(1, args.rounds + 1):
        gemm.append(run_worker("gemm")["gemm_gflops"])
        for name, options, extra, every_round in RECIPES:
            if round_ == 1 or every_round:
                print(f"Round {round_}/{args.rounds}: {name} ...", flush=True)
                runs[name].append(paint_and_score(
                    f"{len(runs[name])}_{name[:24]}", yardstick_argv(PHOTO.name, STYLE.name,
                                                                     options, starts),
                    extra, scratch))
    gemm.append(run_worker("gemm")["gemm_gflops"])
    tutorial = runs[RECIPES[0][0]]
    quick = runs["`--quick`"]
    rows = [recipe_row(name, runs[name][0], tutorial[0]) for name, *_ in RECIPES]
    ratios = [ratio_cell(q, t)[1] for q, t in zip(quick, tutorial)]

    pair_rows, pictures = [], [(tutorial[0], quick[0])]
    for photo, painting, options in QUICK_PAIRS:
        print(f"{photo} + {painting} {' '.join(options)}: the tutorial's recipe, --quick ...",
              flush=True)
        name = f"{Path(photo).stem}_{Path(painting).stem}{'_bold' if options else ''}"
        base = paint_and_score(f"{name}_tutorial", yardstick_argv(photo, painting, options,
                                                                  starts), {}, scratch)
        fast = paint_and_score(f"{name}_quick", yardstick_argv(photo, painting,
                                                               [*options, "--quick"], starts),
                               {}, scratch)
        pictures.append((base, fast))
        shape = "x".join(map(str, base["shape"][::-1]))
        pair_rows.append(
            f"| `{photo}` + `{painting}`{' ' + ' '.join(options) if options else ''} | {shape} | "
            f"{base['saves'][-1]['time']:.0f} s, {base['saves'][-1]['loss']:.4g} | "
            f"{ratio_cell(fast, base)[0]} | {fast['saves'][-1]['loss']:.4g} after "
            f"{fast['saves'][-1]['time']:.0f} s | {ratio_cell(fast, base, 'saved')[0]} |")
    print("The preview: the tutorial's recipe at 256 px, then --quick --size 256 ...", flush=True)
    small = paint_and_score("preview_tutorial", [str(PHOTO), str(STYLE), *PREVIEW_TUTORIAL],
                            {}, scratch)
    preview = paint_and_score("preview", [str(PHOTO), str(STYLE), "--seed", "0", "--no-extras",
                                          *PREVIEW], {}, scratch)
    preview_near = time_to(preview, small["saves"][-1]["loss"] * (1 + PREVIEW_NEAR))
    preview_ready = time_to(preview, small["saves"][-1]["loss"])

    picture_rows(pictures, ROOT / "docs" / "quick_pictures.png")
    spread = max(t["saves"][-1]["time"] for t in tutorial) / min(t["saves"][-1]["time"]
                                                                 for t in tutorial) - 1
    gemm_spread = max(gemm) / min(gemm) - 1
    disturbed = spread > DISAGREE or gemm_spread > DISAGREE
    q, t = quick[0], tutorial[0]
    return "\n".join([
        "## Time to the tutorial's picture (`--quick`)",
        "",
        *([f"**Disturbed: not a result.** The rounds disagree (the tutorial recipe's time by "
           f"{spread:.0%}, the GEMM rate by {gemm_spread:.0%}; the margin is {DISAGREE:.0%}): "
           "another job shared the cores. Run `make bench` again on an idle machine.", "",
           ] if disturbed else []),
        f"Measured on {time.strftime('%Y-%m-%d')}. The yardstick: the bundled photo and "
        "`images/swirls.png` at 512 px (512x341), the tutorial's weights and layers, "
        "`--fast --seed 0`. Each recipe is a real run of the command line in a fresh process, "
        "timed from its launch to each saved picture; each picture the final size's "
        "iterations saved is then scored with one float32 loss function at 512 px, whatever "
        "precision it was painted in. **L_tut** is the tutorial recipe's final loss "
        f"({t['saves'][-1]['loss']:.4g}), its time the time to its last picture; a recipe's "
        "time to the tutorial's picture is the time to its first saved picture whose loss is "
        f"at most L_tut. The tutorial's recipe and `--quick` ran in each of {args.rounds} "
        "rounds, interleaved; the rest in the first. The ratios are to the tutorial's time in "
        "the same round.",
        "",
        "The loss a run prints is that of the picture as optimised, before it is saved in 8 "
        "bits; the tutorial's L-BFGS pushes pixels past black and white, which saving clips, "
        f"so its saved picture's loss is {t['saves'][-1]['saved']:.4g}, "
        f"{t['saves'][-1]['saved'] / t['saves'][-1]['loss']:.2f}x L_tut. The columns 'as "
        "saved' measure the saved pictures instead: the time to a saved picture as good as "
        "the tutorial's saved one, and the final one's loss.",
        "",
        "| recipe | evaluations at each size | time to L_tut | final loss (vs L_tut) | as saved: "
        "time to the tutorial's | as saved: final loss | first evaluation |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        *rows,
        "",
        f"`--quick` against the tutorial's recipe, round by round: "
        f"{', '.join('not reached' if r is None else f'{r:.2f}x' for r in ratios)} "
        f"(target <= 0.2x: {verdict(all(r is not None and r <= 0.2 for r in ratios))}). "
        f"GEMM rate between the rounds: {', '.join(f'{g:.0f}' for g in gemm)} GFLOP/s.",
        "",
        "**Start-up**, from the command to the first evaluation: "
        f"`--quick` {q['first_evaluation']:.1f} s: Python and the imports (TensorFlow's "
        f"most) {q['imported']:.1f} s, reading the images and checking the weights "
        f"{q['read']:.2f} s, building the graph and its first evaluation "
        f"{q['builds'][0]:.1f} s; the tutorial's recipe {t['first_evaluation']:.1f} s.",
        "",
        "**Other pictures**, each the tutorial's recipe then `--quick`, one run each, the "
        "same definitions at 512 px (the pictures: `docs/quick_pictures.png`, each row the "
        "photo, the painting, the tutorial's recipe's picture and `--quick`'s):",
        "",
        "| photo + painting | picture | the tutorial's recipe: time, L_tut | `--quick`: time "
        "to L_tut | `--quick`: final | as saved: time to the tutorial's |",
        "| --- | --- | --- | --- | --- | --- |",
        *pair_rows,
        "",
        f"**The preview**, `{' '.join(PREVIEW)}` ({'x'.join(map(str, preview['shape'][::-1]))}), "
        "against the tutorial's recipe at the same size (`"
        f"{' '.join(PREVIEW_TUTORIAL)}`: {small['saves'][-1]['loss']:.4g} after "
        f"{small['saves'][-1]['time']:.0f} s, its L_tut at 256 px): the preview's first picture "
        f"was saved {preview['saves'][0]['time']:.1f} s after the command, its first within "
        f"{PREVIEW_NEAR:.0%} of the tutorial's loss "
        + seconds_or_never(preview_near)
        + f" (target < 15 s: {verdict(preview_near is not None and preview_near < 15)}), "
        "its first as good as the tutorial's "
        + seconds_or_never(preview_ready)
        + f", its last {preview['saves'][-1]['time']:.1f} s, after "
        f"{sum(preview['evaluations'])} evaluations, at loss "
        f"{preview['saves'][-1]['loss']:.4g}; the losses of its saves: "
        + ", ".join(f"{save['loss']:.3g} at {save['time']:.1f} s" for save in preview["saves"])
        + ".",
        "",
        f"This part took {time.time() - began:.0f} s.",
    ])


GPU_SIZES = [512, 1024, 2048]
GPU_QUICK = ["--size", "1024"]


def measure_gpu(args):
    """On a machine with a GPU: seconds per evaluation at each of GPU_SIZES in float32 and
    bfloat16, and the yardstick at 1024 px, the tutorial's recipe beside --quick."""
    began = time.time()
    rows = []
    for size in GPU_SIZES:
        seconds = {}
        for path in ("fast", "fast-bfloat16"):
            print(f"GPU: {path} at {size} px ...", flush=True)
            seconds[path] = median(run_worker("evals", path, size, args.evals)["seconds"])
        rows.append(f"| {size}x{size} | {seconds['fast']:.4f} | {seconds['fast-bfloat16']:.4f} | "
                    f"{seconds['fast'] / seconds['fast-bfloat16']:.2f}x |")
    scratch = ROOT / "output" / "bench" / "gpu"
    common = [str(PHOTO), str(STYLE), "--fast", "--seed", "0", "--no-extras", *GPU_QUICK]
    print("GPU: the tutorial's recipe and --quick at 1024 px ...", flush=True)
    tutorial = paint_and_score("tutorial", common, {}, scratch)
    quick = paint_and_score("quick", [*common, "--quick"], {}, scratch)
    target = tutorial["saves"][-1]["loss"]
    reached = time_to(quick, target)
    import tensorflow as tf
    names = [tf.config.experimental.get_device_details(gpu).get("device_name", gpu.name)
             for gpu in tf.config.list_physical_devices("GPU")]
    return "\n".join([
        "## On a GPU (`make bench-gpu`)",
        "",
        f"Measured on {time.strftime('%Y-%m-%d')} on {', '.join(names)}: the fast graph's "
        f"seconds per evaluation (median of {args.evals} inside an L-BFGS run, the bundled "
        "photo's centre square and `images/swirls.png`), in float32 and in bfloat16.",
        "",
        "| size | float32 s | bfloat16 s | bfloat16's speed-up |",
        "| --- | --- | --- | --- |",
        *rows,
        "",
        f"The yardstick at 1024 px (the bundled photo, from the command): the tutorial's recipe "
        f"(`--fast`, noise, 10 x 20 evaluations) took {tutorial['saves'][-1]['time']:.1f} s to "
        f"its loss {target:.4g}; `--quick` reached it in "
        + ("(never: it ended at {:.4g})".format(quick["saves"][-1]["loss"]) if reached is None
           else f"{reached:.1f} s ({reached / tutorial['saves'][-1]['time']:.2f}x)")
        + f" and ended at {quick['saves'][-1]['loss']:.4g} after "
        f"{quick['saves'][-1]['time']:.1f} s. First evaluation "
        f"{quick['first_evaluation']:.1f} s after the command.",
        "",
        f"This part took {time.time() - began:.0f} s.",
    ])


def measure_batch(args):
    """Batches (tools/bench_batch.py). Imported here, not at the top: it loads the batch program
    (TensorFlow, Dask), and every worker imports this file: the GEMM rate that is the floor
    would be measured beside them."""
    import bench_batch
    return bench_batch.measure_batch(args)


def measure_clip(args):
    """A clip in chunks on a cluster (tools/bench_clip.py), imported here for measure_batch's
    reasons."""
    import bench_clip
    return bench_clip.measure_clip(args)


def measure_tiles(args):
    """A stage in tiles against whole (tools/bench_tiles.py)."""
    import bench_tiles
    return bench_tiles.measure_tiles(args)


def measure_poster(args):
    """A 4096 px poster in tiles, and the README's pictures of it (tools/bench_poster.py)."""
    import bench_poster
    return bench_poster.measure_poster(args)


PARTS = {"paths": measure_paths, "c2f": measure_coarse_to_fine, "quick": measure_quick,
         "batch": measure_batch, "clip": measure_clip, "tiles": measure_tiles,
         "poster": measure_poster, "gpu": measure_gpu}
# Not in `make bench`: "poster" (make bench-poster, 2 h 20 min), "gpu" (make bench-gpu)
LOCAL_PARTS = ["paths", "c2f", "quick", "batch", "clip", "tiles"]


def sections_of(text):
    """{part: its section} of an earlier BENCHMARKS.md, between this script's markers."""
    found = {}
    for part in PARTS:
        start, end = f"<!-- bench:{part} -->", f"<!-- /bench:{part} -->"
        if start in text and end in text:
            found[part] = text[text.index(start) + len(start):text.index(end)].strip("\n")
    return found


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:  # a measurement in its own process; its arguments are its own
        return worker(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--parts", nargs="+", choices=list(PARTS), default=LOCAL_PARTS,
                        help="what to measure; the others' tables are kept from --output "
                             "(gpu: on a machine with a GPU, make bench-gpu)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--evals", type=int, default=6, help="timed evaluations per round")
    parser.add_argument("--lbfgs-size", type=int, default=128)
    parser.add_argument("--output", default=str(ROOT / "BENCHMARKS.md"))
    import bench_batch
    import bench_clip
    import bench_poster
    import bench_tiles
    bench_batch.add_options(parser)
    bench_clip.add_options(parser)
    bench_tiles.add_options(parser)
    bench_poster.add_options(parser)
    args = parser.parse_args(argv)

    if "gpu" in args.parts and not run_worker("gpus")["gpus"]:
        print("bench: no GPU here (TensorFlow sees none); run make bench-gpu on a machine "
              "with one, or make bench for this machine's CPU", file=sys.stderr)
        return 2
    began = time.time()
    output = Path(args.output)
    sections = sections_of(output.read_text()) if output.exists() else {}
    for part in args.parts:
        sections[part] = PARTS[part](args)
    import numpy
    import scipy
    import tensorflow
    machine = (f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
               f"Python {platform.python_version()}, TensorFlow {tensorflow.__version__}, "
               f"numpy {numpy.__version__}, scipy {scipy.__version__}")
    report = "\n".join([
        "# Benchmarks",
        "",
        f"Made by `make bench` (`tools/bench.py`) on {machine}. Run it on an idle machine: "
        "the numbers mean something only then.",
        "",
        *[f"<!-- bench:{part} -->\n{sections[part]}\n<!-- /bench:{part} -->\n"
          for part in PARTS if part in sections],
    ])
    output.write_text(report)
    print()
    print(report)
    print(f"Wrote {output} in {time.time() - began:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
