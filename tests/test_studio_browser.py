"""The studio in a real browser: Debian's Chromium, headless, driven by Playwright against the
real server (studio.py in a child process) painting real tiny pictures (64 px, 2 iterations).

Every request the page makes is recorded: none may leave 127.0.0.1. Every wait is bounded.
Without Chromium these tests are skipped with one line saying how to get it; under CI
(CI=true) they fail instead, since CI must run them."""
import os
import re
import shutil
import signal
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

import helpers
from helpers import ROOT, Child
from studio_screenshot import CHROMIUM, CHROMIUM_ARGS, VIEWPORT, free_port

if os.environ.get("CI") != "true":  # under CI a missing Playwright fails the run instead
    pytest.importorskip("playwright", reason="make test installs it (pip install -e \".[test]\")")
from playwright.sync_api import expect, sync_playwright  # noqa: E402

pytestmark = pytest.mark.slow

HOW_TO_ENABLE = ("the studio's browser tests need Chromium: run `make chromium` as root "
                 "(apt-get install chromium), or set STUDIO_CHROMIUM to a Chromium binary")
START = 180     # s: the server's start (TensorFlow, Gradio) on a busy 2-core machine
PAINT = 120     # s: a 64 px painting of 2 iterations, graph build included
UI = 15_000     # ms: the page answering a click
JOB_LINE = re.compile(r"^Job (\d+): (started|done|stopped|failed)", re.M)


if not os.path.exists(CHROMIUM):  # one line for the whole module, or under CI a failure
    if os.environ.get("CI") == "true":
        pytest.fail(f"Chromium is missing under CI ({CHROMIUM}): {HOW_TO_ENABLE}",
                    pytrace=False)
    pytest.skip(HOW_TO_ENABLE, allow_module_level=True)


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                             headless=True, timeout=60_000)
        yield browser
        browser.close()


class Server:
    """studio.py in a child process; `jobs` counts the jobs the tests expect it to paint."""

    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.child = Child([sys.executable, ROOT / "studio.py", "--port", self.port])
        # It serves the whole module: not one test's child, for conftest to stop after each.
        helpers.LIVE.discard(self.child)
        line = self.child.read_until("The studio is at", START)
        assert self.url in line, line
        self.jobs = 0

    def wait_for_job(self, number, states="done|stopped", timeout=PAINT):
        return self.child.read_until(rf"Job {number}: ({states})", timeout)


@pytest.fixture(scope="module")
def server(browser):
    server = Server()
    try:
        yield server
    finally:
        helpers.LIVE.add(server.child)  # stopped by conftest if what follows fails
    server.child.send_signal(signal.SIGINT)  # Ctrl-C: it stops its worker and ends
    status, out, err = server.child.finish(60)
    assert status == 0, err
    # Over the whole session: every job started after the one before had ended.
    log = JOB_LINE.findall(out)
    starts = [int(n) for n, what in log if what == "started"]
    assert starts == list(range(1, server.jobs + 1)), out
    for (n, what), (m, then) in zip(log, log[1:]):
        assert (what == "started") == (then != "started") and (what != "started" or n == m), out


