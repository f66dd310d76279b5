"""images.py: choosing members, the terminal grid (half blocks and plain
ramp), the PNG grid, and `fmtwist inspect`."""

from __future__ import annotations

import re

import numpy as np
import pytest
from conftest import files_under
from helpers import assert_not_blank, read_png

from fmtwist_cli import artifacts
from fmtwist_cli.errors import FmtwistError
from fmtwist_cli.views import figures, images, step, terminal

ESC = "\x1b"


def load_collection(folder, clusters="clusters-kmeans.npz", embeddings=True):
    data = artifacts.load(folder / "data.npz", "data")
    emb = artifacts.load(folder / "embeddings.npz", "embeddings") if embeddings else None
    clu = artifacts.load(folder / clusters, "clusters") if clusters else None
    return images.collect(data, emb, clu)


# --------------------------------------------------------------------------
# collecting and choosing rows


def test_collect_lines_up_rows_and_images(viz):
    coll = load_collection(viz)
    assert len(coll) == 60 and coll.n_classes == 3 and coll.clusters_name == "kmeans"
    data = artifacts.load(viz / "data.npz", "data")
    np.testing.assert_array_equal(coll.images(np.array([5, 40])), data["x_test"][[5, 40]])


def test_collect_without_embeddings_uses_the_test_split(viz):
    coll = load_collection(viz, clusters=None, embeddings=False)
    assert len(coll) == 60 and coll.pred is None and coll.features is None
    np.testing.assert_array_equal(coll.labels, artifacts.load(viz / "data.npz", "data")["y_test"])


def test_collect_rejects_clusters_of_another_length(viz):
    artifacts.save(
        artifacts.Artifact("clusters", {"labels": np.zeros(7, dtype=np.int64)}, {"method": "kmeans"}), viz / "short.npz"
    )
    with pytest.raises(FmtwistError) as exc:
        load_collection(viz, clusters="short.npz")
    assert str(exc.value) == (
        f"{viz / 'short.npz'} has 7 labels but {viz / 'embeddings.npz'} has 60 rows: "
        "pass the embeddings it was made from (--embeddings) or run `fmtwist cluster` again"
    )


def test_collect_rejects_embeddings_pointing_past_the_data(viz):
    emb = artifacts.load(viz / "embeddings.npz", "embeddings")
    emb.arrays["index"] = emb["index"] + 10
    artifacts.save(emb, viz / "embeddings.npz")
    with pytest.raises(FmtwistError, match="points past the 60 test images"):
        load_collection(viz)


def test_members_by_cluster_label_both_and_noise(viz):
    coll = load_collection(viz, clusters="clusters-dbscan.npz")
    assert set(coll.clusters[images.members(coll, cluster=1)]) == {1}
    assert set(coll.labels[images.members(coll, label=2)]) == {2}
    both = images.members(coll, cluster=1, label=1)
    assert (coll.clusters[both] == 1).all() and (coll.labels[both] == 1).all()
    assert images.members(coll, noise=True).size == 6


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"cluster": 7}, "cluster 7 does not exist in kmeans (clusters: 0-2)"),
        ({"cluster": -1}, "cluster -1 does not exist in kmeans (clusters: 0-2)"),
        ({"label": 3}, "label must be between 0 and 2, got 3"),
        ({"noise": True}, "kmeans has no noise points (only DBSCAN and HDBSCAN leave some)"),
        ({"cluster": 1, "label": 0}, "no image is in cluster 1 and class 0 at once"),
    ],
)
def test_members_errors(viz, kwargs, message):
    with pytest.raises(FmtwistError) as exc:
        images.members(load_collection(viz), **kwargs)
    assert str(exc.value) == message


def test_pick_random_is_seeded_distinct_and_within_the_group(viz):
    coll = load_collection(viz)
    rows = images.members(coll, label=1)
    a = images.pick(coll, rows, "random", 5, seed=3)
    assert np.array_equal(a, images.pick(coll, rows, "random", 5, seed=3))
    assert len(set(a.tolist())) == 5 and set(a) <= set(rows)
    assert images.pick(coll, rows, "random", 500, seed=3).size == rows.size


