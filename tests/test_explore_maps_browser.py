"""The explore page's maps (issue #19 items 3 and 4), in a real browser: Debian's chromium driven by the playwright
package, as tests/test_explore_browser.py does (never `playwright install`).

Two linked maps side by side with one hover ring on both and a selection made on either, the points gliding to a
newly chosen map (and not when the browser asks for reduced motion), each named set's category name drawn at the
centre of its points, density outlines that enclose their group and toggle, and points drawn as their images once
zoomed in past a point's cell of 20 screen pixels, and not before.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path

import numpy as np
import pytest
from browser import Page, pytestmark  # noqa: F401 (pytestmark: the module skips without a browser)
from helpers import write_blob_puzzle
from PIL import Image

from fmtwist_cli import artifacts
from fmtwist_cli.cli.app import main
from fmtwist_cli.data.twist import CATEGORIES

BACKGROUND = (21, 23, 28)  # --bg in explore.css
THUMB_CELL_PX = 20  # js/layers.js: a point's cell wider than this and points become images


@pytest.fixture(scope="module")
def puzzle(tmp_path_factory) -> Path:
    """The blob puzzle with a second map, "pca", where the blobs lie in another order (category j on a row at
    (9 * ((7 * j) % 10), 0), each blob squeezed), and its page."""
    folder = write_blob_puzzle(tmp_path_factory.mktemp("maps") / "art")
    tsne = artifacts.load(folder / "coords-tsne.npz", "coords")
    emb = artifacts.load(folder / "embeddings.npz", "embeddings")
    key = artifacts.load_answer_key(folder / "twist.json")
    cats = np.array([key["original_labels"][s][i] for s, i in zip(emb["split"], emb["index"])])
    local = tsne["coords"] - np.c_[12.0 * (cats % 5), 12.0 * (cats // 5)]
    coords = (np.c_[9.0 * ((7 * cats) % 10), np.zeros(len(cats))] + local * [1.0, 0.6]).astype(np.float32)
    arrays = {"coords": coords, "index": tsne["index"], "split": tsne["split"]}
    artifacts.save(artifacts.Artifact("coords", arrays, {"method": "pca"}), folder / "coords-pca.npz")
    assert main(["explore", "-a", str(folder), "--answer-key", str(folder / "twist.json")]) == 0
    return folder


class Opened(Page):
    """One explore page (tests/browser.py), with both maps' canvases, positions and pixels."""

    def canvas_box(self, canvas: str = "#map") -> dict:
        return self.page.locator(canvas).bounding_box()

    def screen(self, twin: bool = False) -> np.ndarray:
        """(N, 2) every point's position in the viewport on the main map (or the second), from the page's own
        view transforms."""
        fn = "twinToScreen" if twin else "toScreen"
        xy = self.page.evaluate(
            f"() => Array.from({{length: fmtwistExplore.state.n}}, (_, i) => fmtwistExplore.{fn}(i))"
        )
        box = self.canvas_box("#twin-map" if twin else "#map")
        return np.array(xy) + [box["x"], box["y"]]

    def pixels(self, canvas: str) -> np.ndarray:
        """(H, W, 4) the canvas's own pixels (device pixels = CSS pixels here: the device pixel ratio is 1), through
        a lossless PNG of it (far quicker to bring back than an array of numbers)."""
        url = self.page.eval_on_selector(canvas, "c => c.toDataURL('image/png')")
        with Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))) as img:
            return np.asarray(img.convert("RGBA"))

    def settle(self) -> None:
        """Until a frame has drawn whatever is pending (the loop draws on the next animation frame)."""
        self.page.evaluate(
            """() => new Promise((done) => { const S = fmtwistExplore.state;
                 const wait = () => (S.dirty || S.overlayDirty || S.viewDirty || S.anim || S.twin?.anim
                   || S.twin?.viewDirty)
                   ? requestAnimationFrame(wait) : requestAnimationFrame(() => done());
                 wait(); })"""
        )

    def state(self, expr: str):
        return self.page.evaluate(f"() => {{ const S = fmtwistExplore.state; return {expr}; }}")

    def select_box(self, x0: float, y0: float, x1: float, y1: float) -> None:
        self.page.click("#tool-box")
        self.page.mouse.move(x0, y0)
        self.page.mouse.down()
        self.page.mouse.move(x1, y1, steps=4)
        self.page.mouse.up()


@pytest.fixture
def opened(browser, puzzle):
    page = Opened(browser, puzzle / "explore.html")
    yield page
    page.page.evaluate("() => localStorage.clear()")
    page.page.close()