class Tab:
    """A page of the studio in the browser, recording its requests and console errors."""

    def __init__(self, context, url):
        self.page = context.new_page()
        self.requests, self.errors = [], []
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.goto(url, timeout=60_000)
        self.page.locator("#paint").wait_for(timeout=60_000)
        self.page.locator("#estimate").get_by_text("About").wait_for(timeout=UI)

    def __getattr__(self, name):
        return getattr(self.page, name)

    def text(self, selector):
        return self.page.locator(selector).inner_text(timeout=UI)

    def set_number(self, elem_id, value):
        box = self.page.locator(f"#{elem_id} input[type=number]").first
        box.fill(str(value))
        box.press("Enter")

    def choose(self, photo="the cat", paintings=("swirls",)):
        self.page.get_by_role("button", name=photo).click()
        for name in paintings:
            self.page.get_by_role("button", name=name).click()
        self.page.locator(f"#painting-{len(paintings) - 1}").wait_for(timeout=UI)
        self.page.locator("#photo-view img").wait_for(timeout=UI)

    def tiny(self, iterations=2):
        self.set_number("size", 64)
        self.set_number("iterations", iterations)
        self.page.locator("#estimate").get_by_text("64x").wait_for(timeout=UI)

    def watch(self):
        """Record, in the page, every change of the iteration shown and of the picture."""
        self.page.evaluate("""() => {
            window.seen = [];
            const note = () => {
                const it = document.querySelector('#loss .iteration');
                const img = document.querySelector('#picture img');
                const now = [it ? it.textContent : '', img ? img.src : ''];
                const last = window.seen[window.seen.length - 1];
                if (!last || last[0] !== now[0] || last[1] !== now[1]) window.seen.push(now);
            };
            new MutationObserver(note).observe(document.body, {subtree: true, childList: true,
                                                               attributes: true});
        }""")

    def seen(self):
        return self.page.evaluate("() => window.seen")

    def job_number(self, previous=None):
        """The number of the job the page follows (one other than `previous`)."""
        deadline = time.monotonic() + UI / 1000
        while time.monotonic() < deadline:
            found = re.search(r"Job (\d+)", self.text("#progress"))
            if found and int(found.group(1)) != previous:
                return int(found.group(1))
            time.sleep(0.05)
        pytest.fail(f"no new job in the page within {UI} ms: {self.text('#progress')!r}")

    def wait_for_progress(self, words, timeout=PAINT):
        self.page.locator("#progress").get_by_text(words).wait_for(timeout=timeout * 1000)

    def check_offline_and_quiet(self):
        away = [url for url in self.requests
                if not re.match(r"^(http://127\.0\.0\.1[:/]|data:|blob:)", url)]
        assert away == [], away
        assert self.errors == [], self.errors


@pytest.fixture
def context(browser, server):
    context = browser.new_context(accept_downloads=True, viewport=VIEWPORT)
    tabs = []

    def open_tab():
        tabs.append(Tab(context, server.url))
        return tabs[-1]
    yield open_tab
    for tab in tabs:
        tab.check_offline_and_quiet()
    context.close()


def test_the_page_loads_offline_with_the_tutorials_defaults(context):
    tab = context()
    assert tab.requests and all(url.startswith("http://127.0.0.1") for url in tab.requests)
    values = {name: tab.locator(f"#{name} input").first.input_value()
              for name in ("content-weight", "style-weight", "tv-weight", "size",
                           "iterations", "content-layer", "color")}
    assert values == {"content-weight": "0.025", "style-weight": "5", "tv-weight": "1",
                      "size": "512", "iterations": "10", "content-layer": "block2_conv2",
                      "color": "the painting's"}
    assert tab.locator("#start input[value=noise]").is_checked()
    assert not tab.locator("#coarse input").is_checked()
    assert "512x" in tab.text("#estimate")  # the time a 512 px run takes here
    assert tab.locator("#style-loss input[value=gram]").is_checked()
    assert tab.locator("#style-shape input[value=picture]").is_checked()
    tab.get_by_role("button", name="Bold", exact=True).click()
    expect(tab.locator("#content-layer input")).to_have_value("block4_conv2", timeout=UI)
    expect(tab.locator("#content-weight input")).to_have_value("0.25", timeout=UI)
    tab.get_by_role("button", name="Painted", exact=True).click()  # recipes.py's painted
    expect(tab.locator("#content-weight input")).to_have_value("0.03", timeout=UI)
    expect(tab.locator("#style-loss input[value=w2]")).to_be_checked(timeout=UI)
    expect(tab.locator("#start input[value='the photo']")).to_be_checked(timeout=UI)
    expect(tab.locator("#coarse input")).to_be_checked(timeout=UI)
    expect(tab.locator("#style-shape input[value=own]")).to_be_checked(timeout=UI)
    tab.get_by_role("button", name="Tutorial", exact=True).click()
    expect(tab.locator("#style-shape input[value=picture]")).to_be_checked(timeout=UI)
    expect(tab.locator("#content-layer input")).to_have_value("block2_conv2", timeout=UI)
    expect(tab.locator("#content-weight input")).to_have_value("0.025", timeout=UI)
    expect(tab.locator("#style-loss input[value=gram]")).to_be_checked(timeout=UI)
    expect(tab.locator("#start input[value=noise]")).to_be_checked(timeout=UI)


