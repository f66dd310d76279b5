"""fmtwist grade: any guess file scored against the answer key by the report's rule."""

import json
from pathlib import Path

import pytest
from conftest import write_learnable

from fmtwist_cli.data import twist
from fmtwist_cli.data.twist import CATEGORIES

TRUTH = {CATEGORIES[j]: c for j, c in enumerate(twist.SEED_MAPPING)}


@pytest.fixture(scope="module")
def puzzle(tmp_path_factory) -> Path:
    """data.npz and twist.json of the notebook's twist (5 classes)."""
    return write_learnable(tmp_path_factory.mktemp("grade"), n_train=20, n_test=20)


def saved(folder: Path, obj, name: str = "guess.json") -> Path:
    path = folder / name
    path.write_text(obj if isinstance(obj, str) else json.dumps(obj))
    return path


def test_a_solved_guess_scores_ten(puzzle, tmp_path, run):
    path = saved(tmp_path, {"kind": "fmtwist-guess", "n_classes": 5, "merge_map": TRUTH})
    code, out, err = run("grade", path, "--answer-key", puzzle / "twist.json")
    assert (code, err) == (0, "")
    assert out == f"{path}: 10/10 categories placed right\n"


def test_wrong_and_missing_categories_are_named(puzzle, tmp_path, run):
    merge_map = {**TRUTH, "T-shirt/top": 1, "Dress": 0}
    del merge_map["Bag"]  # never placed on the explore page
    path = saved(tmp_path, {"kind": "fmtwist-guess", "n_classes": 5, "merge_map": merge_map})
    code, out, err = run("grade", path, "-a", puzzle)  # the answer key defaults to ARTIFACTS/twist.json
    assert code == 0, err
    assert out.splitlines() == [
        f"{path}: 7/10 categories placed right",
        "wrong:",
        f"  T-shirt/top  guessed class 1, true class {TRUTH['T-shirt/top']}",
        f"  Dress        guessed class 0, true class {TRUTH['Dress']}",
        f"  Bag          not placed, true class {TRUTH['Bag']}",
    ]


