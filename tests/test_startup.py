"""Start-up stays light: `import fmtwist_cli` and `fmtwist --help` load only what they use (issue 17).

Each check runs in a fresh Python process, so nothing another test imported counts. How fast it is lives in
bench/bench_startup.py, not here.
"""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys

import pytest

from fmtwist_cli.cli.commands import COMMANDS

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


# --------------------------------------------------------------------------
# `fmtwist --help` drawn without Typer (cli/listing.py): the same page as Typer's


TYPER_HELP = [sys.executable, "-c", "from fmtwist_cli.cli.app import app; app(['--help'], prog_name='fmtwist')"]
OUR_HELP = [sys.executable, "-c", "import sys; from fmtwist_cli.cli.listing import main; sys.exit(main(['--help']))"]
SGR = re.compile(r"\x1b\[[0-9;]*m")
SETTINGS = ("COLUMNS", "NO_COLOR", "FORCE_COLOR", "TERMINAL_WIDTH", "TERM", "PY_COLORS", "GITHUB_ACTIONS")


def shown(cmd: list[str], columns: int, terminal: bool, env: dict | None = None) -> str:
    """What ``cmd`` prints ``columns`` wide, to a pipe or (``terminal``) to a pseudo-terminal."""
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS} | {"COLUMNS": str(columns)} | (env or {})
    if not terminal:
        return subprocess.run(cmd, capture_output=True, text=True, env=env, check=True).stdout
    leader, follower = pty.openpty()
    process = subprocess.Popen(cmd, stdin=follower, stdout=follower, stderr=follower, env=env | {"TERM": "xterm"})
    os.close(follower)
    out = b""
    while True:
        try:
            chunk = os.read(leader, 1 << 16)
        except OSError:  # the child closed its end
            break
        if not chunk:
            break
        out += chunk
    os.close(leader)
    assert process.wait() == 0
    return out.decode().replace("\r\n", "\n")


@pytest.mark.parametrize("columns", [60, 79, 100, 137, 220])
@pytest.mark.parametrize("terminal", [False, True], ids=["pipe", "terminal"])
def test_help_drawn_without_typer_is_typers_page(columns, terminal):
    """Character for character the page Typer draws (its colours aside: ours are Rich's SGR codes, not its exact
    runs of them), at widths where the help texts wrap differently."""
    ours, typers = shown(OUR_HELP, columns, terminal), shown(TYPER_HELP, columns, terminal)
    assert ("\x1b[" in ours) == terminal == ("\x1b[" in typers)
    assert SGR.sub("", ours) == SGR.sub("", typers)
    assert "--install-completion" in ours and all(name in ours for name in COMMANDS)


def help_modules(env: dict) -> tuple[str, list[str]]:
    """The page the console script prints for `fmtwist --help` to a pipe, and the modules it imported."""
    code = (
        "import sys\nfrom fmtwist_cli.cli.listing import main\nmain(['--help'])\nprint(*sys.modules, file=sys.stderr)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, **env})
    assert done.returncode == 0
    return done.stdout, done.stderr.split()


def test_help_drawn_without_typer_imports_no_typer():
    page, modules = help_modules({"COLUMNS": "90"})
    assert [m for m in ("typer", "rich", "numpy", "fmtwist_cli.cli.app") if m in modules] == []
    assert "Commands" in page


@pytest.mark.parametrize("env", [{"NO_COLOR": "1"}, {"TERMINAL_WIDTH": "70"}, {"COLUMNS": "50"}])
def test_help_where_rich_draws_otherwise_is_typers(env):
    """Settings that change how Rich draws (and widths below listing.NARROWEST) leave the page to Typer."""
    page, modules = help_modules(env)
    assert "typer" in modules and "Commands" in page
