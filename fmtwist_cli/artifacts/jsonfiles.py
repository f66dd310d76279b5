"""The JSON artifacts: the answer key (twist.json) and the training histories.

Each is a JSON object whose ``kind`` entry names it; :class:`JsonKind` knows
that entry, how the file reads in a message and which command makes it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from fmtwist_cli import __version__
from fmtwist_cli.artifacts import layout
from fmtwist_cli.artifacts.atomic import check_readable, load_json, save_json
from fmtwist_cli.errors import ArtifactError


@dataclass(frozen=True)
class JsonKind:
    """One kind of JSON artifact."""

    kind: str  # the object's "kind" entry
    what: str  # how it reads in a message: "answer key"
    name: str  # its file name: "twist.json"
    made_by: str  # the command that makes it

    def load(self, path: str | os.PathLike) -> dict[str, Any]:
        """The object, refused unless it is one of this kind."""
        path = Path(path)
        check_readable(path, self.what, self.made_by)
        obj = load_json(path, self.what)
        if not isinstance(obj, dict) or obj.get("kind") != self.kind:
            raise ArtifactError(f"{path} is not an fmtwist {self.what} ({self.name} made by `{self.made_by}`)")
        return obj

    def save(self, path: str | os.PathLike, obj: dict[str, Any]) -> Path:
        return save_json(path, {"kind": self.kind, "fmtwist_version": __version__, **obj})


ANSWER_KEY = JsonKind("twist", "answer key", layout.ANSWER_KEY, "fmtwist prepare")
HISTORY = JsonKind("history", "training history", "history-<arch>.json", "fmtwist train")


# --------------------------------------------------------------------------
# the answer key


def encode_digits(labels: np.ndarray) -> str:
    """Category labels 0-9 as one string of digits: compact, still plain JSON."""
    return (np.asarray(labels, dtype=np.uint8) + ord("0")).tobytes().decode("ascii")


def _decode_digits(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("ascii"), dtype=np.uint8).astype(np.int64) - ord("0")


def save_answer_key(path: str | os.PathLike, key: dict[str, Any]) -> Path:
    """Write twist.json. ``original_labels`` maps each split to its images'
    categories (arrays, as :func:`load_answer_key` returns them), stored as digits."""
    originals = key.get("original_labels")
    if isinstance(originals, dict):
        encoded = {s: y if isinstance(y, str) else encode_digits(y) for s, y in originals.items()}
        key = {**key, "original_labels": encoded}
    return ANSWER_KEY.save(path, key)


def load_answer_key(path: str | os.PathLike) -> dict[str, Any]:
    """Load twist.json: the mapping and each image's original category."""
    path = Path(path)
    key = ANSWER_KEY.load(path)
    try:
        mapping = [int(c) for c in key["mapping_by_index"]]
        originals = {s: _decode_digits(key["original_labels"][s]) for s in ("train", "test")}
    except (KeyError, TypeError, ValueError, AttributeError):
        raise ArtifactError(f"{path}: answer key is incomplete (mapping or original labels missing)") from None
    if len(mapping) != 10 or any(o.size and (o.min() < 0 or o.max() > 9) for o in originals.values()):
        raise ArtifactError(f"{path}: answer key is malformed")
    key["mapping_by_index"] = mapping
    key["original_labels"] = originals
    return key


# --------------------------------------------------------------------------
# training history (history-<arch>.json)

HISTORY_KEYS = ("arch", "labels", "n_classes", "n_params", "params", "epochs", "test")


def load_history(path: str | os.PathLike) -> dict[str, Any]:
    """Load history-<arch>.json written by ``fmtwist train`` and check its shape."""
    path = Path(path)
    hist = HISTORY.load(path)
    missing = [k for k in HISTORY_KEYS if k not in hist]
    if missing:
        raise ArtifactError(f"{path}: training history has no {', '.join(missing)}")
    epochs = hist["epochs"]
    if not isinstance(epochs, list) or not all(isinstance(e, dict) and "loss" in e for e in epochs):
        raise ArtifactError(f"{path}: training history has malformed epochs")
    if not isinstance(hist["test"], dict) or "accuracy" not in hist["test"]:
        raise ArtifactError(f"{path}: training history has no test accuracy")
    return hist
