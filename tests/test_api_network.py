"""data/step.py and network/step.py: `Workspace.prepare`, `.train` and `.export` are `fmtwist prepare`, `train`
and `export` (same files, same summary), and their errors name the parameter as a Python caller wrote it."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from conftest import files_under, write_learnable
from helpers import both_ways

from fmtwist_cli import Workspace, artifacts
from fmtwist_cli.errors import ParameterError
from fmtwist_cli.network import models

# --------------------------------------------------------------------------
# prepare


@pytest.mark.parametrize(
    "argv, options",
    [
        ([], {}),
        (["--twist", "random", "--seed", "3", "--classes", "4"], {"twist": "random", "seed": 3, "classes": 4}),
        (["--twist", "none", "--export-csv", "CSV"], {"twist": "none", "export_csv": "CSV"}),
    ],
    ids=["seed", "random", "csv"],
)
def test_prepare_both_ways(tmp_path, idx_dir, argv, options):
    folder = tmp_path / "art"
    folder.mkdir()
    argv = [folder / "csv" if a == "CSV" else a for a in argv]
    options = {k: folder / "csv" if v == "CSV" else v for k, v in options.items()}
    call = lambda: Workspace(folder).prepare(source=idx_dir, **options)  # noqa: E731
    result = both_ways(folder, ["prepare", "--source", idx_dir, "-a", folder, *argv], call, tmp_path)
    assert result.path == folder / "data.npz" and result.paths[0] == result.path
    assert [str(p) for p in result.paths] == result.summary["written"]
    assert result.artifact.kind == "data" and result.artifact.path == result.path
    assert result.summary["train"] == np.bincount(result.artifact["y_train"]).tolist()


def test_prepare_from_csv_notes_the_twist_it_ignores(tmp_path, idx_dir):
    Workspace(tmp_path / "a").prepare(source=idx_dir, export_csv=tmp_path / "csv")
    lines = []
    result = Workspace(tmp_path / "b", log=lines.append).prepare(source=tmp_path / "csv", twist="random")
    assert lines == ["note: CSV files carry mystery labels already; --twist is ignored"]
    assert result.summary["twist"] == "given by the source" and result.paths == [tmp_path / "b" / "data.npz"]


# --------------------------------------------------------------------------
# train: parameters checked before anything is read or written


@pytest.mark.parametrize(
    "options, message",
    [
        ({"epochs": 0}, "epochs must be at least 1 (got 0)"),
        ({"batch_size": 0}, "batch_size must be at least 1 (got 0)"),
        ({"validation_split": 1.0}, "validation_split must be in [0, 1) (got 1.0)"),
        ({"limit": 1}, "limit must be at least 2 (got 1)"),
        ({"learning_rate": 0}, "learning_rate must be above 0 (got 0)"),
        ({"weight_decay": -1}, "weight_decay must be at least 0 (got -1)"),
        ({"steps_per_execution": 0}, "steps_per_execution must be at least 1 (got 0)"),
        ({"epochs": 2.5}, "epochs must be a whole number (got 2.5)"),
        ({"arch": "vgg"}, "arch must be one of default, custom, fast; got 'vgg'"),
        ({"labels": "secret"}, "labels must be one of mystery, original; got 'secret'"),
        ({"schedule": "linear"}, "schedule must be one of constant, cosine; got 'linear'"),
        ({"device": "tpu"}, "device must be one of auto, cpu, gpu; got 'tpu'"),
    ],
)
def test_train_errors_name_the_parameter(tmp_path, options, message):
    with pytest.raises(ParameterError) as caught:
        Workspace(tmp_path).train(**options)
    assert str(caught.value) == message
    assert files_under(tmp_path) == set()


def test_the_cli_renders_the_same_error_with_its_flags(tmp_path, run):
    write_learnable(tmp_path, n_train=20, n_test=10)
    assert run("train", "--epochs", "0", "-a", tmp_path) == (1, "", "error: --epochs must be at least 1 (got 0)\n")
    code, out, err = run("train", "--source", tmp_path, "-a", tmp_path)
    assert (code, err) == (1, "error: --source is for --labels original (mystery labels come from data.npz)\n")
    with pytest.raises(ParameterError, match=r"^source is for labels original \(mystery labels"):
        Workspace(tmp_path).train(source=tmp_path)


def test_arch_is_an_enum_of_the_registry():
    assert [a.value for a in models.Arch] == list(models.ARCHITECTURES)
    assert models.Arch("fast") == "fast"


# --------------------------------------------------------------------------
# train and export: trained both ways (a .keras file saved twice from the same weights has the same bytes:
# modelfiles takes the date out; tf2onnx's names are made stable: so both_ways compares bytes)


@pytest.mark.slow
@pytest.mark.parametrize(
    "argv, options",
    [
        ([], {}),
        (["--summary", "--arch", "fast"], {"summary": True, "arch": models.Arch.fast}),
    ],
    ids=["default", "summary"],
)
def test_train_both_ways(tmp_path, argv, options):
    folder = write_learnable(tmp_path / "art", n_train=200, n_test=50)
    settings = ["--arch", "default", "--epochs", "1", "--batch-size", "32", "--limit", "120", "--seed", "0"]
    kwargs = {"arch": "default", "epochs": 1, "batch_size": 32, "limit": 120, "seed": 0} | options
    seen, lines = [], []

    def progress(done, total, task="", **info):
        seen.append((task, done, total))

    ws = Workspace(folder, progress=progress, log=lines.append)
    result = both_ways(folder, ["train", "-a", folder, *settings, *argv], lambda: ws.train(**kwargs), tmp_path)
    arch = models.Arch(kwargs["arch"]).value
    keras, history = folder / f"model-{arch}.keras", folder / f"history-{arch}.json"
    assert (result.path, result.paths) == (keras, [keras, history])
    assert result.summary["written"] == [str(keras), str(history)]
    assert result.artifact.history == artifacts.load_history(history)
    assert result.artifact.model.count_params() == result.summary["n_params"]
    steps = int(np.ceil(int(120 * 0.8) / 32))
    assert {(task, total) for task, _, total in seen} == {("Epoch 1/1", steps)} and seen[-1][1] == steps
    assert lines[0].startswith("Training on ") and lines[1].startswith("Epoch 1/1  loss ")
    mirrored = ", each averaged with its mirror image" if arch == "fast" else ""  # fast's recipe has flips
    assert lines[2:] == [f"Evaluating on 50 test images{mirrored}"]
    if options.get("summary"):
        assert [row["name"] for row in result.summary["layers"]][-1] == "probs"
        assert sum(row["params"] for row in result.summary["layers"]) == result.summary["n_params"]
    else:
        assert "layers" not in result.summary


@pytest.mark.slow
@pytest.mark.parametrize(
    "argv, options",
    [
        ([], {}),
        (["--arch", "custom", "--layer", "dense", "--out", "OUT"], {"arch": "custom", "layer": "dense", "out": "OUT"}),
    ],
    ids=["picked", "named"],
)
def test_export_both_ways(tmp_path, trained, argv, options):
    folder = tmp_path / "art"
    folder.mkdir()
    for name in ("data.npz", "model-default.keras", "history-default.json", "model-custom.keras"):
        shutil.copy(trained / name, folder / name)
    out = folder / "custom-dense.onnx"
    argv = [out if a == "OUT" else a for a in argv]
    options = {k: out if v == "OUT" else v for k, v in options.items()}
    lines = []
    call = lambda: Workspace(folder, log=lines.append).export(**options)  # noqa: E731
    result = both_ways(folder, ["export", "-a", folder, *argv], call, tmp_path)
    written = out if options else folder / "model-custom.onnx"  # the newest .keras: custom, copied last
    assert (result.path, result.paths, result.summary["written"]) == (written, [written], str(written))
    assert result.artifact.max_abs_diff == result.summary["max_abs_diff"] <= result.summary["tolerance"]
    assert result.summary["layer"] == options.get("layer", "flatten")
    if options:
        assert lines == [] and result.summary["model"] == str(folder / "model-custom.keras")
    else:
        assert lines == [f"using {folder / 'model-custom.keras'} (the newest of 2 trained models; --model to choose)"]
