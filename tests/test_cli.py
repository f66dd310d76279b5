"""cli.py: the error contract of `main()` and the shape of the app."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import write_embeddings

from fmtwist_cli.cli.app import main
from fmtwist_cli.groups import clustering

INTERNAL = "error: internal error: RuntimeError: the solver broke here (set FMTWIST_DEBUG=1 for the traceback)\n"


def broken_run(*args, **kwargs):
    raise RuntimeError("the solver broke\n  here")


def test_an_unforeseen_exception_is_one_line(run, tmp_path, monkeypatch):
    write_embeddings(tmp_path)
    monkeypatch.delenv("FMTWIST_DEBUG", raising=False)
    monkeypatch.setattr(clustering, "run", broken_run)
    code, out, err = run("cluster", "-a", tmp_path, "--k", "2")
    assert (code, out, err) == (1, "", INTERNAL)
    assert not list(tmp_path.glob("clusters-*.npz"))


def test_fmtwist_debug_shows_the_traceback(tmp_path, monkeypatch):
    write_embeddings(tmp_path)
    monkeypatch.setenv("FMTWIST_DEBUG", "1")
    monkeypatch.setattr(clustering, "run", broken_run)
    with pytest.raises(RuntimeError, match="the solver broke"):
        main(["cluster", "-a", str(tmp_path), "--k", "2"])


@pytest.mark.slow  # a fresh Python process
def test_an_unforeseen_exception_in_a_real_process(tmp_path):
    write_embeddings(tmp_path)
    code = (
        "import sys\n"
        "from fmtwist_cli.groups import clustering\n"
        "def broken(*a, **k):\n"
        "    raise RuntimeError('the solver broke\\n  here')\n"
        "clustering.run = broken\n"
        "from fmtwist_cli.cli.app import main\n"
        f"sys.exit(main(['cluster', '-a', {str(tmp_path)!r}, '--k', '2']))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "FMTWIST_DEBUG"}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=Path(__file__).resolve().parents[1]
    )
    assert (done.returncode, done.stdout, done.stderr) == (1, "", INTERNAL)


def test_help_lists_commands_in_pipeline_order(run):
    code, out, _ = run("--help")
    assert code == 0
    names = ["prepare", "train", "export", "embed", "cluster", "reduce", "inspect", "plot", "report"]
    rows = [line.split()[1] for line in out.splitlines() if line.startswith("│ ") and len(line.split()) > 1]
    listed = [name for name in rows if name in names]
    assert listed == names
