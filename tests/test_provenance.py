"""Provenance (issue 7, part 1): every artifact records the SHA-256 of what it
was made from, the seed and the library versions; commands refuse inputs that
do not belong together with one line naming both files; `fmtwist info` shows
it; files made without provenance still load."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import files_under, write_learnable

from fmtwist_cli import __version__, artifacts
from fmtwist_cli.errors import ArtifactError
from fmtwist_cli.network import export, modelfiles


def sha(path: Path) -> str:
    return artifacts.file_sha256(path)


def inputs_of(meta: dict) -> dict[str, str]:
    """role -> recorded SHA-256."""
    return {role: e["sha256"] for role, e in artifacts.provenance_of(meta)["inputs"].items()}


def resave(path: Path, kind: str, inputs: dict, seed: int | None = None) -> Path:
    """Give a fixture artifact the provenance fmtwist would have written."""
    art = artifacts.load(path, kind)
    artifacts.save(
        artifacts.Artifact(kind, art.arrays, {**art.meta, "provenance": artifacts.provenance(inputs, seed)}), path
    )
    return path


def mismatch(made: Path, noun: str, given: Path, recorded: Path | str, remake: str) -> str:
    recorded = recorded if isinstance(recorded, str) else sha(recorded)
    return (
        f"error: {made} was made from a different {noun} (sha256 {recorded[:12]}…) "
        f"than {given} (sha256 {sha(given)[:12]}…): {remake}\n"
    )


def refused(run, folder: Path, *args) -> str:
    """Run a command that must fail: exit 1, nothing on stdout, one line on
    stderr, no file written or changed under ``folder``."""
    before = {p: p.read_bytes() for p in files_under(folder)}
    code, out, err = run(*args)
    assert (code, out) == (1, ""), err
    assert err.count("\n") == 1
    assert {p: p.read_bytes() for p in files_under(folder)} == before
    return err


# --------------------------------------------------------------------------
# a chain of artifacts with provenance, and the same chain for other data


@pytest.fixture
def chain(viz, tmp_path, run) -> tuple[Path, Path]:
    """viz's artifacts as fmtwist makes them (embeddings of data.npz, then a
    PCA map and a K-Means clustering of those embeddings), and in other/ the
    same for data whose pixels differ (same shapes, same labels): only the
    recorded hashes tell the two apart."""
    resave(viz / "embeddings.npz", "embeddings", {"data": viz / "data.npz"})
    for args in (["reduce", "--method", "pca", "--no-trust"], ["cluster", "--method", "kmeans", "--k", "3"]):
        code, _, err = run(*args, "--seed", "0", "-a", viz)
        assert code == 0, err
    other = tmp_path / "other"
    data = artifacts.load(viz / "data.npz", "data")
    x_test = data["x_test"].copy()
    x_test[:, 0, 0] += 1
    artifacts.save(artifacts.Artifact("data", {**data.arrays, "x_test": x_test}, data.meta), other / "data.npz")
    emb = artifacts.load(viz / "embeddings.npz", "embeddings")
    arrays = {**emb.arrays, "embedding": emb["embedding"] + np.float32(0.5)}
    artifacts.save(
        artifacts.Artifact("embeddings", arrays, {"provenance": artifacts.provenance({"data": other / "data.npz"})}),
        other / "embeddings.npz",
    )
    code, _, err = run(
        "cluster",
        "--method",
        "kmeans",
        "--k",
        "3",
        "--seed",
        "0",
        "--embeddings",
        other / "embeddings.npz",
        "--out",
        other / "clusters-kmeans.npz",
    )
    assert code == 0, err
    return viz, other


REDUCE_AGAIN = "pass the embeddings it was made from (--embeddings), or run `fmtwist reduce` again"
CLUSTER_AGAIN = "pass the embeddings it was made from (--embeddings), or run `fmtwist cluster` again"


# --------------------------------------------------------------------------
# every artifact records what it was made from


def test_versions_name_fmtwist_and_the_libraries():
    v = artifacts.versions()
    assert v["fmtwist"] == __version__ and v["numpy"] == np.__version__
    assert {"python", "scikit-learn", "onnxruntime"} <= v.keys()


def test_prepare_records_the_source_files_twist_and_seed(run, idx_dir, tmp_path):
    code, _, err = run("prepare", "--source", idx_dir, "--twist", "random", "--seed", "3", "-a", tmp_path / "art")
    assert code == 0, err
    data = artifacts.load(tmp_path / "art" / "data.npz", "data")
    prov = artifacts.provenance_of(data.meta)
    assert inputs_of(data.meta) == {
        k: sha(idx_dir / name)
        for k, name in (
            ("x_train", "train-images-idx3-ubyte.gz"),
            ("y_train", "train-labels-idx1-ubyte.gz"),
            ("x_test", "t10k-images-idx3-ubyte.gz"),
            ("y_test", "t10k-labels-idx1-ubyte.gz"),
        )
    }
    assert prov["seed"] == 3 and prov["versions"] == artifacts.versions()
    key = artifacts.load_answer_key(tmp_path / "art" / "twist.json")
    assert inputs_of(key)["data"] == sha(tmp_path / "art" / "data.npz")


def test_prepare_records_a_twist_file(run, idx_dir, tmp_path):
    mapping = tmp_path / "mine.json"
    mapping.write_text(json.dumps({str(i): i % 2 for i in range(10)}))
    code, _, err = run("prepare", "--source", idx_dir, "--twist", mapping, "-a", tmp_path / "art")
    assert code == 0, err
    assert inputs_of(artifacts.load(tmp_path / "art" / "data.npz", "data").meta)["twist"] == sha(mapping)


def test_the_same_prepare_writes_the_same_bytes(run, idx_dir, tmp_path):
    """npz files carry no timestamp, so a file's SHA-256 names its content."""
    digests = []
    for _ in range(2):
        code, _, err = run("prepare", "--source", idx_dir, "-a", tmp_path / "art")
        assert code == 0, err
        digests.append((sha(tmp_path / "art" / "data.npz"), sha(tmp_path / "art" / "twist.json")))
    assert digests[0] == digests[1]


