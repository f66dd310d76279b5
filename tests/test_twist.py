import json

import numpy as np
import pytest

from fmtwist_cli import artifacts
from fmtwist_cli.data import twist
from fmtwist_cli.errors import DataError, ParameterError


def test_seed_twist_merges_as_the_notebook():
    t = twist.parse_twist("seed")
    assert t.n_classes == 5
    assert t.members() == {
        0: ["Coat", "Shirt"],
        1: ["Sandal"],
        2: ["Trouser", "Pullover"],
        3: ["Dress", "Bag"],
        4: ["T-shirt/top", "Sneaker", "Ankle boot"],
    }
    np.testing.assert_array_equal(t.apply(np.array([0, 9, 5])), [4, 4, 1])


def test_none_keeps_categories():
    t = twist.parse_twist("none")
    assert t.mapping == tuple(range(10))


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("k", [2, 5, 7, 10])
def test_random_twist_fills_every_class(seed, k):
    t = twist.random_twist(seed, k)
    assert sorted(set(t.mapping)) == list(range(k))


def test_random_twist_is_repeatable_and_varies():
    assert twist.random_twist(1).mapping == twist.random_twist(1).mapping
    assert len({twist.random_twist(s).mapping for s in range(10)}) > 5


def test_random_needs_seed():
    with pytest.raises(ParameterError, match="^twist random needs seed N so the puzzle can be drawn again$"):
        twist.parse_twist("random")


def test_random_class_count_bounds():
    with pytest.raises(ParameterError, match="^classes must be between 2 and 10, got 11$"):
        twist.parse_twist("random", seed=1, n_classes=11)


def test_twist_file_names_and_indices(tmp_path):
    mapping = {name: i % 3 for i, name in enumerate(twist.CATEGORIES)}
    mapping["3"] = mapping.pop("Dress")
    path = tmp_path / "t.json"
    path.write_text(json.dumps(mapping))
    t = twist.parse_twist(str(path))
    assert t.mapping == tuple(i % 3 for i in range(10))


def test_twist_file_accepts_an_answer_key(tmp_path):
    key = twist.parse_twist("seed").answer_key({"train": np.array([1]), "test": np.array([2])})
    path = artifacts.save_answer_key(tmp_path / "twist.json", key)
    assert twist.parse_twist(str(path)).mapping == twist.SEED_MAPPING


def test_twist_file_must_map_all(tmp_path):
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"Trouser": 0, "Bag": 1}))
    with pytest.raises(DataError, match=r"does not map all 10 categories \(missing: T-shirt/top, Pullover"):
        twist.parse_twist(str(path))


def test_twist_file_empty_class(tmp_path):
    path = tmp_path / "t.json"
    path.write_text(json.dumps({str(i): (0 if i < 5 else 2) for i in range(10)}))
    with pytest.raises(DataError, match="class 1 would be empty"):
        twist.parse_twist(str(path))


def test_twist_file_unknown_category(tmp_path):
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"Hat": 0}))
    with pytest.raises(DataError, match="unknown category 'Hat'"):
        twist.parse_twist(str(path))


def test_unknown_twist_word():
    with pytest.raises(DataError, match="unknown twist 'sideways'"):
        twist.parse_twist("sideways")
