"""layout.py: file names, default paths and the default picks; and the pipeline
defaults that follow from them (`export` and `embed` with no --arch/--model)."""

import json
import os
import shutil
from pathlib import Path

import pytest

from fmtwist_cli import artifacts
from fmtwist_cli.artifacts import layout
from fmtwist_cli.artifacts.layout import Labels, Layout


def touch(path: Path, mtime: int) -> Path:
    """A file written at second ``mtime`` (distinct times: the file clock ticks coarsely)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    os.utime(path, ns=(mtime * 10**9, mtime * 10**9))
    return path


def test_default_paths_under_the_folder():
    files = Layout("art")
    assert (files.data, files.answer_key, files.embeddings) == (
        Path("art/data.npz"),
        Path("art/twist.json"),
        Path("art/embeddings.npz"),
    )
    assert files.report_dir == Path("art/report") and files.explore_page == Path("art/explore.html")
    assert files.clusters("kmeans") == Path("art/clusters-kmeans.npz")
    assert files.clusters("kmeans", within=True) == Path("art/clusters-kmeans-within.npz")
    assert files.coords("umap") == Path("art/coords-umap.npz")


@pytest.mark.parametrize(
    "arch, labels, model, history",
    [
        ("custom", Labels.mystery, "model-custom.keras", "history-custom.json"),
        ("default", "original", "model-default-original.keras", "history-default-original.json"),
    ],
)
def test_model_and_history_names(arch, labels, model, history):
    files = Layout("a")
    assert files.model(arch, labels) == Path("a") / model
    assert files.model(arch, labels, ".onnx") == Path("a") / model.replace(".keras", ".onnx")
    assert files.history(arch, labels) == Path("a") / history
    assert layout.history_for(files.model(arch, labels)) == Path("a") / history
    assert layout.parse_model_name(files.model(arch, labels, ".onnx")) == (arch, Labels(labels))


def test_parse_model_name_of_other_names():
    assert layout.parse_model_name("x/model-custom-dense.onnx") == ("custom-dense", Labels.mystery)
    assert layout.parse_model_name("mine.keras") == ("mine", Labels.mystery)
    assert layout.history_for(Path("x/mine.keras")) == Path("x/history-mine.json")


def test_unknown_labels_are_refused():
    with pytest.raises(ValueError):
        layout.model_stem("custom", "secret")


def test_newest_model_with_these_labels_wins(tmp_path):
    touch(tmp_path / "model-custom.keras", 100)
    touch(tmp_path / "model-default.keras", 200)
    touch(tmp_path / "model-custom-original.keras", 300)  # newer, but the other labels
    touch(tmp_path / "model-default.onnx", 400)  # newer, but another suffix
    files = Layout(tmp_path)
    assert files.newest_models(".keras") == [tmp_path / "model-default.keras", tmp_path / "model-custom.keras"]
    assert files.latest_model(".keras") == tmp_path / "model-default.keras"
    assert files.latest_model(".keras", Labels.original) == tmp_path / "model-custom-original.keras"
    assert files.latest_model(".onnx", Labels.original) is None


def test_files_written_in_one_clock_tick_go_by_name(tmp_path):
    touch(tmp_path / "model-default.onnx", 100)
    touch(tmp_path / "model-custom.onnx", 100)
    assert Layout(tmp_path).latest_model(".onnx") == tmp_path / "model-custom.onnx"


def test_pick_model_says_which(tmp_path):
    files = Layout(tmp_path)
    # none: the default architecture's file, whose absence the step reports
    assert files.pick_model(".onnx", Labels.mystery, "custom") == (tmp_path / "model-custom.onnx", None)
    touch(tmp_path / "model-default.onnx", 100)
    assert files.pick_model(".onnx", Labels.mystery, "custom") == (
        tmp_path / "model-default.onnx",
        f"using {tmp_path / 'model-default.onnx'} (the newest exported model; --model to choose)",
    )
    touch(tmp_path / "model-custom.onnx", 50)
    assert files.pick_model(".onnx", Labels.mystery, "custom") == (
        tmp_path / "model-default.onnx",
        f"using {tmp_path / 'model-default.onnx'} (the newest of 2 exported models; --model to choose)",
    )


def test_reference_prefers_the_custom_network(tmp_path):
    files = Layout(tmp_path)
    assert files.reference() is None
    touch(tmp_path / "model-default-original.onnx", 100)
    touch(tmp_path / "model-custom.onnx", 200)
    assert files.reference() == tmp_path / "model-default-original.onnx"
    touch(tmp_path / "model-custom-original.onnx", 50)
    assert files.reference() == tmp_path / "model-custom-original.onnx"


def test_default_map_and_clustering_follow_one_order(tmp_path):
    files = Layout(tmp_path)
    assert files.default_map() == tmp_path / "coords-tsne.npz"  # to be made
    assert files.default_clusters() == tmp_path / "clusters-kmeans.npz"
    for name, mtime in (("coords-pca", 300), ("coords-umap", 100), ("coords-mine", 400), ("coords-alpha", 500)):
        touch(tmp_path / f"{name}.npz", mtime)
    assert [p.name for p in files.maps()] == [
        "coords-umap.npz",
        "coords-pca.npz",
        "coords-alpha.npz",
        "coords-mine.npz",
    ]
    assert files.default_map() == tmp_path / "coords-umap.npz"  # the order, not the newest
    for name in ("clusters-hdbscan", "clusters-dbscan", "clusters-kmeans-within"):
        touch(tmp_path / f"{name}.npz", 100)
    assert [p.name for p in files.clusterings()] == [
        "clusters-dbscan.npz",
        "clusters-hdbscan.npz",
        "clusters-kmeans-within.npz",
    ]


# --------------------------------------------------------------------------
# defaults follow the pipeline: export the model trained last, embed the one exported last


def notes(stderr: str) -> list[str]:
    """The lines saying which file a step picked (stderr also carries progress and device lines)."""
    return [line for line in stderr.splitlines() if line.startswith("using ")]


@pytest.fixture
def fresh(tmp_path, trained):
    """A folder with only what `fmtwist prepare` writes."""
    for name in ("data.npz", "twist.json"):
        shutil.copy(trained / name, tmp_path / name)
    return tmp_path


@pytest.mark.slow
def test_train_default_then_export_then_embed(run, fresh):
    """The newcomer's path: no --arch after train, and no file of the custom network anywhere."""
    code, _, err = run("train", "--arch", "default", "--epochs", "1", "--limit", "100", "--seed", "0", "-a", fresh)
    assert code == 0, err
    code, out, err = run("export", "-a", fresh)
    assert code == 0, err
    assert f"wrote {fresh / 'model-default.onnx'}" in out
    assert notes(err) == [f"using {fresh / 'model-default.keras'} (the newest trained model; --model to choose)"]
    code, out, err = run("embed", "-a", fresh, "--json")
    assert code == 0, err
    report = json.loads(out)
    assert (report["model"], report["arch"]) == (str(fresh / "model-default.onnx"), "default")
    assert notes(err) == [f"using {fresh / 'model-default.onnx'} (the newest exported model; --model to choose)"]
    assert artifacts.load(fresh / "embeddings.npz", "embeddings").meta["arch"] == "default"
    assert sorted(p.name for p in fresh.glob("model-*")) == ["model-default.keras", "model-default.onnx"]


