"""The studio (python studio.py, make studio): paint a photo in a web page and watch it appear.

    make studio                            # serves http://127.0.0.1:7860 and prints it
    .venv/bin/python studio.py --port 8765

Drop in a photo, pick one or more paintings, press Paint: the picture is shown after every
iteration, with the loss and a progress bar, and the finished one downloads as a PNG. It is a
Painter behind a Gradio page (studio_page.py), painted by one thread from a queue of jobs
(studio_jobs.py). It serves on 127.0.0.1 unless told otherwise, and makes no request beyond
this machine.
"""
import argparse
import errno
import ipaddress
import os
import signal
import socket
import sys
import time

# Gradio reports usage to its makers and asks PyPI-like servers for its latest version when
# it is imported and launched, and huggingface_hub (which it loads) has telemetry of its own.
# The studio works offline and tells no one: these must be set before `import gradio`.
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["HF_HUB_OFFLINE"] = "1"

from painter import startup  # noqa: E402
from painter.options import whole_number  # noqa: E402

PORT = 7860


def parse_args(argv):
    parser = argparse.ArgumentParser(description="The studio: paint in a web page.")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to serve on (default: %(default)s, this machine only)")
    parser.add_argument("--port", type=whole_number(1, maximum=65535), default=PORT,
                        help="port to serve on (default: %(default)s)")
    return parser.parse_args(argv)


def is_loopback(host):
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def theme():
    """Gradio's plain theme with the system's fonts: its default ones come from Google."""
    import gradio as gr
    return gr.themes.Base(font=["ui-sans-serif", "system-ui", "sans-serif"],
                          font_mono=["ui-monospace", "monospace"])


def serve(args):
    """Start the worker and the page; return the running page (the tests stop it)."""
    from gradio.utils import get_upload_folder
    with startup.quiet_native_stderr():  # TensorFlow loads, and looks for a GPU once
        from painter.machine import local_gpus
        from painter.studio_jobs import STUDIO_DIR, JobPainter, Worker
        from painter.studio_page import CSS, GRADIO_UPLOAD_BYTES, Studio, build_page
        from painter.weights import resolve_weights
        local_gpus()
    STUDIO_DIR.mkdir(parents=True, exist_ok=True)
    worker = Worker(JobPainter(resolve_weights("imagenet"))).start()
    page = build_page(Studio(worker, get_upload_folder()))
    page.queue(default_concurrency_limit=4)
    page.launch(server_name=args.host, server_port=args.port, prevent_thread_lock=True,
                quiet=True, inbrowser=False, share=False, ssr_mode=False, theme=theme(),
                css=CSS, max_file_size=GRADIO_UPLOAD_BYTES, allowed_paths=[str(STUDIO_DIR)],
                footer_links=[])
    page.studio_worker = worker
    return page


def interrupted(signum, frame):
    raise KeyboardInterrupt


def check_port(host, port):
    """Refuse, before TensorFlow and VGG16 load (seconds), an address this machine cannot serve
    on: a port another program holds, or a host that is not one of this machine's."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server will
        try:
            probe.bind((host, port))
        except OSError as error:
            raise startup.UserError(cannot_serve(host, port, error)) from None


def cannot_serve(host, port, error):
    taken = getattr(error, "errno", None) == errno.EADDRINUSE or "in use" in str(error)
    if taken:
        return (f"cannot serve on {host}:{port}: the port is taken (another studio, or another "
                "program, holds it); give another with --port N")
    return (f"cannot serve on {host}:{port} ({getattr(error, 'strerror', None) or error}); "
            "give this machine's address with --host, or another port with --port N")


def main(argv=None) -> int:
    args = parse_args(argv)
    if not is_loopback(args.host):
        print(f"warning: --host {args.host} is not loopback: anyone who can reach this "
              f"machine on port {args.port} can use the studio", file=sys.stderr)
    try:
        check_port(args.host, args.port)
        page = serve(args)
    except startup.UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OSError as error:  # taken in the seconds since it was free (Gradio's own words
        # would say to set an environment variable, which a user of studio.py cannot act on)
        print(f"error: {cannot_serve(args.host, args.port, error)}", file=sys.stderr)
        return 2
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"The studio is at http://{host}:{args.port}/ (Ctrl-C to stop)", flush=True)
    signal.signal(signal.SIGTERM, interrupted)  # `kill` stops it as Ctrl-C does
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        print("Stopping the studio.", flush=True)
    for number in (signal.SIGINT, signal.SIGTERM):  # a second Ctrl-C must not break the close
        signal.signal(number, signal.SIG_IGN)
    page.studio_worker.close()
    page.close()
    return 0


def command():
    """The `style-studio` console command (pyproject.toml): the studio answers stop signals
    itself (it closes the page and the painting thread), so only its end is the programs'."""
    startup.finish(main())
