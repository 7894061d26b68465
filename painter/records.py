"""A folder's record of the settings its pictures were painted with (batch.json, a clip's run.json).

A batch or a clip run again into the same folder carries on only if nothing that decides what
the pictures look like has changed; the record says what it was.
"""
import json
from pathlib import Path

from painter import files
from painter.startup import UserError


def as_recorded(settings):
    """`settings` ({name: value}) as they read back from the record: lists, not tuples."""
    return json.loads(json.dumps(settings))


def read(path, remedy):
    """The record at `path` ({"settings": {...}, ...}), or None where there is none. One that
    cannot be read is a UserError ending with `remedy`."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        record = json.loads(path.read_text())
        if not isinstance(record.get("settings"), dict):
            raise ValueError("no settings")
        return record
    except (ValueError, AttributeError, OSError):
        raise UserError(f"{path}: unreadable; {remedy}") from None


def changed(earlier, settings):
    """The names of the settings whose value differs from the record's `earlier` ones."""
    return [key for key in settings if earlier.get(key) != settings[key]]


def shown(value):
    """A setting as typed: --scales 64 128, not [64, 128]."""
    return " ".join(map(str, value)) if isinstance(value, list) else str(value)


def write(path, settings, **more):
    """The record, written atomically: {"settings": settings, **more}."""
    files.write_bytes(path, json.dumps({"settings": settings, **more}, indent=1).encode())
