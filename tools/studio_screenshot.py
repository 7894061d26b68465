"""make studio-screenshot: the README's picture of the studio mid-run, docs/studio.png.

Starts studio.py on a free port, opens it in Debian's Chromium (headless, through Playwright),
paints the bundled cat in the style of swirls at 256 px from the photo, and takes the page
after the third of 10 iterations. About a minute on 2 cores. The Chromium settings are the
browser tests' too (tests/test_studio_browser.py imports them from here).
"""
import os
import re
import socket
import subprocess
import sys
import time

from toolkit import ROOT

CHROMIUM = os.environ.get("STUDIO_CHROMIUM", "/usr/bin/chromium")
# Without the background-networking flags Chromium phones home (updates, sync, field trials),
# which on these machines would only fail; with them the page makes no request off 127.0.0.1.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1400, "height": 1100}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_studio(port, timeout=180):
    """studio.py on `port`, once it has printed its address (within `timeout` s)."""
    child = subprocess.Popen([sys.executable, str(ROOT / "studio.py"), "--port", str(port)],
                             stdout=subprocess.PIPE, text=True, cwd=ROOT)
    deadline = time.monotonic() + timeout
    for line in child.stdout:  # the first line is the address; an early end breaks the loop
        if line.startswith("The studio is at"):
            return child
        if time.monotonic() > deadline:
            break
    child.kill()
    sys.exit(f"error: studio.py did not start within {timeout} s")


def main(argv):
    output = ROOT / (argv[0] if argv else "docs/studio.png")
    from playwright.sync_api import sync_playwright
    port = free_port()
    studio = start_studio(port)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport=VIEWPORT)
            page.goto(f"http://127.0.0.1:{port}/", timeout=60_000)
            page.get_by_role("button", name="the cat").click()
            page.get_by_role("button", name="swirls").click()
            page.locator("#painting-0").wait_for(timeout=15_000)
            for name, value in (("size", 256), ("iterations", 10)):
                box = page.locator(f"#{name} input[type=number]").first
                box.fill(str(value))
                box.press("Enter")
            page.get_by_text("the photo", exact=True).click()
            page.locator("#estimate").get_by_text("256x").wait_for(timeout=15_000)
            page.locator("#paint").click()
            page.locator("#loss").get_by_text(re.compile("iteration 3/10")).wait_for(
                timeout=300_000)
            page.wait_for_timeout(500)  # the picture of iteration 3 drawn
            output.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(output), full_page=True)
            page.locator("#stop").click()
            page.locator("#progress").get_by_text("stopped").wait_for(timeout=60_000)
            browser.close()
    finally:
        studio.terminate()
        studio.wait(timeout=60)
    print(f"Wrote {output.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
