"""A clip's run: read and checked, its frames painted in order or on a cluster, resumed, written."""
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
from tqdm import tqdm

import style_transfer as st
from painter import cluster, files, frame_files, memory, shots
from painter.clips import read_clip, write_video
from painter.colors import color_inputs
from painter.frame_rates import VIDEO_TYPES, check_frame_rate
from painter.pictures import comparison_sheet
from painter.recipes import describe
from painter.startup import could_not_write, ended_early
from painter.temporal import VideoPainter, paint_frames
from painter.weights import resolve_weights
from painter.words import describe_loss, loss_labels, plural, say


def describe_run(settings, clip, fps, done):
    """The "Painting ..." line: everything that decides what the video will look like."""
    height, width = clip.frames[0].shape[:2]
    count = len(clip.frames)
    frames = settings.frames
    later = {"noise": "from scratch, like the first",
             "previous": "from the previous painted frame",
             "warped": "from the previous painted frame, warped along the motion"}[frames.start]
    if frames.start != "noise":
        later = f"{plural(frames.later_iterations, 'iteration')} each {later}"
    temporal = (f"temporal weight {frames.temporal_weight:g}" if frames.temporal_weight
                else "no temporal loss")
    if done >= count:
        progress = f" All {count} are painted already: writing the video."
    else:
        progress = f" Carrying on after frame {done}." if done else ""
    return (f"Painting {clip.path} ({plural(count, 'frame')} at {fps:g} fps, "
            f"{width}x{height} px) in the style of {' + '.join(settings.styles)}: the first "
            f"frame {plural(frames.iterations, 'iteration')} of {st.EVALS_PER_ITERATION} "
            f"evaluations from {frames.init}, later frames {later}; {temporal}; "
            + (f"keeping the clip's colours ({settings.preserve_color}); "
               if settings.preserve_color else "")
            + f"{'fast' if settings.loss['fast'] else 'tutorial'} graph"
            + ("; shots painted at once, on a cluster" if settings.cluster else "")
            + f".{progress}")


@dataclass(frozen=True, kw_only=True)
class ClipWork:
    """One run's clip and where its frames go, as both ways of painting it need them: here,
    frame after frame, or on a cluster, shot by shot (shots.py)."""
    folder: Path           # OUTPUT_frames/
    settings: dict         # what run.json must match
    record: list           # run.json's records of the frames finished before
    contents: list         # the clip's frames (RGB, at the painting size)
    sources: list          # what is painted: the frames, greyed with --preserve-color luminance
    styles: list           # the paintings, recoloured with --preserve-color
    fps: float
    preserve_color: str
    labels: dict           # the loss parts' names, for the lines
    loss_settings: object  # the lesson's LossSettings
    weights_path: Path


