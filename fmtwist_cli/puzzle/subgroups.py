"""Sub-groups: how many categories each mystery class holds, found without any labels.

A class merged from three categories should fall apart into three groups of
points on the map of the network's encoding. :func:`count_subgroups` counts the
distinct, stable groups of one class's points, using nothing but their
coordinates. A second label-free fact completes the count: Fashion-MNIST has as
many images of every category, so a class's size says how many categories it
holds (:func:`~fmtwist_cli.data.twist.category_units`). Pure numpy and scikit-learn: no model is loaded here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fmtwist_cli.data.twist import category_units
from fmtwist_cli.errors import FmtwistError
from fmtwist_cli.puzzle.guess import N_CATEGORIES, check_labels


@dataclass
class SubGroups:
    """The distinct groups one mystery class splits into on the map.

    ``labels[i]`` is point i's group (0..count-1); ``core[i]`` is False for
    stragglers (points between groups, small islands), which join the group of
    their nearest core point. ``typical[g]`` lists the positions (into the
    class's points) nearest group g's centre, most typical first.
    ``stability`` is the fraction of random halves of the class that show the
    same number of groups as the whole map (``counts_seen``, ``map_count``).
    ``map_count`` is how many distinct groups the map shows; ``count`` differs
    from it only when the class's size asked for another number (see
    :func:`subgroups_per_class`): groups were then cut or joined to match.
    """

    count: int
    labels: np.ndarray
    core: np.ndarray
    sizes: list[int]
    centres: np.ndarray  # (count, 2)
    typical: list[np.ndarray]
    stability: float
    counts_seen: list[int]
    map_count: int = 0
    size_units: float | None = None  # the class's size in categories' worth of images, when that was used

    @property
    def fitted_to_size(self) -> bool:
        return self.count != self.map_count


def _standardise(points: np.ndarray) -> np.ndarray:
    centred = points - np.median(points, axis=0)
    scale = np.median(np.linalg.norm(centred, axis=1))
    return centred / (scale if scale > 0 else 1.0)


# A sub-group must hold at least this share of its class. With 10 categories
# in K classes, a class holds at most 11 - K of them, so a whole category is at
# least 1/(11 - K) of its class (1/6 for 5 classes); 90 % of that leaves room
# for some imbalance. Smaller islands are stragglers (images the network placed
# among another class) or one style within a category.
def min_group_share(n_classes: int) -> float:
    return 0.9 / (N_CATEGORIES + 1 - min(max(n_classes, 1), N_CATEGORIES))


MIN_GROUP_SHARE = min_group_share(5)
# Density is judged from each point's distance to its 25th neighbour: the scale
# of neighbourhood t-SNE preserves (perplexity 30), the same on every class
# whatever its size. Judged on a random half of a class, the same spatial scale
# is the 12th neighbour.
NEIGHBOURS = 25


# Two candidate groups are distinct when the density where they meet falls
# below this share of the density inside the sparser of them: a real valley,
# not a ripple within one group.
VALLEY = 0.5
GRAPH_NEIGHBOURS = 10  # edges of the neighbour graph used to find where groups meet


def _find(parent: list[int], a: int) -> int:
    while parent[a] != a:
        parent[a] = parent[parent[a]]
        a = parent[a]
    return a


def _merge_shallow(points: np.ndarray, labels: np.ndarray, neighbours: int, valley: float) -> np.ndarray:
    """Join candidate groups that meet without a real valley between them.

    Density is 1 / (distance to the ``neighbours``-th neighbour)^2. Each point
    outside the candidates joins its nearest candidate, so touching groups
    share a border; the density on that border (the 95th percentile over the
    neighbour-graph edges that cross it) is compared with each group's own
    density (its 90th percentile).
    """
    from sklearn.neighbors import NearestNeighbors

    k = min(max(neighbours, GRAPH_NEIGHBOURS), len(points) - 1)
    dist, idx = NearestNeighbors(n_neighbors=k + 1).fit(points).kneighbors(points)
    density = 1.0 / np.maximum(dist[:, min(neighbours, k)], 1e-12) ** 2
    full = labels.copy()
    core = labels >= 0
    if not core.all():
        nearest = (
            NearestNeighbors(n_neighbors=1).fit(points[core]).kneighbors(points[~core], return_distance=False)[:, 0]
        )
        full[~core] = labels[core][nearest]
    n_groups = int(labels.max()) + 1
    inside = [np.percentile(density[full == g], 90) for g in range(n_groups)]
    a = np.repeat(np.arange(len(points)), GRAPH_NEIGHBOURS)
    b = idx[:, 1 : GRAPH_NEIGHBOURS + 1].ravel()
    crossing = full[a] != full[b]
    edge_density = np.minimum(density[a], density[b])[crossing]
    ga, gb = full[a][crossing], full[b][crossing]
    parent = list(range(n_groups))
    for g in range(n_groups):
        for h in range(g + 1, n_groups):
            edges = edge_density[((ga == g) & (gb == h)) | ((ga == h) & (gb == g))]
            if edges.size >= 3 and np.percentile(edges, 95) >= valley * min(inside[g], inside[h]):
                parent[_find(parent, h)] = _find(parent, g)
    roots = np.array([_find(parent, g) for g in range(n_groups)])
    out = np.where(labels >= 0, roots[np.maximum(labels, 0)], -1)
    return out


def _density_groups(points: np.ndarray, min_share: float, neighbours: int, valley: float = VALLEY) -> np.ndarray:
    """Groups of a class's standardised points, numbered by size; -1 for
    points in none.

    HDBSCAN proposes the groups: its leaves, the smallest dense regions of
    at least ``min_share`` of the points (its own choice between a region and
    its parts too readily keeps a whole class as one, even across a deep
    valley). Candidates meeting without a real density valley are joined again.
    """
    from sklearn.cluster import HDBSCAN

    n = len(points)
    if n < 10:
        return np.zeros(n, dtype=np.int64)
    min_size = max(5, int(min_share * n))
    labels = HDBSCAN(
        min_cluster_size=min_size,
        min_samples=max(2, min(neighbours, n - 1)),
        allow_single_cluster=False,
        cluster_selection_method="leaf",
        copy=True,
    ).fit_predict(points)
    sizes = np.bincount(labels[labels >= 0], minlength=1)
    kept = np.flatnonzero(sizes >= min_size)
    if kept.size <= 1:
        return np.zeros(n, dtype=np.int64) if kept.size == 0 else np.where(labels == kept[0], 0, -1)
    remap = np.full(len(sizes), -1)
    remap[kept] = np.arange(kept.size)
    labels = np.where(labels >= 0, remap[np.maximum(labels, 0)], -1)
    labels = _merge_shallow(points, labels, neighbours, valley)
    groups = [g for g in np.unique(labels) if g >= 0]
    groups.sort(key=lambda g: -(labels == g).sum())
    out = np.full(n, -1, dtype=np.int64)
    for new, g in enumerate(groups):
        out[labels == g] = new
    return out


def _fit_count(x: np.ndarray, labels: np.ndarray, target: int, seed: int) -> np.ndarray:
    """Cut or join groups until there are ``target``: the largest group is cut
    in two by K-Means; the smallest joins the group with the nearest centre."""
    from sklearn.cluster import KMeans

    labels = labels.copy()
    while labels.max() + 1 < target:
        sizes = np.bincount(labels)
        biggest = int(sizes.argmax())
        if sizes[biggest] < 2:
            break
        members = np.flatnonzero(labels == biggest)
        halves = KMeans(2, n_init=10, random_state=seed).fit_predict(x[members])
        labels[members[halves == 1]] = labels.max() + 1
    while labels.max() + 1 > target:
        sizes = np.bincount(labels)
        smallest = int(sizes.argmin())
        centres = np.array([np.median(x[labels == g], axis=0) for g in range(sizes.size)])
        gap = np.linalg.norm(centres - centres[smallest], axis=1)
        gap[smallest] = np.inf
        labels[labels == smallest] = int(gap.argmin())
        labels = np.unique(labels, return_inverse=True)[1]
    order = np.argsort(-np.bincount(labels), kind="stable")
    return np.argsort(order)[labels]


def count_subgroups(
    points: np.ndarray,
    seed: int = 0,
    min_share: float = MIN_GROUP_SHARE,
    neighbours: int = NEIGHBOURS,
    n_resamples: int = 10,
    n_typical: int = 16,
    expected: int | None = None,
) -> SubGroups:
    """Count the distinct groups among one class's points (map coordinates).

    Groups are dense regions (HDBSCAN's leaves, density judged over
    ``neighbours`` points) holding at least ``min_share`` of the class and
    separated by a real valley (:data:`VALLEY`); a class with no such split is
    one group. No labels are used. The count is checked on ``n_resamples``
    random halves of the points: ``stability`` says how often a half shows the
    same number. With ``expected``, groups are then cut or joined
    (:func:`_fit_count`) until there are that many; ``map_count`` keeps what the
    map showed.
    """
    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 2 or len(points) == 0:
        raise FmtwistError("sub-groups need a non-empty (N, D) array of map coordinates")
    x = _standardise(points)
    labels = _density_groups(x, min_share, neighbours)
    count = max(1, int(labels.max()) + 1)
    if labels.max() < 0:  # nothing dense enough: the class is one diffuse group
        labels = np.zeros(len(x), dtype=np.int64)
    rng = np.random.default_rng(seed)
    seen = []
    for _ in range(n_resamples if len(x) >= 20 else 0):
        half = rng.choice(len(x), size=len(x) // 2, replace=False)
        seen.append(max(1, int(_density_groups(x[half], min_share, max(2, neighbours // 2)).max()) + 1))
    core = labels >= 0
    if not core.all():  # stragglers join the group of their nearest core point
        from sklearn.neighbors import NearestNeighbors

        nearest = NearestNeighbors(n_neighbors=1).fit(x[core]).kneighbors(x[~core], return_distance=False)[:, 0]
        labels = labels.copy()
        labels[~core] = labels[core][nearest]
    map_count = count
    if expected is not None and expected != count and len(x) >= expected:
        labels = _fit_count(x, labels, expected, seed)
        count = int(labels.max()) + 1
    centres, typical, sizes = [], [], []
    for g in range(count):
        members = np.flatnonzero(labels == g)
        centre_of = np.flatnonzero((labels == g) & core)
        centre = np.median(points[centre_of], axis=0)
        order = np.argsort(np.linalg.norm(points[members] - centre, axis=1), kind="stable")
        centres.append(centre)
        typical.append(members[order[:n_typical]])
        sizes.append(int(members.size))
    stability = float(np.mean([s == map_count for s in seen])) if seen else 1.0
    return SubGroups(
        count, labels, core, sizes, np.array(centres).reshape(-1, points.shape[1]), typical, stability, seen, map_count
    )


# Fashion-MNIST has as many images of every category, so a sub-group standing
# for a whole category holds about a tenth of all images; one holding less than
# half of that is a style within a category (bags with and without handles),
# not a category of its own.
HALF_CATEGORY = 0.5


def group_floor(class_size: int, total: int, n_classes: int) -> float:
    """Smallest share of a class that counts as a sub-group: the larger of
    :func:`min_group_share` and half a category's worth of images."""
    category = total / N_CATEGORIES
    return min(1.0, max(min_group_share(n_classes), HALF_CATEGORY * category / max(class_size, 1)))


