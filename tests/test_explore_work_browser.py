"""The explore page keeps and checks the student's work (issue #18), in a real browser: Debian's chromium driven by
the playwright package, as tests/test_explore_browser.py does (never `playwright install`).

Names autosaved and restored, a page of other data starting empty, "Clear names" asking first, "Open guess…"
restoring a saved file, guess.json's evidence graded by `fmtwist grade`, the check mode's score, the CSV export,
the hints hidden until asked for, and no text cut in the side panel at three window sizes.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from browser import Page, pytestmark  # noqa: F401 (pytestmark: the module skips without a browser)
from helpers import assert_not_blank, read_png, tiny_onnx, write_blob_puzzle

from fmtwist_cli import artifacts
from fmtwist_cli.cli.app import main
from fmtwist_cli.data.twist import CATEGORIES
from fmtwist_cli.puzzle import guess as puzzle_guess

LONG_CLUSTERING = "kmeans-k5-seed0-with-a-long-name"  # a field name long enough to crowd the hover card
# A student's guess with mistakes: blob j named NAMES[j] (Pullover's and Coat's blobs both named Coat, Shirt's named
# Bag, Ankle boot's blob left unnamed), so some categories land in the wrong class or in none.
NAMES = ["T-shirt/top", "Trouser", "Coat", "Dress", "Coat", "Sandal", "Bag", "Sneaker", "Bag", None]


@pytest.fixture(scope="module")
def puzzle(tmp_path_factory) -> Path:
    """The blob puzzle with a reference classifier and a third, long-named clustering; the teacher's page
    (explore.html, with the answer key), the student's (student.html) and one made with --hints (hints.html)."""
    folder = write_blob_puzzle(tmp_path_factory.mktemp("work") / "art")
    tiny_onnx(folder / "model-custom-original.onnx", n_classes=10)
    shutil.copy(folder / "clusters-kmeans.npz", folder / f"clusters-{LONG_CLUSTERING}.npz")
    assert main(["explore", "-a", str(folder), "--answer-key", str(folder / "twist.json")]) == 0
    assert main(["explore", "-a", str(folder), "--out", str(folder / "student.html")]) == 0
    assert main(["explore", "-a", str(folder), "--hints", "--out", str(folder / "hints.html")]) == 0
    return folder


@pytest.fixture(scope="module")
def other(tmp_path_factory) -> Path:
    """A page of other data: the blob puzzle drawn with another seed."""
    folder = write_blob_puzzle(tmp_path_factory.mktemp("other") / "art", seed=1)
    assert main(["explore", "-a", str(folder)]) == 0
    return folder


class Opened(Page):
    """One explore page (tests/browser.py), with the student's and the teacher's actions on it."""

    def select_rows(self, rows: np.ndarray) -> None:
        """Box-select one blob (the points given), and check the page selected exactly them."""
        xy = self.screen()[rows]
        self.select_box(*(xy.min(axis=0) - 4), *(xy.max(axis=0) + 4))
        assert int(self.page.get_attribute("#selection-size", "data-count")) == len(rows)

    def name(self, rows: np.ndarray, category: str) -> None:
        self.select_rows(rows)
        self.page.select_option("#name-choice", label=category)
        self.page.click("text=Name selection")

    def named(self) -> list[int]:
        return self.page.evaluate("() => Array.from(fmtwistExplore.state.named)")

    def note(self) -> str:
        return self.page.inner_text("#work-note")

    def download(self, control: str, to: Path) -> Path:
        with self.page.expect_download() as download:
            self.page.click(f"text={control}")
        download.value.save_as(to)
        return to

    def open_guess(self, path: Path) -> None:
        with self.page.expect_file_chooser() as chooser:
            self.page.click("text=Open guess…")
        chooser.value.set_files(str(path))
        self.page.wait_for_function(
            "name => document.getElementById('work-note').textContent.startsWith('Opened ' + name)", arg=path.name
        )


@pytest.fixture
def pages(browser):
    """Opens pages; afterwards closes them and empties the browser's localStorage (file:// pages share it)."""
    opened: list[Opened] = []

    def open_page(path: Path) -> Opened:
        opened.append(Opened(browser, path))
        return opened[-1]

    yield open_page
    if opened:
        opened[0].page.evaluate("() => localStorage.clear()")
    for page in opened:
        page.page.close()


