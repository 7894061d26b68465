"""Video files read and written (mp4, GIF, a folder of frames), with imageio-ffmpeg's own ffmpeg.

A clip is a video file (mp4, mov, webm, animated GIF: anything ffmpeg reads) or a folder of
frames; read_clip gives its frames resized to the result's shape, with what the file said of
itself (frame rate, sound). write_video writes .mp4 (H.264, with the clip's sound) or .gif,
atomically. Every problem a file can have becomes one line (startup.UserError).
"""
import math
import os
import re
import subprocess
from fractions import Fraction
from pathlib import Path

import imageio_ffmpeg
import numpy as np

import style_transfer as st
from painter import files
from painter.frame_rates import FOLDER_FPS
from painter.startup import StopRequests, UserError

class Clip:
    """The frames to paint, resized to the result's shape, and what the video file said."""

    def __init__(self, path, frames, fps, total, original_size, has_audio):
        self.path = path
        self.frames = frames                # RGB uint8, all of the result's shape
        self.fps = fps                      # frames per second, or None if unknown
        self.total = total                  # frames in the file or folder (before --frames)
        self.original_size = original_size  # (width, height) in the file
        self.has_audio = has_audio


def even_shape(shape):
    """H.264 in yuv420p (what browsers play) stores colour at half size: sides must be even."""
    return tuple(side - side % 2 for side in shape)


