"""A still's run: its files read and checked, each iteration printed and saved, then the extras."""
import time
from dataclasses import replace
from pathlib import Path

import style_transfer as st
from painter import files, memory, tiles
from painter.colors import color_inputs
from painter.inputs import (check_masks_reach_every_layer, read_masks, read_start,
                            warn_if_small)
from painter.machine import bfloat16_is_faster
from painter.paint import Painter
from painter.painting import Watcher
from painter.pictures import comparison_sheet, gif_frame, loss_plot
from painter.recipes import describe
from painter.settings import QUICK_FLAT, QUICK_ITERATIONS, TILE_OVERLAP, own_proportions
from painter.startup import could_not_write, ended_early, quiet_native_stderr
from painter.weights import resolve_weights
from painter.words import and_list, describe_loss, duration, loss_labels, plural, say

OUTPUT_TYPES = (".png", ".jpg", ".jpeg")


def extra_paths(output):
    """What a run writes beside OUTPUT: the sheet, the GIF, the plot of the loss and the
    folder of iterations."""
    output = Path(output)
    return (output.with_name(f"{output.stem}_sheet.png"), output.with_suffix(".gif"),
            output.with_name(f"{output.stem}_loss.png"),
            output.with_name(f"{output.stem}_iterations"))


# ---------------------------------------------------------------------------------------------
# What the run says, and what it saves
# ---------------------------------------------------------------------------------------------
def loss_settings(settings, masks=None):
    """The lesson's LossSettings of a still's settings, with its masks read: --quick computes
    VGG16 in bfloat16 where this machine multiplies it faster."""
    return st.LossSettings(**settings.loss, style_masks=masks,
                           bfloat16=settings.quick and bfloat16_is_faster())


def describe_run(settings, loss, shapes):
    """The "Painting ..." line: everything that decides what the picture will look like
    (`loss`: the LossSettings it paints with)."""
    how = settings.paint
    paintings = list(settings.styles)
    if len(paintings) > 1:
        shares = st.normalise_blend(loss.style_blend or [1.0] * len(paintings))
        paintings = [f"{path} ({share:.0%})" for path, share in zip(paintings, shares)]
    sizes = " -> ".join(f"{width}x{height}" for height, width in shapes) + " px"
    if len(shapes) > 1:
        sizes += " (coarse to fine)"
    start = {"noise": "noise" + ("" if how.seed is None else f" (seed {how.seed})"),
             "content": "the photo", "style": "the (first) painting"}.get(how.init, how.init)
    words = [f"from {start}"]
    if how.preserve_color:
        words.append(f"keeping the photo's colours ({how.preserve_color})")
    if settings.style_masks:
        words.append("each painting where its mask is white")
    if how.style_scale != 1:
        words.append(f"paintings at {how.style_scale:g}x the picture's size")
    if how.style_shape == "own":
        words.append("paintings in their own proportions")
    tiled = [shape for shape in shapes if how.tile and max(shape) > how.tile]
    if tiled:
        count = len(tiles.tile_grid(tiled[-1], how.tile, how.tile_overlap))
        some = len(tiled) < len(shapes)
        words.append(f"{'the stages above' if some else 'in tiles of'} {how.tile} px"
                     f"{' in tiles' if some else ''} overlapping by {how.tile_overlap} px "
                     f"({count} at the last size{'' if loss.fast else ', on the fast graph'}"
                     f"{', chosen to fit in memory' if settings.tile_chosen else ''})")
    if settings.quick:
        length = (f"--quick: up to {plural(QUICK_ITERATIONS, 'iteration')} of "
                  f"{st.EVALS_PER_ITERATION} evaluations"
                  + (" at each size, each starting from the last one's picture with the "
                     "photo's finer detail" if len(shapes) > 1 else "")
                  + f", ending once one lowers the loss by under {QUICK_FLAT:.0%}; pixels "
                  "kept within 0 to 255; fast graph" + (" in bfloat16" if loss.bfloat16 else "")
                  + ", continuous L-BFGS.")
    else:
        length = (f"{and_list(how.iterations)} "
                  f"{'iteration' if how.iterations == (1,) else 'iterations'} of "
                  f"{st.EVALS_PER_ITERATION} evaluations, "
                  f"{'fast' if loss.fast else 'tutorial'} graph, "
                  f"{'restarted' if how.restarts else 'continuous'} L-BFGS.")
    return (f"Painting {settings.content} in the style of {' + '.join(paintings)} at {sizes}, "
            f"{', '.join(words)}: {length}")


