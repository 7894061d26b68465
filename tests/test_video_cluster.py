"""A clip painted by a cluster (style_video.py --workers, video_cluster.py): shots found at the
cuts, chunks where asked with their overlap painted twice and faded once into the video, each
shot painted as style_video paints a clip alone, resuming span by span, killed workers and
Ctrl-C. A real local cluster of 2 workers; tiny clips (72x48 px at 48 px, a few frames) keep
it quick."""
import io
import re
import sys
import signal

import numpy as np
import psutil
import pytest

from painter import files, frame_files, video, video_run
from painter.shots import fade_weight, faded, find_cuts, overlap_path, plan_spans
import style_transfer as st
from helpers import (CONTENT, IMAGES, STYLE, VIDEO_SCRIPT, Child, assert_one_line_error,
                     local_workers, main_says)
from test_video import decoded_frames, panning_frames

QUICK = ["--size", "48", "--iterations", "1", "--later-iterations", "1", "--fast"]
CLUSTER = ["--workers", "2", "--threads", "1"]
FIRST_SHOT, SECOND_SHOT = 6, 9  # frames


def drifting(photo, count, shape=(48, 72)):
    """`count` frames of a photo, shrunk to `shape` and drifting right a pixel a frame."""
    height, width = shape
    picture = st.resize(files.load_image(photo), (height, width + count))
    return [np.ascontiguousarray(picture[:, count - t: count - t + width]) for t in range(count)]


def clip_with_a_cut():
    """A cat drifting for FIRST_SHOT frames, then a cut to an astronaut for SECOND_SHOT."""
    return (drifting(CONTENT, FIRST_SHOT)
            + drifting(IMAGES / "astronaut.png", SECOND_SHOT))


@pytest.fixture(scope="module")
def cut_clip(tmp_path_factory):
    """The clip with a cut, as a folder of frames (lossless: the reference paints the same)."""
    folder = tmp_path_factory.mktemp("cut") / "clip"
    folder.mkdir()
    for index, frame in enumerate(clip_with_a_cut()):
        files.save_image(folder / f"{index:03d}.png", frame)
    return folder


# --- 1. shots -------------------------------------------------------------------------------
def test_a_clip_with_a_cut_is_split_at_the_cut():
    assert find_cuts(clip_with_a_cut(), fps=6) == [FIRST_SHOT]


def test_a_pan_is_one_shot():
    assert find_cuts(panning_frames(20, shape=(48, 72), step=2), fps=6) == []
    assert find_cuts(drifting(CONTENT, 20), fps=6) == []


# --- 2. spans -------------------------------------------------------------------------------
@pytest.mark.parametrize("count, cuts, chunk, overlap", [
    (15, [6], 4, 2), (100, [], 24, 8), (100, [30, 31 + 40], 16, 5), (10, [], 48, 8),
    (50, [10, 20], 7, 1)])
def test_spans_cover_the_clip_with_borders_and_overlaps_where_asked(count, cuts, chunk,
                                                                    overlap):
    spans = plan_spans(count, cuts, chunk, overlap)
    shots = list(zip([0, *cuts], [*cuts, count]))
    painted = np.zeros(count, int)
    for span in spans:
        painted[span.first:span.end] += 1
        begin, end = shots[span.shot]
        assert begin <= span.first < span.end <= end  # no span crosses a cut
    for begin, end in shots:
        mine = [span for span in spans if span.first >= begin and span.end <= end]
        # Borders every `chunk` frames from the shot's start; a last piece under half a
        # chunk joins the chunk before.
        borders = list(range(begin + chunk, end, chunk))
        if borders and end - borders[-1] < chunk / 2:
            borders.pop()
        assert [span.first + span.lead for span in mine] == [begin, *borders]
        assert mine[0].first == begin and mine[0].lead == 0 and mine[-1].end == end
        for earlier, later in zip(mine, mine[1:]):
            assert later.lead == overlap == earlier.tail
            assert earlier.end == later.first + later.lead  # the overlap: the later's lead
        overlapped = {frame for border in borders for frame in range(border - overlap, border)}
        for frame in range(begin, end):  # painted twice in an overlap, else once
            assert painted[frame] == (2 if frame in overlapped else 1), frame
        assert mine[-1].tail == 0


