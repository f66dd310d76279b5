"""Help and docs stay in step with the commands."""

import inspect
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fmtwist_cli.cli import app

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()
REFERENCE = (ROOT / "docs" / "commands.md").read_text()  # every command's reference
API = (ROOT / "docs" / "python-api.md").read_text()
COMMANDS = list(app.COMMANDS)
LOADED = {name: app.load(name) for name in COMMANDS}  # each command as it runs, its module imported
SUBCOMMANDS = [f"{name} {sub}" for name in app.SUB_APPS for sub in LOADED[name].commands]
# the modules of fmtwist_cli/cli that hold no command
NOT_COMMANDS = {"__init__", "app", "commands", "listing", "options", "ui"}


def test_all_pipeline_commands_registered():
    for name in ("prepare", "train", "export", "embed", "cluster", "reduce", "inspect", "plot", "report"):
        assert name in COMMANDS
    modules = {path.stem for path in Path(app.__file__).parent.glob("*.py")} - NOT_COMMANDS
    assert set(COMMANDS) == modules  # every command module is listed


@pytest.mark.parametrize("name", COMMANDS)
def test_listed_help_is_the_commands_own(name):
    """`fmtwist --help` lists app.COMMANDS without importing the commands: each line must be the first paragraph
    of the command's own help (its docstring), as Typer would list it."""
    command = LOADED[name]
    assert command.name == name
    assert app.COMMANDS[name] == inspect.cleandoc(command.short_help or command.help).split("\n\n")[0].strip()


@pytest.mark.parametrize("name", COMMANDS + SUBCOMMANDS)
def test_command_documented(name, run):
    code, stdout, _ = run(*name.split(), "--help")
    assert code == 0
    assert f"fmtwist {name}" in REFERENCE
    assert "Example" in stdout


def test_help_lists_every_command(run):
    code, stdout, _ = run("--help")
    assert code == 0
    for name in COMMANDS:
        assert name in stdout


def test_help_imports_nothing_heavy():
    code = (
        "import sys\n"
        "from fmtwist_cli.cli.app import main\n"
        "rc = main(['--help'])\n"
        "heavy = [m for m in ('tensorflow', 'keras', 'tf2onnx', 'onnxruntime', "
        "'umap', 'matplotlib', 'sklearn', 'numba') if m in sys.modules]\n"
        "assert rc == 0 and not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)


def test_readme_documents_completion(run):
    code, stdout, _ = run("--help")
    assert code == 0 and "--install-completion" in stdout
    assert "fmtwist --install-completion" in README


def test_readme_names_the_two_commands():
    assert "make demo" in README and "make test" in README


def _demo_commands(tmp_path, *variables):
    """The fmtwist commands `make pipeline` would run into an empty folder (a dry run: nothing is made), each with
    its words one space apart (an empty variable leaves two)."""
    root = Path(__file__).parent.parent
    out = subprocess.run(
        ["make", "-n", "-C", str(root), "pipeline", f"ART={tmp_path}", "FMTWIST=fmtwist", *variables],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [" ".join(line.split()) for line in out.splitlines() if line.startswith("fmtwist ")]


def _maps(commands):
    return [c.split("--method ")[1].split()[0] for c in commands if c.startswith("fmtwist reduce")]


@pytest.mark.skipif(not shutil.which("make"), reason="no make")
def test_demo_runs_what_the_readme_says(tmp_path):
    commands = _demo_commands(tmp_path)
    assert "fmtwist train --arch fast --epochs 8 --seed 0" in commands
    assert "fmtwist train --arch default --labels original --epochs 1 --seed 0" in commands
    assert _maps(commands) == ["tsne", "pca"]
    readme = " ".join(REFERENCE.split())
    for variables in ("(`ARCH=fast EPOCHS=8`", "(`REF_ARCH=default REF_EPOCHS=1`", '(`MAPS="tsne pca"`)'):
        assert variables in readme


@pytest.mark.skipif(not shutil.which("make"), reason="no make")
def test_demo_variables(tmp_path):
    notebook = _demo_commands(tmp_path, "ARCH=custom", "EPOCHS=15")
    assert "fmtwist train --arch custom --epochs 15 --seed 0" in notebook
    full = _demo_commands(tmp_path, "EPOCHS=", "REF_EPOCHS=", "MAPS=tsne umap pca")
    assert "fmtwist train --arch fast --seed 0" in full
    assert "fmtwist train --arch default --labels original --seed 0" in full
    assert _maps(full) == ["tsne", "umap", "pca"]


def _api_methods():
    from fmtwist_cli import workspace

    every = {name: workspace.step_function(*where) for name, where in workspace.STEPS.items()}
    every.update({f"plot.{kind}": workspace.step_function(*where) for kind, where in workspace.PLOTS.items()})
    return every


@pytest.mark.parametrize("name", sorted(_api_methods()))
def test_every_api_method_is_documented_with_its_options(name):
    """docs/python-api.md names every Workspace method and each of its options."""
    function = _api_methods()[name]
    assert function.__doc__, f"{name} has no docstring (help(ws.{name}) would be empty)"
    section = API.split(f"## `ws.{name}()`", 1)
    assert len(section) == 2, f"docs/python-api.md has no section for ws.{name}()"
    body = section[1].split("\n## ", 1)[0]
    for option in list(inspect.signature(function).parameters)[1:]:
        if option not in ("progress", "log"):
            assert f"`{option}`" in body, f"ws.{name}(): option {option} is not in docs/python-api.md"


def test_every_command_has_its_api_twin():
    """Each command (and plot kind) is a Workspace method of the same name, taking the same options."""
    from fmtwist_cli import workspace

    for name in COMMANDS:
        if name in ("grade", "info"):
            continue
        if name in app.SUB_APPS:
            assert set(LOADED[name].commands) == set(workspace.PLOTS)
        else:
            assert name in workspace.STEPS, name
    assert "## `grade()`" in API and "## `info()`" in API


def _readme_python():
    return README.split("```python\n", 1)[1].split("```", 1)[0]


@pytest.mark.slow
@pytest.mark.realdata
def test_the_readme_python_example_runs(tmp_path):
    """The README's Python example, on the real data, with its training cut short (the only change: epochs and
    a limit of images, so that it runs in about a minute)."""
    code = _readme_python().replace('Workspace("artifacts")', f"Workspace({str(tmp_path)!r}, progress=False)")
    code = code.replace('"artifacts/twist.json"', repr(str(tmp_path / "twist.json")))
    code = code.replace("epochs=8, seed=0)", "epochs=1, limit=3000, seed=0)")
    code = code.replace("epochs=2, seed=0)", "epochs=1, limit=3000, seed=0)")
    code = code.replace('ws.reduce(method="tsne", seed=0)', 'ws.reduce(method="pca", seed=0)')
    code = code.replace("ws.report(answer_key=", "ws.report(embeddings=None, answer_key=")
    assert code.count(str(tmp_path)) == 3 and code.count("limit=3000") == 2
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    right = int(done.stdout.split()[-1])
    assert 0 <= right <= 10
    assert (tmp_path / "report" / "index.html").is_file() and (tmp_path / "clusters-dbscan.npz").is_file()
