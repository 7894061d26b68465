"""The studio's parts without a browser: the worker and its queue (with a fake painter that
counts how many paint at once), the checks on what the page sends, and the graph kept for the
next run of the same shape (real, 48 px)."""
import threading
import time

import numpy as np
import pytest
from PIL import Image

from painter import files, memory, paint, settings, startup, studio, studio_jobs, studio_page
from painter.painting import Painting, Watcher
import style_transfer as st
from helpers import CONTENT, STYLE
from test_bad_input import png_header_claiming

WAIT = 10  # seconds: every wait in these tests is bounded by this


class FakePainter:
    """Paints nothing, slowly: `evaluations` steps of `step` seconds, asking the watcher
    between steps whether to stop, as Painter does. Counts the jobs painting at once."""

    def __init__(self, evaluations=5, step=0.01):
        self.evaluations, self.step = evaluations, step
        self.lock = threading.Lock()
        self.now = self.most = 0
        self.log = []          # ("start" | "end", job number), in order
        self.threads = set()   # the threads it was called from
        self.gate = threading.Event()
        self.gate.set()        # clear it to hold every job at its start

    def __call__(self, job, watcher):
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)
            self.log.append(("start", job.number))
            self.threads.add(threading.current_thread().name)
        try:
            assert self.gate.wait(WAIT)
            painting = Painting(picture=np.full((4, 6, 3), job.number, np.uint8),
                                   shape=(4, 6), loss=1.0)
            for _ in range(self.evaluations):
                if watcher.should_stop():
                    painting.stopped = True
                    break
                time.sleep(self.step)
            return painting
        finally:
            with self.lock:
                self.log.append(("end", job.number))
                self.now -= 1


def a_job(session="tab 1", iterations=2):
    photo = np.zeros((32, 48, 3), np.uint8)
    return studio_jobs.Job(session, photo, [photo], ["p"], st.LossSettings(fast=True),
                      settings.PaintSettings(sizes=(48,), iterations=(iterations,)))


def wait_until(condition, what):
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {WAIT} s: {what}")
        time.sleep(0.005)


@pytest.fixture
def worker(tmp_path):
    made = []

    def make(painter):
        made.append(studio_jobs.Worker(painter, tmp_path / "studio", log=lambda *a, **k: None))
        return made[-1].start()
    yield make
    for w in made:
        w.close(timeout=WAIT)
        assert not w.thread.is_alive()


# --- the worker and its queue ----------------------------------------------------------------
def test_jobs_from_many_threads_are_painted_one_at_a_time_in_the_one_thread(worker):
    painter = FakePainter()
    w = worker(painter)
    jobs = []
    submitters = [threading.Thread(target=lambda i=i: jobs.append(w.submit(a_job(f"tab {i}"))))
                  for i in range(8)]
    for thread in submitters:
        thread.start()
    for thread in submitters:
        thread.join(WAIT)
    wait_until(lambda: len(jobs) == 8 and all(job.finished for job in jobs), "all 8 done")
    assert painter.most == 1                 # never two at once
    assert painter.threads == {"painter"}    # all in the worker's thread
    assert [job.state for job in jobs] == ["done"] * 8
    # Each job ended before the next began, in the order they were queued.
    numbers = sorted(job.number for job in jobs)
    assert painter.log == [(what, n) for n in numbers for what in ("start", "end")]
    assert all(job.path.exists() and job.path.parent == w.out_dir for job in jobs)


def test_a_waiting_job_knows_its_place_in_the_queue(worker):
    painter = FakePainter()
    painter.gate.clear()  # the first job holds the worker
    w = worker(painter)
    first = w.submit(a_job("tab 1"))
    wait_until(lambda: first.state == "running", "the first job runs")
    second, third = w.submit(a_job("tab 2")), w.submit(a_job("tab 3"))
    assert (first.place, second.place, third.place) == (0, 1, 2)
    painter.gate.set()
    wait_until(lambda: third.state == "running" or third.finished, "the third job starts")
    wait_until(lambda: third.finished, "the third job ends")
    assert second.finished and third.place == 0


