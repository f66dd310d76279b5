"""Embedding and classifying through onnxruntime, and `fmtwist embed`."""

import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import files_under, write_learnable
from helpers import tiny_onnx, usage_message

from fmtwist_cli import artifacts
from fmtwist_cli.encode import embedding
from fmtwist_cli.errors import ArtifactError, DataError, FmtwistError
from fmtwist_cli.network import export, modelfiles, trainingdata

pytestmark = pytest.mark.slow


@pytest.fixture
def work(tmp_path, trained):
    import shutil

    for name in ("data.npz", "model-default.onnx", "model-custom.onnx"):
        shutil.copy(trained / name, tmp_path / name)
    return tmp_path


@pytest.mark.parametrize("arch", ["default", "custom"])
def test_embed_accuracy_equals_keras_accuracy(run, work, trained, arch):
    code, out, err = run("embed", "--model", work / f"model-{arch}.onnx", "-a", work, "--json")
    assert code == 0, err
    report = json.loads(out)
    data = artifacts.load(trained / "data.npz", "data")
    model = modelfiles.load_model(trained / f"model-{arch}.keras")
    keras_pred = model.predict(trainingdata.scale(data["x_test"]), verbose=0).argmax(axis=1)
    keras_accuracy = float(np.mean(keras_pred == data["y_test"]))
    assert report["accuracy"] == keras_accuracy
    saved = artifacts.load(work / "embeddings.npz", "embeddings")
    assert np.array_equal(saved["pred"], keras_pred)
    assert saved.meta["accuracy"] == keras_accuracy


def test_embeddings_file(run, work):
    code, out, err = run("embed", "-a", work)
    assert code == 0, err
    data = artifacts.load(work / "data.npz", "data")
    saved = artifacts.load(work / "embeddings.npz", "embeddings")
    n = len(data["x_test"])
    assert saved["embedding"].shape == (n, 2_304) and saved["probs"].shape == (n, 5)
    assert np.array_equal(saved["labels"], data["y_test"])
    assert np.array_equal(saved["index"], np.arange(n)) and set(saved["split"]) == {"test"}
    assert np.array_equal(saved["pred"], saved["probs"].argmax(axis=1))
    meta = saved.meta
    assert (meta["arch"], meta["layer"], meta["n_classes"], meta["split"]) == ("custom", "flatten", 5, "test")
    assert meta["model"] == str(work / "model-custom.onnx") and meta["data"] == str(work / "data.npz")
    # the printed figures are the saved ones
    matrix = embedding.confusion(saved["labels"], saved["pred"], 5)
    assert f"Accuracy (onnxruntime): {meta['accuracy']:.4f}" in out
    assert " ".join(str(v) for v in matrix[0]) in " ".join(out.replace("│", " ").split())
    assert f"wrote {work / 'embeddings.npz'}" in out


def test_split_all_is_train_then_test(run, work):
    out_file = work / "all.npz"
    code, _, err = run(
        "embed", "--split", "all", "--out", out_file, "--batch-size", "100", "--threads", "1", "-a", work
    )
    assert code == 0, err
    data = artifacts.load(work / "data.npz", "data")
    saved = artifacts.load(out_file, "embeddings")
    n_train, n_test = len(data["x_train"]), len(data["x_test"])
    assert saved.rows() == n_train + n_test
    assert list(saved["split"][[0, n_train - 1, n_train, -1]]) == ["train", "train", "test", "test"]
    assert np.array_equal(saved["index"], np.concatenate([np.arange(n_train), np.arange(n_test)]))
    assert np.array_equal(saved["labels"], np.concatenate([data["y_train"], data["y_test"]]))
    assert not (work / "embeddings.npz").exists()


def test_predict_does_not_depend_on_batch_size(trained):
    images = artifacts.load(trained / "data.npz", "data")["x_test"][:50]
    seen = []
    small = embedding.predict(
        trained / "model-custom.onnx",
        images,
        batch_size=7,
        threads=1,
        progress=lambda n, total: seen.append((n, total)),
    )
    whole = embedding.predict(trained / "model-custom.onnx", images, batch_size=256)
    assert seen == [(n, 50) for n in (7, 14, 21, 28, 35, 42, 49, 50)]  # done so far, after each batch
    np.testing.assert_allclose(small["embedding"], whole["embedding"], atol=1e-5)
    np.testing.assert_allclose(small["probs"], whole["probs"], atol=1e-6)


