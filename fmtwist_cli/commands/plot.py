from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import numpy as np
import typer

from fmtwist_cli import artifacts, images, plots
from fmtwist_cli.commands import _ui
from fmtwist_cli.commands._options import ArtifactsDir, JsonOpt, SeedOpt
from fmtwist_cli.errors import FmtwistError


class Kind(str, Enum):
    history = "history"
    scatter = "scatter"
    kdist = "kdist"
    confusion = "confusion"
    grid = "grid"


class Pick(str, Enum):
    random = "random"
    central = "central"
    border = "border"


class By(str, Enum):
    label = "label"
    cluster = "cluster"
    pred = "pred"


DEFAULT_SIZES = {"history": (11, 11), "comparison": (15, 5), "scatter": (10, 8), "kdist": (9, 6), "confusion": (8, 7)}


def plot(
    kind: Annotated[Kind, typer.Argument(help="What to draw.", show_default=False)],
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Figure file: .png, .svg or .pdf. Default: <kind>[-<source>].png in the artifacts folder.", rich_help_panel="Figure")] = None,
    size: Annotated[Optional[str], typer.Option(help="WIDTHxHEIGHT in inches, e.g. 12x8. Default: fits the kind.", rich_help_panel="Figure")] = None,
    dpi: Annotated[int, typer.Option(help="Dots per inch: 10x8 at 100 dpi is 1000x800 pixels.", rich_help_panel="Figure")] = 100,
    history: Annotated[Optional[list[Path]], typer.Option(help="A history file; repeat to compare models. Default: every history-*.json.", rich_help_panel="Inputs")] = None,
    coords: Annotated[Optional[Path], typer.Option(help="The map for scatter. Default: the newest coords-*.npz.", rich_help_panel="Inputs")] = None,
    clusters: Annotated[Optional[Path], typer.Option(help="A clustering, for --by cluster, for confusion (cluster x class) and kdist (its eps). Default: the newest clusters-*.npz.", rich_help_panel="Inputs")] = None,
    embeddings: Annotated[Optional[Path], typer.Option(help="Default: embeddings.npz.", rich_help_panel="Inputs")] = None,
    data: Annotated[Optional[Path], typer.Option(help="Images for grid. Default: data.npz.", rich_help_panel="Inputs")] = None,
    by: Annotated[By, typer.Option(help="Colour (scatter) or group (grid) by mystery label, cluster or predicted class.", rich_help_panel="scatter and grid")] = By.label,
    pick: Annotated[Pick, typer.Option(help="Which members a grid shows.", rich_help_panel="scatter and grid")] = Pick.random,
    n: Annotated[int, typer.Option("--n", "-n", help="Images per group in a grid.", rich_help_panel="scatter and grid")] = 10,
    seed: SeedOpt = None,
    k: Annotated[Optional[int], typer.Option("--k", help="Which neighbour, the point itself first (DBSCAN's min-samples). Default: the --clusters file's min-samples, else 15.", rich_help_panel="kdist")] = None,
    eps: Annotated[str, typer.Option(help="eps to mark: a number, or auto (the knee, or a DBSCAN --clusters file's eps).", rich_help_panel="kdist")] = "auto",
    scale: Annotated[Optional[bool], typer.Option("--scale/--no-scale", help="Standardize the embedding first. Default: as the --clusters file was made, else yes (as cluster does).", rich_help_panel="kdist", show_default=False)] = None,
    pca: Annotated[Optional[int], typer.Option(help="Principal components first, as cluster --pca. Default: as the --clusters file was made, else none.", rich_help_panel="kdist")] = None,
    artifacts_dir: ArtifactsDir = Path("artifacts"),
    as_json: JsonOpt = False,
) -> None:
    """Draw a figure: learning curves, a map, the k-distance curve, the confusion matrix or image samples.

    The format follows the file name (.png, .svg, .pdf); the same inputs give
    the same file.

    Example:

        fmtwist plot history     # 6 panels; with several models, compares them
        fmtwist plot history --history artifacts/history-custom.json
        fmtwist plot scatter --by cluster --clusters artifacts/clusters-dbscan.npz
        fmtwist plot kdist --k 15 --eps 45
        fmtwist plot confusion -o confusion.svg
        fmtwist plot grid --by cluster --n 8 --size 10x8 --dpi 150
    """
    if out is not None:
        plots.figure_format(out)
    fig_size = plots.parse_size(size) if size else None
    plots.check_size(fig_size or (1, 1), dpi)
    kind = Kind(kind).value
    draw = {"history": _history, "scatter": _scatter, "kdist": _kdist, "confusion": _confusion, "grid": _grid}[kind]
    fig, name, facts = draw(
        artifacts_dir=artifacts_dir, history=history, coords=coords, by=By(by).value, clusters=clusters,
        embeddings=embeddings, data=data, k=k, eps=eps, scale=scale, pca=pca, pick=Pick(pick).value, n=n, seed=seed, size=fig_size, dpi=dpi,
    )
    if fig_size is None:
        plots.check_size(tuple(fig.get_size_inches()), dpi)
    path = plots.save_figure(fig, out or artifacts_dir / f"{name}.png")
    width, height = (int(v * dpi) for v in fig.get_size_inches())  # as Agg rounds
    if as_json:
        _ui.print_json({"kind": kind, "written": str(path), "width": width, "height": height, **facts})
        return
    for key, value in facts.items():
        if key == "table":
            _ui.table(facts["table_title"], ["", *facts["table_columns"]],
                      [[name, *row] for name, row in zip(facts["table_rows"], value)])
        elif not key.startswith("table_"):
            _ui.out().print(f"{key}: {_text(value)}", markup=False)
    _ui.out().print(f"wrote {path} ({width}x{height} pixels)", markup=False)


