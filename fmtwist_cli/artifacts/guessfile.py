"""guess.json: a guess at the puzzle, which mystery class each category was merged into, and how it was reached.

The explore page saves ``{"kind": "fmtwist-guess", "n_classes": 5, "merge_map": {category name: class}}``, and
since issue #18 also ``data_hash`` (the page's data hash, 16 lowercase hex digits) and ``evidence``: for each named
category the data.npz rows named per split, the map and the colouring shown then, and the share of those rows in
each mystery class. ``fmtwist grade`` takes that, or any JSON object with a top-level ``merge_map`` (``fmtwist
report --json`` made with a reference classifier). :class:`Guess` is the record both sides agree on, and
:func:`from_json` the one check of it (against the answer key's number of classes, when given). A file without
``data_hash`` or ``evidence`` (the older format) is as valid as before.
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fmtwist_cli.artifacts.atomic import load_json, save_json
from fmtwist_cli.artifacts.rows import SPLITS
from fmtwist_cli.data.twist import CATEGORIES
from fmtwist_cli.errors import ArtifactError

KIND = "fmtwist-guess"  # the "kind" entry the explore page writes
FILE = "guess.json"  # the name the explore page saves it under
DATA_HASH = re.compile(r"[0-9a-f]{16}")  # the page's data hash: the first 16 hex digits of a sha256


@dataclass(frozen=True)
class CategoryEvidence:
    """How one category was named on the explore page: the data.npz ``rows`` named, per split (ascending), the
    ``map`` and the ``colouring`` shown when it was last named, and ``class_shares``, the share of those rows in
    each mystery class."""

    rows: dict[str, tuple[int, ...]]
    map: str
    colouring: str
    class_shares: tuple[float, ...]

    @property
    def n_rows(self) -> int:
        return sum(len(r) for r in self.rows.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "rows": {s: list(self.rows[s]) for s in SPLITS if s in self.rows},
            "map": self.map,
            "colouring": self.colouring,
            "class_shares": list(self.class_shares),
        }


@dataclass(frozen=True)
class Guess:
    """{category name: mystery class}, for the categories placed (a category left out is graded wrong), and
    the number of classes it was made for, when it says (``n_classes``); the page's ``data_hash`` and the
    ``evidence`` of each named category, when the file has them."""

    merge_map: dict[str, int] = field(default_factory=dict)
    n_classes: int | None = None
    kind: str = KIND
    data_hash: str | None = None
    evidence: dict[str, CategoryEvidence] = field(default_factory=dict)

    def check(self, n_classes: int, where: str = "guess") -> Guess:
        """The guess, refused unless it fits a puzzle of ``n_classes`` mystery classes (:func:`from_json`)."""
        return from_json(self.to_json(), where, n_classes)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "n_classes": self.n_classes, "merge_map": dict(self.merge_map)}
        if self.data_hash is not None:
            out["data_hash"] = self.data_hash
        if self.evidence:
            out["evidence"] = {name: e.to_json() for name, e in self.evidence.items()}
        return out


def from_json(obj: Any, where: str = "guess", n_classes: int | None = None) -> Guess:
    """The guess in a JSON object, checked: a ``merge_map`` of known category names to whole numbers; with
    ``n_classes`` (the answer key's), also made for that many classes, each class one of 0..n_classes-1.
    ``data_hash`` and ``evidence``, when there, are checked too (:func:`evidence_from_json`)."""
    merge_map = obj.get("merge_map") if isinstance(obj, dict) else None
    if not isinstance(merge_map, dict):
        raise ArtifactError(
            f'{where} has no merge_map: expected a JSON object with "merge_map": {{category name: mystery class}} '
            "(the guess.json the explore page saves, or `fmtwist report --json` made with a reference classifier)"
        )
    declared = obj.get("n_classes") if _whole(obj.get("n_classes")) else None
    if n_classes is not None and declared is not None and declared != n_classes:
        raise ArtifactError(
            f"{where} is a guess for {declared} mystery classes, but the answer key has {n_classes}: "
            "grade it against the twist.json of its own puzzle"
        )
    k = n_classes if n_classes is not None else declared
    for name, c in merge_map.items():
        if name not in CATEGORIES:
            raise ArtifactError(f"{where}: unknown category {name!r} (the categories: {', '.join(CATEGORIES)})")
        if not _whole(c):
            numbered = f", 0-{k - 1}" if k is not None else ""
            raise ArtifactError(
                f"{where}: {name} is placed in class {json.dumps(c)}: a class is a whole number{numbered}"
            )
        if n_classes is not None and not 0 <= c < n_classes:
            raise ArtifactError(
                f"{where}: {name} is placed in class {c}, "
                f"but the answer key has {n_classes} classes, numbered 0-{n_classes - 1}"
            )
    data_hash = obj.get("data_hash")
    if data_hash is not None and not (isinstance(data_hash, str) and DATA_HASH.fullmatch(data_hash)):
        raise ArtifactError(
            f"{where}: data_hash {json.dumps(data_hash)} is not the explore page's data hash (16 lowercase hex digits)"
        )
    evidence = evidence_from_json(obj.get("evidence"), merge_map, where, k)
    return Guess(dict(merge_map), declared, str(obj.get("kind") or KIND), data_hash, evidence)


def evidence_from_json(
    obj: Any, merge_map: dict[str, int], where: str = "guess", n_classes: int | None = None
) -> dict[str, CategoryEvidence]:
    """A guess file's ``evidence`` ({category: {rows, map, colouring, class_shares}}), checked: one entry per
    category the ``merge_map`` places, rows whole numbers ≥ 0 in ascending order under the splits train and test,
    and ``n_classes`` shares (when known) between 0 and 1. Absent (or null): no evidence."""
    if obj is None:
        return {}
    if not isinstance(obj, dict):
        raise ArtifactError(f"{where}: evidence must be an object {{category name: evidence}}, got {_kind(obj)}")
    out = {}
    for name, entry in obj.items():
        if name not in merge_map:
            known = "an unknown category" if name not in CATEGORIES else "a category the merge_map does not place"
            raise ArtifactError(f"{where}: evidence for {name!r}, {known}")
        out[name] = _category_evidence(entry, f"{where}: evidence for {name}", n_classes)
    return out


def _category_evidence(entry: Any, where: str, n_classes: int | None) -> CategoryEvidence:
    if not isinstance(entry, dict):
        raise ArtifactError(f"{where} must be an object with rows, map, colouring and class_shares, got {_kind(entry)}")
    missing = [key for key in ("rows", "map", "colouring", "class_shares") if key not in entry]
    if missing:
        raise ArtifactError(f"{where} has no {', '.join(missing)}")
    rows = entry["rows"]
    if not isinstance(rows, dict):
        raise ArtifactError(f"{where}: rows must be an object {{split: [row, ...]}}, got {_kind(rows)}")
    for split, named in rows.items():
        if split not in SPLITS:
            raise ArtifactError(f"{where}: rows of an unknown split {split!r} (the splits: {', '.join(SPLITS)})")
        if not isinstance(named, list) or not all(_whole(i) and i >= 0 for i in named):
            raise ArtifactError(f"{where}: {split} rows must be a list of whole numbers ≥ 0")
        if any(a >= b for a, b in zip(named, named[1:])):
            raise ArtifactError(f"{where}: {split} rows are not in ascending order (or one is named twice)")
    for key in ("map", "colouring"):
        if not isinstance(entry[key], str):
            raise ArtifactError(f"{where}: {key} must be a string, got {_kind(entry[key])}")
    shares = entry["class_shares"]
    if not isinstance(shares, list) or not all(_share(x) for x in shares):
        raise ArtifactError(f"{where}: class_shares must be a list of numbers between 0 and 1")
    if n_classes is not None and len(shares) != n_classes:
        raise ArtifactError(f"{where}: {len(shares)} class_shares for {n_classes} mystery classes")
    return CategoryEvidence(
        {s: tuple(rows[s]) for s in SPLITS if s in rows}, entry["map"], entry["colouring"], tuple(shares)
    )


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _share(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and 0 <= value <= 1


def _kind(value: Any) -> str:
    """A JSON value's type, in JSON's words."""
    names = {dict: "an object", list: "a list", str: "a string", bool: "true/false", type(None): "null"}
    return names.get(type(value), "a number")


def load(path: str | os.PathLike, n_classes: int | None = None) -> Guess:
    """A guess file (``guess.json``, or a saved ``fmtwist report --json``), checked as :func:`from_json` does."""
    return from_json(load_json(path, "guess file"), str(path), n_classes)


def save(path: str | os.PathLike, guess: Guess) -> Path:
    return save_json(path, guess.to_json())