def paint_video(settings, stop):
    """Paint the clip from the command line's settings; the exit status."""
    cv2.setNumThreads(1)  # the flow of a small frame takes milliseconds; TensorFlow has the cores
    output = Path(settings.output)
    folder, preview = frame_files.side_paths(output)
    files.check_output(output, VIDEO_TYPES, [settings.content], "the clip", beside=[preview],
                       folder=folder)
    styles = [files.load_image(path) for path in settings.styles]
    clip = read_clip(settings.content, settings.size, settings.max_frames, stop)
    fps = settings.fps or clip.fps
    check_frame_rate(fps, settings.output, settings.content if not settings.fps else "--fps")
    batch = 1 if settings.loss["fast"] else 2 + len(styles)
    memory.check_size(clip.frames[0], [settings.size], batch=batch)
    where = settings.cluster and cluster.fit_workers(settings.cluster, memory.TENSORFLOW_BYTES
                                                     + memory.memory_needed(clip.frames[0],
                                                                            settings.size, batch))
    weights_path = resolve_weights(settings.weights)
    recorded = frame_files.painting_settings(settings, clip, weights_path)
    if settings.fresh and where:
        cluster.check_address(where)  # a refused run forgets no frame
    done, record = frame_files.finished_frames(folder, recorded, settings.fresh)
    stop.check()
    contents, count = clip.frames, len(clip.frames)
    # --preserve-color: the paintings recoloured (or made grey) once, to the first frame's
    # colours; with luminance, each frame painted as its grey brightness.
    _, styles = color_inputs(contents[0], styles, settings.preserve_color)
    sources = [color_inputs(frame, [], settings.preserve_color)[0] for frame in contents]
    work = ClipWork(folder=folder, settings=recorded, record=record, contents=contents,
                    sources=sources, styles=styles, fps=fps,
                    preserve_color=settings.preserve_color,
                    labels=loss_labels(settings.styles, "temporal"),
                    loss_settings=st.LossSettings(**settings.loss), weights_path=weights_path)

    say(describe(settings.recipe,
                 dict(settings.loss, style_shape=settings.frames.style_shape)))
    say(f"VGG16 weights: {weights_path}")
    say(describe_run(settings, clip, fps, min(done, count)))
    st.use_graph_mode()
    start_time, stopped = time.time(), None
    present = frames_on_disk(folder, count)
    try:  # the record is written with each frame, the first frame's included
        if settings.cluster:  # Dask and PySceneDetect load only then, in shots' functions
            stopped = shots.paint_clip(settings, work, where, stop)
        else:
            paint_in_order(settings, work, done, stop)
    except (KeyboardInterrupt, FloatingPointError, cluster.ClusterFailed) as error:
        stopped = error
    except OSError as error:  # a full disk, a folder deleted under our feet
        return could_not_write(error, f"the finished frames are in {folder}/")

    finished = index_of_first_missing(folder, count)
    written = None
    if finished:
        try:
            written = write_videos(output, preview, folder, finished, contents, fps, clip)
        except OSError as error:
            return could_not_write(error, f"the finished frames are in {folder}/")
    if stop.is_set() and stopped is None and finished < count:
        stopped = KeyboardInterrupt()
    if stopped is not None:
        return ended_early(stopped, f"the video of frames 1 to {finished} is in {output}; "
                           "run the same command again to carry on" if finished
                           else "no frame was finished")
    seconds = time.time() - start_time
    painted = frames_on_disk(folder, count) - present
    per_frame = f", {seconds / painted:.1f} s per frame" if painted else ""
    say(f"Done in {seconds:.0f} s ({plural(painted, 'frame')} painted{per_frame}): {written}")
    say(f"Also: {preview}, {folder}/")
    return 0


def paint_in_order(settings, work, done, stop):
    """Paint the frames after the first `done` here, one after another, each written as it
    is finished, with a line and a step of the progress bar for each."""
    count = len(work.contents)
    if done >= count:
        return
    work.record[:] = [frame for frame in work.record if frame["frame"] <= done]
    previous = None  # the last finished frame's painting, preprocessed: the next one's past
    if done:  # a resumed run: the past is the last finished frame, as saved
        source = (frame_files.style_colors_folder(work.folder)
                  if frame_files.recolors_after(work.preserve_color) else work.folder)
        previous = st.preprocess(files.load_image(frame_files.frame_path(source, done - 1)),
                                 work.contents[0].shape[:2])
    bar = tqdm(total=count, initial=done, unit="frame", desc="Painting", disable=None,
               dynamic_ncols=True)
    try:
        painter = VideoPainter(first_frame=work.sources[done], styles=work.styles,
                               weights_path=work.weights_path, loss_settings=work.loss_settings,
                               temporal_weight=settings.frames.temporal_weight, stop=stop,
                               style_shape=settings.frames.style_shape)
        stop.check()
        for index, painting, evaluator, seconds in paint_frames(
                painter, settings.frames, work.sources, range(done, count), previous):
            frame_files.save_frame(work.folder, index, painting, work.contents[index],
                                   work.preserve_color)
            work.record.append(frame_files.frame_record(index, evaluator, seconds))
            frame_files.write_record(work.folder, work.settings, work.record)
            with tqdm.external_write_mode():
                loss = describe_loss(evaluator.best_loss, evaluator.best_parts, work.labels)
                say(f"Frame {index + 1}/{count}: {loss}; {evaluator.evaluations} "
                    f"evaluations, {seconds:.1f} s")
            bar.update(1)
    finally:
        bar.close()


def frames_on_disk(folder, count):
    return sum(frame_files.frame_path(folder, index).exists() for index in range(count))


def index_of_first_missing(folder, count):
    """How many frames, from the first on, are finished in `folder` (at most `count`)."""
    index = 0
    while index < count and frame_files.frame_path(folder, index).exists():
        index += 1
    return index


def write_videos(output, preview, folder, finished, contents, fps, clip):
    """The painted video and the side-by-side preview, from the finished frames on disk."""
    painted = [files.load_image(frame_files.frame_path(folder, index))
               for index in range(finished)]
    audio = clip.path if clip.has_audio else None
    write_video(output, painted, fps, audio)
    height = painted[0].shape[0]
    write_video(preview, [comparison_sheet([content, frame], height)
                          for content, frame in zip(contents, painted)], fps, audio)
    return output
