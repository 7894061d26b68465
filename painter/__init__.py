"""The tool around the lesson (style_transfer.py): its programs, posters, video, batches, studio."""
from painter import startup  # noqa: F401  (the environment, set before numpy or TensorFlow loads)