@pytest.fixture(scope="module")
def truth(puzzle) -> np.ndarray:
    """Each page row's true category."""
    emb = artifacts.load(puzzle / "embeddings.npz", "embeddings")
    key = artifacts.load_answer_key(puzzle / "twist.json")
    return np.array([key["original_labels"][s][i] for s, i in zip(emb["split"], emb["index"])])


def isolated(*maps: np.ndarray) -> int:
    """The row farthest from its nearest neighbour on the worst of the given maps."""
    worst = None
    for xy in maps:
        gaps = np.linalg.norm(xy[:, None] - xy[None], axis=2) + np.eye(len(xy)) * 1e9
        near = gaps.min(axis=1)
        worst = near if worst is None else np.minimum(worst, near)
    return int(np.argmax(worst))


def ring_centre(rgba: np.ndarray) -> tuple[np.ndarray, float]:
    """The centre of the drawn pixels of an overlay (alpha > 0) and their farthest distance from it."""
    ys, xs = np.nonzero(rgba[..., 3] > 40)
    assert xs.size > 0, "nothing drawn on the overlay"
    centre = np.array([(xs.min() + xs.max()) / 2, (ys.min() + ys.max()) / 2])
    return centre, float(np.hypot(xs - centre[0], ys - centre[1]).max())


def test_page_opens_offline_and_offers_side_by_side(opened):
    assert opened.clean()
    assert opened.page.is_visible("#twin-label") and opened.page.is_hidden("#twin-wrap")
    assert opened.page.inner_text("#twin-label").strip() == "Side by side"


def test_side_by_side_shows_two_maps_with_one_hover_ring_on_both(opened):
    main_box = opened.canvas_box()
    opened.page.check("#twin-toggle")
    opened.settle()
    assert opened.page.is_visible("#twin-map")
    assert opened.page.eval_on_selector("#twin-choice", "s => s.selectedOptions[0].text") == "PCA"
    twin_box = opened.canvas_box("#twin-map")
    assert (
        twin_box["x"] >= opened.canvas_box()["x"] + opened.canvas_box()["width"] - 1
    )  # beside, not over, the first map
    assert opened.canvas_box()["width"] < 0.6 * main_box["width"]
    a, b = opened.screen(), opened.screen(twin=True)
    # each map shows its own layout: the twin's positions are not the first map's moved or scaled
    assert not np.allclose(np.corrcoef(a[:, 1], b[:, 1])[0, 1], 1, atol=0.05)
    for canvas in ("#map", "#twin-map"):
        drawn = (opened.pixels(canvas)[..., :3] != BACKGROUND).any(axis=2).sum()
        assert drawn > 330  # every point paints a few pixels on both maps
    row = isolated(a, b)
    for hovered, rows_xy in (("#map", a), ("#twin-map", b)):
        opened.page.mouse.move(*rows_xy[row])
        opened.page.wait_for_selector(f"#hover-card[data-row='{row}']", timeout=5000)
        opened.settle()
        for canvas, overlay, xy in (("#map", "#map-overlay", a), ("#twin-map", "#twin-overlay", b)):
            box = opened.canvas_box(canvas)
            centre, reach = ring_centre(opened.pixels(overlay))
            # one ring (radius 6 px, 2 px wide) around the point's place on each map, and nothing else drawn there
            np.testing.assert_allclose(centre, xy[row] - [box["x"], box["y"]], atol=1.5)
            assert 5 <= reach <= 8.5, (hovered, overlay, reach)
        opened.page.mouse.move(10, 10)  # off both maps: no ring, then the next map's hover
        opened.settle()
    assert opened.clean()


def test_a_box_on_the_second_map_selects_by_its_positions(opened):
    opened.page.check("#twin-toggle")
    opened.settle()
    b = opened.screen(twin=True)
    (x0, y0), (x1, y1) = b.min(axis=0), b.max(axis=0)
    box = tuple(round(v) for v in (x0 - 4, y0 - 4, (x0 + x1) / 2, y1 + 4))  # the left half of the row of blobs
    opened.select_box(*box)
    inside = (b[:, 0] >= box[0]) & (b[:, 0] <= box[2]) & (b[:, 1] >= box[1]) & (b[:, 1] <= box[3])
    assert 0 < inside.sum() < len(b)
    assert int(opened.page.get_attribute("#selection-size", "data-count")) == inside.sum()
    assert opened.clean()


def white(rgba: np.ndarray, x: float, y: float, half: int = 14) -> int:
    """How many near-white pixels around (x, y): a label's letters (no group's colour is near white)."""
    region = rgba[int(y) - half : int(y) + half, int(x) - 3 * half : int(x) + 3 * half, :3]
    return int((region >= 235).all(axis=2).sum())


