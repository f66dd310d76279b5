"""The inspect step (``fmtwist inspect``, ``Workspace.inspect``): a cluster's or a class's images, as a grid.

The command draws the selection in the terminal; a notebook shows :attr:`Result.figure`, the same images as a
captioned grid (the figure ``png`` is written from).
"""

from __future__ import annotations

import os
from pathlib import Path

from fmtwist_cli import artifacts
from fmtwist_cli.artifacts.layout import Layout
from fmtwist_cli.params import choice
from fmtwist_cli.result import Log, Progress, Result, quiet, to_stderr
from fmtwist_cli.views import figures, grids, images
from fmtwist_cli.views.images import MAX_PER_ROW, Pick, Selection

PathLike = str | os.PathLike


class SelectionResult(Result):
    """A selection's Result, its figure drawn when first asked for: the terminal never shows it, and matplotlib
    takes a second to load."""

    def __init__(self, *args, per_row: int, **kwargs) -> None:
        self._per_row = per_row
        super().__init__(*args, **kwargs)

    @property
    def figure(self):
        if self._figure is None:
            self._figure = selection_figure(self.artifact, self._per_row)
        return self._figure

    @figure.setter
    def figure(self, value) -> None:
        self._figure = value


def selection_figure(sel: Selection, per_row: int = MAX_PER_ROW, dpi: int = 100):
    """The selection as a grid of ``per_row`` images a row, each under its caption (red where mispredicted)."""
    return grids.grid_figure(
        grids.wrap(sel.images, per_row), sel.title, captions=sel.captions, wrong=sel.wrong, dpi=dpi
    )


def inspect(
    folder: PathLike = "artifacts",
    *,
    cluster: int | None = None,
    label: int | None = None,
    pick: Pick | str = Pick.random,
    n: int = 10,
    seed: int | None = None,
    png: PathLike | None = None,
    clusters: PathLike | None = None,
    embeddings: PathLike | None = None,
    data: PathLike | None = None,
    per_row: int | None = None,
    progress: Progress = quiet,
    log: Log = to_stderr,
) -> Result:
    """Pick images of a cluster (``cluster``), a mystery class (``label``), both, or the noise (``pick="noise"``).

    ``pick``: random; central: nearest the centre; border: least sure of their group; noise: left out by
    DBSCAN/HDBSCAN. ``png``: also write the captioned grid there (.png, .svg or .pdf). ``per_row``: images a
    row of the grid (default and at most 10). Returns the selection as ``.artifact`` and the grid as
    ``.figure``; ``summary`` is what ``fmtwist inspect --json`` prints.

        ws.inspect(cluster=3, pick="border")
    """
    pick = choice(Pick, pick, "pick")
    layout = Layout(folder)
    png = Path(png) if png is not None else None
    if png is not None:
        figures.figure_format(png)
    emb_path = Path(embeddings) if embeddings is not None else layout.embeddings
    needs_embeddings = cluster is not None or pick is not Pick.random or embeddings is not None
    data_art = artifacts.load(Path(data) if data is not None else layout.data, "data")
    emb_art = artifacts.load(emb_path, "embeddings") if needs_embeddings or emb_path.exists() else None
    if emb_art is None:
        log(f"note: no {emb_path} yet: showing the test split of data.npz")
    clu_art = None
    if cluster is not None or pick is Pick.noise or clusters is not None:
        clu_art = artifacts.load(Path(clusters) if clusters is not None else layout.default_clusters(), "clusters")
    sel = images.select(images.collect(data_art, emb_art, clu_art), cluster, label, pick, n, seed)
    per_row = min(max(1, per_row), MAX_PER_ROW) if per_row is not None else MAX_PER_ROW
    summary = {
        "title": sel.title,
        "members": sel.total,
        "pick": pick.value,
        "shown": sel.items,
        "png": str(png) if png else None,
    }
    result = SelectionResult(png, summary, artifact=sel, paths=[png] if png else [], per_row=per_row)
    if png is not None:
        figures.save_figure(result.figure, png)
    return result
