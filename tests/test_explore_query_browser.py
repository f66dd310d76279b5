"""The explore page as a workbench (issue #19, items 1 and 2), in a real browser: Debian's chromium driven by the
playwright package, as tests/test_explore_browser.py does (never `playwright install`).

A pinned point's neighbours in the encoding are Python's nearest rows, image for image; "Select neighbours" grows
a selection by exactly those rows; the query box selects what numpy selects for the same condition; lasso and box
subtract and intersect as the set operations do; a legend ctrl-click selects its group; a bad query says so under
the box and logs no error.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import numpy as np
import pytest
from browser import Page, pytestmark  # noqa: F401 (pytestmark: the module skips without a browser)
from helpers import tiny_onnx, write_blob_puzzle
from sklearn.neighbors import NearestNeighbors
from sklearn.preprocessing import StandardScaler

from fmtwist_cli import artifacts
from fmtwist_cli.cli.app import main
from fmtwist_cli.data.twist import CATEGORIES


@pytest.fixture(scope="module")
def puzzle(tmp_path_factory) -> Path:
    """The blob puzzle with a reference classifier: the student's page (explore.html, hints hidden) and one made
    with --hints (hints.html)."""
    folder = write_blob_puzzle(tmp_path_factory.mktemp("query") / "art")
    tiny_onnx(folder / "model-custom-original.onnx", n_classes=10)
    assert main(["explore", "-a", str(folder)]) == 0
    assert main(["explore", "-a", str(folder), "--hints", "--out", str(folder / "hints.html")]) == 0
    return folder


class Opened(Page):
    """One explore page (tests/browser.py), with its selection read back."""

    def selected(self) -> np.ndarray:
        """The page's selection as a boolean mask over its rows."""
        return np.array(self.page.evaluate("() => Array.from(fmtwistExplore.state.selected)"), dtype=bool)

    def size(self) -> int:
        return int(self.page.get_attribute("#selection-size", "data-count"))

    def query(self, text: str) -> str:
        self.page.fill("#query", text)
        self.page.press("#query", "Enter")
        return self.page.inner_text("#query-message")

    def box_drag(self, box: tuple[int, int, int, int], keys: tuple[str, ...] = ()) -> None:
        self.page.click("#tool-box")
        for key in keys:
            self.page.keyboard.down(key)
        self.page.mouse.move(box[0], box[1])
        self.page.mouse.down()
        self.page.mouse.move(box[2], box[3], steps=4)
        self.page.mouse.up()
        for key in reversed(keys):
            self.page.keyboard.up(key)


@pytest.fixture
def opened(browser, puzzle):
    page = Opened(browser, puzzle / "explore.html")
    yield page
    page.page.evaluate("() => localStorage.clear()")
    page.page.close()


@pytest.fixture
def hinted(browser, puzzle):
    page = Opened(browser, puzzle / "hints.html")
    yield page
    page.page.evaluate("() => localStorage.clear()")
    page.page.close()


@pytest.fixture(scope="module")
def rows(puzzle) -> dict[str, np.ndarray]:
    """What Python knows of every page row, from the artifacts; and the reference category the page packed."""
    emb = artifacts.load(puzzle / "embeddings.npz", "embeddings")
    data = artifacts.load(puzzle / "data.npz", "data")
    clusters = {m: artifacts.load(puzzle / f"clusters-{m}.npz", "clusters")["labels"] for m in ("kmeans", "dbscan")}
    features = StandardScaler().fit_transform(emb["embedding"])  # the encoding, standardized (10 wide: no PCA)
    neighbours = NearestNeighbors(n_neighbors=10).fit(features).kneighbors(return_distance=False)
    html = (puzzle / "hints.html").read_text(encoding="utf-8")
    meta = json.loads(re.search(r'id="fmtwist-meta">(.*?)</script>', html, re.S).group(1))
    raw = base64.b64decode(re.search(r'id="fmtwist-arrays">(.*?)</script>', html, re.S).group(1))
    ref = next(c for c in meta["colourings"] if c["role"] == "reference")
    _, offset, length = meta["arrays"][ref["array"]]
    return {
        "images": np.stack([data[f"x_{s}"][i] for s, i in zip(emb["split"], emb["index"])]),
        "classes": emb["labels"],
        "pred": emb["pred"],
        "confidence": emb["probs"].max(axis=1).astype(np.float64),  # the page compares float32 values as doubles
        "kmeans": clusters["kmeans"],
        "dbscan": clusters["dbscan"],
        "reference": np.frombuffer(raw, np.uint8, length, offset),
        "neighbours": neighbours,
    }


