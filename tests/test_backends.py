"""Every Keras 3 backend: each trains in a process of its own, its model exports
with TensorFlow and embeds like TensorFlow's; devices, seeds, and a clean
standard error."""

import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import files_under, write_learnable
from helpers import training_line

from fmtwist_cli import artifacts
from fmtwist_cli.encode import embedding
from fmtwist_cli.errors import FmtwistError
from fmtwist_cli.network import backends, export, feeding, modelfiles, trainingdata

pytestmark = pytest.mark.slow

TRAIN = ["train", "--arch", "default", "--epochs", "1", "--limit", "240", "--batch-size", "32", "--seed", "0", "--json"]

# Trains twice with the same seed (folders a and b), then exports a's model:
# for JAX and PyTorch through export's own TensorFlow subprocess.
CHILD = """
import json, sys
from fmtwist_cli.network import export
from fmtwist_cli.cli.app import main
args, folders, data = json.loads(sys.argv[1])
codes = [main([*args, "-a", folder]) for folder in folders]
tensorflow_loaded = "tensorflow" in sys.modules
result = export.export(folders[0] + "/model-default.keras", data_path=data)
print(json.dumps({"codes": codes, "tensorflow_loaded": tensorflow_loaded, "max_abs_diff": result.max_abs_diff}))
"""


def installed(backend):
    return pytest.mark.skipif(
        importlib.util.find_spec(backend) is None and not os.environ.get("CI"),
        reason=f"{backend} not installed (make setup installs it; CI requires it)",
    )


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return write_learnable(tmp_path_factory.mktemp("backends"))


@pytest.mark.parametrize("backend", [pytest.param(b.value, marks=installed(b.value)) for b in backends.Backend])
def test_each_backend_trains_exports_and_embeds_like_tensorflow(tmp_path, data_dir, backend):
    folders = [tmp_path / "a", tmp_path / "b"]
    for folder in folders:
        folder.mkdir()
    data = data_dir / "data.npz"
    args = [[*TRAIN, "--backend", backend, "--data", str(data)], [str(f) for f in folders], str(data)]
    env = {**os.environ, "KERAS_BACKEND": "tensorflow"}  # the option, not the environment, picks the backend
    done = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(args)], capture_output=True, text=True, env=env, timeout=900
    )
    assert done.returncode == 0, done.stderr[-3000:]
    child = json.loads(done.stdout.strip().splitlines()[-1])
    assert child["codes"] == [0, 0]
    # no false alarms: TensorFlow's E0000 NodeDef line (op determinism under --seed), or any other E-level line
    assert "NodeDef mentions" not in done.stderr and "E0000" not in done.stderr, done.stderr[-3000:]
    assert training_line(backend) in done.stderr
    assert child["tensorflow_loaded"] == (backend == "tensorflow")  # JAX and PyTorch runs never load TensorFlow

    model_a, model_b = folders[0] / "model-default.keras", folders[1] / "model-default.keras"
    assert artifacts.file_sha256(model_a) == artifacts.file_sha256(model_b)  # same seed, same weights, same bytes
    hist = artifacts.load_history(folders[0] / "history-default.json")
    assert hist["backend"]["name"] == backend and hist["backend"]["device"] == "CPU"
    assert hist["params"]["backend"] == backend and hist["provenance"]["training"] == hist["backend"]
    versions = set(hist["backend"]["versions"])
    assert "keras" in versions and {"tensorflow": "tensorflow", "jax": "jaxlib", "torch": "torch"}[backend] in {
        v.split("-")[0] for v in versions
    }

    # exported with TensorFlow + tf2onnx, within the tolerance, carrying how it was trained
    assert 0 <= child["max_abs_diff"] <= export.TOLERANCE
    onnx_file = folders[0] / "model-default.onnx"
    info = embedding.describe(onnx_file)
    assert json.loads(info.meta["provenance"])["training"]["name"] == backend
    # and onnxruntime's answers are TensorFlow's answers for the same .keras file
    images = artifacts.load(data, "data")["x_test"]
    backends.activate(backends.Backend.tensorflow)
    keras_out = export.two_headed(modelfiles.load_model(model_a), "flatten").predict(
        trainingdata.scale(images), verbose=0
    )
    got = embedding.predict(onnx_file, images)
    assert np.abs(got["probs"] - keras_out["probs"]).max() <= export.TOLERANCE
    assert np.abs(got["embedding"] - keras_out["embedding"]).max() <= export.TOLERANCE
    result, score = embedding.embed(onnx_file, data)
    assert np.array_equal(result["pred"], keras_out["probs"].argmax(axis=1))
    assert score["accuracy"] == pytest.approx(hist["test"]["accuracy"], abs=1e-6)


