"""The one graph cache: the last graph built, kept for the next picture that needs the same."""
import hashlib

import numpy as np


def digest(images):
    """The pictures' (or masks') contents in a few bytes each: two graphs built from pictures
    of equal digests are the same graph."""
    return tuple(hashlib.sha256(np.ascontiguousarray(image)).hexdigest() for image in images)


class Easel:
    """Keeps the last graph built (VGG16, the loss and its gradient: seconds to build) with what
    it was built for, its key. A picture that needs the same graph (the same shape, paintings
    and loss; another photo is fed into it) gets it back at once. The studio's painting thread
    keeps one for every job, and each Dask worker process one for every task (workers.py);
    a Painter made without one gets its own."""

    def __init__(self):
        self.key = None
        self.kept = None
        self.built = self.reused = 0

    def get(self, key, build):
        """(the graph for `key`, whether it was kept): the kept one if it was built for the same
        key, else build() (which clears TensorFlow's session, and so ends the kept graph)."""
        if self.kept is not None and self.key == key:
            self.reused += 1
            return self.kept, True
        self.key = self.kept = None
        self.kept = build()
        self.key = key
        self.built += 1
        return self.kept, False
