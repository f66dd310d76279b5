"""guess.json: a guess at the puzzle, which mystery class each category was merged into.

The explore page saves ``{"kind": "fmtwist-guess", "n_classes": 5, "merge_map": {category name: class}}``;
``fmtwist grade`` takes that, or any JSON object with a top-level ``merge_map`` (``fmtwist report --json``
made with a reference classifier). :class:`Guess` is the record both sides agree on, and :func:`from_json` the
one check of it (against the answer key's number of classes, when given).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fmtwist_cli.artifacts.atomic import load_json, save_json
from fmtwist_cli.data.twist import CATEGORIES
from fmtwist_cli.errors import ArtifactError

KIND = "fmtwist-guess"  # the "kind" entry the explore page writes
FILE = "guess.json"  # the name the explore page saves it under


@dataclass(frozen=True)
class Guess:
    """{category name: mystery class}, for the categories placed (a category left out is graded wrong), and
    the number of classes it was made for, when it says (``n_classes``)."""

    merge_map: dict[str, int] = field(default_factory=dict)
    n_classes: int | None = None
    kind: str = KIND

    def check(self, n_classes: int, where: str = "guess") -> Guess:
        """The guess, refused unless it fits a puzzle of ``n_classes`` mystery classes (:func:`from_json`)."""
        return from_json(self.to_json(), where, n_classes)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "n_classes": self.n_classes, "merge_map": dict(self.merge_map)}


def from_json(obj: Any, where: str = "guess", n_classes: int | None = None) -> Guess:
    """The guess in a JSON object, checked: a ``merge_map`` of known category names to whole numbers; with
    ``n_classes`` (the answer key's), also made for that many classes, each class one of 0..n_classes-1."""
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
    return Guess(dict(merge_map), declared, str(obj.get("kind") or KIND))


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def load(path: str | os.PathLike, n_classes: int | None = None) -> Guess:
    """A guess file (``guess.json``, or a saved ``fmtwist report --json``), checked as :func:`from_json` does."""
    return from_json(load_json(path, "guess file"), str(path), n_classes)


def save(path: str | os.PathLike, guess: Guess) -> Path:
    return save_json(path, guess.to_json())