class StillRun(Watcher):
    """The command line's watcher: a line per iteration, and every iteration's picture saved
    (to OUTPUT and OUTPUT_iterations/), so that a stop at any moment keeps the best so far."""

    def __init__(self, settings, stop):
        self.settings, self.stop = settings, stop
        self.output = Path(settings.output)
        self.sheet, self.gif, self.plot, self.steps = extra_paths(self.output)
        self.labels = loss_labels(settings.styles)
        self.frames = []      # the picture after each iteration, for the GIF (gif_frame)
        self.saved = 0        # how many of them are in OUTPUT_iterations/
        self.complete = {}    # the files written in full so far: {path: what it holds}
        self.last = time.time()
        self.tiles_began = None  # when a tiled stage's first tile began, for the time left
        self.visit = None        # the tile being painted (a TileVisit), in a tiled stage

    def should_stop(self):
        return self.stop.is_set()

    def stage_begins(self, stage, shape, iterations):
        self.visit = None
        if stage:
            quick = self.settings.quick
            detail = " with the photo's detail" if quick else ""
            say(f"Stage {stage + 1}/{len(self.settings.paint.sizes)}: {shape[1]}x{shape[0]} "
                f"px, from stage {stage}'s picture resized{detail}, "
                f"{'up to ' if quick else ''}{plural(iterations, 'iteration')}")

    def stage_started(self, stage, loss):
        say(f"Start: loss {loss:.4g} ({self.settings.paint.init})" if stage == 0
            else f"Stage start: loss {loss:.4g} (resized)")
        self.last = time.time()

    def tile_started(self, visit, loss):
        tile, now = visit.tile, time.time()
        self.visit = visit
        done = (visit.sweep - 1) * visit.count + visit.index  # tiles painted in this stage
        if done == 0:
            self.tiles_began, left = now, ""
        else:  # the tiles are one size: each takes about as long as the ones before
            wait = (now - self.tiles_began) / done * (visit.sweeps * visit.count - done)
            left = f", about {duration(wait)} left in the stage"
        say(f"Tile {visit.index + 1}/{visit.count}, sweep {visit.sweep}/{visit.sweeps} "
            f"({tile.width}x{tile.height} px at x {tile.left}, y {tile.top}): its part of "
            f"the loss {loss:.4g} at the start{left}")
        self.last = now

    def iteration_done(self, iteration):
        self.frames.append(gif_frame(iteration.picture))
        self.saved += 1
        files.save_image(self.steps / f"iteration_{self.saved:03d}.png", iteration.picture)
        self.complete[self.steps] = f"the pictures of iterations 1 to {self.saved}"
        self.save(self.output, iteration.picture,
                  f"the picture after iteration {len(self.frames)}")
        now = time.time()
        # A tile's loss is its part of the whole picture's (WholeStyle), not the whole's:
        # said so, lest the loss seem to halve when a stage goes into tiles.
        step = (f"Iteration {iteration.number}/{iteration.iterations}: " if self.visit is None
                else f"Tile {self.visit.index + 1}/{self.visit.count} done, its part of the ")
        say(f"{step}{describe_loss(iteration.loss, iteration.parts, self.labels)}; "
            f"{now - self.last:.1f} s, saved {self.output}")
        self.last = now

    def save(self, path, image, what):
        files.save_image(path, image)
        self.complete[path] = what

    def finish(self, painting, photo, styles):
        """After the run: the best picture (a stop may come mid-iteration), then the extras.
        An earlier run's later iterations go (removed now, not at the start, so that another
        run writing the same OUTPUT meanwhile keeps its pictures)."""
        for old in self.steps.glob("iteration_*.png"):
            if not old.stem[10:].isdigit() or int(old.stem[10:]) > self.saved:
                old.unlink(missing_ok=True)
        if (painting.stopped or painting.failure) and painting.picture is not None:
            self.frames.append(gif_frame(painting.picture))
            self.save(self.output, painting.picture, "the best picture so far")
        if self.settings.no_extras or not self.frames:
            return
        final = self.frames[-1]
        self.save(self.sheet, comparison_sheet([photo, *styles, final], min(final.shape[0], 600)),
                  "the comparison sheet")
        self.save(self.gif, [st.resize(frame, final.shape[:2]) for frame in self.frames],
                  "the animation")
        self.save(self.plot, loss_plot(painting.history, painting.stage_starts, self.labels),
                  "the plot of the loss")

    def could_not_save(self, error):
        done = ", ".join(f"{path} ({what})" for path, what in self.complete.items())
        done = f"complete: {done}" if done else "no file was completed"
        return could_not_write(error, f"{done}; free some space or choose another --output")


