"""The studio's page (Gradio): uploads read safely, the handlers of its buttons, the page itself.

Every upload is read by the command line's own checks (files.load_image), and the browser's
file names are only shown, never used as paths (read_upload).
"""
import html
import time
from pathlib import Path

from painter import files, memory
from painter.colors import color_inputs
from painter.numbers import SMALLEST_SIDE, VGG16_LAYERS
from painter.startup import UserError
from painter.recipes import RECIPES, STYLE_LOSSES
from painter.settings import STYLE_SHAPES, own_proportions
from painter.studio_jobs import COLORS, STARTS, Job, Knobs, check_shares
from painter.words import duration, plural

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / "images"
BUNDLED_PHOTOS = {"the cat": IMAGES / "chelsea.png"}
BUNDLED_PAINTINGS = {"swirls": IMAGES / "swirls.png", "mosaic": IMAGES / "mosaic.png"}
MAX_PAINTINGS = 4                  # the page has this many slots for paintings
MAX_UPLOAD_BYTES = 25 * 1024 ** 2  # an upload larger than this is refused, in one line
# Gradio's own limit, far above ours: a file beyond it is refused in the browser with a bare
# "Error" badge and no word of why, so ours must be the one a user meets.
GRADIO_UPLOAD_BYTES = 1024 ** 3
LIMIT = f"at most {MAX_UPLOAD_BYTES // 1024 ** 2} MB"
CONV_LAYERS = [name for name in VGG16_LAYERS if "conv" in name]


# ---------------------------------------------------------------------------------------------
# Uploads
# ---------------------------------------------------------------------------------------------
def shown_name(path):
    """The name to show for an upload: the file name the browser sent (Gradio keeps it as the
    last part of its own copy's path), with anything unprintable taken out. Only shown."""
    name = "".join(c for c in Path(str(path)).name if c.isprintable())
    return name[:60] + ("..." if len(name) > 60 else "") or "the file"


def read_upload(path, upload_folder):
    """An uploaded picture as an RGB array, checked as the command line checks its files
    (files.load_image: decompression bombs, broken or unsupported files), or one UserError line
    that names the file as the browser did. `path` is Gradio's copy of the upload; it must
    lie in Gradio's upload folder, so a path made up by a browser is never opened."""
    name = shown_name(path)
    real = Path(path).resolve()
    if not real.is_relative_to(Path(upload_folder).resolve()):
        raise UserError(f"{name}: not an upload")
    if real.is_file() and real.stat().st_size > MAX_UPLOAD_BYTES:
        raise UserError(f"{name}: larger than {MAX_UPLOAD_BYTES // 1024 ** 2} MB; "
                        "shrink it first")
    try:
        image = files.load_image(real)
    except UserError as error:  # it names Gradio's temporary copy: name the user's file
        raise UserError(str(error).replace(str(real), name)) from None
    check_not_too_small(image, name)
    return image


def check_not_too_small(image, name):
    height, width = image.shape[:2]
    if min(height, width) < SMALLEST_SIDE:
        raise UserError(f"{name}: only {width}x{height} pixels; the studio needs at least "
                        f"{SMALLEST_SIDE} on each side (VGG16 halves a picture five times)")


# ---------------------------------------------------------------------------------------------
# The page
# ---------------------------------------------------------------------------------------------
CSS = """
#message .error { color: #b00020; font-weight: 600; }
#message .info { color: #1a5e20; }
#progress progress { width: 100%; height: 1.1em; }
#picture img { width: 100%; height: 100%; object-fit: contain; }
"""


def message_html(text, kind="error"):
    return f'<div class="{kind}" role="status">{html.escape(text)}</div>' if text else ""


def progress_html(fraction, text):
    return (f'<progress max="1" value="{fraction:.3f}"></progress>'
            f'<div class="progress-text">{html.escape(text)}</div>')


