"""`fmtwist plot KIND`: one sub-command per figure, each with only its own options."""

from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from fmtwist_cli import artifacts
from fmtwist_cli.artifacts.layout import Layout
from fmtwist_cli.cli import ui as _ui
from fmtwist_cli.cli.options import ArtifactsDir, JsonOpt, SeedOpt
from fmtwist_cli.errors import FmtwistError
from fmtwist_cli.groups import clustering, features, scores
from fmtwist_cli.views import images, plots
from fmtwist_cli.views.images import GroupPick

app = typer.Typer(name="plot", no_args_is_help=True)


@app.callback()
def plot() -> None:
    """Draw a figure: learning curves, a map, the k-distance curve, a confusion matrix or image samples.

    One command per figure, each with its own options. The format follows the
    file name (.png, .svg, .pdf); the same inputs give the same file.

    Example:

        fmtwist plot history
        fmtwist plot scatter --by cluster --clusters artifacts/clusters-dbscan.npz
        fmtwist plot kdist --k 15 --eps 45
        fmtwist plot confusion -o confusion.svg
        fmtwist plot grid --by cluster --n 8 --size 10x8 --dpi 150
    """


class By(str, Enum):
    label = "label"
    cluster = "cluster"
    pred = "pred"


DEFAULT_SIZES = {"history": (11, 11), "comparison": (15, 5), "scatter": (10, 8), "kdist": (9, 6), "confusion": (8, 7)}
FIGURE = "Figure"
OutOpt = Annotated[
    Path | None,
    typer.Option(
        "--out",
        "-o",
        help="Figure file: .png, .svg or .pdf. Default: KIND[-SOURCE].png in the artifacts folder.",
        rich_help_panel=FIGURE,
    ),
]
SizeOpt = Annotated[
    str | None,
    typer.Option(help="WIDTHxHEIGHT in inches, e.g. 12x8. Default: fits the figure.", rich_help_panel=FIGURE),
]
DpiOpt = Annotated[int, typer.Option(help="Dots per inch: 10x8 at 100 dpi is 1000x800 pixels.", rich_help_panel=FIGURE)]
EmbeddingsOpt = Annotated[Path | None, typer.Option(help="Embeddings file. Default: ARTIFACTS/embeddings.npz.")]
ClustersHelp = "Default: clusters-kmeans.npz, else clusters-dbscan.npz, else the first clusters-*.npz."


def _figure_size(out: Path | None, size: str | None, dpi: int) -> tuple[float, float] | None:
    """Check the figure options before any work; the size asked for, if any."""
    if out is not None:
        plots.figure_format(out)
    fig_size = plots.parse_size(size) if size else None
    plots.check_size(fig_size or (1, 1), dpi)
    return fig_size


def _finish(
    kind: str, fig, name: str, facts: dict[str, Any], out: Path | None, folder: Path, dpi: int, as_json: bool
) -> None:
    plots.check_size(tuple(fig.get_size_inches()), dpi)
    path = plots.save_figure(fig, out or folder / f"{name}.png")
    width, height = (int(v * dpi) for v in fig.get_size_inches())  # as Agg rounds
    if as_json:
        _ui.print_json({"kind": kind, "written": str(path), "width": width, "height": height, **facts})
        return
    for key, value in facts.items():
        if key == "table":
            rows = [[name, *row] for name, row in zip(facts["table_rows"], value)]
            _ui.table(facts["table_title"], ["", *facts["table_columns"]], rows)
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


def _align_coords(coords: artifacts.Artifact, other: artifacts.Artifact) -> None:
    """Coordinates are drawn against embeddings/clusters row by row."""
    artifacts.check_same_rows(
        coords, other, "points", "pass the files made from the same embeddings, or run `fmtwist reduce` again"
    )


def _load_clusters(path: Path | None, folder: Path, emb: artifacts.Artifact | None = None) -> artifacts.Artifact:
    """The clustering; with ``emb``, refused unless made from those embeddings."""
    clu = artifacts.load(path or Layout(folder).default_clusters(), "clusters")
    if emb is not None:
        hint = "pass the embeddings it was made from (--embeddings), or run `fmtwist cluster` again"
        artifacts.check_made_from(clu, "embeddings", emb.path, hint)
    return clu


