"""Shared fixtures: tiny Fashion-MNIST-like sources built on the fly."""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
from pathlib import Path

import numpy as np
import pytest

from fmtwist_cli import sources
from fmtwist_cli.cli import main

REAL_DATA = sources.DEBIAN_DIR if sources.has_idx(sources.DEBIAN_DIR) else None
needs_real_data = pytest.mark.skipif(
    REAL_DATA is None and not os.environ.get("CI"),
    reason="official Fashion-MNIST not installed (make setup installs it; CI requires it)",
)


def idx_bytes(arr: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape)
    return header + arr.astype(np.uint8).tobytes()


def tiny_arrays(n_train: int = 40, n_test: int = 20, seed: int = 0) -> dict[str, np.ndarray]:
    """Random images; labels cycle through all 10 categories."""
    rng = np.random.default_rng(seed)
    return {
        "x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "y_train": np.arange(n_train) % 10,
        "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "y_test": (np.arange(n_test) * 3) % 10,
    }


def write_idx_folder(folder: Path, arrays: dict[str, np.ndarray]) -> dict[str, str]:
    """Write gzipped IDX files; return the SHA-256 of each decompressed payload."""
    folder.mkdir(parents=True, exist_ok=True)
    digests = {}
    for key, name in sources.IDX_FILES.items():
        payload = idx_bytes(arrays[key])
        (folder / name).write_bytes(gzip.compress(payload))
        digests[name] = hashlib.sha256(payload).hexdigest()
    return digests


@pytest.fixture
def tiny() -> dict[str, np.ndarray]:
    return tiny_arrays()


@pytest.fixture
def idx_dir(tmp_path, tiny) -> Path:
    write_idx_folder(tmp_path / "idx", tiny)
    return tmp_path / "idx"


@pytest.fixture
def no_official(tmp_path, monkeypatch):
    """Hide every place official data could come from (no network either)."""
    monkeypatch.setattr(sources, "DEBIAN_DIR", tmp_path / "no-debian")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("FMTWIST_DATA", raising=False)
    monkeypatch.setattr(sources, "BASE_URL", (tmp_path / "mirror").as_uri() + "/")
    return tmp_path / "mirror"


@pytest.fixture
def run(capsys):
    """Run the CLI in-process: returns (exit code, stdout, stderr)."""

    def _run(*args: str) -> tuple[int, str, str]:
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return _run


def files_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()} if folder.exists() else set()
