"""Keras -> ONNX: named input and outputs, metadata, checker, parity."""

import json
import shutil

import numpy as np
import pytest
from conftest import files_under

from fmtwist_cli import artifacts
from fmtwist_cli.encode import embedding
from fmtwist_cli.errors import ArtifactError
from fmtwist_cli.network import export, modelfiles, trainingdata

pytestmark = pytest.mark.slow


@pytest.fixture
def work(tmp_path, trained):
    """A writable copy of the trained folder (data, Keras models, histories)."""
    for name in (
        "data.npz",
        "model-default.keras",
        "history-default.json",
        "model-custom.keras",
        "history-custom.json",
    ):
        shutil.copy(trained / name, tmp_path / name)
    return tmp_path


@pytest.mark.parametrize("arch, dim", [("default", 6_272), ("custom", 2_304)])
def test_onnx_matches_keras(trained, arch, dim):
    images = artifacts.load(trained / "data.npz", "data")["x_test"]
    head = export.two_headed(modelfiles.load_model(trained / f"model-{arch}.keras"), "flatten")
    want = head.predict(trainingdata.scale(images), verbose=0)
    got = embedding.predict(trained / f"model-{arch}.onnx", images, batch_size=64)
    assert got["embedding"].shape == (len(images), dim) and got["embedding"].dtype == np.float32
    assert got["probs"].shape == (len(images), 5) and got["probs"].dtype == np.float32
    assert np.abs(got["embedding"] - want["embedding"]).max() <= export.TOLERANCE
    assert np.abs(got["probs"] - want["probs"]).max() <= export.TOLERANCE
    np.testing.assert_allclose(got["probs"].sum(axis=1), 1.0, atol=1e-5)


def test_onnx_file_passes_checker_and_names_its_io(trained):
    import onnx

    proto = onnx.load(trained / "model-custom.onnx")
    onnx.checker.check_model(proto)
    assert [i.name for i in proto.graph.input] == ["image"]
    assert sorted(o.name for o in proto.graph.output) == ["embedding", "probs"]
    dims = proto.graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_value for d in dims[1:]] == [28, 28, 1]
    meta = {p.key: p.value for p in proto.metadata_props}
    assert meta["arch"] == "custom" and meta["n_classes"] == "5" and meta["layer"] == "flatten"
    assert meta["labels"] == "mystery" and meta["embedding_dim"] == "2304"
    assert float(meta["input_scale"]) == pytest.approx(1 / 255)
    assert meta["fmtwist_version"]
    assert 0 <= float(meta["keras_max_abs_diff"]) <= 1e-4  # the difference export measured


def test_export_command_prints_the_difference(run, work):
    code, out, err = run("export", "--arch", "default", "-a", work)
    assert code == 0, err
    assert "Keras vs onnxruntime on 200 test images of" in out and "largest absolute difference" in out
    assert f"wrote {work / 'model-default.onnx'}" in out
    info = embedding.describe(work / "model-default.onnx")
    assert (info.arch, info.n_classes, info.embedding_dim) == ("default", 5, 6_272)


def test_export_other_layer_as_json(run, work):
    out_file = work / "dense.onnx"
    code, out, err = run("export", "--layer", "dense", "--out", out_file, "-a", work, "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["layer"] == "dense" and report["embedding_dim"] == 64 and report["written"] == str(out_file)
    assert report["max_abs_diff"] <= 1e-4 and set(report["diffs"]) == {"embedding", "probs"}
    assert embedding.predict(out_file, np.zeros((3, 28, 28), np.uint8))["embedding"].shape == (3, 64)


def test_export_without_data_compares_random_images(work):
    result = export.export(work / "model-default.keras", work / "x.onnx", data_path=work / "absent.npz")
    assert result.sample_source == "512 random images" and result.max_abs_diff <= 1e-4


def test_unknown_layer_lists_valid_ones(run, work):
    before = files_under(work)
    code, out, err = run("export", "--arch", "default", "--layer", "dense", "-a", work)
    assert (code, out) == (1, "")
    assert (
        err == f"error: no layer 'dense' in {work / 'model-default.keras'}; "
        "valid layers: conv1, pool1, conv2, flatten, probs\n"
    )
    assert files_under(work) == before


def test_missing_model_names_the_command(run, tmp_path):
    code, _, err = run("export", "--labels", "original", "-a", tmp_path)
    assert (code, err) == (
        1,
        f"error: Keras model not found: {tmp_path / 'model-custom-original.keras'} "
        "(run `fmtwist train --arch custom --labels original` first)\n",
    )
    assert files_under(tmp_path) == set()


def test_not_a_model(run, tmp_path):
    (tmp_path / "model-custom.keras").write_bytes(b"PK\x03\x04 junk")
    code, _, err = run("export", "-a", tmp_path)
    assert code == 1 and err.startswith(f"error: {tmp_path / 'model-custom.keras'} is not a valid Keras model (")
    assert files_under(tmp_path) == {tmp_path / "model-custom.keras"}


def test_disagreement_fails_and_writes_nothing(work, monkeypatch):
    real = embedding.predict

    def off_by_a_bit(*args, **kwargs):
        out = real(*args, **kwargs)
        out["probs"] = out["probs"] + np.float32(3e-4)
        return out

    monkeypatch.setattr(embedding, "predict", off_by_a_bit)
    before = files_under(work)
    with pytest.raises(
        ArtifactError, match=r"largest absolute difference 0\.0003\d* > 0\.0001; .*model-default\.onnx not written$"
    ):
        export.export(work / "model-default.keras", data_path=work / "data.npz")
    assert files_under(work) == before
