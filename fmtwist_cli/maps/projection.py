"""2-D maps of the encoding: PCA, t-SNE and UMAP, and how faithful they are.

:func:`trustworthiness` (k = 10, on a fixed sample of rows) scores every map
against the features it was made from, so maps made in different ways compare.

t-SNE backends:

* ``fmtwist`` (default): PCA to 50 components, then scikit-learn's
  Barnes-Hut t-SNE with a shorter schedule (:data:`FAST_TSNE`). Measured on the
  custom CNN's encoding it is more than twice as fast as scikit-learn's
  defaults with the same trustworthiness (see the README).
* ``sklearn``: scikit-learn's TSNE with its defaults on the given features,
  the notebook's way.
* ``opentsne``: openTSNE's FFT-accelerated t-SNE, when installed.

UMAP is umap-learn's. Most of its numba functions are compiled without
``cache=True``, so every new process would compile them again (seconds to
tens of seconds); :func:`numba_cache` makes numba cache them on disk.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

import numpy as np

from fmtwist_cli.errors import FmtwistError


class Method(str, Enum):
    """The ways to make a 2-D map (``fmtwist reduce --method``)."""

    pca = "pca"
    tsne = "tsne"
    umap = "umap"

    @property
    def title(self) -> str:
        """The name figures and reports print: t-SNE, UMAP, PCA."""
        return {"tsne": "t-SNE", "umap": "UMAP", "pca": "PCA"}[self.value]


class TsneBackend(str, Enum):
    """Whose t-SNE runs (``fmtwist reduce --backend``); see the module docstring."""

    fmtwist = "fmtwist"
    sklearn = "sklearn"
    opentsne = "opentsne"


def _choice(enum: type[Enum], value: Any, what: str) -> Any:
    try:
        return enum(value)
    except ValueError:
        raise FmtwistError(f"unknown {what} '{value}': choose one of {', '.join(m.value for m in enum)}") from None


TRUST_K = 10
TRUST_SAMPLE = 5000
TRUST_SEED = 0
# The fast t-SNE: PCA to 50 first, then a shorter schedule (125 early-exaggeration
# iterations instead of 250, 350 in all instead of 1,000) and a coarser Barnes-Hut
# angle (0.7, not 0.5). On the custom CNN's encoding its trustworthiness matched
# scikit-learn's defaults (bench/bench_cluster_reduce.py).
FAST_TSNE = {"pca": 50, "max_iter": 350, "angle": 0.7, "early_iter": 125}

Progress = Callable[[int, int], None]  # (done, total)


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
# quality


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
    backend = _choice(TsneBackend, backend, "t-SNE backend")
    if not 0 < perplexity < x.shape[0]:
        raise FmtwistError(f"perplexity must be between 0 and the number of rows ({x.shape[0]}), got {perplexity}")
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


def numba_cache_dir() -> Path:
    """Where compiled numba code is kept between runs: $NUMBA_CACHE_DIR, else
    $XDG_CACHE_HOME/fmtwist/numba (~/.cache/fmtwist/numba)."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return Path(os.environ["NUMBA_CACHE_DIR"])
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "fmtwist" / "numba"


@contextlib.contextmanager
def numba_cache() -> Iterator[Path]:
    """While active, numba functions defined at module level are compiled with
    cache=True into :func:`numba_cache_dir`, so a second process loads them
    instead of compiling. umap-learn and pynndescent define most of theirs
    without caching, some at import and some during fit, so both happen in here.
    """
    folder = numba_cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    # numba reads the variable on import and whenever it reloads its config
    os.environ["NUMBA_CACHE_DIR"] = str(folder)
    import numba
    from numba.core.errors import NumbaWarning

    numba.config.CACHE_DIR = str(folder)
    saved = numba.njit, numba.jit

    def caching(original: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            func = args[0] if args and callable(args[0]) else None
            if func is not None:
                if "<locals>" not in getattr(func, "__qualname__", "<locals>"):
                    kwargs.setdefault("cache", True)
                return original(*args, **kwargs)
            decorator = original(*args, **kwargs)  # @njit(...) form: decide when the function arrives

            def decorate(f: Callable[..., Any]) -> Any:
                extra = (
                    {"cache": True}
                    if "<locals>" not in getattr(f, "__qualname__", "<locals>") and "cache" not in kwargs
                    else {}
                )
                return original(*args, **{**kwargs, **extra})(f) if extra else decorator(f)

            return decorate

        return wrapper

    numba.njit, numba.jit = caching(saved[0]), caching(saved[1])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NumbaWarning)
            yield folder
    finally:
        numba.njit, numba.jit = saved


