"""2-D maps of the encoding: PCA, t-SNE and UMAP.

The methods, the t-SNE backends and each method's parameters with their limits are declared once, in
:mod:`.params`, and checked before any work. How faithful a map is: :mod:`.trust`. UMAP's compiled code is cached
across processes: :mod:`.numbacache`.

t-SNE backends:

* ``fmtwist`` (default): PCA to 50 components, then scikit-learn's
  Barnes-Hut t-SNE with a shorter schedule (:data:`FAST_TSNE`). Measured on the
  custom CNN's encoding it is more than twice as fast as scikit-learn's
  defaults with the same trustworthiness (see the README).
* ``sklearn``: scikit-learn's TSNE with its defaults on the given features,
  the notebook's way.
* ``opentsne``: openTSNE's FFT-accelerated t-SNE, when installed.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from fmtwist_cli.errors import FmtwistError
from fmtwist_cli.maps.numbacache import import_umap, numba_cache, numba_cache_dir
from fmtwist_cli.maps.params import Method, TsneBackend, check_params
from fmtwist_cli.maps.trust import measured
from fmtwist_cli.params import choice
from fmtwist_cli.result import Progress

# The fast t-SNE: PCA to 50 first, then a shorter schedule (125 early-exaggeration
# iterations instead of 250, 350 in all instead of 1,000) and a coarser Barnes-Hut
# angle (0.7, not 0.5). On the custom CNN's encoding its trustworthiness matched
# scikit-learn's defaults (bench/bench_cluster_reduce.py).
FAST_TSNE = {"pca": 50, "max_iter": 350, "angle": 0.7, "early_iter": 125}


@dataclass
class Projection:
    method: str
    coords: np.ndarray  # float32 (N, 2)
    params: dict[str, Any]
    seconds: float
    info: dict[str, Any] = field(default_factory=dict)


def _check(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 2 or x.shape[0] < 3:
        raise FmtwistError(f"a 2-D map needs at least 3 rows of features, got shape {list(x.shape)}")
    if not np.isfinite(x).all():
        raise FmtwistError("features hold NaN or infinite values")
    return x


# --------------------------------------------------------------------------
# PCA


def pca(x: np.ndarray, seed: int | None = None, n_components: int = 2) -> np.ndarray:
    from sklearn.decomposition import PCA

    x = _check(x)
    if n_components > min(x.shape):
        raise FmtwistError(
            f"PCA to {n_components} components needs at least that many rows and columns, got {list(x.shape)}"
        )
    return PCA(n_components=n_components, random_state=seed).fit_transform(x).astype(np.float32)


# --------------------------------------------------------------------------
# t-SNE


class _IterationTap(io.TextIOBase):
    """Stands in for stdout while scikit-learn's TSNE talks (verbose=2): turns
    its "[t-SNE] Iteration N" lines into progress calls, shows nothing."""

    pattern = re.compile(r"\[t-SNE\] Iteration (\d+):")

    def __init__(self, progress: Progress | None, total: int) -> None:
        self.progress, self.total = progress, total

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        for match in self.pattern.finditer(text):
            if self.progress:
                self.progress(min(int(match.group(1)), self.total), self.total)
        return len(text)


def _sklearn_tsne(
    x: np.ndarray, seed: int | None, progress: Progress | None, early_iter: int | None = None, **kw: Any
) -> np.ndarray:
    from sklearn.manifold import TSNE

    model = TSNE(n_components=2, random_state=seed, verbose=2, **kw)
    if early_iter is not None:
        # The early-exaggeration phase length is a class constant (250) in
        # scikit-learn; an instance attribute overrides it for this model only.
        model._EXPLORATION_MAX_ITER = early_iter
    total = kw.get("max_iter", 1000)
    with contextlib.redirect_stdout(_IterationTap(progress, total)):
        y = model.fit_transform(x)
    if progress:
        progress(total, total)
    return y


def _opentsne(x: np.ndarray, seed: int | None, progress: Progress | None) -> np.ndarray:
    try:
        from openTSNE import TSNE
    except ImportError:
        raise FmtwistError("the opentsne backend needs openTSNE: pip install openTSNE") from None
    y = TSNE(n_components=2, random_state=seed, n_jobs=os.cpu_count() or 1).fit(x)
    if progress:
        progress(1, 1)
    return np.asarray(y)


def tsne(
    x: np.ndarray,
    seed: int | None = None,
    backend: TsneBackend | str = TsneBackend.fmtwist,
    perplexity: float = 30.0,
    progress: Progress | None = None,
) -> np.ndarray:
    """t-SNE coordinates (float32, N x 2). See the module docstring for backends."""
    x = _check(x)
    backend = choice(TsneBackend, backend, "backend")
    check_params(Method.tsne, x.shape[0], {"perplexity": perplexity})
    return _tsne(x, seed, backend, perplexity, progress)


def _tsne(
    x: np.ndarray, seed: int | None, backend: TsneBackend, perplexity: float, progress: Progress | None
) -> np.ndarray:
    if backend is TsneBackend.sklearn:
        y = _sklearn_tsne(x, seed, progress, perplexity=perplexity)
    elif backend is TsneBackend.opentsne:
        y = _opentsne(x, seed, progress)
    else:
        fast = FAST_TSNE
        if x.shape[1] > fast["pca"] and x.shape[0] > fast["pca"]:
            x = pca(x, seed, fast["pca"])
        y = _sklearn_tsne(
            x,
            seed,
            progress,
            early_iter=fast["early_iter"],
            perplexity=perplexity,
            max_iter=fast["max_iter"],
            angle=fast["angle"],
        )
    return np.asarray(y, dtype=np.float32)


# --------------------------------------------------------------------------
# UMAP


def umap(
    x: np.ndarray,
    seed: int | None = None,
    n_neighbors: int = 15,
    min_dist: float = 0.1,
    progress: Progress | None = None,
) -> np.ndarray:
    """umap-learn's UMAP to 2-D, numba code cached across processes."""
    x = _check(x)
    check_params(Method.umap, x.shape[0], {"n_neighbors": n_neighbors, "min_dist": min_dist})
    return _umap(x, seed, n_neighbors, min_dist, progress)