def test_the_fade_goes_from_the_earlier_chunk_to_the_later_evenly():
    overlap = 4
    weights = [fade_weight(position, overlap) for position in range(overlap)]
    assert np.allclose(np.diff([0, *weights, 1]), 1 / (overlap + 1))
    rng = np.random.default_rng(0)
    earlier, later = (rng.integers(0, 256, (8, 8, 3), dtype=np.uint8) for _ in range(2))
    expected = np.round(0.6 * earlier.astype(float) + 0.4 * later).astype(np.uint8)
    assert np.array_equal(faded(earlier, later, 0.4), expected)


# --- 3. a clip with a cut, on a local cluster of 2 workers ----------------------------------
def painted(argv):
    """video.main(argv) in this process: (exit status, what it said, as one text)."""
    capture, out = pytest.MonkeyPatch(), io.StringIO()
    capture.setattr(sys, "stdout", out)  # its lines, as the terminal would show them
    try:
        status = video.main(argv)
    finally:
        capture.undo()
    return status, out.getvalue()


def cluster_argv(clip, output):
    return [str(clip), STYLE, *QUICK, *CLUSTER, "--chunk", "4", "--overlap", "2", "--fps", "6",
            "--output", str(output)]


@pytest.fixture(scope="module")
def on_the_cluster(cut_clip, tmp_path_factory):
    """The clip painted by 2 workers in chunks of 4 frames overlapping by 2: (output, stdout)."""
    output = tmp_path_factory.mktemp("painted") / "cut.mp4"
    status, out = painted(cluster_argv(cut_clip, output))
    assert status == 0, out
    return output, out


def frames_of(output, count):
    folder, _ = frame_files.side_paths(output)
    return [files.load_image(frame_files.frame_path(folder, index)) for index in range(count)]


def assert_same_frames(got, expected):
    """Equal within float tolerance: a worker's single thread adds up the same sums in another
    order, which L-BFGS carries on a little over a few frames."""
    for index, (a, b) in enumerate(zip(got, expected)):
        difference = np.abs(a.astype(int) - b.astype(int))
        assert difference.max() <= 4 and difference.mean() < 0.5, (index, difference.max(),
                                                                    difference.mean())


@pytest.mark.slow
def test_the_cluster_paints_each_shot_in_chunks_and_every_frame_once(on_the_cluster):
    output, out = on_the_cluster
    count = FIRST_SHOT + SECOND_SHOT
    assert f"cuts before frame {FIRST_SHOT + 1}" in out, out
    assert "Cluster: 2 workers (on this machine), 4 tasks" in out, out
    # Shot 1: frames 1-4 and 3-6; shot 2: 7-10 and 9-15 (a last piece of 1 joins its chunk).
    assert sorted(re.findall(r"^Frames (\d+-\d+) \(shot (\d)\)", out, re.M)) == sorted(
        [("1-4", "1"), ("3-6", "1"), ("7-10", "2"), ("9-15", "2")]), out
    meta, decoded = decoded_frames(output)
    assert len(decoded) == count  # the overlap frames once
    folder, _ = frame_files.side_paths(output)
    assert len(list(folder.glob("frame_*.png"))) == count
    for index, position in [(2, 0), (3, 1), (8, 0), (9, 1)]:  # the faded frames
        earlier, later = (files.load_image(overlap_path(folder, index, which))
                          for which in ("earlier", "later"))
        assert not np.array_equal(earlier, later)  # two paintings, from two starts
        expected = np.round((1 - (position + 1) / 3) * earlier.astype(float)
                            + (position + 1) / 3 * later.astype(float))
        painted = files.load_image(frame_files.frame_path(folder, index))
        assert np.abs(painted - expected).max() <= 0.5


@pytest.mark.slow
def test_each_shot_is_painted_as_a_clip_of_it_alone_would_be(on_the_cluster, tmp_path,
                                                             capsys):
    """The reference: style_video.py painting the second shot's frames here, in order, as a
    clip of its own (its first frame from scratch)."""
    output, _ = on_the_cluster
    shot = tmp_path / "shot"
    shot.mkdir()
    for index, frame in enumerate(clip_with_a_cut()[FIRST_SHOT:FIRST_SHOT + 2]):
        files.save_image(shot / f"{index:03d}.png", frame)
    alone = tmp_path / "alone.mp4"
    status, err = main_says([str(shot), STYLE, *QUICK, "--fps", "6", "--output", str(alone)],
                            capsys, main=video.main)
    assert status == 0, err
    assert_same_frames(frames_of(output, FIRST_SHOT + 2)[FIRST_SHOT:], frames_of(alone, 2))


