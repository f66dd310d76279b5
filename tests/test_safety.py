"""Safe loading, atomic writes and Ctrl-C (issue 7, parts 2 and 3).

* No file fmtwist reads can make it run code: ``.npz`` files are read without
  pickle, ``.keras`` models in Keras safe mode, ``.onnx`` models only after
  onnx.checker and with no reference to other files.
* A writer killed at any moment leaves the previous artifact or the new one,
  never half a file.
* Ctrl-C exits with code 130, no traceback, and leaves existing artifacts alone.
"""

from __future__ import annotations

import json
import os
import pathlib
import random
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import write_learnable, write_viz_artifacts
from helpers import tiny_onnx

from fmtwist_cli import artifacts
from fmtwist_cli.errors import ArtifactError

ROOT = Path(__file__).resolve().parents[1]


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (hidden ones too) with its SHA-256."""
    return {str(p.relative_to(folder)): artifacts.file_sha256(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def quiet_env() -> dict[str, str]:
    return {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "NO_COLOR": "1", "PYTHONUNBUFFERED": "1"}


# --------------------------------------------------------------------------
# pickles are never loaded


class Payload:
    """Unpickling this writes a marker file: proof that code ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (pathlib.Path.write_text, (pathlib.Path(self.marker), "code ran"))


def pickled_npz(path: Path, kind: str, field: str, marker: Path) -> Path:
    """A copy of a valid ``kind`` artifact whose ``field`` is a pickled object array."""
    arrays = artifacts.read_npz(path)
    arrays[field] = np.array([Payload(marker)], dtype=object)
    out = path.with_name(f"evil-{kind}.npz")
    np.savez(out, **arrays)  # allow_pickle is numpy's default when saving
    return out


@pytest.mark.parametrize(
    "kind, source, field, command",
    [
        ("data", "data.npz", "x_train", ["train", "--data", "{evil}", "-a", "{art}"]),
        ("embeddings", "embeddings.npz", "embedding", ["cluster", "--embeddings", "{evil}", "-a", "{art}"]),
        (
            "clusters",
            "clusters-kmeans.npz",
            "labels",
            ["inspect", "--cluster", "0", "--clusters", "{evil}", "-a", "{art}"],
        ),
        ("coords", "coords-tsne.npz", "coords", ["plot", "scatter", "--coords", "{evil}", "-a", "{art}"]),
        ("source", "data.npz", "y_test", ["prepare", "--source", "{evil}", "-a", "{art}"]),
        ("any", "coords-tsne.npz", "meta", ["info", "{evil}"]),
    ],
)
def test_pickled_object_arrays_are_refused(run, viz, tmp_path, kind, source, field, command):
    marker = tmp_path / "marker"
    evil = pickled_npz(viz / source, kind, field, marker)
    before = snapshot(tmp_path)
    code, out, err = run(*[a.format(evil=evil, art=viz) for a in command])
    assert (code, out) == (1, "")
    assert err == f"error: {evil} holds Python objects, which fmtwist never loads (pickle is unsafe)\n"
    assert not marker.exists()
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("kind", sorted(artifacts.FORMATS))
def test_loader_refuses_pickles_of_every_kind(viz, tmp_path, kind):
    source = {
        "data": "data.npz",
        "embeddings": "embeddings.npz",
        "clusters": "clusters-kmeans.npz",
        "coords": "coords-tsne.npz",
    }[kind]
    marker = tmp_path / "marker"
    evil = pickled_npz(viz / source, kind, next(iter(artifacts.FORMATS[kind].fields)), marker)
    with pytest.raises(ArtifactError, match="holds Python objects, which fmtwist never loads"):
        artifacts.load(evil, kind)
    assert not marker.exists()


# --------------------------------------------------------------------------
# Keras models load in safe mode


def test_keras_lambda_layer_is_refused_and_never_runs(run, tmp_path):
    from fmtwist_cli.network import models

    keras = models.import_keras()
    marker = tmp_path / "marker"
    inp = keras.Input((28, 28, 1))
    target = str(marker)
    # the hidden code a malicious model would run: a bare open() is the point, not a leak to fix
    x = keras.layers.Lambda(lambda t: (open(target, "w").write("code ran"), t)[1])(inp)  # noqa: SIM115
    x = keras.layers.Flatten(name="flatten")(x)
    model = keras.Model(inp, keras.layers.Dense(5, activation="softmax", name="probs")(x))
    path = tmp_path / "model-evil.keras"
    model.save(path)
    marker.unlink()  # building the model ran the lambda once, here, on purpose
    before = snapshot(tmp_path)

    code, out, err = run("export", "--model", path, "-a", tmp_path)
    assert (code, out) == (1, "")
    assert err == (
        f"error: {path} holds Python code (a Lambda layer or function), which fmtwist never runs: "
        "models are loaded in Keras safe mode; rebuild the model without Lambda layers\n"
    )
    assert not marker.exists()
    assert snapshot(tmp_path) == before