def test_named_sets_carry_their_name_at_their_centre_on_both_maps(opened, truth):
    opened.page.check("#twin-toggle")
    opened.settle()
    named = {3: "Dress", 7: "Sneaker"}
    a = opened.screen()
    for j in named:
        blob = a[truth == j]
        centre = blob.mean(axis=0) - [opened.canvas_box()["x"], opened.canvas_box()["y"]]
        assert white(opened.pixels("#map"), *centre) == 0  # no label yet: no white there
    for j, name in named.items():
        blob = a[truth == j]
        opened.select_box(*(blob.min(axis=0) - 3), *(blob.max(axis=0) + 3))
        opened.page.select_option("#name-choice", label=name)
        opened.page.click("#name-apply")
    opened.page.click("#selection-clear")
    opened.settle()
    for canvas, twin, layers in (("#map", False, "S.layers"), ("#twin-map", True, "S.twin.layers")):
        xy, box = opened.screen(twin=twin), opened.canvas_box(canvas)
        labels = {lab["name"]: lab for lab in opened.state(f"{layers}.labels")}
        assert set(labels) == set(named.values())
        rgba = opened.pixels(canvas)
        for j, name in named.items():
            centre = xy[truth == j].mean(axis=0) - [box["x"], box["y"]]  # the mean of the named points on screen
            np.testing.assert_allclose([labels[name]["x"], labels[name]["y"]], centre, atol=1e-3)
            assert labels[name]["n"] == (truth == j).sum()
            assert white(rgba, *centre) > 15, (canvas, name)  # the letters are drawn there
    # the names follow their points when the view moves
    cx, cy = round(opened.canvas_box()["x"] + 200), round(opened.canvas_box()["y"] + 200)
    opened.page.click("#tool-pan")
    opened.page.mouse.move(cx, cy)
    opened.page.mouse.down()
    opened.page.mouse.move(cx + 40, cy + 25, steps=3)
    opened.page.mouse.up()
    opened.settle()
    moved = {lab["name"]: lab for lab in opened.state("S.layers.labels")}
    centre = opened.screen()[truth == 3].mean(axis=0) - [opened.canvas_box()["x"], opened.canvas_box()["y"]]
    np.testing.assert_allclose([moved["Dress"]["x"], moved["Dress"]["y"]], centre, atol=1e-3)
    assert opened.clean()


