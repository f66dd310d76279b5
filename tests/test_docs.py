"""Help and docs stay in step with the commands."""

import subprocess
import sys
from pathlib import Path

import pytest

from fmtwist_cli.cli import app

README = (Path(__file__).parent.parent / "README.md").read_text()
GROUPS = {group.name or group.typer_instance.info.name: group.typer_instance for group in app.registered_groups}
COMMANDS = [cmd.callback.__name__ for cmd in app.registered_commands] + list(GROUPS)
SUBCOMMANDS = [f"{name} {cmd.callback.__name__}" for name, sub in GROUPS.items() for cmd in sub.registered_commands]


def test_all_pipeline_commands_registered():
    for name in ("prepare", "train", "export", "embed", "cluster", "reduce", "inspect", "plot", "report"):
        assert name in COMMANDS


@pytest.mark.parametrize("name", COMMANDS + SUBCOMMANDS)
def test_command_documented(name, run):
    code, stdout, _ = run(*name.split(), "--help")
    assert code == 0
    assert f"fmtwist {name}" in README
    assert "Example" in stdout


def test_help_lists_every_command(run):
    code, stdout, _ = run("--help")
    assert code == 0
    for name in COMMANDS:
        assert name in stdout


def test_help_imports_nothing_heavy():
    code = (
        "import sys\n"
        "from fmtwist_cli.cli import main\n"
        "rc = main(['--help'])\n"
        "heavy = [m for m in ('tensorflow', 'keras', 'tf2onnx', 'onnxruntime', "
        "'umap', 'matplotlib', 'sklearn', 'numba') if m in sys.modules]\n"
        "assert rc == 0 and not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)


def test_readme_names_the_two_commands():
    assert "make demo" in README and "make test" in README