# ---------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------
def plan(settings):
    """Read and check every input, and settle what the command line left to the machine:
    (the settings as they will run, the photo, the paintings, the masks, the start)."""
    photo = files.load_image(settings.content)
    paintings = [files.load_image(path) for path in settings.styles]
    masks = read_masks(settings.style_masks, photo) if settings.style_masks else None
    how, loss = settings.paint, settings.loss
    if masks:
        check_masks_reach_every_layer(masks, settings.style_masks, how.sizes,
                                      loss["style_layers"], photo)
    init = read_start(how.init)
    content, styles = color_inputs(photo, paintings, how.preserve_color)
    batch = 1 if loss["fast"] else 2 + len(styles)
    proportions = own_proportions(styles, how.style_shape)
    if how.tile is None:  # a stage too large for memory whole is painted in tiles, unasked
        tile = memory.tile_to_fit(content, how.sizes, batch, how.style_scale, proportions)
        settings = replace(settings, tile_chosen=tile is not None,
                           paint=replace(how, tile=tile, tile_overlap=TILE_OVERLAP))
    memory.check_size(content, how.sizes, batch, tile=settings.paint.tile,
                      style_scale=how.style_scale, proportions=proportions)
    for image, path in zip([photo, *paintings], [settings.content, *settings.styles]):
        warn_if_small(image, path)
    inputs = [settings.content, *settings.styles, *(settings.style_masks or [])]
    inputs += [] if isinstance(init, str) else [how.init]
    sheet, gif, plot, steps = extra_paths(settings.output)
    files.check_output(settings.output, OUTPUT_TYPES, inputs, "the input image",
                       beside=[] if settings.no_extras else [sheet, gif, plot], folder=steps)
    return settings, photo, paintings, masks, init


def paint_still(settings, stop):
    """Paint from the command line's settings; the exit status."""
    settings, photo, paintings, masks, init = plan(settings)
    weights_path = resolve_weights(settings.weights)
    loss = loss_settings(settings, masks)
    stop.check()

    watcher = StillRun(settings, stop)
    content, styles = color_inputs(photo, paintings, settings.paint.preserve_color)
    say(describe(settings.recipe,
                 dict(settings.loss, style_shape=settings.paint.style_shape)))
    say(f"VGG16 weights: {weights_path}")
    shapes = [st.result_shape(content, size) for size in settings.paint.sizes]
    say(describe_run(settings, loss, shapes))
    start = time.time()
    painter = Painter(weights_path=weights_path, loss_settings=loss,
                      paint_settings=replace(settings.paint, init=init))
    try:
        with quiet_native_stderr():  # TensorFlow looks for a GPU, and says so at length
            painting = painter.paint(photo, paintings, watcher)
        watcher.finish(painting, photo, styles)
    except OSError as error:  # a full disk, a folder deleted under our feet
        return watcher.could_not_save(error)
    if painting.failure is None and stop.is_set():  # a stop during the last saves
        painting.stopped = True
    if painting.stopped or painting.failure:
        kept = "nothing painted yet, so nothing was saved"
        if painting.picture is not None:
            kept = (f"the best image so far is in {settings.output} ({painting.shape[1]}x"
                    f"{painting.shape[0]} px, loss {painting.loss:.4g})")
        return ended_early(KeyboardInterrupt() if painting.stopped else painting.failure, kept)
    seconds, evaluations = time.time() - start, len(painting.history)
    say(f"Done in {seconds:.0f} s ({evaluations} evaluations, {seconds / evaluations:.2f} s "
        f"each): {settings.output}")
    if not settings.no_extras:
        sheet, gif, plot, steps = extra_paths(settings.output)
        say(f"Also: {sheet}, {gif}, {plot}, {steps}/")
    return 0
