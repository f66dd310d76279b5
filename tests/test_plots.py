"""views/ figures (figures, curves, charts) and `fmtwist plot`: every kind is written, at the asked size, not
blank, in the format its extension names, and the same every time."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import files_under
from helpers import assert_not_blank, read_png, usage_message

from fmtwist_cli import artifacts
from fmtwist_cli.errors import FmtwistError
from fmtwist_cli.groups import dbscan, features
from fmtwist_cli.views import charts, curves, figures


def legend_texts(fig) -> list[str]:
    return [t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()]


# --------------------------------------------------------------------------
# small pieces


@pytest.mark.parametrize("name, fmt", [("a.png", "png"), ("b.SVG", "svg"), ("dir/c.pdf", "pdf")])
def test_figure_format(name, fmt):
    assert figures.figure_format(name) == fmt


def test_figure_format_rejects_others():
    with pytest.raises(FmtwistError, match=r"^cannot write a\.jpg: use a \.png, \.svg or \.pdf file name$"):
        figures.figure_format("a.jpg")


def test_parse_size():
    assert figures.parse_size("12x8") == (12.0, 8.0)
    assert figures.parse_size("6.5X4") == (6.5, 4.0)
    for bad in ("12", "axb", "0x3", "3x-1", "1x2x3"):
        with pytest.raises(FmtwistError):
            figures.parse_size(bad)


def test_check_size():
    figures.check_size((10, 8), 100)
    with pytest.raises(FmtwistError, match="^dpi must be between 10 and 1200, got 5$"):
        figures.check_size((10, 8), 5)
    with pytest.raises(FmtwistError, match="too large"):
        figures.check_size((100, 100), 1200)


def test_method_label():
    assert [charts.method_label({"method": m}) for m in ("tsne", "UMAP", "pca", "mds", "")] == [
        "t-SNE",
        "UMAP",
        "PCA",
        "MDS",
        "Map",
    ]


def test_read_history_errors(tmp_path):
    with pytest.raises(FmtwistError, match="run `fmtwist train` first"):
        curves.read_history(tmp_path / "history-x.json")
    artifacts.save_json(tmp_path / "h.json", {"kind": "other"})
    with pytest.raises(FmtwistError, match="is not an fmtwist training history"):
        curves.read_history(tmp_path / "h.json")


def test_history_figure_has_the_six_panels(viz):
    fig = curves.history_figure(curves.read_history(viz / "history-custom.json"))
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == [
        "Training loss",
        "Training accuracy",
        "Validation loss",
        "Validation accuracy",
        "Training and validation loss",
        "Training and validation accuracy",
    ]
    assert legend_texts(fig) == ["training", "validation"] * 2
    assert fig.get_suptitle() == "custom · 1,000 parameters · test accuracy 0.9400"


def test_comparison_figure_panels(viz):
    hists = [curves.read_history(viz / f"history-{a}.json") for a in ("default", "custom")]
    fig = curves.comparison_figure(hists)
    assert [ax.get_title() for ax in fig.axes] == [
        "Training loss",
        "Validation loss",
        "Accuracy gap (training − validation)",
    ]
    assert legend_texts(fig)[:2] == ["default (test 0.9000)", "custom (test 0.9400)"]
    gap = fig.axes[2].get_lines()[0].get_ydata()
    np.testing.assert_allclose(gap, 0.02)  # the fixture's validation accuracy trails by 0.02


def test_scatter_legend_names_classes_and_noise(viz):
    coords = artifacts.load(viz / "coords-tsne.npz", "coords")["coords"]
    labels = artifacts.load(viz / "clusters-dbscan.npz", "clusters")["labels"]
    fig = charts.scatter_figure(coords, labels, "cluster", "t")
    assert legend_texts(fig) == ["noise (6)"] + [f"cluster {c} ({(labels == c).sum()})" for c in range(3)]


def test_scatter_with_many_clusters_numbers_them_instead(viz):
    rng = np.random.default_rng(0)
    coords = rng.normal(size=(300, 2)).astype(np.float32)
    labels = np.arange(300) % 60 - 1  # noise and 59 clusters
    fig = charts.scatter_figure(coords, labels, "cluster", "t")
    assert legend_texts(fig) == ["noise (5)"]
    assert fig.axes[0].get_legend().get_title().get_text() == "59 clusters, numbered\non the map"
    assert len(fig.axes[0].texts) == 59


# --------------------------------------------------------------------------
# fmtwist plot: every kind


KIND_ARGS = {
    "history-one": (["history", "--history", "history-custom.json"], "history-custom.png"),
    "history-many": (["history"], "history-comparison.png"),
    "scatter-label": (["scatter"], "scatter-tsne-label.png"),
    "scatter-cluster": (["scatter", "--by", "cluster", "--clusters", "clusters-dbscan.npz"], "scatter-tsne-dbscan.png"),
    "scatter-pred": (["scatter", "--by", "pred"], "scatter-tsne-pred.png"),
    "kdist": (["kdist", "--k", "5"], "kdist.png"),
    "confusion": (["confusion"], "confusion.png"),
    "confusion-clusters": (["confusion", "--clusters", "clusters-kmeans.npz"], "confusion-kmeans.png"),
    "grid-label": (["grid", "--n", "4", "--seed", "0"], "grid-label.png"),
    "grid-cluster": (
        ["grid", "--by", "cluster", "--clusters", "clusters-dbscan.npz", "--pick", "central", "--n", "3"],
        "grid-dbscan.png",
    ),
}


@pytest.mark.parametrize("case", list(KIND_ARGS))
def test_plot_writes_the_default_file_at_the_asked_size(viz, run, monkeypatch, case):
    monkeypatch.chdir(viz)
    args, name = KIND_ARGS[case]
    code, out, err = run("plot", *args, "-a", viz, "--size", "6x4", "--dpi", "50")
    assert code == 0, err
    assert out.endswith(f"wrote {viz / name} (300x200 pixels)\n")
    pixels = read_png(viz / name)
    assert pixels.shape[:2] == (200, 300)
    assert_not_blank(pixels)


@pytest.mark.parametrize("kind", ["history", "scatter", "kdist", "confusion", "grid"])
def test_plot_default_sizes_are_readable(viz, run, kind):
    code, out, _ = run("plot", kind, "-a", viz, "--json", *(["--k", "5"] if kind == "kdist" else []))
    assert code == 0
    result = json.loads(out)
    pixels = read_png(Path(result["written"]))
    assert pixels.shape[:2] == (result["height"], result["width"])
    assert result["width"] >= 500 and result["height"] >= 200
    assert_not_blank(pixels)


@pytest.mark.parametrize(
    "ext, magic",
    [  # each draws a 10x8 scatter twice; SVG and PDF take seconds
        pytest.param("svg", b"<?xml", marks=pytest.mark.slow),
        pytest.param("pdf", b"%PDF", marks=pytest.mark.slow),
        ("png", b"\x89PNG"),
    ],
)
def test_plot_format_by_extension_and_repeatable(viz, run, tmp_path, ext, magic):
    first, second = tmp_path / f"a.{ext}", tmp_path / f"b.{ext}"
    for out in (first, second):
        assert (
            run("plot", "scatter", "-a", viz, "--by", "cluster", "--clusters", viz / "clusters-dbscan.npz", "-o", out)[
                0
            ]
            == 0
        )
    assert first.read_bytes().startswith(magic)
    assert first.read_bytes() == second.read_bytes()


def test_plot_kdist_marks_the_auto_eps_of_cluster(viz, run):
    code, out, _ = run("plot", "kdist", "-a", viz, "--k", "5", "--json")
    assert code == 0
    result = json.loads(out)
    x = features.prepare_features(artifacts.load(viz / "embeddings.npz", "embeddings")["embedding"])
    eps, _ = dbscan.auto_eps(dbscan.kdistances(x, 5), 5)
    assert result["eps"] == round(eps, 4) and result["eps_from"] == "knee" and result["points"] == 60


@pytest.mark.parametrize(
    "args, eps, source",
    [
        (["--eps", "2.5", "--k", "5"], 2.5, "chosen"),
        (["--clusters", "clusters-dbscan.npz"], 1.5, "used by clusters-dbscan.npz"),
    ],
)
def test_plot_kdist_chosen_eps(viz, run, monkeypatch, args, eps, source):
    monkeypatch.chdir(viz)
    code, out, _ = run("plot", "kdist", "-a", viz, "--json", *args)
    result = json.loads(out)
    assert code == 0 and (result["eps"], result["eps_from"]) == (eps, source)
    assert result["k"] == 5  # given, or the clustering's min_samples


def test_plot_confusion_counts(viz, run):
    code, out, _ = run("plot", "confusion", "-a", viz, "--json")
    result = json.loads(out)
    assert code == 0
    assert result["accuracy"] == 0.95  # 3 of 60 mispredicted in the fixture
    assert result["table"] == [[19, 1, 0], [0, 19, 1], [1, 0, 19]]


def test_plot_confusion_against_clusters_has_a_noise_column(viz, run):
    code, out, _ = run("plot", "confusion", "-a", viz, "--clusters", viz / "clusters-dbscan.npz", "--json")
    result = json.loads(out)
    assert code == 0 and result["table_columns"] == ["noise", "cluster 0", "cluster 1", "cluster 2"]
    assert np.array(result["table"]).sum() == 60 and np.array(result["table"])[:, 0].sum() == 6


def test_plot_text_output_prints_the_table(viz, run):
    code, out, _ = run("plot", "confusion", "-a", viz)
    assert code == 0 and "accuracy: 0.95" in out and "class 0" in out and "pred 2" in out


@pytest.mark.parametrize(
    "args, message",
    [
        (["history", "-o", "x.gif"], "cannot write x.gif: use a .png, .svg or .pdf file name"),
        (["history", "--size", "big"], "--size must be WIDTHxHEIGHT in inches, like 12x8, got 'big'"),
        (["history", "--dpi", "3"], "--dpi must be between 10 and 1200, got 3"),
        (["history", "--history", "nope.json"], "training history not found: nope.json (run `fmtwist train` first)"),
        (["kdist", "--eps", "-1"], "--eps must be a number greater than 0 or 'auto', got -1.0"),
        (["kdist", "--eps", "wide"], "--eps must be a number greater than 0 or 'auto', got wide"),
        (
            ["scatter", "--coords", "short.npz"],
            (
                "short.npz has 5 points but {viz}/embeddings.npz has 60 rows: "
                "pass the files made from the same embeddings, or run `fmtwist reduce` again"
            ),
        ),
        (["grid", "--n", "0"], "--n must be at least 1, got 0"),
    ],
)
def test_plot_errors_write_nothing(viz, run, monkeypatch, args, message):
    monkeypatch.chdir(viz)
    short = {"coords": np.zeros((5, 2), np.float32), "index": np.arange(5, dtype=np.int64)}
    artifacts.save(artifacts.Artifact("coords", short, {"method": "tsne"}), viz / "short.npz")
    before = files_under(viz)
    code, out, err = run("plot", *args, "-a", viz)
    assert (code, out, err) == (1, "", f"error: {message.format(viz=viz)}\n")
    assert files_under(viz) == before


def test_plot_history_with_no_history_files(tmp_path, run):
    code, _, err = run("plot", "history", "-a", tmp_path)
    assert code == 1 and err == f"error: no history-*.json in {tmp_path} (run `fmtwist train` first)\n"


def test_plot_scatter_needs_labels_for_by_label(viz, run):
    emb = artifacts.load(viz / "embeddings.npz", "embeddings")
    del emb.arrays["labels"]
    artifacts.save(emb, viz / "embeddings.npz")
    code, _, err = run("plot", "scatter", "-a", viz)
    assert code == 1
    assert err == f"error: {viz / 'embeddings.npz'} carries no mystery labels: use --by pred or --by cluster\n"


# --------------------------------------------------------------------------
# fmtwist plot is a sub-app: one command per figure, each with only its own options


def test_plot_help_lists_every_figure(run):
    code, out, _ = run("plot", "--help")
    assert code == 0
    for kind in ("history", "scatter", "kdist", "confusion", "grid"):
        assert kind in out


@pytest.mark.parametrize(
    "kind, own, foreign",
    [
        ("history", "--history", "--coords"),
        ("scatter", "--coords", "--pick"),
        ("kdist", "--eps", "--by"),
        ("confusion", "--clusters", "--k"),
        ("grid", "--pick", "--history"),
    ],
)
def test_each_figure_takes_only_its_own_options(viz, run, kind, own, foreign):
    code, out, _ = run("plot", kind, "--help")
    assert code == 0 and own in out and foreign not in out and "Example" in out
    code, out, err = run("plot", kind, foreign, "x", "-a", viz)
    assert (code, out) == (2, "") and f"No such option: {foreign}" in usage_message(err)


def test_plot_defaults_to_the_layout_default_map(viz, run):
    import os

    coords = artifacts.load(viz / "coords-tsne.npz", "coords")
    coords.meta["method"] = "pca"
    artifacts.save(coords, viz / "coords-pca.npz")
    os.utime(viz / "coords-pca.npz", (2**31, 2**31))  # newer, yet t-SNE comes first (layout.MAP_ORDER)
    code, out, _ = run("plot", "scatter", "-a", viz, "--json")
    assert code == 0 and json.loads(out)["written"] == str(viz / "scatter-tsne-label.png")
