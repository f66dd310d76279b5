"""The train and export steps (``fmtwist train``/``export``, ``Workspace.train``/``export``): a network trained
on data.npz, saved as model-ARCH.keras with history-ARCH.json, and exported to model-ARCH.onnx."""

from __future__ import annotations

import os
from enum import Enum
from pathlib import Path
from typing import Any

from fmtwist_cli import artifacts
from fmtwist_cli.artifacts.layout import Labels, Layout
from fmtwist_cli.network import backends, models, training, trainingdata
from fmtwist_cli.network import checkpoint as keeping
from fmtwist_cli.network import export as exporting
from fmtwist_cli.network.config import TrainConfig
from fmtwist_cli.network.precision import Precision
from fmtwist_cli.params import choice
from fmtwist_cli.result import Log, Progress, Result, quiet, to_stderr


def _value(option: Any) -> Any:
    """An Enum option as its value (a str stays as it is, for TrainConfig to check)."""
    return option.value if isinstance(option, Enum) else option


def _path(option: str | os.PathLike | None) -> Path | None:
    return Path(option) if option is not None else None


def train(
    folder: str | os.PathLike = "artifacts",
    *,
    arch: models.Arch | str = models.DEFAULT_ARCH,
    labels: Labels | str = Labels.mystery,
    epochs: int | None = None,
    batch_size: int | None = None,
    validation_split: float = 0.2,
    optimizer: str | None = None,
    learning_rate: float | None = None,
    weight_decay: float | None = None,
    schedule: models.Schedule | str | None = None,
    steps_per_execution: int | None = None,
    flips: bool | None = None,
    loss: str = "categorical_crossentropy",
    seed: int | None = None,
    limit: int | None = None,
    data: str | os.PathLike | None = None,
    answer_key: str | os.PathLike | None = None,
    source: str | os.PathLike | None = None,
    summary: bool = False,
    backend: backends.Backend | str | None = None,
    device: backends.Device | str = backends.Device.auto,
    precision: Precision | str = Precision.auto,
    restart: bool = False,
    progress: Progress = quiet,
    log: Log = to_stderr,
) -> Result:
    """Train a network: FOLDER/model-ARCH.keras and FOLDER/history-ARCH.json.

    ``arch``: default, custom (the notebook's own) or fast; its recipe for the precision it trains in (fast's
    in bfloat16: batches of 512) gives the epochs, batch size, optimizer, learning rate, weight decay, schedule and
    flips left None (``flips``: a random half of each epoch's images mirrored left-right, and the test figures and
    the exported model's probs the mean over each image and its mirror image; fast's recipe has them).
    ``labels``: "mystery" (data.npz), or "original" for the reference classifier (model-ARCH-original.keras).
    ``limit``: only the first LIMIT images of each split.
    ``summary``: also return the layer table (``summary["layers"]``). ``backend``: tensorflow, jax or torch
    (default $KERAS_BACKEND, else tensorflow); ``device``: auto, cpu or gpu. ``precision``: float32, bfloat16
    (Keras' mixed bfloat16), or auto: bfloat16 on a CPU with AMX or AVX512-BF16, float32 elsewhere; the files are
    float32 either way. Each epoch is a progress task
    ("Epoch 1/15", in steps). At every epoch's end the run's state goes to FOLDER/checkpoint-ARCH.npz; a run
    with the same settings after a crash or Ctrl-C carries on from it (``restart``: starts over instead), and
    it is removed once the model is saved. Returns the model and its history (``artifact.model``,
    ``artifact.history``); ``summary`` is what ``fmtwist train --json`` prints.

        ws.train(arch="fast", epochs=8, seed=0)
    """
    config = TrainConfig(
        arch=_value(arch),
        labels=_value(labels),
        optimizer=optimizer,
        loss=loss,
        validation_split=validation_split,
        batch_size=batch_size,
        epochs=epochs,
        seed=seed,
        limit=limit,
        backend=_value(backend),
        device=_value(device),
        precision=_value(precision),
        learning_rate=learning_rate,
        weight_decay=weight_decay,
        schedule=_value(schedule),
        steps_per_execution=steps_per_execution,
        flips=flips,
    )
    config.check()
    files = Layout(folder)
    # before minutes of training, not after
    artifacts.check_writable(files.model(config.arch, config.labels), files.history(config.arch, config.labels))
    dataset = trainingdata.load_training_data(
        _path(data) or files.data, config.labels, _path(answer_key), _path(source)
    )
    checkpoint = files.checkpoint(config.arch, config.labels)
    result = training.train(dataset, config, progress, log, checkpoint=checkpoint, restart=restart)
    model_path, history_path = training.save(result, Path(folder))
    keeping.remove(checkpoint)
    history = result.history
    report: dict[str, Any] = {
        "arch": history["arch"],
        "labels": history["labels"],
        "n_classes": history["n_classes"],
        "n_params": history["n_params"],
        "epochs": len(history["epochs"]),
        "last_epoch": history["epochs"][-1],
        "test": history["test"],
        "train_seconds": history["train_seconds"],
        "resumed_at_epoch": result.resumed_at,
        "backend": history["backend"]["name"],
        "device": history["backend"]["device"],
        "written": [str(model_path), str(history_path)],
    }
    if summary:
        report["layers"] = models.layer_table(result.model)
    return Result(model_path, report, artifact=result, paths=[model_path, history_path])


def export(
    folder: str | os.PathLike = "artifacts",
    *,
    arch: str | None = None,
    labels: Labels | str = Labels.mystery,
    model: str | os.PathLike | None = None,
    out: str | os.PathLike | None = None,
    layer: str = models.DEFAULT_LAYER,
    data: str | os.PathLike | None = None,
    progress: Progress = quiet,
    log: Log = to_stderr,
) -> Result:
    """Export a trained model to ONNX: FOLDER/model-ARCH.onnx.

    ``model``: the .keras file; else FOLDER/model-ARCH.keras for ``arch``, else the model train wrote last
    (with ``labels="original"``, the newest model-*-original.keras). ``layer``: whose output is the
    'embedding' output (by default the Flatten layer, the notebook's encoding). The file is checked and
    compared with Keras on ``data``'s test images (default FOLDER/data.npz, else random images), and
    written only within :data:`~fmtwist_cli.network.export.TOLERANCE`. Returns the
    :class:`~fmtwist_cli.network.export.ExportResult`; ``summary`` is what ``fmtwist export --json`` prints.

        ws.export(layer="dense", out="artifacts/model-custom-dense.onnx")
    """
    labels = choice(Labels, labels, "labels")
    files, note = Layout(folder), None
    if model is not None:
        model_file = Path(model)
    elif arch is not None:
        model_file = files.model(_value(arch), labels)
    else:
        model_file, note = files.pick_model(".keras", labels, models.DEFAULT_ARCH)
    result = exporting.export(model_file, _path(out), layer, _path(data) or files.data)
    if note:
        log(note)
    summary = {
        "written": str(result.path),
        "arch": result.meta["arch"],
        "labels": result.meta["labels"],
        "n_classes": int(result.meta["n_classes"]),
        "layer": result.meta["layer"],
        "embedding_dim": result.embedding_dim,
        "sample": result.sample_source,
        "max_abs_diff": result.max_abs_diff,
        "diffs": result.diffs,
        "tolerance": exporting.TOLERANCE,
        "metadata": result.meta,
        "model": str(model_file),
    }
    return Result(result.path, summary, artifact=result, paths=[result.path])