def test_training_and_export_record_data_model_and_seed(trained):
    hist = artifacts.load_history(trained / "history-custom.json")
    assert hist["keras_model"]["sha256"] == sha(trained / "model-custom.keras")
    assert inputs_of(hist) == {"data": sha(trained / "data.npz")}
    assert artifacts.provenance_of(hist)["seed"] == 0
    info = artifacts.describe(trained / "model-custom.onnx")
    assert {k: e["sha256"] for k, e in info["provenance"]["inputs"].items()} == {
        "keras": sha(trained / "model-custom.keras"),
        "data": sha(trained / "data.npz"),
    }
    assert info["provenance"]["seed"] == 0


def test_a_saved_keras_model_and_its_export_are_the_same_bytes_every_time(trained, tmp_path):
    model = modelfiles.load_model(trained / "model-default.keras")
    a, b = modelfiles.save_model(model, tmp_path / "a.keras"), modelfiles.save_model(model, tmp_path / "b.keras")
    assert sha(a) == sha(b)
    shutil.copy(trained / "model-default.keras", tmp_path / "model-default.keras")
    first = export.export(tmp_path / "model-default.keras", out=tmp_path / "one.onnx").path
    second = export.export(tmp_path / "model-default.keras", out=tmp_path / "two.onnx").path
    assert sha(first) == sha(second)


def test_a_history_of_another_model_is_not_trusted(trained, tmp_path):
    """history-X.json names its model by SHA-256: beside another model it says nothing."""
    for name in ("model-default.keras", "history-custom.json"):
        shutil.copy(trained / name, tmp_path / name.replace("default", "custom"))
    out = export.export(tmp_path / "model-custom.keras", data_path=trained / "data.npz")
    assert set(artifacts.provenance_of(out.meta)["inputs"]) == {"keras"}
    assert out.meta["arch"] == "default"  # from the model, not the history
    assert artifacts.describe(tmp_path / "model-custom.keras")["provenance"] is None


