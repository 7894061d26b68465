"""The lesson notebook: committed in step with its source, with its outputs, and it runs.

notebooks/style_transfer_lesson.py (jupytext's percent format) is the source of truth; the .ipynb
beside it is made from it by `make notebook-outputs` (tools/lesson_notebook.py).
"""
import os

import jupytext
import nbformat
import pytest

import lesson_notebook
from helpers import ROOT
from lesson_notebook import NOTEBOOK, SOURCE

REGENERATE = "run `make notebook-outputs` and commit both files"


def cells(notebook):
    return [(cell.cell_type, cell.source) for cell in notebook.cells]


def committed():
    return nbformat.read(NOTEBOOK, as_version=4)


def test_committed_notebook_has_the_cells_of_its_source():
    notebook, source = committed(), jupytext.read(SOURCE)
    assert notebook.metadata.get("jupytext", {}).get("formats") == "ipynb,py:percent", \
        f"{NOTEBOOK.name} is not paired with {SOURCE.name}"
    for number, (theirs, ours) in enumerate(zip(cells(notebook), cells(source)), 1):
        assert theirs == ours, (f"cell {number} of {NOTEBOOK.name} differs from "
                                f"{SOURCE.name}; {REGENERATE}")
    assert len(notebook.cells) == len(source.cells), \
        f"{NOTEBOOK.name} has {len(notebook.cells)} cells, {SOURCE.name} {len(source.cells)}; " \
        + REGENERATE


def test_the_code_the_notebook_shows_is_the_scripts_code_today():
    """The saved outputs print style_transfer.py's functions (show(st.name)); a learner reading
    the notebook on GitHub must see the code as it is, not as it was when it last ran."""
    import inspect
    import re

    import style_transfer as st
    shown = 0
    for cell in committed().cells:
        if cell.cell_type != "code":
            continue
        names = re.findall(r"^show\(st\.(\w+)\)", cell.source, flags=re.M)
        printed = [output.data["text/markdown"] for output in cell.outputs
                   if "text/markdown" in output.get("data", {})]
        for name, text in zip(names, printed):
            assert text == f"```python\n{inspect.getsource(getattr(st, name))}```", \
                f"the notebook shows an old st.{name}; {REGENERATE}"
            shown += 1
    assert shown >= 10


def test_committed_notebook_has_its_outputs():
    """It reads on GitHub without running: every code cell ran once, in order, without error,
    the loop's pictures are there, and the file stays small."""
    notebook = committed()
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert [cell.execution_count for cell in code] == list(range(1, len(code) + 1)), \
        f"{NOTEBOOK.name} was not run top to bottom; {REGENERATE}"
    for cell in code:
        for output in cell.outputs:
            assert output.output_type != "error", f"a cell failed: {cell.source[:80]!r}"
            assert "Traceback" not in output.get("text", ""), cell.source[:80]
    pictures = sum("image/jpeg" in output.get("data", {}) or "image/png" in output.get("data", {})
                   for cell in code for output in cell.outputs)
    assert pictures >= 15, f"only {pictures} pictures in {NOTEBOOK.name}; {REGENERATE}"
    assert NOTEBOOK.stat().st_size < 4_000_000, f"{NOTEBOOK.name} is over 4 MB"


@pytest.mark.slow
def test_notebook_runs_top_to_bottom_at_a_tiny_size(tmp_path, monkeypatch):
    """A copy, in a folder of its own, so the committed file is never rewritten. The kernel
    inherits these variables: a 48-pixel picture, one iteration per loop."""
    copy = tmp_path / NOTEBOOK.name
    copy.write_bytes(NOTEBOOK.read_bytes())
    monkeypatch.setenv("STYLE_NOTEBOOK_SIZE", "48")
    monkeypatch.setenv("STYLE_NOTEBOOK_ITERATIONS", "1")
    # The notebook finds style_transfer.py one folder up from its own; this copy has none.
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    notebook = nbformat.read(copy, as_version=4)
    lesson_notebook.execute(notebook, tmp_path, timeout=120)  # raises if any cell fails
    nbformat.write(notebook, copy)  # to look at, should it ever surprise
    loop = [cell for cell in notebook.cells if "optimize_continuous(evaluator" in cell.source]
    assert len(loop) == 2
    for cell in loop:
        text = "".join(output.get("text", "") for output in cell.outputs)
        assert "Iteration 1/1: loss" in text