def loss_html(iteration, names):
    if iteration is None:
        return ""
    labels = {"content": "content", "total variation": "smoothness"}
    labels.update({f"style {i + 1}": f"style ({name})" for i, name in enumerate(names)})
    parts = ", ".join(f"{labels.get(k, k)} {v:.3g}" for k, v in iteration.parts.items())
    stage = (f"stage {iteration.stage + 1}/{iteration.stages}, "
             if iteration.stages > 1 else "")
    return (f'<div class="iteration">{stage}iteration {iteration.number}/'
            f'{iteration.iterations}</div><div class="loss">loss {iteration.loss:.4g}: '
            f'{html.escape(parts)}</div>')


class Studio:
    """The page's handlers: what each button does, on top of one Worker."""

    def __init__(self, worker, upload_folder):
        self.worker, self.upload_folder = worker, upload_folder

    # --- the pictures ---
    def photo_uploaded(self, path):
        """-> (photo state, preview, message, the drop box: cleared if the upload is refused)."""
        import gradio as gr
        if not path:
            return None, None, "", gr.update()
        try:
            image = read_upload(path, self.upload_folder)
        except UserError as error:
            return None, None, message_html(str(error)), None
        return {"name": shown_name(path), "image": image}, image, "", gr.update()

    def bundled_photo(self, name):
        image = files.load_image(BUNDLED_PHOTOS[name])
        return {"name": name, "image": image}, image, ""

    def paintings_uploaded(self, paths, paintings, *shares):
        """Add each upload that reads to the paintings; say what did not."""
        added, errors = [], []
        for path in paths or []:
            try:
                added.append({"name": shown_name(path),
                              "image": read_upload(path, self.upload_folder)})
            except UserError as error:
                errors.append(str(error))
        return self.add_paintings(paintings, shares, added, errors)

    def bundled_painting(self, name, paintings, *shares):
        added = [{"name": name, "image": files.load_image(BUNDLED_PAINTINGS[name])}]
        return self.add_paintings(paintings, shares, added, [])

    def add_paintings(self, paintings, shares, added, errors):
        paintings = [dict(p, share=s) for p, s in zip(paintings or [], shares)]
        room = MAX_PAINTINGS - len(paintings)
        if len(added) > room:
            errors.append(f"At most {MAX_PAINTINGS} paintings: "
                          f"{plural(len(added) - room, 'painting')} left out.")
        paintings += [dict(p, share=1.0) for p in added[:max(room, 0)]]
        return (paintings, None, message_html(" ".join(errors)), *slots(paintings))

    def remove_painting(self, index, paintings, *shares):
        paintings = [dict(p, share=s) for p, s in zip(paintings or [], shares)]
        del paintings[index]
        return (paintings, *slots(paintings))

    # --- the knobs ---
    def estimate(self, photo, size, iterations, coarse_to_fine):
        shape = photo["image"].shape[:2] if photo else (300, 451)  # the cat's, until a photo
        knobs = Knobs(size=size or SMALLEST_SIDE, iterations=iterations or 1,
                      coarse_to_fine=coarse_to_fine)
        return self.worker.rate.describe(shape, knobs)

    # --- Paint and Stop ---
    def new_job(self, session, photo, paintings, shares, knobs):
        """The job for this press of Paint, or a UserError saying what is missing."""
        if photo is None:
            raise UserError("Choose a photo first: drop one in, or click the cat.")
        if not paintings:
            raise UserError("Choose a painting: drop one or more in, or click a bundled "
                            "one.")
        names = [p["name"] for p in paintings]
        shares = list(shares[:len(paintings)])
        check_shares(names, shares)
        knobs.check()
        loss, how = knobs.settings(shares)
        content, _ = color_inputs(photo["image"], [paintings[0]["image"]],
                                     how.preserve_color)
        memory.check_size(content, how.sizes, batch=1, proportions=own_proportions(
            [p["image"] for p in paintings], how.style_shape))
        return Job(session, photo["image"], [p["image"] for p in paintings], names, loss, how,
                   knobs)

    def paint(self, session, photo, paintings, shares, knobs, runs):
        """Paint's handler, a generator: each yield updates the page. Yields dicts of
        {output name: value}; the page maps them onto its components."""
        try:
            job = self.new_job(session, photo, paintings, shares, knobs)
        except UserError as error:
            yield {"message": message_html(str(error)), "progress": ""}
            return
        self.worker.submit(job)
        yield {"message": "", "picture": None, "loss": "", "download": None,
               "progress": progress_html(0, f"Job {job.number}: in the queue")}
        try:
            yield from self.follow(job, runs)
        finally:  # the tab was closed mid-run: nobody is watching, so stop painting
            if not job.finished:
                self.worker.stop(job.session)
            forget_previews(job)  # the page has Gradio's copies of them by now

    def follow(self, job, runs):
        seen, shown_iteration, shown_progress, last = -1, None, None, 0.0
        told_stopping = False
        while True:
            seen = job.wait_for_change(seen, timeout=1.0)
            if job.stop.is_set() and not told_stopping and not job.finished:
                told_stopping = True
                yield {"message": message_html("Stopping...", "info")}
            progress = self.progress(job)
            if job.iteration is not shown_iteration:  # a new picture: show it at once, the
                # last one too, before the finished picture (which is the same picture)
                shown_iteration, shown_progress = job.iteration, progress
                yield {"picture": str(job.previews[-1]),
                       "loss": loss_html(job.iteration, job.names), "progress": progress}
            elif progress != shown_progress and time.monotonic() - last > 0.25:
                shown_progress, last = progress, time.monotonic()  # a few times a second
                yield {"progress": progress}
            if job.finished:
                yield self.finished(job, runs)
                return

    def progress(self, job):
        if job.state == "waiting":
            return progress_html(0, f"Job {job.number}: waiting, place {job.place} in the "
                                    "queue")
        left = "" if job.seconds_left is None else f", about {duration(job.seconds_left)} left"
        return progress_html(job.fraction, f"Job {job.number}: {job.note}, "
                                           f"{job.fraction:.0%}{left}")

    def finished(self, job, runs):
        painting = job.painting
        update = {"progress": self.progress(job)}
        if job.iteration is not None:  # the last iteration may end just as the job does
            update["loss"] = loss_html(job.iteration, job.names)
        if job.state == "stopped":
            kept = ("the best picture so far is kept" if job.path else
                    "stopped before the first iteration: nothing painted yet")
            update["message"] = message_html(f"Stopped: {kept}.", "info")
        if job.error:
            update["message"] = message_html(job.error)
        if job.path is not None:
            h, w = painting.shape
            caption = (f"{job.number}: {' + '.join(job.names)}, {w}x{h}, loss "
                       f"{painting.loss:.3g}" + (" (stopped)" if painting.stopped else ""))
            runs = [*(runs or []), (str(job.path), caption)]
            update.update(picture=str(job.path), download=str(job.path), runs=runs,
                          run_list=runs)
            update["progress"] = progress_html(job.fraction, f"Job {job.number}: {job.state}"
                                                             f", {w}x{h} px")
        if self.worker.rate.measured and job.knobs:  # the time a run takes, now measured here
            update["estimate"] = self.worker.rate.describe(job.photo.shape[:2], job.knobs)
        return update

    def stop(self, session):
        """The Stop button. While a job runs, its Paint handler alone writes the message
        ("Stopping...", then "Stopped: ..."): two handlers writing it could arrive out of
        order and leave "Stopping..." over the final word."""
        if not self.worker.stop(session):
            return message_html("Nothing to stop.", "info")
        import gradio as gr
        return gr.update()


