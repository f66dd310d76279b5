"""clustering.py: metrics on hand-made labels, DBSCAN against scikit-learn,
the k-distance knee, and `fmtwist cluster` end to end."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from conftest import files_under
from helpers import usage_message, write_embeddings

from fmtwist_cli import artifacts
from fmtwist_cli.errors import FmtwistError
from fmtwist_cli.groups import clustering, features, scores

# --------------------------------------------------------------------------
# metrics


def test_metrics_perfect_up_to_renaming():
    m = scores.metrics(np.array([0, 0, 1, 1, 2, 2]), np.array([5, 5, 3, 3, 4, 4]))
    assert m["ari"] == pytest.approx(1.0)
    assert m["nmi"] == pytest.approx(1.0)
    assert m["accuracy"] == pytest.approx(1.0)
    assert m["matching"] == {"5": 0, "3": 1, "4": 2}
    assert m["noise_share"] == 0.0
    assert m["n_clusters"] == 3


def test_hungarian_is_one_to_one_not_majority():
    # Both clusters are mostly class 0: majority voting would score 4/6,
    # a one-to-one matching can give class 0 to only one of them.
    true = np.array([0, 0, 0, 0, 1, 1])
    pred = np.array([0, 0, 1, 1, 0, 1])
    acc, mapping = scores.matched_accuracy(true, pred)
    assert acc == pytest.approx(3 / 6)
    assert sorted(mapping.values()) == [0, 1]


def test_hungarian_beats_greedy():
    # Greedy would give class 0 to cluster 0 (5 points), leaving cluster 1 with
    # 0 points of class 1; the best matching is 0->1, 1->0: 4 + 4 = 8.
    true = np.array([0] * 5 + [1] * 4 + [0] * 4)
    pred = np.array([0] * 5 + [0] * 4 + [1] * 4)
    acc, mapping = scores.matched_accuracy(true, pred)
    assert mapping == {0: 1, 1: 0}
    assert acc == pytest.approx(8 / 13)


def test_noise_counts_as_wrong_and_as_its_own_group():
    true = np.array([0, 0, 0, 1, 1, 1])
    pred = np.array([0, 0, -1, 1, 1, -1])
    m = scores.metrics(true, pred)
    assert m["accuracy"] == pytest.approx(4 / 6)
    assert m["noise_share"] == pytest.approx(2 / 6)
    assert m["n_clusters"] == 2
    assert m["homogeneity"] < 1.0  # the noise group mixes both classes
    assert "-1" not in m["matching"]


def test_all_noise():
    m = scores.metrics(np.array([0, 1, 1]), np.array([-1, -1, -1]))
    assert m["accuracy"] == 0.0 and m["noise_share"] == 1.0 and m["n_clusters"] == 0


def test_more_clusters_than_classes_leaves_some_unmatched():
    true = np.array([0, 0, 1, 1])
    pred = np.array([0, 1, 2, 3])
    m = scores.metrics(true, pred)
    assert m["accuracy"] == pytest.approx(2 / 4)
    assert m["homogeneity"] == pytest.approx(1.0)
    assert m["completeness"] < 1.0


def test_crosstab_and_sizes():
    clusters, classes, counts = scores.crosstab(np.array([1, 1, -1, 0]), np.array([2, 0, 2, 2]))
    assert clusters == [-1, 0, 1] and classes == [0, 2]
    assert counts.tolist() == [[0, 1], [0, 1], [1, 1]]
    assert scores.sizes(np.array([3, 3, -1, 0, 3, 0])) == [(3, 3), (0, 2), (-1, 1)]


def test_crosstab_lists_ids_no_point_has():
    rows, cols, counts = scores.crosstab(np.array([0, 0, 2]), np.array([1, 1, 0]), range(3), range(3))
    assert rows == cols == [0, 1, 2]
    assert counts.tolist() == [[0, 2, 0], [0, 0, 0], [1, 0, 0]]
    with pytest.raises(FmtwistError, match=r"^labels differ in shape: \[2\] and \[3\]$"):
        scores.crosstab(np.array([0, 1]), np.array([0, 1, 2]))


def test_metrics_shape_mismatch():
    with pytest.raises(FmtwistError, match="labels differ in shape"):
        scores.metrics(np.array([0, 1]), np.array([0, 1, 2]))


def test_original_categories_from_answer_key():
    key = {"original_labels": {"train": np.array([7, 8, 9]), "test": np.array([1, 2])}}
    cats = scores.original_categories(np.array([1, 0, 2]), np.array(["test", "train", "train"]), key)
    assert cats.tolist() == [2, 7, 9]
    with pytest.raises(FmtwistError, match="outside 0..1"):
        scores.original_categories(np.array([2]), np.array(["test"]), key)


# --------------------------------------------------------------------------
# features, k-distances, the knee


def test_prepare_features_standardizes_and_reduces():
    rng = np.random.default_rng(0)
    x = rng.normal(5, 3, (50, 6)).astype(np.float32)
    z = features.prepare_features(x)
    assert z.dtype == np.float32
    assert np.allclose(z.mean(0), 0, atol=1e-5) and np.allclose(z.std(0), 1, atol=1e-4)
    assert features.prepare_features(x, pca=2).shape == (50, 2)
    assert np.array_equal(features.prepare_features(x, scale=False), x)
    with pytest.raises(FmtwistError, match="pca must be between 1 and 6"):
        features.prepare_features(x, pca=7)


@pytest.mark.parametrize(
    "method, params, message",
    [
        ("dbscan", {"eps": 0, "min_samples": 3}, "eps must be a number greater than 0 or 'auto', got 0"),
        ("dbscan", {"eps": float("inf"), "min_samples": 3}, "eps must be a number greater than 0 or 'auto', got inf"),
        ("dbscan", {"eps": 1.0, "min_samples": 0}, "min_samples must be a whole number of at least 1, got 0"),
        ("dbscan", {"eps": 1.0}, "min_samples must be a whole number of at least 1, got None"),
        ("kmeans", {"k": 3.0, "n_init": 1}, "k must be a whole number of at least 1, got 3.0"),
        ("kmeans", {"k": 21, "n_init": 1}, "k 21 is more than the 20 points to cluster"),
        ("kmeans", {"k": 2, "n_init": True}, "n_init must be a whole number of at least 1, got True"),
        ("hdbscan", {"min_cluster_size": 5, "min_samples": 21}, "min_samples 21 is more than the 20 points to cluster"),
        ("agglomerative", {"k": 2, "eps": 1.0}, "agglomerative takes no eps (it takes k)"),
        ("spectral", {}, "method must be one of dbscan, kmeans, hdbscan, agglomerative; got 'spectral'"),
    ],
)
def test_parameters_checked_against_their_declared_limits(method, params, message):
    with pytest.raises(FmtwistError, match=f"^{re.escape(message)}$"):
        clustering.validate_params(method, 20, params)
    with pytest.raises(FmtwistError, match=f"^{re.escape(message)}$"):  # run() checks at the same boundary
        clustering.run(method, np.zeros((20, 2), dtype=np.float32), params)


def test_every_method_declares_its_parameters():
    assert set(clustering.PARAMETERS) == set(clustering.Method)
    assert clustering.validate_params("hdbscan", 20, {"min_cluster_size": 5}) == {"min_cluster_size": 5}
    checked = clustering.validate_params(clustering.Method.kmeans, 20, {"k": np.int64(3), "n_init": 2, "seed": None})
    assert checked == {"k": 3, "n_init": 2, "seed": None} and type(checked["k"]) is int


@pytest.mark.parametrize("text, expected", [("auto", "auto"), (" AUTO ", "auto"), ("45", 45.0), ("0.5", 0.5)])
def test_parse_eps(text, expected):
    assert clustering.parse_eps(text) == expected


@pytest.mark.parametrize("text, shown", [("0", "0.0"), ("-1", "-1.0"), ("wide", "wide"), ("nan", "nan")])
def test_parse_eps_refuses_with_the_limit_message(text, shown):
    with pytest.raises(FmtwistError, match=f"^eps must be a number greater than 0 or 'auto', got {shown}$"):
        clustering.parse_eps(text)


def test_zero_width_features_get_a_message():
    with pytest.raises(FmtwistError, match=r"^emb\.npz has an empty embedding \(4 rows of 0 values\)"):
        features.prepare_features(np.zeros((4, 0), dtype=np.float32), where="emb.npz")


def test_kmeans_and_agglomerative_find_separated_groups():
    rng = np.random.default_rng(4)
    truth = np.repeat(np.arange(3), 20)
    x = (rng.normal(0, 0.2, (60, 3)) + truth[:, None] * 5).astype(np.float32)
    for labels in (clustering.kmeans(x, 3, seed=0), clustering.agglomerative(x, 3), clustering.hdbscan(x, 5)):
        assert scores.metrics(truth, labels)["ari"] == pytest.approx(1.0)


def test_agglomerative_refuses_huge_inputs(monkeypatch):
    monkeypatch.setattr(clustering, "WARD_MAX_BYTES", 1000)
    with pytest.raises(FmtwistError, match="agglomerative \\(ward\\) clustering of 20 points needs"):
        clustering.agglomerative(np.zeros((20, 2), dtype=np.float32), 2)


def test_warnings_for_degenerate_runs():
    params = {"eps": 1.0}
    assert "leaves 90% of points as noise" in scores.warnings_for(np.array([-1] * 9 + [0]), "dbscan", params)[0]
    assert "puts 90% of points in one cluster" in scores.warnings_for(np.array([0] * 9 + [-1]), "dbscan", params)[0]
    assert scores.warnings_for(np.array([0, 0, 1, 1, -1]), "dbscan", params) == []


# --------------------------------------------------------------------------
# the command


@pytest.fixture
def art(tmp_path) -> Path:
    write_embeddings(tmp_path / "art")
    return tmp_path / "art"


@pytest.mark.parametrize(
    "method,extra",
    [
        ("kmeans", ["--k", "3", "--seed", "0"]),
        ("dbscan", ["--eps", "2", "--min-samples", "5"]),
        ("dbscan", ["--eps", "auto", "--min-samples", "5"]),
        ("hdbscan", ["--min-cluster-size", "10"]),
        ("agglomerative", ["--k", "3"]),
    ],
)
def test_every_method_through_the_cli(run, art, method, extra):
    code, out, err = run("cluster", "--method", method, "-a", art, "--answer-key", art / "twist.json", "--json", *extra)
    assert code == 0, err
    result = json.loads(out)
    labels = artifacts.load(art / f"clusters-{method}.npz", "clusters")["labels"]
    assert labels.shape == (90,)
    assert result["original"]["table"]["class_names"] == ["Coat", "Sneaker", "Ankle boot"]
    if extra[1] == "auto":
        # the knee cuts the tail of the curve: the groups' outermost points become noise
        assert result["eps_auto"]["eps"] == result["params"]["eps"] > 0
        assert result["n_clusters"] == 3 and 0 < result["noise_share"] < 0.15
        assert result["original"]["accuracy"] == pytest.approx(1 - result["noise_share"])
        return
    assert result["original"]["ari"] == pytest.approx(1.0)  # the three groups, found
    assert result["mystery"]["homogeneity"] == pytest.approx(1.0)
    assert result["mystery"]["completeness"] < 1.0  # mystery class 1 is two clusters
    assert result["sizes"] == [{"cluster": c, "count": 30} for c in range(3)]


def test_table_output_and_saved_metadata(run, art):
    code, out, err = run("cluster", "--method", "kmeans", "--seed", "1", "-a", art)
    assert code == 0, err
    assert out.startswith("kmeans on 90 rows of standardized encoding (k 2, n_init 10, seed 1) in ")
    assert "Cluster sizes (2 clusters, 0.0% noise)" in out  # --k defaults to the 2 mystery classes
    assert "vs mystery labels: ARI" in out and "vs original categories" not in out
    saved = artifacts.load(art / "clusters-kmeans.npz", "clusters")
    assert saved.meta["params"] == {"k": 2, "n_init": 10, "seed": 1}
    assert saved.meta["features"] == {"scale": True, "pca": None}
    assert saved.meta["input"] == str(art / "embeddings.npz")


def test_dbscan_warns_when_one_cluster_takes_all(run, art):
    code, out, err = run("cluster", "--method", "dbscan", "--eps", "1000", "-a", art)
    assert code == 0
    # the warning names a setting it ran on the same points, and what that finds (tests/test_dbscan_advice.py)
    assert err.startswith("warning: eps 1000 puts 100% of points in one cluster; try --pca ")
    assert ": it finds 3 clusters (" in err and err.count("\n") == 1


def test_clusters_a_map_from_reduce(run, art):
    emb = artifacts.load(art / "embeddings.npz", "embeddings")
    coords = emb["embedding"][:, :2].copy()
    artifacts.save(
        artifacts.Artifact("coords", {"coords": coords, "index": emb["index"], "split": emb["split"]}, {}),
        art / "coords-x.npz",
    )
    code, out, err = run(
        "cluster", "--method", "kmeans", "--k", "3", "--coords", art / "coords-x.npz", "-a", art, "--json"
    )
    assert code == 0, err
    assert json.loads(out)["features"] == {"coords": str(art / "coords-x.npz")}


@pytest.mark.parametrize(
    "args,message",
    [
        (["--method", "dbscan", "--eps", "0"], "--eps must be a number greater than 0 or 'auto', got 0.0"),
        (["--method", "dbscan", "--eps", "-3"], "--eps must be a number greater than 0 or 'auto', got -3.0"),
        (["--method", "dbscan", "--eps", "wide"], "--eps must be a number greater than 0 or 'auto', got wide"),
        (["--method", "dbscan", "--min-samples", "0"], "--min-samples must be a whole number of at least 1, got 0"),
        (["--method", "kmeans", "--k", "91"], "--k 91 is more than the 90 points to cluster"),
        (["--method", "agglomerative", "--k", "0"], "--k must be a whole number of at least 1, got 0"),
        (
            ["--method", "hdbscan", "--min-cluster-size", "1"],
            "--min-cluster-size must be a whole number of at least 2, got 1",
        ),
        (
            ["--method", "kmeans", "--pca", "7"],
            "--pca must be between 1 and 6 (rows and columns of the features), got 7",
        ),
    ],
)
def test_bad_options(run, art, args, message):
    before = files_under(art)
    code, out, err = run("cluster", "-a", art, *args)
    assert (code, out, err) == (1, "", f"error: {message}\n")
    assert files_under(art) == before


def test_unknown_method_is_a_usage_error_listing_the_choices(run, art, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")  # the choices on one line of --help
    before = files_under(art)
    code, out, err = run("cluster", "-a", art, "--method", "spectral")
    assert (code, out) == (2, "")
    message = (
        "Invalid value for '--method': Value error, "
        "'spectral' is not one of 'dbscan', 'kmeans', 'hdbscan', 'agglomerative'."
    )
    assert message in usage_message(err)
    assert files_under(art) == before
    code, out, _ = run("cluster", "--help")
    assert "dbscan|kmeans|hdbscan|agglomerative" in usage_message(out)


def test_method_names_are_not_case_sensitive(run, art):
    code, _, err = run("cluster", "-a", art, "--method", "KMeans", "--k", "3", "--seed", "0", "--json")
    assert code == 0, err


def test_coords_of_other_length(run, art):
    emb = artifacts.load(art / "embeddings.npz", "embeddings")
    coords = {"coords": emb["embedding"][:50, :2].copy(), "index": emb["index"][:50]}
    artifacts.save(artifacts.Artifact("coords", coords, {}), art / "coords-short.npz")
    before = files_under(art)
    code, out, err = run("cluster", "-a", art, "--coords", art / "coords-short.npz")
    expected = (
        f"error: {art / 'coords-short.npz'} has 50 rows but {art / 'embeddings.npz'} has 90 rows: "
        "make the coordinates from the same embeddings with `fmtwist reduce`\n"
    )
    assert (code, out, err) == (1, "", expected)
    assert files_under(art) == before


def test_nan_in_embeddings(run, tmp_path):
    folder = tmp_path / "nan"
    path = write_embeddings(folder, with_nan=True)
    before = files_under(folder)
    code, out, err = run("cluster", "-a", folder)
    assert (code, out, err) == (1, "", f"error: {path}: 'embedding' holds NaN or infinite values\n")
    assert files_under(folder) == before


def test_missing_embeddings(run, tmp_path):
    code, out, err = run("cluster", "-a", tmp_path)
    assert (code, err) == (
        1,
        f"error: embeddings file not found: {tmp_path / 'embeddings.npz'} (run `fmtwist embed` first)\n",
    )
    assert not any(tmp_path.iterdir())


def test_dbscan_progress_runs_once_through_both_passes():
    rng = np.random.default_rng(6)
    x = rng.normal(size=(70, 3)).astype(np.float32)
    seen = []
    clustering.run("dbscan", x, {"eps": 1.0, "min_samples": 3}, progress=lambda d, t: seen.append((d, t)))
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert seen[-1][0] == seen[-1][1] and {t for _, t in seen} == {seen[-1][1]}


# --------------------------------------------------------------------------
# clustering inside each mystery class


def ten_categories(n_per: int = 12, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ten well-separated 2-D groups (the categories), merged into 5 classes
    the way the default twist merges them: points, categories, classes."""
    rng = np.random.default_rng(seed)
    categories = np.repeat(np.arange(10), n_per)
    centres = np.c_[np.cos(np.arange(10)), np.sin(np.arange(10))] * 20
    x = rng.normal(0, 0.5, (categories.size, 2)) + centres[categories]
    classes = np.array([4, 2, 2, 3, 0, 1, 0, 4, 3, 4])[categories]
    return x, categories, classes


