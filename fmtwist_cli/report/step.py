"""The report step (``fmtwist report``, ``Workspace.report``): the evidence measured once, index.html and report.md."""

from __future__ import annotations

import os
from pathlib import Path

from fmtwist_cli import artifacts
from fmtwist_cli import report as reporting
from fmtwist_cli.artifacts.layout import Layout
from fmtwist_cli.report import render
from fmtwist_cli.result import Log, Progress, Result, quiet, to_stderr


def report(
    folder: str | os.PathLike = "artifacts",
    *,
    answer_key: str | os.PathLike | None = None,
    reference: str | os.PathLike | None = None,
    embeddings: str | os.PathLike | None = None,
    out: str | os.PathLike | None = None,
    seed: int | None = None,
    progress: Progress = quiet,
    log: Log = to_stderr,
) -> Result:
    """Write the report: what is each mystery class made of? FOLDER/report/index.html and report.md.

    Gathers the data, the models (test accuracy through onnxruntime, learning curves), the maps, the
    clusters and, for each class, typical, borderline and sub-group images; then guesses each class's
    categories with the reference classifier and scores the guess when given the ``answer_key``
    (twist.json). ``reference``: the reference classifier (default: the folder's
    model-custom-original.onnx, else any model-*-original.onnx). ``out``: the report folder (default:
    FOLDER/report). A missing piece is named with the command that makes it. The stages are logged (no
    progress bar). Returns index.html as ``path`` and ``page``, so a notebook shows the report inline (its
    figures and style sheet are inside the page); ``summary`` is what ``fmtwist report --json`` prints.

        ws.report(answer_key="artifacts/twist.json").summary["categories_right"]
    """
    out_dir = Path(out) if out is not None else Layout(folder).report_dir
    artifacts.check_writable(out_dir / "index.html", out_dir / "report.md", out_dir / "figures" / "figure.png")
    inputs = reporting.load_inputs(Path(folder), *(_path(p) for p in (answer_key, reference, embeddings)))
    built = reporting.build(inputs, seed=seed if seed is not None else 0, log=log)
    written = reporting.write(built, out_dir)
    summary = {"written": written, **built.summary}
    paths = render.files(built, out_dir)
    return Result(paths[0], summary, artifact=built, page=paths[0], paths=paths)


def _path(path: str | os.PathLike | None) -> Path | None:
    return Path(path) if path is not None else None
