"""A new user's fifth trial: each case it found, and the siblings looked for beside it. Every
test here failed before its fix: a batch that lost a picture, --workers without a bound, a
cluster that would not start, records left by refused runs, --tile-overlap 0, empty names
taken for defaults, an unpainted photo kept as "the best so far", a batch refused one bad
file at a time, a picture's name taken as a batch's folder, the studio's names and port."""
import os
import signal

import numpy as np
import pytest

import style_transfer as st
from painter import batch, cluster, files, studio, studio_jobs, video
from painter.paint import Painter
from painter.painting import Watcher
from painter.settings import PaintSettings
from helpers import (CONTENT, MOSAIC, ROOT, STYLE, Child, assert_one_line_error, main_says,
                     refused_before_tensorflow, run_script)

BATCH_SCRIPT = str(ROOT / "style_batch.py")
SMALL = ["--size", "48", "--iterations", "1", "--fast", "--seed", "0"]


def small(folder, *names):
    """Small copies of the bundled photo under `names` (.png)."""
    folder.mkdir(exist_ok=True)
    cat = st.resize(files.load_image(CONTENT), (40, 60))
    for name in names:
        files.save_image(folder / name, cat)
    return folder


# --- 1. a batch whose two pictures would have one name ------------------------------------
def test_two_pairs_that_would_share_a_name_are_refused_before_any_work(tmp_path, capsys):
    photos = small(tmp_path / "photos", "x_y.png", "x.png")
    styles = small(tmp_path / "styles", "z.png", "y_z.png")
    output = tmp_path / "out"
    status, err = main_says([str(photos), "--styles", str(styles), "--output", str(output),
                             *SMALL, "--workers", "1"], capsys, main=batch.main)
    line = assert_one_line_error(status, err, "x_y_z.png", "x_y.png", "y_z.png", "rename")
    assert "z.png" in line
    assert not output.exists()  # nothing started, nothing written


# --- 2. --workers: bounded by the cores, then by memory ---------------------------------------
@pytest.mark.parametrize("program, argv", [
    ("painter.batch", [CONTENT, "--styles", STYLE, "--workers", "99"]),
    ("painter.video", [CONTENT, STYLE, "--workers", "99"]),
])
def test_more_workers_than_cores_are_refused_before_anything_loads(program, argv):
    line = refused_before_tensorflow(program, argv, "--workers 99", "core", "--workers auto")
    assert f"at most {len(os.sched_getaffinity(0))}" in line


def test_workers_that_memory_cannot_hold_are_refused_and_auto_fits_them(monkeypatch):
    monkeypatch.setattr(cluster, "available_memory", lambda: 5e9)
    asked = cluster.ClusterSettings(workers=3, threads=None)
    with pytest.raises(cluster.UserError, match="--workers 3: .* enough for 2 workers; give "
                                                "--workers 2 or fewer"):
        cluster.fit_workers(asked, per_worker=2e9)
    monkeypatch.setattr(cluster, "usable_cores", lambda: 8)
    monkeypatch.setattr(cluster, "local_gpus", lambda: 0)
    fitted = cluster.fit_workers(cluster.ClusterSettings(workers=None), per_worker=2e9)
    assert fitted.workers == 2 and fitted.threads == 4  # as memory allows; the cores shared
    assert cluster.fit_workers(cluster.ClusterSettings(workers=None), 1e9).workers == 5
    with pytest.raises(cluster.UserError, match="a worker needs about 6.0 GB"):
        cluster.fit_workers(cluster.ClusterSettings(workers=None), per_worker=6e9)
    remote = cluster.ClusterSettings(address="tcp://example:8786")
    assert cluster.fit_workers(remote, per_worker=6e9) == remote  # its workers are its own


@pytest.mark.slow
def test_a_local_cluster_that_cannot_start_is_one_line_and_exit_1(tmp_path):
    """Workers that fail as they start (here: told to preload a module that is not there)."""
    photos = small(tmp_path / "photos", "cat.png")
    environment = {**os.environ, "DASK_DISTRIBUTED__WORKER__PRELOAD": '["no_such_module"]'}
    done = run_script(str(photos), "--styles", STYLE, "--output", str(tmp_path / "out"),
                      *SMALL, "--workers", "1", script=BATCH_SCRIPT, env=environment,
                      timeout=180)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 1 and len(lines) == 1, done.stderr
    assert "the local cluster of 1 worker did not start" in lines[0], lines
    assert "Traceback" not in done.stderr and "Nanny" in lines[0]


