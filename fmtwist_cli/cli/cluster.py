from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from fmtwist_cli import artifacts
from fmtwist_cli.artifacts.layout import Layout
from fmtwist_cli.cli import ui as _ui
from fmtwist_cli.cli.options import ArtifactsDir, JsonOpt, SeedOpt
from fmtwist_cli.data.twist import CATEGORIES
from fmtwist_cli.errors import FmtwistError
from fmtwist_cli.groups import clustering
from fmtwist_cli.groups.clustering import Method


def load_features(
    emb: artifacts.Artifact, coords_path: Path | None, scale: bool, pca: int | None, seed: int | None
) -> tuple[np.ndarray, dict]:
    """The matrix to cluster: the encoding (standardized, maybe PCA) or a 2-D map."""
    if coords_path is None:
        features = clustering.prepare_features(emb["embedding"], scale, pca, seed, str(emb.path))
        return features, {"scale": scale, "pca": pca}
    if pca is not None:
        raise FmtwistError("--pca does not apply to --coords: a map is 2-D already")
    coords = artifacts.load(coords_path, "coords")
    artifacts.check_made_from(
        coords,
        "embeddings",
        emb.path,
        "pass the embeddings it was made from (--embeddings), or run `fmtwist reduce` again",
    )
    artifacts.check_same_rows(
        coords, emb, "rows", "make the coordinates from the same embeddings with `fmtwist reduce`"
    )
    same = np.array_equal(coords["index"], emb["index"]) and (
        "split" not in coords or np.array_equal(coords["split"], emb["split"])
    )
    if not same:
        raise FmtwistError(
            f"{coords_path} and {emb.path} list different images: "
            "make the coordinates from the same embeddings with `fmtwist reduce`"
        )
    return np.ascontiguousarray(coords["coords"], dtype=np.float32), {"coords": str(coords_path)}


def _default_k(emb: artifacts.Artifact) -> int:
    if "labels" in emb and emb["labels"].size:
        return int(emb["labels"].max()) + 1
    return int(emb["probs"].shape[1])


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