def test_another_backend_in_this_process_is_refused(run, data_dir, tmp_path):
    backends.activate(backends.Backend.tensorflow)  # Keras is loaded, on TensorFlow
    code, out, err = run("train", "--backend", "jax", "--data", data_dir / "data.npz", "-a", tmp_path)
    assert (code, out) == (1, "")
    assert err == (
        "error: Keras is already loaded with the tensorflow backend in this process and cannot switch to jax; "
        "run it in a new process (fmtwist train --backend jax)\n"
    )
    assert files_under(tmp_path) == set()


def test_gpu_asked_where_there_is_none(run, data_dir, tmp_path):
    if backends.gpu_names(backends.activate(backends.Backend.tensorflow).backend):
        pytest.skip("this machine has a GPU")
    code, out, err = run(
        "train", "--device", "gpu", "--backend", "tensorflow", "--data", data_dir / "data.npz", "-a", tmp_path
    )
    assert (code, out) == (1, "")
    assert err == (
        "error: --device gpu: the tensorflow backend sees no GPU here; TensorFlow sees a CUDA GPU on Linux only "
        "(pip install 'tensorflow[and-cuda]'); or use --device cpu\n"
    )
    assert files_under(tmp_path) == set()


def test_device_cpu_is_recorded(run, data_dir, tmp_path):
    args = ["--arch", "default", "--epochs", "1", "--limit", "60", "--device", "cpu", "--backend", "tensorflow"]
    code, out, err = run("train", *args, "--data", data_dir / "data.npz", "-a", tmp_path, "--json")
    assert code == 0, err
    report = json.loads(out)
    assert (report["backend"], report["device"]) == ("tensorflow", "CPU")
    assert training_line() in err
    assert artifacts.load_history(tmp_path / "history-default.json")["params"]["device"] == "cpu"


def test_bad_backend_and_device_are_usage_errors(run, tmp_path):
    for option, value in (("--backend", "numpy"), ("--device", "tpu")):
        code, out, _ = run("train", option, value, "-a", tmp_path)
        assert (code, out) == (2, "")


def test_default_backend_follows_keras_backend(monkeypatch):
    monkeypatch.setattr(backends, "loaded_backend", lambda: None)
    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    assert backends.default_backend() is backends.Backend.tensorflow
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    assert backends.default_backend() is backends.Backend.jax
    monkeypatch.setenv("KERAS_BACKEND", "numpy")
    with pytest.raises(
        FmtwistError,
        match=r"^KERAS_BACKEND=numpy is not a backend fmtwist trains with; use one of: tensorflow, jax, torch$",
    ):
        backends.default_backend()


def test_the_loaded_backend_is_the_default():
    backends.activate(backends.Backend.tensorflow)
    assert backends.default_backend() is backends.Backend.tensorflow


def test_versions_come_from_package_metadata():
    found = backends.versions("tensorflow")
    assert "keras" in found and ("tensorflow" in found or "tensorflow-cpu" in found)


def test_arrays_for_jax_and_torch_a_dataset_for_tensorflow():
    x, y = np.zeros((10, 28, 28, 1), np.float32), np.zeros((10, 5), np.float32)
    feed = feeding.batches(x, y, 4, "jax", shuffle=True)
    assert set(feeding.fit_args(feed)) == {"x", "y", "batch_size", "shuffle"}
    assert set(feeding.fit_args(feed, fitting=False)) == {"x", "y", "batch_size"}
    assert feeding.validation_data(feed)[0] is x
    backends.activate(backends.Backend.tensorflow)
    dataset = feeding.batches(x, y, 4, "tensorflow", shuffle=True)
    assert [len(bx) for bx, _ in dataset] == [4, 4, 2]
    assert feeding.fit_args(dataset) == {"x": dataset, "shuffle": False}  # it shuffles itself
    rows = np.concatenate(
        [bx.numpy() for bx, _ in feeding.batches(np.arange(10.0), np.arange(10.0), 3, "tensorflow", True)]
    )
    assert sorted(rows) == list(range(10))  # every row once per epoch


def test_an_epoch_feeds_the_pixels_scaled_in_its_order():
    from fmtwist_cli.network.trainingdata import scale

    rng = np.random.default_rng(0)
    pixels, y = rng.integers(0, 256, (10, 28, 28), dtype=np.uint8), np.eye(5, dtype=np.float32)[np.arange(10) % 5]
    order = rng.permutation(10)
    backends.activate(backends.Backend.tensorflow)
    batches = list(feeding.epoch_batches(pixels, y, 4, "tensorflow")(order))
    assert [len(bx) for bx, _ in batches] == [4, 4, 2] and batches[0][0].dtype.name == "float32"
    np.testing.assert_array_equal(np.concatenate([bx.numpy() for bx, _ in batches]), scale(pixels[order]))  # to the bit
    np.testing.assert_array_equal(np.concatenate([by.numpy() for _, by in batches]), y[order])
    feed = feeding.epoch_batches(pixels, y, 4, "jax")(order)  # Keras slices the scaled arrays itself
    np.testing.assert_array_equal(feed.x, scale(pixels[order]))
    np.testing.assert_array_equal(feed.y, y[order])
