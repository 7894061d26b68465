"""style_batch.py: many pictures painted by a real local Dask cluster of 2 workers, at 48 px and
one iteration, each checked against the same picture painted alone (style_transfer's Painter
and style_transfer.main), never against another batch."""
import io
import os
import re
import signal
import socket
import sys
from pathlib import Path

import numpy as np
import psutil
import pytest

from painter import batch_run, cluster, files, paint, records, settings, still
from painter.batch import main, parse_args
import style_transfer as st
from helpers import (CONTENT, MOSAIC, ROOT, STYLE, Child, assert_one_line_error, local_workers,
                     main_says, run_script)

BATCH_SCRIPT = str(ROOT / "style_batch.py")
SIZE, ITERATIONS, SEED = 48, 1, 0
SETTINGS = ["--size", str(SIZE), "--iterations", str(ITERATIONS), "--seed", str(SEED),
            "--fast"]
CLUSTER = ["--workers", "2", "--threads", "1"]
NAMES = [f"{photo}_{style}.png" for photo in ("cat", "crop", "mirror")
         for style in ("swirls", "mosaic")]


def small_photos(folder):
    """Three photos of different content and shape, small so that they load in no time."""
    folder.mkdir()
    cat = st.resize(files.load_image(CONTENT), (80, 120))
    files.save_image(folder / "cat.png", cat)
    files.save_image(folder / "mirror.png", np.ascontiguousarray(cat[:, ::-1]))
    files.save_image(folder / "crop.png", np.ascontiguousarray(cat[10:70, 30:110]))
    return folder


def batch_argv(photos, output, *more):
    return [str(photos), "--styles", STYLE, MOSAIC, "--output", str(output), *SETTINGS,
            *CLUSTER, *more]


def painted_alone(weights_path, photo, style):
    """The reference: one fresh Painter, one picture, in this process."""
    how = settings.PaintSettings(sizes=(SIZE,), iterations=(ITERATIONS,), seed=SEED)
    painter = paint.Painter(weights_path=weights_path, loss_settings=st.LossSettings(fast=True),
                            paint_settings=how)
    return painter.paint(
        files.load_image(photo), [files.load_image(style)]).picture


def assert_same_picture(got, expected):
    """Equal within float tolerance: a worker's single thread and a reused graph add up the
    same sums in another order, which L-BFGS carries on a little."""
    assert got.shape == expected.shape
    difference = np.abs(got.astype(int) - expected.astype(int))
    assert difference.max() <= 3 and difference.mean() < 0.5, (difference.max(),
                                                               difference.mean())


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """One batch of 3 photos x 2 styles, painted by 2 local workers: (photos, output, stdout)."""
    root = tmp_path_factory.mktemp("batch")
    photos, output = small_photos(root / "photos"), root / "out"
    capture, out = pytest.MonkeyPatch(), io.StringIO()
    capture.setattr(sys, "stdout", out)  # its lines, as the terminal would show them
    try:
        status = main(batch_argv(photos, output))
    finally:
        capture.undo()
    lines = out.getvalue().splitlines()
    assert status == 0, lines
    return photos, output, lines


@pytest.mark.slow
def test_a_batch_of_3_photos_in_2_styles_gives_the_6_pictures_each_would_alone(batch,
                                                                              weights_path):
    photos, output, lines = batch
    assert sorted(p.name for p in output.glob("*.png")) == sorted(NAMES)
    assert not list(output.glob(".*")), "a temporary file was left behind"
    assert any(line.startswith("Cluster: 2 workers") for line in lines), lines
    finished = [line for line in lines if re.match(r"\d/6 ", line)]
    assert len(finished) == 6, lines
    for name in NAMES:
        photo, style = name[:-4].split("_")
        expected = painted_alone(weights_path, photos / f"{photo}.png",
                                 STYLE if style == "swirls" else MOSAIC)
        assert_same_picture(files.load_image(output / name), expected)


