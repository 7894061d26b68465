"""Video's motion: optical flow, the warp along it, where it can be trusted, and flicker measured.

Ruder, Dosovitskiy and Brox (2016), "Artistic style transfer for videos": each frame starts
from the previous painted frame moved along the film's motion (the optical flow), and is held
to it wherever the motion can be trusted (the consistency mask). Their measure of flicker is
here too. Plain numpy, OpenCV and scipy: no part of the graph.
"""
import math

import cv2
import numpy as np
from scipy.ndimage import map_coordinates


# ---------------------------------------------------------------------------------------------
# Optical flow and the warp
# ---------------------------------------------------------------------------------------------
def optical_flow(frame, other):
    """Where each pixel of `frame` is in `other`: an (h, w, 2) float32 array of (dx, dy).

    DIS, Kroeger et al.'s "dense inverse search" (2016), is OpenCV's fast dense flow: it
    matches small patches from coarse to fine, then smooths the field. It needs only
    brightness, so the frames go in as grey.
    """
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    return dis.calc(cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY),
                    cv2.cvtColor(other, cv2.COLOR_RGB2GRAY), None)


def displaced_grid(flow):
    """The positions p + flow(p) of every pixel p: their x and their y, each (h, w)."""
    height, width = flow.shape[:2]
    y, x = np.mgrid[0:height, 0:width]
    return x + flow[..., 0], y + flow[..., 1]


def sample(image, x, y):
    """`image` read at fractional positions (x, y): bilinear interpolation between the four
    nearest pixels, with the edge pixels repeated beyond the border. Exact, where OpenCV's
    remap rounds positions to 1/32 of a pixel."""
    if image.ndim == 3:
        return np.stack([sample(image[..., c], x, y) for c in range(image.shape[-1])], axis=-1)
    return map_coordinates(image, [y, x], order=1, mode="nearest")


def warp(image, flow):
    """`image` moved along the film's motion: pixel p of the result is `image` at p + flow(p).

    With the backward flow of frame t (where its pixels were in frame t-1), this moves the
    previous painted frame to where its content is now. Positions outside the picture take
    the nearest edge pixel; the consistency mask marks them untrustworthy anyway.
    """
    return sample(np.asarray(image, dtype=np.float32), *displaced_grid(flow))


# ---------------------------------------------------------------------------------------------
# Where the flow can be trusted: the consistency mask
# ---------------------------------------------------------------------------------------------
def squared_length(flow):
    return np.sum(np.square(flow), axis=-1)


def consistency(backward, forward):
    """1 where frame t's backward flow can be trusted, 0 where it cannot: an (h, w) array.

    Ruder et al.'s three tests (their consistencyChecker), for each pixel p of frame t with
    backward flow w = backward(p) to frame t-1:
      * p + w must be inside frame t-1: a pixel that came in over the edge has no past;
      * forward-backward check: following w into frame t-1 and that frame's forward flow
        w^ = forward(p + w) back should return to p, so w + w^ is about 0. Where something came
        out from behind an object the two disagree:
        |w + w^|^2 > 0.01 (|w|^2 + |w^|^2) + 0.5 marks p as newly seen;
      * not on a motion boundary, where the flow jumps and is blurred by every method:
        |grad u|^2 + |grad v|^2 > 0.01 |w|^2 + 0.002, with (u, v) = w.
    (Their program then blurs the mask a little; we keep it 0 or 1.)
    """
    backward, forward = backward.astype(np.float64), forward.astype(np.float64)
    height, width = backward.shape[:2]
    to_x, to_y = displaced_grid(backward)
    inside = (to_x >= 0) & (to_x <= width - 1) & (to_y >= 0) & (to_y <= height - 1)
    returning = sample(forward, to_x, to_y)  # w^ at p + w
    agree = (squared_length(backward + returning)
             <= 0.01 * (squared_length(backward) + squared_length(returning)) + 0.5)
    # Central differences, as their CDerivative: (f(p + 1) - f(p - 1)) / 2, one-sided at edges.
    du_dy, du_dx = np.gradient(backward[..., 0])
    dv_dy, dv_dx = np.gradient(backward[..., 1])
    boundary = (du_dx ** 2 + du_dy ** 2 + dv_dx ** 2 + dv_dy ** 2
                > 0.01 * squared_length(backward) + 0.002)
    return (inside & agree & ~boundary).astype(np.float32)


def motion(frame, previous):
    """Frame t's backward flow to frame t-1, and where it can be trusted."""
    backward = optical_flow(frame, previous)
    return backward, consistency(backward, optical_flow(previous, frame))


# ---------------------------------------------------------------------------------------------
# Measuring flicker
# ---------------------------------------------------------------------------------------------
def temporal_error(painted, contents):
    """Ruder et al.'s measure of flicker: the root mean square, over frames 2 to n and every
    pixel and channel, of c * (x_t - warp(x_t-1)), on pixel values 0 to 255.

    x_t is painted frame t, warp(x_t-1) the frame before it moved along the clip's motion, and c
    the consistency mask: what should have stayed the same, but changed.
    """
    changes = frame_changes(painted, contents)
    return math.sqrt(sum(changes) / len(changes)) if changes else 0.0


def frame_changes(painted, contents):
    """The mean square of c * (x_t - warp(x_t-1)) for each t from 2 to n: the flicker from
    one frame to the next (all have as many pixels, so their mean is the clip's)."""
    changes = []
    for t in range(1, len(painted)):
        backward, mask = motion(contents[t], contents[t - 1])
        moved = warp(painted[t - 1], backward)
        change = mask[..., np.newaxis] * (painted[t].astype(np.float32) - moved)
        changes.append(float(np.mean(np.square(change, dtype=np.float64))))
    return changes
