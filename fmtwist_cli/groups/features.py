"""The matrix a clustering runs on: the encoding standardized (the notebook's StandardScaler), maybe reduced
to its principal components, or a 2-D map from `fmtwist reduce`."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from fmtwist_cli import artifacts
from fmtwist_cli.errors import FmtwistError, ParameterError
from fmtwist_cli.groups.clustering import Method

HDBSCAN_AUTO_PCA = 50  # sklearn's exact HDBSCAN costs O(n² · dims): reduce first by default


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
        raise ParameterError(
            "{} must be between 1 and " + f"{min(x.shape)} (rows and columns of the features), got {pca}", "pca"
        )
    if scale:
        from sklearn.preprocessing import StandardScaler

        x = StandardScaler().fit_transform(x)
    if pca is not None:
        from sklearn.decomposition import PCA

        x = PCA(n_components=pca, random_state=seed).fit_transform(x)
    return np.ascontiguousarray(x, dtype=np.float32)


def default_pca(method: Method | str, dims: int) -> int | None:
    """PCA applied when the user asks for none: HDBSCAN's exact tree search
    costs O(n² · dims), so it runs on 50 components unless told otherwise."""
    return HDBSCAN_AUTO_PCA if Method(method) is Method.hdbscan and dims > HDBSCAN_AUTO_PCA else None


def load_features(
    emb: artifacts.Artifact, coords_path: Path | None, scale: bool, pca: int | None, seed: int | None
) -> tuple[np.ndarray, dict]:
    """The matrix to cluster: the encoding (standardized, maybe PCA) or a 2-D map."""
    if coords_path is None:
        x = prepare_features(emb["embedding"], scale, pca, seed, str(emb.path))
        return x, {"scale": scale, "pca": pca}
    if pca is not None:
        raise ParameterError("{} does not apply to {}: a map is 2-D already", "pca", "coords")
    coords = artifacts.load(coords_path, "coords")
    artifacts.check_made_from(
        coords,
        "embeddings",
        emb.path,
        "pass the embeddings it was made from (--embeddings), or run `fmtwist reduce` again",
    )
    artifacts.check_same_rows(
        coords, emb, "rows", "make the coordinates from the same embeddings with `fmtwist reduce`"
    )
    same = np.array_equal(coords["index"], emb["index"]) and (
        "split" not in coords or np.array_equal(coords["split"], emb["split"])
    )
    if not same:
        raise FmtwistError(
            f"{coords_path} and {emb.path} list different images: "
            "make the coordinates from the same embeddings with `fmtwist reduce`"
        )
    return np.ascontiguousarray(coords["coords"], dtype=np.float32), {"coords": str(coords_path)}