def test_stop_ends_the_running_job_before_the_next_one_starts(worker):
    painter = FakePainter(evaluations=100_000, step=0.001)  # would take minutes
    w = worker(painter)
    mine = w.submit(a_job("tab 1"))
    theirs = w.submit(a_job("tab 2"))
    wait_until(lambda: mine.state == "running", "the first job runs")
    asked = time.monotonic()
    assert w.stop("tab 1")
    wait_until(lambda: mine.finished, "the stopped job ends")
    assert time.monotonic() - asked < 1  # within an evaluation or so
    assert mine.state == "stopped" and mine.path.exists()  # the best picture is kept
    assert theirs.state in ("waiting", "running")  # tab 2's job was not stopped
    # The stopped job had ended before the next began.
    assert painter.log[:3] == [("start", mine.number), ("end", mine.number),
                               ("start", theirs.number)]
    w.stop("tab 2")
    wait_until(lambda: theirs.finished, "the second job ends")
    assert painter.most == 1


def test_stop_takes_a_waiting_job_out_of_the_queue_unpainted(worker):
    painter = FakePainter()
    painter.gate.clear()
    w = worker(painter)
    first = w.submit(a_job("tab 1"))
    wait_until(lambda: first.state == "running", "the first job runs")
    waiting = w.submit(a_job("tab 2"))
    later = w.submit(a_job("tab 3"))
    assert w.stop("tab 2")
    assert waiting.state == "stopped" and later.place == 1
    painter.gate.set()
    wait_until(lambda: later.finished, "the last job ends")
    assert ("start", waiting.number) not in painter.log
    assert not w.stop("tab 2")  # nothing left to stop


def test_a_painter_that_fails_fails_its_job_and_the_worker_goes_on(worker):
    calls = []

    def paint(job, watcher):
        calls.append(job.number)
        if len(calls) == 1:
            raise RuntimeError("out of ink")
        return Painting(picture=np.zeros((4, 4, 3), np.uint8), shape=(4, 4), loss=1.0)

    w = worker(paint)
    bad, good = w.submit(a_job()), w.submit(a_job())
    wait_until(lambda: good.finished, "the second job ends")
    assert bad.state == "failed" and "out of ink" in bad.error
    assert good.state == "done"


def test_the_watcher_passes_on_progress_and_measures_the_rate(tmp_path):
    job = a_job(iterations=1)
    rate = studio_jobs.Rate()
    watcher = studio_jobs.JobWatcher(job, rate, [(32, 48)], tmp_path)
    watcher.stage_begins(0, (32, 48), 1)
    watcher.evaluation_done(None)  # the first evaluation, timed with the build
    watcher.stage_started(0, 1.0)
    for _ in range(10):
        time.sleep(0.002)
        watcher.evaluation_done(None)
    assert rate.measured and rate.seconds_per_pixel > 0
    assert job.fraction == pytest.approx(10 / 20)
    assert job.seconds_left >= 0
    job.stop.set()
    assert watcher.should_stop()


# --- what the page sends -----------------------------------------------------------------------
@pytest.fixture
def uploads(tmp_path):
    folder = tmp_path / "gradio"
    folder.mkdir()
    return folder


def test_an_upload_is_read_as_the_command_line_reads_a_file(uploads):
    path = uploads / "abc123" / "my cat.png"
    path.parent.mkdir()
    path.write_bytes(open(CONTENT, "rb").read())
    image = studio_page.read_upload(path, uploads)
    np.testing.assert_array_equal(image, files.load_image(CONTENT))