@pytest.mark.slow
def test_a_picture_of_the_batch_is_the_one_style_transfer_py_paints(batch, tmp_path, capsys):
    photos, output, _ = batch
    alone = tmp_path / "alone.png"
    assert still.main([str(photos / "crop.png"), MOSAIC, "--output", str(alone), "--no-extras",
                    *SETTINGS]) == 0
    assert_same_picture(files.load_image(output / "crop_mosaic.png"), files.load_image(alone))


@pytest.mark.slow
def test_a_rerun_paints_only_the_picture_removed(batch, capsys):
    photos, output, _ = batch
    removed = output / "mirror_swirls.png"
    before = files.load_image(removed)
    kept = {name: (output / name).stat().st_mtime_ns for name in NAMES
            if name != removed.name}
    removed.unlink()
    status = main(batch_argv(photos, output))
    out = capsys.readouterr().out
    assert status == 0, out
    assert "Painting 1 of 6 pictures" in out and "(5 already there)" in out, out
    assert re.findall(r"^\d/6 (\S+):", out, re.M) == [str(removed)], out
    assert {name: (output / name).stat().st_mtime_ns for name in kept} == kept
    assert_same_picture(files.load_image(removed), before)  # the same seed, the same picture


def test_a_batch_with_every_picture_there_starts_no_cluster(tmp_path, capsys, monkeypatch):
    photos, output = small_photos(tmp_path / "photos"), tmp_path / "out"
    output.mkdir()
    for name in NAMES:
        (output / name).write_bytes(b"a picture")
    monkeypatch.setattr(cluster, "connect", lambda args: pytest.fail("a cluster started"))
    status = main(batch_argv(photos, output))
    assert status == 0
    assert "Nothing to paint: all 6 pictures are in" in capsys.readouterr().out


def batch_child(photos, output, cluster=CLUSTER):
    return Child.script(str(photos), "--styles", STYLE, "--output", str(output), *SETTINGS,
                        *cluster, script=BATCH_SCRIPT)


@pytest.mark.slow
def test_workers_killed_mid_task_still_give_every_picture(tmp_path, weights_path):
    photos, output = small_photos(tmp_path / "photos"), tmp_path / "out"
    child = batch_child(photos, output)
    child.read_until(r"1/3 ", timeout=120)  # 2 tasks are left: one worker at least is on one
    workers = local_workers(child)
    assert len(workers) == 2
    for worker in workers:
        worker.kill()
    status, out, err = child.finish(timeout=120)
    assert status == 0, err
    # A worker may hold two tasks (Dask hands out the next one early), so the line names a list.
    assert re.search(r"^A worker stopped \(\S+\) while painting \S+\.png"
                     r"(?:(?:, | and )\S+\.png)*: painted again by another$", out, re.M), out
    names = ["cat_swirls.png", "crop_swirls.png", "mirror_swirls.png"]
    assert sorted(p.name for p in output.glob("*.png")) == names
    assert "Done in" in out and err == "", err
    expected = painted_alone(weights_path, photos / "crop.png", STYLE)
    assert_same_picture(files.load_image(output / "crop_swirls.png"), expected)


@pytest.mark.slow
def test_ctrl_c_keeps_the_finished_pictures_and_exits_130(tmp_path):
    photos, output = small_photos(tmp_path / "photos"), tmp_path / "out"
    child = batch_child(photos, output, ["--workers", "1"])  # one starts sooner
    child.read_until(r"1/3 ", timeout=120)
    child.send_signal(signal.SIGINT)
    status, out, err = child.finish(timeout=60)
    assert status == 130, err
    done = sorted(output.glob("*.png"))
    assert 1 <= len(done) <= 3
    assert err.strip().splitlines()[-1] == (
        f"Interrupted: {len(done)} of 3 pictures are in {output}; run the same command again "
        "to paint the rest")
    assert not list(output.glob(".*")), "a temporary file was left behind"
    for path in done:
        assert max(files.load_image(path).shape[:2]) == SIZE
    assert not [p for p in psutil.process_iter(["cmdline"])
                if str(output) in " ".join(p.info["cmdline"] or [])], "still running"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.slow
