"""Start-up stays light: `import fmtwist_cli` and `fmtwist --help` load only what they use (issue 17).

Each check runs in a fresh Python process, so nothing another test imported counts. How fast it is lives in
bench/bench_startup.py, not here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from fmtwist_cli.cli.app import COMMANDS

HEAVY = ("tensorflow", "keras", "tf2onnx", "onnxruntime", "sklearn", "matplotlib", "umap", "numba")


def loaded_after(code: str, env: dict | None = None) -> dict:
    """Run ``code`` in a fresh interpreter; return {"modules": every module it imported, "out": what it printed}."""
    probe = (
        "import contextlib, io, json, sys\n"
        "out = io.StringIO()\n"
        f"with contextlib.redirect_stdout(out):\n    exec({code!r})\n"
        "print(json.dumps({'modules': sorted(sys.modules), 'out': out.getvalue()}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, env={**os.environ, **(env or {})}
    )
    return json.loads(done.stdout)


def command_modules(modules: list[str]) -> list[str]:
    return [m for m in modules if m.startswith("fmtwist_cli.cli.") and m.split(".")[2] in COMMANDS]


def test_import_fmtwist_cli_loads_no_heavy_library():
    modules = loaded_after("import fmtwist_cli\nfmtwist_cli.Workspace('artifacts')")["modules"]
    assert [m for m in HEAVY + ("numpy", "typer", "rich") if m in modules] == []


def test_help_imports_no_command_and_no_numpy():
    modules = loaded_after("from fmtwist_cli.cli.app import main\nassert main(['--help']) == 0")["modules"]
    assert [m for m in HEAVY + ("numpy",) if m in modules] == []
    assert command_modules(modules) == []


def test_help_leaves_the_deferred_rich_modules_to_whoever_needs_them():
    """--help loads typer.rich_utils without rich.markdown and rich.traceback; imported later, they are real."""
    code = (
        "import sys\n"
        "from fmtwist_cli.cli.app import main\n"
        "assert main(['--help']) == 0\n"
        "assert 'rich.markdown' not in sys.modules and 'rich.traceback' not in sys.modules\n"
        "from typer import rich_utils\n"
        "from rich.markdown import Markdown\n"
        "assert isinstance(rich_utils._make_rich_text(text='*x*', markup_mode='markdown'), Markdown)\n"
    )
    loaded_after(code)


def test_help_shows_completion():
    out = loaded_after("from fmtwist_cli.cli.app import main\nmain(['--help'])", {"COLUMNS": "120"})["out"]
    assert "--install-completion" in out and "--show-completion" in out


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_completion_lists_the_commands_without_importing_them(shell):
    words = {"bash": {"COMP_WORDS": "fmtwist ", "COMP_CWORD": "1"}, "zsh": {"_TYPER_COMPLETE_ARGS": "fmtwist "}}
    code = "from fmtwist_cli.cli.app import main\nmain([])"
    found = loaded_after(code, {"_FMTWIST_COMPLETE": f"complete_{shell}", **words[shell]})
    listed = [word for word in COMMANDS if word in found["out"]]
    assert listed == list(COMMANDS)
    assert command_modules(found["modules"]) == []
    assert [m for m in ("numpy", "pydantic") if m in found["modules"]] == []  # Typer's coercion: 0.2 s


def test_completion_of_an_option_loads_its_command():
    code = "from fmtwist_cli.cli.app import main\nmain([])"
    env = {"_FMTWIST_COMPLETE": "complete_bash", "COMP_WORDS": "fmtwist cluster --method ", "COMP_CWORD": "3"}
    assert {"dbscan", "kmeans"} <= set(loaded_after(code, env)["out"].split())
