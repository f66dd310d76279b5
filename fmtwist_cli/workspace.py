"""fmtwist from Python: a :class:`Workspace` is the artifacts folder, with one method per command.

    from fmtwist_cli import Workspace

    ws = Workspace("artifacts")
    ws.prepare()
    ws.train(arch="fast", epochs=8, seed=0)
    ws.export()
    ws.embed()
    ws.cluster(method="dbscan", eps=45, min_samples=15)
    ws.reduce(method="tsne", seed=0)
    ws.plot.scatter(by="cluster", clusters="artifacts/clusters-dbscan.npz")
    ws.explore()

Each method takes its command's options as keyword arguments (dashes as underscores), with the same
defaults and the same checks, writes the same files, and returns a :class:`~fmtwist_cli.result.Result`
whose ``.summary`` is what the command's ``--json`` prints. A step's module is imported when the
method is first looked up, so ``import fmtwist_cli`` stays light.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import os
from pathlib import Path
from typing import Any

# method name -> (module, function): the library call under each command
STEPS = {
    "prepare": ("fmtwist_cli.data.step", "prepare"),
    "train": ("fmtwist_cli.network.step", "train"),
    "export": ("fmtwist_cli.network.step", "export"),
    "embed": ("fmtwist_cli.encode.step", "embed"),
    "cluster": ("fmtwist_cli.groups.step", "cluster"),
    "reduce": ("fmtwist_cli.maps.step", "reduce"),
    "inspect": ("fmtwist_cli.views.step", "inspect"),
    "report": ("fmtwist_cli.report.step", "report"),
    "explore": ("fmtwist_cli.explore.step", "explore"),
}
PLOTS = {kind: ("fmtwist_cli.views.plot_steps", kind) for kind in ("history", "scatter", "kdist", "confusion", "grid")}


def step_function(module: str, name: str):
    return getattr(importlib.import_module(module), name)


class _Step:
    """A workspace method: the step function with the workspace's folder, progress and log filled in.

    Looked up lazily, and with the step's own signature and docstring, so ``help(ws.cluster)`` and a
    notebook's completion list the options."""

    def __init__(self, module: str, name: str) -> None:
        self.module, self.name = module, name

    def __get__(self, ws, owner=None):
        if ws is None:
            return self
        return ws._bind(step_function(self.module, self.name))


class Workspace:
    """The artifacts folder every step reads and writes; one method per command.

    ``progress``: None shows a progress bar in a notebook and nothing elsewhere; False shows nothing;
    or any callable ``progress(done, total, task="", **info)``. ``log``: where notes and warnings go
    (stderr by default, which a notebook shows under the cell)."""

    prepare = _Step(*STEPS["prepare"])
    train = _Step(*STEPS["train"])
    export = _Step(*STEPS["export"])
    embed = _Step(*STEPS["embed"])
    cluster = _Step(*STEPS["cluster"])
    reduce = _Step(*STEPS["reduce"])
    inspect = _Step(*STEPS["inspect"])
    report = _Step(*STEPS["report"])
    explore = _Step(*STEPS["explore"])

    def __init__(self, folder: str | os.PathLike = "artifacts", *, progress=None, log=None) -> None:
        self.folder = Path(folder)
        self._progress, self._log = progress, log
        self.plot = _Plots(self)

    def __repr__(self) -> str:
        return f"Workspace({str(self.folder)!r})"

    def files(self) -> list[Path]:
        """Every file in the folder, by name."""
        return sorted(p for p in self.folder.iterdir() if p.is_file()) if self.folder.is_dir() else []

    def _hooks(self) -> dict[str, Any]:
        from fmtwist_cli.notebook import default_progress
        from fmtwist_cli.result import quiet, to_stderr

        if self._progress is None:
            progress = default_progress()
        else:
            progress = quiet if self._progress is False else self._progress
        return {"progress": progress, "log": self._log or to_stderr}

    def _bind(self, function):
        @functools.wraps(function)
        def call(**options):
            hooks = {k: v for k, v in self._hooks().items() if k not in options}
            return function(self.folder, **hooks, **options)

        params = list(inspect.signature(function).parameters.values())[1:]  # the folder is the workspace's
        call.__signature__ = inspect.Signature(params)
        return call


class _Plots:
    """``ws.plot.KIND(...)``: one figure per method, as ``fmtwist plot KIND``; each returns the Figure too."""

    def __init__(self, ws: Workspace) -> None:
        self._ws = ws

    def __dir__(self):
        return sorted(PLOTS)

    def __getattr__(self, kind: str):
        if kind not in PLOTS:
            raise AttributeError(f"no plot '{kind}': choose one of {', '.join(PLOTS)}")
        return self._ws._bind(step_function(*PLOTS[kind]))


def grade(guess, answer_key, *, folder: str | os.PathLike = "artifacts"):
    """Grade a guess (a guess.json path, or its dict) against an answer key (twist.json path): ``fmtwist grade``."""
    return step_function("fmtwist_cli.puzzle.step", "grade")(folder, guess=guess, answer_key=answer_key)


def info(path: str | os.PathLike):
    """What an artifact is (.npz, .json, .onnx or .keras): its kind, how it was made, what from, its arrays, as
    ``fmtwist info``; ``.summary`` is what ``fmtwist info --json`` prints. Reads the file only: runs nothing in it."""
    from fmtwist_cli.artifacts.info import describe
    from fmtwist_cli.result import Result

    return Result(None, describe(path))