def test_a_batch_paints_on_the_cluster_at_its_address(tmp_path, weights_path):
    """A cluster set up as the README says: `dask scheduler` and `dask worker` started in the
    project's folder with PYTHONPATH, the batch given the scheduler's address."""
    address = f"tcp://127.0.0.1:{free_port()}"
    dask = Path(sys.executable).with_name("dask")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DASK_LOGGING__DISTRIBUTED": "error"}
    scheduler = Child([dask, "scheduler", "--port", address.rsplit(":", 1)[1],
                       "--no-dashboard"], env=env)
    worker = Child([dask, "worker", address, "--nworkers", "1", "--nthreads", "1",
                    "--no-dashboard"], env=env)
    try:
        photos, output = small_photos(tmp_path / "photos"), tmp_path / "out"
        result = run_script(str(photos / "crop.png"), "--styles", MOSAIC, "--output",
                            str(output), *SETTINGS, "--address", address,
                            "--connect-timeout", "60", script=BATCH_SCRIPT, timeout=180)
    finally:
        for child in (worker, scheduler):
            child.send_signal(signal.SIGTERM)
            child.finish(timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"({address})" in result.stdout and result.stderr == ""
    expected = painted_alone(weights_path, photos / "crop.png", MOSAIC)
    assert_same_picture(files.load_image(output / "crop_mosaic.png"), expected)


# -- bad input: one line, exit 2, before any work ----------------------------------------------
def refused(argv, capsys, *words):
    status, lines = main_says(argv, capsys, main=main)
    return assert_one_line_error(status, lines, *words)


def test_a_missing_photo(tmp_path, capsys):
    refused([str(tmp_path / "nope.jpg"), "--styles", STYLE, "-o", str(tmp_path / "out")],
            capsys, "nope.jpg", "no such file")


def test_a_folder_with_no_pictures(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    refused([str(tmp_path / "empty"), "--styles", STYLE, "-o", str(tmp_path / "out")],
            capsys, "empty", "no pictures")


def test_two_photos_of_one_name(tmp_path, capsys):
    (tmp_path / "a").mkdir()
    files.save_image(tmp_path / "a" / "cat.png", files.load_image(CONTENT))
    (tmp_path / "b").mkdir()
    files.save_image(tmp_path / "b" / "cat.jpg", files.load_image(CONTENT))
    refused([str(tmp_path / "a"), str(tmp_path / "b"), "--styles", STYLE,
             "-o", str(tmp_path / "out")], capsys, "two photos named 'cat'")


def test_style_weights_are_refused(tmp_path, capsys):
    refused([CONTENT, "--styles", STYLE, MOSAIC, "--style-weights", "1", "2"], capsys,
            "--style-weights", "one style")


def test_an_output_folder_holding_a_photo(tmp_path, capsys):
    photos = small_photos(tmp_path / "photos")
    refused([str(photos), "--styles", STYLE, "-o", str(photos)], capsys, "holds the input")


def test_a_folder_painted_with_other_settings(tmp_path, capsys):
    photos, output = small_photos(tmp_path / "photos"), tmp_path / "out"
    output.mkdir()
    settings = parse_args(batch_argv(photos, output))
    # An earlier run's first picture, and the record written with it.
    records.write(output / batch_run.RECORD,
                  batch_run.batch_settings(settings, st.LossSettings(**settings.loss)))
    files.save_image(output / "cat_swirls.png", np.zeros((8, 8, 3), np.uint8))
    line = refused(batch_argv(photos, output, "--tv-weight", "5"), capsys,
                   "other settings", "--tv-weight 1.0 then, 5.0 now")
    assert str(output) in line


def test_an_address_where_no_scheduler_answers(tmp_path, capsys):
    photos = small_photos(tmp_path / "photos")
    refused([str(photos), "--styles", STYLE, "-o", str(tmp_path / "out"), *SETTINGS,
             "--address", "tcp://127.0.0.1:9", "--connect-timeout", "1"], capsys,
            "--address tcp://127.0.0.1:9", "no Dask scheduler answered")


def test_workers_with_an_address(capsys):
    refused([CONTENT, "--styles", STYLE, "--address", "tcp://127.0.0.1:9", "--workers", "2"],
            capsys, "--workers", "own workers")