def _umap(x: np.ndarray, seed: int | None, n_neighbors: int, min_dist: float, progress: Progress | None) -> np.ndarray:
    with numba_cache():
        umap_lib = import_umap()
        model = umap_lib.UMAP(n_components=2, n_neighbors=n_neighbors, min_dist=min_dist, random_state=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "n_jobs overridden by setting random_state" and friends
            y = model.fit_transform(x)
    if progress:
        progress(1, 1)
    return np.asarray(y, dtype=np.float32)


# --------------------------------------------------------------------------


def run(
    method: Method | str,
    x: np.ndarray,
    seed: int | None = None,
    backend: TsneBackend | str = TsneBackend.fmtwist,
    progress: Progress | None = None,
    trust: bool = True,
    perplexity: float = 30.0,
    n_neighbors: int = 15,
    min_dist: float = 0.1,
) -> Projection:
    """Project ``x`` to 2-D with one method, timing it and (by default)
    measuring trustworthiness against ``x``."""
    x = _check(x)
    method = choice(Method, method, "method")
    backend = choice(TsneBackend, backend, "backend")  # before the work, not after
    check_params(method, x.shape[0], {"perplexity": perplexity, "n_neighbors": n_neighbors, "min_dist": min_dist})
    params: dict[str, Any] = {"seed": seed}
    start = time.perf_counter()
    if method is Method.pca:
        coords = pca(x, seed)
    elif method is Method.tsne:
        coords = _tsne(x, seed, backend, perplexity, progress)
        params.update(backend=backend.value, perplexity=perplexity)
        if backend is TsneBackend.fmtwist:
            params.update(FAST_TSNE)
    else:
        coords = _umap(x, seed, n_neighbors, min_dist, progress)
        params.update(n_neighbors=n_neighbors, min_dist=min_dist, numba_cache=str(numba_cache_dir()))
    seconds = time.perf_counter() - start
    info = measured(x, coords) if trust else {}
    return Projection(method.value, coords, params, seconds, info)


def map_embeddings(
    embeddings: Any,
    out: Path,
    method: Method | str = Method.tsne,
    seed: int | None = None,
    scale: bool = True,
    **options: Any,
) -> tuple[Projection, dict[str, Any]]:
    """Map an embeddings artifact to 2-D and save it as a coords artifact at ``out`` (the reduce step).

    ``options`` go to :func:`run` (backend, progress, trust, perplexity, n_neighbors, min_dist).
    Returns the projection and the summary stored with it.
    """
    from fmtwist_cli import artifacts
    from fmtwist_cli.groups import features

    x = features.prepare_features(embeddings["embedding"], scale, where=str(embeddings.path))
    result = run(method, x, seed, **options)
    summary = artifacts.CoordsMeta(
        method=result.method,
        params={**result.params, "scale": scale},
        input=str(embeddings.path),
        rows=int(result.coords.shape[0]),
        seconds=round(result.seconds, 3),
        **result.info,
        provenance=artifacts.provenance({"embeddings": embeddings.path}, seed),
    ).to_meta()
    arrays = {"coords": result.coords, "index": embeddings["index"], "split": embeddings["split"]}
    artifacts.save(artifacts.Artifact("coords", arrays, summary), out)
    return result, summary