def subgroups_per_class(
    coords: np.ndarray,
    labels: np.ndarray,
    n_classes: int | None = None,
    seed: int = 0,
    use_sizes: bool = True,
    **kwargs,
) -> list[SubGroups]:
    """:func:`count_subgroups` for every mystery class, the smallest group
    given by :func:`group_floor` unless ``min_share`` is passed; ``typical``
    and ``labels`` index that class's points in the order they appear.

    Two label-free kinds of evidence make the count. The map shows the
    distinct groups (``map_count``). The class's size counts its categories
    (:func:`~fmtwist_cli.data.twist.category_units`): a class merged from two categories holds two
    categories' worth of images whatever the network made of them. When
    ``use_sizes`` and the sizes are balanced, the groups are cut or joined to
    that number, so categories that look alike to the network (one group on
    the map) still get a sub-group each; ``fitted_to_size`` marks those classes.
    """
    labels, k = check_labels(labels, len(coords), n_classes)
    units = category_units(np.bincount(labels, minlength=k), balanced=True) if use_sizes else None
    out = []
    for c in range(k):
        members = np.flatnonzero(labels == c)
        if members.size == 0:
            raise FmtwistError(f"mystery class {c} has no images on the map")
        share = kwargs.get("min_share", group_floor(members.size, len(labels), k))
        rest = {key: v for key, v in kwargs.items() if key != "min_share"}
        expected = None if units is None else int(round(units[c]))
        found = count_subgroups(np.asarray(coords)[members], seed=seed + c, min_share=share, expected=expected, **rest)
        found.size_units = None if units is None else float(units[c])
        out.append(found)
    return out