@pytest.fixture(scope="module")
def rows(puzzle) -> dict[str, np.ndarray]:
    """What Python knows of every page row."""
    emb = artifacts.load(puzzle / "embeddings.npz", "embeddings")
    data = artifacts.load(puzzle / "data.npz", "data")
    key = artifacts.load_answer_key(puzzle / "twist.json")
    split, index = emb["split"], emb["index"]
    from fmtwist_cli.encode.embedding import predict

    images = np.stack([data[f"x_{s}"][i] for s, i in zip(split, index)])
    return {
        "classes": np.array([data[f"y_{s}"][i] for s, i in zip(split, index)]),
        "truth": np.array([key["original_labels"][s][i] for s, i in zip(split, index)]),
        "pred": emb["pred"],
        "reference": predict(puzzle / "model-custom-original.onnx", images)["probs"].argmax(axis=1),
        "split": split,
        "index": index,
        "mapping": np.array(key["mapping_by_index"]),
    }


def name_blobs(page: Opened, rows: dict, names: list[str | None], first: int = 0) -> np.ndarray:
    """Name blob first + k (true category first + k) names[k]; return what each page row is then named by these
    names (10 = not named by them)."""
    expected = np.full(len(rows["truth"]), 10)
    for j, name in enumerate(names, start=first):
        if name is not None:
            blob = np.flatnonzero(rows["truth"] == j)
            page.name(blob, name)
            expected[blob] = CATEGORIES.index(name)
    return expected


