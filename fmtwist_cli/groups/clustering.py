"""Clustering the encoding: DBSCAN, K-Means, HDBSCAN, agglomerative (ward),
and the figures that say how well clusters match known labels.

Clusters follow what images look like (the 10 original categories) while each
mystery class merges several of them, so :func:`metrics` is meant to be run
twice: against the mystery labels and, with the answer key, against the
original categories; :func:`crosstab` shows which clusters make up a class.

Each method's parameters and their limits are declared once, in
:data:`PARAMETERS`, and checked once, by :func:`validate_params`, before any
work (as scikit-learn's ``_parameter_constraints``). DBSCAN is fmtwist's own,
blocked implementation (:mod:`fmtwist_cli.groups.dbscan`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import numpy as np

from fmtwist_cli import artifacts
from fmtwist_cli.data import twist
from fmtwist_cli.errors import FmtwistError
from fmtwist_cli.groups.dbscan import NOISE, Progress, auto_eps, dbscan, kdistances

WARD_MAX_BYTES = 2 * 1024**3  # ward keeps n(n-1)/2 float64 distances
HDBSCAN_AUTO_PCA = 50  # sklearn's exact HDBSCAN costs O(n² · dims): reduce first by default
MOSTLY = 0.8  # share of points that triggers the "almost all noise / one cluster" warnings
AUTO = "auto"


class Method(str, Enum):
    """The clustering methods (``fmtwist cluster --method``)."""

    dbscan = "dbscan"
    kmeans = "kmeans"
    hdbscan = "hdbscan"
    agglomerative = "agglomerative"


@dataclass(frozen=True)
class Limit:
    """What one parameter accepts: a whole number of at least ``low`` (at most
    the number of points when ``up_to_n``), or with ``whole=False`` a finite
    number greater than ``low``; or one of the ``also`` values ("auto", None)."""

    low: int | float
    whole: bool = True
    up_to_n: bool = False
    also: tuple[Any, ...] = ()

    def check(self, name: str, value: Any, n: int | None = None) -> Any:
        if value is None and None in self.also or isinstance(value, str) and value in self.also:
            return value
        number = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
        if self.whole:
            if not number or not isinstance(value, (int, np.integer)) or value < self.low:
                raise FmtwistError(f"{name} must be a whole number of at least {self.low}, got {value}")
            if self.up_to_n and n is not None and value > n:
                raise FmtwistError(f"{name} {value} is more than the {n} points to cluster")
            return int(value)
        if not number or not math.isfinite(value) or not value > self.low:
            auto = "".join(f" or '{a}'" for a in self.also if a is not None)
            raise FmtwistError(f"{name} must be a number greater than {self.low:g}{auto}, got {value}")
        return float(value)


# Every parameter each method takes, with its limits: the one place they are declared.
PARAMETERS: dict[Method, dict[str, Limit]] = {
    Method.dbscan: {"eps": Limit(0, whole=False, also=(AUTO,)), "min_samples": Limit(1)},
    Method.kmeans: {"k": Limit(1, up_to_n=True, also=(AUTO,)), "n_init": Limit(1), "seed": Limit(0, also=(None,))},
    Method.hdbscan: {"min_cluster_size": Limit(2, up_to_n=True), "min_samples": Limit(1, up_to_n=True, also=(None,))},
    Method.agglomerative: {"k": Limit(1, up_to_n=True, also=(AUTO,))},
}


def as_method(method: Method | str) -> Method:
    try:
        return Method(method)
    except ValueError:
        choices = ", ".join(m.value for m in Method)
        raise FmtwistError(f"unknown method '{method}': choose one of {choices}") from None


def validate_params(method: Method | str, n: int, params: dict[str, Any]) -> dict[str, Any]:
    """Check a method's parameters against :data:`PARAMETERS` before any heavy
    work (and before any file is written); return them as plain numbers."""
    limits = PARAMETERS[as_method(method)]
    unknown = sorted(set(params) - set(limits))
    if unknown:
        raise FmtwistError(f"{Method(method).value} takes no {', '.join(unknown)} (it takes {', '.join(limits)})")
    return {
        name: limit.check(name, params.get(name), n)
        for name, limit in limits.items()
        if name in params or None not in limit.also
    }


def parse_eps(text: str) -> float | str:
    """``--eps`` as typed: "auto" or a number, within DBSCAN's limit for eps."""
    word = text.strip().lower()
    if word == AUTO:
        return AUTO
    try:
        value: Any = float(word)
    except ValueError:
        value = text  # refused by the limit, in its words
    return PARAMETERS[Method.dbscan]["eps"].check("eps", value)