@pytest.mark.parametrize("name, data, words", [
    ("notes.png", b"not a picture at all", "not a readable image"),
    ("cut.png", open(CONTENT, "rb").read()[:2000], "not a readable image"),
    ("bomb.png", png_header_claiming(100_000, 100_000), "too large"),
    ("empty.jpg", b"", "empty"),
])
def test_a_bad_upload_gets_one_line_naming_the_users_file_not_ours(uploads, name, data, words):
    path = uploads / "abc123" / name
    path.parent.mkdir()
    path.write_bytes(data)
    with pytest.raises(startup.UserError) as error:
        studio_page.read_upload(path, uploads)
    message = str(error.value)
    assert message.startswith(f"{name}: ") and words in message, message
    assert str(uploads) not in message and "\n" not in message


def test_a_tiny_upload_is_refused(uploads):
    path = uploads / "tiny.png"
    Image.new("RGB", (20, 40)).save(path)
    with pytest.raises(startup.UserError, match="tiny.png: only 20x40 pixels"):
        studio_page.read_upload(path, uploads)


def test_an_upload_over_the_size_limit_is_refused_unread(uploads, monkeypatch):
    monkeypatch.setattr(studio_page, "MAX_UPLOAD_BYTES", 1000)
    path = uploads / "big.png"
    path.write_bytes(b"\0" * 2000)
    with pytest.raises(startup.UserError, match="big.png: larger than"):
        studio_page.read_upload(path, uploads)


def test_a_path_outside_the_upload_folder_is_never_opened(uploads, tmp_path):
    outside = tmp_path / "secret.png"
    Image.new("RGB", (64, 64)).save(outside)
    for path in (outside, uploads / ".." / "secret.png"):
        with pytest.raises(startup.UserError, match="not an upload"):
            studio_page.read_upload(path, uploads)


def test_an_unprintable_browser_name_is_only_shown_cleaned():
    assert studio_page.shown_name("/tmp/gradio/x/evil\x1b[31m.png") == "evil[31m.png"
    assert len(studio_page.shown_name("/tmp/" + "a" * 200 + ".png")) == 63


def test_the_knobs_default_to_the_tutorials_values():
    knobs = studio_jobs.Knobs()
    assert (knobs.content_weight, knobs.style_weight, knobs.tv_weight) == (0.025, 5.0, 1.0)
    assert (knobs.content_layer, knobs.size, knobs.iterations) == ("block2_conv2", 512, 10)
    loss, how = knobs.settings([1.0])
    assert loss.fast and how.init == "noise" and how.preserve_color is None
    assert how.sizes == (512,) and how.iterations == (10,)
    _, how = studio_jobs.Knobs(size=1024, coarse_to_fine=True, start="the photo").settings([1.0])
    assert how.sizes == (256, 512, 1024) and how.iterations == (10, 5, 3)
    assert how.init == "content"


PHOTO = {"name": "the cat", "image": np.zeros((300, 451, 3), np.uint8)}
PAINTINGS = [{"name": "swirls", "image": np.zeros((64, 64, 3), np.uint8)},
             {"name": "mosaic", "image": np.zeros((64, 64, 3), np.uint8)}]


@pytest.mark.parametrize("photo, paintings, shares, knobs, words", [
    (None, PAINTINGS, [1, 1], studio_jobs.Knobs(), "Choose a photo first"),
    (PHOTO, [], [], studio_jobs.Knobs(), "Choose a painting"),
    (PHOTO, PAINTINGS, [1, 0], studio_jobs.Knobs(), "The share of mosaic is 0"),
    (PHOTO, PAINTINGS, [1, 1], studio_jobs.Knobs(content_weight=0, style_weight=0, tv_weight=0),
     "all 0"),
    (PHOTO, PAINTINGS, [1, 1], studio_jobs.Knobs(style_weight=-1), "style weight"),
    (PHOTO, PAINTINGS, [1, 1], studio_jobs.Knobs(size=40), "VGG16 needs at least 32"),
])
def test_paint_with_something_missing_says_so_and_starts_nothing(
        worker, photo, paintings, shares, knobs, words):
    w = worker(FakePainter())
    page = studio_page.Studio(w, "/nowhere")
    updates = list(page.paint("tab 1", photo, paintings, shares, knobs, []))
    assert len(updates) == 1 and words in updates[0]["message"], updates
    assert w.numbers == 0  # no job was made


