"""How well clusters match known labels: sizes, the cross table, ARI/NMI/Hungarian accuracy, warnings.

Clusters follow what images look like (the 10 original categories) while each mystery class merges several
of them, so :func:`evaluation` is meant to be run twice: against the mystery labels and, with the answer key,
against the original categories; :func:`crosstab` shows which clusters make up a class.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from fmtwist_cli import artifacts
from fmtwist_cli.errors import FmtwistError
from fmtwist_cli.groups.dbscan import NOISE

MOSTLY = 0.8  # share of points that triggers the "almost all noise / one cluster" warnings


def sizes(labels: np.ndarray) -> list[tuple[int, int]]:
    """(cluster, count) pairs, largest first (the notebook's value_counts)."""
    values, counts = np.unique(np.asarray(labels), return_counts=True)
    order = np.lexsort((values, -counts))
    return [(int(values[i]), int(counts[i])) for i in order]


def crosstab(
    rows: np.ndarray, cols: np.ndarray, rows_listed: Sequence[int] = (), cols_listed: Sequence[int] = ()
) -> tuple[list[int], list[int], np.ndarray]:
    """The cross table of two labellings of the same points, e.g. cluster x class:
    (row ids, column ids, counts[row, column]), ids ascending (noise, -1, first).
    ``rows_listed``/``cols_listed``: ids to list even where no point has them."""
    rows, cols = np.asarray(rows), np.asarray(cols)
    if rows.shape != cols.shape or rows.ndim != 1:
        raise FmtwistError(f"labels differ in shape: {list(rows.shape)} and {list(cols.shape)}")
    row_ids = np.unique(np.concatenate([rows, np.asarray(rows_listed, dtype=rows.dtype)]))
    col_ids = np.unique(np.concatenate([cols, np.asarray(cols_listed, dtype=cols.dtype)]))
    counts = np.zeros((row_ids.size, col_ids.size), dtype=np.int64)
    np.add.at(counts, (np.searchsorted(row_ids, rows), np.searchsorted(col_ids, cols)), 1)
    return [int(v) for v in row_ids], [int(v) for v in col_ids], counts


def matched_accuracy(labels_true: np.ndarray, labels_pred: np.ndarray) -> tuple[float, dict[int, int]]:
    """Share of points whose cluster is matched to their class, with clusters
    matched one-to-one to classes so as to maximise it (Hungarian algorithm).
    Noise and clusters left unmatched count as wrong."""
    from scipy.optimize import linear_sum_assignment

    clusters, classes, counts = crosstab(labels_pred, labels_true)
    keep = [i for i, c in enumerate(clusters) if c != NOISE]
    if not keep:
        return 0.0, {}
    sub = counts[keep]
    rows, cols = linear_sum_assignment(sub, maximize=True)
    mapping = {int(clusters[keep[r]]): int(classes[c]) for r, c in zip(rows, cols)}
    return float(sub[rows, cols].sum() / len(labels_true)), mapping


def metrics(labels_true: np.ndarray, labels_pred: np.ndarray) -> dict[str, Any]:
    """ARI, NMI, homogeneity, completeness, Hungarian-matched accuracy, noise share.

    Noise (-1) counts as one more cluster for ARI/NMI/homogeneity/completeness
    (so much noise lowers them) and as wrong for the accuracy.
    """
    from sklearn import metrics as skm

    true, pred = np.asarray(labels_true), np.asarray(labels_pred)
    if true.shape != pred.shape or true.ndim != 1:
        raise FmtwistError(f"labels differ in shape: {list(true.shape)} and {list(pred.shape)}")
    if true.size == 0:
        raise FmtwistError("no labels to compare")
    accuracy, mapping = matched_accuracy(true, pred)
    found = np.unique(pred[pred != NOISE])
    return {
        "ari": float(skm.adjusted_rand_score(true, pred)),
        "nmi": float(skm.normalized_mutual_info_score(true, pred)),
        "homogeneity": float(skm.homogeneity_score(true, pred)),
        "completeness": float(skm.completeness_score(true, pred)),
        "accuracy": accuracy,
        "noise_share": float((pred == NOISE).mean()),
        "n_clusters": int(found.size),
        "matching": {str(k): v for k, v in mapping.items()},
    }


def evaluation(
    labels_true: np.ndarray, labels_pred: np.ndarray, class_names: Sequence[str] | None = None
) -> dict[str, Any]:
    """metrics() plus the cluster x class table, as plain JSON-ready values."""
    clusters, classes, counts = crosstab(labels_pred, labels_true)
    names = [class_names[c] if class_names and 0 <= c < len(class_names) else str(c) for c in classes]
    return {
        **metrics(labels_true, labels_pred),
        "table": {"clusters": clusters, "classes": classes, "class_names": names, "counts": counts.tolist()},
    }


def one_cluster(labels: np.ndarray) -> bool:
    """Whether one cluster holds most points (:data:`MOSTLY`)."""
    biggest = max((c for k, c in sizes(labels) if k != NOISE), default=0)
    return biggest >= MOSTLY * np.asarray(labels).size


def warnings_for(labels: np.ndarray, method: str, params: dict[str, Any], better: object = None) -> list[str]:
    """Plain-language warnings when a run is degenerate; ``better``, a DBSCAN setting found to work on the same
    points (:mod:`fmtwist_cli.groups.advice`), is named instead of "a smaller --eps"."""
    labels = np.asarray(labels)
    n = labels.size
    noise = float((labels == NOISE).mean())
    biggest = max((c for k, c in sizes(labels) if k != NOISE), default=0) / n
    knob = f"eps {params['eps']:g}" if method == "dbscan" else f"min_cluster_size {params.get('min_cluster_size')}"
    out = []
    if noise >= MOSTLY:
        hint = "a larger --eps or --eps auto" if method == "dbscan" else "a smaller --min-cluster-size"
        out.append(f"{knob} leaves {noise:.0%} of points as noise; try {hint}")
    if biggest >= MOSTLY and method in ("dbscan", "hdbscan"):
        hint = "other settings or --pca" if method != "dbscan" else str(better) if better else "a smaller --eps"
        out.append(f"{knob} puts {biggest:.0%} of points in one cluster; try {hint}")
    if (
        method in ("dbscan", "hdbscan")
        and noise < 1
        and np.unique(labels[labels != NOISE]).size == 1
        and biggest < MOSTLY
    ):
        out.append(f"{knob} finds a single cluster")
    return out


def original_categories(
    index: np.ndarray, split: np.ndarray, answer_key: dict[str, Any], where: str = "answer key"
) -> np.ndarray:
    """Each embeddings row's original category, from the answer key (twist.json)."""
    originals = answer_key["original_labels"]
    sizes = {s: len(labels) for s, labels in originals.items()}
    remedy = "pass the twist.json written with the embeddings' data.npz (the same `fmtwist prepare`)"
    artifacts.check_rows(index, split, sizes, "the embeddings", where, remedy)
    out = np.empty(len(index), dtype=np.int64)
    for s in np.unique(split):
        out[split == s] = originals[s][index[split == s]]
    return out