def ffmpeg(*arguments):
    """The ffmpeg command line. In a session of its own, so a Ctrl-C at the terminal reaches
    only us: we then finish writing the video, and ffmpeg must not die half-way through it."""
    return dict(args=[imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", *arguments],
                start_new_session=True)


def ffmpeg_reason(log):
    """ffmpeg's own explanation of a failure, in one line, without its '[in#0 @ 0x...]' tags.
    Its last line is often just "Conversion failed!"; the cause is earlier."""
    lines = [re.sub(r"^(\[[^]]*\]\s*)+", "", line).strip() for line in log.splitlines()]
    lines = [line for line in lines if line]
    if any(line.endswith("partial file") for line in lines):
        return "the file is cut short"
    for marker in ("Error opening input:", "Decoding error:"):
        for line in lines:
            if marker in line:
                return line.split(marker, 1)[1].strip()
    lines = [line for line in lines if line != "Conversion failed!"]
    return lines[-1] if lines else "ffmpeg gave no reason"


def probe(path):
    """What ffmpeg sees in a file: its log of the streams (or of why it cannot open it)."""
    result = subprocess.run(**ffmpeg("-i", str(path)), capture_output=True, text=True,
                            errors="replace")
    log = result.stderr
    if not re.search(r"Stream #\S+.*: Video:", log):
        if re.search(r"Stream #\S+.*: Audio:", log):
            raise UserError(f"{path}: only sound, no pictures; give a video file or a "
                            "folder of frames")
        raise UserError(f"{path}: not a video ffmpeg can read ({ffmpeg_reason(log)})")
    return log


def frame_rate(meta, frames):
    """Frames per second of a video file, or None if it does not say.

    A GIF keeps a duration for each frame, in hundredths of a second, and ffmpeg reports the
    first one's rate; a GIF written at 8 fps alternates 13 and 12 hundredths, so for a GIF we
    take the whole animation's average instead.
    """
    if meta.get("codec", "").startswith("gif") and meta.get("duration"):
        return round(frames / meta["duration"], 2)
    fps = meta.get("fps") or 0
    return float(fps) if fps > 0 and math.isfinite(fps) else None


def frames_promised(meta):
    """How many frames a video file's header says it holds (its duration times its rate), or
    None where it cannot say: a GIF's frames each have their own duration. A file cut short
    with its index at the front (phones, web exports and our own mp4s) decodes without an
    error, only fewer frames."""
    fps, duration = meta.get("fps") or 0, meta.get("duration") or 0
    if meta.get("codec", "").startswith("gif") or not (math.isfinite(fps) and fps > 0
                                                       and math.isfinite(duration)):
        return None
    return round(fps * duration) or None


def read_video(path, shape_for, max_frames, stop):
    """Decode a video file's frames, each resized as soon as it is read (a long film at full
    size would not fit in memory). `shape_for(first_frame)` gives the result's shape."""
    log = probe(path)
    frames, total, shape, original = [], 0, None, None
    try:
        # Every frame as decoded, once: by default ffmpeg would repeat or drop frames to keep
        # a steady rate, which for a GIF's uneven durations means dozens of copies.
        reader = imageio_ffmpeg.read_frames(str(path), output_params=["-fps_mode", "passthrough"])
        meta = next(reader)
        width, height = meta["size"]
        for data in reader:
            stop.check()  # a long film: answer a Ctrl-C while reading
            total += 1
            if max_frames is not None and len(frames) >= max_frames:
                continue  # still counted: the total tells a resumed run it is the same clip
            frame = np.frombuffer(data, np.uint8).reshape(height, width, 3)
            if shape is None:
                shape, original = shape_for(frame), (width, height)
            frames.append(st.resize(frame, shape))
    except (KeyboardInterrupt, UserError):
        raise
    except Exception as error:  # a codec it cannot decode, a file cut short
        raise UserError(f"{path}: cannot decode its frames "
                        f"({ffmpeg_reason(str(error))})") from None
    if not frames:
        raise UserError(f"{path}: no frames could be decoded "
                        f"({ffmpeg_reason(log) if 'rror' in log else 'an empty video'})")
    promised = frames_promised(meta)
    if promised and total < promised - max(2, 0.05 * promised):
        raise UserError(f"{path}: cut short: {total} of the {promised} frames its header "
                        "promises could be read; use the complete file")
    fps = frame_rate(meta, total)
    has_audio = bool(re.search(r"Stream #\S+.*: Audio:", log))
    return Clip(path, frames, fps, total, original, has_audio)


def read_folder(path, shape_for, max_frames, stop):
    """A folder of frames: its pictures in name order, all one size. Every frame is read
    before one is refused, so that all the unreadable ones are named at once."""
    names = files.picture_files(path)
    if not names:
        raise UserError(f"{path}: a folder with no frames in it (no "
                        f"{', '.join(files.PICTURE_TYPES)} files)")
    frames, shape, original, unreadable = [], None, None, []
    for name in names[:max_frames]:
        stop.check()
        try:
            frame = files.load_image(name)
        except UserError as error:
            unreadable.append(str(error).split("; ")[0])
            continue
        if shape is None:
            shape, original = shape_for(frame), frame.shape[:2]
        elif frame.shape[:2] != original:
            raise UserError(f"{name}: {frame.shape[1]}x{frame.shape[0]} pixels, but the "
                            f"first frame is {original[1]}x{original[0]}; every frame of "
                            "the folder must be the same size")
        frames.append(st.resize(frame, shape))
    if unreadable:
        raise UserError(f"{len(unreadable)} of the folder's frames cannot be read: "
                        + "; ".join(unreadable) + ". Fix or remove them")
    return Clip(path, frames, FOLDER_FPS, len(names), original[::-1], has_audio=False)


def read_clip(path, size, max_frames=None, stop=None):
    """The clip to paint, its frames at `size` pixels on the longer side (even sides); a
    stop asked for while a long clip is read (`stop`, a StopRequests) is answered."""
    stop = stop or StopRequests()
    path = Path(path)
    shape_for = lambda frame: even_shape(st.result_shape(frame, size))
    if os.path.isdir(path):  # os.path's answers False to a name too long; pathlib's raises
        return read_folder(path, shape_for, max_frames, stop)
    files.check_readable_file(path, path, "a video file or a folder of frames")
    return read_video(path, shape_for, max_frames, stop)


def write_video(path, frames, fps, audio_from=None):
    """Write frames as an .mp4 (H.264) or .gif at `fps`, atomically, like files.save_image.

    MP4: H.264 in yuv420p, the one kind every browser plays, with the index at the front
    (+faststart) so it starts playing before it has all loaded; the sound of `audio_from`, if
    it has any, cut to the frames' length. GIF: one palette for the whole clip (palettegen),
    and ordered dithering, whose pattern stays put from frame to frame; a palette per frame
    and error diffusion would add flicker of their own.
    """
    path = Path(path)
    height, width = frames[0].shape[:2]
    rate = str(Fraction(fps).limit_denominator(1001))
    command = ["-y", "-v", "error", "-f", "rawvideo", "-pix_fmt", "rgb24",
               "-s", f"{width}x{height}", "-framerate", rate, "-i", "-"]
    if path.suffix.lower() == ".gif":
        command += ["-filter_complex",
                    "split[a][b];[a]palettegen=stats_mode=full[p];"
                    "[b][p]paletteuse=dither=bayer:bayer_scale=3", "-loop", "0"]
    else:
        if audio_from is not None:  # '?': no error if it has no sound after all
            command += ["-i", str(audio_from), "-map", "0:v:0", "-map", "1:a:0?",
                        "-c:a", "aac", "-shortest"]
        command += ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-crf", "18",
                    "-movflags", "+faststart"]
    with files.written_atomically(path) as partial:
        process = subprocess.Popen(**ffmpeg(*command, str(partial)), stdin=subprocess.PIPE,
                                   stderr=subprocess.PIPE)
        try:
            for frame in frames:
                process.stdin.write(np.ascontiguousarray(frame, np.uint8).tobytes())
        except BrokenPipeError:
            pass  # ffmpeg stopped early; its log says why
        finally:
            process.stdin.close()
        log = process.stderr.read().decode(errors="replace")
        if process.wait() != 0:
            raise OSError(f"ffmpeg could not write it: {ffmpeg_reason(log)}")
