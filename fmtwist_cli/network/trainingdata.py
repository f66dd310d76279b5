"""What a network trains on: images and labels from data.npz, with the mystery labels or the 10 original
categories (from the answer key, else the official files, found as ``fmtwist prepare`` finds them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from fmtwist_cli import artifacts
from fmtwist_cli.artifacts import layout
from fmtwist_cli.errors import ArtifactError, DataError, ParameterError
from fmtwist_cli.network import models
from fmtwist_cli.params import choice


@dataclass
class TrainingData:
    x_train: np.ndarray  # uint8 N x 28 x 28
    y_train: np.ndarray  # int64 class indices
    x_test: np.ndarray
    y_test: np.ndarray
    n_classes: int
    labels: str  # "mystery" or "original"
    description: str
    inputs: dict[str, Path] = field(default_factory=dict)  # files read, by role: provenance


def load_training_data(
    data_path: Path,
    labels: layout.Labels | str = layout.Labels.mystery,
    answer_key: Path | None = None,
    source: Path | None = None,
) -> TrainingData:
    """Images and labels to train on.

    Mystery labels come from data.npz. Original categories come from the
    answer key beside it (twist.json, written by ``fmtwist prepare``) or, with
    ``source``, from an official Fashion-MNIST source (its own images). Data
    with no answer key (made from the course's CSV files, whose labels are
    mystery already) gets the official files, found as ``fmtwist prepare`` finds them.
    """
    labels = choice(layout.Labels, labels, "labels").value
    if source is not None and labels != "original":
        raise ParameterError("{} is for {} original (mystery labels come from data.npz)", "source", "labels")
    if labels == "original" and source is not None:
        return _official(source)
    data = artifacts.load(data_path, "data")
    x_train, x_test = data["x_train"], data["x_test"]
    if labels == "mystery":
        return TrainingData(
            x_train,
            data["y_train"],
            x_test,
            data["y_test"],
            int(data.meta["n_classes"]),
            "mystery",
            str(data_path),
            {"data": Path(data_path)},
        )
    key_path = answer_key if answer_key is not None else Path(data_path).with_name(layout.ANSWER_KEY)
    if not key_path.exists() and answer_key is None:
        return _official(None)
    if not key_path.exists():
        raise ArtifactError(
            f"answer key not found: {key_path} (--labels original needs the twist.json written by `fmtwist prepare`, "
            "or --source with the official files)"
        )
    key = artifacts.load_answer_key(key_path)
    y_train, y_test = key["original_labels"]["train"], key["original_labels"]["test"]
    if len(y_train) != len(x_train) or len(y_test) != len(x_test):
        raise ArtifactError(
            f"{key_path} does not belong to {data_path}: its label counts differ from the images "
            "(run `fmtwist prepare` again)"
        )
    artifacts.check_made_from(
        (key_path, key), "data", data_path, "pass the twist.json written with it, or run `fmtwist prepare` again"
    )
    return TrainingData(
        x_train,
        y_train,
        x_test,
        y_test,
        10,
        "original",
        f"{data_path} + {key_path}",
        {"data": Path(data_path), "answer_key": Path(key_path)},
    )


def _official(source: Path | None) -> TrainingData:
    """The 10 original categories from an official source; None: where ``fmtwist prepare`` looks (or downloads)."""
    from fmtwist_cli.data import sources

    raw = sources.load_source(source)
    if not raw.original:
        raise DataError(
            f"{source}: holds mystery labels only; --labels original needs an official Fashion-MNIST source "
            "(IDX files or .npz)"
        )
    return TrainingData(
        raw.x_train,
        raw.y_train.astype(np.int64),
        raw.x_test,
        raw.y_test.astype(np.int64),
        10,
        "original",
        raw.description,
        raw.files,
    )


def scale(images: Any, xp: Any = np) -> Any:
    """uint8 N x 28 x 28 -> float32 N x 28 x 28 x 1 in [0, 1]. ``xp``: the array library, NumPy or, for a batch
    inside a tf.data pipeline, ``tensorflow.experimental.numpy`` (the same float32 product, to the bit)."""
    return (xp.asarray(images, dtype=xp.float32) * np.float32(models.INPUT_SCALE))[..., np.newaxis]