def test_paint_with_no_photo_says_so_and_starts_nothing(context):
    tab = context()
    tab.get_by_role("button", name="swirls").click()
    tab.locator("#painting-0 img").wait_for(timeout=UI)  # as a user sees it, then paints
    tab.locator("#paint").click()
    tab.locator("#message").get_by_text("Choose a photo first").wait_for(timeout=UI)
    assert "Job" not in tab.text("#progress")  # the server's log is checked at the end


def test_a_broken_upload_gets_its_message_and_the_server_goes_on(context, tmp_path):
    tab = context()
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + b"not really" * 50)
    tab.locator("#photo-file input[type=file]").set_input_files(str(broken))
    tab.locator("#message").get_by_text("broken.png: not a readable image").wait_for(timeout=UI)
    assert str(tmp_path) not in tab.text("#message")
    text = tmp_path / "notes.txt"
    text.write_text("a shopping list")
    tab.locator("#painting-files input[type=file]").set_input_files(str(text))
    tab.locator("#message").get_by_text("notes.txt: not a readable image").wait_for(timeout=UI)
    tab.get_by_role("button", name="the cat").click()  # still answering
    tab.locator("#photo-view img").wait_for(timeout=UI)


def test_an_upload_over_the_limit_gets_the_studios_line_and_leaves_the_box(context, tmp_path):
    """Over the studio's 25 MB (Gradio's own limit, far above it, would refuse the file in the
    browser with a bare "Error" badge): one line naming the file and the limit, the limit said
    beside both drop boxes beforehand, and the refused photo taken out of its box."""
    tab = context()
    assert "25 MB" in tab.text("#photo-file") and "25 MB" in tab.text("#painting-files")
    big = tmp_path / "huge.png"
    big.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(26 * 1024 ** 2))
    tab.locator("#photo-file input[type=file]").set_input_files(str(big))
    tab.locator("#message").get_by_text("huge.png: larger than 25 MB").wait_for(timeout=UI * 4)
    expect(tab.locator("#photo-file").get_by_text("huge.png")).to_have_count(0, timeout=UI)
    assert tab.locator("#photo-view img").count() == 0
    tab.locator("#painting-files input[type=file]").set_input_files(str(big))
    tab.locator("#message").get_by_text("huge.png: larger than 25 MB").wait_for(timeout=UI * 4)
    assert tab.locator("#painting-0 img").count() == 0


