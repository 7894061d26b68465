"""Pictures read safely, files written atomically, and an output path checked before any work.

  * load_image: any picture file as 8-bit RGB (phones' EXIF turns, 16-bit and grey pictures,
    transparency laid on white), refusing decompression bombs and broken files in one line;
  * written_atomically: every file written goes through it, so no one ever sees half a file;
  * check_output: a bad --output refused now, not after an hour of work;
  * picture_files: a folder's pictures in name order (a batch's photos, a clip's frames).

numpy, Pillow and imageio load where they are used, so a program's --help stays quick.
"""
import contextlib
import os
import re
import stat
import tempfile
import warnings
from pathlib import Path

from painter.startup import UserError


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

def claim(folder, stem, suffix=".png"):
    """A new file's path in `folder`, STEM.png or else STEM-2.png, STEM-3.png ...: the name is
    claimed (an empty file made with O_EXCL) before anything is written to it, so that two
    programs naming their pictures alike in one folder never write one file. Write it with
    save_image, which replaces the empty file whole."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    number = 1
    while True:
        path = folder / (f"{stem}{suffix}" if number == 1 else f"{stem}-{number}{suffix}")
        try:
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE))
            return path
        except FileExistsError:
            number += 1


# ---------------------------------------------------------------------------------------------
# A folder's pictures
# ---------------------------------------------------------------------------------------------
PICTURE_TYPES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")


def natural_key(path):
    """frame_2.png before frame_10.png: numbers in a name compare as numbers."""
    return [int(part) if part.isdigit() else part.lower()
            for part in re.split(r"(\d+)", path.name)]


def picture_files(folder):
    """A folder's pictures in name order (frame_2 before frame_10); hidden files and
    subfolders are not among them."""
    return sorted((p for p in Path(folder).iterdir()
                   if p.suffix.lower() in PICTURE_TYPES and not p.name.startswith(".")
                   and not p.is_dir()), key=natural_key)
