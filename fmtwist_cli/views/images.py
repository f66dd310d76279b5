"""Image grids: pick members of a cluster or class and lay their images out.

Three ways to look at a selection: in the terminal, as Unicode half blocks or
a plain character ramp (:mod:`fmtwist_cli.views.terminal`), and as a figure with a
caption over every image (:func:`fmtwist_cli.views.grids.grid_figure`).

Members are picked ``random`` (any members), ``central`` (nearest the group's
centre), ``border`` (least sure of their group: lowest centroid silhouette, or
farthest from the centre when there is no other group) or ``noise`` (points
the clustering left out). Distances are measured on the standardized
embedding, the features ``fmtwist cluster`` uses by default.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import numpy as np

from fmtwist_cli import artifacts
from fmtwist_cli.errors import ArtifactError, FmtwistError, ParameterError
from fmtwist_cli.params import choice

MAX_PER_ROW = 10  # images per row of a grid


class Pick(str, Enum):
    """Which members of a group to show (``--pick``); see the module docstring."""

    random = "random"
    central = "central"
    border = "border"
    noise = "noise"

    @property
    def shown(self) -> str:
        """How a title names the members shown."""
        return {"central": "most central", "border": "most borderline"}.get(self.value, "random")


# `plot grid` shows every group, the noise as a row of its own: every pick but noise.
GroupPick = Enum("GroupPick", {p.name: p.value for p in Pick if p is not Pick.noise}, type=str)

# --------------------------------------------------------------------------
# what each row is: its image, labels and cluster


@dataclass
class Collection:
    """Every row that can be shown, with what is known about it.

    Rows are the rows of embeddings.npz, or the test split of data.npz when
    there are no embeddings yet.
    """

    data: artifacts.Artifact
    index: np.ndarray  # row into the data split
    split: np.ndarray  # "train" or "test" per row
    labels: np.ndarray | None  # mystery labels, when known
    pred: np.ndarray | None  # predicted class, when embedded
    clusters: np.ndarray | None  # cluster per row, -1 = noise
    features: np.ndarray | None  # the embedding, for central/border picks
    clusters_name: str | None = None

    @property
    def n_classes(self) -> int:
        return self.data.record.n_classes

    def __len__(self) -> int:
        return int(self.index.shape[0])

    def images(self, rows: np.ndarray) -> np.ndarray:
        out = np.empty((len(rows), 28, 28), dtype=np.uint8)
        for split in ("train", "test"):
            mask = self.split[rows] == split
            if mask.any():
                out[mask] = self.data[f"x_{split}"][self.index[rows[mask]]]
        return out


CLUSTERS_REMEDY = "pass the embeddings it was made from (--embeddings) or run `fmtwist cluster` again"


def collect(
    data: artifacts.Artifact,
    embeddings: artifacts.Artifact | None = None,
    clusters: artifacts.Artifact | None = None,
) -> Collection:
    """Line up data.npz, embeddings.npz and a clusters file row by row."""
    if embeddings is None:
        if clusters is not None:
            raise ArtifactError("a clusters file needs its embeddings.npz (run `fmtwist embed` first)")
        n = data["y_test"].shape[0]
        return Collection(data, np.arange(n), np.full(n, "test"), data["y_test"], None, None, None)
    artifacts.check_made_from(
        embeddings, "data", data.path, "pass the data.npz it was made from (--data), or run `fmtwist embed` again"
    )
    if clusters is not None:
        artifacts.check_made_from(
            clusters,
            "embeddings",
            embeddings.path,
            "pass the embeddings it was made from (--embeddings), or run `fmtwist cluster` again",
        )
    index, split = embeddings["index"], embeddings["split"]
    remedy = "run `fmtwist embed` again on this data.npz"
    artifacts.check_rows(index, split, artifacts.split_sizes(data), str(embeddings.path), str(data.path), remedy)
    labels = embeddings["labels"] if "labels" in embeddings else None  # noqa: SIM401 (an Artifact has no .get)
    cluster_labels, name = None, None
    if clusters is not None:
        cluster_labels = clusters["labels"]
        artifacts.check_same_rows(clusters, embeddings, "labels", CLUSTERS_REMEDY)
        name = clusters_name(clusters)
    return Collection(data, index, split, labels, embeddings["pred"], cluster_labels, embeddings["embedding"], name)


def clusters_name(clusters: artifacts.Artifact) -> str:
    method = clusters.record.method
    if method:
        return method
    return Path(clusters.path).stem if clusters.path else "clusters"


def group_name(group: int, what: str) -> str:
    """How figures and tables name a group: "class 0", "cluster 3", and "noise" for -1 (or any negative label)."""
    return "noise" if group < 0 else f"{what} {int(group)}"


# --------------------------------------------------------------------------
# choosing rows


def _ids_text(values: np.ndarray) -> str:
    ids = [int(v) for v in np.unique(values) if v >= 0]
    if not ids:
        return "none"
    if ids == list(range(ids[0], ids[-1] + 1)) and len(ids) > 2:
        return f"{ids[0]}-{ids[-1]}"
    return ", ".join(map(str, ids))


def members(coll: Collection, cluster: int | None = None, label: int | None = None, noise: bool = False) -> np.ndarray:
    """Rows in the cluster and/or with the mystery label (all rows if neither)."""
    mask = np.ones(len(coll), dtype=bool)
    if (noise or cluster is not None) and coll.clusters is None:
        raise ParameterError("no clustering loaded: run `fmtwist cluster` first or pass {} FILE", "clusters")
    if cluster is not None:
        if cluster < 0 or not (coll.clusters == cluster).any():
            raise FmtwistError(
                f"cluster {cluster} does not exist in {coll.clusters_name} (clusters: {_ids_text(coll.clusters)})"
            )
        mask &= coll.clusters == cluster
    if noise:
        if not (coll.clusters < 0).any():
            raise FmtwistError(f"{coll.clusters_name} has no noise points (only DBSCAN and HDBSCAN leave some)")
        mask &= coll.clusters < 0
    if label is not None:
        if coll.labels is None:
            raise ParameterError("the embeddings carry no mystery labels, so {} cannot be used", "label")
        if not 0 <= label < coll.n_classes:
            raise ParameterError("{} must be between 0 and " + f"{coll.n_classes - 1}, got {label}", "label")
        mask &= coll.labels == label
    rows = np.flatnonzero(mask)
    if rows.size == 0:
        wanted = [
            f"cluster {cluster}" if cluster is not None else "",
            "noise" if noise else "",
            f"class {label}" if label is not None else "",
        ]
        raise FmtwistError(f"no image is in {' and '.join(w for w in wanted if w)} at once")
    return rows


def _standardizer(features: np.ndarray, chunk: int = 8192) -> tuple[np.ndarray, np.ndarray]:
    """Column means and standard deviations, in float64, a chunk of rows at a
    time (70,000 x 2,304 embeddings stay in float32, never copied whole)."""
    total = np.zeros(features.shape[1])
    squares = np.zeros(features.shape[1])
    for start in range(0, len(features), chunk):
        block = features[start : start + chunk].astype(np.float64)
        total += block.sum(axis=0)
        squares += np.square(block).sum(axis=0)
    mean = total / len(features)
    std = np.sqrt(np.maximum(squares / len(features) - mean**2, 0.0))
    std[std < 1e-12] = 1.0
    return mean, std


def _centroids(features: np.ndarray, groups: np.ndarray, mean: np.ndarray, std: np.ndarray) -> dict[int, np.ndarray]:
    out = {}
    for g in np.unique(groups):
        if g >= 0:
            out[int(g)] = (features[groups == g].mean(axis=0, dtype=np.float64) - mean) / std
    return out


def pick(
    coll: Collection,
    rows: np.ndarray,
    how: Pick | str = Pick.random,
    n: int = 10,
    groups: np.ndarray | None = None,
    seed: int | None = None,
) -> np.ndarray:
    """Choose up to ``n`` of ``rows``.

    ``groups`` is the grouping the rows were chosen by (clusters or labels):
    "border" scores each row by the centroid silhouette
    (b - a) / max(a, b), a = distance to its own group's centre, b = to the
    nearest other group's centre, and keeps the lowest.
    """
    how = choice(Pick, how, "pick")
    if n < 1:
        raise ParameterError("{} must be at least 1, " + f"got {n}", "n")
    n = min(n, rows.size)
    if how in (Pick.random, Pick.noise):
        rng = np.random.default_rng(seed)
        return np.sort(rng.choice(rows, size=n, replace=False))
    if coll.features is None:
        raise ParameterError(
            "{} " + f"{how.value} measures distances on the embedding: run `fmtwist embed` first", "pick"
        )
    mean, std = _standardizer(coll.features)
    z = (coll.features[rows] - mean.astype(np.float32)) / std.astype(np.float32)  # float32: 70,000 rows fit
    centre = z.mean(axis=0)
    dist = np.linalg.norm(z - centre, axis=1)
    if how is Pick.central:
        return rows[np.argsort(dist, kind="stable")[:n]]
    score = -dist  # farthest from the centre first when there is no other group
    if groups is not None:
        centres = _centroids(coll.features, groups, mean, std)
        own = groups[rows]
        if len(centres) > 1 and (own >= 0).all() and len(np.unique(own)) == 1:
            others = [c for g, c in centres.items() if g != own[0]]
            b = np.min([np.linalg.norm(z - c, axis=1) for c in others], axis=0)
            score = (b - dist) / np.maximum(np.maximum(b, dist), 1e-12)
    return rows[np.argsort(score, kind="stable")[:n]]


# --------------------------------------------------------------------------
# a selection, ready to draw


@dataclass
class Selection:
    title: str
    total: int  # members of the group
    rows: np.ndarray
    images: np.ndarray  # n x 28 x 28 uint8
    captions: list[str]
    wrong: list[bool]  # prediction differs from the label
    items: list[dict]  # what each shown image is, for --json


def select(
    coll: Collection,
    cluster: int | None = None,
    label: int | None = None,
    how: Pick | str = Pick.random,
    n: int = 10,
    seed: int | None = None,
) -> Selection:
    """The images to show for ``--cluster``/``--label``/``--pick noise``."""
    how = choice(Pick, how, "pick")
    if cluster is None and label is None and how is not Pick.noise:
        raise ParameterError("choose what to show: {} N, {} K or {} noise", "cluster", "label", "pick")
    rows = members(coll, cluster, label, noise=how is Pick.noise)
    groups = coll.clusters if cluster is not None else (coll.labels if label is not None else None)
    chosen = pick(coll, rows, how, n, groups, seed)
    parts = []
    if how is Pick.noise:
        parts.append(f"noise of {coll.clusters_name}")
    if cluster is not None:
        parts.append(f"cluster {cluster} of {coll.clusters_name}")
    if label is not None:
        parts.append(f"class {label}")
    title = f"{' and '.join(parts)}: {rows.size} images, {chosen.size} {how.shown} shown"
    mixed = len(np.unique(coll.split)) > 1
    captions, wrong, items = [], [], []
    for r in chosen:
        item = {"row": int(r), "split": str(coll.split[r]), "index": int(coll.index[r])}
        text = f"{str(coll.split[r])[:2] if mixed else ''}#{item['index']}"
        if coll.labels is not None:
            item["label"] = int(coll.labels[r])
            text += f" class {item['label']}"
        if coll.pred is not None:
            item["pred"] = int(coll.pred[r])
            text += f" pred {item['pred']}"
        if coll.clusters is not None:
            item["cluster"] = int(coll.clusters[r])
            if cluster is None:
                text += " noise" if item["cluster"] < 0 else f" cl {item['cluster']}"
        captions.append(text)
        wrong.append("label" in item and "pred" in item and item["label"] != item["pred"])
        items.append(item)
    return Selection(title, int(rows.size), chosen, coll.images(chosen), captions, wrong, items)