def _import_umap() -> Any:
    # umap/__init__ imports ParametricUMAP, which imports TensorFlow (seconds,
    # and never needed here); marking that submodule absent makes umap skip it.
    blocked = "umap.parametric_umap" not in sys.modules and "umap" not in sys.modules
    if blocked:
        sys.modules["umap.parametric_umap"] = None  # type: ignore[assignment]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import umap
    finally:
        if blocked:
            del sys.modules["umap.parametric_umap"]
    return umap


def umap(
    x: np.ndarray,
    seed: int | None = None,
    n_neighbors: int = 15,
    min_dist: float = 0.1,
    progress: Progress | None = None,
) -> np.ndarray:
    """umap-learn's UMAP to 2-D, numba code cached across processes."""
    x = _check(x)
    if not 2 <= n_neighbors < x.shape[0]:
        raise FmtwistError(
            f"n_neighbors must be between 2 and the number of rows - 1 ({x.shape[0] - 1}), got {n_neighbors}"
        )
    with numba_cache():
        umap_lib = _import_umap()
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
    method = _choice(Method, method, "method")
    backend = _choice(TsneBackend, backend, "t-SNE backend")  # before the work, not after
    params: dict[str, Any] = {"seed": seed}
    start = time.perf_counter()
    if method is Method.pca:
        coords = pca(x, seed)
    elif method is Method.tsne:
        coords = tsne(x, seed, backend, perplexity, progress=progress)
        params.update(backend=backend.value, perplexity=perplexity)
        if backend is TsneBackend.fmtwist:
            params.update(FAST_TSNE)
    else:
        if not 0 <= min_dist <= 1:
            raise FmtwistError(f"min_dist must be between 0 and 1, got {min_dist}")
        coords = umap(x, seed, n_neighbors, min_dist, progress=progress)
        params.update(n_neighbors=n_neighbors, min_dist=min_dist, numba_cache=str(numba_cache_dir()))
    seconds = time.perf_counter() - start
    info: dict[str, Any] = {}
    if trust:
        info = {
            "trustworthiness": trustworthiness(x, coords),
            "trust_k": TRUST_K,
            "trust_sample": int(min(TRUST_SAMPLE, x.shape[0])),
            "trust_seed": TRUST_SEED,
        }
    return Projection(method.value, coords, params, seconds, info)


def map_embeddings(
    embeddings: Any,
    out: Path,
    method: Method | str = Method.tsne,
    seed: int | None = None,
    scale: bool = True,
    **options: Any,
) -> tuple[Projection, dict[str, Any]]:
    """`fmtwist reduce`: map an embeddings artifact to 2-D and save it as a coords artifact at ``out``.

    ``options`` go to :func:`run` (backend, progress, trust, perplexity, n_neighbors, min_dist).
    Returns the projection and the summary stored with it.
    """
    from fmtwist_cli import artifacts
    from fmtwist_cli.groups import features

    x = features.prepare_features(embeddings["embedding"], scale, where=str(embeddings.path))
    result = run(method, x, seed, **options)
    summary = {
        "method": result.method,
        "params": {**result.params, "scale": scale},
        "input": str(embeddings.path),
        "rows": int(result.coords.shape[0]),
        "seconds": round(result.seconds, 3),
        **result.info,
        "provenance": artifacts.provenance({"embeddings": embeddings.path}, seed),
    }
    arrays = {"coords": result.coords, "index": embeddings["index"], "split": embeddings["split"]}
    artifacts.save(artifacts.Artifact("coords", arrays, summary), out)
    return result, summary
