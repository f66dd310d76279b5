"""fmtwist explore in a real browser: Debian's chromium driven by the playwright package.

Never `playwright install` (it downloads a browser): the tests use /usr/bin/chromium, which `make setup`
installs as root with apt-get. Elsewhere they skip, except in CI, where a missing browser is a failure.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from browser import Page, pytestmark  # noqa: F401 (pytestmark: the module skips without a browser)
from helpers import assert_not_blank, read_png, tiny_onnx, write_blob_puzzle

from fmtwist_cli import artifacts
from fmtwist_cli.cli.app import main
from fmtwist_cli.data.twist import CATEGORIES


@pytest.fixture(scope="module")
def puzzle(tmp_path_factory) -> Path:
    """The blob puzzle, a reference classifier and the page made with the answer key."""
    folder = write_blob_puzzle(tmp_path_factory.mktemp("explore") / "art")
    tiny_onnx(folder / "model-custom-original.onnx", n_classes=10)
    assert main(["explore", "-a", str(folder), "--answer-key", str(folder / "twist.json")]) == 0
    return folder


class Opened(Page):
    """One page of explore.html (tests/browser.py), with what this module reads of it."""

    def counts(self, colouring: str) -> dict[str, int]:
        rows = self.page.locator(f"#selection-counts table[data-colouring='{colouring}'] tr[data-group]")
        return {r.get_attribute("data-group"): int(r.get_attribute("data-count")) for r in rows.all()}

    def legend(self) -> dict[str, int]:
        """Each legend entry's name and count."""
        items = self.page.locator("#legend li").all()
        return {
            i.locator("span").nth(1).inner_text(): int(i.locator(".count").inner_text().replace(",", "")) for i in items
        }


@pytest.fixture
def opened(browser, puzzle):
    page = Opened(browser, puzzle / "explore.html")
    yield page
    page.page.evaluate("() => localStorage.clear()")  # the names it kept: the next test starts afresh
    page.page.close()


@pytest.fixture(scope="module")
def rows(puzzle) -> dict[str, np.ndarray]:
    """What Python knows of every page row: its image, mystery class and true category."""
    emb = artifacts.load(puzzle / "embeddings.npz", "embeddings")
    data = artifacts.load(puzzle / "data.npz", "data")
    key = artifacts.load_answer_key(puzzle / "twist.json")
    split, index = emb["split"], emb["index"]
    return {
        "images": np.stack([data[f"x_{s}"][i] for s, i in zip(split, index)]),
        "classes": np.array([data[f"y_{s}"][i] for s, i in zip(split, index)]),
        "truth": np.array([key["original_labels"][s][i] for s, i in zip(split, index)]),
        "split": split,
        "index": index,
    }


def tally(values: np.ndarray, name) -> dict[str, int]:
    found, counts = np.unique(values, return_counts=True)
    return {name(v): int(c) for v, c in zip(found, counts)}


def test_page_opens_offline_without_errors_or_requests(opened):
    assert opened.errors == []
    assert opened.requests == [opened.url]  # the page itself, nothing else
    drawn = opened.page.evaluate(
        """() => { const c = document.getElementById('map');
                   const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                   let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i] !== 21 || d[i + 1] !== 23) n++;
                   return n; }"""
    )
    assert drawn > 330  # every point paints a few pixels over the background


def test_hover_shows_the_row_and_its_exact_pixels(opened, rows):
    xy = opened.screen()
    gaps = np.linalg.norm(xy[:, None] - xy[None], axis=2) + np.eye(len(xy)) * 1e9
    row = int(np.argmax(gaps.min(axis=1)))  # the most isolated point: nothing else within reach
    opened.page.mouse.move(*xy[row])
    opened.page.wait_for_selector(f"#hover-card[data-row='{row}']", timeout=5000)
    pixels = opened.page.evaluate(
        "() => Array.from(document.getElementById('hover-image').getContext('2d').getImageData(0, 0, 28, 28).data)"
    )
    rgba = np.array(pixels, dtype=np.uint8).reshape(28, 28, 4)
    np.testing.assert_array_equal(rgba[..., 0], rows["images"][row])
    np.testing.assert_array_equal(rgba[..., 3], 255)
    text = opened.page.inner_text("#hover-fields")
    assert f"{row} ({rows['split'][row]} #{rows['index'][row]})" in text
    assert f"class {rows['classes'][row]}" in text and CATEGORIES[rows["truth"][row]] in text
    assert opened.errors == []


def test_box_and_lasso_selections_count_what_python_counts(opened, rows):
    xy = opened.screen()
    (x0, y0), (x1, y1) = xy.min(axis=0), xy.max(axis=0)
    # a corner of the map, cutting blobs in two; whole pixels, as Chromium gives pointer events
    box = tuple(round(v) for v in (x0 - 5, y0 - 5, (x0 + x1) / 2 + 3, (y0 + y1) / 2 + 7))
    opened.select_box(*box)
    inside = (xy[:, 0] >= box[0]) & (xy[:, 0] <= box[2]) & (xy[:, 1] >= box[1]) & (xy[:, 1] <= box[3])
    assert 0 < inside.sum() < len(xy)
    assert opened.selection_size() == inside.sum()
    assert opened.counts("class") == tally(rows["classes"][inside], lambda c: f"class {c}")
    assert opened.counts("truth") == tally(rows["truth"][inside], lambda j: CATEGORIES[j])
    # shift adds a second region, drawn with the lasso this time (a rectangle, so Python can count it simply)
    lasso = tuple(round(v) for v in (box[2] + 10, y0 - 5, x1 + 5, (y0 + y1) / 2))
    opened.page.click("#tool-lasso")
    corners = [(lasso[0], lasso[1]), (lasso[2], lasso[1]), (lasso[2], lasso[3]), (lasso[0], lasso[3])]
    opened.drag(corners, shift=True)
    inside |= (xy[:, 0] >= lasso[0]) & (xy[:, 0] <= lasso[2]) & (xy[:, 1] >= lasso[1]) & (xy[:, 1] <= lasso[3])
    assert opened.selection_size() == inside.sum()
    assert opened.counts("class") == tally(rows["classes"][inside], lambda c: f"class {c}")
    opened.page.click("#selection-clear")
    assert opened.selection_size() == 0
    assert opened.errors == []