def _text(value) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {v:,}" if isinstance(v, int) else f"{k} {v}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def _table_facts(title: str, rows: list[str], cols: list[str], table: np.ndarray) -> dict:
    return {"table_title": title, "table_rows": rows, "table_columns": cols, "table": table.tolist()}


def _load_embeddings(opts: dict) -> artifacts.Artifact:
    return artifacts.load(opts["embeddings"] or opts["artifacts_dir"] / "embeddings.npz", "embeddings")


def _load_clusters(opts: dict, emb: artifacts.Artifact | None = None) -> artifacts.Artifact:
    """The clustering; with ``emb``, refused unless made from those embeddings."""
    path = opts["clusters"] or plots.latest(opts["artifacts_dir"], "clusters-*.npz", "clusters-kmeans.npz")
    clu = artifacts.load(path, "clusters")
    if emb is not None:
        artifacts.check_made_from(clu, "embeddings", emb.path, "pass the embeddings it was made from (--embeddings), or run `fmtwist cluster` again")
    return clu


def _history(**opts):
    paths = opts["history"] or sorted(opts["artifacts_dir"].glob("history-*.json"))
    if not paths:
        raise FmtwistError(f"no history-*.json in {opts['artifacts_dir']} (run `fmtwist train` first)")
    hists = [plots.read_history(p) for p in paths]
    if len(hists) == 1:
        fig = plots.history_figure(hists[0], opts["size"] or DEFAULT_SIZES["history"], opts["dpi"])
        return fig, f"history-{Path(paths[0]).stem.removeprefix('history-')}", {"models": [plots.model_name(hists[0])]}
    fig = plots.comparison_figure(hists, opts["size"] or DEFAULT_SIZES["comparison"], opts["dpi"])
    return fig, "history-comparison", {"models": [plots.model_name(h) for h in hists]}


def _scatter(**opts):
    coords = artifacts.load(opts["coords"] or plots.latest(opts["artifacts_dir"], "coords-*.npz", "coords-tsne.npz"), "coords")
    method = plots.method_label(coords.meta)
    by = opts["by"]
    if by == "cluster":
        clu = _load_clusters(opts)
        artifacts.check_same_input(coords, clu, "embeddings", "pass a map and a clustering of the same embeddings (--coords, --clusters)")
        plots.align_coords(coords, clu.rows(), str(clu.path))
        groups, what = clu["labels"], "cluster"
        source = images.clusters_name(clu)
        title, name = f"{method} map coloured by {source} cluster", f"scatter-{Path(coords.path).stem.removeprefix('coords-')}-{source}"
    else:
        emb = _load_embeddings(opts)
        artifacts.check_made_from(coords, "embeddings", emb.path, "pass the embeddings it was made from (--embeddings), or run `fmtwist reduce` again")
        plots.align_coords(coords, emb.rows(), str(emb.path))
        if by == "label":
            if "labels" not in emb:
                raise FmtwistError(f"{emb.path} carries no mystery labels: use --by pred or --by cluster")
            groups, what, title = emb["labels"], "class", f"{method} map coloured by mystery class"
        else:
            groups, what, title = emb["pred"], "predicted class", f"{method} map coloured by predicted class"
        name = f"scatter-{Path(coords.path).stem.removeprefix('coords-')}-{by}"
    fig = plots.scatter_figure(coords["coords"], groups, what, title, method, opts["size"] or DEFAULT_SIZES["scatter"], opts["dpi"])
    counts = {("noise" if g < 0 else f"{what} {g}"): int(c) for g, c in zip(*np.unique(groups, return_counts=True))}
    return fig, name, {"points": coords.rows(), "groups": counts}


def _parse_eps(text: str) -> float | None:
    if text.strip().lower() == "auto":
        return None
    try:
        value = float(text)
    except ValueError:
        raise FmtwistError(f"--eps must be a number or auto, got '{text}'") from None
    if not value > 0 or not np.isfinite(value):
        raise FmtwistError(f"--eps must be above 0, got {text}")
    return value