def forget_previews(job):
    """A job's previews, deleted once the page has been sent the finished picture."""
    for path in job.previews:
        path.unlink(missing_ok=True)


def slots(paintings):
    """The painting slots' contents: for each, (row, picture, share slider, Remove button)."""
    import gradio as gr
    updates = []
    for i in range(MAX_PAINTINGS):
        if i < len(paintings):
            p = paintings[i]
            updates += [gr.update(visible=True), p["image"],
                        gr.update(value=p.get("share", 1.0), label=f"Share of {p['name']}"),
                        gr.update()]
        else:
            updates += [gr.update(visible=False), None, gr.update(), gr.update()]
    return updates


def build_page(studio):
    """The page: the pictures on the left, the knobs in the middle, the picture on the right.
    No work here: the handlers are Studio's."""
    import gradio as gr
    defaults = Knobs()
    with gr.Blocks(title="The studio: neural style transfer", analytics_enabled=False) as page:
        gr.Markdown("# The studio\nDrop in a photo, pick one or more paintings, press "
                    "**Paint** and watch the picture appear, one iteration at a time.")
        photo = gr.State(None)
        paintings = gr.State([])
        run_list = gr.State([])
        with gr.Row():
            with gr.Column(scale=1, min_width=260):
                photo_file = gr.File(label=f"Photo: drop one here ({LIMIT})",
                                     elem_id="photo-file")
                with gr.Row():
                    photo_buttons = {name: gr.Button(name, icon=str(path), size="sm")
                                     for name, path in BUNDLED_PHOTOS.items()}
                photo_view = gr.Image(label="The photo", interactive=False, height=150,
                                      elem_id="photo-view")
                painting_files = gr.File(label=f"Paintings: drop one or more ({LIMIT} each)",
                                         file_count="multiple", elem_id="painting-files")
                with gr.Row():
                    painting_buttons = {name: gr.Button(name, icon=str(path), size="sm")
                                        for name, path in BUNDLED_PAINTINGS.items()}
                slot_parts = []  # per painting: its row, picture, share and Remove button
                for i in range(MAX_PAINTINGS):
                    with gr.Row(visible=False, equal_height=True) as row:
                        slot_parts += [row, gr.Image(interactive=False, height=90,
                                                     show_label=False, elem_id=f"painting-{i}",
                                                     min_width=90, scale=1)]
                        with gr.Column(scale=2, min_width=120):
                            slot_parts += [gr.Slider(0, 10, value=1, step=0.5,
                                                     elem_id=f"share-{i}"),
                                           gr.Button("Remove", size="sm",
                                                     elem_id=f"remove-{i}")]
                shares = slot_parts[2::4]
            with gr.Column(scale=1, min_width=260):
                content_weight = gr.Number(defaults.content_weight, label="Content weight",
                                           info="more of the photo", elem_id="content-weight")
                style_weight = gr.Number(defaults.style_weight, label="Style weight",
                                         info="more of the painting(s)", elem_id="style-weight")
                tv_weight = gr.Number(defaults.tv_weight, label="Smoothness weight",
                                      info="total variation: less speckle", elem_id="tv-weight")
                content_layer = gr.Dropdown(CONV_LAYERS, value=defaults.content_layer,
                                            label="Content layer", elem_id="content-layer",
                                            info="deeper: only the photo's shapes")
                style_loss = gr.Radio(list(STYLE_LOSSES), value=defaults.style_loss,
                                      label="Style statistic", elem_id="style-loss",
                                      info="gram: the tutorial's; w2: the features spread "
                                           "like the painting's, repainted more")
                style_layers = gr.Dropdown(CONV_LAYERS, value=list(defaults.style_layers),
                                           multiselect=True, label="Style layers",
                                           elem_id="style-layers")
                style_shape = gr.Radio(list(STYLE_SHAPES), value=defaults.style_shape,
                                       label="Painting's shape", elem_id="style-shape",
                                       info="picture: stretched to the photo's, the "
                                            "tutorial's; own: its own proportions")
                size = gr.Slider(SMALLEST_SIDE, 2048, value=defaults.size, step=16, label="Size",
                                 info="longer side, pixels", elem_id="size")
                estimate = gr.Markdown(elem_id="estimate")
                iterations = gr.Slider(1, 50, value=defaults.iterations, step=1,
                                       label="Iterations", info="of 20 evaluations each",
                                       elem_id="iterations")
                start = gr.Radio(list(STARTS), value=defaults.start, label="Start from",
                                 elem_id="start")
                color = gr.Dropdown(list(COLORS), value=defaults.color,
                                     label="Colours", elem_id="color",
                                     info="keep the painting's, or the photo's (docs/colour.md)")
                coarse = gr.Checkbox(defaults.coarse_to_fine, label="Coarse to fine",
                                     info="paint small first, then larger", elem_id="coarse")
                gr.Markdown("Recipes, to start from (docs/knobs.md):")
                with gr.Row():
                    recipes = {name: gr.Button(name.capitalize(), size="sm", elem_id=name)
                               for name in RECIPES}
            with gr.Column(scale=2, min_width=320):
                with gr.Row():
                    paint_button = gr.Button("Paint", variant="primary", elem_id="paint")
                    stop_button = gr.Button("Stop", variant="stop", elem_id="stop")
                message = gr.HTML(elem_id="message")
                progress = gr.HTML(elem_id="progress")
                picture = gr.Image(label="The picture", interactive=False, format="png",
                                   elem_id="picture", height=360)
                loss = gr.HTML(elem_id="loss")
                download = gr.DownloadButton("Download PNG", elem_id="download",
                                             interactive=False)
                runs = gr.Gallery(label="This session's runs, to compare", columns=4,
                                  height=200, elem_id="runs", preview=False,
                                  object_fit="contain", interactive=False)

        # The pictures
        photo_file.upload(studio.photo_uploaded, photo_file,
                          [photo, photo_view, message, photo_file])
        for name, button in photo_buttons.items():
            button.click(lambda name=name: studio.bundled_photo(name), None,
                         [photo, photo_view, message])
        painting_outputs = [paintings, painting_files, message, *slot_parts]
        painting_files.upload(studio.paintings_uploaded, [painting_files, paintings, *shares],
                              painting_outputs)
        for name, button in painting_buttons.items():
            button.click(lambda p, *s, name=name: studio.bundled_painting(name, p, *s),
                         [paintings, *shares], painting_outputs)
        for i in range(MAX_PAINTINGS):
            slot_parts[4 * i + 3].click(
                lambda p, *s, i=i: studio.remove_painting(i, p, *s), [paintings, *shares],
                [paintings, *slot_parts])

        # The knobs
        estimate_inputs = [photo, size, iterations, coarse]
        for control in (size, iterations, coarse):
            control.change(studio.estimate, estimate_inputs, estimate)
        photo.change(studio.estimate, estimate_inputs, estimate)
        page.load(studio.estimate, estimate_inputs, estimate)
        knob_controls = [content_weight, style_weight, tv_weight, content_layer, style_loss,
                         style_layers, style_shape, size, iterations, start, color, coarse]
        recipe_knobs = [name for name in Knobs.__dataclass_fields__
                        if name not in ("size", "color")]  # the picture's size and colours stay
        for name, button in recipes.items():
            button.click(lambda name=name: [getattr(Knobs.of_recipe(name), knob)
                                            for knob in recipe_knobs], None,
                         [control for control, knob in zip(knob_controls,
                                                           Knobs.__dataclass_fields__)
                          if knob in recipe_knobs])

        # Paint and Stop
        outputs = {"message": message, "progress": progress, "picture": picture,
                   "loss": loss, "download": download, "runs": runs, "run_list": run_list,
                   "estimate": estimate}

        def paint(request: gr.Request, photo, paintings, *values):
            shares_given = values[:MAX_PAINTINGS]
            knobs = Knobs(**dict(zip(Knobs.__dataclass_fields__,
                                     values[MAX_PAINTINGS:MAX_PAINTINGS + len(knob_controls)])))
            runs_so_far = values[-1]
            for update in studio.paint(request.session_hash, photo, paintings, shares_given,
                                       knobs, runs_so_far):
                if "download" in update:  # a button to press only once there is a picture
                    update["download"] = gr.DownloadButton(value=update["download"],
                                                           interactive=bool(update["download"]))
                yield {outputs[name]: value for name, value in update.items()}

        # Many tabs may wait at once (each sees its place in the queue); the Worker paints
        # one job at a time whatever Gradio does.
        paint_button.click(paint, [photo, paintings, *shares, *knob_controls, run_list],
                           list(outputs.values()), concurrency_limit=None)
        def stop(request: gr.Request):
            return studio.stop(request.session_hash)

        stop_button.click(stop, None, message, concurrency_limit=None)
    return page
