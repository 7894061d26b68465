"""The photo's colours, kept (--preserve-color): Gatys et al. 2017's colour control, in numpy.

Everything here happens before the run (the paintings recoloured, or all pictures made grey)
or after it (the result's brightness given the photo's colours): plain numpy on RGB pictures,
no part of the graph. --preserve-color MODE picks one of COLOR_MODES.
"""
import numpy as np


# YIQ, the colour space of analogue TV: Y is brightness, I and Q carry the colour.
RGB_TO_YIQ = np.array([[0.299, 0.587, 0.114],
                       [0.596, -0.274, -0.322],
                       [0.211, -0.523, 0.312]])


def preserve_color(result, content):
    """The result's brightness with the photo's colours (neural-style's -original_colors).

    The painting's brushwork lives mostly in brightness; its palette lives in I and Q. Keeping
    the photo's I and Q paints the photo in its own colours with the painting's strokes.
    """
    result_yiq = result.astype(np.float64) @ RGB_TO_YIQ.T
    content_yiq = content.astype(np.float64) @ RGB_TO_YIQ.T
    yiq = np.concatenate([result_yiq[..., :1], content_yiq[..., 1:]], axis=-1)
    rgb = yiq @ np.linalg.inv(RGB_TO_YIQ).T
    return to_uint8(rgb)


def to_uint8(image):
    return np.clip(np.round(image), 0, 255).astype(np.uint8)


def luminance_only(content, styles):
    """Gatys et al. 2017's luminance-only transfer, the part before the run.

    The photo and the paintings become grey pictures of their brightness (Y), and each
    painting's brightness is shifted and stretched to the photo's mean and spread, so that it
    lends its strokes but not its light. After the run, preserve_color puts the photo's
    colours back on the result's brightness.
    """
    def grey(values):
        return np.repeat(to_uint8(values)[:, :, np.newaxis], 3, axis=2)

    photo = content.astype(np.float64) @ RGB_TO_YIQ[0]
    paintings = []
    for style in styles:
        y = style.astype(np.float64) @ RGB_TO_YIQ[0]
        paintings.append(grey((y - y.mean()) / max(y.std(), 1e-6) * photo.std() + photo.mean()))
    return grey(photo), paintings


def matrix_power(covariance, power):
    """A symmetric positive definite matrix to a power, through its eigenvalues."""
    values, vectors = np.linalg.eigh(covariance)
    return (vectors * values ** power) @ vectors.T


def match_colors(painting, photo, method="pca"):
    """The painting recoloured so that its colours' mean and covariance are the photo's.

    Gatys et al. 2017's colour matching, done before the run: each pixel x becomes
    A (x - painting's mean) + photo's mean, with A any matrix that takes the painting's colour
    covariance Cp to the photo's Cc (A Cp A' = Cc). Their code offers three:
      pca:  A = Cc^1/2 Cp^-1/2, through each covariance's eigenvectors;
      chol: A = Lc Lp^-1, with the Cholesky factors (C = L L');
      sym:  A = Cp^-1/2 (Cp^1/2 Cc Cp^1/2)^1/2 Cp^-1/2, the symmetric one, which moves the
            colours least.
    Returns floats; clipping to 0..255 afterwards changes the statistics a little.
    """
    def mean_and_covariance(image):
        pixels = image.reshape(-1, 3).astype(np.float64)
        mean = pixels.mean(axis=0)
        return mean, np.cov(pixels - mean, rowvar=False, bias=True) + 1e-5 * np.eye(3)

    mean_p, cov_p = mean_and_covariance(painting)
    mean_c, cov_c = mean_and_covariance(photo)
    if method == "pca":
        a = matrix_power(cov_c, 0.5) @ matrix_power(cov_p, -0.5)
    elif method == "chol":
        a = np.linalg.cholesky(cov_c) @ np.linalg.inv(np.linalg.cholesky(cov_p))
    elif method == "sym":
        root_p, inverse_root_p = matrix_power(cov_p, 0.5), matrix_power(cov_p, -0.5)
        a = inverse_root_p @ matrix_power(root_p @ cov_c @ root_p, 0.5) @ inverse_root_p
    else:
        raise ValueError(f"unknown colour matching method {method!r}")
    pixels = painting.reshape(-1, 3).astype(np.float64)
    return ((pixels - mean_p) @ a.T + mean_c).reshape(painting.shape)


COLOR_MODES = ["swap", "luminance", "match-pca", "match-chol", "match-sym"]


def color_inputs(content, styles, mode):
    """The photo and the paintings as a run with --preserve-color MODE paints with them."""
    if mode == "luminance":
        return luminance_only(content, styles)
    if mode is not None and mode.startswith("match-"):
        return content, [to_uint8(match_colors(style, content, mode[6:])) for style in styles]
    return content, styles


def color_result(picture, content, mode):
    """The result, with the photo's colours put back where the mode does it after the run."""
    return preserve_color(picture, content) if mode in ("swap", "luminance") else picture
