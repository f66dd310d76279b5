"""When DBSCAN finds one cluster: a setting that works on this encoding, tried, with what it gives.

The notebook's eps 45 suits its own network's encoding (2,304 values). On another (the `fast` network's 576) every
point is within 45 of most others and DBSCAN returns a single cluster. Rather than "try a smaller --eps", the
warning names a setting it has run on the same points: DBSCAN with eps at the k-distance knee on a 2-D map already
made from these embeddings (the default map first: maps keep groups apart), else on the encoding's first
:data:`PCA_COMPONENTS` principal components, and says how many clusters that finds.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fmtwist_cli import artifacts
from fmtwist_cli.artifacts.layout import Layout
from fmtwist_cli.errors import FmtwistError
from fmtwist_cli.groups import clustering, features, scores
from fmtwist_cli.groups.clustering import Method

PCA_COMPONENTS = 10


@dataclass(frozen=True)
class Setting:
    """A DBSCAN setting that was run, and what it found."""

    options: str  # as typed on the command line: "--coords artifacts/coords-tsne.npz --eps auto"
    n_clusters: int
    noise_share: float
    ari: float | None  # against the mystery classes, where the embeddings have them

    def __str__(self) -> str:
        ari = f", ARI {self.ari:.2f} with the mystery classes" if self.ari is not None else ""
        return f"{self.options}: it finds {self.n_clusters} clusters ({self.noise_share:.0%} noise{ari})"


def works(labels: np.ndarray) -> bool:
    """More than one cluster, none holding most points, and most points in a cluster."""
    found = labels[labels != clustering.NOISE]
    if np.unique(found).size < 2:
        return False
    biggest = max(n for c, n in scores.sizes(labels) if c != clustering.NOISE)
    return biggest < scores.MOSTLY * labels.size and found.size >= (1 - scores.MOSTLY) * labels.size


def candidates(emb: artifacts.Artifact, maps: list[Path], tried: dict, seed: int | None):
    """(options, features) to try, skipping the features the user's run used (``tried``)."""
    for path in maps:
        if path.is_file() and tried.get("coords") != str(path):
            try:
                yield f"--coords {path} --eps auto", features.load_features(emb, path, True, None, seed)[0]
            except FmtwistError:
                continue  # a map of other embeddings: not this encoding
    if tried.get("coords") is None and tried.get("pca") != PCA_COMPONENTS:
        components = min(PCA_COMPONENTS, *emb["embedding"].shape)
        x = features.prepare_features(emb["embedding"], True, components, seed, str(emb.path))
        yield f"--pca {components} --eps auto", x


def better_setting(
    emb: artifacts.Artifact, folder: Path, min_samples: int, tried: dict, seed: int | None = None
) -> Setting | None:
    """The first candidate setting on which DBSCAN (eps at the knee, the same ``min_samples``) :func:`works`."""
    for options, x in candidates(emb, Layout(folder).maps(), tried, seed):
        params = {"eps": clustering.AUTO, "min_samples": min(min_samples, x.shape[0])}
        labels = clustering.run(Method.dbscan, x, params).labels
        if works(labels):
            ari = scores.metrics(emb["labels"], labels)["ari"] if "labels" in emb else None
            n_clusters = int(np.unique(labels[labels != clustering.NOISE]).size)
            noise = float((labels == clustering.NOISE).mean())
            return Setting(f"{options} --min-samples {params['min_samples']}", n_clusters, noise, ari)
    return None
