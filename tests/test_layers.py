"""The house: the lesson imports nothing of ours, the package has no cycles and no layer imports
one above it, and --help answers before TensorFlow loads. Read from the files' imports (ast),
and from what a fresh interpreter has loaded; no TensorFlow in this process."""
import ast
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import CONTENT, ROOT, STYLE

pytestmark = pytest.mark.lesson

PACKAGE = ROOT / "painter"
LESSON = ROOT / "style_transfer.py"
LAUNCHERS = [ROOT / name for name in ("style_video.py", "style_batch.py", "studio.py")]
PROGRAMS = {"painter.still", "painter.batch", "painter.video", "painter.studio"}


def module_name(path):
    path = Path(path)
    return f"painter.{path.stem}" if path.parent == PACKAGE else path.stem


def modules():
    """{module name: its path}: the lesson, the launchers and every file of the package."""
    paths = [LESSON, *LAUNCHERS, *sorted(PACKAGE.glob("*.py"))]
    return {module_name(path): path for path in paths if path.name != "__init__.py"}


def imports(path, inside_main=True):
    """The modules a file imports, anywhere in it (functions too); `inside_main` False leaves
    out its `if __name__ == "__main__":` block."""
    tree = ast.parse(Path(path).read_text())
    found = set()

    def visit(node):
        if (not inside_main and isinstance(node, ast.If)
                and "__main__" in ast.unparse(node.test)):
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            # from painter import files: the module painter.files
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def ours(names):
    """Of `names`, the project's own modules."""
    known = set(modules())
    return {name for name in names if name in known}


def graph():
    """{module: the project's modules it imports}. A runnable file's `__main__` block runs as
    the module __main__, which nothing imports: the lesson's hand-off is not the lesson's."""
    return {name: ours(imports(path, inside_main=path != LESSON)) - {name}
            for name, path in modules().items()}


def test_the_lesson_imports_nothing_of_ours_outside_its_hand_off():
    assert ours(imports(LESSON, inside_main=False)) == set()
    assert not {name for name in imports(LESSON, inside_main=False)
                if name == "painter" or name.startswith("painter.")}
    # ... and its hand-off is the package's command line, by name.
    assert "painter.still" in imports(LESSON)


def test_no_two_modules_import_each_other_even_through_others():
    edges = graph()
    cycles = []

    def walk(name, path):
        for other in sorted(edges[name]):
            if other in path:
                cycles.append(path[path.index(other):] + [other])
            elif len(path) < len(edges):
                walk(other, path + [other])

    for name in sorted(edges):
        walk(name, [name])
    assert not cycles, f"import cycles: {cycles[:3]}"


def test_nothing_imports_a_program_but_its_launcher():
    """A program's module (its options and main) is the top: no other module imports it."""
    for name, imported in graph().items():
        if name in ("style_transfer", "style_video", "style_batch", "studio"):
            continue  # the launchers hand over to their program
        assert not imported & PROGRAMS, f"{name} imports the program {imported & PROGRAMS}"


def test_only_the_studio_imports_gradio_and_nothing_below_it_imports_the_studio():
    for name, path in modules().items():
        names = imports(path)
        studio_part = name.startswith("painter.studio")
        if any(n == "gradio" or n.startswith("gradio.") for n in names):
            assert studio_part, f"{name} imports Gradio"
        if not studio_part and name != "studio":
            assert not {n for n in names if n.startswith("painter.studio")}, \
                f"{name} imports the studio"


def test_the_start_up_module_imports_only_the_standard_library():
    for name in imports(PACKAGE / "startup.py"):
        assert name.split(".")[0] in sys.stdlib_module_names, name


def test_every_file_says_in_one_line_what_it_holds_and_none_is_too_long():
    for name, path in modules().items():
        text = path.read_text()
        docstring = ast.get_docstring(ast.parse(text))
        assert docstring, f"{path.name} has no docstring"
        first = docstring.splitlines()[0]
        assert first.endswith((".", ":")), f"{path.name}: {first!r}"
        assert all(len(line) <= 100 for line in text.splitlines()), f"{path.name}: a long line"
        lines = len(text.splitlines())
        if path == LESSON:
            assert lines <= 600, f"the lesson is {lines} lines"
        elif path.parent == PACKAGE:
            assert lines <= 450, f"{path.name} is {lines} lines"


@pytest.mark.parametrize("program, argv", [
    ("painter.still", ["--help"]),
    ("painter.still", [CONTENT, STYLE, "--size", "20"]),
    ("painter.batch", ["--help"]),
    ("painter.batch", [CONTENT, "--styles", STYLE, "--scales", "64", "32"]),
    ("painter.video", ["--help"]),
    ("painter.video", [CONTENT, STYLE, "--chunk", "4"]),
    ("painter.studio", ["--help"]),
])
def test_help_and_usage_errors_answer_before_tensorflow_loads(program, argv):
    """In a fresh interpreter, as a user's run starts: the options are parsed (and refused, or
    --help printed) with neither TensorFlow nor Dask nor Gradio loaded."""
    code = (f"import sys\nimport {program} as program\n"
            f"try:\n    program.parse_args({argv!r})\nexcept SystemExit as exit_:\n"
            "    status = exit_.code\n"
            "heavy = [m for m in ('tensorflow', 'tf_keras', 'distributed', 'gradio', 'cv2')\n"
            "         if m in sys.modules]\n"
            "print('STATUS', status, 'HEAVY', ','.join(heavy), file=sys.stderr)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=60)
    last = done.stderr.strip().splitlines()[-1]
    assert last.split(" HEAVY") == [f"STATUS {2 if '--help' not in argv else 0}", ""], \
        done.stderr


def test_the_options_defaults_are_the_lessons_numbers():
    """painter/numbers.py mirrors the lesson's numbers for what answers before TensorFlow
    loads; the lesson itself is read here with ast, so that the two cannot drift."""
    from painter import numbers
    tree = ast.parse(LESSON.read_text())
    lesson = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 \
                and isinstance(node.targets[0], ast.Name) and node.targets[0].id.isupper():
            try:
                lesson[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                pass  # numpy arrays: not the command line's business
    mirrored = {name: getattr(numbers, name) for name in dir(numbers) if name.isupper()}
    shared = set(mirrored) & set(lesson)
    assert shared >= {"CONTENT_WEIGHT", "STYLE_WEIGHT", "TV_WEIGHT", "ITERATIONS",
                      "EVALS_PER_ITERATION", "SIZE", "CONTENT_LAYER", "STYLE_LAYERS",
                      "VGG16_LAYERS"}
    for name in shared:
        assert mirrored[name] == lesson[name], name
    # ... and the parser shows them: a plain command line's settings are the lesson's.
    from painter import still
    settings = still.parse_args([CONTENT, STYLE])
    assert settings.loss["content_weight"] == lesson["CONTENT_WEIGHT"]
    assert settings.loss["style_weight"] == lesson["STYLE_WEIGHT"]
    assert settings.loss["tv_weight"] == lesson["TV_WEIGHT"]
    assert settings.loss["content_layer"] == lesson["CONTENT_LAYER"]
    assert settings.loss["style_layers"] == lesson["STYLE_LAYERS"]
    assert settings.paint.sizes == (lesson["SIZE"],)
    assert settings.paint.iterations == (lesson["ITERATIONS"],)
