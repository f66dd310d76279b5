"""maps/step.py: `Workspace.reduce` is `fmtwist reduce` (same files, same summary), and its errors name the
parameter as a Python caller wrote it."""

from __future__ import annotations

import pytest
from helpers import both_ways, write_embeddings

from fmtwist_cli import Workspace, artifacts
from fmtwist_cli.errors import ParameterError
from fmtwist_cli.maps.params import Method, TsneBackend


@pytest.mark.parametrize(
    "argv, options",
    [
        (["--method", "pca", "--seed", "0"], {"method": "pca", "seed": 0}),
        (["--method", "pca", "--no-scale", "--no-trust"], {"method": Method.pca, "scale": False, "trust": False}),
        (
            ["--method", "tsne", "--perplexity", "10", "--seed", "3"],
            {"method": "tsne", "backend": TsneBackend.fmtwist, "perplexity": 10, "seed": 3},
        ),
    ],
)
def test_reduce_both_ways(tmp_path, argv, options):
    folder = tmp_path / "art"
    write_embeddings(folder)
    result = both_ways(folder, ["reduce", "-a", folder, *argv], lambda: Workspace(folder).reduce(**options), tmp_path)
    method = str(options["method"].value if isinstance(options["method"], Method) else options["method"])
    assert result.path == folder / f"coords-{method}.npz" and result.summary["written"] == str(result.path)
    assert result.artifact.kind == "coords" and result.artifact["coords"].shape == (90, 2)
    assert ("trustworthiness" in result.summary) == options.get("trust", True)


def test_a_seeded_map_is_the_same_file_every_time(tmp_path):
    write_embeddings(tmp_path)
    first = Workspace(tmp_path).reduce(method="tsne", perplexity=10, seed=0, out=tmp_path / "a.npz")
    second = Workspace(tmp_path).reduce(method="tsne", perplexity=10, seed=0, out=tmp_path / "b.npz")
    a, b = artifacts.read_npz(first.path), artifacts.read_npz(second.path)
    assert (a["coords"] == b["coords"]).all() and a["coords"].tobytes() == b["coords"].tobytes()


def test_library_errors_name_the_parameter_and_the_cli_its_flag(tmp_path, run):
    write_embeddings(tmp_path)  # 90 rows
    with pytest.raises(ParameterError, match=r"^neighbors must be between 2 and the number of rows - 1 \(89\), got 1$"):
        Workspace(tmp_path).reduce(method="umap", neighbors=1)
    code, out, err = run("reduce", "-a", tmp_path, "--method", "umap", "--neighbors", "1")
    assert (code, err) == (1, "error: --neighbors must be between 2 and the number of rows - 1 (89), got 1\n")
    with pytest.raises(ParameterError, match="^min_dist must be between 0 and 1, got 2$"):
        Workspace(tmp_path).reduce(method="umap", min_dist=2)
    with pytest.raises(ParameterError, match=r"^perplexity must be between 0 and the number of rows \(90\), got 90$"):
        Workspace(tmp_path).reduce(method="tsne", perplexity=90)
    assert not list(tmp_path.glob("coords-*"))


def test_a_bad_choice_lists_the_choices(tmp_path):
    write_embeddings(tmp_path)
    with pytest.raises(ParameterError, match="^method must be one of pca, tsne, umap; got 'mds'$"):
        Workspace(tmp_path).reduce(method="mds")
    with pytest.raises(ParameterError, match="^backend must be one of fmtwist, sklearn, opentsne; got 'cuda'$"):
        Workspace(tmp_path).reduce(backend="cuda")
    assert not list(tmp_path.glob("coords-*"))


def test_progress_counts_iterations_from_the_start(tmp_path):
    write_embeddings(tmp_path)
    seen = []
    Workspace(tmp_path, progress=lambda done, total, task="", **info: seen.append((done, total, task))).reduce(
        method="tsne", perplexity=10, seed=0, trust=False
    )
    assert seen[-1] == (350, 350, "t-SNE (fmtwist)")
    assert [d for d, _, _ in seen] == sorted(d for d, _, _ in seen)
