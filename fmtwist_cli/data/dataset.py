"""The twisted dataset: a source plus a twist gives data.npz and the answer key."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fmtwist_cli import artifacts
from fmtwist_cli.data import sources
from fmtwist_cli.data.twist import Twist


@dataclass
class Prepared:
    data: artifacts.Artifact
    answer_key: dict | None  # None when the source carries mystery labels already


def build(raw: sources.RawData, twist: Twist | None, seed: int | None = None) -> Prepared:
    """Apply the twist to a source with original categories (CSV has none)."""
    if raw.original:
        assert twist is not None
        y_train, y_test = twist.apply(raw.y_train), twist.apply(raw.y_test)
        n_classes, twist_name = twist.n_classes, twist.name
        key = twist.answer_key({"train": raw.y_train, "test": raw.y_test})
    else:
        y_train, y_test = raw.y_train, raw.y_test
        n_classes, twist_name, key = int(max(y_train.max(), y_test.max())) + 1, "given by the source", None
    data = artifacts.Artifact(
        "data",
        {"x_train": raw.x_train, "y_train": y_train, "x_test": raw.x_test, "y_test": y_test},
        artifacts.DataMeta(
            n_classes=n_classes,
            source=raw.description,
            twist=twist_name,
            has_answer_key=key is not None,
            provenance=artifacts.provenance({**raw.files, "twist": twist.path if twist else None}, seed),
        ).to_meta(),
    )
    return Prepared(data, key)


def balance(data: artifacts.Artifact) -> dict[str, list[int]]:
    """Images per mystery class, per split (the notebook's value_counts)."""
    k = data.record.n_classes
    return {s: np.bincount(data[f"y_{s}"], minlength=k).tolist() for s in ("train", "test")}


def save(prepared: Prepared, data_path: Path, key_path: Path) -> None:
    """Write data.npz, then the answer key (or remove a stale one)."""
    artifacts.save(prepared.data, data_path)
    if prepared.answer_key is not None:
        # The key records the data.npz it belongs to, so `train --labels original`
        # and `report --answer-key` can refuse a key of another puzzle.
        prov = prepared.data.record.provenance or artifacts.provenance({})
        prov = {**prov, "inputs": {**prov["inputs"], "data": artifacts.input_entry(data_path)}}
        artifacts.save_answer_key(key_path, {**prepared.answer_key, "provenance": prov})
    else:
        key_path.unlink(missing_ok=True)
