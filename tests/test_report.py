"""fmtwist report: the guess, the evidence, the two renderings, the missing pieces."""

import base64
import json
import re
from pathlib import Path

import numpy as np
import pytest

from fmtwist_cli import artifacts, report
from fmtwist_cli.cli.app import main
from fmtwist_cli.data import dataset, sources, twist
from fmtwist_cli.data.twist import CATEGORIES

PER_CATEGORY = 60


def patch_images(categories: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Category j is a bright 6x6 patch in its own place on a noisy background."""
    x = rng.integers(0, 40, (len(categories), 28, 28)).astype(np.uint8)
    for i, c in enumerate(categories):
        r, col = 2 + 13 * (c // 5), 1 + 5 * (c % 5)
        x[i, r : r + 6, col : col + 6] = 250
    return x


def reference_onnx(path: Path, n_classes: int = 10) -> Path:
    """A hand-made reference classifier that reads the patch's place:
    logits = pixels x W, W[:, j] = category j's patch (categories beyond
    ``n_classes`` dropped, to make a wrong model)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    w = np.zeros((28 * 28, n_classes), np.float32)
    for c in range(n_classes):
        mask = np.zeros((28, 28), np.float32)
        r, col = 2 + 13 * (c // 5), 1 + 5 * (c % 5)
        mask[r : r + 6, col : col + 6] = 1.0
        w[:, c] = mask.ravel()
    nodes = [
        helper.make_node("Reshape", ["image", "shape"], ["embedding"]),
        helper.make_node("MatMul", ["embedding", "W"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probs"], axis=1),
    ]
    graph = helper.make_graph(
        nodes,
        "reference",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 28, 28, 1])],
        [
            helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["N", 784]),
            helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["N", n_classes]),
        ],
        [numpy_helper.from_array(w, "W"), numpy_helper.from_array(np.array([-1, 784], np.int64), "shape")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    for key, value in {
        "labels": "original",
        "arch": "fixture",
        "n_classes": str(n_classes),
        "input_scale": repr(1 / 255),
    }.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(model, path)
    return path


def write_puzzle(folder: Path, spec: twist.Twist, seed: int = 0, with_models: bool = True) -> Path:
    """A small twisted dataset and every artifact the report reads: embeddings
    and a map where each category is its own blob (so a class merged from m
    categories shows m groups), a clustering, a history and the reference."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    cat_test = np.repeat(np.arange(10), PER_CATEGORY)
    cat_train = np.repeat(np.arange(10), 10)
    raw = sources.RawData(
        patch_images(cat_train, rng), cat_train, patch_images(cat_test, rng), cat_test, True, "patch test data"
    )
    dataset.save(dataset.build(raw, spec), folder / "data.npz", folder / "twist.json")
    if not with_models:
        return folder
    labels = spec.apply(cat_test)
    n = len(cat_test)
    emb = (np.eye(10)[cat_test] * 5 + rng.normal(0, 0.5, (n, 10))).astype(np.float32)
    arrays = {
        "embedding": emb,
        "probs": np.eye(spec.n_classes, dtype=np.float32)[labels],
        "pred": labels,
        "labels": labels,
        "index": np.arange(n, dtype=np.int64),
        "split": np.full(n, "test"),
    }
    artifacts.save(artifacts.Artifact("embeddings", arrays, {"layer": "fixture"}), folder / "embeddings.npz")
    # Classes far apart on the map; a class's categories in blobs side by side.
    slot = np.array([sum(spec.mapping[i] == spec.mapping[j] for i in range(j)) for j in range(10)])
    centres = np.c_[spec.mapping, np.zeros(10)] * 40.0 + np.c_[slot * 8.0, slot * 3.0]
    coords = (centres[cat_test] + rng.normal(0, 1.0, (n, 2))).astype(np.float32)
    artifacts.save(
        artifacts.Artifact("coords", {"coords": coords, "index": np.arange(n, dtype=np.int64)}, {"method": "tsne"}),
        folder / "coords-tsne.npz",
    )
    artifacts.save(
        artifacts.Artifact("clusters", {"labels": labels.copy()}, {"method": "kmeans"}), folder / "clusters-kmeans.npz"
    )
    epochs = [
        {"epoch": e, "loss": 1 / e, "accuracy": 1 - 0.5 / e, "val_loss": 1.1 / e, "val_accuracy": 1 - 0.6 / e}
        for e in (1, 2, 3)
    ]
    artifacts.save_json(
        folder / "history-custom.json",
        {
            "kind": "history",
            "arch": "custom",
            "labels": "mystery",
            "n_classes": spec.n_classes,
            "n_params": 1234,
            "params": {},
            "epochs": epochs,
            "test": {"loss": 0.3, "accuracy": 0.9},
        },
    )
    reference_onnx(folder / "model-custom-original.onnx")
    return folder


@pytest.fixture(scope="module")
def puzzle(tmp_path_factory) -> Path:
    return write_puzzle(tmp_path_factory.mktemp("puzzle") / "art", twist.Twist("seed", twist.SEED_MAPPING))


def files_in(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


# ---------------------------------------------------------------- the full report


@pytest.fixture(scope="module")
def written(puzzle, tmp_path_factory) -> tuple[dict, Path]:
    """``fmtwist report --answer-key ... --json`` run once for the tests below."""
    import contextlib
    import io

    out = tmp_path_factory.mktemp("rep") / "report"
    buf, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(err):
        code = main(
            ["report", "-a", str(puzzle), "--answer-key", str(puzzle / "twist.json"), "--out", str(out), "--json"]
        )
    assert code == 0, err.getvalue()
    return json.loads(buf.getvalue()), out


@pytest.mark.slow  # writes a whole report
def test_report_json_guesses_and_scores(written):
    summary, out = written
    truth = {CATEGORIES[j]: c for j, c in enumerate(twist.SEED_MAPPING)}
    assert summary["merge_map"] == truth
    assert summary["categories_right"] == 10
    assert summary["subgroups_right"] == 5
    assert [c["subgroups"] for c in summary["classes"]] == [2, 1, 2, 2, 3]
    assert [c["map_groups"] for c in summary["classes"]] == [2, 1, 2, 2, 3]
    assert summary["map_subgroups_right"] == 5
    assert [c["size_in_categories"] for c in summary["classes"]] == [2, 1, 2, 2, 3]
    assert summary["classes"][2]["shares"] == {"Trouser": 0.5, "Pullover": 0.5}
    assert summary["classes"][2]["mix"] == "Trouser 50 % + Pullover 50 %"
    assert sorted(summary["classes"][4]["subgroup_names"]) == ["Ankle boot", "Sneaker", "T-shirt/top"]
    assert all(c["agree"] for c in summary["classes"])
    assert summary["missing"] == []
    assert summary["clusterings"]["clusters-kmeans"]["ari"] == 1.0  # the fixture's clusters are the classes...
    assert 0.3 < summary["clusterings"]["clusters-kmeans"]["ari_original"] < 0.6  # ...which merge categories
    assert summary["model_accuracy"] == {"model-custom-original.onnx": 1.0}  # against the answer key's originals
    listed = summary["provenance"]["inputs"]
    assert "reference" in listed and "model-custom-original.onnx" not in listed  # the reference, listed once
    assert summary["written"] == {"html": str(out / "index.html"), "markdown": str(out / "report.md")}


@pytest.mark.slow  # writes a whole report
def test_report_html_is_self_contained(written):
    _, out = written
    page = (out / "index.html").read_text()
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    figures = sorted((out / "figures").glob("*.png"))
    assert len(images) == len(figures) == 9  # history, map, map by clusters, cluster table, 5 classes
    assert all(base64.b64decode(i).startswith(b"\x89PNG") for i in images)
    assert not re.search(r"(src|href)=\"(?!data:|#)", page)  # nothing fetched from outside (# : the contents)
    assert "http" not in page
    for title in (
        "Data",
        "Models",
        "Maps",
        "Clusters",
        "Each mystery class",
        "The guess",
        "Scored against the answer key",
    ):
        assert f"<h2>{title}</h2>" in page
    assert "<strong>Class 2 = Trouser + Pullover</strong>" in page
    assert "<strong>10 of 10 categories placed right.</strong>" in page
    md = (out / "report.md").read_text()
    linked = re.findall(r"\]\((figures/[^)]+\.png)\)", md)
    assert sorted(out / p for p in linked) == figures
    assert "| Trouser | 2 | 2 | yes | 1.00 |" in md
    assert "| clustering | clusters | ARI | NMI | matched accuracy | noise | ARI vs categories |" in md


@pytest.mark.slow  # writes a whole report
def test_report_and_a_hand_made_guess_get_the_same_grade(written, puzzle, tmp_path, run):
    """`report --json > r.json` and the explore page's guess.json are graded by the rule the report scores with."""
    summary, _ = written
    hand = {
        "kind": "fmtwist-guess",
        "n_classes": 5,
        "merge_map": {CATEGORIES[j]: c for j, c in enumerate(twist.SEED_MAPPING)},
    }
    graded = {}
    for name, obj in (("report", summary), ("hand", hand)):
        (tmp_path / f"{name}.json").write_text(json.dumps(obj))
        code, out, err = run("grade", tmp_path / f"{name}.json", "--answer-key", puzzle / "twist.json", "--json")
        assert code == 0, err
        graded[name] = json.loads(out)
    assert graded["report"]["per_category"] == graded["hand"]["per_category"]
    assert graded["report"]["categories_right"] == summary["categories_right"] == 10
    own = [{k: v for k, v in row.items() if k != "confidence"} for row in summary["score"]["per_category"]]
    assert own == graded["report"]["per_category"]
    # a wrong guess is wrong the same way, whoever made it
    for name, obj in (("report", summary), ("hand", hand)):
        wrong = {**obj, "merge_map": {**obj["merge_map"], "Coat": 4, "Bag": 0}}
        (tmp_path / f"{name}.json").write_text(json.dumps(wrong))
        code, out, _ = run("grade", tmp_path / f"{name}.json", "--answer-key", puzzle / "twist.json", "--json")
        graded[name] = json.loads(out)
    assert graded["report"] == {**graded["hand"], "guess": str(tmp_path / "report.json")}
    assert graded["report"]["categories_right"] == 8


@pytest.mark.slow  # writes a whole report
def test_report_says_how_to_make_the_explore_page(written):
    summary, out = written
    assert summary["explore"] is None
    assert "<code>fmtwist explore</code> makes explore.html" in (out / "index.html").read_text()
    assert "`fmtwist explore` makes explore.html" in (out / "report.md").read_text()
    assert "<h2>Explore it yourself</h2>" in (out / "index.html").read_text()


def test_report_links_to_the_explore_page(tmp_path, run):
    folder = write_puzzle(tmp_path / "art", twist.Twist("seed", twist.SEED_MAPPING), with_models=False)
    (folder / "explore.html").write_text("<!DOCTYPE html><title>explore</title>")
    code, stdout, stderr = run("report", "-a", folder, "--json")
    assert code == 0, stderr
    assert json.loads(stdout)["explore"] == str(folder / "explore.html")
    page, md = (folder / "report" / "index.html").read_text(), (folder / "report" / "report.md").read_text()
    assert '<a href="../explore.html">explore.html</a>' in page
    assert "[explore.html](../explore.html)" in md
    assert "`fmtwist explore` makes" not in md
    # the link is relative to wherever the report is written
    code, _, stderr = run("report", "-a", folder, "--out", tmp_path / "elsewhere" / "r")
    assert code == 0, stderr
    assert "[explore.html](../../art/explore.html)" in (tmp_path / "elsewhere" / "r" / "report.md").read_text()


@pytest.mark.slow  # writes a whole report
def test_report_for_people(puzzle, tmp_path, run):
    out = tmp_path / "r"
    code, stdout, stderr = run("report", "-a", str(puzzle), "--out", str(out))
    assert code == 0, stderr
    assert "Ankle boot" in stdout and "Scored against" not in stdout  # no --answer-key, no score
    assert stdout.rstrip().endswith(f"wrote {out / 'index.html'} (open it in a browser) and {out / 'report.md'}")
    assert "Scored against" not in (out / "index.html").read_text()


@pytest.mark.slow  # writes a whole report
@pytest.mark.parametrize("seed", [3])
def test_report_on_random_twists(tmp_path, seed):
    spec = twist.random_twist(seed)
    folder = write_puzzle(tmp_path / "art", spec, seed=seed)
    inputs = report.load_inputs(folder, folder / "twist.json")
    built = report.build(inputs)
    assert built.summary["merge_map"] == {CATEGORIES[j]: c for j, c in enumerate(spec.mapping)}
    assert built.summary["categories_right"] == 10
    assert built.summary["subgroups_right"] == 5
    assert built.summary["model_accuracy"]["model-custom-original.onnx"] == 1.0


@pytest.mark.slow  # writes a whole report
def test_report_says_where_the_map_shows_fewer_groups_than_the_size(tmp_path, run):
    # Coat and Shirt (class 0) drawn as one blob, as on the custom network's map.
    folder = write_puzzle(tmp_path / "art", twist.Twist("seed", twist.SEED_MAPPING))
    coords = artifacts.load(folder / "coords-tsne.npz", "coords")
    labels = artifacts.load(folder / "embeddings.npz", "embeddings")["labels"]
    xy = coords["coords"].copy()
    xy[labels == 0] = np.random.default_rng(1).normal(0, 3.0, ((labels == 0).sum(), 2))
    artifacts.save(
        artifacts.Artifact("coords", {"coords": xy, "index": coords["index"]}, coords.meta), folder / "coords-tsne.npz"
    )
    code, out, err = run(
        "report", "-a", str(folder), "--answer-key", str(folder / "twist.json"), "--out", str(tmp_path / "r"), "--json"
    )
    assert code == 0, err
    summary = json.loads(out)
    assert [c["map_groups"] for c in summary["classes"]] == [1, 1, 2, 2, 3]
    assert [c["subgroups"] for c in summary["classes"]] == [2, 1, 2, 2, 3]
    assert (summary["subgroups_right"], summary["map_subgroups_right"]) == (5, 4)
    assert [c["agree"] for c in summary["classes"]] == [False, True, True, True, True]  # the map against the names
    md = (tmp_path / "r" / "report.md").read_text()
    assert "The map shows **1 distinct group**" in md and "cut where no valley separates them" in md
    assert "(4 of 5 from the map alone, before the class sizes were counted)" in md
    assert "| 0 | 2 | 1 | 2 | yes |" in md
    code, out, err = run(
        "report", "-a", str(folder), "--answer-key", str(folder / "twist.json"), "--out", str(tmp_path / "r")
    )
    assert "class 0 = Coat + Shirt" in out and "2 sub-groups (1 distinct on the map, disagrees)" in out
    assert "sub-group counts right for 5/5 classes (4/5 from the map alone)" in out


# ---------------------------------------------------------------- missing pieces and errors


def test_report_names_the_commands_for_missing_pieces(tmp_path, run):
    folder = write_puzzle(tmp_path / "art", twist.Twist("seed", twist.SEED_MAPPING), with_models=False)
    code, stdout, stderr = run("report", "-a", str(folder), "--json")
    assert code == 0, stderr
    summary = json.loads(stdout)
    assert summary["missing"] == [
        "no reference classifier (a model trained on the 10 original categories): run "
        "`fmtwist train --labels original` then `fmtwist export --labels original`",
        "no embeddings: run `fmtwist embed`",
    ]
    assert summary["merge_map"] is None
    assert "subgroups" not in summary["classes"][0]
    page = (folder / "report" / "index.html").read_text()
    assert "<code>fmtwist train --labels original</code>" in page
    assert "run <code>fmtwist embed</code>" in page


def test_report_without_data_writes_nothing(tmp_path, run):
    code, stdout, stderr = run("report", "-a", str(tmp_path))
    assert code == 1
    assert stderr == f"error: data file not found: {tmp_path / 'data.npz'} (run `fmtwist prepare` first)\n"
    assert stdout == "" and files_in(tmp_path) == set()


def test_report_rejects_a_missing_reference(puzzle, tmp_path, run):
    code, _, stderr = run(
        "report", "-a", str(puzzle), "--reference", str(tmp_path / "nope.onnx"), "--out", str(tmp_path / "r")
    )
    assert code == 1
    assert stderr == f"error: reference classifier not found: {tmp_path / 'nope.onnx'}\n"
    assert not (tmp_path / "r").exists()


def test_report_rejects_a_reference_without_the_10_categories(puzzle, tmp_path, run):
    wrong = reference_onnx(tmp_path / "five.onnx", n_classes=5)
    code, _, stderr = run("report", "-a", str(puzzle), "--reference", str(wrong), "--out", str(tmp_path / "r"))
    assert code == 1
    assert stderr.splitlines()[-1] + "\n" == (
        f"error: {wrong} predicts 5 classes, not the 10 original categories: "
        "export a model trained with --labels original\n"
    )
    assert not (tmp_path / "r").exists()


@pytest.mark.slow  # writes a whole report
def test_report_from_the_course_csv_layout(tmp_path, run):
    """CSV files carry mystery labels and no answer key: the report still
    guesses, and when the reference is missing says how to train it on the
    official files."""
    spec = twist.Twist("seed", twist.SEED_MAPPING)
    folder = write_puzzle(tmp_path / "art", spec)
    data = artifacts.load(folder / "data.npz", "data")
    raw = sources.RawData(data["x_train"], data["y_train"], data["x_test"], data["y_test"], False, "course CSV files")
    dataset.save(dataset.build(raw, None), folder / "data.npz", folder / "twist.json")
    assert not (folder / "twist.json").exists()
    code, stdout, stderr = run("report", "-a", str(folder), "--json")
    assert code == 0, stderr
    summary = json.loads(stdout)
    assert summary["merge_map"] == {CATEGORIES[j]: c for j, c in enumerate(spec.mapping)}
    assert "categories_right" not in summary
    (folder / "model-custom-original.onnx").unlink()
    code, stdout, _ = run("report", "-a", str(folder), "--json")
    assert json.loads(stdout)["missing"][0] == (
        "no reference classifier (a model trained on the 10 original categories): run "
        "`fmtwist train --labels original --source FOLDER` (FOLDER: the official Fashion-MNIST files) "
        "then `fmtwist export --labels original`"
    )


def test_report_refuses_embeddings_of_other_data(tmp_path, run):
    folder = write_puzzle(tmp_path / "art", twist.Twist("seed", twist.SEED_MAPPING))
    other = tmp_path / "other"
    write_puzzle(other, twist.random_twist(2), with_models=False)
    (folder / "data.npz").write_bytes((other / "data.npz").read_bytes())  # prepare run again, embed not
    code, _, stderr = run("report", "-a", str(folder), "--out", str(tmp_path / "r"))
    assert code == 1
    assert (
        stderr == f"error: {folder / 'embeddings.npz'} was made from another data.npz (its labels differ): "
        "run `fmtwist embed` again\n"
    )
    assert not (tmp_path / "r").exists()


@pytest.mark.slow  # writes a whole report
def test_report_leaves_out_a_map_of_other_embeddings(tmp_path, run):
    folder = write_puzzle(tmp_path / "art", twist.Twist("seed", twist.SEED_MAPPING))
    small = {"coords": np.zeros((5, 2), np.float32), "index": np.arange(5, dtype=np.int64)}
    artifacts.save(artifacts.Artifact("coords", small, {"method": "umap"}), folder / "coords-umap.npz")
    code, stdout, stderr = run("report", "-a", str(folder), "--json")
    assert code == 0, stderr
    assert json.loads(stdout)["missing"] == [
        f"coords-umap.npz left out: 5 points but embeddings.npz has {10 * PER_CATEGORY} rows "
        "(run `fmtwist reduce` again)"
    ]


# ---------------------------------------------------------------- the answer first; a file's text taken literally


def h2_titles(page: str) -> list[str]:
    from html.parser import HTMLParser

    class Titles(HTMLParser):
        def __init__(self):
            super().__init__()
            self.titles, self.inside = [], False

        def handle_starttag(self, tag, attrs):
            if tag == "h2":
                self.titles.append("")
                self.inside = True

        def handle_endtag(self, tag):
            self.inside = self.inside and tag != "h2"

        def handle_data(self, data):
            if self.inside:
                self.titles[-1] += data

    parser = Titles()
    parser.feed(page)
    return parser.titles


@pytest.mark.slow  # writes a whole report
def test_report_answers_first(written):
    summary, out = written
    page, md = (out / "index.html").read_text(), (out / "report.md").read_text()
    evidence = ["Explore it yourself", "Data", "Models", "Maps", "Clusters", "Each mystery class", "The guess"]
    evidence += ["Scored against the answer key", "Provenance"]
    assert h2_titles(page) == ["The guess in short", "Contents", *evidence]
    assert [line[3:] for line in md.splitlines() if line.startswith("## ")] == h2_titles(page)
    answer = page.split("<h2>The guess in short</h2>")[1].split("<h2>Contents</h2>")[0]
    conf = summary["merge_confidence"]
    assert f'<td class="t">Trouser ({conf["Trouser"]:.2f}) + Pullover ({conf["Pullover"]:.2f})</td>' in answer
    assert "<strong>Scored against the answer key: 10 of 10 categories placed right; 5 of 5 classes" in answer
    assert "<code>fmtwist explore</code> makes an interactive map" in answer
    contents = md.split("## Contents\n\n")[1].split("\n\n")[0].splitlines()
    assert contents[0] == "- [Explore it yourself](#explore-it-yourself)"
    assert contents[-2:] == [
        "- [Scored against the answer key](#scored-against-the-answer-key)",
        "- [Provenance](#provenance)",
    ]
    assert '<section id="scored-against-the-answer-key"><h2>Scored against the answer key</h2>' in page
    # --json is as it was: the same keys, no new ones
    assert set(summary) == {
        "written", "n_classes", "reference", "merge_map", "merge_confidence", "classes", "model_accuracy",
        "clusterings", "explore", "missing", "categories_right", "subgroups_right", "map_subgroups_right", "score",
        "provenance",
    }  # fmt: skip


EVIL = "<img src=x onerror=alert(1)> **bold** [link](http://x)"


def test_a_files_metadata_shows_literally_in_the_report(tmp_path, run):
    from markdown_it import MarkdownIt

    from fmtwist_cli.report.text import literal

    folder = write_puzzle(tmp_path / "[old] **x** <b>", twist.Twist("seed", twist.SEED_MAPPING), with_models=False)
    data = artifacts.load(folder / "data.npz", "data")
    meta = {**data.meta, "source": EVIL, "twist": "`code` _em_ # h"}
    artifacts.save(artifacts.Artifact("data", data.arrays, meta), folder / "data.npz")
    (folder / "explore.html").write_text("<!DOCTYPE html><title>explore</title>")
    code, _, err = run("report", "-a", folder)
    assert code == 0, err
    page, md = (folder / "report" / "index.html").read_text(), (folder / "report" / "report.md").read_text()
    assert f"Source: {literal(EVIL)}. Twist: {literal('`code` _em_ # h')}." in md
    assert "<img" not in md and "<b>" not in md and "**bold**" not in md and "[link](http" not in md
    assert "<img" not in page and "<b>" not in page and "onerror=alert(1)&gt;" in page
    shown = MarkdownIt("commonmark").enable("table").render(md)
    for html_page in (page, shown):
        assert "<img" not in html_page and "<b>" not in html_page and "<em>" not in html_page
        assert 'href="http://x"' not in html_page
        assert "<strong>bold</strong>" not in html_page
    import html as html_lib

    assert html_lib.escape(f"Source: {EVIL}.", quote=False) in shown  # as its characters, once rendered
    assert html_lib.escape(f"Source: {EVIL}.", quote=False) in page
    assert html_lib.escape(str(folder / "data.npz"), quote=False) in page  # the provenance's path, literal
    assert html_lib.escape(str(folder / "data.npz"), quote=False) in shown