def test_category_units_reads_a_class_size_in_categories():
    from fmtwist_cli.data.twist import category_units  # what --within-classes --k auto asks of each class

    def clusters(n: int, total: int) -> int:
        return int(category_units([n, total - n], whole=True)[0])

    assert [clusters(n, 10_000) for n in (1000, 2000, 2265, 2939, 3000, 10)] == [1, 2, 2, 3, 3, 1]
    assert clusters(0, 100) == 1  # an empty class still asks for one cluster


@pytest.mark.parametrize(
    "method,params",
    [
        ("kmeans", {"k": "auto", "n_init": 3, "seed": 0}),
        ("agglomerative", {"k": "auto"}),
    ],
)
def test_within_classes_finds_the_merged_categories(method, params):
    x, categories, classes = ten_categories()
    result = clustering.run_within(method, x, classes, params)
    assert scores.metrics(categories, result.labels)["ari"] == pytest.approx(1.0)
    per_class = result.info["per_class"]
    assert [len(per_class[str(c)]["clusters"]) for c in range(5)] == [2, 1, 2, 2, 3]
    assert per_class["1"]["clusters"] == [2]  # numbered class by class
    # every cluster lies inside one class
    for c, part in per_class.items():
        assert set(classes[np.isin(result.labels, part["clusters"])]) == {int(c)}


