"""Do an artifact's rows point at real images? One check for every pair of files that index each other."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from fmtwist_cli.artifacts.formats import Artifact
from fmtwist_cli.errors import ArtifactError

SPLITS = ("train", "test")


def split_sizes(data: Artifact) -> dict[str, int]:
    """Images per split of a data.npz."""
    return {s: int(data[f"y_{s}"].shape[0]) for s in SPLITS}


def check_same_rows(a: Artifact, b: Artifact, noun: str, remedy: str) -> None:
    """Refuse two artifacts read row by row against each other (a map and its embeddings, a clustering and its
    embeddings) when their row counts differ. ``noun`` names ``a``'s rows ("points", "labels")."""
    if a.rows() != b.rows():
        raise ArtifactError(f"{a.path} has {a.rows()} {noun} but {b.path} has {b.rows()} rows: {remedy}")


def check_rows(
    index: np.ndarray, split: np.ndarray, sizes: Mapping[str, int], where: str, of: str, remedy: str
) -> None:
    """Refuse rows that name a split ``of`` lacks or an index past its images.

    ``index``/``split`` are the rows of ``where`` (an embeddings file, a map);
    ``sizes`` is how many images each split of ``of`` holds (a data.npz, an
    answer key). ``remedy`` says what to do, e.g. "run `fmtwist embed` again".
    """
    index, split = np.asarray(index), np.asarray(split)
    for name in np.unique(split):
        name = str(name)
        if name not in sizes:
            raise ArtifactError(f"{where} has rows of split '{name}', which {of} does not have: {remedy}")
        rows = index[split == name]
        size = int(sizes[name])
        if rows.size and (rows.min() < 0 or rows.max() >= size):
            raise ArtifactError(
                f"{where} points past the {size} {name} images of {of} (a row index outside 0..{size - 1}): {remedy}"
            )
