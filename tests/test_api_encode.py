"""encode/step.py: `Workspace.embed` is `fmtwist embed` (same files, same summary), and its errors name the
parameter as a Python caller wrote it."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from conftest import write_learnable
from helpers import both_ways, tiny_onnx

from fmtwist_cli import Workspace, artifacts
from fmtwist_cli.encode.embedding import Provider, Split
from fmtwist_cli.errors import ParameterError


@pytest.fixture
def small(tmp_path):
    folder = write_learnable(tmp_path / "art", n_train=20, n_test=10)
    tiny_onnx(folder / "m.onnx")
    return folder


@pytest.mark.parametrize(
    "argv, options, rows",
    [
        ([], {}, 10),
        (
            ["--split", "all", "--batch-size", "7", "--threads", "1"],
            {"split": Split.all, "batch_size": 7, "threads": 1},
            30,
        ),
        (["--split", "train", "--provider", "cpu"], {"split": "train", "provider": Provider.cpu}, 20),
    ],
)
def test_embed_both_ways(small, tmp_path, argv, options, rows):
    model = small / "m.onnx"
    result = both_ways(
        small,
        ["embed", "--model", model, "-a", small, *argv],
        lambda: Workspace(small).embed(model=model, **options),
        tmp_path,
    )
    assert result.path == small / "embeddings.npz" and result.summary["written"] == str(result.path)
    assert result.artifact.kind == "embeddings" and result.artifact.path == result.path
    assert result.artifact.rows() == result.summary["images"] == rows
    saved = artifacts.load(result.path, "embeddings")
    assert np.array_equal(saved["embedding"], result.artifact["embedding"]) and saved.meta == result.artifact.meta


@pytest.mark.slow
def test_embed_both_ways_with_the_model_exported_last(trained, tmp_path):
    folder = tmp_path / "art"
    shutil.copytree(trained, folder)
    out = folder / "e.npz"
    logged = []
    result = both_ways(
        folder,
        ["embed", "--out", out, "-a", folder],
        lambda: Workspace(folder, log=logged.append).embed(out=out),
        tmp_path,
    )
    assert logged[0].startswith("onnxruntime ran on the ")
    assert logged[1].startswith(f"using {result.summary['model']} (the newest of 2 ")
    assert result.summary["accuracy"] == result.artifact.meta["accuracy"]


def test_library_errors_name_the_parameter_and_the_cli_its_flag(small, run):
    model = small / "m.onnx"
    for name, flag in (("batch_size", "--batch-size"), ("threads", "--threads")):
        with pytest.raises(ParameterError, match=f"^{name} must be at least 1 \\(got 0\\)$"):
            Workspace(small).embed(model=model, **{name: 0})
        code, out, err = run("embed", "--model", model, flag, "0", "-a", small)
        assert (code, out, err) == (1, "", f"error: {flag} must be at least 1 (got 0)\n")
    assert not (small / "embeddings.npz").exists()


def test_a_bad_choice_lists_the_choices(small):
    with pytest.raises(ParameterError, match="^split must be one of test, train, all; got 'val'$"):
        Workspace(small).embed(model=small / "m.onnx", split="val")
    with pytest.raises(ParameterError, match="^provider must be one of auto, cpu, cuda; got 'tpu'$"):
        Workspace(small).embed(model=small / "m.onnx", provider="tpu")
    assert not (small / "embeddings.npz").exists()


def test_progress_counts_images_from_the_start(small):
    seen = []
    Workspace(small, progress=lambda done, total, task="", **info: seen.append((done, total, task))).embed(
        model=small / "m.onnx", split="all", batch_size=8
    )
    assert seen == [(8, 30, "Embedding"), (16, 30, "Embedding"), (24, 30, "Embedding"), (30, 30, "Embedding")]
