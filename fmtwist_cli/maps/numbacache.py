"""umap-learn, imported without TensorFlow and with its numba code cached on disk.

Most of umap-learn's numba functions are compiled without ``cache=True``, so every new process would
compile them again (seconds to tens of seconds); :func:`numba_cache` makes numba cache them on disk.
"""

from __future__ import annotations

import contextlib
import os
import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any


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


def import_umap() -> Any:
    """umap-learn, imported without TensorFlow."""
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
