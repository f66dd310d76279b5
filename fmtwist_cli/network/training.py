"""Training a network on the mystery labels (or the original categories), as
the reference notebook trained it: Adam, categorical cross-entropy, the last
20 % of the training images held out for validation, batches of 128, 15 epochs.

Progress is reported to a plain callable (``progress(event)``, a dict), so the
library works without Rich; the ``train`` command draws the bars.
"""

from __future__ import annotations

import contextlib
import math
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from fmtwist_cli import __version__, artifacts
from fmtwist_cli.artifacts import layout
from fmtwist_cli.errors import DataError, FmtwistError
from fmtwist_cli.network import backends, models
from fmtwist_cli.network.modelfiles import save_model
from fmtwist_cli.network.trainingdata import LABELS, TrainingData, scale

# Losses that take class indices; every other Keras loss gets one-hot targets.
SPARSE_LOSSES = ("sparse_categorical_crossentropy",)

Progress = Callable[[dict[str, Any]], None]


@dataclass
class TrainConfig:
    """The notebook's settings are the defaults.

    Epochs, batch size, optimizer, learning rate, its schedule and the steps
    per execution left as None come from the architecture's recipe
    (``models.recipe``); the recipe's learning rate goes with its optimizer.
    """

    arch: str = models.DEFAULT_ARCH
    labels: str = "mystery"
    optimizer: str | None = None
    loss: str = "categorical_crossentropy"
    validation_split: float = 0.2
    batch_size: int | None = None
    epochs: int | None = None
    seed: int | None = None
    limit: int | None = None  # use only the first LIMIT images of each split (quick runs)
    backend: str | None = None  # tensorflow, jax or torch; None: backends.default_backend()
    device: str = "auto"  # auto, cpu or gpu (backends.Device)
    learning_rate: float | None = None
    schedule: str | None = None  # models.Schedule
    steps_per_execution: int | None = None

    def __post_init__(self) -> None:
        recipe = models.recipe(self.arch)
        if self.learning_rate is None and self.optimizer in (None, recipe.optimizer):
            self.learning_rate = recipe.learning_rate
        self.optimizer = recipe.optimizer if self.optimizer is None else self.optimizer
        self.batch_size = recipe.batch_size if self.batch_size is None else self.batch_size
        self.epochs = recipe.epochs if self.epochs is None else self.epochs
        self.schedule = recipe.schedule.value if self.schedule is None else self.schedule
        if self.steps_per_execution is None:
            # Keras runs PyTorch one step per call: the recipe's batching of steps applies elsewhere only
            self.steps_per_execution = 1 if self.on_torch else recipe.steps_per_execution

    @property
    def on_torch(self) -> bool:
        return (self.backend or backends.default_backend()) == backends.Backend.torch

    def check(self) -> None:
        if self.arch not in models.ARCHITECTURES:
            raise FmtwistError(f"unknown architecture '{self.arch}'; choose one of: {', '.join(models.ARCHITECTURES)}")
        if self.labels not in LABELS:
            raise FmtwistError(f"--labels must be one of: {', '.join(LABELS)} (got '{self.labels}')")
        if self.epochs < 1:
            raise FmtwistError(f"--epochs must be at least 1 (got {self.epochs})")
        if self.batch_size < 1:
            raise FmtwistError(f"--batch-size must be at least 1 (got {self.batch_size})")
        if not 0.0 <= self.validation_split < 1.0:
            raise FmtwistError(f"--validation-split must be in [0, 1) (got {self.validation_split})")
        if self.limit is not None and self.limit < 2:
            raise FmtwistError(f"--limit must be at least 2 (got {self.limit})")
        if self.learning_rate is not None and not self.learning_rate > 0:
            raise FmtwistError(f"--learning-rate must be above 0 (got {self.learning_rate})")
        if self.schedule not in {s.value for s in models.Schedule}:
            raise FmtwistError(
                f"--schedule must be one of: {', '.join(s.value for s in models.Schedule)} (got '{self.schedule}')"
            )
        if self.steps_per_execution < 1:
            raise FmtwistError(f"--steps-per-execution must be at least 1 (got {self.steps_per_execution})")
        if self.steps_per_execution > 1 and self.on_torch:
            raise FmtwistError(
                "--steps-per-execution must be 1 with the torch backend (Keras runs PyTorch step by step)"
            )
        for name, value, enum in (
            ("backend", self.backend, backends.Backend),
            ("device", self.device, backends.Device),
        ):
            if value is not None and value not in {e.value for e in enum}:
                raise FmtwistError(f"--{name} must be one of: {', '.join(e.value for e in enum)} (got '{value}')")