def isolated_row(xy: np.ndarray) -> int:
    gaps = np.linalg.norm(xy[:, None] - xy[None], axis=2) + np.eye(len(xy)) * 1e9
    return int(np.argmax(gaps.min(axis=1)))  # nothing else within reach of the pointer


def test_a_pinned_points_neighbour_images_are_pythons_nearest_rows(hinted, rows):
    xy = hinted.screen()
    row = isolated_row(xy)
    hinted.page.mouse.click(*xy[row])
    hinted.page.wait_for_selector(f"#neighbour-panel[data-row='{row}']", timeout=5000)
    tiles = hinted.page.locator("#neighbour-grid figure").all()
    shown = [int(t.get_attribute("data-row")) for t in tiles]
    assert shown == list(rows["neighbours"][row])  # the same rows, nearest first
    for k, tile in enumerate(tiles):
        pixels = tile.evaluate(
            "f => Array.from(f.querySelector('canvas').getContext('2d').getImageData(0, 0, 28, 28).data)"
        )
        np.testing.assert_array_equal(np.array(pixels, np.uint8).reshape(28, 28, 4)[..., 0], rows["images"][shown[k]])
        assert tile.locator("figcaption").get_attribute("data-name") == f"class {rows['classes'][shown[k]]}"
    same_class = int((rows["classes"][shown] == rows["classes"][row]).sum())
    same_ref = int((rows["reference"][shown] == rows["reference"][row]).sum())
    assert hinted.page.get_attribute("[data-share='class']", "data-same") == str(same_class)
    assert hinted.page.get_attribute("[data-share='reference']", "data-same") == str(same_ref)
    assert f"in the same reference category ({CATEGORIES[rows['reference'][row]]})" in hinted.page.inner_text(
        "#neighbour-share"
    )
    hinted.page.uncheck("#hints-toggle")  # the reference category is a hint: its share goes with it
    assert hinted.page.locator("[data-share='reference']").count() == 0
    assert hinted.clean()


def test_select_neighbours_adds_the_pinned_point_and_its_rows_then_grows_one_step(opened, rows):
    xy = opened.screen()
    row = isolated_row(xy)
    opened.page.mouse.click(*xy[row])
    nb = rows["neighbours"]
    opened.page.click("text=Select neighbours")
    step = np.zeros(len(xy), bool)
    step[[row, *nb[row]]] = True
    np.testing.assert_array_equal(opened.selected(), step)
    assert opened.page.inner_text("#selection-panel h2") == f"Selection {step.sum():,}"
    opened.page.click("text=Select neighbours")  # on a selection: every selected point's neighbours
    grown = step.copy()
    grown[nb[step].ravel()] = True
    assert grown.sum() > step.sum()
    np.testing.assert_array_equal(opened.selected(), grown)
    assert opened.size() == grown.sum()
    assert opened.clean()


def test_a_querys_selection_is_what_numpy_selects(hinted, rows):
    c, p, conf, km, db, ref = (rows[k] for k in ("classes", "pred", "confidence", "kmeans", "dbscan", "reference"))
    found, counts = np.unique(ref, return_counts=True)
    top = found[np.argmax(counts)]  # the reference classifier's commonest category (the tiny one names few)
    shirt = CATEGORIES.index("Shirt")
    cases = {
        "class = 0": c == 0,
        "class = 0 and pred != 0": (c == 0) & (p != 0),
        "(class = 1 or class >= 3) and not wrong": ((c == 1) | (c >= 3)) & (p == c),
        "wrong or cluster(dbscan) = noise": (p != c) | (db == -1),
        "cluster(kmeans) <= 2 and confidence > 0.5 and pred < 4": (km <= 2) & (conf > 0.5) & (p < 4),
        "confidence < 0.6": conf < 0.6,
        "confidence >= 0.9": conf >= 0.9,  # float32 0.9 is a little under the double 0.9
        f"ref = Shirt or REF = '{CATEGORIES[top]}'": (ref == shirt) | (ref == top),
        f'ref = "{CATEGORIES[top]}" and cluster(kmeans) = 2': (ref == top) & (km == 2),
        "ref != Shirt and cluster(kmeans) = 2": (ref != shirt) & (km == 2),
        "unnamed and not (class = 2)": c != 2,
        "named": np.zeros(len(c), bool),
    }
    for text, expected in cases.items():
        message = hinted.query(text)
        np.testing.assert_array_equal(hinted.selected(), expected, err_msg=text)
        assert hinted.size() == expected.sum(), text
        assert message.startswith(f"{expected.sum():,} point"), (text, message)
    assert 0 < ((ref == top) & (km == 2)).sum() < len(c)  # a hint query that selects some points, not all
    assert hinted.clean()


