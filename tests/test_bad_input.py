"""Whatever is on a learner's disk gets one clear line and exit status 2, never a traceback."""
import io
import random
import zlib
import struct

import numpy as np
import pytest
from PIL import Image

from painter import files, memory, startup, still, weights
import style_transfer as st
from helpers import (CONTENT, MEASURED_BASELINE_GB, ROOT, STYLE, assert_one_line_error,
                     main_says, measured_peak_bytes)

pytestmark = pytest.mark.lesson  # needs only requirements.txt (make test-lesson)


def assert_refused(path, capsys, tmp_path, *words):
    output = tmp_path / "never.png"
    status, lines = main_says([str(path), STYLE, "--output", str(output)], capsys)
    assert_one_line_error(status, lines, str(path), *words)
    assert not output.exists()


def png_bytes(array, **params):
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG", **params)
    return buffer.getvalue()


def raw_png(width, height, bit_depth=8, colour_type=2, rows=None):
    """A PNG written by hand, so any header (true or not) and any bit depth can be made."""
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    data = b"".join(b"\0" + row for row in rows) if rows is not None else b"\0" * 100
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(data))
            + chunk(b"IEND", b""))


def png_header_claiming(width, height):
    """A PNG whose header claims width x height but holds almost no data."""
    return raw_png(width, height)


# -- input images ------------------------------------------------------------------------------
def test_missing_file(tmp_path, capsys):
    assert_refused(tmp_path / "nope.jpg", capsys, tmp_path, "no such file")


def test_folder(tmp_path, capsys):
    (tmp_path / "pictures").mkdir()
    assert_refused(tmp_path / "pictures", capsys, tmp_path, "folder")


def test_zero_byte_file(tmp_path, capsys):
    (tmp_path / "empty.png").write_bytes(b"")
    assert_refused(tmp_path / "empty.png", capsys, tmp_path, "empty file")


def test_a_name_too_long_for_the_disk(tmp_path, capsys):
    assert_refused(tmp_path / ("c" * 300 + ".png"), capsys, tmp_path, "File name too long")


def test_a_loop_of_symlinks(tmp_path, capsys):
    (tmp_path / "a.png").symlink_to(tmp_path / "b.png")
    (tmp_path / "b.png").symlink_to(tmp_path / "a.png")
    assert_refused(tmp_path / "a.png", capsys, tmp_path, "symbolic links")