@pytest.mark.slow
def test_a_failing_default_pick_prints_only_its_error(run, fresh):
    (fresh / "model-default.keras").write_bytes(b"PK\x03\x04 junk")
    code, out, err = run("export", "-a", fresh)
    assert (code, out) == (1, "")
    assert (
        err.startswith(f"error: {fresh / 'model-default.keras'} is not a valid Keras model (") and err.count("\n") == 1
    )


@pytest.fixture
def both(tmp_path, trained):
    """Both networks trained and exported; the default network's files newest."""
    for i, name in enumerate(["data.npz", "model-custom.keras", "history-custom.json", "model-default.keras",
                              "history-default.json", "model-custom.onnx", "model-default.onnx"]):  # fmt: skip
        shutil.copy(trained / name, tmp_path / name)
        os.utime(tmp_path / name, ns=((1000 + i) * 10**9,) * 2)
    return tmp_path


@pytest.mark.slow
def test_export_picks_the_newest_trained_model(run, both):
    code, out, err = run("export", "--out", both / "picked.onnx", "-a", both, "--json")
    assert code == 0, err
    assert notes(err) == [f"using {both / 'model-default.keras'} (the newest of 2 trained models; --model to choose)"]
    assert json.loads(out)["arch"] == "default"
    code, out, err = run("export", "--arch", "custom", "--out", both / "named.onnx", "-a", both, "--json")
    assert code == 0 and notes(err) == []  # --arch still names the model
    assert json.loads(out)["arch"] == "custom"


@pytest.mark.slow
def test_export_labels_original_picks_the_newest_reference(run, both):
    shutil.copy(both / "model-custom.keras", both / "model-custom-original.keras")
    code, out, err = run("export", "--labels", "original", "-a", both, "--json")
    assert code == 0, err
    assert json.loads(out)["written"] == str(both / "model-custom-original.onnx")
    assert notes(err) == [f"using {both / 'model-custom-original.keras'} (the newest trained model; --model to choose)"]


@pytest.mark.slow
def test_embed_picks_the_newest_exported_model(run, both):
    shutil.copy(both / "model-custom.onnx", both / "model-custom-original.onnx")  # newest, but a reference classifier
    code, out, err = run("embed", "-a", both, "--json")
    assert code == 0, err
    assert notes(err) == [f"using {both / 'model-default.onnx'} (the newest of 2 exported models; --model to choose)"]
    assert json.loads(out)["arch"] == "default"
    os.utime(both / "model-custom.onnx", ns=(2000 * 10**9,) * 2)  # exported again later
    code, out, err = run("embed", "-a", both, "--json")
    assert code == 0 and json.loads(out)["arch"] == "custom", err