def _kdist(**opts):
    from fmtwist_cli import clustering

    chosen = _parse_eps(opts["eps"])
    emb = _load_embeddings(opts)
    used, scale, pca, k = None, opts["scale"], opts["pca"], opts["k"]
    if opts["clusters"] is not None:  # draw the curve on the features that clustering used
        clu = _load_clusters(opts, emb)
        params = clu.meta.get("params") if isinstance(clu.meta.get("params"), dict) else clu.meta
        if isinstance(params.get("eps"), (int, float)):
            used = (float(params["eps"]), f"used by {Path(clu.path).name}")
        if k is None and isinstance(params.get("min_samples"), int):
            k = params["min_samples"]
        made = clu.meta.get("features") if isinstance(clu.meta.get("features"), dict) else {}
        scale = bool(made.get("scale", True)) if scale is None else scale
        pca = made.get("pca") if pca is None and isinstance(made.get("pca"), int) else pca
    k, scale = 15 if k is None else k, True if scale is None else scale
    features = clustering.prepare_features(emb["embedding"], scale, pca, opts["seed"])
    with _ui.progress("k-distances", unit="blocks") as advance:
        kdist = clustering.kdistances(features, k, progress=lambda done, total: advance(1, total))
    curve = np.sort(kdist)
    at = clustering.knee(curve)
    auto, _ = clustering.auto_eps(curve, k)
    eps, note = (chosen, "chosen") if chosen is not None else used or (auto, "knee")
    fig = plots.kdist_figure(curve, k, eps, note, at, opts["size"] or DEFAULT_SIZES["kdist"], opts["dpi"])
    facts = {"k": k, "points": int(curve.size), "scale": scale, "pca": pca, "knee_eps": round(auto, 4), "eps": round(eps, 4),
             "eps_from": note, "share_beyond_eps": round(float((curve > eps).mean()), 4)}
    return fig, "kdist", facts


def _confusion(**opts):
    emb = _load_embeddings(opts)
    if "labels" not in emb:
        raise FmtwistError(f"{emb.path} carries no mystery labels, so there is no confusion matrix to draw")
    labels = emb["labels"]
    size = opts["size"] or DEFAULT_SIZES["confusion"]
    if opts["clusters"] is not None:
        clu = _load_clusters(opts, emb)
        if clu.rows() != emb.rows():
            raise FmtwistError(
                f"{clu.path} has {clu.rows()} labels but {emb.path} has {emb.rows()} rows: "
                "pass the embeddings it was made from (--embeddings) or run `fmtwist cluster` again"
            )
        table, rows, cols = plots.contingency(labels, clu["labels"])
        source = images.clusters_name(clu)
        row_names = [f"class {r}" for r in rows]
        col_names = ["noise" if c < 0 else f"cluster {c}" for c in cols]
        title = f"Mystery class × {source} cluster ({len(labels):,} images)"
        fig = plots.confusion_figure(table, row_names, col_names, "Mystery class", f"{source} cluster", title, size, opts["dpi"])
        return fig, f"confusion-{source}", _table_facts(title, row_names, col_names, table)
    k = max(int(labels.max()), int(emb["pred"].max())) + 1
    table = np.zeros((k, k), dtype=np.int64)
    np.add.at(table, (labels, emb["pred"]), 1)
    accuracy = float(np.trace(table) / table.sum())
    names = [f"class {i}" for i in range(k)]
    fig = plots.confusion_figure(
        table, names, names, "Mystery class (true)", "Predicted class",
        f"Confusion matrix · {len(labels):,} images · accuracy {accuracy:.4f}", size, opts["dpi"],
    )
    facts = {"accuracy": round(accuracy, 4), **_table_facts("Confusion matrix (rows: true class)", names, [f"pred {i}" for i in range(k)], table)}
    return fig, "confusion", facts


def _grid(**opts):
    data = artifacts.load(opts["data"] or opts["artifacts_dir"] / "data.npz", "data")
    by = opts["by"]
    emb_path = opts["embeddings"] or opts["artifacts_dir"] / "embeddings.npz"
    needs_emb = by != "label" or opts["pick"] != "random" or opts["embeddings"] is not None
    emb = artifacts.load(emb_path, "embeddings") if needs_emb or emb_path.exists() else None
    clu = _load_clusters(opts) if by == "cluster" else None
    coll = images.collect(data, emb, clu)
    if by == "label":
        if coll.labels is None:
            raise FmtwistError(f"{emb_path} carries no mystery labels: use --by pred or --by cluster")
        groups, what = coll.labels, "class"
    elif by == "pred":
        groups, what = coll.pred, "predicted"
    else:
        groups, what = coll.clusters, "cluster"
    rows = []
    for g in np.unique(groups):
        members = np.flatnonzero(groups == g)
        chosen = images.pick(coll, members, "random" if g < 0 else opts["pick"], opts["n"], groups, opts["seed"])
        name = "noise" if g < 0 else f"{what} {int(g)}"
        rows.append((f"{name}\n({members.size:,} images)", coll.images(chosen)))
    title = {"class": "Mystery classes", "predicted": "Predicted classes", "cluster": f"{coll.clusters_name} clusters"}[what]
    shown = {"random": "random members", "central": "most central members", "border": "most borderline members"}[opts["pick"]]
    fig = plots.groups_grid_figure(rows, f"{title}: {shown}", opts["n"], opts["size"], opts["dpi"])
    return fig, f"grid-{by if by != 'cluster' else coll.clusters_name}", {"groups": len(rows)}