def test_uploads_paint_after_every_iteration_to_the_end_and_download_as_png(context, server,
                                                                           tmp_path):
    tab = context()
    photo, swirls, mosaic = (tmp_path / "photo.jpg", tmp_path / "a.png", tmp_path / "b.png")
    Image.open(ROOT / "images" / "chelsea.png").convert("RGB").save(photo)
    shutil.copy(ROOT / "images" / "swirls.png", swirls)
    shutil.copy(ROOT / "images" / "mosaic.png", mosaic)
    tab.locator("#photo-file input[type=file]").set_input_files(str(photo))
    tab.locator("#photo-view img").wait_for(timeout=UI)
    tab.locator("#painting-files input[type=file]").set_input_files([str(swirls), str(mosaic)])
    tab.locator("#painting-1").wait_for(timeout=UI)
    assert tab.locator("#share-1 input[type=number]").input_value() == "1"
    tab.tiny()
    tab.watch()
    tab.locator("#paint").click()
    server.jobs += 1
    number = tab.job_number()
    tab.wait_for_progress("done")
    server.wait_for_job(number, "done")
    assert tab.locator("#progress progress").get_attribute("value") == "1.000"
    shown = [(label, src) for label, src in tab.seen() if label and src]
    assert {label for label, _ in shown} >= {"iteration 1/2", "iteration 2/2"}, tab.seen()
    # A new picture as the iterations go: the first shown at iteration 1 is not the last at
    # 2. (The page polls: iteration 2's picture and the finished one may come in one update.)
    first = next(src for label, src in shown if label == "iteration 1/2")
    last = [src for label, src in shown if label == "iteration 2/2"][-1]
    assert first != last, tab.seen()
    assert "style (a.png)" in tab.text("#loss") and "style (b.png)" in tab.text("#loss")
    with tab.expect_download(timeout=UI) as download:
        tab.locator("#download").click()
    path = Path(download.value.path())
    with Image.open(path) as image:
        assert image.format == "PNG" and max(image.size) == 64 and image.size == (64, 43)
    assert tab.locator("#runs img").count() == 1


def test_stop_keeps_the_last_picture_and_the_next_paint_starts_fresh(context, server):
    tab = context()
    tab.choose()
    tab.tiny(iterations=50)  # long enough to stop in the middle
    tab.watch()
    tab.locator("#paint").click()
    server.jobs += 1
    number = tab.job_number()
    tab.locator("#loss").get_by_text("iteration 1/50").wait_for(timeout=PAINT * 1000)
    asked = time.monotonic()
    tab.locator("#stop").click()
    tab.wait_for_progress("stopped", timeout=30)
    assert time.monotonic() - asked < 10
    server.wait_for_job(number, "stopped")
    tab.locator("#message").get_by_text("the best picture so far is kept").wait_for(timeout=UI)
    assert tab.locator("#picture img").count() == 1
    with tab.expect_download(timeout=UI) as download:
        tab.locator("#download").click()
    with Image.open(download.value.path()) as image:
        assert image.size == (64, 43)
    # The next Paint starts afresh: its own job, from iteration 1, to the end.
    tab.set_number("iterations", 2)
    tab.watch()
    tab.locator("#paint").click()
    server.jobs += 1
    again = tab.job_number(previous=number)
    assert again == number + 1
    tab.wait_for_progress("done")
    server.wait_for_job(again, "done")
    seen = tab.seen()  # the stopped run's loss is cleared first, then the new run's shown
    cleared = next(i for i, (label, _) in enumerate(seen) if not label)
    labels = [label for label, _ in seen[cleared:] if label]
    assert sorted(set(labels)) == ["iteration 1/2", "iteration 2/2"], seen
    assert labels[0] == "iteration 1/2" and labels[-1] == "iteration 2/2", seen
    assert tab.locator("#runs img").count() == 2  # both runs, to compare


def test_two_tabs_never_paint_at_once(context, server):
    first, second = context(), context()
    for tab, iterations in ((first, 4), (second, 2)):
        tab.choose(paintings=("mosaic",))
        tab.tiny(iterations)
    first.locator("#paint").click()
    first.wait_for_progress("painting")
    second.locator("#paint").click()
    server.jobs += 2
    second.wait_for_progress("place 1 in the queue", timeout=30)
    a, b = first.job_number(), second.job_number()
    first.wait_for_progress("done")
    second.wait_for_progress("done")
    server.wait_for_job(b, "done")
    log = JOB_LINE.findall(bytes(server.child.out).decode())
    mine = [(int(n), what) for n, what in log if int(n) in (a, b)]
    assert mine == [(a, "started"), (a, "done"), (b, "started"), (b, "done")], log
