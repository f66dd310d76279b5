"""The guess: category shares, the merge map, scoring and grading (sub-groups: test_subgroups.py)."""

import numpy as np
import pytest
from conftest import needs_real_data

from fmtwist_cli.data import twist
from fmtwist_cli.data.twist import CATEGORIES
from fmtwist_cli.errors import FmtwistError
from fmtwist_cli.puzzle import guess

TWISTS = [twist.Twist("seed", twist.SEED_MAPPING)] + [twist.random_twist(s) for s in (1, 2, 3, 4)]


def noisy_predictions(categories: np.ndarray, accuracy: float, seed: int = 0) -> np.ndarray:
    """A fake reference classifier: right with probability ``accuracy``, else a random category."""
    rng = np.random.default_rng(seed)
    wrong = rng.random(categories.size) > accuracy
    pred = categories.copy()
    pred[wrong] = rng.integers(0, 10, wrong.sum())
    return pred


# ---------------------------------------------------------------- shares


def test_shares_are_fractions_of_each_class():
    categories = np.array([1] * 49 + [2] * 48 + [0] * 3 + [5] * 10)
    labels = np.array([2] * 100 + [1] * 10)
    shares = guess.category_shares(categories, labels)
    assert shares.shape == (3, 10)
    assert shares[2, 1] == pytest.approx(0.49) and shares[2, 2] == pytest.approx(0.48)
    assert shares[1, 5] == 1.0
    assert shares[0].sum() == 0  # an empty class stays empty
    assert guess.describe_mix(shares[2]) == "Trouser 49 % + Pullover 48 %"
    assert guess.describe_mix(shares[2], min_share=0.01) == "Trouser 49 % + Pullover 48 % + T-shirt/top 3 %"


def test_soft_probabilities_are_averaged():
    probs = np.array([[0.5, 0.5] + [0] * 8, [1.0] + [0] * 9])
    shares = guess.category_shares(probs, np.array([0, 0]))
    assert shares[0, :2] == pytest.approx([0.75, 0.25])


@pytest.mark.parametrize(
    ("reference", "labels", "message"),
    [
        (
            np.zeros((4, 5)),
            np.zeros(4, int),
            (
                "reference probabilities must have 10 columns (one per Fashion-MNIST category), got shape [4, 5]: "
                "is the reference classifier trained with --labels original?"
            ),
        ),
        (np.full((2, 10), np.nan), np.zeros(2, int), "reference probabilities hold negative, NaN or infinite values"),
        (np.array([0, 10]), np.zeros(2, int), "reference predictions must be categories 0..9"),
        (np.array([0, 1, 2]), np.zeros(2, int), "2 mystery labels for 3 reference rows"),
        (np.array([0, 1]), np.array([0, -1]), "mystery labels outside 0..0"),
    ],
)
def test_bad_inputs_are_named(reference, labels, message):
    with pytest.raises(FmtwistError) as exc:
        guess.category_shares(reference, labels)
    assert str(exc.value) == message


# ---------------------------------------------------------------- merge map


@pytest.mark.parametrize("spec", TWISTS, ids=lambda t: t.name)
@pytest.mark.parametrize("accuracy", [1.0, 0.7])
def test_merge_map_recovers_every_twist(spec, accuracy):
    categories = np.repeat(np.arange(10), 200)
    pred = noisy_predictions(categories, accuracy)
    merge = guess.infer_merge_map(pred, spec.apply(categories))
    assert merge.mapping.tolist() == list(spec.mapping)
    assert merge.as_dict() == {CATEGORIES[j]: c for j, c in enumerate(spec.mapping)}
    assert merge.members() == spec.members()
    assert merge.placement.sum(axis=1) == pytest.approx(np.ones(10))
    if accuracy == 1.0:
        assert merge.confidence == pytest.approx(np.ones(10))
    else:
        assert (merge.confidence > 0.5).all() and (merge.confidence < 1).all()


def test_merge_map_never_leaves_a_class_empty():
    # Class 1 holds only Shirt, but the classifier calls most shirts
    # "T-shirt/top" and half the coats "Shirt" (both in class 0), so by plain
    # majority every category lands in class 0 and class 1 stays empty.
    truth = np.zeros(10, dtype=np.int64)
    truth[6] = 1
    categories = np.repeat(np.arange(10), 100)
    pred = categories.copy()
    pred[np.flatnonzero(categories == 6)[:60]] = 0
    pred[np.flatnonzero(categories == 4)[:50]] = 6
    labels = truth[categories]
    plain = guess.category_mass(pred, labels).T.argmax(axis=1)
    assert 1 not in plain  # the situation the rule is for
    merge = guess.infer_merge_map(pred, labels)
    assert merge.mapping.tolist() == truth.tolist()
    assert merge.forced == [6]
    assert merge.confidence[6] == pytest.approx(40 / 90)


# ---------------------------------------------------------------- scoring


