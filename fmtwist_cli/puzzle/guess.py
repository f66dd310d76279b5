"""The guess: which categories make each mystery class, and how right it is.

* **Reference names.** A classifier trained on the 10 original categories
  (``fmtwist train --labels original``) reads every test image. Its
  probabilities, averaged over a mystery class, describe the class as a mix of
  categories ("class 2 = Trouser 49 % + Pullover 48 %"); read the other way, the
  images it calls "Trouser" show which class Trouser was merged into
  (:func:`infer_merge_map`).
* **Grading.** :func:`grade` is the one rule that scores a merge map against
  the answer key written by ``prepare``, whoever made the map: the report, a
  person on the explore page (:func:`parse_guess` reads their ``guess.json``).
  :func:`score` adds the report's own evidence (confidence, sub-group counts).

The label-free half of the evidence, sub-groups on the map, is
:mod:`fmtwist_cli.puzzle.subgroups`. Pure numpy and scikit-learn: no model is loaded here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fmtwist_cli.artifacts import guessfile
from fmtwist_cli.data.twist import CATEGORIES
from fmtwist_cli.errors import FmtwistError

N_CATEGORIES = len(CATEGORIES)

# --------------------------------------------------------------------------
# reference names: category shares and the merge map


def _as_probs(reference: np.ndarray) -> np.ndarray:
    """Accept an (N, 10) probability matrix or (N,) predicted categories."""
    reference = np.asarray(reference)
    if reference.ndim == 1:
        if reference.size and (reference.min() < 0 or reference.max() >= N_CATEGORIES):
            raise FmtwistError(f"reference predictions must be categories 0..{N_CATEGORIES - 1}")
        return np.eye(N_CATEGORIES)[reference.astype(np.int64)]
    if reference.ndim != 2 or reference.shape[1] != N_CATEGORIES:
        raise FmtwistError(
            f"reference probabilities must have {N_CATEGORIES} columns (one per Fashion-MNIST category), "
            f"got shape {list(reference.shape)}: is the reference classifier trained with --labels original?"
        )
    if not np.isfinite(reference).all() or reference.min() < 0:
        raise FmtwistError("reference probabilities hold negative, NaN or infinite values")
    total = reference.sum(axis=1, keepdims=True)
    return reference / np.where(total > 0, total, 1.0)


def check_labels(labels: np.ndarray, rows: int, n_classes: int | None) -> tuple[np.ndarray, int]:
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.shape[0] != rows:
        raise FmtwistError(f"{labels.shape[0] if labels.ndim else 0} mystery labels for {rows} reference rows")
    if labels.size == 0:
        raise FmtwistError("no images to make a guess from")
    labels = labels.astype(np.int64)
    k = int(labels.max()) + 1 if n_classes is None else int(n_classes)
    if labels.min() < 0 or labels.max() >= k:
        raise FmtwistError(f"mystery labels outside 0..{k - 1}")
    return labels, k


def category_mass(reference: np.ndarray, labels: np.ndarray, n_classes: int | None = None) -> np.ndarray:
    """(K, 10) matrix: how many images of each mystery class the reference
    classifier gives to each category (probabilities summed, so soft counts)."""
    probs = _as_probs(reference)
    labels, k = check_labels(labels, probs.shape[0], n_classes)
    mass = np.zeros((k, N_CATEGORIES))
    np.add.at(mass, labels, probs)
    return mass


def category_shares(reference: np.ndarray, labels: np.ndarray, n_classes: int | None = None) -> np.ndarray:
    """(K, 10): each mystery class as a mix of categories; rows sum to 1
    (an empty class is a row of zeros)."""
    mass = category_mass(reference, labels, n_classes)
    size = mass.sum(axis=1, keepdims=True)
    return mass / np.where(size > 0, size, 1.0)


def describe_mix(shares: np.ndarray, min_share: float = 0.05) -> str:
    """``"Trouser 49 % + Pullover 48 %"``: the categories holding at least
    ``min_share`` of a class, largest first."""
    order = [j for j in np.argsort(-shares, kind="stable") if shares[j] >= min_share]
    if not order:
        order = [int(np.argmax(shares))]
    return " + ".join(f"{CATEGORIES[j]} {100 * shares[j]:.0f} %" for j in order)


@dataclass
class MergeMap:
    """Which mystery class each category was merged into, and how sure we are.

    ``placement[j, c]`` is the fraction of the images the reference classifier
    calls category ``j`` that carry mystery label ``c``: a category merged into
    class ``c`` puts nearly all of its images there, whichever twist it is.
    ``confidence[j]`` is ``placement[j, mapping[j]]``.
    """

    mapping: np.ndarray  # (10,) mystery class per category
    confidence: np.ndarray  # (10,) in 0..1
    placement: np.ndarray  # (10, K) rows sum to 1
    forced: list[int] = field(default_factory=list)  # categories moved off their best class so no class stays empty

    @property
    def n_classes(self) -> int:
        return self.placement.shape[1]

    def members(self) -> dict[int, list[str]]:
        out: dict[int, list[str]] = {c: [] for c in range(self.n_classes)}
        for j, c in enumerate(self.mapping):
            out[int(c)].append(CATEGORIES[j])
        return out

    def as_dict(self) -> dict[str, int]:
        return {CATEGORIES[j]: int(c) for j, c in enumerate(self.mapping)}


def infer_merge_map(reference: np.ndarray, labels: np.ndarray, n_classes: int | None = None) -> MergeMap:
    """Place every category in the mystery class holding most of its images.

    Each category's images (as the reference classifier sees them) are spread
    over the classes; the class with the largest fraction wins. Fractions
    per category, not per class, so a big class (many merged categories) does
    not draw small categories in by its size alone. Every mystery class holds
    at least one category by construction, so when the plain winners leave a
    class empty, the assignment maximising the total log-fraction with every
    class covered is taken instead (exact, via one linear assignment).
    """
    mass = category_mass(reference, labels, n_classes).T  # (10, K)
    total = mass.sum(axis=1, keepdims=True)
    placement = mass / np.where(total > 0, total, 1.0)
    k = placement.shape[1]
    best = placement.argmax(axis=1)
    mapping, forced = best.copy(), []
    if k <= N_CATEGORIES and len(set(best.tolist())) < k and mass.sum(axis=0).min() > 0:
        from scipy.optimize import linear_sum_assignment

        cost = -np.log(placement + 1e-9)
        # k "must cover class c" columns, then 10-k free columns at each category's best cost.
        free = np.repeat(cost.min(axis=1, keepdims=True), N_CATEGORIES - k, axis=1)
        rows, cols = linear_sum_assignment(np.hstack([cost, free]))
        for j, col in zip(rows, cols):
            if col < k:
                mapping[j] = col
        forced = [int(j) for j in np.flatnonzero(mapping != best)]
    confidence = placement[np.arange(N_CATEGORIES), mapping]
    return MergeMap(mapping.astype(np.int64), confidence, placement, forced)


# --------------------------------------------------------------------------
# grading against the answer key: one rule for every guess


def answer_classes(answer_mapping: list[int] | np.ndarray) -> np.ndarray:
    """The answer key's class per category (``twist.json``'s ``mapping_by_index``), checked."""
    truth = np.asarray(answer_mapping, dtype=np.int64)
    if truth.shape != (N_CATEGORIES,):
        raise FmtwistError(f"the answer key maps {truth.size} categories, expected {N_CATEGORIES}")
    return truth


def parse_guess(obj: Any, n_classes: int, where: str = "guess") -> dict[str, int]:
    """The ``merge_map`` of a guess file, checked: {category name: mystery class 0..n_classes-1}.

    Any JSON object with a top-level ``merge_map`` is a guess: the explore page's
    ``guess.json`` and ``fmtwist report --json`` alike (the format:
    :mod:`fmtwist_cli.artifacts.guessfile`). A category left out was never placed
    (it is graded wrong).
    """
    return guessfile.from_json(obj, where, n_classes).merge_map


def grade(merge_map: Mapping[str, int], answer_mapping: list[int] | np.ndarray) -> dict[str, Any]:
    """Compare a merge map {category name: class} with the truth (``mapping_by_index``).

    Class numbers are the mystery labels themselves, so no matching is needed: a
    category is right when it is placed in the class it was merged into. A
    category the map leaves out is wrong, its ``guess`` None.
    """
    truth = answer_classes(answer_mapping)
    per_category = []
    for j, name in enumerate(CATEGORIES):
        guessed = merge_map.get(name)
        guessed = None if guessed is None else int(guessed)
        per_category.append(
            {"category": name, "guess": guessed, "truth": int(truth[j]), "right": guessed == int(truth[j])}
        )
    return {
        "categories_right": sum(row["right"] for row in per_category),
        "categories_total": N_CATEGORIES,
        "per_category": per_category,
    }


def score(
    merge_map: MergeMap,
    subgroup_counts: list[int] | None,
    answer_mapping: list[int] | np.ndarray,
    map_counts: list[int] | None = None,
) -> dict:
    """:func:`grade` for the report's own guess, plus its evidence.

    Each category row gains the merge map's confidence; a class's sub-group
    count is right when it equals the number of categories merged into that
    class (``map_counts``, when given, are scored the same way: what the map
    alone showed).
    """
    out = grade(merge_map.as_dict(), answer_mapping)
    for row, confidence in zip(out["per_category"], merge_map.confidence):
        row["confidence"] = float(confidence)
    if subgroup_counts is None:
        return out
    truth = answer_classes(answer_mapping)
    merged = np.bincount(truth, minlength=max(merge_map.n_classes, int(truth.max()) + 1))
    per_class = [
        {"class": c, "subgroups": int(n), "categories_merged": int(merged[c]), "right": int(n) == int(merged[c])}
        for c, n in enumerate(subgroup_counts)
    ]
    if map_counts is not None:
        for row, n in zip(per_class, map_counts):
            row["map_groups"] = int(n)
            row["map_right"] = int(n) == row["categories_merged"]
        out["map_subgroups_right"] = sum(row["map_right"] for row in per_class)
    out["subgroups_right"] = sum(row["right"] for row in per_class)
    out["classes_total"] = len(per_class)
    out["per_class"] = per_class
    return out


def rows_right(
    evidence: Mapping[str, guessfile.CategoryEvidence], originals: Mapping[str, np.ndarray], where: str = "guess"
) -> dict[str, dict[str, int]]:
    """{category: {"named": N, "right": M}}: of the N data.npz rows a guess's evidence names as a category, the M
    whose true category (the answer key's ``original_labels``, per split) is that category. In the categories'
    order. A row past the answer key's images of its split is refused (the guess was made on other data)."""
    out = {}
    for j, name in enumerate(CATEGORIES):
        if name not in evidence:
            continue
        right = 0
        for split, rows in evidence[name].rows.items():
            truth = np.asarray(originals.get(split, ()))
            if rows and rows[-1] >= truth.size:
                raise FmtwistError(
                    f"{where}: evidence for {name} names {split} row {rows[-1]}, but the answer key has "
                    f"{truth.size} {split} images (rows 0-{truth.size - 1}): "
                    "grade it against the twist.json of its own puzzle"
                )
            right += int((truth[np.asarray(rows, dtype=np.int64)] == j).sum())
        out[name] = {"named": evidence[name].n_rows, "right": right}
    return out