def test_embed_reduce_cluster_record_their_inputs(run, trained, tmp_path):
    for name in ("data.npz", "model-custom.onnx"):
        shutil.copy(trained / name, tmp_path / name)
    for args in (
        ["embed"],
        ["reduce", "--method", "pca", "--no-trust", "--seed", "1"],
        ["cluster", "--method", "kmeans", "--seed", "2", "--coords", tmp_path / "coords-pca.npz"],
    ):
        code, _, err = run(*args, "-a", tmp_path)
        assert code == 0, err
    emb = artifacts.load(tmp_path / "embeddings.npz", "embeddings")
    assert inputs_of(emb.meta) == {"model": sha(tmp_path / "model-custom.onnx"), "data": sha(tmp_path / "data.npz")}
    coords = artifacts.load(tmp_path / "coords-pca.npz", "coords")
    assert inputs_of(coords.meta) == {"embeddings": sha(tmp_path / "embeddings.npz")}
    assert artifacts.provenance_of(coords.meta)["seed"] == 1
    clusters = artifacts.load(tmp_path / "clusters-kmeans.npz", "clusters")
    assert inputs_of(clusters.meta) == {
        "embeddings": sha(tmp_path / "embeddings.npz"),
        "coords": sha(tmp_path / "coords-pca.npz"),
    }
    assert artifacts.provenance_of(clusters.meta)["seed"] == 2


@pytest.mark.slow  # writes a whole report
def test_report_lists_what_it_read(run, chain, tmp_path):
    viz, _ = chain
    code, stdout, err = run("report", "-a", viz, "--out", tmp_path / "r", "--json")
    assert code == 0, err
    prov = json.loads(stdout)["provenance"]
    assert prov["inputs"]["data"]["sha256"] == sha(viz / "data.npz")
    assert prov["inputs"]["coords-pca.npz"]["sha256"] == sha(viz / "coords-pca.npz")
    assert prov["versions"]["fmtwist"] == __version__
    md = (tmp_path / "r" / "report.md").read_text()
    assert "## Provenance" in md and sha(viz / "embeddings.npz") in md


# --------------------------------------------------------------------------
# inputs that do not belong together: one line, both files, nothing written


def test_embed_refuses_data_the_model_was_not_trained_on(run, trained, tmp_path):
    write_learnable(tmp_path, seed=1)  # another puzzle with as many classes
    model = shutil.copy(trained / "model-custom.onnx", tmp_path / "model-custom.onnx")
    err = refused(run, tmp_path, "embed", "-a", tmp_path)
    assert err == mismatch(
        model,
        "data.npz",
        tmp_path / "data.npz",
        trained / "data.npz",
        "pass the data.npz it was trained on (--data), or train and export a model on this one",
    )


def test_cluster_refuses_a_map_of_other_embeddings(run, chain):
    viz, other = chain
    err = refused(
        run,
        viz.parent,
        "cluster",
        "--coords",
        viz / "coords-pca.npz",
        "--embeddings",
        other / "embeddings.npz",
        "--out",
        viz / "new.npz",
    )
    assert err == mismatch(
        viz / "coords-pca.npz", "embeddings file", other / "embeddings.npz", viz / "embeddings.npz", REDUCE_AGAIN
    )


def test_plot_scatter_refuses_a_map_of_other_embeddings(run, chain):
    viz, other = chain
    err = refused(
        run,
        viz.parent,
        "plot",
        "scatter",
        "--coords",
        viz / "coords-pca.npz",
        "--embeddings",
        other / "embeddings.npz",
        "-a",
        viz,
    )
    assert err == mismatch(
        viz / "coords-pca.npz", "embeddings file", other / "embeddings.npz", viz / "embeddings.npz", REDUCE_AGAIN
    )


def test_plot_scatter_refuses_a_map_and_clusters_of_different_embeddings(run, chain):
    viz, other = chain
    err = refused(
        run,
        viz.parent,
        "plot",
        "scatter",
        "--by",
        "cluster",
        "--coords",
        viz / "coords-pca.npz",
        "--clusters",
        other / "clusters-kmeans.npz",
        "-a",
        viz,
    )
    assert err == (
        f"error: {viz / 'coords-pca.npz'} and {other / 'clusters-kmeans.npz'} "
        "were not made from the same embeddings file "
        f"(sha256 {sha(viz / 'embeddings.npz')[:12]}… vs {sha(other / 'embeddings.npz')[:12]}…): "
        "pass a map and a clustering of the same embeddings (--coords, --clusters)\n"
    )


