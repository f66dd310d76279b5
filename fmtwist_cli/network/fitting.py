"""What ``training.train`` hands Keras: the compiled optimizer and loss, the targets, the callback that reports
progress, and the one that makes Ctrl-C stop between batches."""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

import numpy as np

from fmtwist_cli.errors import FmtwistError
from fmtwist_cli.network import models
from fmtwist_cli.network.config import TrainConfig
from fmtwist_cli.result import Log, Progress

# Losses that take class indices; every other Keras loss gets one-hot targets.
SPARSE_LOSSES = ("sparse_categorical_crossentropy",)
# Steps between two readings of the running loss and accuracy during an epoch (and at its end).
METRICS_EVERY = 20
# How the running metrics read beside the bar and in each epoch's line.
SHORT_NAMES = (("loss", "loss"), ("accuracy", "acc"), ("val_loss", "val_loss"), ("val_accuracy", "val_acc"))


def metrics_text(logs: dict[str, float]) -> str:
    return "  ".join(f"{short} {logs[key]:.4f}" for key, short in SHORT_NAMES if key in logs)


def targets(y: np.ndarray, n_classes: int, loss: str) -> np.ndarray:
    if loss in SPARSE_LOSSES:
        return y
    return np.eye(n_classes, dtype=np.float32)[y]


def progress_callback(progress: Progress, log: Log, epochs: int, steps: int) -> Any:
    keras = models.import_keras()

    class ProgressCallback(keras.callbacks.Callback):
        """Reports each epoch as a task "Epoch i/n" of ``steps`` steps, and logs its line at its end.

        A report per execution (``steps_per_execution`` steps) carries the
        step count, and the metrics (``metrics``: as text; ``logs``: the
        numbers) only every ``METRICS_EVERY`` steps: reading them waits for the
        device. ``async_safe`` lets Keras call it from a worker thread where the
        backend allows it (JAX, PyTorch) instead of waiting for the device after
        every step; the lock keeps the reports in step order.
        """

        async_safe = True

        def __init__(self) -> None:
            super().__init__()
            self.started = 0.0
            self.task = ""
            self.seconds: list[float] = []
            self.lock = threading.Lock()
            self.step = 0
            self.next_metrics = 1

        def on_epoch_begin(self, epoch, logs=None):
            self.task = f"Epoch {epoch + 1}/{epochs}"
            self.started = time.perf_counter()
            self.step, self.next_metrics = 0, 1
            progress(0, steps, self.task)

        def on_train_batch_end(self, batch, logs=None):
            step = min(batch + 1, steps)  # the last execution of an epoch may run fewer steps
            with self.lock:
                if step <= self.step:
                    return
                self.step = step
                info = {}
                if step >= self.next_metrics:
                    numbers = _floats(logs)
                    info = {"metrics": metrics_text(numbers), "logs": numbers}
                    self.next_metrics = step + METRICS_EVERY
                progress(step, steps, self.task, **info)

        def on_epoch_end(self, epoch, logs=None):
            seconds = time.perf_counter() - self.started
            self.seconds.append(seconds)
            numbers = _floats(logs)
            text = f"{metrics_text(numbers)}  {seconds:.1f} s"
            progress(steps, steps, self.task, metrics=text, logs=numbers, seconds=seconds)
            log(f"{self.task}  {text}")

    return ProgressCallback()


def _floats(logs: dict | None) -> dict[str, float]:
    return {k: float(v) for k, v in (logs or {}).items()}


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
    if config.weight_decay is not None:
        settings["weight_decay"] = config.weight_decay
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
def interrupt_between_batches() -> Iterator[Any]:
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