# --- 3. a refused run leaves no record, and an empty record blocks nothing --------------------
@pytest.mark.slow
def test_a_batch_refused_at_its_address_leaves_no_record_to_block_the_next(tmp_path, capsys):
    photos, output = small(tmp_path / "photos", "cat.png"), tmp_path / "out"
    unreachable = ["--address", "tcp://127.0.0.1:1", "--connect-timeout", "1"]
    status, err = main_says([str(photos), "--styles", STYLE, "--output", str(output), *SMALL,
                             *unreachable], capsys, main=batch.main)
    assert_one_line_error(status, err, "no Dask scheduler answered")
    assert not (output / "batch.json").exists()
    # A record left beside no picture (an older run's) blocks nothing either.
    output.mkdir(exist_ok=True)
    (output / "batch.json").write_text('{"settings": {"tv_weight": 99.0}}')
    status, err = main_says([str(photos), "--styles", STYLE, "--output", str(output), *SMALL,
                             "--tv-weight", "2", *unreachable], capsys, main=batch.main)
    assert_one_line_error(status, err, "no Dask scheduler answered")


@pytest.mark.slow
def test_a_clip_refused_at_its_address_leaves_no_record(tmp_path, capsys):
    frames = small(tmp_path / "frames", "f1.png", "f2.png")
    output = tmp_path / "clip.mp4"
    status, err = main_says([str(frames), STYLE, "--size", "48", "--fast", "--output",
                             str(output), "--address", "tcp://127.0.0.1:1",
                             "--connect-timeout", "1"], capsys, main=video.main)
    assert_one_line_error(status, err, "no Dask scheduler answered")
    assert not (tmp_path / "clip_frames" / "run.json").exists()


# --- 4. 0 where 0 is allowed, and empty names --------------------------------------------------
@pytest.mark.slow
def test_tiles_with_no_overlap_paint(tmp_path):
    output = tmp_path / "tiled.png"
    done = run_script(CONTENT, STYLE, "--size", "96", "--tile", "64", "--tile-overlap", "0",
                      "--fast", "--iterations", "1", "--seed", "0", "--no-extras",
                      "--output", str(output), timeout=300)
    assert done.returncode == 0, done.stderr
    assert "overlapping by 0 px" in done.stdout
    assert files.load_image(output).shape == (64, 96, 3)


def test_the_default_overlap_is_named_when_a_tile_is_smaller(capsys):
    status, err = main_says([CONTENT, STYLE, "--quick", "--size", "64", "--tile", "48"], capsys)
    assert_one_line_error(status, err, "--tile 48", "the default --tile-overlap 64")


@pytest.mark.parametrize("option", ["--output", "--init", "--weights"])
def test_an_empty_name_is_refused_not_taken_for_the_default(option, capsys):
    status, err = main_says([CONTENT, STYLE, option, ""], capsys)
    assert_one_line_error(status, err, option, "empty")


# --- 5. a stop before the first iteration keeps nothing ----------------------------------------
class StopAfterTheStart(Watcher):
    def __init__(self):
        self.evaluations = 0

    def evaluation_done(self, evaluator):
        self.evaluations += 1

    def should_stop(self):
        return self.evaluations >= 3


def test_a_stop_before_the_first_iteration_keeps_no_picture(weights_path, fresh_graph):
    """From the photo (as --quick starts) the first evaluations' best picture is the photo
    itself: no result, and not kept as one."""
    how = PaintSettings(sizes=(48,), iterations=(1,), init="content", bounded=True)
    painting = Painter(weights_path=weights_path, loss_settings=st.LossSettings(fast=True),
                       paint_settings=how).paint(files.load_image(CONTENT),
                                                 [files.load_image(STYLE)], StopAfterTheStart())
    assert painting.stopped and painting.picture is None and len(painting.history) >= 3


@pytest.mark.slow
def test_ctrl_c_before_quicks_first_iteration_writes_nothing(tmp_path):
    output = tmp_path / "quick.png"
    child = Child.script(CONTENT, STYLE, "--quick", "--size", "256", "--output", str(output))
    child.read_until("Start: loss", timeout=180)  # an iteration here takes seconds
    child.send_signal(signal.SIGINT)
    status, out, err = child.finish(timeout=120)
    assert status == 130 and "Iteration" not in out, out
    assert err.strip().splitlines() == ["Interrupted: nothing painted yet, so nothing was saved"]
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no picture, sheet, GIF or plot


