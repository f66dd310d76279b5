"""Clustering the encoding: DBSCAN, K-Means, HDBSCAN, agglomerative (ward), over all rows or class by class.

The features come from :mod:`.features`; how well the clusters match known labels is :mod:`.scores`.
Each method's parameters and their limits are declared once, in
:data:`PARAMETERS`, and checked once, by :func:`validate_params`, before any
work (as scikit-learn's ``_parameter_constraints``). DBSCAN is fmtwist's own,
blocked implementation (:mod:`fmtwist_cli.groups.dbscan`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import numpy as np

from fmtwist_cli.data import twist
from fmtwist_cli.errors import FmtwistError
from fmtwist_cli.groups.dbscan import NOISE, auto_eps, dbscan, kdistances
from fmtwist_cli.params import Limit, choice
from fmtwist_cli.result import Progress

WARD_MAX_BYTES = 2 * 1024**3  # ward keeps n(n-1)/2 float64 distances
AUTO = "auto"


class Method(str, Enum):
    """The clustering methods (``fmtwist cluster --method``)."""

    dbscan = "dbscan"
    kmeans = "kmeans"
    hdbscan = "hdbscan"
    agglomerative = "agglomerative"


# Every parameter each method takes, with its limits: the one place they are declared.
PARAMETERS: dict[Method, dict[str, Limit]] = {
    Method.dbscan: {"eps": Limit(0, whole=False, also=(AUTO,)), "min_samples": Limit(1)},
    Method.kmeans: {"k": Limit(1, up_to_n=True, also=(AUTO,)), "n_init": Limit(1), "seed": Limit(0, also=(None,))},
    Method.hdbscan: {"min_cluster_size": Limit(2, up_to_n=True), "min_samples": Limit(1, up_to_n=True, also=(None,))},
    Method.agglomerative: {"k": Limit(1, up_to_n=True, also=(AUTO,))},
}


def as_method(method: Method | str) -> Method:
    return choice(Method, method, "method")


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


def run_within(
    method: Method | str, x: np.ndarray, classes: np.ndarray, params: dict[str, Any], progress: Progress | None = None
) -> Result:
    """Cluster each class's rows on their own and number the clusters class
    by class (noise stays -1).

    The mystery labels already tell apart categories that every clustering of
    the whole set merges (in the default twist Pullover sits in another class
    than Coat and Shirt, which look alike); what is left is to split each
    class into the categories merged into it. For kmeans and agglomerative,
    ``params["k"] == "auto"`` gives each class as many clusters as it holds categories' worth of images
    (:func:`fmtwist_cli.data.twist.category_units`).
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
            p["k"] = int(twist.category_units([rows.size, x.shape[0] - rows.size], whole=True)[0])
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
