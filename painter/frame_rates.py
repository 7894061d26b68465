"""Frame rates: what an mp4 or a GIF can hold, and a folder of frames' rate, checked first."""
from pathlib import Path

from painter.startup import UserError

VIDEO_TYPES = (".mp4", ".gif")
# GIF frame durations are whole hundredths of a second, and browsers show anything under 2
# as 10: 50 frames a second at most. MP4 players cope with far more; 240 is a high-speed camera.
MAX_FPS = {".gif": 50.0, ".mp4": 240.0}
MIN_FPS = 1 / 600  # a GIF frame lasts at most 655.35 s; ffmpeg's rates are fractions of 1001
FOLDER_FPS = 24.0  # a folder of frames says nothing of its frame rate: film's, unless --fps


def check_frame_rate(fps, output, source):
    """A frame rate the output can hold, or one line saying why not."""
    kind = Path(output).suffix.lower()
    if fps is None:
        raise UserError(f"{source}: its frame rate is unknown; give one with --fps")
    if fps < MIN_FPS:  # ffmpeg's mp4 rate would round to 0; a GIF's frame duration overflow
        raise UserError(f"{source}: {fps:g} frames a second is less than one frame every "
                        f"ten minutes, which a video cannot hold; give --fps {MIN_FPS:.4f} "
                        "or more")
    if fps > MAX_FPS[kind]:
        why = ("GIF frames last at least 2 hundredths of a second in browsers"
               if kind == ".gif" else "more than any player shows")
        raise UserError(f"{source}: {fps:g} frames a second cannot be written to a {kind} "
                        f"({why}); give --fps {MAX_FPS[kind]:g} or less")
