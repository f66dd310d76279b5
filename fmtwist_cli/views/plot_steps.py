"""The plot steps (``fmtwist plot KIND``, ``Workspace.plot.KIND``): one function per figure, each writing its file.

Every step takes its sub-command's options, checks the figure options before any work, draws, writes
KIND[-SOURCE].png in the artifacts folder (or ``out``) and returns a :class:`~fmtwist_cli.result.Result` with
the Figure; ``summary`` is what ``fmtwist plot KIND --json`` prints: the file, its size in pixels and the
figure's facts.
"""

from __future__ import annotations

import os
from enum import Enum
from pathlib import Path

import numpy as np

from fmtwist_cli import artifacts
from fmtwist_cli.artifacts.layout import Layout
from fmtwist_cli.errors import FmtwistError, ParameterError
from fmtwist_cli.groups import clustering, features, scores
from fmtwist_cli.params import choice
from fmtwist_cli.result import Log, Progress, Result, quiet, to_stderr
from fmtwist_cli.views import charts, curves, figures, grids, images
from fmtwist_cli.views.images import GroupPick

PathLike = str | os.PathLike
# a map is drawn against its embeddings or clustering row by row
SAME_ROWS = "pass the files made from the same embeddings, or run `fmtwist reduce` again"


class By(str, Enum):
    """What colours a map's points, or makes a grid's rows."""

    label = "label"
    cluster = "cluster"
    pred = "pred"


def _table_facts(title: str, rows: list[str], cols: list[str], table: np.ndarray) -> dict:
    return {"table_title": title, "table_rows": rows, "table_columns": cols, "table": table.tolist()}


def _load_clusters(path: PathLike | None, folder: Path, emb: artifacts.Artifact | None = None) -> artifacts.Artifact:
    """The clustering; with ``emb``, refused unless made from those embeddings."""
    clu = artifacts.load(Path(path) if path is not None else Layout(folder).default_clusters(), "clusters")
    if emb is not None:
        hint = "pass the embeddings it was made from (--embeddings), or run `fmtwist cluster` again"
        artifacts.check_made_from(clu, "embeddings", emb.path, hint)
    return clu


def _embeddings(path: PathLike | None, folder: Path) -> artifacts.Artifact:
    return artifacts.load(Path(path) if path is not None else Layout(folder).embeddings, "embeddings")


def history(
    folder: PathLike = "artifacts",
    *,
    history: list[PathLike] | PathLike | None = None,
    out: PathLike | None = None,
    size: str | None = None,
    dpi: int = 100,
    progress: Progress = quiet,
    log: Log = to_stderr,
) -> Result:
    """Learning curves: one model's six panels, or several models compared.

    ``history``: one history-*.json or a list of them (default: every history-*.json in the folder).

        ws.plot.history()
    """
    folder = Path(folder)
    fig_size = figures.check_options(out, size, dpi)
    given = [history] if isinstance(history, (str, os.PathLike)) else history
    paths = [Path(p) for p in given] if given else Layout(folder).histories()
    if not paths:
        raise FmtwistError(f"no history-*.json in {folder} (run `fmtwist train` first)")
    hists = [curves.read_history(p) for p in paths]
    if len(hists) == 1:
        fig = curves.history_figure(hists[0], fig_size or figures.DEFAULT_SIZES["history"], dpi)
        name = f"history-{paths[0].stem.removeprefix('history-')}"
    else:
        fig = curves.comparison_figure(hists, fig_size or figures.DEFAULT_SIZES["comparison"], dpi)
        name = "history-comparison"
    return figures.finish("history", fig, name, {"models": [curves.model_name(h) for h in hists]}, out, folder, dpi)