def test_predict_scales_pixels_by_the_metadata_factor(tmp_path):
    images = np.full((2, 28, 28), 255, np.uint8)
    out = embedding.predict(tiny_onnx(tmp_path / "m.onnx"), images)  # no metadata: 1/255
    np.testing.assert_allclose(out["embedding"], 1.0)


def test_predict_rejects_images_of_the_wrong_kind(trained):
    with pytest.raises(DataError, match=r"^images must be N x 28 x 28, got 2x32x32$"):
        embedding.predict(trained / "model-default.onnx", np.zeros((2, 32, 32), np.uint8))
    with pytest.raises(DataError, match=r"^images must be uint8 pixels \(0-255\), got float64$"):
        embedding.predict(trained / "model-default.onnx", np.zeros((2, 28, 28)))


def test_embed_never_imports_tensorflow(trained, tmp_path):
    code = (
        "import sys\n"
        "from fmtwist_cli.cli.app import main\n"
        f"rc = main(['embed', '--model', {str(trained / 'model-default.onnx')!r}, "
        f"'--data', {str(trained / 'data.npz')!r}, '-a', {str(tmp_path)!r}])\n"
        "heavy = [m for m in ('tensorflow', 'keras', 'tf2onnx') if m in sys.modules]\n"
        "assert rc == 0 and not heavy, (rc, heavy)\n"
        "assert 'onnxruntime' in sys.modules\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "embeddings.npz").is_file()


# --------------------------------------------------------------------------
# bad input: one line, exit 1, nothing written


@pytest.fixture
def data_only(tmp_path):
    return write_learnable(tmp_path / "a", n_train=20, n_test=10)


def embed_fails(run, folder, *args):
    before = files_under(folder)
    code, out, err = run("embed", *args, "-a", folder)
    assert (code, out) == (1, "")
    assert files_under(folder) == before
    return err


def test_missing_model_names_the_command(run, data_only):
    err = embed_fails(run, data_only)
    assert (
        err == f"error: ONNX model not found: {data_only / 'model-custom.onnx'} "
        "(run `fmtwist export --arch custom` first)\n"
    )


def test_file_that_is_not_a_model(run, data_only):
    (data_only / "model-custom.onnx").write_text("hello")
    err = embed_fails(run, data_only)
    assert (
        err.startswith(f"error: {data_only / 'model-custom.onnx'} is not a valid ONNX model (") and err.count("\n") == 1
    )


def test_input_shape_that_does_not_fit(run, data_only):
    model = tiny_onnx(data_only / "m.onnx", input_shape=("N", 32, 32, 1))
    err = embed_fails(run, data_only, "--model", model)
    assert (
        err == f"error: {model} expects input of shape (N, 32, 32, 1), "
        "but the images are N x 28 x 28 x 1 (make the model with `fmtwist export`)\n"
    )


def test_class_count_that_does_not_fit(run, data_only):
    model = tiny_onnx(data_only / "m.onnx", n_classes=10)
    err = embed_fails(run, data_only, "--model", model)
    assert (
        err == f"error: {model} predicts 10 classes but {data_only / 'data.npz'} has 5 mystery classes; "
        "export a model trained on this data\n"
    )


def test_model_without_the_named_outputs(run, data_only):
    model = tiny_onnx(data_only / "m.onnx", outputs=("flat", "softmax"))
    err = embed_fails(run, data_only, "--model", model)
    assert (
        err
        == f"error: {model} has no 'embedding' output (its outputs: flat, softmax); export it with `fmtwist export`\n"
    )


def test_missing_data(run, tmp_path):
    model = tiny_onnx(tmp_path / "m.onnx")
    err = embed_fails(run, tmp_path, "--model", model)
    assert err == f"error: data file not found: {tmp_path / 'data.npz'} (run `fmtwist prepare` first)\n"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--threads", "0"], "--threads must be at least 1 (got 0)"),
        (["--batch-size", "0"], "--batch-size must be at least 1 (got 0)"),
    ],
)
def test_bad_options(run, data_only, args, message):
    model = tiny_onnx(data_only / "m.onnx")
    err = embed_fails(run, data_only, "--model", model, *args)
    assert err == f"error: {message}\n"


