import json

from fmtwist_cli import artifacts


def test_info_npz_json(run, viz):
    code, stdout, _ = run("info", viz / "embeddings.npz", "--json")
    assert code == 0
    info = json.loads(stdout)
    assert info["kind"] == "embeddings"
    assert info["arrays"]["embedding"] == {"dtype": "float32", "shape": [60, 8]}
    assert info["sha256"] == artifacts.file_sha256(viz / "embeddings.npz")


def test_info_table(run, viz):
    code, stdout, _ = run("info", viz / "history-custom.json")
    assert code == 0 and "history" in stdout and "epochs: 4" in stdout


def test_info_models(run, trained):
    code, stdout, _ = run("info", trained / "model-custom.onnx", "--json")
    assert code == 0
    info = json.loads(stdout)
    assert set(info["outputs"]) == {"embedding", "probs"} and info["meta"]
    code, stdout, _ = run("info", trained / "model-default.keras", "--json")
    assert code == 0 and json.loads(stdout)["kind"] == "keras model"


def test_info_unknown_type(run, tmp_path):
    (tmp_path / "notes.txt").write_text("hi")
    code, _, stderr = run("info", tmp_path / "notes.txt")
    assert code == 1
    assert stderr == f"error: {tmp_path}/notes.txt: unknown artifact type (expected .npz, .json, .onnx or .keras)\n"


def test_info_corrupt_onnx(run, tmp_path):
    (tmp_path / "m.onnx").write_bytes(b"\x00garbage" * 10)
    code, _, stderr = run("info", tmp_path / "m.onnx")
    assert code == 1 and "is not a valid ONNX model" in stderr


def test_info_missing(run, tmp_path):
    code, _, stderr = run("info", tmp_path / "nope.npz")
    assert code == 1 and stderr == f"error: file not found: {tmp_path}/nope.npz\n"