def test_score_counts_right_categories_and_subgroups():
    truth = list(twist.SEED_MAPPING)
    categories = np.repeat(np.arange(10), 50)
    guessed = np.array(truth)
    guessed[[0, 3]] = [1, 0]  # two categories misplaced
    pred = np.array(guessed)[categories]  # a "classifier" that makes the guess come out so
    merge = guess.infer_merge_map(categories, pred)
    result = guess.score(merge, [2, 1, 2, 1, 3], truth)
    assert result["categories_right"] == 8
    assert [r["category"] for r in result["per_category"] if not r["right"]] == ["T-shirt/top", "Dress"]
    assert result["subgroups_right"] == 4  # class 3 holds Dress and Bag: 2, not 1
    assert result["per_class"][3] == {"class": 3, "subgroups": 1, "categories_merged": 2, "right": False}
    assert "subgroups_right" not in guess.score(merge, None, truth)


def test_score_rejects_a_short_answer_key():
    merge = guess.infer_merge_map(np.arange(10), np.arange(10) % 5)
    with pytest.raises(FmtwistError, match="maps 9 categories"):
        guess.score(merge, None, list(range(9)))


# ---------------------------------------------------------------- real data


@needs_real_data
@pytest.mark.realdata
@pytest.mark.slow
def test_merge_map_on_real_images_and_several_twists():
    """A weak reference classifier on raw pixels (about 80 % accurate) already
    places every category right, on the notebook's twist and on random ones."""
    from sklearn.decomposition import PCA
    from sklearn.linear_model import LogisticRegression

    from fmtwist_cli.data import sources

    real = sources.load_source(None)
    x_train = real.x_train[:5000].reshape(-1, 784) / 255.0
    x_test = real.x_test.reshape(-1, 784) / 255.0
    pca = PCA(30, random_state=0).fit(x_train)
    clf = LogisticRegression(max_iter=500).fit(pca.transform(x_train), real.y_train[:5000])
    pred = clf.predict(pca.transform(x_test))
    originals = real.y_test
    for spec in TWISTS:
        merge = guess.infer_merge_map(pred, spec.apply(originals))
        assert guess.score(merge, None, spec.mapping)["categories_right"] == 10, spec.name


def test_score_counts_the_map_apart():
    merge = guess.MergeMap(np.array(twist.SEED_MAPPING), np.ones(10), np.eye(5)[list(twist.SEED_MAPPING)])
    result = guess.score(merge, [2, 1, 2, 2, 3], twist.SEED_MAPPING, map_counts=[1, 1, 2, 2, 3])
    assert (result["subgroups_right"], result["map_subgroups_right"]) == (5, 4)
    assert result["per_class"][0] == {
        "class": 0,
        "subgroups": 2,
        "categories_merged": 2,
        "right": True,
        "map_groups": 1,
        "map_right": False,
    }


# ---------------------------------------------------------------- grading any guess


def test_grade_is_the_rule_score_uses():
    truth = list(twist.SEED_MAPPING)
    categories = np.repeat(np.arange(10), 50)
    guessed = np.array(truth)
    guessed[[0, 3]] = [1, 0]
    merge = guess.infer_merge_map(categories, guessed[categories])
    scored = guess.score(merge, None, truth)
    graded = guess.grade(merge.as_dict(), truth)
    assert graded["categories_right"] == scored["categories_right"] == 8
    assert graded["per_category"] == [{k: v for k, v in r.items() if k != "confidence"} for r in scored["per_category"]]


def test_grade_counts_a_category_left_out_as_wrong():
    truth = list(twist.SEED_MAPPING)
    placed = {CATEGORIES[j]: c for j, c in enumerate(truth) if CATEGORIES[j] != "Bag"}
    result = guess.grade(placed, truth)
    assert result["categories_right"] == 9
    assert [r for r in result["per_category"] if not r["right"]] == [
        {"category": "Bag", "guess": None, "truth": truth[CATEGORIES.index("Bag")], "right": False}
    ]


def test_parse_guess_takes_any_object_with_a_merge_map():
    merge_map = {"Coat": 0, "Bag": 3}
    assert guess.parse_guess({"kind": "fmtwist-guess", "n_classes": 5, "merge_map": merge_map}, 5) == merge_map
    assert guess.parse_guess({"merge_map": merge_map, "classes": [], "missing": []}, 5) == merge_map  # report --json


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        ([1, 2], 'g.json has no merge_map: expected a JSON object with "merge_map"'),
        ({"merge_map": None}, 'g.json has no merge_map: expected a JSON object with "merge_map"'),
        ({"merge_map": {"Sandals": 0}}, "g.json: unknown category 'Sandals' (the categories: T-shirt/top, Trouser,"),
        (
            {"merge_map": {"Coat": 5}},
            "g.json: Coat is placed in class 5, but the answer key has 5 classes, numbered 0-4",
        ),
        ({"merge_map": {"Coat": -1}}, "g.json: Coat is placed in class -1, but the answer key has 5 classes"),
        ({"merge_map": {"Coat": 1.5}}, "g.json: Coat is placed in class 1.5: a class is a whole number, 0-4"),
        ({"merge_map": {"Coat": "1"}}, 'g.json: Coat is placed in class "1": a class is a whole number, 0-4'),
        ({"merge_map": {"Coat": True}}, "g.json: Coat is placed in class true: a class is a whole number, 0-4"),
        ({"n_classes": 4, "merge_map": {}}, "g.json is a guess for 4 mystery classes, but the answer key has 5"),
    ],
)
def test_parse_guess_refuses(obj, message):
    with pytest.raises(FmtwistError) as exc:
        guess.parse_guess(obj, 5, "g.json")
    assert str(exc.value).startswith(message)