def grade_json(guess: Path, puzzle: Path, capsys) -> dict:
    capsys.readouterr()
    assert main(["grade", str(guess), "--answer-key", str(puzzle / "twist.json"), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


# ---------------------------------------------------------------- autosave


def test_named_selections_come_back_after_a_reload(pages, puzzle, rows):
    page = pages(puzzle / "student.html")
    assert page.named() == [10] * len(rows["truth"])  # a fresh browser: nothing to restore
    expected = name_blobs(page, rows, ["Sandal", "Bag"])
    page.reload()
    assert page.named() == expected.tolist()
    n = {c: int((expected == CATEGORIES.index(c)).sum()) for c in ("Sandal", "Bag")}
    assert page.note().startswith(f"Restored the names of {sum(n.values())} points, kept in this browser on ")
    tally = {c: page.page.inner_text(f"#tally tr[data-category='{c}'] td:nth-child(2)") for c in ("Sandal", "Bag")}
    assert tally == {c: str(v) for c, v in n.items()}
    assert page.clean()


def test_a_page_of_other_data_starts_empty(pages, puzzle, other, rows):
    mine = pages(puzzle / "student.html")
    expected = name_blobs(mine, rows, ["Dress"])
    theirs = pages(other / "explore.html")
    hashes = [p.page.evaluate("() => fmtwistExplore.state.meta.data_hash") for p in (mine, theirs)]
    assert hashes[0] != hashes[1]
    assert set(theirs.named()) == {10}
    assert not theirs.note().startswith("Restored")
    mine.reload()  # and the other page took nothing away
    assert mine.named() == expected.tolist()
    assert mine.clean() and theirs.clean()


def test_clear_names_asks_first(pages, puzzle, rows):
    page = pages(puzzle / "student.html")
    expected = name_blobs(page, rows, ["Coat"])
    asked = []

    def answer(dialog, accept):
        asked.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.page.once("dialog", lambda d: answer(d, False))
    page.page.click("text=Clear names")
    assert asked == [f"Clear the names of all {int((expected < 10).sum())} points? This cannot be undone."]
    assert page.named() == expected.tolist()  # "Cancel" keeps them
    page.page.once("dialog", lambda d: answer(d, True))
    page.page.click("text=Clear names")
    assert len(asked) == 2 and set(page.named()) == {10} and page.note() == "Names cleared."
    page.reload()
    assert set(page.named()) == {10}  # and they stay cleared
    assert page.clean()


# ---------------------------------------------------------------- guess.json: saved, opened, graded


def test_saved_guess_carries_the_rows_and_grades_the_same(pages, puzzle, rows, tmp_path, capsys):
    page = pages(puzzle / "student.html")
    expected = name_blobs(page, rows, NAMES[:5])
    page.page.select_option("#colour-choice", label=f"clusters: {LONG_CLUSTERING}")
    later = name_blobs(page, rows, NAMES[5:], first=5)  # these named while another colouring was shown
    expected = np.where(later < 10, later, expected)
    saved = page.download("Save guess.json", tmp_path / "guess.json")
    guess = json.loads(saved.read_text())
    meta_hash = page.page.evaluate("() => fmtwistExplore.state.meta.data_hash")
    assert guess["kind"] == "fmtwist-guess" and guess["n_classes"] == 5 and guess["data_hash"] == meta_hash
    named = sorted({n for n in NAMES if n is not None}, key=CATEGORIES.index)
    assert list(guess["merge_map"]) == named and list(guess["evidence"]) == named
    for name in named:
        mine = expected == CATEGORIES.index(name)
        evidence = guess["evidence"][name]
        assert evidence["rows"] == {
            s: sorted(int(i) for i in rows["index"][mine & (rows["split"] == s)])
            for s in ("test", "train")
            if (mine & (rows["split"] == s)).any()
        }
        shares = np.bincount(rows["classes"][mine], minlength=5) / mine.sum()
        np.testing.assert_allclose(evidence["class_shares"], shares, atol=5e-5)
        assert guess["merge_map"][name] == int(np.argmax(shares))
        assert evidence["map"] == "t-SNE"
        early = CATEGORIES.index(name) in [CATEGORIES.index(n) for n in NAMES[:5] if n]
        assert evidence["colouring"] == ("mystery class" if early else f"clusters: {LONG_CLUSTERING}")
    graded = grade_json(saved, puzzle, capsys)
    truth = puzzle_guess.grade(guess["merge_map"], rows["mapping"])
    assert graded["categories_right"] == truth["categories_right"] and 0 < truth["categories_right"] < 10
    assert page.clean()


def test_open_guess_restores_a_saved_file(pages, puzzle, rows, tmp_path):
    page = pages(puzzle / "student.html")
    expected = name_blobs(page, rows, NAMES)
    saved = page.download("Save guess.json", tmp_path / "guess.json")
    page.page.once("dialog", lambda d: d.accept())
    page.page.click("text=Clear names")
    assert set(page.named()) == {10}
    page.open_guess(saved)
    assert page.named() == expected.tolist()
    assert page.note() == f"Opened guess.json. The names of {int((expected < 10).sum())} points restored."
    again = page.download("Save guess.json", tmp_path / "again.json")
    assert json.loads(again.read_text())["evidence"] == json.loads(saved.read_text())["evidence"]
    assert page.clean()


def test_an_old_guess_or_one_of_other_data_stays_readable(pages, puzzle, rows, tmp_path):
    page = pages(puzzle / "student.html")
    expected = name_blobs(page, rows, ["Bag"])
    old = tmp_path / "old.json"
    old.write_text(json.dumps({"kind": "fmtwist-guess", "n_classes": 5, "merge_map": {"Sneaker": 3, "Bag": 1}}))
    page.open_guess(old)
    assert page.named() == expected.tolist()  # no rows in the file: the names stay
    assert "It holds a merge map only, no named rows (an older guess.json)" in page.note()
    table = page.page.locator("#opened-table tbody tr")
    assert [r.inner_text().split("\t")[:2] for r in table.all()] == [["Sneaker", "3"], ["Bag", "1"]]
    blob = np.flatnonzero(rows["truth"] == 7)
    split, index = rows["split"][blob], rows["index"][blob]
    elsewhere = {
        "kind": "fmtwist-guess",
        "n_classes": 5,
        "merge_map": {"Sneaker": 3},
        "data_hash": "0123456789abcdef",
        "evidence": {
            "Sneaker": {
                "rows": {
                    s: sorted(int(i) for i in index[split == s]) + ([99999] if s == "test" else []) for s in {*split}
                },
                "map": "t-SNE",
                "colouring": "mystery class",
                "class_shares": [0, 0, 0, 1, 0],
            }
        },
    }
    (tmp_path / "elsewhere.json").write_text(json.dumps(elsewhere))
    page.open_guess(tmp_path / "elsewhere.json")
    note = page.note()
    assert "It was made for other data (data hash 0123456789abcdef; this page's is " in note
    assert note.endswith(f"The names of {len(blob)} points restored; 1 of its named rows are not on this page.")
    assert [r.inner_text().split("\t") for r in table.all()] == [["Sneaker", "3", str(len(blob) + 1), str(len(blob))]]
    assert page.clean()


# ---------------------------------------------------------------- check mode


def test_check_mode_scores_as_fmtwist_grade(pages, puzzle, rows, tmp_path, capsys):
    student = pages(puzzle / "student.html")
    named = name_blobs(student, rows, NAMES)
    saved = student.download("Save guess.json", tmp_path / "guess.json")
    assert student.page.locator("#check-panel").is_hidden()  # no answer key in the student's page
    teacher = pages(puzzle / "explore.html")
    teacher.page.evaluate("() => localStorage.clear()")  # the same data: the student's names were kept for it too
    teacher.reload()
    teacher.open_guess(saved)
    graded = grade_json(saved, puzzle, capsys)
    score = teacher.page.locator("#check-score")
    assert int(score.get_attribute("data-right")) == graded["categories_right"]
    assert score.inner_text() == f"fmtwist grade: {graded['categories_right']}/10 categories placed right"
    wrong = [r["category"] for r in graded["per_category"] if not r["right"]]
    assert [li.split(":")[0] for li in teacher.page.locator("#check-wrong li").all_inner_texts()] == wrong
    # the table: named as x true category, and named / right per category
    for name in {n for n in NAMES if n}:
        j = CATEGORIES.index(name)
        tr = teacher.page.locator(f"#check-matrix tr[data-category='{name}']")
        assert int(tr.get_attribute("data-named")) == (named == j).sum()
        assert int(tr.get_attribute("data-right")) == ((named == j) & (rows["truth"] == j)).sum()
        for t, true_name in enumerate(CATEGORIES):
            cell = tr.locator(f"td[data-truth='{true_name}']").inner_text()
            n = int(((named == j) & (rows["truth"] == t)).sum())
            assert cell == (str(n) if n else "·")
        assert graded["rows_right"][name] == {  # fmtwist grade's own count from the evidence
            "named": int((named == j).sum()),
            "right": int(((named == j) & (rows["truth"] == j)).sum()),
        }
    # every named point coloured right or wrong
    assert teacher.page.input_value("#colour-choice") == teacher.page.evaluate(
        "() => String(fmtwistExplore.state.meta.colourings.findIndex((c) => c.role === 'check'))"
    )
    check = teacher.page.evaluate("() => Array.from(fmtwistExplore.state.arrays.check)")
    want = np.where(named == 10, 2, np.where(named == rows["truth"], 0, 1))
    assert check == want.tolist() and {0, 1, 2} <= set(check)
    assert student.clean() and teacher.clean()


# ---------------------------------------------------------------- CSV export and hints


def test_csv_export_lists_exactly_the_selected_rows(pages, puzzle, rows, tmp_path):
    page = pages(puzzle / "student.html")
    named = name_blobs(page, rows, ["Trouser"], first=5)  # the blob at the top left
    xy = page.screen()
    (x0, y0), (x1, y1) = xy.min(axis=0), xy.max(axis=0)
    box = tuple(round(v) for v in (x0 - 5, y0 - 5, (x0 + x1) / 2 + 3, (y0 + y1) / 2 + 7))  # cuts blobs in two
    page.select_box(*box)
    inside = (xy[:, 0] >= box[0]) & (xy[:, 0] <= box[2]) & (xy[:, 1] >= box[1]) & (xy[:, 1] <= box[3])
    assert 0 < inside.sum() < len(xy) and (inside & (named < 10)).any()
    clusters = {
        name: artifacts.load(puzzle / f"clusters-{name}.npz", "clusters")["labels"]
        for name in ("kmeans", "dbscan", LONG_CLUSTERING)
    }
    for hints in (False, True):
        if hints:
            page.page.click("text=Show hints")
        path = page.download("Export CSV", tmp_path / f"selection-{hints}.csv")
        assert path.name.endswith(".csv")
        table = list(csv.reader(io.StringIO(path.read_text())))
        head = ["row", "split", "mystery class", "prediction", "confidence"]
        head += [f"cluster ({name})" for name in clusters] + ["reference category", "name given"]
        assert table[0] == head
        order = sorted(np.flatnonzero(inside), key=lambda i: (rows["split"][i], rows["index"][i]))
        assert [(r[1], int(r[0])) for r in table[1:]] == [(rows["split"][i], int(rows["index"][i])) for i in order]
        for r, i in zip(table[1:], order):
            assert [int(r[2]), int(r[3]), r[4]] == [rows["classes"][i], rows["pred"][i], "0.90"]
            assert [int(v) for v in r[5:-2]] == [int(c[i]) for c in clusters.values()]
            assert r[-2] == (CATEGORIES[rows["reference"][i]] if hints else "")  # a hint: only when shown
            assert r[-1] == ("" if named[i] == 10 else CATEGORIES[named[i]])
    assert page.clean()


def test_hints_are_hidden_until_switched_on(pages, puzzle, rows):
    page = pages(puzzle / "student.html")
    reference = "category (reference classifier)"

    def shown() -> dict[str, bool]:
        xy = page.screen()
        page.page.mouse.move(*xy[0])
        page.page.wait_for_selector("#hover-card[data-row='0']")
        options = page.page.locator("#colour-choice option").all_inner_texts()
        return {
            "tally": "reference says" in page.page.inner_text("#tally thead"),
            "colouring": reference in options,
            "card": "reference says" in page.page.inner_text("#hover-fields"),
            "counts": page.page.locator("#selection-counts table[data-colouring='reference']").count() > 0,
        }

    page.select_rows(np.flatnonzero(rows["truth"] == 4))
    assert not page.page.is_checked("#hints-toggle")
    assert shown() == dict.fromkeys(("tally", "colouring", "card", "counts"), False)
    page.page.click("text=Show hints")
    assert shown() == dict.fromkeys(("tally", "colouring", "card", "counts"), True)
    page.page.select_option("#colour-choice", label=reference)
    page.page.click("text=Show hints")  # off again: the map leaves the hint's colouring
    assert page.page.inner_text("#legend-title") == "mystery class"
    assert shown() == dict.fromkeys(("tally", "colouring", "card", "counts"), False)
    opened_with = pages(puzzle / "hints.html")  # `fmtwist explore --hints`
    assert opened_with.page.is_checked("#hints-toggle")
    assert "reference says" in opened_with.page.inner_text("#tally thead")
    assert page.clean() and opened_with.clean()


# ---------------------------------------------------------------- layout


OVERFLOWING = """() => {
  const out = [];
  for (const el of document.querySelectorAll('#side-panel *')) {
    if (!el.getClientRects().length || ['CANVAS', 'TABLE', 'TBODY', 'THEAD', 'TR'].includes(el.tagName)) continue;
    if (el.scrollWidth > el.clientWidth && el.clientWidth > 0) out.push(el.tagName + ': ' + el.textContent.trim());
  }
  const panel = document.getElementById('side-panel');
  if (panel.scrollWidth > panel.clientWidth) out.push('the side panel scrolls sideways');
  return out;
}"""


def test_no_text_in_the_side_panel_is_cut(pages, puzzle, rows, tmp_path):
    """Every cell, line and button of the side panel fits its box at three window sizes, full of text: a hovered
    point with a long clustering name, a selection's counts, the guess with hints, an opened guess and its check."""
    student = pages(puzzle / "student.html")
    name_blobs(student, rows, NAMES)
    saved = student.download("Save guess.json", tmp_path / "guess.json")
    page = pages(puzzle / "explore.html")
    page.open_guess(saved)
    page.page.click("text=Show hints")
    page.select_rows(np.flatnonzero(rows["truth"] < 5))
    longest = max(range(len(rows["truth"])), key=lambda i: len(f"{i} ({rows['split'][i]} #{rows['index'][i]})"))
    for width, height in ((1280, 800), (1500, 950), (1920, 1080)):
        page.page.set_viewport_size({"width": width, "height": height})
        page.wait()
        page.page.evaluate(f"() => showPoint({longest})")  # what a hover shows, for the longest row
        assert page.page.get_attribute("#hover-card", "data-row") == str(longest)
        assert page.page.evaluate(OVERFLOWING) == [], f"at {width} x {height}"
        cells = page.page.locator("#side-panel td").count()
        assert cells > 100  # the tables were there to be measured
    page.page.screenshot(path=str(tmp_path / "work.png"))
    assert_not_blank(read_png(tmp_path / "work.png"))
    assert student.clean() and page.clean()