# --- 6. a batch's inputs checked all at once; names that are not folders -----------------------
def test_every_unreadable_picture_is_named_in_one_refusal(tmp_path, capsys):
    photos = small(tmp_path / "photos", "cat.png")
    for name in ("broken.png", "empty.jpg", "text.png"):
        (photos / name).write_bytes({"broken.png": b"\x89PNG\r\n\x1a\nnot really",
                                     "empty.jpg": b"", "text.png": b"a letter"}[name])
    status, err = main_says([str(photos), "--styles", STYLE, "--output", str(tmp_path / "out"),
                             *SMALL, "--workers", "1"], capsys, main=batch.main)
    line = assert_one_line_error(status, err, "3 pictures cannot be read", "broken.png",
                                 "empty.jpg", "text.png", "--skip-unreadable")
    assert "cat.png" not in line


@pytest.mark.slow
def test_skip_unreadable_paints_the_rest_and_says_what_it_skipped(tmp_path):
    photos = small(tmp_path / "photos", "cat.png")
    (photos / "broken.png").write_bytes(b"a letter")
    output = tmp_path / "out"
    done = run_script(str(photos), "--styles", STYLE, "--output", str(output), *SMALL,
                      "--workers", "1", "--skip-unreadable", script=BATCH_SCRIPT, timeout=300)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in output.glob("*.png")) == ["cat_swirls.png"]
    last = done.stdout.strip().splitlines()[-1]
    assert last.startswith("Done in") and "1 picture painted" in last
    assert f"skipped, unreadable: {photos / 'broken.png'}" in last


def test_a_pictures_name_is_refused_as_a_batchs_folder(tmp_path, capsys):
    status, err = main_says([CONTENT, "--styles", STYLE, "--output", str(tmp_path / "out.png")],
                            capsys, main=batch.main)
    assert_one_line_error(status, err, "out.png", "a folder", f"{tmp_path / 'out'}/")
    assert not (tmp_path / "out.png").exists()


def test_help_says_a_folders_subfolders_are_not_painted(capsys):
    with pytest.raises(SystemExit):
        batch.parse_args(["--help"])
    assert "subfolders are not painted" in " ".join(capsys.readouterr().out.split())


# --- 7. the studio: names never shared, pictures never rewritten, the port answered first ------
def test_two_pictures_named_alike_in_one_folder_get_two_files(tmp_path):
    first, second = (files.claim(tmp_path, "20261206-120000_job001") for _ in range(2))
    assert first != second and first.exists() and second.exists()
    assert second.name == "20261206-120000_job001-2.png"


def test_each_iteration_is_shown_from_a_file_that_never_changes(tmp_path):
    job = studio_jobs.Job("tab", np.zeros((8, 8, 3), np.uint8), [], [], st.LossSettings(),
                          PaintSettings(sizes=(8,), iterations=(2,)), number=7)
    watcher = studio_jobs.JobWatcher(job, studio_jobs.Rate(), [(8, 8)], tmp_path)
    pictures = [np.full((8, 8, 3), value, np.uint8) for value in (10, 200)]
    for number, picture in enumerate(pictures, 1):
        watcher.iteration_done(st_iteration(number, picture))
        if number == 1:
            first, written = job.previews[0], job.previews[0].read_bytes()
    assert len(set(job.previews)) == 2
    assert first.read_bytes() == written  # the second iteration did not touch the first's file
    assert np.array_equal(files.load_image(job.previews[1]), pictures[1])


def st_iteration(number, picture):
    from painter.painting import Iteration
    return Iteration(stage=0, stages=1, number=number, iterations=2, picture=picture, loss=1.0,
                     parts={}, evaluations=20 * number)


def test_a_taken_port_is_one_line_naming_port_before_anything_loads(monkeypatch, capsys):
    import socket
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        monkeypatch.setattr(studio, "serve", lambda args: pytest.fail("it went on to load"))
        status = studio.main(["--port", str(port)])
    line = assert_one_line_error(status, capsys.readouterr().err, f"127.0.0.1:{port}",
                                 "taken", "--port")
    assert "GRADIO" not in line and "launch()" not in line


