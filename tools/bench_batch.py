"""The batch's speed-up (style_batch.py): the same batch painted by a local cluster of 1 and of 2
workers, one TensorFlow thread each so that the comparison is fair, in pictures per minute; and
what Dask costs per task (handing it out, sending its photo and style, bringing the picture
back), measured apart from the painting.

It is the part "batch" of tools/bench.py (`make bench`; `make bench-batch` runs only it), which
writes BENCHMARKS.md. Alone, to check it at a tiny size (no file written):

    python tools/bench_batch.py --batch-size 48 --batch-iterations 1
"""
import argparse
import importlib
from collections import Counter
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from toolkit import ROOT, verdict
from painter import batch, batch_run, cluster, files, words


STYLES = [str(ROOT / "images" / "swirls.png"), str(ROOT / "images" / "mosaic.png")]
SIZE, ITERATIONS = 256, 2     # 40 evaluations a picture: about 15 s on one core at 256 px
WORKERS = (1, 2)
ROUND_TRIPS = 20              # no-op tasks timed for the engine's own cost
SPEED_UP_TARGET = 1.7         # 2 workers on 2 cores, against 1: what is left is the engine's


def photos(folder):
    """Four photos of one shape (so that a worker's graph is reused, as in a real batch of
    one camera's photos): the bundled one, mirrored, upside down, and both."""
    folder.mkdir(parents=True, exist_ok=True)
    cat = files.load_image(ROOT / "images" / "chelsea.png")
    for name, picture in {"cat": cat, "mirror": cat[:, ::-1], "upside": cat[::-1],
                          "both": cat[::-1, ::-1]}.items():
        files.save_image(folder / f"{name}.png", np.ascontiguousarray(picture))
    return folder


def batch_args(folder, output, workers, size, iterations):
    return batch.parse_args([
        str(folder), "--styles", *STYLES, "--output", str(output), "--size", str(size),
        "--iterations", str(iterations), "--fast", "--seed", "0", "--workers", str(workers),
        "--threads", "1"])


def paint_with(workers, folder, output, size, iterations):
    """One batch on a fresh local cluster of `workers`: its figures, as a dict."""
    args = batch_args(folder, output, workers, size, iterations)
    planned = batch_run.plan(args)
    tasks = planned.tasks
    began = time.time()
    client, local = cluster.connect(args.cluster)
    try:
        client.run(warm_up)
        ready = time.time()
        futures = batch_run.submit(client, tasks, planned.photos, planned.styles)
        done = client.gather(list(futures))
        finished = time.time()
        trips = round_trips(client, planned.photos[tasks[0].photo])
    finally:
        client.close()
        local.close()
    assert all(result.failure is None for result in done), [r.failure for r in done]
    wall, painting = finished - ready, sum(result.seconds for result in done)
    return {"workers": workers, "pictures": len(done), "start": ready - began, "wall": wall,
            "per minute": len(done) / wall * 60,
            "painting": statistics.median(result.seconds for result in done),
            "idle per task": (wall * workers - painting) / len(done),
            "reused": sum(result.reused for result in done), "round trip": trips,
            "shares": " + ".join(str(count) for count in sorted(
                Counter(result.worker for result in done).values(), reverse=True))}


def warm_up():
    """In each worker: load the painting code (and TensorFlow with it) before the timing."""
    importlib.import_module("painter.workers")


def nothing(picture):
    """A task that does no work: what is left of its time is the engine's."""
    return picture.shape


def round_trips(client, photo):
    """The median time of a task that only receives a photo-sized picture (sent afresh each
    time, as a task of its own, as submit sends them) and answers: Dask's cost per task."""
    times = []
    for index in range(ROUND_TRIPS):
        start = time.perf_counter()
        picture = client.submit(np.asarray, photo, key=f"round trip {index}")
        client.submit(nothing, picture, key=f"nothing {index}").result()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure_batch(args):
    """BENCHMARKS.md's section on batches."""
    began = time.time()
    size, iterations = args.batch_size, args.batch_iterations
    with tempfile.TemporaryDirectory() as scratch:
        folder = photos(Path(scratch) / "photos")
        rows = [paint_with(workers, folder, Path(scratch) / f"out{workers}", size, iterations)
                for workers in WORKERS]
    one, two = rows
    speed_up = two["per minute"] / one["per minute"]
    table = [f"| {row['workers']} | {row['pictures']} | {row['start']:.1f} s | "
             f"{row['wall']:.1f} s | {row['per minute']:.2f} | {row['painting']:.1f} s | "
             f"{row['idle per task']:.2f} s | {row['shares']} | {row['reused']} | "
             f"{row['round trip'] * 1000:.0f} ms |" for row in rows]
    return "\n".join([
        "## Batches: one worker against two",
        "",
        f"Measured on {time.strftime('%Y-%m-%d')}. `style_batch.py` on a local Dask cluster: "
        f"4 photos of the bundled photo's shape x 2 styles at {size} px, "
        f"{words.plural(iterations, 'iteration')} each (`--fast --seed 0`), one TensorFlow "
        "thread per worker. Start is the cluster started and TensorFlow loaded in every "
        "worker; wall is from the first task handed out to the last picture back. Idle per "
        "task is the workers' time not spent painting (wall x workers - the tasks' painting "
        "time, over the tasks): the engine's share, with any wait at the end. A round trip "
        f"is the median of {ROUND_TRIPS} tasks that do nothing but receive a picture of the "
        "photo's size, the engine's own cost per task.",
        "",
        "| workers | pictures | start | wall | pictures / minute | painting (median) | "
        "idle per task | pictures per worker | graphs reused | round trip |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        *table,
        "",
        "| target | wanted | measured | |",
        "| --- | --- | --- | --- |",
        f"| 2 workers against 1, pictures / minute | >= {SPEED_UP_TARGET}x | {speed_up:.2f}x "
        f"| {verdict(speed_up >= SPEED_UP_TARGET)} |",
        "",
        f"This part took {time.time() - began:.0f} s.",
    ])


def add_options(parser):
    """bench.py's options for this part."""
    parser.add_argument("--batch-size", type=int, default=SIZE)
    parser.add_argument("--batch-iterations", type=int, default=ITERATIONS)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_options(parser)
    print(measure_batch(parser.parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
