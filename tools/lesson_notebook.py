"""The lesson notebook, notebooks/style_transfer_lesson.ipynb: made from its source, with outputs.

Its source of truth is notebooks/style_transfer_lesson.py, in jupytext's "percent" format (a plain
Python file whose `# %%` lines start cells), paired with the .ipynb. The .ipynb is committed with
its outputs, so that it reads on GitHub without running. After editing the .py (or the notebook
in JupyterLab, which keeps both files in step through jupytext), regenerate the .ipynb:

    make notebook-outputs       # or: .venv/bin/python tools/lesson_notebook.py

This takes the cells from the .py, runs them top to bottom at the lesson's size and writes the
.ipynb in place. tests/test_notebook.py checks that the two files hold the same cells, and runs
a copy of the notebook at a tiny size.
"""
import os
import sys
import time

import jupytext
import nbformat
from nbclient import NotebookClient

from toolkit import ROOT
SOURCE = ROOT / "notebooks" / "style_transfer_lesson.py"
NOTEBOOK = SOURCE.with_suffix(".ipynb")
# The notebook reads these; unset, it runs at the lesson's size (192 px, 10 iterations).
SETTINGS = ("STYLE_NOTEBOOK_SIZE", "STYLE_NOTEBOOK_ITERATIONS")


def from_source(source=SOURCE):
    """The notebook's cells, from the .py, without outputs. Cell ids follow the cells' order,
    so that regenerating an unchanged notebook changes nothing but its outputs."""
    notebook = jupytext.read(source)
    for number, cell in enumerate(notebook.cells, 1):
        cell.id = f"cell-{number:02d}"
    return notebook


def execute(notebook, folder, timeout=900):
    """Run every cell in order in a fresh kernel whose working folder is `folder`; raise
    nbclient's CellExecutionError, which names the cell, if one fails."""
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(folder)}},
                            coalesce_streams=True, record_timing=False)
    client.execute()
    return notebook


def main():
    for name in SETTINGS:  # the committed notebook is always the lesson's size
        os.environ.pop(name, None)
    start = time.time()
    print(f"Running {SOURCE.relative_to(ROOT)} at the lesson's size (a few minutes) ...",
          flush=True)
    notebook = execute(from_source(), NOTEBOOK.parent)
    nbformat.write(notebook, NOTEBOOK)
    print(f"Wrote {NOTEBOOK.relative_to(ROOT)} ({NOTEBOOK.stat().st_size / 1e6:.1f} MB) "
          f"in {time.time() - start:.0f} s")


if __name__ == "__main__":
    sys.exit(main())
