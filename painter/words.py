"""What the programs say: progress lines, and numbers, times and lists put into words."""
import os
import sys
from pathlib import Path


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
    seconds = max(0, round(seconds))
    if seconds < 90:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    return f"{minutes} min" if minutes < 90 else f"{minutes // 60} h {minutes % 60:02d} min"


def memory_size(size):
    """'2.3 GB', '40 MB': bytes, as precisely as they are worth."""
    return f"{size / 1e9:.1f} GB" if size >= 1e8 else f"{max(size, 0) / 1e6:.0f} MB"


def and_list(words):
    words = list(map(str, words))
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


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