def cluster(
    method: Annotated[
        Method, typer.Option(case_sensitive=False, help="Clustering method (agglomerative: ward linkage).")
    ] = Method.kmeans,
    embeddings: Annotated[Path | None, typer.Option(help="Embeddings file. Default: ARTIFACTS/embeddings.npz.")] = None,
    coords: Annotated[
        Path | None,
        typer.Option(help="Cluster this 2-D map from `fmtwist reduce` instead of the encoding (used as it is)."),
    ] = None,
    scale: Annotated[
        bool, typer.Option("--scale/--no-scale", help="Standardize each feature first, as the notebook did.")
    ] = True,
    pca: Annotated[
        int | None,
        typer.Option(
            help=(
                "Reduce the features to N principal components first. Default: none (50 for hdbscan on wider features)."
            )
        ),
    ] = None,
    eps: Annotated[
        str, typer.Option(help="DBSCAN radius, or 'auto': the knee of the sorted k-distance curve (k = --min-samples).")
    ] = "auto",
    min_samples: Annotated[
        int, typer.Option(help="DBSCAN: points within eps (itself included) that make a core point.")
    ] = 15,
    k: Annotated[
        int | None,
        typer.Option(help="K-Means / agglomerative: number of clusters. Default: the number of mystery classes."),
    ] = None,
    n_init: Annotated[int, typer.Option(help="K-Means: runs from different centroids; the best is kept.")] = 10,
    min_cluster_size: Annotated[int, typer.Option(help="HDBSCAN: smallest group that counts as a cluster.")] = 15,
    within_classes: Annotated[
        bool,
        typer.Option(
            "--within-classes",
            help=(
                "Cluster each mystery class on its own; K-Means/agglomerative then find as many clusters in a class "
                "as it holds categories' worth of images (--k: that many in every class)."
            ),
        ),
    ] = False,
    answer_key: Annotated[
        Path | None,
        typer.Option(help="twist.json: also score clusters against the original 10 categories (spoils the puzzle)."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            help=(
                "Output file. Default: ARTIFACTS/clusters-METHOD.npz "
                "(clusters-METHOD-within.npz with --within-classes)."
            )
        ),
    ] = None,
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
    method = Method(method)
    emb_path = embeddings or Layout(artifacts_dir).embeddings
    out_path = out or Layout(artifacts_dir).clusters(method.value, within_classes)
    emb = artifacts.load(emb_path, "embeddings")
    key = artifacts.load_answer_key(answer_key) if answer_key is not None else None
    if key is not None:
        artifacts.check_same_input(
            (answer_key, key),
            emb,
            "data",
            "pass the twist.json written with the data.npz these embeddings were made from",
        )
    originals = clustering.original_categories(emb["index"], emb["split"], key, str(answer_key)) if key else None
    if within_classes and "labels" not in emb:
        raise FmtwistError(f"--within-classes needs the mystery labels, and {emb_path} has none")
    k_default = "auto" if within_classes else _default_k(emb)
    params: dict[str, Any]
    if method is Method.dbscan:
        params = {"eps": clustering.parse_eps(eps), "min_samples": min_samples}
    elif method is Method.hdbscan:
        params = {"min_cluster_size": min_cluster_size}
    else:
        params = {"k": k if k is not None else k_default}
        if method is Method.kmeans:
            params.update(n_init=n_init, seed=seed)
    clustering.validate_params(method, emb.rows(), params)
    if pca is None and coords is None:
        pca = clustering.default_pca(method, emb["embedding"].shape[1])
    x, features = load_features(emb, coords, scale, pca, seed)

    with _ui.progress(f"{method.value}: distance blocks") as advance:
        state = {"done": 0}

        def tick(done: int, total: int) -> None:
            advance(done - state["done"], total)
            state["done"] = done

        if within_classes:
            result = clustering.run_within(method, x, emb["labels"], params, progress=tick)
        else:
            result = clustering.run(method, x, params, progress=tick)

    labels = result.labels
    summary: dict[str, Any] = {
        "method": method.value,
        "params": result.params,
        "features": features,
        "input": str(emb_path),
        "rows": int(labels.size),
        "seconds": round(result.seconds, 3),
        "sizes": [{"cluster": c, "count": n} for c, n in clustering.sizes(labels)],
        "n_clusters": int(np.unique(labels[labels != clustering.NOISE]).size),
        "noise_share": float((labels == clustering.NOISE).mean()),
    }
    if "per_class" in result.info:
        summary["per_class"] = result.info["per_class"]
    elif result.info:
        summary["eps_auto"] = result.info
    if "labels" in emb:
        summary["mystery"] = clustering.evaluation(emb["labels"], labels)
    if originals is not None:
        summary["original"] = clustering.evaluation(originals, labels, CATEGORIES)
    summary["warnings"] = clustering.warnings_for(labels, method, result.params)
    summary["provenance"] = artifacts.provenance(
        {"embeddings": emb_path, "coords": coords, "answer_key": answer_key}, seed
    )
    artifacts.save(artifacts.Artifact("clusters", {"labels": labels}, summary), out_path)
    summary["written"] = str(out_path)

    for w in summary["warnings"]:
        _ui.log(f"warning: {w}")
    if as_json:
        _ui.print_json(summary)
        return
    shown = {k: v for k, v in result.params.items() if v is not None}
    if coords is not None:
        what = f"the map {coords}"
    else:
        what = ("standardized " if scale else "") + "encoding" + (f", PCA to {pca}" if pca else "")
    _ui.out().print(
        f"{method.value} on {summary['rows']:,} rows of {what} "
        f"({', '.join(f'{k} {v:.4g}' if isinstance(v, float) else f'{k} {v}' for k, v in shown.items())}) "
        f"in {result.seconds:.1f}s"
    )
    if "eps_auto" in summary:
        _ui.out().print(f"eps auto = {result.info['eps']:.4g}: {result.info['how']}")
    for c, part in summary.get("per_class", {}).items():
        knobs = ", ".join(
            f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}"
            for k, v in part["params"].items()
            if k in ("k", "eps", "min_cluster_size")
        )
        _ui.out().print(f"  mystery class {c}: clusters {', '.join(map(str, part['clusters'])) or 'none'} ({knobs})")
    _ui.table(
        f"Cluster sizes ({summary['n_clusters']} clusters, {summary['noise_share']:.1%} noise)",
        ["cluster", "count"],
        [["noise" if c == -1 else c, n] for c, n in clustering.sizes(labels)],
    )
    if "mystery" in summary:
        _print_evaluation("vs mystery labels", summary["mystery"])
    if "original" in summary:
        _print_evaluation("vs original categories", summary["original"])
    _ui.out().print(f"wrote {out_path}")
