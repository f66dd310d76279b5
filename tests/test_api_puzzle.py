"""puzzle/step.py: `fmtwist_cli.grade` is `fmtwist grade` (the same summary; grade writes no file), for a guess
file, a guess held in memory (a dict, a report's summary) and the typed record of guess.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import files_under, write_learnable
from helpers import jsonable

import fmtwist_cli
from fmtwist_cli.artifacts import guessfile
from fmtwist_cli.data import twist
from fmtwist_cli.data.twist import CATEGORIES
from fmtwist_cli.errors import FmtwistError
from fmtwist_cli.puzzle import step

TRUTH = {CATEGORIES[j]: c for j, c in enumerate(twist.SEED_MAPPING)}


@pytest.fixture(scope="module")
def puzzle(tmp_path_factory) -> Path:
    """data.npz and twist.json of the notebook's twist (5 classes)."""
    return write_learnable(tmp_path_factory.mktemp("grade"), n_train=20, n_test=20)


def cli_json(run, *argv) -> dict:
    code, out, err = run("grade", *argv, "--json")
    assert code == 0, err
    return json.loads(out)


@pytest.mark.parametrize(
    "merge_map",
    [TRUTH, {**TRUTH, "Coat": (TRUTH["Coat"] + 1) % 5}, {k: v for k, v in TRUTH.items() if k != "Bag"}],
    ids=["solved", "one wrong", "one left out"],
)
def test_grade_both_ways(puzzle, tmp_path, run, merge_map):
    path = tmp_path / "guess.json"
    path.write_text(json.dumps({"kind": "fmtwist-guess", "n_classes": 5, "merge_map": merge_map}))
    before = files_under(puzzle) | files_under(tmp_path)
    by_cli = cli_json(run, path, "--answer-key", puzzle / "twist.json")
    result = fmtwist_cli.grade(path, puzzle / "twist.json")
    assert jsonable(result.summary) == by_cli
    assert files_under(puzzle) | files_under(tmp_path) == before  # grade writes nothing
    assert result.path is None and result.paths == []
    assert result.artifact == guessfile.Guess(merge_map, 5)
    # the answer key defaults to FOLDER/twist.json, as --artifacts does
    assert step.grade(puzzle, guess=path).summary == result.summary
    assert jsonable(step.grade(puzzle, guess=str(path)).summary) == cli_json(run, path, "-a", puzzle)


def test_a_guess_in_memory_is_graded_as_its_file(puzzle, tmp_path, run):
    obj = {"kind": "fmtwist-guess", "n_classes": 5, "merge_map": {**TRUTH, "Dress": 0}}
    (tmp_path / "g.json").write_text(json.dumps(obj))
    by_cli = cli_json(run, tmp_path / "g.json", "--answer-key", puzzle / "twist.json")
    expected = {**by_cli, "guess": step.IN_MEMORY}
    key = puzzle / "twist.json"
    assert jsonable(fmtwist_cli.grade(obj, key).summary) == expected
    assert jsonable(fmtwist_cli.grade(guessfile.from_json(obj), key).summary) == expected
    assert jsonable(fmtwist_cli.grade(guessfile.Guess(obj["merge_map"]), str(key)).summary) == expected
    assert by_cli["categories_right"] == 9


def test_a_bad_guess_says_the_same_both_ways(puzzle, tmp_path, run):
    obj = {"merge_map": {"Coat": 5}}
    path = tmp_path / "g.json"
    path.write_text(json.dumps(obj))
    code, _, err = run("grade", path, "--answer-key", puzzle / "twist.json")
    message = f"{path}: Coat is placed in class 5, but the answer key has 5 classes, numbered 0-4"
    assert (code, err) == (1, f"error: {message}\n")
    with pytest.raises(FmtwistError, match=f"^{message}$"):
        fmtwist_cli.grade(path, puzzle / "twist.json")
    with pytest.raises(FmtwistError, match="^guess: Coat is placed in class 5, but the answer key has 5 classes"):
        fmtwist_cli.grade(obj, puzzle / "twist.json")
    with pytest.raises(FmtwistError, match="^guess is a guess for 3 mystery classes, but the answer key has 5"):
        fmtwist_cli.grade(guessfile.Guess({"Coat": 0}, n_classes=3), puzzle / "twist.json")


def test_grade_takes_the_folder_for_its_default_answer_key(puzzle, tmp_path):
    path = guessfile.save(tmp_path / "guess.json", guessfile.Guess(TRUTH, 5))
    assert fmtwist_cli.grade(path, None, folder=puzzle).summary["categories_right"] == 10


# ---------------------------------------------------------------- guess.json, the record


def test_guess_file_round_trips_in_the_pages_format(tmp_path):
    guess = guessfile.Guess({"Coat": 0, "Bag": 3}, n_classes=5)
    path = guessfile.save(tmp_path / guessfile.FILE, guess)
    # the explore page's guess.js writes this same object
    assert json.loads(path.read_text()) == {"kind": "fmtwist-guess", "n_classes": 5, "merge_map": {"Coat": 0, "Bag": 3}}
    assert guessfile.load(path) == guess
    assert guessfile.load(path, n_classes=5) == guess


def test_any_object_with_a_merge_map_is_a_guess():
    report_json = {"merge_map": {"Coat": 0}, "classes": [], "missing": [], "n_classes": 5}
    assert guessfile.from_json(report_json) == guessfile.Guess({"Coat": 0}, 5)
    assert guessfile.from_json({"merge_map": {}, "n_classes": "5"}).n_classes is None  # not a number: not said
    with pytest.raises(FmtwistError, match='^g.json: Coat is placed in class "1": a class is a whole number$'):
        guessfile.from_json({"merge_map": {"Coat": "1"}}, "g.json")  # no number of classes known yet


def test_evidence_is_graded_the_same_both_ways(puzzle, tmp_path, run):
    from fmtwist_cli import artifacts

    test = artifacts.load_answer_key(puzzle / "twist.json")["original_labels"]["test"]
    other = next(i for i in range(len(test)) if CATEGORIES[test[i]] != "Coat")
    rows = sorted([i for i in range(len(test)) if CATEGORIES[test[i]] == "Coat"][:3] + [other])
    obj = {
        "kind": "fmtwist-guess",
        "n_classes": 5,
        "merge_map": TRUTH,
        "data_hash": "0123456789abcdef",
        "evidence": {
            "Coat": {"rows": {"test": rows}, "map": "t-SNE", "colouring": "clusters: kmeans", "class_shares": [0.2] * 5}
        },
    }
    path = tmp_path / "guess.json"
    path.write_text(json.dumps(obj))
    by_cli = cli_json(run, path, "--answer-key", puzzle / "twist.json")
    right = sum(CATEGORIES[test[i]] == "Coat" for i in rows)
    assert by_cli["rows_right"] == {"Coat": {"named": len(rows), "right": right}}
    assert jsonable(fmtwist_cli.grade(path, puzzle / "twist.json").summary) == by_cli
    assert jsonable(step.grade(puzzle, guess=path).summary) == by_cli  # the answer key by default
    in_memory = {**by_cli, "guess": step.IN_MEMORY}
    assert jsonable(fmtwist_cli.grade(obj, puzzle / "twist.json").summary) == in_memory
    assert jsonable(fmtwist_cli.grade(guessfile.from_json(obj), puzzle / "twist.json").summary) == in_memory
    assert fmtwist_cli.grade(path, puzzle / "twist.json").artifact == guessfile.from_json(obj)
