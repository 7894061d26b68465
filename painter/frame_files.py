"""A clip's frames folder: each painted frame as it is finished; what a resumed run must match."""
import hashlib
import os
from dataclasses import asdict
from pathlib import Path

import style_transfer as st
from painter import files, records
from painter.colors import color_result
from painter.startup import UserError


def side_paths(output):
    """What a run writes beside OUTPUT: the folder of frames and the side-by-side preview."""
    output = Path(output)
    return (output.with_name(f"{output.stem}_frames"),
            output.with_name(f"{output.stem}_side_by_side{output.suffix}"))


def frame_path(folder, index):
    return Path(folder) / f"frame_{index + 1:05d}.png"


def recolors_after(mode):
    """Whether --preserve-color MODE changes each frame after it is painted (swap, luminance):
    then the painting as it was is kept too, for the next frame to carry on from."""
    return mode in ("swap", "luminance")


def style_colors_folder(folder):
    """With --preserve-color the frames take the photo's colours; the next frame starts from
    the painting as it was, in the painting's colours, kept here (style_colours/)."""
    return Path(folder) / "style_colours"


def clip_digest(path):
    """A short digest of the clip's bytes (a folder's: its frames' names and bytes). A clip made
    again differently under the same name must not be carried on with the old frames."""
    digest = hashlib.sha256()
    for name in files.picture_files(path) if os.path.isdir(path) else [Path(path)]:
        digest.update(name.name.encode())
        with open(name, "rb") as file:
            for block in iter(lambda: file.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:16]


def painting_settings(settings, clip, weights_path):
    """Everything that decides what the frames look like: a resumed run must match it.
    `settings` are the video's (video.VideoSettings), `clip` the clip read (clips.Clip)."""
    loss = asdict(st.LossSettings(**settings.loss))
    del loss["style_blend"], loss["style_masks"]  # a video has no masks; the blend, normalised:
    frames = settings.frames
    on_cluster = settings.cluster is not None
    return records.as_recorded({
        "content": str(Path(clip.path).resolve()), "clip digest": clip_digest(clip.path),
        "clip frames": clip.total,
        "clip size": list(clip.original_size), "size": settings.size,
        "shape": list(clip.frames[0].shape[:2]),
        "styles": [str(Path(path).resolve()) for path in settings.styles],
        "style_weights": st.normalise_blend(settings.loss["style_blend"]
                                            or [1.0] * len(settings.styles)),
        **loss, "temporal_weight": frames.temporal_weight,
        "preserve_color": settings.preserve_color, "start": frames.start, "init": frames.init,
        "iterations": frames.iterations, "later_iterations": frames.later_iterations,
        "seed": frames.seed,
        # A cluster paints each shot from scratch and fades chunks into each other: its frames
        # are not the ones painted here in order (None).
        "chunk": settings.chunk if on_cluster else None,
        "overlap": settings.overlap if on_cluster else None,
        "weights": str(weights_path)})


def setting_name(key):
    return key if " " in key or key in ("content", "shape") else "--" + key.replace("_", "-")


def save_frame(folder, index, painting, content, mode):
    """Frame `index` into the frames folder; with --preserve-color swap or luminance, in the
    clip's colours, and as painted too (style_colours/), which the next frame carries on from."""
    if recolors_after(mode):
        files.save_image(frame_path(style_colors_folder(folder), index), painting)
        files.save_image(frame_path(folder, index), color_result(painting, content, mode))
    else:
        files.save_image(frame_path(folder, index), painting)


def frame_record(index, evaluator, seconds):
    """A finished frame's line in run.json."""
    return {"frame": index + 1, "loss": evaluator.best_loss, "parts": evaluator.best_parts,
            "evaluations": evaluator.evaluations, "seconds": round(seconds, 3)}


def difference(key, then, now):
    """One setting of an earlier run that the run asked for now does not match, in words."""
    if key == "clip digest":
        return "the clip has changed since"
    if key == "chunk" and then is None:
        return "painted in order then, on a cluster now"
    if key == "chunk" and now is None:
        return "painted on a cluster then, in order now"
    return f"{setting_name(key)} {then} then, {now} now"


def finished_frames(folder, settings, fresh):
    """How many frames, from the first on, an earlier run of the same command finished (0 for
    a new run), and the records of the frames it left. --fresh forgets them."""
    record_path = Path(folder) / "run.json"
    if fresh:
        for old in [*Path(folder).glob("frame_*.png"), *Path(folder).glob("*/frame_*.png"),
                    record_path]:  # and style_colours/, and a cluster's overlaps/
            old.unlink(missing_ok=True)
    record = records.read(record_path, "add --fresh to start again")
    if record is not None and not any(Path(folder).glob("**/frame_*.png")):
        record = None  # an earlier run's, refused or stopped before its first frame
    if record is None:
        if list(Path(folder).glob("frame_*.png")):
            raise UserError(f"{folder} holds frames of another run (no run.json); add "
                            "--fresh to paint over them, or choose another --output")
        return 0, []
    earlier = record["settings"]
    changed = records.changed(earlier, settings)
    if "size" in changed and "shape" in changed:  # the shape follows the size typed: name it
        changed.remove("shape")
    if "chunk" in changed and None in (earlier.get("chunk"), settings["chunk"]):
        changed = [key for key in changed if key != "overlap"]  # in order, or on a cluster
    if changed:
        differences = "; ".join(difference(key, earlier.get(key), settings[key])
                                for key in changed[:3])
        raise UserError(f"{folder} holds frames painted with other settings "
                        f"({differences}); add --fresh to paint them again, or choose "
                        "another --output")
    done = 0
    while frame_path(folder, done).exists() and (
            not recolors_after(settings["preserve_color"])
            or frame_path(style_colors_folder(folder), done).exists()):
        done += 1
    # A cluster finishes frames out of order: the records of every frame on disk.
    return done, [frame for frame in record.get("frames", [])
                  if frame_path(folder, frame["frame"] - 1).exists()]


def write_record(folder, settings, frames):
    """run.json: the settings, and each finished frame's loss, evaluations and seconds."""
    records.write(Path(folder) / "run.json", settings, frames=frames)