def scatter(
    folder: PathLike = "artifacts",
    *,
    coords: PathLike | None = None,
    by: By | str = By.label,
    clusters: PathLike | None = None,
    embeddings: PathLike | None = None,
    out: PathLike | None = None,
    size: str | None = None,
    dpi: int = 100,
    progress: Progress = quiet,
    log: Log = to_stderr,
) -> Result:
    """A 2-D map coloured by mystery class (``by="label"``), cluster or predicted class.

    ``coords``: default coords-tsne.npz, else coords-umap.npz, else coords-pca.npz. ``clusters`` (for
    ``by="cluster"``): default clusters-kmeans.npz, else clusters-dbscan.npz, else the first clusters-*.npz.

        ws.plot.scatter(by="cluster", clusters="artifacts/clusters-dbscan.npz")
    """
    folder, by = Path(folder), choice(By, by, "by")
    fig_size = figures.check_options(out, size, dpi)
    coords_art = artifacts.load(Path(coords) if coords is not None else Layout(folder).default_map(), "coords")
    method = charts.method_label(coords_art.meta)
    map_name = Path(coords_art.path).stem.removeprefix("coords-")
    if by is By.cluster:
        clu = _load_clusters(clusters, folder)
        artifacts.check_same_input(
            coords_art, clu, "embeddings", "pass a map and a clustering of the same embeddings (--coords, --clusters)"
        )
        artifacts.check_same_rows(coords_art, clu, "points", SAME_ROWS)
        groups, what, source = clu["labels"], "cluster", images.clusters_name(clu)
        title, name = f"{method} map coloured by {source} cluster", f"scatter-{map_name}-{source}"
    else:
        emb = _embeddings(embeddings, folder)
        hint = "pass the embeddings it was made from (--embeddings), or run `fmtwist reduce` again"
        artifacts.check_made_from(coords_art, "embeddings", emb.path, hint)
        artifacts.check_same_rows(coords_art, emb, "points", SAME_ROWS)
        if by is By.label and "labels" not in emb:
            raise ParameterError(f"{emb.path} carries no mystery labels: use " + "{} pred or {} cluster", "by", "by")
        groups, what = (emb["labels"], "class") if by is By.label else (emb["pred"], "predicted class")
        title = f"{method} map coloured by {'mystery class' if by is By.label else what}"
        name = f"scatter-{map_name}-{by.value}"
    fig = charts.scatter_figure(
        coords_art["coords"], groups, what, title, method, fig_size or figures.DEFAULT_SIZES["scatter"], dpi
    )
    counts = {images.group_name(g, what): int(c) for g, c in zip(*np.unique(groups, return_counts=True))}
    return figures.finish("scatter", fig, name, {"points": coords_art.rows(), "groups": counts}, out, folder, dpi)


def _kdist_features(clu: artifacts.Artifact, k: int | None, scale: bool | None, pca: int | None):
    """What a DBSCAN clustering was made with: its eps, the map it ran on (or None), and its min_samples, scaling
    and PCA where not given."""
    record = clu.record
    eps = record.param("eps", float)
    used = (eps, f"used by {Path(clu.path).name}") if eps is not None else None
    if k is None:
        k = record.param("min_samples", int)
    if scale is None:
        scale = record.feature("scale", bool) is not False
    if pca is None:
        pca = record.feature("pca", int)
    return used, record.feature("coords", str), k, scale, pca


def kdist(
    folder: PathLike = "artifacts",
    *,
    k: int | None = None,
    eps: float | str = "auto",
    clusters: PathLike | None = None,
    scale: bool | None = None,
    pca: int | None = None,
    embeddings: PathLike | None = None,
    seed: int | None = None,
    out: PathLike | None = None,
    size: str | None = None,
    dpi: int = 100,
    progress: Progress = quiet,
    log: Log = to_stderr,
) -> Result:
    """The sorted k-distance curve, its knee and an eps for DBSCAN.

    ``k``: which neighbour, the point itself first (DBSCAN's min_samples; default: the ``clusters`` file's, else
    15). ``eps``: a number to mark, or "auto" (the knee, or a DBSCAN ``clusters`` file's eps). ``scale``/``pca``:
    the features, as ``cluster`` makes them (default: as the ``clusters`` file was made, else scaled, no PCA).

        ws.plot.kdist(k=15, eps=45)
    """
    from fmtwist_cli.groups import dbscan

    folder = Path(folder)
    fig_size = figures.check_options(out, size, dpi)
    chosen = clustering.parse_eps(eps if isinstance(eps, str) else str(eps))
    emb = _embeddings(embeddings, folder)
    used = coords = None
    if clusters is not None:  # draw the curve on the features that clustering used
        used, coords, k, scale, pca = _kdist_features(_load_clusters(clusters, folder, emb), k, scale, pca)
    k, scale = 15 if k is None else k, True if scale is None else scale
    if coords is not None:  # a clustering of a 2-D map: the curve of that map
        x, _ = features.load_features(emb, Path(coords), scale, pca, seed)
        scale = False
    else:
        x = features.prepare_features(emb["embedding"], scale, pca, seed, str(emb.path))
    curve = np.sort(dbscan.kdistances(x, k, progress=lambda done, total: progress(done, total, "k-distances")))
    at = dbscan.knee(curve)
    auto, _ = dbscan.auto_eps(curve, k)
    marked, note = (chosen, "chosen") if chosen != clustering.AUTO else used or (auto, "knee")
    fig = curves.kdist_figure(curve, k, marked, note, at, fig_size or figures.DEFAULT_SIZES["kdist"], dpi)
    facts = {
        "k": k,
        "points": int(curve.size),
        "scale": scale,
        "pca": pca,
        **({"coords": coords} if coords is not None else {}),
        "knee_eps": round(auto, 4),
        "eps": round(marked, 4),
        "eps_from": note,
        "share_beyond_eps": round(float((curve > marked).mean()), 4),
    }
    return figures.finish("kdist", fig, "kdist", facts, out, folder, dpi)


