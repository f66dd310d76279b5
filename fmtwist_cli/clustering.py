"""Clustering the encoding: DBSCAN, K-Means, HDBSCAN, agglomerative (ward),
and the figures that say how well clusters match known labels.

Clusters follow what images look like (the 10 original categories) while each
mystery class merges several of them, so :func:`metrics` is meant to be run
twice: against the mystery labels and, with the answer key, against the
original categories; :func:`crosstab` shows which clusters make up a class.

DBSCAN here is fmtwist's own, blocked implementation: the notebook's eps 45
makes most points neighbours of most others, and scikit-learn's DBSCAN keeps
every neighbourhood in memory at once (about 31 GB for 70,000 points). This one
finds core points from each point's k-th neighbour distance and joins clusters
block by block, so memory stays O(n·block) whatever eps is.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from fmtwist_cli import twist
from fmtwist_cli.errors import FmtwistError

METHODS = ("dbscan", "kmeans", "hdbscan", "agglomerative")
NOISE = -1
BLOCK = 2048  # rows per distance block: 2048 x 2048 float32 is 16 MB
WARD_MAX_BYTES = 2 * 1024**3  # ward keeps n(n-1)/2 float64 distances
HDBSCAN_AUTO_PCA = 50  # sklearn's exact HDBSCAN costs O(n² · dims): reduce first by default
MOSTLY = 0.8  # share of points that triggers the "almost all noise / one cluster" warnings

Progress = Callable[[int, int], None]  # (done, total)


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


def prepare_features(x: np.ndarray, scale: bool = True, pca: int | None = None, seed: int | None = None) -> np.ndarray:
    """Standardize each column (the notebook's StandardScaler) and optionally
    project onto the first ``pca`` principal components. Returns float32."""
    x = np.asarray(x, dtype=np.float32)
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
# blocked distances


def _blocks(n: int, block: int) -> list[slice]:
    return [slice(s, min(s + block, n)) for s in range(0, n, block)]


def _sqdist(a: np.ndarray, a_sq: np.ndarray, b: np.ndarray, b_sq: np.ndarray) -> np.ndarray:
    d = a @ b.T
    d *= -2
    d += a_sq[:, None]
    d += b_sq[None, :]
    np.maximum(d, 0, out=d)
    return d


def kdistances(x: np.ndarray, k: int, block: int = BLOCK, progress: Progress | None = None) -> np.ndarray:
    """Distance from each point to its k-th nearest neighbour, the point itself
    counting as the first (so a point is a DBSCAN core point iff this is <= eps).

    Exact, in blocks of ``block`` rows, each pair of blocks computed once:
    memory O(n·k + block²), never all pairs.
    """
    x = np.ascontiguousarray(x, dtype=np.float32)
    n = x.shape[0]
    if not 1 <= k <= n:
        raise FmtwistError(f"k must be between 1 and the {n} points, got {k}")
    sq = np.einsum("ij,ij->i", x, x)
    best = np.full((n, k), np.inf, dtype=np.float32)
    blocks = _blocks(n, block)
    total, done = len(blocks) * (len(blocks) + 1) // 2, 0

    def merge(rows: slice, d: np.ndarray) -> None:
        cand = np.concatenate([best[rows], d], axis=1)
        best[rows] = np.partition(cand, k - 1, axis=1)[:, :k]

    for bi, rows_i in enumerate(blocks):
        for rows_j in blocks[bi:]:
            d = _sqdist(x[rows_i], sq[rows_i], x[rows_j], sq[rows_j])
            if rows_i == rows_j:
                np.fill_diagonal(d, 0.0)
            merge(rows_i, d)
            if rows_i != rows_j:
                merge(rows_j, d.T)
            done += 1
            if progress:
                progress(done, total)
    return np.sqrt(best.max(axis=1)).astype(np.float64)


def knee(values: Sequence[float] | np.ndarray) -> int:
    """Index of the knee of an increasing curve (sorted ascending).

    Kneedle's rule: scale both axes to [0, 1] and take the point farthest
    below the straight line from the first point to the last.
    """
    y = np.asarray(values, dtype=np.float64)
    if y.ndim != 1 or y.size < 3:
        raise FmtwistError(f"a knee needs at least 3 values, got {y.size}")
    span = y[-1] - y[0]
    if span <= 0:
        return int(y.size - 1)
    xn = np.linspace(0.0, 1.0, y.size)
    yn = (y - y[0]) / span
    return int(np.argmax(xn - yn))


def auto_eps(kdist: np.ndarray, min_samples: int) -> tuple[float, dict[str, Any]]:
    """eps at the knee of the sorted k-distance curve (k = min_samples)."""
    curve = np.sort(kdist)
    i = knee(curve)
    eps = float(curve[i])
    if eps <= 0:  # duplicates everywhere below the knee: take the first positive distance
        positive = curve[curve > 0]
        if positive.size == 0:
            raise FmtwistError("cannot choose eps: all points coincide")
        eps = float(positive[0])
    above = float((curve > eps).mean())
    info = {
        "eps": eps,
        "how": (
            f"knee of the sorted {min_samples}-distance curve (the point farthest below the line from its first "
            f"to its last value, both axes scaled to 0-1): rank {i + 1:,} of {curve.size:,}; "
            f"{above:.1%} of points have a larger {min_samples}-distance and cannot be core points"
        ),
        "rank": i + 1,
        "share_above": above,
    }
    return eps, info


# --------------------------------------------------------------------------
# methods


def _check_int(name: str, value: Any, low: int, n: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise FmtwistError(f"{name} must be a whole number of at least {low}, got {value}")
    if n is not None and value > n:
        raise FmtwistError(f"{name} {value} is more than the {n} points to cluster")
    return int(value)


def dbscan(
    x: np.ndarray,
    eps: float,
    min_samples: int = 15,
    kdist: np.ndarray | None = None,
    block: int = BLOCK,
    progress: Progress | None = None,
) -> np.ndarray:
    """DBSCAN (as scikit-learn's, euclidean) with O(n·block) memory.

    Core points: k-distance <= eps with k = min_samples (the point counts).
    Core points within eps are joined block pair by block pair (union of
    components, skipping pairs already joined); each other point takes the
    cluster of the first core point within eps, else it is noise (-1).
    Only border points reachable from two clusters may be labelled
    differently from scikit-learn, whose choice there is order-dependent too.
    """
    x = np.ascontiguousarray(x, dtype=np.float32)
    n = x.shape[0]
    if not eps > 0:
        raise FmtwistError(f"eps must be greater than 0, got {eps}")
    min_samples = _check_int("min_samples", min_samples, 1)
    if kdist is None:
        kdist = kdistances(x, min(min_samples, n), block, progress)
    core = kdist <= eps if min_samples <= n else np.zeros(n, dtype=bool)
    eps2 = np.float32(eps) ** 2
    sq = np.einsum("ij,ij->i", x, x)
    comp = np.arange(n)  # component of each core point (a representative index)
    owner = np.full(n, -1)  # for other points: the core point that claims them
    blocks = _blocks(n, block)
    core_idx = [np.flatnonzero(core[b]) + b.start for b in blocks]
    total, done = len(blocks) * (len(blocks) + 1) // 2, 0

    def join(a: np.ndarray, b: np.ndarray) -> None:
        nonlocal comp
        ca, cb = comp[a], comp[b]
        keep = ca != cb
        if not keep.any():
            return
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import connected_components

        ca, cb = ca[keep], cb[keep]
        nodes = np.unique(np.concatenate([ca, cb]))
        la, lb = np.searchsorted(nodes, ca), np.searchsorted(nodes, cb)
        graph = coo_matrix((np.ones(la.size, dtype=np.int8), (la, lb)), shape=(nodes.size, nodes.size))
        _, lab = connected_components(graph, directed=False)
        rep = np.full(lab.max() + 1, n)
        np.minimum.at(rep, lab, nodes)
        remap = np.arange(n)
        remap[nodes] = rep[lab]
        comp = remap[comp]

    def claim(rows: np.ndarray, cores: np.ndarray) -> None:
        todo = rows[owner[rows] < 0]
        if todo.size == 0 or cores.size == 0:
            return
        near = _sqdist(x[todo], sq[todo], x[cores], sq[cores]) <= eps2
        hit = near.any(axis=1)
        owner[todo[hit]] = cores[near[hit].argmax(axis=1)]

    for bi, rows_i in enumerate(blocks):
        all_i = np.arange(rows_i.start, rows_i.stop)
        other_i = all_i[~core[rows_i]]
        for bj in range(bi, len(blocks)):
            ci, cj = core_idx[bi], core_idx[bj]
            if ci.size and cj.size:
                # Pairs of core points already in one component need no
                # distance: skip the block's largest component against itself,
                # which is most of the work when one cluster dominates.
                lab_i, lab_j = comp[ci], comp[cj]
                values, counts = np.unique(np.concatenate([lab_i, lab_j]), return_counts=True)
                if values.size > 1:
                    big = values[counts.argmax()]
                    other_ci, other_cj = lab_i != big, lab_j != big
                    for rows, cols in ((ci[other_ci], cj), (ci[~other_ci], cj[other_cj])):
                        if rows.size and cols.size:
                            a, b = np.nonzero(_sqdist(x[rows], sq[rows], x[cols], sq[cols]) <= eps2)
                            join(rows[a], cols[b])
            claim(other_i, cj)
            if bj != bi:
                rows_j = blocks[bj]
                claim(np.arange(rows_j.start, rows_j.stop)[~core[rows_j]], ci)
            done += 1
            if progress:
                progress(done, total)

    labels = np.full(n, NOISE, dtype=np.int64)
    reps = comp.copy()
    reps[~core] = -1
    claimed = (~core) & (owner >= 0)
    reps[claimed] = comp[owner[claimed]]
    found = reps >= 0
    # number clusters 0.. in order of their first core point, as scikit-learn does
    ids = np.unique(reps[core])
    first = np.full(n, n)
    np.minimum.at(first, reps[core], np.flatnonzero(core))
    number = np.full(n, NOISE, dtype=np.int64)
    number[ids[np.argsort(first[ids])]] = np.arange(ids.size)
    labels[found] = number[reps[found]]
    return labels


def kmeans(x: np.ndarray, k: int, n_init: int = 10, seed: int | None = None) -> np.ndarray:
    from sklearn.cluster import KMeans

    k = _check_int("k", k, 1, x.shape[0])
    n_init = _check_int("n_init", n_init, 1)
    return KMeans(n_clusters=k, n_init=n_init, random_state=seed).fit_predict(x).astype(np.int64)


def hdbscan(x: np.ndarray, min_cluster_size: int = 15, min_samples: int | None = None) -> np.ndarray:
    """scikit-learn's HDBSCAN (exact; tree-based, O(n) memory, O(n²·dims) time)."""
    from sklearn.cluster import HDBSCAN

    min_cluster_size = _check_int("min_cluster_size", min_cluster_size, 2, x.shape[0])
    if min_samples is not None:
        min_samples = _check_int("min_samples", min_samples, 1, x.shape[0])
    model = HDBSCAN(min_cluster_size=min_cluster_size, min_samples=min_samples, copy=True)
    return model.fit_predict(x).astype(np.int64)


def agglomerative(x: np.ndarray, k: int) -> np.ndarray:
    """Ward linkage; it holds all n(n-1)/2 distances, so it refuses very large n."""
    from sklearn.cluster import AgglomerativeClustering

    n = x.shape[0]
    k = _check_int("k", k, 1, n)
    need = n * (n - 1) // 2 * 8
    if need > WARD_MAX_BYTES:
        raise FmtwistError(
            f"agglomerative (ward) clustering of {n:,} points needs {need / 1024**3:.1f} GB for all pairwise "
            f"distances (limit {WARD_MAX_BYTES / 1024**3:.0f} GB); use kmeans, hdbscan or dbscan, or fewer rows"
        )
    if n == 1:
        return np.zeros(1, dtype=np.int64)
    return AgglomerativeClustering(n_clusters=k, linkage="ward").fit_predict(x).astype(np.int64)


def default_pca(method: str, dims: int) -> int | None:
    """PCA applied when the user asks for none: HDBSCAN's exact tree search
    costs O(n² · dims), so it runs on 50 components unless told otherwise."""
    return HDBSCAN_AUTO_PCA if method == "hdbscan" and dims > HDBSCAN_AUTO_PCA else None


def validate_params(method: str, n: int, params: dict[str, Any]) -> None:
    """Check a method's parameters before any heavy work (and before any file is written)."""
    if method not in METHODS:
        raise FmtwistError(f"unknown method '{method}': choose one of {', '.join(METHODS)}")
    if method == "dbscan":
        eps = params.get("eps")
        if eps != "auto" and not (isinstance(eps, (int, float)) and eps > 0 and np.isfinite(eps)):
            raise FmtwistError(f"eps must be a number greater than 0 or 'auto', got {eps}")
        _check_int("min_samples", params.get("min_samples"), 1)
    elif method in ("kmeans", "agglomerative"):
        if params.get("k") != "auto":
            _check_int("k", params.get("k"), 1, n)
        if method == "kmeans":
            _check_int("n_init", params.get("n_init"), 1)
    else:
        _check_int("min_cluster_size", params.get("min_cluster_size"), 2, n)
        if params.get("min_samples") is not None:
            _check_int("min_samples", params["min_samples"], 1, n)


def run(method: str, x: np.ndarray, params: dict[str, Any], progress: Progress | None = None) -> Result:
    """Cluster ``x`` (already prepared) with one method; params as validate_params."""
    validate_params(method, x.shape[0], params)
    start = time.perf_counter()
    info: dict[str, Any] = {}
    if method == "dbscan":
        k = min(params["min_samples"], x.shape[0])

        def phase(first: bool) -> Progress | None:  # two passes over the blocks, one bar
            if progress is None:
                return None
            return lambda done, total: progress(done if first else total + done, 2 * total)

        kdist = kdistances(x, k, progress=phase(True))
        eps = params["eps"]
        if eps == "auto":
            eps, info = auto_eps(kdist, params["min_samples"])
        labels = dbscan(x, float(eps), params["min_samples"], kdist=kdist, progress=phase(False))
        params = {**params, "eps": float(eps)}
    elif method == "kmeans":
        labels = kmeans(x, params["k"], params["n_init"], params.get("seed"))
    elif method == "hdbscan":
        labels = hdbscan(x, params["min_cluster_size"], params.get("min_samples"))
    else:
        labels = agglomerative(x, params["k"])
    return Result(method, labels, params, info, time.perf_counter() - start)


def category_units(class_size: int, total: int) -> int:
    """How many categories' worth of images a class of ``total`` holds, as a
    whole number of at least 1 (:func:`fmtwist_cli.twist.category_units`)."""
    return max(1, int(round(twist.category_units([class_size, total - class_size])[0])))


def run_within(
    method: str, x: np.ndarray, classes: np.ndarray, params: dict[str, Any], progress: Progress | None = None
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
        if p.get("k") == "auto":
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
        per_class[str(int(c))] = {"clusters": list(range(offset, offset + n_found)), "params": result.params, **result.info}
        offset += n_found
    return Result(method, labels, {**params, "within_classes": True}, {"per_class": per_class}, time.perf_counter() - start)


# --------------------------------------------------------------------------
# figures


def sizes(labels: np.ndarray) -> list[tuple[int, int]]:
    """(cluster, count) pairs, largest first (the notebook's value_counts)."""
    values, counts = np.unique(np.asarray(labels), return_counts=True)
    order = np.lexsort((values, -counts))
    return [(int(values[i]), int(counts[i])) for i in order]


def crosstab(labels_pred: np.ndarray, labels_true: np.ndarray) -> tuple[list[int], list[int], np.ndarray]:
    """Cluster x class counts: (cluster ids, class ids, counts[cluster, class])."""
    pred, true = np.asarray(labels_pred), np.asarray(labels_true)
    clusters, pi = np.unique(pred, return_inverse=True)
    classes, ti = np.unique(true, return_inverse=True)
    counts = np.zeros((clusters.size, classes.size), dtype=np.int64)
    np.add.at(counts, (pi, ti), 1)
    return clusters.tolist(), classes.tolist(), counts


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


def evaluation(labels_true: np.ndarray, labels_pred: np.ndarray, class_names: Sequence[str] | None = None) -> dict[str, Any]:
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
    if method in ("dbscan", "hdbscan") and noise < 1 and np.unique(labels[labels != NOISE]).size == 1 and biggest < MOSTLY:
        out.append(f"{knob} finds a single cluster")
    return out


def original_categories(index: np.ndarray, split: np.ndarray, answer_key: dict[str, Any], where: str = "answer key") -> np.ndarray:
    """Each embeddings row's original category, from the answer key (twist.json)."""
    originals = answer_key["original_labels"]
    out = np.empty(len(index), dtype=np.int64)
    for s in np.unique(split):
        rows = split == s
        if s not in originals:
            raise FmtwistError(f"{where} has no original labels for split '{s}'")
        idx = index[rows]
        if idx.size and (idx.min() < 0 or idx.max() >= originals[s].size):
            raise FmtwistError(
                f"{where} does not match the embeddings: a {s} row index is outside 0..{originals[s].size - 1} "
                "(was it made by the same `fmtwist prepare`?)"
            )
        out[rows] = originals[s][idx]
    return out