@app.command()
def history(
    history: Annotated[
        list[Path] | None, typer.Option(help="A history file; repeat to compare models. Default: every history-*.json.")
    ] = None,
    out: OutOpt = None,
    size: SizeOpt = None,
    dpi: DpiOpt = 100,
    artifacts_dir: ArtifactsDir = Path("artifacts"),
    as_json: JsonOpt = False,
) -> None:
    """Learning curves: one model's six panels, or several models compared.

    Example:

        fmtwist plot history     # 6 panels; with several models, compares them
        fmtwist plot history --history artifacts/history-custom.json
    """
    fig_size = _figure_size(out, size, dpi)
    paths = history or Layout(artifacts_dir).histories()
    if not paths:
        raise FmtwistError(f"no history-*.json in {artifacts_dir} (run `fmtwist train` first)")
    hists = [plots.read_history(p) for p in paths]
    if len(hists) == 1:
        fig = plots.history_figure(hists[0], fig_size or DEFAULT_SIZES["history"], dpi)
        name = f"history-{Path(paths[0]).stem.removeprefix('history-')}"
    else:
        fig, name = plots.comparison_figure(hists, fig_size or DEFAULT_SIZES["comparison"], dpi), "history-comparison"
    _finish("history", fig, name, {"models": [plots.model_name(h) for h in hists]}, out, artifacts_dir, dpi, as_json)


@app.command()
def scatter(
    coords: Annotated[
        Path | None, typer.Option(help="The map. Default: coords-tsne.npz, else coords-umap.npz, else coords-pca.npz.")
    ] = None,
    by: Annotated[By, typer.Option(help="Colour by mystery label, cluster or predicted class.")] = By.label,
    clusters: Annotated[Path | None, typer.Option(help=f"The clustering, for --by cluster. {ClustersHelp}")] = None,
    embeddings: EmbeddingsOpt = None,
    out: OutOpt = None,
    size: SizeOpt = None,
    dpi: DpiOpt = 100,
    artifacts_dir: ArtifactsDir = Path("artifacts"),
    as_json: JsonOpt = False,
) -> None:
    """A 2-D map coloured by mystery class, cluster or predicted class.

    Example:

        fmtwist plot scatter                      # the t-SNE map by mystery class
        fmtwist plot scatter --by cluster --clusters artifacts/clusters-dbscan.npz
        fmtwist plot scatter --coords artifacts/coords-umap.npz --by pred -o umap.svg
    """
    fig_size = _figure_size(out, size, dpi)
    layout = Layout(artifacts_dir)
    coords_art = artifacts.load(coords or layout.default_map(), "coords")
    method = plots.method_label(coords_art.meta)
    map_name = Path(coords_art.path).stem.removeprefix("coords-")
    if by is By.cluster:
        clu = _load_clusters(clusters, artifacts_dir)
        hint = "pass a map and a clustering of the same embeddings (--coords, --clusters)"
        artifacts.check_same_input(coords_art, clu, "embeddings", hint)
        _align_coords(coords_art, clu)
        groups, what = clu["labels"], "cluster"
        source = images.clusters_name(clu)
        title, name = f"{method} map coloured by {source} cluster", f"scatter-{map_name}-{source}"
    else:
        emb = artifacts.load(embeddings or layout.embeddings, "embeddings")
        hint = "pass the embeddings it was made from (--embeddings), or run `fmtwist reduce` again"
        artifacts.check_made_from(coords_art, "embeddings", emb.path, hint)
        _align_coords(coords_art, emb)
        if by is By.label:
            if "labels" not in emb:
                raise FmtwistError(f"{emb.path} carries no mystery labels: use --by pred or --by cluster")
            groups, what, title = emb["labels"], "class", f"{method} map coloured by mystery class"
        else:
            groups, what, title = emb["pred"], "predicted class", f"{method} map coloured by predicted class"
        name = f"scatter-{map_name}-{by.value}"
    fig = plots.scatter_figure(
        coords_art["coords"], groups, what, title, method, fig_size or DEFAULT_SIZES["scatter"], dpi
    )
    counts = {images.group_name(g, what): int(c) for g, c in zip(*np.unique(groups, return_counts=True))}
    _finish("scatter", fig, name, {"points": coords_art.rows(), "groups": counts}, out, artifacts_dir, dpi, as_json)


