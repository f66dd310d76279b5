"""Same commands, same --seed, same machine: the same artifacts (issue 7, part 5).

The whole pipeline runs twice, into two folders, and every artifact is
compared: arrays exactly, metadata exactly apart from timings, the hashes of
input files and the folder's own path, Keras models by their weights, ONNX models by their
graph, weights and metadata.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import tiny_arrays, write_idx_folder, write_learnable

from fmtwist_cli import artifacts

pytestmark = pytest.mark.slow

# Timings differ from run to run, and so do the SHA-256s of input files
# recorded as provenance: those files hold timings and paths themselves (and a
# .keras file its save date).
RUN_DEPENDENT = re.compile(r"seconds|time|elapsed|sha256", re.IGNORECASE)


def normalized(obj: Any, folder: Path) -> Any:
    """``obj`` without run-dependent keys, with the run's folder written as <run>."""
    if isinstance(obj, dict):
        return {k: normalized(v, folder) for k, v in obj.items() if not RUN_DEPENDENT.search(str(k))}
    if isinstance(obj, list):
        return [normalized(v, folder) for v in obj]
    if isinstance(obj, str):
        if obj[:1] in "{[":  # JSON held in a string (ONNX metadata)
            try:
                return normalized(json.loads(obj), folder)
            except json.JSONDecodeError:
                pass
        return obj.replace(str(folder), "<run>")
    return obj


def same_npz(a: Path, b: Path, kind: str) -> None:
    x, y = artifacts.load(a, kind), artifacts.load(b, kind)
    assert x.arrays.keys() == y.arrays.keys()
    for key in x.arrays:
        assert np.array_equal(x[key], y[key]), f"{a.name}: '{key}' differs"
    assert normalized(x.meta, a.parent) == normalized(y.meta, b.parent)


def same_json(a: Path, b: Path) -> None:
    assert normalized(artifacts.load_json(a), a.parent) == normalized(artifacts.load_json(b), b.parent)


def same_keras(a: Path, b: Path) -> None:
    from fmtwist_cli.network import modelfiles

    wa, wb = modelfiles.load_model(a).get_weights(), modelfiles.load_model(b).get_weights()
    assert len(wa) == len(wb) and all(np.array_equal(u, v) for u, v in zip(wa, wb))


def same_onnx(a: Path, b: Path) -> None:
    import onnx
    from onnx import numpy_helper

    x, y = onnx.load(str(a)), onnx.load(str(b))
    weights = lambda m: {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}  # noqa: E731
    wx, wy = weights(x), weights(y)
    assert wx.keys() == wy.keys() and all(np.array_equal(wx[k], wy[k]) for k in wx)
    assert [(n.op_type, list(n.input), list(n.output)) for n in x.graph.node] == [
        (n.op_type, list(n.input), list(n.output)) for n in y.graph.node
    ]
    meta = lambda m, folder: normalized({p.key: p.value for p in m.metadata_props}, folder)  # noqa: E731
    assert meta(x, a.parent) == meta(y, b.parent)


def test_prepare_is_reproducible(run, tmp_path):
    write_idx_folder(tmp_path / "idx", tiny_arrays())
    for name in ("a", "b"):
        code, _, err = run(
            "prepare", "--source", tmp_path / "idx", "--twist", "random", "--seed", "3", "-a", tmp_path / name
        )
        assert code == 0, err
    same_npz(tmp_path / "a" / "data.npz", tmp_path / "b" / "data.npz", "data")
    same_json(tmp_path / "a" / "twist.json", tmp_path / "b" / "twist.json")


STEPS = [
    ["train", "--arch", "default", "--epochs", "1", "--batch-size", "32", "--seed", "0"],
    ["export", "--arch", "default"],
    ["embed", "--model", "{art}/model-default.onnx"],
    ["cluster", "--method", "kmeans", "--seed", "0"],
    ["cluster", "--method", "dbscan", "--seed", "0"],
    ["reduce", "--method", "pca", "--seed", "0"],
    ["reduce", "--method", "tsne", "--seed", "0"],
]
DRIVER = """
import json, sys
from fmtwist_cli.cli.app import main
for step in json.loads(sys.argv[1]):
    assert main(step) == 0, step
"""


@pytest.fixture(scope="module")
def twice(tmp_path_factory) -> tuple[Path, Path]:
    """The pipeline after prepare, run with --seed 0 into two folders: once
    in this process, once in a fresh one (as a user would run it again)."""
    from fmtwist_cli.cli.app import main

    folders = [write_learnable(tmp_path_factory.mktemp(name)) for name in ("a", "b")]
    steps = [[*(a.format(art=art) for a in step), "-a", str(art), "--json"] for art in folders for step in STEPS]
    for step in steps[: len(STEPS)]:
        assert main(step) == 0, step
    done = subprocess.run(
        [sys.executable, "-c", DRIVER, json.dumps(steps[len(STEPS) :])],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    assert done.returncode == 0, done.stderr
    return folders[0], folders[1]


def test_train_is_reproducible(twice):
    a, b = twice
    same_keras(a / "model-default.keras", b / "model-default.keras")
    same_json(a / "history-default.json", b / "history-default.json")


def test_export_is_reproducible(twice):
    a, b = twice
    same_onnx(a / "model-default.onnx", b / "model-default.onnx")


@pytest.mark.parametrize(
    "name, kind",
    [
        ("embeddings.npz", "embeddings"),
        ("clusters-kmeans.npz", "clusters"),
        ("clusters-dbscan.npz", "clusters"),
        ("coords-pca.npz", "coords"),
        ("coords-tsne.npz", "coords"),
    ],
)
def test_later_steps_are_reproducible(twice, name, kind):
    a, b = twice
    same_npz(a / name, b / name, kind)


def test_another_seed_gives_another_map(twice, run, tmp_path):
    """The comparison above can fail: a different seed changes the t-SNE map."""
    a, _ = twice
    code, _, err = run(
        "reduce",
        "--method",
        "tsne",
        "--seed",
        "1",
        "--embeddings",
        a / "embeddings.npz",
        "--out",
        tmp_path / "c.npz",
        "-a",
        a,
    )
    assert code == 0, err
    with pytest.raises(AssertionError):
        same_npz(a / "coords-tsne.npz", tmp_path / "c.npz", "coords")
