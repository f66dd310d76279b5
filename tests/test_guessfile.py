"""artifacts/guessfile.py: guess.json with the explore page's evidence (issue #18), read, checked and written."""

from __future__ import annotations

import json

import pytest

from fmtwist_cli.artifacts import guessfile
from fmtwist_cli.errors import ArtifactError

EVIDENCE = {
    "Sneaker": {
        "rows": {"test": [12, 40, 977], "train": [5]},
        "map": "t-SNE",
        "colouring": "clusters: kmeans",
        "class_shares": [0.0, 0.02, 0.0, 0.98, 0.0],
    },
    "Bag": {"rows": {"test": [3]}, "map": "UMAP", "colouring": "mystery class", "class_shares": [1, 0, 0, 0, 0]},
}
NEW = {
    "kind": "fmtwist-guess",
    "n_classes": 5,
    "merge_map": {"Sneaker": 3, "Bag": 0},
    "data_hash": "3f2a9c0d1b7e4a55",
    "evidence": EVIDENCE,
}


def test_an_old_file_has_no_evidence():
    guess = guessfile.from_json({"kind": "fmtwist-guess", "n_classes": 5, "merge_map": {"Coat": 0}})
    assert guess == guessfile.Guess({"Coat": 0}, 5)
    assert (guess.data_hash, guess.evidence) == (None, {})
    assert guess.to_json() == {"kind": "fmtwist-guess", "n_classes": 5, "merge_map": {"Coat": 0}}


def test_a_new_file_is_read_typed():
    guess = guessfile.from_json(NEW, "g.json", n_classes=5)
    assert guess.data_hash == "3f2a9c0d1b7e4a55"
    sneaker = guess.evidence["Sneaker"]
    assert sneaker == guessfile.CategoryEvidence(
        {"train": (5,), "test": (12, 40, 977)}, "t-SNE", "clusters: kmeans", (0.0, 0.02, 0.0, 0.98, 0.0)
    )
    assert sneaker.n_rows == 4
    assert guess.evidence["Bag"].rows == {"test": (3,)}


def test_a_new_file_round_trips(tmp_path):
    guess = guessfile.from_json(NEW)
    path = guessfile.save(tmp_path / guessfile.FILE, guess)
    written = json.loads(path.read_text())
    # the contract's format: the same keys and values the page writes, the splits in their fixed order
    assert written == NEW
    assert list(written["evidence"]["Sneaker"]["rows"]) == ["train", "test"]
    assert guessfile.load(path) == guess
    assert guessfile.load(path, n_classes=5) == guess
    assert guess.check(5) == guess


def evidence_with(**changes) -> dict:
    entry = {**EVIDENCE["Sneaker"], **changes}
    return {**NEW, "evidence": {"Sneaker": {k: v for k, v in entry.items() if v is not None}}}


BAD = {
    "not an object": ({**NEW, "evidence": []}, "g.json: evidence must be an object {category name: evidence}"),
    "an unknown category": (
        {**NEW, "evidence": {"Sandals": EVIDENCE["Bag"]}},
        "g.json: evidence for 'Sandals', an unknown category",
    ),
    "a category not placed": (
        {**NEW, "evidence": {"Coat": EVIDENCE["Bag"]}},
        "g.json: evidence for 'Coat', a category the merge_map does not place",
    ),
    "an entry that is no object": (
        {**NEW, "evidence": {"Sneaker": [1, 2]}},
        "g.json: evidence for Sneaker must be an object with rows, map, colouring and class_shares, got a list",
    ),
    "no rows": (evidence_with(rows=None), "g.json: evidence for Sneaker has no rows"),
    "rows as a list": (evidence_with(rows=[1, 2]), "g.json: evidence for Sneaker: rows must be an object"),
    "an unknown split": (
        evidence_with(rows={"val": [1]}),
        "g.json: evidence for Sneaker: rows of an unknown split 'val' (the splits: train, test)",
    ),
    "a negative row": (
        evidence_with(rows={"test": [-1]}),
        "g.json: evidence for Sneaker: test rows must be a list of whole numbers ≥ 0",
    ),
    "a row as text": (
        evidence_with(rows={"test": ["3"]}),
        "g.json: evidence for Sneaker: test rows must be a list of whole numbers ≥ 0",
    ),
    "rows out of order": (
        evidence_with(rows={"test": [10, 9]}),
        "g.json: evidence for Sneaker: test rows are not in ascending order (or one is named twice)",
    ),
    "a row twice": (evidence_with(rows={"test": [9, 9]}), "g.json: evidence for Sneaker: test rows are not in"),
    "a map that is no string": (evidence_with(map=3), "g.json: evidence for Sneaker: map must be a string, got a"),
    "a share past 1": (
        evidence_with(class_shares=[0, 0, 0, 1.5, 0]),
        "g.json: evidence for Sneaker: class_shares must be a list of numbers between 0 and 1",
    ),
    "too few shares": (
        evidence_with(class_shares=[0.5, 0.5]),
        "g.json: evidence for Sneaker: 2 class_shares for 5 mystery classes",
    ),
    "a bad data hash": ({**NEW, "data_hash": "3F2A"}, 'g.json: data_hash "3F2A" is not the explore page\'s data hash'),
}


@pytest.mark.parametrize("case", list(BAD))
def test_malformed_evidence_is_refused_in_one_line(case):
    obj, message = BAD[case]
    with pytest.raises(ArtifactError) as refused:
        guessfile.from_json(obj, "g.json")
    assert str(refused.value).startswith(message), str(refused.value)
    assert "\n" not in str(refused.value)