@app.command()
def kdist(
    k: Annotated[
        int | None,
        typer.Option(
            "--k",
            help="Which neighbour, the point itself first (DBSCAN's min-samples). "
            "Default: the --clusters file's min-samples, else 15.",
        ),
    ] = None,
    eps: Annotated[
        str, typer.Option(help="eps to mark: a number, or auto (the knee, or a DBSCAN --clusters file's eps).")
    ] = "auto",
    clusters: Annotated[
        Path | None, typer.Option(help="A DBSCAN clustering: its eps, min-samples, scaling and PCA. Default: none.")
    ] = None,
    scale: Annotated[
        bool | None,
        typer.Option(
            "--scale/--no-scale",
            show_default=False,
            help=(
                "Standardize the embedding first. Default: as the --clusters file was made, else yes (as cluster does)."
            ),
        ),
    ] = None,
    pca: Annotated[
        int | None,
        typer.Option(
            help="Principal components first, as cluster --pca. Default: as the --clusters file was made, else none."
        ),
    ] = None,
    embeddings: EmbeddingsOpt = None,
    seed: SeedOpt = None,
    out: OutOpt = None,
    size: SizeOpt = None,
    dpi: DpiOpt = 100,
    artifacts_dir: ArtifactsDir = Path("artifacts"),
    as_json: JsonOpt = False,
) -> None:
    """The sorted k-distance curve, its knee and an eps for DBSCAN.

    Example:

        fmtwist plot kdist                        # the knee that cluster --eps auto picks
        fmtwist plot kdist --k 15 --eps 45        # the notebook's eps
        fmtwist plot kdist --clusters artifacts/clusters-dbscan.npz
    """
    from fmtwist_cli.groups import dbscan

    fig_size = _figure_size(out, size, dpi)
    chosen = clustering.parse_eps(eps)
    emb = artifacts.load(embeddings or Layout(artifacts_dir).embeddings, "embeddings")
    used = None
    if clusters is not None:  # draw the curve on the features that clustering used
        clu = _load_clusters(clusters, artifacts_dir, emb)
        params = clu.meta.get("params") if isinstance(clu.meta.get("params"), dict) else clu.meta
        if isinstance(params.get("eps"), (int, float)):
            used = (float(params["eps"]), f"used by {Path(clu.path).name}")
        if k is None and isinstance(params.get("min_samples"), int):
            k = params["min_samples"]
        made = clu.meta.get("features") if isinstance(clu.meta.get("features"), dict) else {}
        scale = bool(made.get("scale", True)) if scale is None else scale
        pca = made.get("pca") if pca is None and isinstance(made.get("pca"), int) else pca
    k, scale = 15 if k is None else k, True if scale is None else scale
    x = features.prepare_features(emb["embedding"], scale, pca, seed, str(emb.path))
    with _ui.progress("k-distances", unit="blocks") as advance:
        curve = np.sort(dbscan.kdistances(x, k, progress=lambda done, total: advance(1, total)))
    at = dbscan.knee(curve)
    auto, _ = dbscan.auto_eps(curve, k)
    marked, note = (chosen, "chosen") if chosen != clustering.AUTO else used or (auto, "knee")
    fig = plots.kdist_figure(curve, k, marked, note, at, fig_size or DEFAULT_SIZES["kdist"], dpi)
    facts = {
        "k": k,
        "points": int(curve.size),
        "scale": scale,
        "pca": pca,
        "knee_eps": round(auto, 4),
        "eps": round(marked, 4),
        "eps_from": note,
        "share_beyond_eps": round(float((curve > marked).mean()), 4),
    }
    _finish("kdist", fig, "kdist", facts, out, artifacts_dir, dpi, as_json)


