"""The prepare step (``fmtwist prepare``, ``Workspace.prepare``): a source and a twist give data.npz and twist.json."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from fmtwist_cli import artifacts
from fmtwist_cli.artifacts.layout import Layout
from fmtwist_cli.data import dataset, sources
from fmtwist_cli.data import twist as twists
from fmtwist_cli.result import Log, Progress, Result, quiet, to_stderr


def prepare(
    folder: str | os.PathLike = "artifacts",
    *,
    source: str | os.PathLike | None = None,
    twist: str | os.PathLike = "seed",
    seed: int | None = None,
    classes: int | None = None,
    export_csv: str | os.PathLike | None = None,
    progress: Progress = quiet,
    log: Log = to_stderr,
) -> Result:
    """Build the twisted dataset: FOLDER/data.npz and the answer key FOLDER/twist.json.

    ``source``: a folder of IDX or CSV files, or an .npz (default: $FMTWIST_DATA, Debian's package, Keras'
    cache, else a download). ``twist``: "seed" (the notebook's puzzle), "none", "random" (with ``seed``;
    ``classes`` mystery classes, default 5) or a JSON mapping file. ``export_csv``: also write the course's
    CSV layout into this folder. Returns the data artifact; ``summary`` is what ``fmtwist prepare --json``
    prints, its ``train`` and ``test`` the images per mystery class.

        ws.prepare(twist="random", seed=1)
    """
    source = Path(source) if source is not None else None
    export_csv = Path(export_csv) if export_csv is not None else None
    raw = sources.load_source(source, progress=progress)
    spec = twists.parse_twist(str(twist), seed, classes) if raw.original else None
    if not raw.original and str(twist) != "seed":
        log("note: CSV files carry mystery labels already; --twist is ignored")
    prepared = dataset.build(raw, spec, seed)
    files = Layout(folder)
    data_path, key_path = files.data, files.answer_key
    csv_paths = [export_csv / name for name in sources.CSV_FILES] if export_csv is not None else []
    artifacts.check_writable(data_path, key_path, *csv_paths)  # all before any: a bad one changes nothing
    dataset.save(prepared, data_path, key_path)
    written = [data_path] + ([key_path] if prepared.answer_key else [])
    if export_csv is not None:
        written += sources.export_csv(export_csv, prepared.data.arrays)
    counts = dataset.balance(prepared.data)
    y_test = prepared.data["y_test"]
    summary: dict[str, Any] = {
        "source": raw.description,
        "twist": prepared.data.meta["twist"],
        "n_classes": prepared.data.meta["n_classes"],
        "train": counts["train"],
        "test": counts["test"],
        "first_test_labels": y_test[:5].tolist(),
        "last_test_labels": y_test[-5:].tolist(),
        "written": [str(p) for p in written],
    }
    return Result(data_path, summary, artifact=prepared.data, paths=written)