@pytest.mark.parametrize("kind", ["PNG", "JPEG"])
def test_truncated_image(tmp_path, capsys, kind):
    rng = np.random.default_rng(0)
    buffer = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(buffer, kind)
    data = buffer.getvalue()
    path = tmp_path / f"cut.{kind.lower()}"
    path.write_bytes(data[: len(data) // 2])
    assert_refused(path, capsys, tmp_path, "not a readable image")


def test_decompression_bomb(tmp_path, capsys):
    path = tmp_path / "bomb.png"
    path.write_bytes(png_header_claiming(100_000, 100_000))
    assert_refused(path, capsys, tmp_path, "too large")


def test_a_generated_batch_of_malformed_files_all_exit_2(tmp_path, capsys):
    rng = random.Random(2026)
    good_png = (ROOT / "images" / "chelsea.png").read_bytes()
    buffer = io.BytesIO()
    Image.open(ROOT / "images" / "chelsea.png").save(buffer, "JPEG")
    good_jpeg = buffer.getvalue()
    cases = {}
    for i in range(6):  # random bytes, under image names
        cases[f"random{i}.{rng.choice(['png', 'jpg', 'gif', 'bmp'])}"] = rng.randbytes(
            rng.randint(1, 5000))
    for i in range(8):  # real files cut at random offsets
        data = rng.choice([good_png, good_jpeg])
        cases[f"cut{i}.{'png' if data is good_png else 'jpg'}"] = data[
            : rng.randint(1, len(data) * 9 // 10)]
    cases["zipped.jpg"] = b"PK\x03\x04" + rng.randbytes(300)  # wrong extension: a zip
    cases["notes.png"] = b"these are my notes, not a picture\n" * 10
    cases["header_only.png"] = good_png[:33]
    cases["script.jpeg"] = b"#!/bin/sh\necho hello\n"
    for name, data in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        assert_refused(path, capsys, tmp_path)


# -- unusual but valid pictures ---------------------------------------------------------------
def load_saved(tmp_path, image, name, **params):
    path = tmp_path / name
    image.save(path, **params)
    loaded = files.load_image(path)
    assert loaded.dtype == np.uint8 and loaded.ndim == 3 and loaded.shape[2] == 3
    return loaded


def test_grayscale(tmp_path):
    grey = np.array([[0, 128], [200, 255]], dtype=np.uint8)
    loaded = load_saved(tmp_path, Image.fromarray(grey, "L"), "grey.png")
    np.testing.assert_array_equal(loaded, np.repeat(grey[:, :, None], 3, axis=2))


def test_rgba_lies_on_white(tmp_path):
    rgba = np.zeros((2, 2, 4), dtype=np.uint8)
    rgba[0, 0] = [255, 0, 0, 255]   # opaque red
    rgba[1, 1] = [0, 0, 255, 0]     # fully transparent
    loaded = load_saved(tmp_path, Image.fromarray(rgba, "RGBA"), "rgba.png")
    assert loaded[0, 0].tolist() == [255, 0, 0]
    assert loaded[1, 1].tolist() == [255, 255, 255]


def test_palette(tmp_path):
    image = Image.new("P", (3, 2))
    image.putpalette([10, 20, 30, 200, 100, 50] + [0] * 762)
    image.putpixel((1, 0), 1)
    loaded = load_saved(tmp_path, image, "palette.png")
    assert loaded[0, 0].tolist() == [10, 20, 30] and loaded[0, 1].tolist() == [200, 100, 50]


def test_16_bit_grey_png(tmp_path):
    deep = np.array([[0, 32896], [65535, 1000]], dtype=">u2")
    path = tmp_path / "deep.png"
    path.write_bytes(raw_png(2, 2, bit_depth=16, colour_type=0, rows=[r.tobytes() for r in deep]))
    loaded = files.load_image(path)
    assert loaded.shape == (2, 2, 3) and loaded.dtype == np.uint8
    np.testing.assert_array_equal(loaded[:, :, 0], np.round(deep / 65535 * 255))
    np.testing.assert_array_equal(loaded[:, :, 0], loaded[:, :, 2])


def test_16_bit_rgb_png(tmp_path):
    # A photographer's 16-bit export: 0xFFFF is full, 0x8080 about half.
    deep = np.zeros((2, 2, 3), dtype=">u2")
    deep[0, 0] = [65535, 0, 32896]
    path = tmp_path / "deep_rgb.png"
    path.write_bytes(raw_png(2, 2, bit_depth=16, colour_type=2, rows=[r.tobytes() for r in deep]))
    loaded = files.load_image(path)
    assert loaded.shape == (2, 2, 3) and loaded.dtype == np.uint8
    assert loaded[0, 0].tolist() == [255, 0, 128] and loaded[1, 1].tolist() == [0, 0, 0]


def test_float_tiff_with_nan_loads_quietly(tmp_path):
    import warnings
    values = np.linspace(0, 1, 64 * 48, dtype=np.float32).reshape(48, 64) * 255
    values[0, :10] = np.nan
    path = tmp_path / "float.tiff"
    Image.fromarray(values, mode="F").save(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing may leak onto the learner's terminal
        image = files.load_image(path)
    assert image.shape == (48, 64, 3) and image.dtype == np.uint8
    assert np.all(image[0, :10] == 0)
    assert image[-1, -1, 0] == 255


def test_cmyk_jpeg(tmp_path):
    cmyk = Image.new("CMYK", (8, 8), (0, 255, 255, 0))  # pure red in ink
    loaded = load_saved(tmp_path, cmyk, "cmyk.jpg", quality=100)
    r, g, b = loaded[4, 4].astype(int)
    assert r > 200 and g < 60 and b < 60


def test_exif_orientation_is_honoured(tmp_path):
    # A phone stores a portrait photo sideways and says "rotate me" in its EXIF.
    pixels = np.zeros((20, 40, 3), dtype=np.uint8)   # stored landscape
    pixels[:, :10] = 255                             # white on the stored left
    image = Image.fromarray(pixels)
    exif = image.getexif()
    exif[0x0112] = 6                                 # Orientation: rotate 90° clockwise
    loaded = load_saved(tmp_path, image, "phone.jpg", exif=exif, quality=100)
    assert loaded.shape == (40, 20, 3)               # shown portrait
    assert loaded[:10].mean() > 200 and loaded[-10:].mean() < 50  # the white is now on top


def test_animated_gif_gives_its_first_frame(tmp_path):
    frames = [Image.new("RGB", (4, 4), colour) for colour in [(255, 0, 0), (0, 0, 255)]]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100)
    loaded = files.load_image(path)
    assert loaded[0, 0].tolist() == [255, 0, 0]


# -- numbers and flags --------------------------------------------------------------------------
@pytest.mark.parametrize("argv, flag", [
    (["--size", "31"], "--size"),
    (["--size", "abc"], "--size"),
    (["--size", "1" + "0" * 400], "--size"),                 # would overflow a float
    (["--iterations", "9" * 30], "--iterations"),
    (["--iterations", "0"], "--iterations"),
    (["--content-weight", "-0.5"], "--content-weight"),
    (["--style-weight", "inf"], "--style-weight"),
    (["--tv-weight", "nan"], "--tv-weight"),
    (["--content-layer", "block6_conv1"], "--content-layer"),
    (["--style-layers", "block1_conv1", "conv9"], "--style-layers"),
    (["--style-weights", "1", "2"], "--style-weights"),      # two weights, one style
    (["--style-weights", "-1"], "--style-weights"),
])
def test_bad_numbers_and_names_are_usage_errors_naming_the_flag(argv, flag, capsys):
    status, lines = main_says([CONTENT, STYLE, *argv], capsys)
    assert status == 2
    assert len(lines) == 1 and flag in lines[0] and "see --help" in lines[0]


@pytest.mark.parametrize("size", ["0", "20", "31"])
def test_every_size_below_32_gets_the_same_reason(size, capsys):
    status, lines = main_says([CONTENT, STYLE, "--size", size], capsys)
    assert status == 2
    assert "--size" in lines[-1] and "at least 32" in lines[-1] and f"got {size}" in lines[-1]


def test_huge_blend_weights_do_not_overflow():
    assert st.normalise_blend([1e308, 1e308]) == [0.5, 0.5]
    assert st.normalise_blend([3e307, 1e307]) == pytest.approx([0.75, 0.25])


def test_a_photo_too_thin_for_any_size_says_so(tmp_path, capsys):
    path = tmp_path / "line.png"
    Image.new("RGB", (5000, 1)).save(path)
    status, lines = main_says([str(path), STYLE, "--size", "64",
                               "--output", str(tmp_path / "o.png")], capsys)
    assert status == 2 and len(lines) == 1 and "too thin" in lines[0] and "crop" in lines[0]


def test_all_loss_weights_zero_is_a_usage_error(capsys):
    status, lines = main_says([CONTENT, STYLE, "--content-weight", "0", "--style-weight", "0",
                               "--tv-weight", "0"], capsys)
    assert status == 2 and "all 0" in lines[-1]


def test_style_weights_count_is_said_in_plain_english(capsys):
    status, lines = main_says([CONTENT, STYLE, "--style-weights", "1", "2"], capsys)
    assert status == 2 and "got 2 weights for 1 style image;" in lines[-1]


def test_a_panorama_too_thin_for_the_size_names_the_size_that_works(tmp_path, capsys):
    path = tmp_path / "panorama.png"
    Image.new("RGB", (2000, 45)).save(path)
    status, lines = main_says([str(path), STYLE, "--size", "512",
                               "--output", str(tmp_path / "o.png")], capsys)
    assert status == 2 and len(lines) == 1 and "--size 512" in lines[0]
    works = int(lines[0].rsplit("--size ", 1)[1].split()[0])
    photo = np.zeros((45, 2000, 3), np.uint8)
    assert min(st.result_shape(photo, works)) >= 32 > min(st.result_shape(photo, works - 1))


@pytest.mark.parametrize("init, words", [
    ("Noise", "not noise, content or style"),   # a typo of the word, not a file
    ("missing.png", "not noise, content or style"),
])
def test_a_bad_init_names_the_flag(tmp_path, capsys, init, words):
    status, lines = main_says([CONTENT, STYLE, "--init", init, "--size", "64",
                               "--output", str(tmp_path / "o.png")], capsys)
    assert status == 2 and len(lines) == 1
    assert lines[0].startswith(f"error: --init {init}:") and words in lines[0]


def test_an_init_file_that_is_not_an_image_names_the_flag(tmp_path, capsys):
    path = tmp_path / "start.png"
    path.write_bytes(b"not a picture")
    status, lines = main_says([CONTENT, STYLE, "--init", str(path), "--size", "64",
                               "--output", str(tmp_path / "o.png")], capsys)
    assert status == 2 and len(lines) == 1
    assert lines[0].startswith(f"error: --init {path}:") and "not a readable image" in lines[0]


def test_unknown_layer_lists_the_valid_names(capsys):
    status, lines = main_says([CONTENT, STYLE, "--content-layer", "conv4_2"], capsys)
    assert status == 2
    for name in st.VGG16_LAYERS:
        assert name in lines[-1]


def test_a_size_too_large_for_memory_is_refused_with_the_largest_that_fits(tmp_path, capsys):
    status, lines = main_says([CONTENT, STYLE, "--size", "100000",
                               "--output", str(tmp_path / "o.png")], capsys)
    assert status == 2 and len(lines) == 1
    assert "--size 100000" in lines[0] and "largest size that fits" in lines[0]
    fits = int(lines[0].rsplit(" ", 1)[1])
    assert 32 <= fits < 100000
    # By what runs were measured to take (helpers.MEASURED_PEAK_GB), not by the estimate that
    # named it: the tutorial's graph at that size fits in the memory free now, and the largest
    # size that would fit is not 1.5x larger (the learner is not sent needlessly small).
    photo = files.load_image(CONTENT)
    free = memory.available_memory() - MEASURED_BASELINE_GB * 1e9
    pixels = lambda size: np.prod(st.result_shape(photo, size))
    assert measured_peak_bytes("tutorial", pixels(fits)) < free
    assert measured_peak_bytes("tutorial", pixels(int(1.5 * fits))) > free


# -- output paths --------------------------------------------------------------------------------
def test_unknown_output_type_is_refused(tmp_path, capsys):
    status, lines = main_says([CONTENT, STYLE, "--output", str(tmp_path / "out.tiff")], capsys)
    assert status == 2 and len(lines) == 1 and ".tiff" in lines[0]


def test_output_without_an_extension_is_refused(tmp_path, capsys):
    status, lines = main_says([CONTENT, STYLE, "--output", str(tmp_path / "result")], capsys)
    assert status == 2 and len(lines) == 1 and "no file extension" in lines[0]


@pytest.mark.parametrize("exists", [True, False])
def test_output_naming_a_folder_with_a_slash_is_refused(tmp_path, capsys, exists):
    folder = tmp_path / "results"
    if exists:
        folder.mkdir()
    status, lines = main_says([CONTENT, STYLE, "--output", f"{folder}/"], capsys)
    assert status == 2 and len(lines) == 1
    assert "names a folder" in lines[0] and str(folder / "painting.png") in lines[0]


def refused_output(argv, capsys):
    status, lines = main_says([CONTENT, *argv], capsys)
    return assert_one_line_error(status, lines, "--output")


def test_output_onto_the_init_image_is_refused(tmp_path, capsys):
    start = tmp_path / "start.png"
    Image.new("RGB", (64, 64), "red").save(start)
    before = start.read_bytes()
    line = refused_output([STYLE, "--init", str(start), "--output", str(start)], capsys)
    assert "would overwrite the input image" in line
    assert start.read_bytes() == before


@pytest.mark.parametrize("input_name, output_name", [
    ("style.gif", "style.png"),         # OUTPUT.gif, the animation, is the style image
    ("cat_sheet.png", "cat.jpg"),       # OUTPUT_sheet.png is the style image
])
def test_the_files_beside_the_output_never_overwrite_an_input(tmp_path, capsys,
                                                              input_name, output_name):
    style = tmp_path / input_name
    Image.open(STYLE).convert("RGB").save(style)
    before = style.read_bytes()
    line = refused_output([str(style), "--output", str(tmp_path / output_name)], capsys)
    assert f"would overwrite the input image {style}" in line
    assert style.read_bytes() == before


def test_an_input_inside_the_folder_of_iterations_is_not_overwritten(tmp_path, capsys):
    # "Carry on from iteration 2" is natural, but this run rewrites that folder.
    steps = tmp_path / "cat_iterations"
    steps.mkdir()
    start = steps / "iteration_002.png"
    Image.open(CONTENT).save(start)
    before = start.read_bytes()
    line = refused_output([STYLE, "--init", str(start), "-o", str(tmp_path / "cat.png")], capsys)
    assert f"rewrites {steps}" in line and str(start) in line
    assert start.read_bytes() == before


def test_a_refused_run_leaves_no_empty_folder_behind(tmp_path, capsys):
    status, _ = main_says([CONTENT, STYLE, "--weights", str(tmp_path / "missing.h5"),
                           "-o", str(tmp_path / "out" / "cat.png")], capsys)
    assert status == 2
    assert not (tmp_path / "out" / "cat_iterations").exists()


def test_paths_starting_with_a_tilde_mean_the_home_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    args = still.parse_args(["~/cat.png", "~/style.png", "--init", "~/start.png",
                          "--output", "~/out/cat.png", "--weights", "~/vgg.h5"])
    for path in [args.content, *args.styles, args.paint.init, args.output, args.weights]:
        assert path.startswith(str(tmp_path) + "/")
    assert still.parse_args([CONTENT, STYLE]).paint.init == "noise"


def test_a_web_address_says_to_download_it_first(tmp_path, capsys):
    status, lines = main_says(["https://example.com/starry.jpg", STYLE], capsys)
    assert status == 2 and len(lines) == 1 and "download" in lines[0]
    assert lines[0].startswith("error: https://example.com/starry.jpg: a web address")


@pytest.mark.parametrize("which", ["photo", "painting"])
@pytest.mark.slow
def test_a_picture_under_32_pixels_is_scaled_up_with_a_warning(tmp_path, capsys, which):
    tiny = tmp_path / "tiny.png"
    Image.new("RGB", (1, 1), (200, 120, 40)).save(tiny)
    inputs = [str(tiny), STYLE] if which == "photo" else [CONTENT, str(tiny)]
    output = tmp_path / "o.png"
    status, lines = main_says([*inputs, "--size", "48", "--iterations", "1", "--fast",
                               "--no-extras", "--output", str(output)], capsys)
    assert status == 0
    assert lines == [f"warning: {tiny} is only 1x1 pixels, under 32 on a side: it is scaled "
                     "up to the picture's size, which blurs it; a larger image paints better"]
    assert files.load_image(output).shape == ((48, 48, 3) if which == "photo" else (32, 48, 3))


@pytest.mark.slow
def test_a_disk_that_fills_at_the_end_names_the_file_and_what_is_complete(tmp_path, capsys,
                                                                         monkeypatch):
    import errno
    real = files.save_image

    def full_at_the_gif(path, image):
        if str(path).endswith(".gif"):
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real(path, image)

    monkeypatch.setattr(files, "save_image", full_at_the_gif)
    output = tmp_path / "o.png"
    status, lines = main_says([CONTENT, STYLE, "--size", "48", "--iterations", "2", "--fast",
                               "--output", str(output)], capsys)
    assert status == 1 and len(lines) == 1
    line = lines[0]
    assert line.startswith(f"error: could not write {tmp_path / 'o.gif'} (No space left on device)")
    assert f"{output} (the picture after iteration 2)" in line
    assert f"{tmp_path / 'o_iterations'} (the pictures of iterations 1 to 2)" in line
    assert f"{tmp_path / 'o_sheet.png'} (the comparison sheet)" in line
    assert "o_loss.png" not in line  # not written: it comes after the GIF
    assert files.load_image(output).shape == (32, 48, 3)


def test_files_in_the_way_of_the_extras_are_refused_before_the_run(tmp_path, capsys):
    (tmp_path / "a_iterations").write_text("not a folder")
    assert "a_iterations" in refused_output([STYLE, "-o", str(tmp_path / "a.png")], capsys)
    (tmp_path / "b.gif").mkdir()
    assert "b.gif" in refused_output([STYLE, "-o", str(tmp_path / "b.png")], capsys)


def test_output_under_a_file_says_which_file(tmp_path, capsys):
    line = refused_output([STYLE, "--output", f"{CONTENT}/cat.png"], capsys)
    assert f"{CONTENT} is a file, not a folder" in line


def test_an_output_name_too_long_for_the_disk_is_refused_before_the_run(tmp_path, capsys):
    line = refused_output([STYLE, "--output", str(tmp_path / ("a" * 250 + ".png"))], capsys)
    assert "File name too long" in line


def test_unwritable_output_is_refused_before_the_run(tmp_path, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("in the way")
    status, lines = main_says([CONTENT, STYLE, "--output", str(blocker / "out.png")], capsys)
    assert status == 2 and len(lines) == 1 and "--output" in lines[0]


def test_output_that_is_a_folder_is_refused(tmp_path, capsys):
    folder = tmp_path / "out.png"
    folder.mkdir()
    status, lines = main_says([CONTENT, STYLE, "--output", str(folder)], capsys)
    assert status == 2 and "folder" in lines[0]


def test_missing_weights_file(tmp_path, capsys):
    status, lines = main_says([CONTENT, STYLE, "--weights", str(tmp_path / "w.h5"),
                               "--output", str(tmp_path / "o.png")], capsys)
    assert status == 2 and len(lines) == 1 and "--weights" in lines[0]


def weights_refused(path, capsys, tmp_path):
    """Run with --weights PATH; it must be refused before the run announces itself."""
    status = still.main([CONTENT, STYLE, "--size", "64", "--weights", str(path),
                      "--output", str(tmp_path / "o.png")])
    out, err = capsys.readouterr()
    assert "Painting" not in out
    line = assert_one_line_error(status, err)
    assert line.startswith(f"error: --weights {path}:")
    return line


def test_a_weights_folder(tmp_path, capsys):
    assert "is a folder" in weights_refused(tmp_path, capsys, tmp_path)


def test_a_file_that_is_not_weights(tmp_path, capsys):
    fake = tmp_path / "w.h5"
    fake.write_bytes(b"PK\x03\x04" + b"\0" * 100)  # a zip, say
    assert "not a Keras weights file (.h5)" in weights_refused(fake, capsys, tmp_path)


def test_an_hdf5_file_cut_short_is_called_damaged_or_incomplete(tmp_path, capsys,
                                                               weights_path):
    cut = tmp_path / "w.h5"
    cut.write_bytes(weights_path.read_bytes()[:5_000_000])  # an interrupted download
    line = weights_refused(cut, capsys, tmp_path)
    assert "damaged or incomplete" in line and "not a Keras" not in line
    head = tmp_path / "head.h5"
    head.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 100)  # the signature and nothing else
    assert "damaged or incomplete" in weights_refused(head, capsys, tmp_path)


def test_a_damaged_default_copy_says_how_to_get_a_good_one(tmp_path, monkeypatch,
                                                           weights_path):
    cut = tmp_path / "weights" / weights.WEIGHTS_NAME
    cut.parent.mkdir()
    cut.write_bytes(weights_path.read_bytes()[:1_000_000])
    monkeypatch.setattr(weights, "LOCAL_WEIGHTS", cut)
    with pytest.raises(startup.UserError, match="damaged or incomplete.*delete it and run again.*"
                                           "make weights"):
        weights.resolve_weights("imagenet")


@pytest.mark.parametrize("values, words", [("zeros", "only zeros"), ("constant", "repeated"),
                                           ("nan", "not finite")])
def test_weights_of_the_right_shapes_that_cannot_be_imagenets_are_refused(tmp_path, capsys,
                                                                          values, words):
    line = weights_refused(fake_vgg16_weights(tmp_path / "vgg.h5", values=values), capsys,
                           tmp_path)
    assert words in line and "cannot be VGG16's ImageNet weights" in line


def fake_vgg16_weights(path, wrong=None, values="random"):
    """An .h5 laid out as Keras saves VGG16, holding random numbers (or zeros, one constant,
    NaN in one place); `wrong` gets a kernel of the wrong shape."""
    import h5py
    rng = np.random.default_rng(0)

    def data(shape):
        if values == "zeros":
            return np.zeros(shape, np.float32)
        if values == "constant":
            return np.full(shape, 0.25, np.float32)
        array = rng.normal(0, 0.05, shape).astype(np.float32)
        if values == "nan" and len(shape) == 1:
            array[0] = np.nan
        return array
    # VGG16's published layout: 3x3 kernels, 64-128-256-512-512 channels in blocks 1 to 5.
    widths = {1: 64, 2: 128, 3: 256, 4: 512, 5: 512}
    convs = {1: 2, 2: 2, 3: 3, 4: 3, 5: 3}
    with h5py.File(path, "w") as weights_file:
        names, channels_in = [], 3
        for block in range(1, 6):
            for conv in range(1, convs[block] + 1):
                name, out = f"block{block}_conv{conv}", widths[block]
                kernel = (3, 3, channels_in, out) if name != wrong else (1, 1, channels_in, out)
                group = weights_file.create_group(name)
                group.create_dataset(f"{name}/kernel:0", data=data(kernel))
                group.create_dataset(f"{name}/bias:0", data=data((out,)))
                group.attrs["weight_names"] = [f"{name}/kernel:0".encode(),
                                               f"{name}/bias:0".encode()]
                names.append(name)
                channels_in = out
            names.append(f"block{block}_pool")
        weights_file.attrs["layer_names"] = [name.encode() for name in names]
    return path


def test_a_weights_file_laid_out_like_vgg16_is_accepted(tmp_path):
    path = fake_vgg16_weights(tmp_path / "vgg.h5")
    # raises if refused:
    weights.check_weights_file(path, f"--weights {path}", weights.vgg16_weight_shapes())


@pytest.mark.parametrize("wrong", ["block1_conv1", "block3_conv1", "block5_conv3"])
def test_weights_with_the_right_names_but_wrong_arrays(tmp_path, capsys, wrong):
    line = weights_refused(fake_vgg16_weights(tmp_path / "vgg.h5", wrong), capsys, tmp_path)
    assert "not a Keras VGG16 notop weights file" in line and wrong in line


def test_keras_weights_of_another_model(tmp_path, capsys):
    import h5py
    other = tmp_path / "resnet.h5"
    with h5py.File(other, "w") as weights_file:
        weights_file.attrs["layer_names"] = [b"conv1_conv", b"conv1_bn"]
    line = weights_refused(other, capsys, tmp_path)
    assert "not a Keras VGG16 notop weights file" in line and "block1_conv1" in line