@pytest.mark.parametrize(
    "option, value, choices",
    [("--split", "val", "'test', 'train', 'all'"), ("--provider", "tpu", "'auto', 'cpu', 'cuda'")],
)
def test_fixed_choices_are_usage_errors(run, data_only, option, value, choices):
    model = tiny_onnx(data_only / "m.onnx")
    before = files_under(data_only)
    code, out, err = run("embed", "--model", model, option, value, "-a", data_only)
    assert (code, out) == (2, "")
    assert f"Invalid value for '{option}': Value error, '{value}' is not one of {choices}" in usage_message(err)
    assert files_under(data_only) == before


def no_cuda():
    import onnxruntime

    if embedding.CUDA in onnxruntime.get_available_providers():
        pytest.skip("this onnxruntime has a CUDA provider")
    return onnxruntime.get_available_providers()


def test_cuda_asked_where_onnxruntime_has_none(run, data_only):
    available = no_cuda()
    model = tiny_onnx(data_only / "m.onnx")
    err = embed_fails(run, data_only, "--model", model, "--provider", "cuda")
    assert err == (
        f"error: --provider cuda: this onnxruntime has no CUDA provider (it has {', '.join(available)}); install "
        "onnxruntime-gpu in place of onnxruntime (pip install 'fmtwist[cuda]') on a machine with an NVIDIA GPU\n"
    )


@pytest.mark.parametrize("args", [[], ["--provider", "cpu"]])
def test_the_provider_is_said_and_recorded(run, data_only, args):
    no_cuda()
    model = tiny_onnx(data_only / "m.onnx")
    code, out, err = run("embed", "--model", model, *args, "-a", data_only, "--json")
    assert code == 0, err
    assert "onnxruntime ran on the CPU (no CUDA provider: onnxruntime-gpu is not installed)" in err.splitlines()
    assert json.loads(out)["provider"] == "CPUExecutionProvider"
    assert artifacts.load(data_only / "embeddings.npz", "embeddings").meta["provider"] == "CPUExecutionProvider"


def test_a_hand_made_model_embeds(run, data_only):
    model = tiny_onnx(data_only / "m.onnx")
    code, out, err = run("embed", "--model", model, "-a", data_only, "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["images"] == 10 and report["embedding_dim"] == 784 and report["arch"] == "unknown"
    assert len(report["confusion"]) == 5 and sum(map(sum, report["confusion"])) == 10


def test_describe_reads_the_export_metadata(trained):
    info = embedding.describe(trained / "model-custom.onnx")
    assert (info.arch, info.layer, info.labels, info.n_classes, info.embedding_dim) == (
        "custom",
        "flatten",
        "mystery",
        5,
        2_304,
    )
    assert info.input_shape == ["N", 28, 28, 1] and info.scale == pytest.approx(1 / 255)
    assert info.meta["input_scale"] == export.metadata("custom", "mystery", 5, "flatten", 2_304, trained)["input_scale"]


def test_scores():
    labels, pred = np.array([0, 0, 1, 1, 2]), np.array([0, 1, 1, 1, 0])
    s = embedding.scores(labels, pred, 4)
    assert s["accuracy"] == 3 / 5
    assert s["per_class_accuracy"] == [0.5, 1.0, 0.0, None]
    assert s["confusion"][0] == [1, 1, 0, 0] and s["confusion"][2] == [1, 0, 0, 0]


def test_select_rejects_unknown_split(trained):
    with pytest.raises(FmtwistError):
        embedding.select(artifacts.load(trained / "data.npz", "data"), "valid")


def test_bad_onnx_file_raises_artifact_error(tmp_path):
    (tmp_path / "x.onnx").write_bytes(b"\x00\x01garbage")
    with pytest.raises(ArtifactError, match="is not a valid ONNX model"):
        embedding.describe(tmp_path / "x.onnx")


def test_bench_script_runs_and_writes_figures(trained, tmp_path, capsys):
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location(
        "bench_embed", Path(__file__).parent.parent / "bench" / "bench_embed.py"
    )
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    out_file = tmp_path / "bench.json"
    assert (
        bench.main(
            ["-a", str(trained), "--arch", "default", "--images", "64", "--repeat", "1", "--json", str(out_file)]
        )
        == 0
    )
    result = json.loads(out_file.read_text())
    assert result["images"] == f"64 test images of {trained / 'data.npz'}"
    assert result["ratio"] == pytest.approx(result["keras_predict"]["seconds"] / result["onnxruntime"]["seconds"])
    assert result["max_abs_diff"] <= export.TOLERANCE
    assert "onnxruntime / Keras:" in capsys.readouterr().out