def test_points_become_their_images_past_a_cell_of_20_pixels_and_not_before(opened, puzzle, truth):
    coords = artifacts.load(puzzle / "coords-tsne.npz", "coords")["coords"].astype(np.float64)
    gaps = np.linalg.norm(coords[:, None] - coords[None], axis=2) + np.eye(len(coords)) * 1e9
    spacing = np.sort(gaps.min(axis=1))[(len(coords) - 1) // 2]  # the median distance to the nearest neighbour
    centre = opened.screen()[truth == 2].mean(axis=0)
    opened.page.mouse.move(*centre)
    seen = {"dots": 0, "images": 0}
    for _ in range(40):
        opened.page.mouse.wheel(0, -120)
        opened.settle()
        scale, cell, thumbs = opened.state("[S.view.scale, S.layers.cellPx, S.layers.thumbs]")
        assert cell == pytest.approx(spacing * scale, rel=1e-4)
        if cell <= THUMB_CELL_PX:
            assert thumbs == 0
            seen["dots"] += 1
        else:
            assert thumbs > 0
            seen["images"] += 1
            break
    assert seen["dots"] > 0 and seen["images"] == 1
    # what is on screen now: grey images framed in their colour, not dots of one colour each
    box = opened.canvas_box()
    rgba = opened.pixels("#map").astype(int)
    row = int(np.argmin(np.linalg.norm(opened.screen() - centre, axis=1)))
    x, y = (opened.screen()[row] - [box["x"], box["y"]]).astype(int)
    patch = rgba[y - 6 : y + 6, x - 6 : x + 6, :3]
    grey = (patch[..., 0] == patch[..., 1]) & (patch[..., 1] == patch[..., 2])
    assert grey.mean() > 0.8 and patch[..., 0].std() > 30  # random test images: grey and far from flat
    # and back out: dots again
    for _ in range(40):
        opened.page.mouse.wheel(0, 240)
        opened.settle()
        if opened.state("S.layers.cellPx") <= THUMB_CELL_PX:
            break
    assert opened.state("S.layers.thumbs") == 0
    assert opened.clean()


SWITCH = """async (label) => {
  // Choose another map and record, each frame until the points have landed, how far the drawn points are from
  // their places on the new map (in CSS pixels).
  const S = fmtwistExplore.state, select = document.getElementById("map-choice");
  select.value = String(S.meta.maps.findIndex((m) => m.label === label));
  select.dispatchEvent(new Event("change"));
  const started = S.anim !== null, far = [];
  const off = () => {
    const drawn = drawOrder().xy, v = S.view;
    let worst = 0;
    for (let o = 0; o < S.n; o++) {
      const [x, y] = fmtwistExplore.toScreen(S.order[o]);
      const dx = (drawn[2 * o] - v.cx) * v.scale + S.width / 2 - x;
      const dy = S.height / 2 - (drawn[2 * o + 1] - v.cy) * v.scale - y;
      worst = Math.max(worst, Math.hypot(dx, dy));
    }
    return worst;
  };
  await new Promise((done) => {
    const step = () => { far.push(off()); if (S.anim) requestAnimationFrame(step); else done(); };
    requestAnimationFrame(step);
  });
  return {started, far, transitions: S.layers.transitions};
}"""


def test_switching_the_map_moves_the_points_to_their_new_places(opened):
    result = opened.page.evaluate(SWITCH, "PCA")
    far = np.array(result["far"])
    assert result["started"] and len(result["transitions"]) == 1
    assert result["transitions"][0]["frames"] >= 3 and 350 <= result["transitions"][0]["ms"] <= 1500
    assert far[0] > 50  # on their way: far from the new places at first
    assert far[-1] < 1e-3  # and at them at the end
    assert (np.diff(far) <= 1e-3).all()  # straight towards them, never away
    # the points drawn are the new map's
    final = np.array(opened.page.evaluate("() => Array.from(drawOrder().xy)")).reshape(-1, 2)
    order = np.array(opened.page.evaluate("() => Array.from(fmtwistExplore.state.order)"))
    pca = np.array(opened.page.evaluate("() => Array.from(fmtwistExplore.state.arrays['map-pca'])")).reshape(-1, 2)
    np.testing.assert_array_equal(final, pca[order])
    assert opened.clean()


def test_no_transition_when_the_browser_asks_for_reduced_motion(opened):
    opened.page.emulate_media(reduced_motion="reduce")
    result = opened.page.evaluate(SWITCH, "PCA")
    assert not result["started"] and result["transitions"] == []
    assert result["far"][0] < 1e-3  # at the new places from the first frame
    assert opened.clean()


def inside(segments: np.ndarray, x: float, y: float) -> bool:
    """Even-odd rule over an outline's segments (x0 y0 x1 y1 rows): is (x, y) inside?"""
    x0, y0, x1, y1 = segments.T
    crosses = (y0 > y) != (y1 > y)
    at = x0 + (y - y0) * (x1 - x0) / np.where(y1 == y0, 1, y1 - y0)
    return bool((crosses & (x < at)).sum() % 2)


def test_outlines_enclose_each_visible_group_and_toggle(opened, puzzle, truth):
    before = opened.pixels("#map")
    opened.page.check("#outlines-toggle")
    opened.settle()
    drawn = opened.state("S.layers.outlines")
    assert sorted(o["group"] for o in drawn) == [0, 1, 2, 3, 4]  # one outline per mystery class
    assert all(o["segments"] > 8 for o in drawn)
    with_outlines = opened.pixels("#map")
    assert (with_outlines != before).any(axis=2).sum() > 500
    # each class's outline goes round the blobs of its categories, and not round the others
    key = artifacts.load_answer_key(puzzle / "twist.json")
    classes = np.array(key["mapping_by_index"])
    outlines = opened.page.evaluate("() => outlines().map((o) => [o.group, Array.from(o.segments)])")
    for group, flat in outlines:
        seg = np.array(flat).reshape(-1, 4)
        for j in range(10):
            blob = (12.0 * (j % 5), 12.0 * (j // 5))
            assert inside(seg, *blob) == (classes[j] == group), (group, CATEGORIES[j])
    # a hidden group loses its outline
    opened.page.click("#legend li:nth-child(1)")
    opened.settle()
    assert sorted(o["group"] for o in opened.state("S.layers.outlines")) == [1, 2, 3, 4]
    opened.page.click("#legend li:nth-child(1)")
    opened.page.uncheck("#outlines-toggle")
    opened.settle()
    assert opened.state("S.layers.outlines") == []
    np.testing.assert_array_equal(opened.pixels("#map"), before)
    assert opened.clean()