def test_pick_central_and_border_on_known_geometry(viz):
    coll = load_collection(viz)
    feats = coll.features
    feats[:] = 0
    feats[:, 0] = np.repeat([0.0, 10.0, 20.0], 20)  # three groups on a line
    feats[20:40, 1] = np.linspace(-1, 1, 20)  # group 1 spread along y...
    feats[39, 0] = 16.0  # ...and one member leaning towards group 2
    rows = images.members(coll, label=1)
    central = images.pick(coll, rows, "central", 2)
    assert set(central) == {29, 30}  # y nearest 0
    border = images.pick(coll, rows, "border", 1, groups=coll.labels)
    assert border.tolist() == [39]


def test_pick_errors(viz):
    coll = load_collection(viz, clusters=None, embeddings=False)
    rows = np.arange(10)
    with pytest.raises(FmtwistError, match="^n must be at least 1, got 0$"):
        images.pick(coll, rows, "random", 0)
    with pytest.raises(FmtwistError) as exc:
        images.pick(coll, rows, "central", 3)
    assert str(exc.value) == "pick central measures distances on the embedding: run `fmtwist embed` first"


def test_select_captions_and_titles(viz):
    sel = images.select(load_collection(viz), label=0, how="random", n=20, seed=0)
    assert sel.title == "class 0: 20 images, 20 random shown"
    assert len(sel.captions) == 20 and sel.images.shape == (20, 28, 28)
    for cap, item, wrong in zip(sel.captions, sel.items, sel.wrong):
        cl = f" cl {item['cluster']}"
        assert cap == f"#{item['index']} class {item['label']} pred {item['pred']}{cl}"
        assert wrong == (item["label"] != item["pred"])
    assert any(sel.wrong)  # row 3 is mispredicted in the fixture
    sel = images.select(load_collection(viz, "clusters-dbscan.npz"), cluster=2, how="border", n=3)
    assert sel.title.startswith("cluster 2 of dbscan: ") and sel.title.endswith(", 3 most borderline shown")
    with pytest.raises(FmtwistError, match="^choose what to show: cluster N, label K or pick noise$"):
        images.select(load_collection(viz))


# --------------------------------------------------------------------------
# the PNG grid


def test_grid_png_is_written_at_its_size(viz, tmp_path):
    sel = images.select(load_collection(viz), cluster=1, how="central", n=6)
    fig = step.selection_figure(sel, per_row=3, dpi=50)
    path = figures.save_figure(fig, tmp_path / "grid.png")
    w, h = fig.get_size_inches()
    pixels = read_png(path)
    assert pixels.shape[:2] == (int(h * 50), int(w * 50))
    assert_not_blank(pixels)


# --------------------------------------------------------------------------
# fmtwist inspect


def test_inspect_plain_when_not_a_terminal(viz, run):
    code, out, err = run(
        "inspect", "-a", viz, "--cluster", "1", "--n", "12", "--seed", "0", "--clusters", viz / "clusters-kmeans.npz"
    )
    assert code == 0 and err == ""
    assert ESC not in out and "▀" not in out
    lines = out.split("\n")
    assert lines[0] == "cluster 1 of kmeans: 20 images, 12 random shown"
    # not a terminal: 10 per row, each band a caption and 14 rows, then a blank line
    assert len(lines[2].split("#")) == 11 and len(lines[2 + 16].split("#")) == 3
    assert all(len(line) <= 10 * 28 + 9 * 2 for line in lines)
    assert all(set(line) <= set(terminal.ASCII_RAMP) for line in lines[3:17])


def test_inspect_half_blocks_in_a_colour_terminal(viz, run, monkeypatch):
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "100")  # three 28-column images fit
    monkeypatch.setenv("COLORTERM", "truecolor")
    monkeypatch.delenv("NO_COLOR", raising=False)
    code, out, _ = run("inspect", "-a", viz, "--label", "2", "--n", "4", "--seed", "1")
    assert code == 0
    plain = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in out.split("\n")]
    assert plain[0] == "class 2: 20 images, 4 random shown"
    blocks = [line for line in plain if "▀" in line]
    assert len(blocks) == 2 * terminal.CELL_HEIGHT
    assert [len(b) for b in blocks] == [3 * 28 + 2 * 2] * 14 + [28] * 14
    assert re.search(r"\x1b\[38;2;(\d+);\1;\1;48;2;(\d+);\2;\2m▀", out)  # grey on grey


