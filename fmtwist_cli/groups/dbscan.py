"""fmtwist's own DBSCAN, blocked, and the k-distance curve that chooses its eps.

The notebook's eps 45 makes most points neighbours of most others, and
scikit-learn's DBSCAN keeps every neighbourhood in memory at once (about 31 GB
for 70,000 points). This one finds core points from each point's k-th
neighbour distance and joins clusters block by block, so memory stays
O(n·block) whatever eps is.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from fmtwist_cli.errors import FmtwistError
from fmtwist_cli.result import Progress

NOISE = -1  # the label of points in no cluster (DBSCAN's and HDBSCAN's convention)
BLOCK = 2048  # rows per distance block: 2048 x 2048 float32 is 16 MB


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
# DBSCAN


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
    Parameters are checked by :func:`fmtwist_cli.groups.clustering.validate_params`.
    """
    x = np.ascontiguousarray(x, dtype=np.float32)
    n = x.shape[0]
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