@dataclass
class TrainResult:
    model: Any
    history: dict[str, Any]


# --------------------------------------------------------------------------
# training


# Steps between two readings of the running loss and accuracy during an epoch (and at its end).
METRICS_EVERY = 20


def _progress_callback(progress: Progress, epochs: int, steps: int) -> Any:
    keras = models.import_keras()

    class ProgressCallback(keras.callbacks.Callback):
        """Turns Keras' hooks into plain events for ``progress``.

        A "batch" event (one per execution: ``steps_per_execution`` steps)
        carries the step count, and the metrics only every ``METRICS_EVERY``
        steps: reading them waits for the device. ``async_safe`` lets Keras
        call it from a worker thread where the backend allows it (JAX, PyTorch)
        instead of waiting for the device after every step; the lock keeps the
        events in step order.
        """

        async_safe = True

        def __init__(self) -> None:
            super().__init__()
            self.started = 0.0
            self.epoch = 0
            self.seconds: list[float] = []
            self.lock = threading.Lock()
            self.step = 0
            self.next_metrics = 1

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch + 1
            self.started = time.perf_counter()
            self.step, self.next_metrics = 0, 1
            progress({"event": "epoch_begin", "epoch": self.epoch, "epochs": epochs, "steps": steps})

        def on_train_batch_end(self, batch, logs=None):
            step = min(batch + 1, steps)  # the last execution of an epoch may run fewer steps
            with self.lock:
                if step <= self.step:
                    return
                self.step = step
                event = {"event": "batch", "epoch": self.epoch, "epochs": epochs, "step": step, "steps": steps}
                if step >= self.next_metrics:
                    event["logs"] = _floats(logs)
                    self.next_metrics = step + METRICS_EVERY
                progress(event)

        def on_epoch_end(self, epoch, logs=None):
            seconds = time.perf_counter() - self.started
            self.seconds.append(seconds)
            progress(
                {
                    "event": "epoch_end",
                    "epoch": self.epoch,
                    "epochs": epochs,
                    "steps": steps,
                    "logs": _floats(logs),
                    "seconds": seconds,
                }
            )

    return ProgressCallback()


def _floats(logs: dict | None) -> dict[str, float]:
    return {k: float(v) for k, v in (logs or {}).items()}


def _targets(y: np.ndarray, n_classes: int, loss: str) -> np.ndarray:
    if loss in SPARSE_LOSSES:
        return y
    return np.eye(n_classes, dtype=np.float32)[y]


def compile_model(model: Any, config: TrainConfig, steps_per_epoch: int = 1) -> None:
    keras = models.import_keras()
    try:
        optimizer = keras.optimizers.get(config.optimizer)
    except ValueError:
        raise FmtwistError(f"unknown optimizer '{config.optimizer}' (try adam, sgd, rmsprop, adamw, nadam)") from None
    # Named explicitly: Keras would call a second one in the process "adam_1",
    # and the name goes into the saved weights.
    settings = {**optimizer.get_config(), "name": type(optimizer).__name__.lower()}
    if config.learning_rate is not None or config.schedule != models.Schedule.constant.value:
        settings["learning_rate"] = learning_rate(
            config, steps_per_epoch, float(optimizer.get_config()["learning_rate"])
        )
    optimizer = type(optimizer).from_config(settings)
    try:
        keras.losses.get(config.loss)
    except ValueError:
        raise FmtwistError(f"unknown loss '{config.loss}' (try categorical_crossentropy)") from None
    model.compile(
        optimizer=optimizer, loss=config.loss, metrics=["accuracy"], steps_per_execution=config.steps_per_execution
    )


