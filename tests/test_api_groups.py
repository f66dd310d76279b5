"""groups/step.py: `Workspace.cluster` is `fmtwist cluster` (same files, same summary), and its errors name
the parameter as a Python caller wrote it."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import both_ways, write_embeddings

from fmtwist_cli import Workspace
from fmtwist_cli.errors import ParameterError


@pytest.mark.parametrize(
    "argv, options",
    [
        (["--method", "kmeans", "--seed", "0"], {"method": "kmeans", "seed": 0}),
        (["--method", "dbscan", "--eps", "auto", "--min-samples", "5"], {"method": "dbscan", "min_samples": 5}),
        (["--method", "agglomerative", "--k", "3", "--no-scale"], {"method": "agglomerative", "k": 3, "scale": False}),
        (
            ["--method", "kmeans", "--within-classes", "--seed", "1"],
            {"method": "kmeans", "within_classes": True, "seed": 1},
        ),
    ],
)
def test_cluster_both_ways(tmp_path, argv, options):
    folder = tmp_path / "art"
    folder.mkdir()
    write_embeddings(folder)
    result = both_ways(folder, ["cluster", "-a", folder, *argv], lambda: Workspace(folder).cluster(**options), tmp_path)
    assert result.path == folder / result.summary["written"].split("/")[-1]
    assert result.artifact.kind == "clusters"
    assert np.array_equal(result.artifact["labels"].shape, [result.summary["rows"]])


def test_library_errors_name_the_parameter_and_the_cli_its_flag(tmp_path, run):
    write_embeddings(tmp_path)
    with pytest.raises(ParameterError, match="^min_samples must be a whole number of at least 1, got 0$"):
        Workspace(tmp_path).cluster(method="dbscan", min_samples=0)
    code, out, err = run("cluster", "-a", tmp_path, "--method", "dbscan", "--min-samples", "0")
    assert (code, err) == (1, "error: --min-samples must be a whole number of at least 1, got 0\n")


def test_a_bad_choice_lists_the_choices(tmp_path):
    write_embeddings(tmp_path)
    with pytest.raises(ParameterError, match="^method must be one of dbscan, kmeans, hdbscan, agglomerative"):
        Workspace(tmp_path).cluster(method="spectral")
    assert not list(tmp_path.glob("clusters-*"))


def test_workspace_methods_show_the_step_signature(tmp_path):
    import inspect

    params = inspect.signature(Workspace(tmp_path).cluster).parameters
    assert "folder" not in params and {"method", "eps", "min_samples", "within_classes"} <= set(params)
    assert 'ws.cluster(method="dbscan"' in Workspace(tmp_path).cluster.__doc__
