"""The explore step (``fmtwist explore``, ``Workspace.explore``): every image on the map, in one offline page."""

from __future__ import annotations

import os
from pathlib import Path

from fmtwist_cli import artifacts
from fmtwist_cli import explore as exploring
from fmtwist_cli.artifacts.layout import Layout
from fmtwist_cli.result import Log, Progress, Result, quiet, to_stderr


def explore(
    folder: str | os.PathLike = "artifacts",
    *,
    answer_key: str | os.PathLike | None = None,
    reference: str | os.PathLike | None = None,
    embeddings: str | os.PathLike | None = None,
    out: str | os.PathLike | None = None,
    seed: int | None = None,
    hints: bool = False,
    progress: Progress = quiet,
    log: Log = to_stderr,
) -> Result:
    """Write FOLDER/explore.html: every image on the map, to explore and to solve the puzzle by hand.

    One self-contained page (no server, no network): every map, coloured by mystery class, cluster,
    prediction or category; hover a point to see its image; select with a lasso or a box; name selections
    with the categories and save the guess as guess.json, which :func:`fmtwist_cli.grade` scores.
    ``answer_key``: twist.json, to add each image's true category (spoils the puzzle). ``reference``: the
    reference classifier naming each image's category (default: the folder's model-custom-original.onnx,
    else any model-*-original.onnx). ``embeddings``: default FOLDER/embeddings.npz. ``out``: default
    FOLDER/explore.html. With no map yet, makes the t-SNE map first (with ``seed``; ``progress`` hears it).
    ``hints``: the page opens with the reference classifier's hints shown (its category on the hover card, in the
    counts, as a colouring and beside the guess); by default they stay hidden until the student ticks "Show hints".
    Returns the page as ``path`` and ``page``, so a notebook shows it inline, working; ``summary`` is what
    ``fmtwist explore --json`` prints.

        ws.explore()
    """
    path = Path(out) if out is not None else Layout(folder).explore_page
    artifacts.check_writable(path)  # before the work
    given = (Path(p) if p is not None else None for p in (answer_key, reference, embeddings))
    inp, notes, made = exploring.load(Path(folder), *given, seed, log=log, progress=progress)
    gathered = exploring.gather(inp, log=log, progress=progress)
    summary = {**exploring.write(gathered, path, hints=hints), "notes": notes}
    return Result(path, summary, page=path, paths=[path, *made])