@dataclass
class Result:
    """Labels of one clustering run, with what made them."""

    method: str
    labels: np.ndarray
    params: dict[str, Any]
    info: dict[str, Any] = field(default_factory=dict)  # e.g. how eps was chosen
    seconds: float = 0.0


# --------------------------------------------------------------------------
# features


def prepare_features(
    x: np.ndarray, scale: bool = True, pca: int | None = None, seed: int | None = None, where: str = "the features"
) -> np.ndarray:
    """Standardize each column (the notebook's StandardScaler) and optionally
    project onto the first ``pca`` principal components. Returns float32.
    ``where`` names the features' file in error messages."""
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 2 and x.shape[0] > 0 and x.shape[1] == 0:
        raise FmtwistError(
            f"{where} has an empty embedding ({x.shape[0]} rows of 0 values): nothing to measure distances on; "
            "embed again with a model whose encoding layer has outputs (`fmtwist embed --layer`)"
        )
    if x.ndim != 2 or x.shape[0] == 0:
        raise FmtwistError(f"features must be a non-empty 2-D array, got shape {list(x.shape)}")
    if not np.isfinite(x).all():
        raise FmtwistError("features hold NaN or infinite values")
    if pca is not None and not 1 <= pca <= min(x.shape):
        raise FmtwistError(f"pca must be between 1 and {min(x.shape)} (rows and columns of the features), got {pca}")
    if scale:
        from sklearn.preprocessing import StandardScaler

        x = StandardScaler().fit_transform(x)
    if pca is not None:
        from sklearn.decomposition import PCA

        x = PCA(n_components=pca, random_state=seed).fit_transform(x)
    return np.ascontiguousarray(x, dtype=np.float32)


# --------------------------------------------------------------------------
# methods


def kmeans(x: np.ndarray, k: int, n_init: int = 10, seed: int | None = None) -> np.ndarray:
    from sklearn.cluster import KMeans

    return KMeans(n_clusters=k, n_init=n_init, random_state=seed).fit_predict(x).astype(np.int64)


def hdbscan(x: np.ndarray, min_cluster_size: int = 15, min_samples: int | None = None) -> np.ndarray:
    """scikit-learn's HDBSCAN (exact; tree-based, O(n) memory, O(n²·dims) time)."""
    from sklearn.cluster import HDBSCAN

    model = HDBSCAN(min_cluster_size=min_cluster_size, min_samples=min_samples, copy=True)
    return model.fit_predict(x).astype(np.int64)


def agglomerative(x: np.ndarray, k: int) -> np.ndarray:
    """Ward linkage; it holds all n(n-1)/2 distances, so it refuses very large n."""
    from sklearn.cluster import AgglomerativeClustering

    n = x.shape[0]
    need = n * (n - 1) // 2 * 8
    if need > WARD_MAX_BYTES:
        raise FmtwistError(
            f"agglomerative (ward) clustering of {n:,} points needs {need / 1024**3:.1f} GB for all pairwise "
            f"distances (limit {WARD_MAX_BYTES / 1024**3:.0f} GB); use kmeans, hdbscan or dbscan, or fewer rows"
        )
    if n == 1:
        return np.zeros(1, dtype=np.int64)
    return AgglomerativeClustering(n_clusters=k, linkage="ward").fit_predict(x).astype(np.int64)