def test_a_size_too_large_for_memory_is_refused_with_one_that_fits(worker, monkeypatch):
    monkeypatch.setattr(memory, "available_memory", lambda: 3e9)
    page = studio_page.Studio(worker(FakePainter()), "/nowhere")
    updates = list(page.paint("tab 1", PHOTO, PAINTINGS, [1, 1], studio_jobs.Knobs(size=2048), []))
    assert "needs about" in updates[0]["message"] and "fits" in updates[0]["message"]


def test_paint_follows_its_job_from_the_queue_to_the_finished_picture(worker):
    w = worker(FakePainter())
    page = studio_page.Studio(w, "/nowhere")
    updates = list(page.paint("tab 1", PHOTO, PAINTINGS[:1], [1], studio_jobs.Knobs(size=64), []))
    assert "in the queue" in updates[0]["progress"]
    last = updates[-1]
    assert last["download"].endswith(".png") and last["runs"][0][0] == last["download"]
    assert "done" in last["progress"]


def test_the_estimate_grows_with_the_size_and_follows_the_measured_rate():
    rate = studio_jobs.Rate()
    small = rate.seconds([(43, 64)], [2])
    large = rate.seconds([(341, 512)], [10])
    assert large > small > 0
    rate.seconds_per_pixel *= 2
    assert rate.seconds([(341, 512)], [10]) > large
    assert "512x341 px, 200 evaluations" in rate.describe((300, 451), studio_jobs.Knobs())


def test_the_host_is_loopback_unless_asked(capsys, monkeypatch):
    assert studio.is_loopback("127.0.0.1") and studio.is_loopback("localhost")
    assert studio.is_loopback("::1") and not studio.is_loopback("0.0.0.0")
    assert studio.parse_args([]).host == "127.0.0.1"

    def no_weights(args):
        raise startup.UserError("no weights here")
    monkeypatch.setattr(studio, "serve", no_weights)
    assert studio.main(["--host", "0.0.0.0"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("warning: --host 0.0.0.0 is not loopback")
    assert err[1] == "error: no weights here"
    assert studio.main([]) == 2
    assert capsys.readouterr().err.splitlines() == ["error: no weights here"]


# --- the graph, kept for the next run of the same shape (real painting) -----------------------
@pytest.mark.slow
def test_a_graph_is_reused_for_the_next_run_of_the_same_shape(weights_path, monkeypatch):
    photo, painting = files.load_image(CONTENT), files.load_image(STYLE)
    painter = studio_jobs.JobPainter(weights_path)  # what the worker thread paints with
    easel = painter.easel
    how = settings.PaintSettings(sizes=(48,), iterations=(1,), seed=0)

    def job(photo, how=how):
        return studio_jobs.Job("tab", photo, [painting], ["swirls"], st.LossSettings(fast=True),
                               how)

    first = painter(job(photo), Watcher())
    again = painter(job(photo), Watcher())
    assert (easel.built, easel.reused) == (1, 1)
    assert again.loss == pytest.approx(first.loss, rel=1e-5)  # the same picture, sooner
    # Another photo of the same shape reuses it too, and paints what a fresh graph would.
    mirror = np.ascontiguousarray(photo[:, ::-1])
    reused = painter(job(mirror), Watcher())
    fresh = paint.Painter(weights_path=weights_path, loss_settings=st.LossSettings(fast=True),
                          paint_settings=how).paint(mirror, [painting])
    assert (easel.built, easel.reused) == (1, 2)
    assert reused.loss == pytest.approx(fresh.loss, rel=1e-4)
    # Another size needs another graph.
    painter(job(photo, settings.PaintSettings(sizes=(64,), iterations=(1,), seed=0)), Watcher())
    assert easel.built == 2