def test_grid_shows_the_most_typical_first_and_a_click_finds_its_point(opened, rows):
    xy = opened.screen()
    first = xy[rows["truth"] == 3]  # one blob, whole
    opened.select_box(*(first.min(axis=0) - 4), *(first.max(axis=0) + 4))
    selected = np.flatnonzero(rows["truth"] == 3)
    data_xy = opened.page.evaluate("() => Array.from(fmtwistExplore.state.arrays['map-tsne'])")
    coords = np.array(data_xy).reshape(-1, 2)[selected]
    typical = selected[np.argmin(np.linalg.norm(coords - coords.mean(axis=0), axis=1))]
    grid = opened.page.locator("#selection-grid").bounding_box()
    opened.page.mouse.click(grid["x"] + 3, grid["y"] + 3)  # the first image
    assert opened.page.evaluate("() => fmtwistExplore.state.highlight") == typical
    assert opened.page.get_attribute("#hover-card", "data-row") == str(typical)
    assert opened.errors == []


def test_drag_pans_wheel_zooms_about_the_pointer_and_reset_restores(opened):
    before = opened.screen()
    # whole pixels: Chromium gives pointer events integer coordinates
    cx, cy = round(opened.box["x"] + opened.box["width"] / 2), round(opened.box["y"] + opened.box["height"] / 2)
    opened.drag([(cx, cy), (cx + 50, cy + 30)])  # the Pan tool is the default
    np.testing.assert_allclose(opened.screen(), before + [50, 30], atol=1e-6)
    under = opened.page.evaluate(f"() => fmtwistExplore.toData({cx - opened.box['x']}, {cy - opened.box['y']})")
    opened.page.mouse.move(cx, cy)
    opened.page.mouse.wheel(0, -400)
    opened.page.wait_for_function("() => fmtwistExplore.state.view.scale > 1.5 * fmtwistExplore.state.fitScale")
    after = opened.screen()
    assert np.ptp(after[:, 0]) > 1.5 * np.ptp(before[:, 0])
    still = opened.page.evaluate(f"() => fmtwistExplore.toData({cx - opened.box['x']}, {cy - opened.box['y']})")
    np.testing.assert_allclose(still, under, atol=1e-4)  # the point under the pointer stays put
    opened.page.click("#reset-view")
    np.testing.assert_allclose(opened.screen(), before, atol=1e-6)
    assert opened.errors == []


def test_switching_the_colouring_changes_the_legend(opened, rows):
    assert opened.legend() == tally(rows["classes"], lambda c: f"class {c}")
    opened.page.select_option("#colour-choice", label="true category (answer key)")
    assert opened.page.inner_text("#legend-title") == "true category (answer key)"
    assert opened.legend() == tally(rows["truth"], lambda j: CATEGORIES[j])
    opened.page.click("#legend li:nth-child(2)")  # hide Trouser
    assert opened.page.get_attribute("#legend li:nth-child(2)", "class") == "off"
    assert opened.errors == []


def test_named_selections_save_a_guess_that_grades_10_of_10(opened, rows, puzzle, tmp_path, capsys):
    xy = opened.screen()
    for j, name in enumerate(CATEGORIES):
        blob = xy[rows["truth"] == j]
        opened.select_box(*(blob.min(axis=0) - 4), *(blob.max(axis=0) + 4))
        assert opened.selection_size() == len(blob)
        opened.page.select_option("#name-choice", label=name)
        opened.page.click("#name-apply")
    assert opened.page.inner_text("#unplaced") == "Every class has at least one category."
    opened.page.select_option("#colour-choice", label="your names")  # the names are a colouring too
    assert opened.legend() == tally(rows["truth"], lambda j: CATEGORIES[j]) | {"not named": 0}
    with opened.page.expect_download() as download:
        opened.page.click("#save-guess")
    assert download.value.suggested_filename == "guess.json"
    saved = tmp_path / "guess.json"
    download.value.save_as(saved)
    guess = json.loads(saved.read_text())
    key = artifacts.load_answer_key(puzzle / "twist.json")
    assert guess["kind"] == "fmtwist-guess" and guess["n_classes"] == 5
    assert guess["merge_map"] == {name: key["mapping_by_index"][j] for j, name in enumerate(CATEGORIES)}
    assert opened.errors == [] and opened.requests == [opened.url]
    capsys.readouterr()
    assert main(["grade", str(saved), "--answer-key", str(puzzle / "twist.json"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["categories_right"] == 10


def test_screenshot(opened, tmp_path):
    """A picture of the page for people (the README's own one comes from real data: bench/bench_explore.py)."""
    xy = opened.screen()
    opened.page.mouse.move(*xy[0])
    opened.page.screenshot(path=str(tmp_path / "explore.png"))
    pixels = read_png(tmp_path / "explore.png")
    assert pixels.shape[:2] == (820, 1400)
    assert_not_blank(pixels)
