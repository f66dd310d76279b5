from pathlib import Path
from typing import Annotated

import typer

from fmtwist_cli.cli import ui as _ui
from fmtwist_cli.cli.options import ArtifactsDir, JsonOpt, SeedOpt
from fmtwist_cli.groups import step
from fmtwist_cli.groups.clustering import Method


def _print_evaluation(title: str, ev: dict) -> None:
    _ui.out().print(
        f"{title}: ARI {ev['ari']:.3f}  NMI {ev['nmi']:.3f}  homogeneity {ev['homogeneity']:.3f}  "
        f"completeness {ev['completeness']:.3f}  accuracy (Hungarian) {ev['accuracy']:.3f}  "
        f"noise {ev['noise_share']:.1%}"
    )
    t = ev["table"]
    _ui.table(
        f"Clusters x {title.split(' ', 1)[-1]}",
        ["cluster"] + [str(c) for c in t["classes"]],
        [["noise" if c == -1 else c] + row for c, row in zip(t["clusters"], t["counts"])],
    )
    if t["class_names"] != [str(c) for c in t["classes"]]:
        _ui.out().print("  " + ", ".join(f"{c} {name}" for c, name in zip(t["classes"], t["class_names"])))


def _knobs(params: dict, names=None) -> str:
    shown = {k: v for k, v in params.items() if v is not None and (names is None or k in names)}
    return ", ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in shown.items())


MethodOpt = Annotated[
    Method, typer.Option(case_sensitive=False, help="Clustering method (agglomerative: ward linkage).")
]
EmbeddingsOpt = Annotated[Path | None, typer.Option(help="Embeddings file. Default: ARTIFACTS/embeddings.npz.")]
CoordsOpt = Annotated[
    Path | None,
    typer.Option(help="Cluster this 2-D map from `fmtwist reduce` instead of the encoding (used as it is)."),
]
ScaleOpt = Annotated[
    bool, typer.Option("--scale/--no-scale", help="Standardize each feature first, as the notebook did.")
]
PcaOpt = Annotated[
    int | None,
    typer.Option(
        help=("Reduce the features to N principal components first. Default: none (50 for hdbscan on wider features).")
    ),
]
EpsOpt = Annotated[
    str, typer.Option(help="DBSCAN radius, or 'auto': the knee of the sorted k-distance curve (k = --min-samples).")
]
MinSamplesOpt = Annotated[int, typer.Option(help="DBSCAN: points within eps (itself included) that make a core point.")]
KOpt = Annotated[
    int | None,
    typer.Option(help="K-Means / agglomerative: number of clusters. Default: the number of mystery classes."),
]
NInitOpt = Annotated[int, typer.Option(help="K-Means: runs from different centroids; the best is kept.")]
MinClusterSizeOpt = Annotated[int, typer.Option(help="HDBSCAN: smallest group that counts as a cluster.")]
WithinClassesOpt = Annotated[
    bool,
    typer.Option(
        "--within-classes",
        help=(
            "Cluster each mystery class on its own; K-Means/agglomerative then find as many clusters in a class "
            "as it holds categories' worth of images (--k: that many in every class)."
        ),
    ),
]
AnswerKeyOpt = Annotated[
    Path | None,
    typer.Option(help="twist.json: also score clusters against the original 10 categories (spoils the puzzle)."),
]
OutOpt = Annotated[
    Path | None,
    typer.Option(
        help=("Output file. Default: ARTIFACTS/clusters-METHOD.npz (clusters-METHOD-within.npz with --within-classes).")
    ),
]


def cluster(
    method: MethodOpt = Method.kmeans,
    embeddings: EmbeddingsOpt = None,
    coords: CoordsOpt = None,
    scale: ScaleOpt = True,
    pca: PcaOpt = None,
    eps: EpsOpt = "auto",
    min_samples: MinSamplesOpt = 15,
    k: KOpt = None,
    n_init: NInitOpt = 10,
    min_cluster_size: MinClusterSizeOpt = 15,
    within_classes: WithinClassesOpt = False,
    answer_key: AnswerKeyOpt = None,
    out: OutOpt = None,
    seed: SeedOpt = None,
    artifacts_dir: ArtifactsDir = Path("artifacts"),
    as_json: JsonOpt = False,
) -> None:
    """Cluster the encoding; score the clusters against the mystery labels (and, with --answer-key, the original \
categories).

    Writes ARTIFACTS/clusters-METHOD.npz: one label per embeddings row, -1 for noise.

    Example:

        fmtwist cluster --method dbscan --eps 45        # the notebook's DBSCAN
        fmtwist cluster --method dbscan --eps auto      # eps from the k-distance knee
        fmtwist cluster --method kmeans --k 10 --coords artifacts/coords-umap.npz --answer-key artifacts/twist.json
        fmtwist cluster --method hdbscan --json | jq .mystery.ari
        fmtwist cluster --method kmeans --within-classes --coords artifacts/coords-tsne.npz  # split each class
    """
    result = _ui.run_step(step.cluster, locals())
    summary = result.summary
    if as_json:
        _ui.print_json(summary)
        return
    made = summary["features"]
    if "coords" in made:
        what = f"the map {made['coords']}"
    else:
        what = (
            ("standardized " if made["scale"] else "") + "encoding" + (f", PCA to {made['pca']}" if made["pca"] else "")
        )
    _ui.out().print(
        f"{summary['method']} on {summary['rows']:,} rows of {what} ({_knobs(summary['params'])}) "
        f"in {summary['seconds']:.1f}s"
    )
    if "eps_auto" in summary:
        _ui.out().print(f"eps auto = {summary['eps_auto']['eps']:.4g}: {summary['eps_auto']['how']}")
    for c, part in summary.get("per_class", {}).items():
        knobs = _knobs(part["params"], ("k", "eps", "min_cluster_size"))
        _ui.out().print(f"  mystery class {c}: clusters {', '.join(map(str, part['clusters'])) or 'none'} ({knobs})")
    _ui.table(
        f"Cluster sizes ({summary['n_clusters']} clusters, {summary['noise_share']:.1%} noise)",
        ["cluster", "count"],
        [["noise" if s["cluster"] == -1 else s["cluster"], s["count"]] for s in summary["sizes"]],
    )
    if "mystery" in summary:
        _print_evaluation("vs mystery labels", summary["mystery"])
    if "original" in summary:
        _print_evaluation("vs original categories", summary["original"])
    _ui.out().print(f"wrote {result.path}")
