"""Training a network on the mystery labels (or the original categories), as
the reference notebook trained it: Adam, categorical cross-entropy, the last
20 % of the training images held out for validation, batches of 128, 15 epochs
(:class:`~fmtwist_cli.network.config.TrainConfig`); and saving the model with
its history.

Progress goes to a :class:`fmtwist_cli.result.Progress` (each epoch a task,
"Epoch 1/15", counted in steps) and the lines for the person watching to a
:data:`fmtwist_cli.result.Log`, so the library works without Rich; the
``train`` command draws the bars.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from fmtwist_cli import __version__, artifacts
from fmtwist_cli.artifacts import layout
from fmtwist_cli.errors import DataError, FmtwistError
from fmtwist_cli.network import backends, feeding, fitting, models, precision
from fmtwist_cli.network import checkpoint as keeping
from fmtwist_cli.network.config import TrainConfig
from fmtwist_cli.network.modelfiles import save_model
from fmtwist_cli.network.trainingdata import TrainingData, scale
from fmtwist_cli.result import Log, Progress, quiet


def _silent(line: str) -> None:
    """No lines: the :data:`~fmtwist_cli.result.Log` of a library call nobody watches."""


@dataclass
class TrainResult:
    model: Any
    history: dict[str, Any]
    resumed_at: int | None = None  # the epoch of the interrupted run it carried on, if any


def train(
    data: TrainingData,
    config: TrainConfig,
    progress: Progress = quiet,
    log: Log = _silent,
    checkpoint: Path | None = None,
    restart: bool = False,
) -> TrainResult:
    """Build, compile and fit the model; evaluate it on the test split.

    ``log`` gets the device it trains on (once the data passed its checks, so a refusal stays one line),
    each epoch's line ("Epoch 1/15  loss ... 4.2 s") and the evaluation's. With ``checkpoint`` (a path) the
    run's state is written there at every epoch's end, and a checkpoint found there of the same settings is
    carried on (``restart``: started over instead; see :mod:`~fmtwist_cli.network.checkpoint`)."""
    config.check()
    if config.labels != data.labels:
        raise FmtwistError(f"the data carries {data.labels} labels but the config asks for {config.labels}")
    x_train, y_train, x_test, y_test = data.x_train, data.y_train, data.x_test, data.y_test
    if config.limit is not None:
        x_train, y_train = x_train[: config.limit], y_train[: config.limit]
        x_test, y_test = x_test[: config.limit], y_test[: config.limit]
    n_fit = int(len(x_train) * (1.0 - config.validation_split))  # Keras holds out the tail
    if n_fit < 1 or len(x_test) < 1:
        raise DataError(f"too few images to train on ({len(x_train)} training, {len(x_test)} test)")
    runtime = backends.activate(config.backend, config.device)
    config = config.in_precision(precision.resolve(config.precision, runtime.device))
    mixed = ", mixed bfloat16" if config.precision == precision.Precision.bfloat16 else ""
    log(f"Training on {runtime.device} ({runtime.backend.value} backend{mixed})")
    settings = keeping.settings(config, runtime, x_train, y_train, data.n_classes)
    state = keeping.resume(checkpoint, settings, config.seed, restart, log)
    resumed_at = state.epoch if state.variables else None
    backends.seed_everything(config.seed, runtime.backend)
    steps = math.ceil(n_fit / config.batch_size)
    reporter = fitting.progress_callback(progress, log, config.epochs, steps)
    feed = _feed(runtime.backend, config, data.n_classes)
    epoch_feed = feeding.epoch_batches(
        x_train[:n_fit],
        fitting.targets(y_train[:n_fit], data.n_classes, config.loss),
        config.batch_size,
        runtime.backend,
    )
    validation = feeding.validation_data(feed(x_train[n_fit:], y_train[n_fit:])) if n_fit < len(x_train) else None
    with runtime.scope(), fitting.interrupt_between_batches() as stopper:
        model = precision.build(lambda: models.build(config.arch, data.n_classes), config.precision)
        fitting.compile_model(model, config, steps)
        if resumed_at is not None:
            keeping.restore(model, state, checkpoint)
        keeper = keeping.keeper(state, checkpoint, reporter.seconds, resumed=resumed_at is not None)
        # One fit per epoch, each fed its own order: an epoch's batches depend on (seed, epoch) alone
        for epoch in range(state.epoch, config.epochs):
            order = keeping.epoch_order(state.shuffle_seed, epoch, n_fit)
            mirror = keeping.epoch_mirrors(state.shuffle_seed, epoch, n_fit) if config.flips else None
            model.fit(
                **feeding.fit_args(epoch_feed(order, mirror)),
                validation_data=validation,
                initial_epoch=epoch,
                epochs=epoch + 1,
                callbacks=[reporter, keeper, stopper],
                verbose=0,
            )
        train_seconds = keeper.elapsed()
        model = precision.as_float32(  # the file's kind, before the test: its figures are the file's (embed's)
            model,
            lambda: models.build(config.arch, data.n_classes),
            lambda plain: fitting.compile_model(plain, config, steps),
        )
        judged, how = model, ""
        if config.flips:  # judged as the exported model will predict
            judged, how = models.mirror_averaged(model), ", each averaged with its mirror image"
            fitting.compile_model(judged, config, steps)
        log(f"Evaluating on {len(x_test)} test images{how}")
        test = judged.evaluate(
            **feeding.fit_args(feed(x_test, y_test), fitting=False), verbose=0, return_dict=True, callbacks=[stopper]
        )
    record = {"train_images": n_fit, "validation_images": len(x_train) - n_fit, "test_images": len(x_test)}
    run = {
        "epochs": state.history,
        "train_seconds": round(train_seconds, 3),
        "test": {"loss": float(test["loss"]), "accuracy": float(test["accuracy"])},
    }
    history = _history(data, config, runtime, model, record, run)
    return TrainResult(model, history, resumed_at)


def _history(
    data: TrainingData,
    config: TrainConfig,
    runtime: backends.Runtime,
    model: Any,
    images: dict[str, int],
    run: dict[str, Any],
) -> dict[str, Any]:
    """The history file: the run's settings, backend and data, then ``run`` (its epochs, time and test figures)."""
    return {
        "kind": "history",
        "arch": config.arch,
        "labels": data.labels,
        "n_classes": data.n_classes,
        "n_params": int(model.count_params()),
        "params": asdict(config) | {"backend": runtime.backend.value} | images,
        "backend": runtime.record() | {"precision": config.precision},  # what it ran on, and in
        "data": data.description,
        **run,
        "fmtwist_version": __version__,
        "provenance": artifacts.provenance(data.inputs, config.seed)
        | {"training": runtime.record() | {"precision": config.precision}},  # the same as "backend"
    }


def _feed(backend: backends.Backend, config: TrainConfig, n_classes: int) -> Callable[..., Any]:
    """images, labels -> what fit/evaluate take on this backend (scaled images, targets, batches)."""

    def feed(images: np.ndarray, labels: np.ndarray, shuffle: bool = False) -> Any:
        return feeding.batches(
            scale(images), fitting.targets(labels, n_classes, config.loss), config.batch_size, backend, shuffle
        )

    return feed


# --------------------------------------------------------------------------
# saving


def save_history(history: dict[str, Any], path: Path) -> Path:
    return artifacts.save_json(path, history)


def save(result: TrainResult, artifacts_dir: Path) -> tuple[Path, Path]:
    """Write model-<arch>.keras and history-<arch>.json (which records the
    model's SHA-256, so export can tell it describes this very model)."""
    arch, labels = result.history["arch"], result.history["labels"]
    files = layout.Layout(artifacts_dir)
    mpath = save_model(result.model, files.model(arch, labels))
    result.history["keras_model"] = artifacts.input_entry(mpath)
    hpath = save_history(result.history, files.history(arch, labels))
    return mpath, hpath