def test_lasso_and_box_subtract_and_intersect_as_the_set_operations_do(opened):
    xy = opened.screen()
    (x0, y0), (x1, y1) = xy.min(axis=0), xy.max(axis=0)
    a = tuple(round(v) for v in (x0 - 5, y0 - 5, (x0 + 2 * x1) / 3 + 3, y1 + 5))  # two thirds, cutting blobs
    b = tuple(round(v) for v in ((2 * x0 + x1) / 3 - 4, y0 - 5, x1 + 5, (y0 + y1) / 2 + 2))

    def inside(box):
        return (xy[:, 0] >= box[0]) & (xy[:, 0] <= box[2]) & (xy[:, 1] >= box[1]) & (xy[:, 1] <= box[3])

    first, second = inside(a), inside(b)
    assert 0 < (first & second).sum() < min(first.sum(), second.sum())
    opened.box_drag(a)
    np.testing.assert_array_equal(opened.selected(), first)
    opened.box_drag(b, ("Alt",))  # alt takes away
    np.testing.assert_array_equal(opened.selected(), first & ~second)
    assert opened.size() == (first & ~second).sum()
    opened.box_drag(a)
    opened.page.click("#tool-lasso")  # the lasso, as a rectangle so that Python can tell what is inside
    opened.page.keyboard.down("Shift")
    opened.page.keyboard.down("Alt")
    corners = [(b[0], b[1]), (b[2], b[1]), (b[2], b[3]), (b[0], b[3])]
    opened.page.mouse.move(*corners[0])
    opened.page.mouse.down()
    for point in corners[1:]:
        opened.page.mouse.move(*point, steps=4)
    opened.page.mouse.up()
    opened.page.keyboard.up("Alt")
    opened.page.keyboard.up("Shift")
    np.testing.assert_array_equal(opened.selected(), first & second)  # shift+alt keeps the overlap
    assert opened.size() == (first & second).sum()
    opened.box_drag(b, ("Shift",))  # shift still adds
    np.testing.assert_array_equal(opened.selected(), second | (first & second))
    assert opened.clean()


def test_a_legend_ctrl_click_selects_its_group_and_a_plain_click_still_hides_it(opened, rows):
    c = rows["classes"]
    opened.page.click("#legend li:nth-child(2)", modifiers=["Control"])
    np.testing.assert_array_equal(opened.selected(), c == 1)
    assert opened.page.get_attribute("#legend li:nth-child(2)", "class") == ""  # still shown
    opened.page.click("#legend li:nth-child(4)", modifiers=["Control", "Shift"])  # with shift: adds
    np.testing.assert_array_equal(opened.selected(), (c == 1) | (c == 3))
    opened.page.click("#legend li:nth-child(4)", modifiers=["Control", "Alt"])  # with alt: takes away
    np.testing.assert_array_equal(opened.selected(), c == 1)
    opened.page.click("#legend li:nth-child(3)")
    assert opened.page.get_attribute("#legend li:nth-child(3)", "class") == "off"
    np.testing.assert_array_equal(opened.selected(), c == 1)  # a plain click leaves the selection alone
    assert "ctrl-click" in opened.page.inner_text("#legend-panel")
    assert opened.clean()


def test_a_bad_query_says_what_is_wrong_under_the_box_and_logs_no_error(opened, rows):
    opened.query("class = 2")
    before = opened.selected()
    assert before.sum() == (rows["classes"] == 2).sum()
    bad = {
        "": "type a query",
        "class =": "expected a value",
        "class = 0 and": "expected a field",
        "(class = 0": 'expected ")"',
        "colour = 3": 'unknown field "colour"',
        "class = shirt": "class is a number",
        "cluster(nope) = 1": 'no clustering "nope"',
        "cluster = 1": "say which clustering",
        "ref = Shirt": 'tick "Show hints"',  # a hint, and the hints are hidden
        "right = 1": "a test of its own",
        'split = "mars': "unclosed quote",
        "class = 1 class = 2": 'expected "and", "or"',
        "class # 1": 'unexpected "#"',
        "name < Coat": "only be compared with = or !=",
    }
    for text, says in bad.items():
        message = opened.query(text)
        assert says in message, (text, message)
        assert opened.page.get_attribute("#query-message", "class") == "small bad"
        np.testing.assert_array_equal(opened.selected(), before, err_msg=text)  # the selection stays
    assert opened.query("class = 2 and split = test").endswith("points match")
    assert opened.clean()