@pytest.mark.parametrize("how", ["--ascii", "NO_COLOR"])
def test_inspect_plain_fallback_in_a_terminal(viz, run, monkeypatch, how):
    monkeypatch.setenv("FORCE_COLOR", "1")
    args = ["inspect", "-a", viz, "--label", "0", "--n", "2"]
    if how == "NO_COLOR":
        monkeypatch.setenv("NO_COLOR", "1")
    else:
        args.append("--ascii")
    code, out, _ = run(*args)
    assert code == 0 and ESC not in out and "▀" not in out
    assert len([line for line in out.split("\n") if line]) == 2 + terminal.CELL_HEIGHT


def test_inspect_without_embeddings_shows_data(viz, run):
    (viz / "embeddings.npz").unlink()
    code, out, err = run("inspect", "-a", viz, "--label", "1", "--n", "3")
    assert code == 0
    assert err == f"note: no {viz / 'embeddings.npz'} yet: showing the test split of data.npz\n"
    assert re.match(r"#\d+ class 1 +#\d+ class 1 +#\d+ class 1$", out.split("\n")[2])


def test_inspect_noise_json_and_png(viz, run, tmp_path):
    png = tmp_path / "noise.png"
    code, out, _ = run(
        "inspect", "-a", viz, "--pick", "noise", "--clusters", viz / "clusters-dbscan.npz", "--png", png, "--json"
    )
    assert code == 0
    import json

    result = json.loads(out)
    assert result["members"] == 6 and len(result["shown"]) == 6 and result["png"] == str(png)
    assert all(item["cluster"] == -1 for item in result["shown"])
    assert_not_blank(read_png(png))


def test_inspect_defaults_to_the_layout_default_clustering(viz, run):
    import os

    os.utime(viz / "clusters-dbscan.npz", (2**31, 2**31))  # newer, yet K-Means comes first (layout.CLUSTERS_ORDER)
    code, out, _ = run("inspect", "-a", viz, "--cluster", "0", "--n", "1")
    assert code == 0 and out.startswith("cluster 0 of kmeans:")
    (viz / "clusters-kmeans.npz").unlink()
    code, out, _ = run("inspect", "-a", viz, "--cluster", "0", "--n", "1")
    assert code == 0 and out.startswith("cluster 0 of dbscan:")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--cluster", "9", "--clusters", "clusters-kmeans.npz"], "cluster 9 does not exist in kmeans (clusters: 0-2)"),
        (["--label", "5"], "--label must be between 0 and 2, got 5"),
        ([], "choose what to show: --cluster N, --label K or --pick noise"),
        (["--label", "1", "--png", "out.jpg"], "cannot write out.jpg: use a .png, .svg or .pdf file name"),
        (["--label", "1", "--n", "0", "--png", "x.png"], "--n must be at least 1, got 0"),
    ],
)
def test_inspect_errors(viz, run, args, message, monkeypatch):
    monkeypatch.chdir(viz)
    before = files_under(viz)
    code, out, err = run("inspect", "-a", viz, *args)
    assert (code, out, err) == (1, "", f"error: {message}\n")
    assert files_under(viz) == before


def test_inspect_missing_clusters_names_the_command(viz, run):
    for p in viz.glob("clusters-*.npz"):
        p.unlink()
    code, _, err = run("inspect", "-a", viz, "--cluster", "0")
    assert code == 1
    assert err == f"error: clusters file not found: {viz / 'clusters-kmeans.npz'} (run `fmtwist cluster` first)\n"


def test_rows_from_both_splits_show_their_split(viz):
    emb = artifacts.load(viz / "embeddings.npz", "embeddings")
    emb.arrays["split"] = np.where(np.arange(60) < 12, "train", "test")
    artifacts.save(emb, viz / "embeddings.npz")
    coll = load_collection(viz, clusters=None)
    data = artifacts.load(viz / "data.npz", "data")
    np.testing.assert_array_equal(coll.images(np.array([3, 30])), np.stack([data["x_train"][3], data["x_test"][30]]))
    sel = images.select(coll, label=0, n=20)
    assert {c.split("#")[0] for c in sel.captions} == {"tr", "te"}


def test_inspect_per_row_option(viz, run):
    code, out, _ = run("inspect", "-a", viz, "--label", "0", "--n", "5", "--per-row", "2")
    captions = [line for line in out.split("\n") if line.startswith("#")]
    assert code == 0 and [len(c.split("#")) - 1 for c in captions] == [2, 2, 1]


def test_group_name_is_one_rule_for_every_figure():
    assert [images.group_name(g, "cluster") for g in (-1, 0, 12)] == ["noise", "cluster 0", "cluster 12"]
    assert images.group_name(np.int64(2), "class") == "class 2"