@app.command()
def confusion(
    clusters: Annotated[
        Path | None, typer.Option(help="Mystery class x this clustering's clusters instead of x predicted class.")
    ] = None,
    embeddings: EmbeddingsOpt = None,
    out: OutOpt = None,
    size: SizeOpt = None,
    dpi: DpiOpt = 100,
    artifacts_dir: ArtifactsDir = Path("artifacts"),
    as_json: JsonOpt = False,
) -> None:
    """Mystery class x predicted class (or x cluster): counts and shares of each row.

    Example:

        fmtwist plot confusion -o confusion.svg
        fmtwist plot confusion --clusters artifacts/clusters-dbscan.npz
    """
    fig_size = _figure_size(out, size, dpi) or DEFAULT_SIZES["confusion"]
    emb = artifacts.load(embeddings or Layout(artifacts_dir).embeddings, "embeddings")
    if "labels" not in emb:
        raise FmtwistError(f"{emb.path} carries no mystery labels, so there is no confusion matrix to draw")
    labels = emb["labels"]
    if clusters is not None:
        clu = _load_clusters(clusters, artifacts_dir, emb)
        artifacts.check_same_rows(clu, emb, "labels", images.CLUSTERS_REMEDY)
        rows, cols, table = scores.crosstab(labels, clu["labels"])
        source = images.clusters_name(clu)
        row_names = [f"class {r}" for r in rows]
        col_names = [images.group_name(c, "cluster") for c in cols]
        title = f"Mystery class × {source} cluster ({len(labels):,} images)"
        fig = plots.confusion_figure(
            table, row_names, col_names, "Mystery class", f"{source} cluster", title, fig_size, dpi
        )
        facts = _table_facts(title, row_names, col_names, table)
        _finish("confusion", fig, f"confusion-{source}", facts, out, artifacts_dir, dpi, as_json)
        return
    every = range(max(int(labels.max()), int(emb["pred"].max())) + 1)
    _, _, table = scores.crosstab(labels, emb["pred"], every, every)
    accuracy = float(np.trace(table) / table.sum())
    names = [f"class {i}" for i in every]
    title = f"Confusion matrix · {len(labels):,} images · accuracy {accuracy:.4f}"
    fig = plots.confusion_figure(table, names, names, "Mystery class (true)", "Predicted class", title, fig_size, dpi)
    table_facts = _table_facts("Confusion matrix (rows: true class)", names, [f"pred {i}" for i in every], table)
    _finish(
        "confusion", fig, "confusion", {"accuracy": round(accuracy, 4), **table_facts}, out, artifacts_dir, dpi, as_json
    )


@app.command()
def grid(
    by: Annotated[By, typer.Option(help="One row per mystery class, cluster or predicted class.")] = By.label,
    pick: Annotated[GroupPick, typer.Option(help="Which members each row shows.")] = GroupPick.random,
    n: Annotated[int, typer.Option("--n", "-n", help="Images per row.")] = 10,
    seed: SeedOpt = None,
    clusters: Annotated[Path | None, typer.Option(help=f"The clustering, for --by cluster. {ClustersHelp}")] = None,
    embeddings: EmbeddingsOpt = None,
    data: Annotated[Path | None, typer.Option(help="The images. Default: ARTIFACTS/data.npz.")] = None,
    out: OutOpt = None,
    size: SizeOpt = None,
    dpi: DpiOpt = 100,
    artifacts_dir: ArtifactsDir = Path("artifacts"),
    as_json: JsonOpt = False,
) -> None:
    """Sample images of every class or cluster, one row each.

    Example:

        fmtwist plot grid --by label --seed 0
        fmtwist plot grid --by cluster --pick central --n 8 --size 10x8 --dpi 150
    """
    fig_size = _figure_size(out, size, dpi)
    layout = Layout(artifacts_dir)
    data_art = artifacts.load(data or layout.data, "data")
    emb_path = embeddings or layout.embeddings
    needs_emb = by is not By.label or pick is not GroupPick.random or embeddings is not None
    emb = artifacts.load(emb_path, "embeddings") if needs_emb or emb_path.exists() else None
    clu = _load_clusters(clusters, artifacts_dir) if by is By.cluster else None
    coll = images.collect(data_art, emb, clu)
    if by is By.label:
        if coll.labels is None:
            raise FmtwistError(f"{emb_path} carries no mystery labels: use --by pred or --by cluster")
        groups, what = coll.labels, "class"
    elif by is By.pred:
        groups, what = coll.pred, "predicted"
    else:
        groups, what = coll.clusters, "cluster"
    rows = []
    for g in np.unique(groups):
        members = np.flatnonzero(groups == g)
        chosen = images.pick(coll, members, images.Pick.random if g < 0 else pick.value, n, groups, seed)
        name = images.group_name(g, what)
        rows.append((f"{name}\n({members.size:,} images)", coll.images(chosen)))
    title = {"class": "Mystery classes", "predicted": "Predicted classes", "cluster": f"{coll.clusters_name} clusters"}[
        what
    ]
    shown = f"{images.Pick(pick.value).shown} members"
    fig = plots.groups_grid_figure(rows, f"{title}: {shown}", n, fig_size, dpi)
    name = f"grid-{by.value if by is not By.cluster else coll.clusters_name}"
    _finish("grid", fig, name, {"groups": len(rows)}, out, artifacts_dir, dpi, as_json)
