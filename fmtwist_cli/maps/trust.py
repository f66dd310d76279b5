"""How faithful a 2-D map is: scikit-learn's trustworthiness at k = 10 neighbours, on a fixed sample of rows,
so that every map of the same features is scored on the same rows and maps made in different ways compare."""

from __future__ import annotations

from typing import Any

import numpy as np

from fmtwist_cli.errors import FmtwistError

TRUST_K = 10
TRUST_SAMPLE = 5000
TRUST_SEED = 0


def sample_rows(n: int, size: int = TRUST_SAMPLE, seed: int = TRUST_SEED) -> np.ndarray:
    """The fixed sample of rows on which trustworthiness is measured."""
    if n <= size:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size, replace=False))


def trustworthiness(
    x: np.ndarray, coords: np.ndarray, k: int = TRUST_K, sample: int = TRUST_SAMPLE, seed: int = TRUST_SEED
) -> float:
    """scikit-learn's trustworthiness at k neighbours, on a fixed sample of rows
    (the same rows for every map of the same features)."""
    from sklearn.manifold import trustworthiness as sk_trust

    x, coords = np.asarray(x), np.asarray(coords)
    if x.shape[0] != coords.shape[0]:
        raise FmtwistError(f"features have {x.shape[0]} rows but the map has {coords.shape[0]}")
    rows = sample_rows(x.shape[0], sample, seed)
    k = min(k, (rows.size - 1) // 2)
    if k < 1:
        raise FmtwistError(f"trustworthiness needs at least 4 rows, got {rows.size}")
    return float(sk_trust(x[rows].astype(np.float64), coords[rows].astype(np.float64), n_neighbors=k))


def measured(x: np.ndarray, coords: np.ndarray) -> dict[str, Any]:
    """The trustworthiness of a map and how it was measured, as a coords artifact records them."""
    return {
        "trustworthiness": trustworthiness(x, coords),
        "trust_k": TRUST_K,
        "trust_sample": int(min(TRUST_SAMPLE, x.shape[0])),
        "trust_seed": TRUST_SEED,
    }
