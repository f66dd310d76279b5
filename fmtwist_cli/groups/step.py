"""The cluster step (``fmtwist cluster``, ``Workspace.cluster``): features, one method, scores, clusters-*.npz."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from fmtwist_cli import artifacts
from fmtwist_cli.artifacts.layout import Layout
from fmtwist_cli.data.twist import CATEGORIES
from fmtwist_cli.errors import ParameterError
from fmtwist_cli.groups import advice, clustering, features, scores
from fmtwist_cli.groups.clustering import Method
from fmtwist_cli.params import choice
from fmtwist_cli.result import Log, Progress, Result, quiet, to_stderr


def _default_k(emb: artifacts.Artifact) -> int:
    if "labels" in emb and emb["labels"].size:
        return int(emb["labels"].max()) + 1
    return int(emb["probs"].shape[1])


def method_params(method: Method, emb: artifacts.Artifact, within_classes: bool, **given: Any) -> dict[str, Any]:
    """The parameters this method takes, from the step's options, checked against :data:`clustering.PARAMETERS`."""
    if method is Method.dbscan:
        eps = given["eps"]
        params = {
            "eps": clustering.parse_eps(eps) if isinstance(eps, str) else eps,
            "min_samples": given["min_samples"],
        }
    elif method is Method.hdbscan:
        params = {"min_cluster_size": given["min_cluster_size"]}
    else:
        k = given["k"]
        params = {"k": k if k is not None else ("auto" if within_classes else _default_k(emb))}
        if method is Method.kmeans:
            params.update(n_init=given["n_init"], seed=given["seed"])
    return clustering.validate_params(method, emb.rows(), params)


def cluster(
    folder: str | Path = "artifacts",
    *,
    method: Method | str = Method.kmeans,
    embeddings: str | Path | None = None,
    coords: str | Path | None = None,
    scale: bool = True,
    pca: int | None = None,
    eps: float | str = "auto",
    min_samples: int = 15,
    k: int | None = None,
    n_init: int = 10,
    min_cluster_size: int = 15,
    within_classes: bool = False,
    answer_key: str | Path | None = None,
    out: str | Path | None = None,
    seed: int | None = None,
    progress: Progress = quiet,
    log: Log = to_stderr,
) -> Result:
    """Cluster the encoding (or a 2-D map) and score the clusters; write clusters-METHOD.npz.

    ``method``: dbscan, kmeans, hdbscan or agglomerative (ward). ``eps``: DBSCAN's radius, or "auto" for
    the knee of the k-distance curve. ``k``: clusters for K-Means/agglomerative (default: the number of
    mystery classes). ``within_classes``: cluster each mystery class on its own. ``answer_key``: also
    score against the 10 original categories. Returns the clusters artifact; ``summary`` is what
    ``fmtwist cluster --json`` prints.

        ws.cluster(method="dbscan", eps=45, min_samples=15)
    """
    method = choice(Method, method, "method")
    layout = Layout(folder)
    emb_path = Path(embeddings) if embeddings is not None else layout.embeddings
    out_path = Path(out) if out is not None else layout.clusters(method.value, within_classes)
    coords = Path(coords) if coords is not None else None
    emb = artifacts.load(emb_path, "embeddings")
    key = artifacts.load_answer_key(answer_key) if answer_key is not None else None
    if key is not None:
        artifacts.check_same_input(
            (answer_key, key),
            emb,
            "data",
            "pass the twist.json written with the data.npz these embeddings were made from",
        )
    originals = scores.original_categories(emb["index"], emb["split"], key, str(answer_key)) if key else None
    if within_classes and "labels" not in emb:
        raise ParameterError("{} needs the mystery labels, and " + f"{emb_path} has none", "within_classes")
    params = method_params(
        method,
        emb,
        within_classes,
        eps=eps,
        min_samples=min_samples,
        min_cluster_size=min_cluster_size,
        k=k,
        n_init=n_init,
        seed=seed,
    )
    if pca is None and coords is None:
        pca = features.default_pca(method, emb["embedding"].shape[1])
    x, made_from = features.load_features(emb, coords, scale, pca, seed)

    def tick(done: int, total: int) -> None:
        progress(done, total, f"{method.value}: distance blocks")

    if within_classes:
        result = clustering.run_within(method, x, emb["labels"], params, progress=tick)
    else:
        result = clustering.run(method, x, params, progress=tick)
    labels = result.labels
    better = None
    if method is Method.dbscan and not within_classes and scores.one_cluster(labels):
        progress(0, 1, "dbscan: one cluster; trying other settings")
        better = advice.better_setting(emb, layout.root, result.params["min_samples"], made_from, seed)
    record = artifacts.ClustersMeta(
        method=method.value,
        params=result.params,
        features=made_from,
        input=str(emb_path),
        rows=int(labels.size),
        seconds=round(result.seconds, 3),
        sizes=[{"cluster": c, "count": n} for c, n in scores.sizes(labels)],
        n_clusters=int(np.unique(labels[labels != clustering.NOISE]).size),
        noise_share=float((labels == clustering.NOISE).mean()),
        per_class=result.info.get("per_class"),
        eps_auto=result.info if result.info and "per_class" not in result.info else None,
        mystery=scores.evaluation(emb["labels"], labels) if "labels" in emb else None,
        original=scores.evaluation(originals, labels, CATEGORIES) if originals is not None else None,
        warnings=scores.warnings_for(labels, method, result.params, better),
        provenance=artifacts.provenance({"embeddings": emb_path, "coords": coords, "answer_key": answer_key}, seed),
    )
    meta = record.to_meta()
    clusters = artifacts.Artifact("clusters", {"labels": labels}, meta)
    artifacts.save(clusters, out_path)  # which stamps kind and version on clusters.meta: the file, as loaded
    summary: dict[str, Any] = {**meta, "written": str(out_path)}
    for warning in record.warnings:
        log(f"warning: {warning}")
    return Result(out_path, summary, artifact=clusters, paths=[out_path])
