"""DBSCAN that finds one cluster names a setting that works on the same points, having run it; and the
k-distance curve of a clustering of a map is the map's (issue 20)."""

from __future__ import annotations

import json

import numpy as np
from helpers import write_embeddings

from fmtwist_cli import artifacts
from fmtwist_cli.cli.app import main
from fmtwist_cli.groups import advice, dbscan


def cluster_json(capsys, folder, *options) -> dict:
    capsys.readouterr()
    assert main(["cluster", "-a", str(folder), "--method", "dbscan", *options, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_one_cluster_names_pca_setting_with_its_figure(tmp_path, capsys):
    folder = tmp_path / "art"
    write_embeddings(folder)  # three well-separated groups in 6-D: eps 45 joins them all
    summary = cluster_json(capsys, folder, "--eps", "45")
    assert summary["n_clusters"] == 1
    (warning,) = summary["warnings"]
    assert "try --pca 6 --eps auto --min-samples 15: it finds 3 clusters (0% noise" in warning
    # the named setting does what the warning says
    named = cluster_json(capsys, folder, "--pca", "6", "--eps", "auto", "--min-samples", "15")
    assert named["n_clusters"] == 3 and named["warnings"] == []


def test_one_cluster_names_a_map_of_these_embeddings_first(tmp_path, capsys):
    folder = tmp_path / "art"
    write_embeddings(folder)
    assert main(["reduce", "-a", str(folder), "--method", "pca"]) == 0
    summary = cluster_json(capsys, folder, "--eps", "45")
    assert (
        f"try --coords {folder / 'coords-pca.npz'} --eps auto --min-samples 15: it finds 3 clusters"
        in (summary["warnings"][0])
    )


def test_map_of_other_embeddings_is_not_named(tmp_path, capsys):
    folder, other = tmp_path / "art", tmp_path / "other"
    write_embeddings(folder)
    write_embeddings(other, n_per=20)
    assert main(["reduce", "-a", str(other), "--method", "pca"]) == 0
    (other / "coords-pca.npz").rename(folder / "coords-pca.npz")
    warning = cluster_json(capsys, folder, "--eps", "45")["warnings"][0]
    assert "--coords" not in warning and "--pca 6 --eps auto" in warning


def test_works_wants_several_clusters_none_dominant():
    assert not advice.works(np.zeros(100, dtype=np.int64))
    assert not advice.works(np.r_[np.zeros(90), np.ones(10)].astype(np.int64))  # one holds 90 %
    assert not advice.works(np.r_[np.full(85, -1), np.zeros(8), np.ones(7)].astype(np.int64))  # mostly noise
    assert advice.works(np.r_[np.zeros(50), np.ones(40), np.full(10, -1)].astype(np.int64))


def test_kdist_of_a_map_clustering_is_the_maps_curve(tmp_path, capsys):
    folder = tmp_path / "art"
    write_embeddings(folder)
    assert main(["reduce", "-a", str(folder), "--method", "pca"]) == 0
    coords = folder / "coords-pca.npz"
    cluster_json(capsys, folder, "--coords", str(coords), "--eps", "auto")
    assert main(["plot", "kdist", "-a", str(folder), "--clusters", str(folder / "clusters-dbscan.npz"), "--json"]) == 0
    facts = json.loads(capsys.readouterr().out)
    curve = np.sort(dbscan.kdistances(artifacts.load(coords, "coords")["coords"], 15))
    assert facts["coords"] == str(coords) and facts["scale"] is False
    assert facts["knee_eps"] == round(dbscan.auto_eps(curve, 15)[0], 4)


def test_one_blob_falls_back_to_a_smaller_eps(tmp_path, capsys):
    folder = tmp_path / "art"
    write_embeddings(folder)
    emb = artifacts.load(folder / "embeddings.npz", "embeddings")
    one_blob = np.random.default_rng(0).normal(0, 1, emb["embedding"].shape).astype(np.float32)
    artifacts.save(artifacts.Artifact("embeddings", {**emb.arrays, "embedding": one_blob}, emb.meta), emb.path)
    warning = cluster_json(capsys, folder, "--eps", "45")["warnings"][0]
    assert warning == "eps 45 puts 100% of points in one cluster; try a smaller --eps"