@pytest.mark.parametrize("kind", ["confusion", "kdist"])
def test_plot_refuses_clusters_of_other_embeddings(run, chain, kind):
    viz, other = chain
    err = refused(
        run,
        viz.parent,
        "plot",
        kind,
        "--clusters",
        viz / "clusters-kmeans.npz",
        "--embeddings",
        other / "embeddings.npz",
        "-a",
        viz,
    )
    assert err == mismatch(
        viz / "clusters-kmeans.npz", "embeddings file", other / "embeddings.npz", viz / "embeddings.npz", CLUSTER_AGAIN
    )


def test_inspect_refuses_clusters_of_other_embeddings(run, chain):
    viz, other = chain
    err = refused(
        run,
        viz.parent,
        "inspect",
        "--cluster",
        "0",
        "--clusters",
        viz / "clusters-kmeans.npz",
        "--embeddings",
        other / "embeddings.npz",
        "--data",
        other / "data.npz",
        "-a",
        viz,
    )
    assert err == mismatch(
        viz / "clusters-kmeans.npz", "embeddings file", other / "embeddings.npz", viz / "embeddings.npz", CLUSTER_AGAIN
    )


@pytest.mark.parametrize("command", [["inspect", "--label", "1"], ["plot", "grid"]])
def test_inspect_and_grid_refuse_embeddings_of_other_data(run, chain, command):
    viz, other = chain
    err = refused(run, viz.parent, *command, "--data", other / "data.npz", "-a", viz)
    assert err == mismatch(
        viz / "embeddings.npz",
        "data.npz",
        other / "data.npz",
        viz / "data.npz",
        "pass the data.npz it was made from (--data), or run `fmtwist embed` again",
    )


def test_report_refuses_embeddings_of_other_data(run, chain, tmp_path):
    viz, other = chain
    made_from = sha(viz / "data.npz")
    shutil.copy(
        other / "data.npz", viz / "data.npz"
    )  # prepare run again, embed not; same labels: only the hashes differ
    err = refused(run, viz.parent, "report", "-a", viz, "--out", viz / "r")
    assert err == mismatch(viz / "embeddings.npz", "data.npz", viz / "data.npz", made_from, "run `fmtwist embed` again")


@pytest.mark.slow  # writes a whole report
def test_report_leaves_out_a_map_of_other_embeddings(run, chain, tmp_path):
    viz, other = chain
    code, _, err = run(
        "reduce",
        "--method",
        "pca",
        "--no-trust",
        "--embeddings",
        other / "embeddings.npz",
        "--out",
        viz / "coords-umap.npz",
    )
    assert code == 0, err
    code, stdout, err = run("report", "-a", viz, "--out", tmp_path / "r", "--json")
    assert code == 0, err
    assert (
        "coords-umap.npz left out: made from a different embeddings file than embeddings.npz "
        "(run `fmtwist reduce` again)" in json.loads(stdout)["missing"]
    )


@pytest.fixture
def two_puzzles(tmp_path) -> tuple[Path, Path]:
    """Two data.npz + twist.json of the same size (different images)."""
    return write_learnable(tmp_path / "a", n_train=30, n_test=20), write_learnable(
        tmp_path / "b", n_train=30, n_test=20, seed=1
    )


def test_train_refuses_an_answer_key_of_other_data(run, two_puzzles):
    a, b = two_puzzles
    err = refused(
        run, a.parent, "train", "--labels", "original", "--epochs", "1", "--answer-key", b / "twist.json", "-a", a
    )
    assert err == mismatch(
        b / "twist.json",
        "data.npz",
        a / "data.npz",
        b / "data.npz",
        "pass the twist.json written with it, or run `fmtwist prepare` again",
    )


def test_report_refuses_an_answer_key_of_other_data(run, two_puzzles):
    a, b = two_puzzles
    err = refused(run, a.parent, "report", "--answer-key", b / "twist.json", "-a", a, "--out", a / "r")
    assert err == mismatch(
        b / "twist.json", "data.npz", a / "data.npz", b / "data.npz", "pass the twist.json written with this data.npz"
    )