# --- 8. a plan before the work ------------------------------------------------------------------
def test_a_stills_plan_names_its_stages_and_tiles_and_paints_nothing(tmp_path, capsys):
    output = tmp_path / "poster.png"
    from painter import still
    status = still.main([CONTENT, STYLE, "--fast", "--scales", "128", "256", "--tile", "160",
                         "--output", str(output), "--plan"])
    out = capsys.readouterr().out
    assert status == 0, out
    assert "Stage 1: 128x85 px whole, 10 iterations" in out
    assert "Stage 2: 256x170 px in 4 tiles of 160 px overlapping by 64, 5 sweeps" in out
    assert "In all: at most" in out and "B of memory" in out and "GFLOP/s" in out
    assert list(tmp_path.iterdir()) == []  # nothing painted, nothing written


def test_a_plan_refuses_what_the_run_would(tmp_path, capsys):
    status, err = main_says([CONTENT, str(tmp_path / "nope.png"), "--plan"], capsys)
    assert_one_line_error(status, err, "nope.png", "no such file")


def test_a_batchs_plan_counts_its_pictures_and_workers_and_starts_no_cluster(tmp_path, capsys,
                                                                           monkeypatch):
    photos = small(tmp_path / "photos", "a.png", "b.png")
    monkeypatch.setattr(cluster, "connect", lambda where: pytest.fail("a cluster started"))
    status = batch.main([str(photos), "--styles", STYLE, MOSAIC, "--output",
                         str(tmp_path / "out"), *SMALL, "--workers", "1", "--plan"])
    out = capsys.readouterr().out
    assert status == 0, out
    assert "a batch of 4 pictures" in out and "4 to paint" in out and "1 worker here" in out
    assert not (tmp_path / "out").exists()


def test_a_clips_plan_counts_its_frames(tmp_path, capsys):
    frames = small(tmp_path / "frames", "f1.png", "f2.png", "f3.png")
    status = video.main([str(frames), STYLE, "--size", "48", "--fast", "--plan",
                         "--output", str(tmp_path / "clip.mp4")])
    out = capsys.readouterr().out
    assert status == 0, out
    assert "3 frames at 48x32 px" in out and "here, frame after frame" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["frames"]


@pytest.mark.slow
def test_fresh_forgets_no_frame_when_the_run_is_refused_at_its_address(tmp_path, capsys):
    """A sibling of the records: --fresh forgets the frames painted before, but only once the
    run can go on; a scheduler that does not answer is found first."""
    frames = small(tmp_path / "frames", "f1.png", "f2.png")
    painted = tmp_path / "clip_frames"
    painted.mkdir()
    files.save_image(painted / "frame_00001.png", np.zeros((32, 48, 3), np.uint8))
    status, err = main_says([str(frames), STYLE, "--size", "48", "--fast", "--fresh",
                             "--output", str(tmp_path / "clip.mp4"), "--address",
                             "tcp://127.0.0.1:1", "--connect-timeout", "1"], capsys,
                            main=video.main)
    assert_one_line_error(status, err, "no Dask scheduler answered")
    assert (painted / "frame_00001.png").exists()


def test_more_threads_than_cores_are_refused_too(capsys):
    """A sibling of --workers: a local cluster's --threads beyond the cores."""
    cores = len(os.sched_getaffinity(0))
    status, err = main_says([CONTENT, "--styles", STYLE, "--workers", "1", "--threads",
                             str(cores + 1)], capsys, main=batch.main)
    assert_one_line_error(status, err, f"--threads {cores + 1}", f"give at most {cores}")


@pytest.mark.slow
def test_every_unreadable_frame_of_a_folder_is_named_in_one_refusal(tmp_path, capsys):
    """A sibling of the batch's inputs: a clip's folder of frames, read to the end first."""
    frames = small(tmp_path / "frames", "f1.png", "f4.png")
    (frames / "f2.png").write_bytes(b"not a picture")
    (frames / "f3.png").write_bytes(b"")
    status, err = main_says([str(frames), STYLE, "--size", "48", "--fast", "--output",
                             str(tmp_path / "clip.mp4")], capsys, main=video.main)
    assert_one_line_error(status, err, "2 of the folder's frames cannot be read", "f2.png",
                          "f3.png")