@pytest.mark.slow
def test_a_run_again_paints_only_the_span_that_lost_a_frame(on_the_cluster, cut_clip):
    output, _ = on_the_cluster
    folder, _ = frame_files.side_paths(output)
    kept = {path.name: path.stat().st_mtime_ns for path in folder.glob("frame_*.png")}
    frame_files.frame_path(folder, 11).unlink()  # frame 12: in span 9-15 only
    del kept["frame_00012.png"]
    status, out = painted(cluster_argv(cut_clip, output))
    assert status == 0, out
    assert "3 already painted" in out and "1 task" in out, out
    assert re.findall(r"^Frames (\S+) ", out, re.M) == ["9-15"], out
    assert frame_files.frame_path(folder, 11).exists()
    changed = [name for name, stamp in kept.items() if (folder / name).stat().st_mtime_ns
               != stamp]
    # The span's own frames are written again; its overlap with 7-10 is faded again.
    assert set(changed) <= {f"frame_{n:05d}.png" for n in range(9, 16)}, changed
    assert "frame_00001.png" not in changed


@pytest.mark.slow
def test_frames_painted_on_a_cluster_are_not_carried_on_in_order(on_the_cluster, cut_clip,
                                                                 capsys):
    output, _ = on_the_cluster
    status, err = main_says([str(cut_clip), STYLE, *QUICK, "--fps", "6", "--output",
                             str(output)], capsys, main=video.main)
    assert_one_line_error(status, err, "painted on a cluster then, in order now", "--fresh")


# --- 4. faults and Ctrl-C, in a child started as from a terminal -----------------------------
def clip_child(clip, output, *more):
    return Child.script(*cluster_argv(clip, output), *more, script=VIDEO_SCRIPT)


@pytest.mark.slow
def test_workers_killed_mid_chunk_still_give_every_frame(cut_clip, tmp_path):
    output = tmp_path / "killed.mp4"
    child = clip_child(cut_clip, output)
    child.read_until(r"Frames \S+ \(shot", timeout=120)  # 3 chunks are left: some are on
    workers = local_workers(child)
    assert len(workers) == 2
    for worker in workers:
        worker.kill()
    status, out, err = child.finish(timeout=180)
    assert status == 0, err
    assert re.search(r"^A worker stopped \(\S+\) while painting frames \d+-\d+", out,
                     re.M), out
    _, decoded = decoded_frames(output)
    assert len(decoded) == FIRST_SHOT + SECOND_SHOT


@pytest.mark.slow
def test_ctrl_c_writes_the_video_of_the_frames_done_and_exits_130(cut_clip, tmp_path):
    output = tmp_path / "stopped.mp4"
    child = clip_child(cut_clip, output, "--workers", "1")  # one chunk at a time
    child.read_until(r"Frames 1-4 \(shot", timeout=120)
    child.send_signal(signal.SIGINT)
    status, out, err = child.finish(timeout=60)
    assert status == 130, err
    folder, _ = frame_files.side_paths(output)
    finished = video_run.index_of_first_missing(folder, FIRST_SHOT + SECOND_SHOT)
    assert finished >= 2  # frames 1 and 2 (3 and 4 wait for their fade)
    assert err.strip().splitlines()[-1].startswith(
        f"Interrupted: the video of frames 1 to {finished} is in {output}")
    _, decoded = decoded_frames(output)
    assert len(decoded) == finished
    assert not [p for p in psutil.process_iter(["cmdline"])
                if str(output) in " ".join(p.info["cmdline"] or [])], "still running"


# --- 5. options -----------------------------------------------------------------------------
@pytest.mark.parametrize("options, words", [
    (["--chunk", "8"], ["--chunk", "--workers"]),
    (["--overlap", "2"], ["--overlap", "--workers"]),
    (["--workers", "2", "--chunk", "4", "--overlap", "4"], ["--overlap 4", "less than"]),
    (["--workers", "2", "--chunk", "1"], ["--chunk"]),
    (["--workers", "2", "--address", "tcp://127.0.0.1:1"], ["--workers", "--address"]),
])
def test_bad_cluster_options_are_one_line_and_status_2(cut_clip, capsys, options, words):
    status, err = main_says([str(cut_clip), STYLE, *QUICK, *options], capsys, main=video.main)
    assert_one_line_error(status, err, *words)