def test_within_classes_keeps_noise_and_numbers_clusters_without_gaps():
    x, categories, classes = ten_categories()
    x = np.vstack([x, [[500.0, 500.0]]])  # one far outlier in class 0
    classes = np.append(classes, 0)
    result = clustering.run_within("dbscan", x, classes, {"eps": 2.0, "min_samples": 3})
    assert result.labels[-1] == clustering.NOISE
    assert sorted(set(result.labels[:-1].tolist())) == list(range(10))


def test_within_classes_through_the_cli(run, art):
    code, out, err = run(
        "cluster",
        "--method",
        "kmeans",
        "--within-classes",
        "--seed",
        "0",
        "-a",
        art,
        "--answer-key",
        art / "twist.json",
        "--json",
    )
    assert code == 0, err
    result = json.loads(out)
    # 90 rows: class 0 holds 30 (3.3 categories' worth of 10), class 1 holds 60 (6.7)
    assert [len(result["per_class"][c]["clusters"]) for c in ("0", "1")] == [3, 7]
    assert result["params"]["within_classes"] is True
    assert (art / "clusters-kmeans-within.npz").exists() and not (art / "clusters-kmeans.npz").exists()
    assert result["mystery"]["homogeneity"] == pytest.approx(1.0)  # no cluster crosses a class
    code, out, err = run(
        "cluster",
        "--method",
        "kmeans",
        "--within-classes",
        "--k",
        "2",
        "--seed",
        "0",
        "-a",
        art,
        "--answer-key",
        art / "twist.json",
        "--json",
    )
    assert code == 0, err
    result = json.loads(out)
    assert [len(result["per_class"][c]["clusters"]) for c in ("0", "1")] == [2, 2]  # --k: that many in every class
    assert result["original"]["homogeneity"] == pytest.approx(1.0)  # class 1's two groups found, class 0 cut in two
    assert result["original"]["completeness"] < 1.0


def test_within_classes_needs_mystery_labels(run, tmp_path):
    path = write_embeddings(tmp_path / "art")
    emb = artifacts.load(path, "embeddings")
    del emb.arrays["labels"]
    artifacts.save(artifacts.Artifact("embeddings", emb.arrays, {}), path)
    code, out, err = run("cluster", "--within-classes", "-a", tmp_path / "art")
    assert code == 1
    assert err == f"error: --within-classes needs the mystery labels, and {path} has none\n"
    assert not list((tmp_path / "art").glob("clusters-*"))