def confusion(
    folder: PathLike = "artifacts",
    *,
    clusters: PathLike | None = None,
    embeddings: PathLike | None = None,
    out: PathLike | None = None,
    size: str | None = None,
    dpi: int = 100,
    progress: Progress = quiet,
    log: Log = to_stderr,
) -> Result:
    """Mystery class x predicted class (or x the ``clusters`` file's clusters): counts and shares of each row.

    ws.plot.confusion(clusters="artifacts/clusters-dbscan.npz")
    """
    folder = Path(folder)
    fig_size = figures.check_options(out, size, dpi) or figures.DEFAULT_SIZES["confusion"]
    emb = _embeddings(embeddings, folder)
    if "labels" not in emb:
        raise FmtwistError(f"{emb.path} carries no mystery labels, so there is no confusion matrix to draw")
    labels = emb["labels"]
    if clusters is not None:
        clu = _load_clusters(clusters, folder, emb)
        artifacts.check_same_rows(clu, emb, "labels", images.CLUSTERS_REMEDY)
        rows, cols, table = scores.crosstab(labels, clu["labels"])
        source = images.clusters_name(clu)
        row_names = [f"class {r}" for r in rows]
        col_names = [images.group_name(c, "cluster") for c in cols]
        title = f"Mystery class × {source} cluster ({len(labels):,} images)"
        fig = charts.confusion_figure(
            table, row_names, col_names, "Mystery class", f"{source} cluster", title, fig_size, dpi
        )
        return figures.finish(
            "confusion", fig, f"confusion-{source}", _table_facts(title, row_names, col_names, table), out, folder, dpi
        )
    every = range(max(int(labels.max()), int(emb["pred"].max())) + 1)
    _, _, table = scores.crosstab(labels, emb["pred"], every, every)
    accuracy = float(np.trace(table) / table.sum())
    names = [f"class {i}" for i in every]
    title = f"Confusion matrix · {len(labels):,} images · accuracy {accuracy:.4f}"
    fig = charts.confusion_figure(table, names, names, "Mystery class (true)", "Predicted class", title, fig_size, dpi)
    facts = {
        "accuracy": round(accuracy, 4),
        **_table_facts("Confusion matrix (rows: true class)", names, [f"pred {i}" for i in every], table),
    }
    return figures.finish("confusion", fig, "confusion", facts, out, folder, dpi)


GRID_TITLES = {"class": "Mystery classes", "predicted": "Predicted classes", "cluster": "{} clusters"}


def grid(
    folder: PathLike = "artifacts",
    *,
    by: By | str = By.label,
    pick: GroupPick | str = GroupPick.random,
    n: int = 10,
    seed: int | None = None,
    clusters: PathLike | None = None,
    embeddings: PathLike | None = None,
    data: PathLike | None = None,
    out: PathLike | None = None,
    size: str | None = None,
    dpi: int = 100,
    progress: Progress = quiet,
    log: Log = to_stderr,
) -> Result:
    """Sample images of every class or cluster, one row each, ``n`` images a row.

    ``pick``: random, central (nearest the group's centre) or border (least sure of their group); the noise
    row is always random. ``clusters`` (for ``by="cluster"``): default as for :func:`scatter`.

        ws.plot.grid(by="cluster", pick="central", n=8)
    """
    folder, by, pick = Path(folder), choice(By, by, "by"), choice(GroupPick, pick, "pick")
    fig_size = figures.check_options(out, size, dpi)
    layout = Layout(folder)
    data_art = artifacts.load(Path(data) if data is not None else layout.data, "data")
    emb_path = Path(embeddings) if embeddings is not None else layout.embeddings
    needs_emb = by is not By.label or pick is not GroupPick.random or embeddings is not None
    emb = artifacts.load(emb_path, "embeddings") if needs_emb or emb_path.exists() else None
    coll = images.collect(data_art, emb, _load_clusters(clusters, folder) if by is By.cluster else None)
    if by is By.label and coll.labels is None:
        raise ParameterError(f"{emb_path} carries no mystery labels: use " + "{} pred or {} cluster", "by", "by")
    groups, what = {
        By.label: (coll.labels, "class"),
        By.pred: (coll.pred, "predicted"),
        By.cluster: (coll.clusters, "cluster"),
    }[by]
    rows = []
    for g in np.unique(groups):
        members = np.flatnonzero(groups == g)
        chosen = images.pick(coll, members, images.Pick.random if g < 0 else pick.value, n, groups, seed)
        rows.append((f"{images.group_name(g, what)}\n({members.size:,} images)", coll.images(chosen)))
    title = f"{GRID_TITLES[what].format(coll.clusters_name)}: {images.Pick(pick.value).shown} members"
    fig = grids.grid_figure(rows, title, n, size=fig_size, dpi=dpi)
    name = f"grid-{by.value if by is not By.cluster else coll.clusters_name}"
    return figures.finish("grid", fig, name, {"groups": len(rows)}, out, folder, dpi)