def test_cluster_refuses_an_answer_key_of_other_data(run, two_puzzles):
    a, b = two_puzzles
    y = artifacts.load(a / "data.npz", "data")["y_test"]
    n = len(y)
    arrays = {
        "embedding": np.random.default_rng(0).normal(size=(n, 4)).astype(np.float32),
        "probs": np.eye(5, dtype=np.float32)[y],
        "pred": y,
        "labels": y,
        "index": np.arange(n, dtype=np.int64),
        "split": np.full(n, "test"),
    }
    artifacts.save(
        artifacts.Artifact("embeddings", arrays, {"provenance": artifacts.provenance({"data": a / "data.npz"})}),
        a / "embeddings.npz",
    )
    err = refused(run, a.parent, "cluster", "--answer-key", b / "twist.json", "-a", a)
    assert err == (
        f"error: {b / 'twist.json'} and {a / 'embeddings.npz'} were not made from the same data.npz "
        f"(sha256 {sha(b / 'data.npz')[:12]}… vs {sha(a / 'data.npz')[:12]}…): "
        "pass the twist.json written with the data.npz these embeddings were made from\n"
    )


def test_matching_inputs_pass_wherever_they_are(run, chain, tmp_path):
    """The hash names the file, not its place: a copy elsewhere is the same input."""
    viz, _ = chain
    moved = tmp_path / "moved"
    shutil.copytree(viz, moved)
    code, _, err = run(
        "plot", "scatter", "--coords", moved / "coords-pca.npz", "--embeddings", moved / "embeddings.npz", "-a", moved
    )
    assert code == 0, err


# --------------------------------------------------------------------------
# fmtwist info, and files without provenance


def test_info_shows_inputs_seed_and_versions(run, chain):
    viz, _ = chain
    code, stdout, _ = run("info", viz / "clusters-kmeans.npz")
    assert code == 0
    assert (
        f"  made from:\n    embeddings: {viz / 'embeddings.npz'}  "
        f"sha256 {sha(viz / 'embeddings.npz')[:16]}…\n  seed: 0\n" in stdout
    )
    assert f"  versions: fmtwist {__version__}, python " in stdout
    code, stdout, _ = run("info", viz / "clusters-kmeans.npz", "--json")
    info = json.loads(stdout)
    assert info["provenance"]["inputs"] == {
        "embeddings": {"path": str(viz / "embeddings.npz"), "sha256": sha(viz / "embeddings.npz")}
    }
    assert "provenance" not in info["meta"] and info["meta"]["method"] == "kmeans"


def test_info_on_a_keras_model_reads_its_history(run, trained):
    code, stdout, _ = run("info", trained / "model-custom.keras")
    assert code == 0
    assert (
        f"  made from (from {trained / 'history-custom.json'}):\n"
        f"    data: {trained / 'data.npz'}  sha256 {sha(trained / 'data.npz')[:16]}…\n" in stdout
    )


def test_info_on_a_file_without_provenance(run, viz):
    code, stdout, _ = run("info", viz / "coords-tsne.npz")
    assert code == 0 and "  provenance: none recorded (made before fmtwist recorded it, or not by fmtwist)\n" in stdout
    code, stdout, _ = run("info", viz / "coords-tsne.npz", "--json")
    assert json.loads(stdout)["provenance"] is None


def test_files_without_provenance_pass_the_checks(viz):
    emb = artifacts.load(viz / "embeddings.npz", "embeddings")
    assert artifacts.provenance_of(emb.meta) is None
    artifacts.check_made_from(emb, "data", viz / "coords-tsne.npz")  # nothing recorded: nothing to refuse
    assert artifacts.input_mismatch(emb, "data", viz / "coords-tsne.npz") is None


def test_check_made_from_reads_onnx_style_json_metadata(viz):
    meta = {"provenance": json.dumps(artifacts.provenance({"data": viz / "data.npz"}))}
    artifacts.check_made_from((viz / "m.onnx", meta), "data", viz / "data.npz")
    with pytest.raises(ArtifactError, match=r"m\.onnx was made from a different data\.npz \(sha256 "):
        artifacts.check_made_from((viz / "m.onnx", meta), "data", viz / "embeddings.npz", "do it again")


def test_the_hash_cache_sees_a_file_replaced(tmp_path):
    path = tmp_path / "f.json"
    artifacts.save_json(path, {"a": 1})
    first = sha(path)
    artifacts.save_json(path, {"a": 2})
    assert sha(path) != first and sha(path) == artifacts.file_sha256(path)