# --------------------------------------------------------------------------
# ONNX models are checked before onnxruntime sees them


def external_data_onnx(path: Path, secret: Path) -> Path:
    """A well-formed model whose weights are 'stored' in another file: loading
    it would read ``secret`` into the network."""
    import onnx

    model = onnx.load(str(tiny_onnx(path.with_name("plain.onnx"), n_classes=3)))
    weights = next(t for t in model.graph.initializer if t.name == "W")
    weights.ClearField("raw_data")
    weights.ClearField("float_data")
    weights.data_location = onnx.TensorProto.EXTERNAL
    for key, value in (
        ("location", os.path.relpath(secret, path.parent)),
        ("offset", "0"),
        ("length", str(secret.stat().st_size)),
    ):
        entry = weights.external_data.add()
        entry.key, entry.value = key, value
    path.write_bytes(model.SerializeToString())
    return path


def onnx_cases(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """Crafted or corrupt .onnx files and the error each must give."""
    good = tiny_onnx(tmp_path / "good.onnx", n_classes=3).read_bytes()
    secret = tmp_path / "secret.bin"
    secret.write_bytes(b"\x01" * (784 * 3 * 4))
    cases = {
        "random bytes": (b"\x08\x07garbage\xff\xfe" * 50, "is not a valid ONNX model ("),
        "truncated": (good[: len(good) // 2], "is not a valid ONNX model ("),
        "empty": (b"", "is not a valid ONNX model ("),
    }
    out = {}
    for name, (content, message) in cases.items():
        path = tmp_path / f"model {name}.onnx"
        path.write_bytes(content)
        out[name] = (path, message)
    out["external data"] = (
        external_data_onnx(tmp_path / "model external.onnx", secret),
        "refers to external data files, which fmtwist models never do; refusing to load it",
    )
    return out


@pytest.mark.parametrize("case", ["random bytes", "truncated", "empty", "external data"])
def test_crafted_onnx_refused_by_embed_and_report(run, tmp_path, case):
    art = write_viz_artifacts(tmp_path / "art")
    path, message = onnx_cases(tmp_path)[case]
    before = snapshot(tmp_path)
    code, out, err = run("embed", "--model", path, "-a", art)
    assert (code, out) == (1, "")
    assert err.startswith(f"error: {path} ") and message in err and err.count("\n") == 1
    code, out, err = run("report", "--reference", path, "-a", art)
    assert (code, out) == (1, "")
    # refused while the inputs are read, before any progress line
    assert err.startswith(f"error: {path} ") and message in err and err.count("\n") == 1
    assert snapshot(tmp_path) == before


def test_checked_model_still_runs(tmp_path):
    from fmtwist_cli.encode import embedding

    path = tiny_onnx(tmp_path / "m.onnx", n_classes=3)
    out = embedding.predict(path, np.zeros((2, 28, 28), np.uint8))
    assert out["probs"].shape == (2, 3)


# --------------------------------------------------------------------------
# atomic writes: SIGKILL at random moments

WRITER = """
import sys
import numpy as np
from fmtwist_cli import artifacts

path, kind, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
rng = np.random.default_rng(1)
new = rng.random((n, 2), dtype=np.float32)
print("writing", flush=True)
while True:  # write the same new content over and over: every moment is a moment of writing
    if kind == "npz":
        artifacts.save(artifacts.Artifact("coords", {"coords": new, "index": np.arange(n)}, {"method": "new"}), path)
    else:
        artifacts.save_json(path, {"kind": "new", "values": new[:, 0].tolist()})
"""
TEMP_FILE = re.compile(r"^\.c\.[^/]+\.tmp\.(npz|json)$")


@pytest.mark.slow  # fresh processes, killed mid-write
@pytest.mark.parametrize("kind", ["npz", "json"])
def test_sigkill_leaves_old_or_new_file(tmp_path, kind):
    n = 200_000 if kind == "npz" else 50_000
    path = tmp_path / f"c.{kind}"
    new = np.random.default_rng(1).random((n, 2), dtype=np.float32)
    if kind == "npz":
        artifacts.save(
            artifacts.Artifact(
                "coords", {"coords": np.zeros((n, 2), np.float32), "index": np.arange(n)}, {"method": "old"}
            ),
            path,
        )
    else:
        artifacts.save_json(path, {"kind": "old"})
    rnd = random.Random(7)
    outcomes = set()
    for _ in range(6):
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), kind, str(n)], stdout=subprocess.PIPE, cwd=ROOT, env=quiet_env()
        )
        assert proc.stdout.readline() == b"writing\n"
        time.sleep(rnd.uniform(0.0, 0.4))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        if kind == "npz":
            loaded = artifacts.load(path, "coords")
            outcomes.add(loaded.meta["method"])
            expected = np.zeros((n, 2), np.float32) if loaded.meta["method"] == "old" else new
            assert np.array_equal(loaded["coords"], expected)
        else:
            loaded = artifacts.load_json(path)
            outcomes.add(loaded["kind"])
            assert loaded == {"kind": "old"} or loaded == {"kind": "new", "values": new[:, 0].tolist()}
        # SIGKILL gives no chance to clean up: a hidden temporary file may stay
        # beside the artifact; nothing reads it and no artifact pattern matches it.
        leftovers = {p.name for p in tmp_path.iterdir()} - {path.name}
        assert all(TEMP_FILE.match(name) for name in leftovers), leftovers
    assert outcomes <= {"old", "new"} and "new" in outcomes