def test_grade_json(puzzle, tmp_path, run):
    path = saved(tmp_path, {"merge_map": {**TRUTH, "Coat": (TRUTH["Coat"] + 1) % 5}})
    code, out, err = run("grade", path, "--answer-key", puzzle / "twist.json", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["categories_right"] == 9 and result["categories_total"] == 10
    assert result["guess"] == str(path) and result["answer_key"] == str(puzzle / "twist.json")
    coat = result["per_category"][CATEGORIES.index("Coat")]
    assert coat == {"category": "Coat", "guess": (TRUTH["Coat"] + 1) % 5, "truth": TRUTH["Coat"], "right": False}
    assert [r["category"] for r in result["per_category"]] == list(CATEGORIES)


BAD = {
    "not JSON": ("{merge_map: ", "{path} is not a valid guess file: Expecting property name enclosed in double quotes"),
    "no merge_map": (
        {"kind": "fmtwist-guess"},
        '{path} has no merge_map: expected a JSON object with "merge_map": {{category name: mystery class}}',
    ),
    "a report without a guess": (
        {"merge_map": None, "missing": ["no reference classifier"]},
        "{path} has no merge_map",
    ),
    "an unknown category": ({"merge_map": {"Sandals": 0}}, "{path}: unknown category 'Sandals' (the categories: "),
    "a class past the last": (
        {"merge_map": {"Coat": 5}},
        "{path}: Coat is placed in class 5, but the answer key has 5 classes, numbered 0-4",
    ),
    "a negative class": ({"merge_map": {"Coat": -1}}, "{path}: Coat is placed in class -1, but the answer key has 5"),
    "a class that is no integer": (
        {"merge_map": {"Coat": 2.5}},
        "{path}: Coat is placed in class 2.5: a class is a whole number, 0-4",
    ),
    "a class given as text": ({"merge_map": {"Coat": "2"}}, '{path}: Coat is placed in class "2": a class is a whole'),
    "another puzzle's guess": (
        {"n_classes": 3, "merge_map": {"Coat": 0}},
        "{path} is a guess for 3 mystery classes, but the answer key has 5: grade it against the twist.json",
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_a_bad_guess_is_one_line(puzzle, tmp_path, run, case):
    obj, message = BAD[case]
    path = saved(tmp_path, obj)
    code, out, err = run("grade", path, "--answer-key", puzzle / "twist.json")
    assert (code, out) == (1, "")
    assert err.startswith("error: " + message.format(path=path)), err
    assert err.count("\n") == 1 and err.endswith("\n")


def test_missing_files_are_named(puzzle, tmp_path, run):
    code, _, err = run("grade", tmp_path / "nope.json", "--answer-key", puzzle / "twist.json")
    assert (code, err) == (1, f"error: guess file not found: {tmp_path / 'nope.json'}\n")
    path = saved(tmp_path, {"merge_map": TRUTH})
    code, _, err = run("grade", path, "-a", tmp_path)
    assert code == 1 and err.startswith(f"error: answer key not found: {tmp_path / 'twist.json'}"), err


# ---------------------------------------------------------------- guess.json with the explore page's evidence


def originals(puzzle: Path) -> dict:
    from fmtwist_cli import artifacts

    return artifacts.load_answer_key(puzzle / "twist.json")["original_labels"]


def with_evidence(puzzle: Path) -> tuple[dict, dict]:
    """A guess whose evidence names every test image of Coat plus one Bag image as Coat, and every train image of
    Bag plus every test image of Bag but one as Bag; and the rows_right that says so."""
    truth = originals(puzzle)
    coat, bag = CATEGORIES.index("Coat"), CATEGORIES.index("Bag")
    test, train = truth["test"].tolist(), truth["train"].tolist()
    coat_rows = sorted([i for i, c in enumerate(test) if c == coat] + [test.index(bag)])
    bag_test = [i for i, c in enumerate(test) if c == bag][1:]
    bag_train = [i for i, c in enumerate(train) if c == bag]
    assert len(coat_rows) > 1 and bag_test and bag_train  # the fixture holds them

    def entry(rows: dict) -> dict:
        return {"rows": rows, "map": "t-SNE", "colouring": "mystery class", "class_shares": [0.2] * 5}

    obj = {
        "kind": "fmtwist-guess",
        "n_classes": 5,
        "merge_map": TRUTH,
        "data_hash": "0123456789abcdef",
        "evidence": {"Coat": entry({"test": coat_rows}), "Bag": entry({"train": bag_train, "test": bag_test})},
    }
    expected = {
        "Coat": {"named": len(coat_rows), "right": len(coat_rows) - 1},
        "Bag": {"named": len(bag_train) + len(bag_test), "right": len(bag_train) + len(bag_test)},
    }
    return obj, expected


def test_an_old_guess_has_no_rows_right(puzzle, tmp_path, run):
    path = saved(tmp_path, {"kind": "fmtwist-guess", "n_classes": 5, "merge_map": TRUTH})
    code, out, err = run("grade", path, "--answer-key", puzzle / "twist.json", "--json")
    assert code == 0, err
    assert set(json.loads(out)) == {"guess", "answer_key", "categories_right", "categories_total", "per_category"}


def test_evidence_is_scored_row_by_row(puzzle, tmp_path, run):
    obj, expected = with_evidence(puzzle)
    path = saved(tmp_path, obj)
    old = saved(tmp_path, {k: obj[k] for k in ("kind", "n_classes", "merge_map")}, "old.json")
    code, out, err = run("grade", path, "--answer-key", puzzle / "twist.json", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["rows_right"] == expected
    assert list(result["rows_right"]) == ["Coat", "Bag"]  # in the categories' order
    # the categories are graded as the same guess without its evidence
    _, old_out, _ = run("grade", old, "--answer-key", puzzle / "twist.json", "--json")
    assert {k: v for k, v in result.items() if k not in ("rows_right", "guess")} == {
        k: v for k, v in json.loads(old_out).items() if k != "guess"
    }


def test_evidence_for_people(puzzle, tmp_path, run):
    obj, expected = with_evidence(puzzle)
    path = saved(tmp_path, obj)
    code, out, err = run("grade", path, "--answer-key", puzzle / "twist.json")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        f"{path}: 10/10 categories placed right",
        "named rows of the true category (from the evidence):",
        f"  Coat  {expected['Coat']['right']}/{expected['Coat']['named']} rows right",
        f"  Bag   {expected['Bag']['named']}/{expected['Bag']['named']} rows right",
    ]


def test_a_row_past_the_answer_key_is_one_line(puzzle, tmp_path, run):
    obj, _ = with_evidence(puzzle)
    n_test = len(originals(puzzle)["test"])
    obj["evidence"]["Coat"]["rows"] = {"test": [0, n_test]}
    path = saved(tmp_path, obj)
    code, out, err = run("grade", path, "--answer-key", puzzle / "twist.json", "--json")
    assert (code, out) == (1, "")
    assert err == (
        f"error: {path}: evidence for Coat names test row {n_test}, but the answer key has {n_test} test images "
        f"(rows 0-{n_test - 1}): grade it against the twist.json of its own puzzle\n"
    )


def test_malformed_evidence_is_one_line_naming_the_file_and_category(puzzle, tmp_path, run):
    obj, _ = with_evidence(puzzle)
    obj["evidence"]["Bag"]["class_shares"] = [0.5, 0.5]
    path = saved(tmp_path, obj)
    code, out, err = run("grade", path, "--answer-key", puzzle / "twist.json")
    assert (code, out) == (1, "")
    assert err == f"error: {path}: evidence for Bag: 2 class_shares for 5 mystery classes\n"