def learning_rate(config: TrainConfig, steps_per_epoch: int, default: float) -> Any:
    """The learning rate (``default``: the optimizer's own) or its schedule over ``config.epochs``."""
    rate = config.learning_rate if config.learning_rate is not None else default
    if config.schedule == models.Schedule.constant.value:
        return rate
    keras = models.import_keras()
    total = config.epochs * steps_per_epoch
    warmup = min(max(1, steps_per_epoch // 2), total - 1)
    return keras.optimizers.schedules.CosineDecay(
        rate / 10, max(1, total - warmup), alpha=0.0, warmup_target=rate, warmup_steps=warmup
    )


@contextlib.contextmanager
def _interrupt_between_batches() -> Iterator[Any]:
    """Make Ctrl-C stop Keras reliably: yield a callback for fit/evaluate.

    A KeyboardInterrupt that arrives while TensorFlow runs a step can be lost
    inside its C++ code, and training goes on (about one Ctrl-C in fifteen).
    So while this is active the first Ctrl-C only raises a flag, which the
    callback turns into KeyboardInterrupt before the next batch (or at the end
    of the epoch, or of this block); a second Ctrl-C interrupts at once. It
    looks at batch starts, not ends: a batch-end hook would make Keras wait
    for the device after every step. Where Python's
    own handler is not the one in place (another thread, SIGINT ignored),
    nothing changes.
    """
    keras = models.import_keras()
    pressed = threading.Event()

    class StopOnInterrupt(keras.callbacks.Callback):
        def _stop_if_pressed(self, *args: Any, **kwargs: Any) -> None:
            if pressed.is_set():
                raise KeyboardInterrupt

        on_train_batch_begin = on_test_batch_begin = on_epoch_end = _stop_if_pressed

    def handler(signum: int, frame: Any) -> None:
        if pressed.is_set():
            raise KeyboardInterrupt
        pressed.set()

    ours = (
        threading.current_thread() is threading.main_thread()
        and signal.getsignal(signal.SIGINT) is signal.default_int_handler
    )
    if ours:
        signal.signal(signal.SIGINT, handler)
    try:
        yield StopOnInterrupt()
    finally:
        if ours:
            signal.signal(signal.SIGINT, signal.default_int_handler)
    if pressed.is_set():
        raise KeyboardInterrupt


def train(data: TrainingData, config: TrainConfig, progress: Progress | None = None) -> TrainResult:
    """Build, compile and fit the model; evaluate it on the test split."""
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
    if progress:
        progress({"event": "start", "device": runtime.device, "backend": runtime.backend.value})
    backends.seed_everything(config.seed, runtime.backend)
    steps = math.ceil(n_fit / config.batch_size)
    callbacks = [_progress_callback(progress, config.epochs, steps)] if progress else []
    feed = _feed(runtime.backend, config, data.n_classes)
    with runtime.scope(), _interrupt_between_batches() as stopper:
        model = models.build(config.arch, data.n_classes)
        compile_model(model, config, steps)
        started = time.perf_counter()
        fit = model.fit(
            **backends.fit_args(feed(x_train[:n_fit], y_train[:n_fit], shuffle=True)),
            validation_data=backends.validation_data(feed(x_train[n_fit:], y_train[n_fit:]))
            if n_fit < len(x_train)
            else None,
            epochs=config.epochs,
            callbacks=[*callbacks, stopper],
            verbose=0,
        )
        train_seconds = time.perf_counter() - started
        seconds = callbacks[0].seconds if callbacks else [train_seconds / config.epochs] * config.epochs
        if progress:
            progress({"event": "test_begin", "images": len(x_test)})
        test = model.evaluate(
            **backends.fit_args(feed(x_test, y_test), fitting=False), verbose=0, return_dict=True, callbacks=[stopper]
        )
    epochs = []
    for i in range(config.epochs):
        row: dict[str, Any] = {"epoch": i + 1}
        row.update({k: float(v[i]) for k, v in fit.history.items()})
        row["seconds"] = round(float(seconds[i]), 3)
        epochs.append(row)
    history = {
        "kind": "history",
        "arch": config.arch,
        "labels": data.labels,
        "n_classes": data.n_classes,
        "n_params": int(model.count_params()),
        "params": asdict(config)
        | {
            "backend": runtime.backend.value,
            "train_images": n_fit,
            "validation_images": len(x_train) - n_fit,
            "test_images": len(x_test),
        },
        "backend": runtime.record(),
        "data": data.description,
        "epochs": epochs,
        "train_seconds": round(train_seconds, 3),
        "test": {"loss": float(test["loss"]), "accuracy": float(test["accuracy"])},
        "fmtwist_version": __version__,
        "provenance": artifacts.provenance(data.inputs, config.seed) | {"training": runtime.record()},
    }
    return TrainResult(model, history)


def _feed(backend: backends.Backend, config: TrainConfig, n_classes: int) -> Callable[..., Any]:
    """images, labels -> what fit/evaluate take on this backend (scaled images, targets, batches)."""

    def feed(images: np.ndarray, labels: np.ndarray, shuffle: bool = False) -> Any:
        return backends.batches(
            scale(images), _targets(labels, n_classes, config.loss), config.batch_size, backend, shuffle
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