def default_pca(method: Method | str, dims: int) -> int | None:
    """PCA applied when the user asks for none: HDBSCAN's exact tree search
    costs O(n² · dims), so it runs on 50 components unless told otherwise."""
    return HDBSCAN_AUTO_PCA if Method(method) is Method.hdbscan and dims > HDBSCAN_AUTO_PCA else None


def run(method: Method | str, x: np.ndarray, params: dict[str, Any], progress: Progress | None = None) -> Result:
    """Cluster ``x`` (already prepared) with one method; params as in :data:`PARAMETERS`."""
    method = as_method(method)
    params = validate_params(method, x.shape[0], params)
    start = time.perf_counter()
    info: dict[str, Any] = {}
    if method is Method.dbscan:
        k = min(params["min_samples"], x.shape[0])

        def phase(first: bool) -> Progress | None:  # two passes over the blocks, one bar
            if progress is None:
                return None
            return lambda done, total: progress(done if first else total + done, 2 * total)

        kdist = kdistances(x, k, progress=phase(True))
        eps = params["eps"]
        if eps == AUTO:
            eps, info = auto_eps(kdist, params["min_samples"])
        labels = dbscan(x, float(eps), params["min_samples"], kdist=kdist, progress=phase(False))
        params = {**params, "eps": float(eps)}
    elif method is Method.kmeans:
        labels = kmeans(x, params["k"], params["n_init"], params.get("seed"))
    elif method is Method.hdbscan:
        labels = hdbscan(x, params["min_cluster_size"], params.get("min_samples"))
    else:
        labels = agglomerative(x, params["k"])
    return Result(method.value, labels, params, info, time.perf_counter() - start)


def category_units(class_size: int, total: int) -> int:
    """How many categories' worth of images a class of ``total`` holds, as a
    whole number of at least 1 (:func:`fmtwist_cli.data.twist.category_units`)."""
    return max(1, int(round(twist.category_units([class_size, total - class_size])[0])))


def run_within(
    method: Method | str, x: np.ndarray, classes: np.ndarray, params: dict[str, Any], progress: Progress | None = None
) -> Result:
    """Cluster each class's rows on their own and number the clusters class
    by class (noise stays -1).

    The mystery labels already tell apart categories that every clustering of
    the whole set merges (in the default twist Pullover sits in another class
    than Coat and Shirt, which look alike); what is left is to split each
    class into the categories merged into it. For kmeans and agglomerative,
    ``params["k"] == "auto"`` gives each class :func:`category_units` clusters.
    """
    classes = np.asarray(classes)
    if classes.shape != (x.shape[0],):
        raise FmtwistError(f"{classes.size} class labels for {x.shape[0]} rows")
    values = np.unique(classes)
    labels = np.full(x.shape[0], NOISE, dtype=np.int64)
    per_class: dict[str, Any] = {}
    start, offset = time.perf_counter(), 0
    for i, c in enumerate(values):
        rows = np.flatnonzero(classes == c)
        p = dict(params)
        if p.get("k") == AUTO:
            p["k"] = category_units(rows.size, x.shape[0])
        if "k" in p:
            p["k"] = min(p["k"], rows.size)
        if "min_cluster_size" in p:
            p["min_cluster_size"] = min(p["min_cluster_size"], max(2, rows.size))
        step = None if progress is None else (lambda done, total, i=i: progress(i * total + done, len(values) * total))
        result = run(method, x[rows], p, step)
        found = result.labels >= 0
        labels[rows[found]] = result.labels[found] + offset
        n_found = int(result.labels.max()) + 1 if found.any() else 0
        per_class[str(int(c))] = {
            "clusters": list(range(offset, offset + n_found)),
            "params": result.params,
            **result.info,
        }
        offset += n_found
    return Result(
        Method(method).value,
        labels,
        {**params, "within_classes": True},
        {"per_class": per_class},
        time.perf_counter() - start,
    )


# --------------------------------------------------------------------------
# figures


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


def warnings_for(labels: np.ndarray, method: str, params: dict[str, Any]) -> list[str]:
    """Plain-language warnings when a run is degenerate."""
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
        hint = "a smaller --eps" if method == "dbscan" else "other settings or --pca"
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
