"""Shared fixtures: tiny Fashion-MNIST-like sources built on the fly."""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
from pathlib import Path

import numpy as np
import pytest

from fmtwist_cli.cli.app import main
from fmtwist_cli.data import sources

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


@pytest.hookimpl(tryfirst=True)  # before `-m "not slow"` deselects
def pytest_collection_modifyitems(items):
    """A test that needs the session's trained networks (`trained`, below) is slow, wherever it is."""
    for item in items:
        if "trained" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


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


# --------------------------------------------------------------------------
# issue 3: a tiny learnable dataset and a model trained on it once per session


def learnable_arrays(n_train: int = 400, n_test: int = 200, seed: int = 0) -> dict[str, np.ndarray]:
    """Each of the 10 categories is a bright 6x6 patch in its own place, plus
    noise: a network learns it in one epoch, so accuracy means something."""
    rng = np.random.default_rng(seed)

    def images(labels: np.ndarray) -> np.ndarray:
        x = rng.integers(0, 60, (len(labels), 28, 28)).astype(np.uint8)
        for i, c in enumerate(labels):
            r, col = 2 + 13 * (c // 5), 1 + 5 * (c % 5)
            x[i, r : r + 6, col : col + 6] = 250
        return x

    y_train, y_test = rng.integers(0, 10, n_train), rng.integers(0, 10, n_test)
    return {"x_train": images(y_train), "y_train": y_train, "x_test": images(y_test), "y_test": y_test}


def write_learnable(folder: Path, **kwargs) -> Path:
    """data.npz (the notebook's twist) and twist.json in ``folder``."""
    from fmtwist_cli.data import dataset, twist

    arrays = learnable_arrays(**kwargs)
    raw = sources.RawData(
        arrays["x_train"], arrays["y_train"], arrays["x_test"], arrays["y_test"], True, "learnable test data"
    )
    prepared = dataset.build(raw, twist.parse_twist("seed"))
    dataset.save(prepared, folder / "data.npz", folder / "twist.json")
    return folder


@pytest.fixture(scope="session")
def trained(tmp_path_factory) -> Path:
    """A folder with data.npz, twist.json and, for `default` and `custom`,
    model-ARCH.keras, history-ARCH.json and model-ARCH.onnx (one epoch each).
    Read only: tests that write copy it first."""
    from fmtwist_cli.network import export, training, trainingdata

    folder = write_learnable(tmp_path_factory.mktemp("trained"))
    data = trainingdata.load_training_data(folder / "data.npz")
    for arch in ("default", "custom"):
        config = training.TrainConfig(arch=arch, epochs=1, batch_size=32, seed=0)
        training.save(training.train(data, config), folder)
        export.export(folder / f"model-{arch}.keras", data_path=folder / "data.npz")
    return folder


# --------------------------------------------------------------------------
# issue 5: a small folder of every artifact inspect and plot read


def write_viz_artifacts(folder: Path, seed: int = 0) -> Path:
    """data.npz (3 classes), embeddings.npz (60 test rows in three tight groups
    along the first axis), clusters-kmeans.npz (the groups, two rows swapped),
    clusters-dbscan.npz (the groups, the six outermost rows as noise),
    coords-tsne.npz and two history files."""
    from fmtwist_cli import artifacts

    rng = np.random.default_rng(seed)
    n = 60
    labels = np.repeat(np.arange(3), n // 3).astype(np.int64)
    x_test = rng.integers(0, 40, (n, 28, 28), dtype=np.uint8)
    for i, c in enumerate(labels):  # a bright bar whose place tells the class
        x_test[i, 4 + 7 * c : 10 + 7 * c, 4:24] = 200 + c * 20
    data = {"x_train": x_test[:12].copy(), "y_train": labels[:12].copy(), "x_test": x_test, "y_test": labels}
    artifacts.save(artifacts.Artifact("data", data, {"n_classes": 3}), folder / "data.npz")
    emb = rng.normal(0, 0.3, (n, 8)).astype(np.float32)
    emb[:, 0] += labels * 10.0
    pred = labels.copy()
    pred[[3, 25, 47]] = (labels[[3, 25, 47]] + 1) % 3
    arrays = {
        "embedding": emb,
        "probs": np.eye(3, dtype=np.float32)[pred],
        "pred": pred,
        "labels": labels,
        "index": np.arange(n, dtype=np.int64),
        "split": np.full(n, "test"),
    }
    artifacts.save(artifacts.Artifact("embeddings", arrays, {"arch": "fixture"}), folder / "embeddings.npz")
    km = labels.copy()
    km[[0, 59]] = km[[59, 0]]
    artifacts.save(
        artifacts.Artifact("clusters", {"labels": km}, {"method": "kmeans", "params": {"k": 3}}),
        folder / "clusters-kmeans.npz",
    )
    db = labels.copy()
    centre = np.array([emb[labels == c].mean(axis=0) for c in range(3)])[labels]
    db[np.argsort(-np.linalg.norm(emb - centre, axis=1))[:6]] = -1
    artifacts.save(
        artifacts.Artifact("clusters", {"labels": db}, {"method": "dbscan", "params": {"eps": 1.5, "min_samples": 5}}),
        folder / "clusters-dbscan.npz",
    )
    coords = np.c_[emb[:, 0], emb[:, 1] * 5].astype(np.float32)
    artifacts.save(
        artifacts.Artifact("coords", {"coords": coords, "index": np.arange(n, dtype=np.int64)}, {"method": "tsne"}),
        folder / "coords-tsne.npz",
    )
    for arch, base in (("default", 0.5), ("custom", 0.3)):
        epochs = [
            {
                "epoch": e,
                "loss": base / e,
                "accuracy": 1 - base / (e + 1),
                "val_loss": base / e + 0.02 * e,
                "val_accuracy": 1 - base / (e + 1) - 0.02,
                "seconds": 1.0,
            }
            for e in range(1, 5)
        ]
        history = {
            "kind": "history",
            "arch": arch,
            "labels": "mystery",
            "n_classes": 3,
            "n_params": 1000,
            "params": {},
            "epochs": epochs,
            "test": {"loss": base, "accuracy": 1 - base / 5},
        }
        artifacts.save_json(folder / f"history-{arch}.json", history)
    return folder


@pytest.fixture
def viz(tmp_path) -> Path:
    return write_viz_artifacts(tmp_path / "art")


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """One headless chromium context per test module (tests/browser.py), with a fresh user-data folder."""
    from browser import chromium

    with chromium(tmp_path_factory) as context:
        yield context