def test_failure_in_a_writer_removes_its_temporary_file(tmp_path):
    def boom(fh):
        fh.write(b"half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        artifacts.write_bytes(tmp_path / "c.npz", boom)
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------
# Ctrl-C


def interrupt_when(
    proc: subprocess.Popen, ready: str, delay: float = 0.5, timeout: float = 120
) -> tuple[int | None, str]:
    """Send SIGINT ``delay`` seconds after a line containing ``ready`` appears
    on stderr; return the exit code (None: still running two minutes later,
    then killed) and the whole of stderr."""
    lines: list[str] = []
    seen = threading.Event()

    def read() -> None:
        for raw in proc.stderr:
            line = raw.decode("utf-8", "replace")
            lines.append(line)
            if ready in line:
                seen.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    code = None
    try:
        assert seen.wait(timeout), f"never saw {ready!r}; stderr: {''.join(lines)}"
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=timeout)  # generous: a loaded machine is slow to exit too
    except subprocess.TimeoutExpired:
        pass
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    reader.join(timeout=10)
    return code, "".join(lines)


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.0, 0.3, 0.7])
def test_ctrl_c_during_training(tmp_path, delay):
    """Several moments, as TensorFlow used to lose one Ctrl-C in fifteen and train on."""
    art = write_learnable(tmp_path / "art")
    (art / "model-default.keras").write_bytes(b"the previous model")
    (art / "history-default.json").write_text(json.dumps({"kind": "history", "previous": True}))
    before = snapshot(art)
    cmd = [
        sys.executable,
        "-m",
        "fmtwist_cli",
        "train",
        "--arch",
        "default",
        "--epochs",
        "500",
        "--batch-size",
        "16",
        "--seed",
        "0",
        "-a",
        str(art),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, env=quiet_env())
    code, err = interrupt_when(proc, "Epoch 1/500", delay)
    assert code == 130, f"exit code {code} (None: Ctrl-C ignored, still training); stderr: {err}"
    assert "Traceback" not in err and "Error" not in err, err
    assert proc.stdout.read() == b""
    after = snapshot(art)
    after.pop("checkpoint-default.npz", None)  # the interrupted run's, to carry on from (tests/test_resume.py)
    assert after == before


TSNE_DRIVER = """
import sys
from fmtwist_cli.maps import projection
from fmtwist_cli.cli.app import main

original = projection._sklearn_tsne

def announced(*args, **kwargs):
    print("t-SNE started", file=sys.stderr, flush=True)
    return original(*args, **kwargs)

projection._sklearn_tsne = announced
raise SystemExit(main(sys.argv[1:]))
"""


@pytest.mark.slow
def test_ctrl_c_during_tsne(tmp_path):
    art = tmp_path / "art"
    rng = np.random.default_rng(0)
    n = 5000
    arrays = {
        "embedding": rng.normal(size=(n, 16)).astype(np.float32),
        "probs": np.full((n, 2), 0.5, np.float32),
        "pred": np.zeros(n, np.int64),
        "index": np.arange(n),
        "split": np.full(n, "test"),
    }
    artifacts.save(artifacts.Artifact("embeddings", arrays), art / "embeddings.npz")
    (art / "coords-tsne.npz").write_bytes(b"the previous map")
    before = snapshot(art)
    cmd = [
        sys.executable,
        "-c",
        TSNE_DRIVER,
        "reduce",
        "--method",
        "tsne",
        "--backend",
        "sklearn",
        "--seed",
        "0",
        "-a",
        str(art),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, env=quiet_env())
    code, err = interrupt_when(proc, "t-SNE started")
    assert code == 130, err
    assert err == "t-SNE started\n"
    assert proc.stdout.read() == b""
    assert snapshot(art) == before
