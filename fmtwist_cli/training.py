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
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

from fmtwist_cli import __version__, artifacts, models
from fmtwist_cli.errors import ArtifactError, DataError, FmtwistError

LABELS = ("mystery", "original")
# Losses that take class indices; every other Keras loss gets one-hot targets.
SPARSE_LOSSES = ("sparse_categorical_crossentropy",)

Progress = Callable[[dict[str, Any]], None]


@dataclass
class TrainConfig:
    """The notebook's settings are the defaults."""

    arch: str = models.DEFAULT_ARCH
    labels: str = "mystery"
    optimizer: str = "adam"
    loss: str = "categorical_crossentropy"
    validation_split: float = 0.2
    batch_size: int = 128
    epochs: int = 15
    seed: int | None = None
    limit: int | None = None  # use only the first LIMIT images of each split (quick runs)

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


@dataclass
class TrainResult:
    model: Any
    history: dict[str, Any]


# --------------------------------------------------------------------------
# file names


def suffix(arch: str, labels: str = "mystery") -> str:
    return arch if labels == "mystery" else f"{arch}-{labels}"


def model_path(artifacts_dir: Path, arch: str = models.DEFAULT_ARCH, labels: str = "mystery") -> Path:
    return Path(artifacts_dir) / f"model-{suffix(arch, labels)}.keras"


def history_path(artifacts_dir: Path, arch: str = models.DEFAULT_ARCH, labels: str = "mystery") -> Path:
    return Path(artifacts_dir) / f"history-{suffix(arch, labels)}.json"


def history_path_for(model_file: Path) -> Path:
    """history-X.json beside model-X.keras."""
    stem = model_file.stem
    name = stem[len("model-"):] if stem.startswith("model-") else stem
    return model_file.with_name(f"history-{name}.json")


def train_command(arch: str, labels: str) -> str:
    return f"fmtwist train --arch {arch}" + (" --labels original" if labels == "original" else "")


# --------------------------------------------------------------------------
# data


def load_training_data(data_path: Path, labels: str = "mystery", answer_key: Path | None = None, source: Path | None = None) -> TrainingData:
    """Images and labels to train on.

    Mystery labels come from data.npz. Original categories come from the
    answer key beside it (twist.json, written by ``fmtwist prepare``) or, with
    ``source``, from an official Fashion-MNIST source (its own images).
    """
    if labels not in LABELS:
        raise FmtwistError(f"--labels must be one of: {', '.join(LABELS)} (got '{labels}')")
    if source is not None and labels != "original":
        raise FmtwistError("--source is for --labels original (mystery labels come from data.npz)")
    if labels == "original" and source is not None:
        from fmtwist_cli import sources

        raw = sources.load_source(source)
        if not raw.original:
            raise DataError(f"{source}: holds mystery labels only; --labels original needs an official Fashion-MNIST source (IDX files or .npz)")
        return TrainingData(raw.x_train, raw.y_train.astype(np.int64), raw.x_test, raw.y_test.astype(np.int64), 10, "original", raw.description, raw.files)
    data = artifacts.load(data_path, "data")
    x_train, x_test = data["x_train"], data["x_test"]
    if labels == "mystery":
        return TrainingData(x_train, data["y_train"], x_test, data["y_test"], int(data.meta["n_classes"]), "mystery", str(data_path), {"data": Path(data_path)})
    key_path = answer_key if answer_key is not None else Path(data_path).with_name("twist.json")
    if not key_path.exists():
        raise ArtifactError(
            f"answer key not found: {key_path} (--labels original needs the twist.json written by `fmtwist prepare`, or --source with the official files)"
        )
    key = artifacts.load_answer_key(key_path)
    y_train, y_test = key["original_labels"]["train"], key["original_labels"]["test"]
    if len(y_train) != len(x_train) or len(y_test) != len(x_test):
        raise ArtifactError(f"{key_path} does not belong to {data_path}: its label counts differ from the images (run `fmtwist prepare` again)")
    artifacts.check_made_from((key_path, key), "data", data_path, "pass the twist.json written with it, or run `fmtwist prepare` again")
    return TrainingData(x_train, y_train, x_test, y_test, 10, "original", f"{data_path} + {key_path}", {"data": Path(data_path), "answer_key": Path(key_path)})


def scale(images: np.ndarray) -> np.ndarray:
    """uint8 N x 28 x 28 -> float32 N x 28 x 28 x 1 in [0, 1]."""
    return (np.asarray(images, dtype=np.float32) * np.float32(models.INPUT_SCALE))[..., np.newaxis]


# --------------------------------------------------------------------------
# training


def seed_everything(seed: int | None) -> None:
    """Same seed, same weights: seed Python, NumPy and TensorFlow, and make
    TensorFlow's kernels deterministic (irreversible for this process)."""
    if seed is None:
        return
    keras = models.import_keras()
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def _progress_callback(progress: Progress, epochs: int, steps: int) -> Any:
    keras = models.import_keras()

    class ProgressCallback(keras.callbacks.Callback):
        """Turns Keras' hooks into plain events for ``progress``."""

        def __init__(self) -> None:
            super().__init__()
            self.started = 0.0
            self.epoch = 0
            self.seconds: list[float] = []

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch + 1
            self.started = time.perf_counter()
            progress({"event": "epoch_begin", "epoch": self.epoch, "epochs": epochs, "steps": steps})

        def on_train_batch_end(self, batch, logs=None):
            progress({"event": "batch", "epoch": self.epoch, "epochs": epochs, "step": batch + 1, "steps": steps, "logs": _floats(logs)})

        def on_epoch_end(self, epoch, logs=None):
            seconds = time.perf_counter() - self.started
            self.seconds.append(seconds)
            progress({"event": "epoch_end", "epoch": self.epoch, "epochs": epochs, "steps": steps, "logs": _floats(logs), "seconds": seconds})

    return ProgressCallback()


def _floats(logs: dict | None) -> dict[str, float]:
    return {k: float(v) for k, v in (logs or {}).items()}


def _targets(y: np.ndarray, n_classes: int, loss: str) -> np.ndarray:
    if loss in SPARSE_LOSSES:
        return y
    return np.eye(n_classes, dtype=np.float32)[y]


def compile_model(model: Any, config: TrainConfig) -> None:
    keras = models.import_keras()
    try:
        optimizer = keras.optimizers.get(config.optimizer)
    except ValueError:
        raise FmtwistError(f"unknown optimizer '{config.optimizer}' (try adam, sgd, rmsprop, adamw, nadam)") from None
    # Named explicitly: Keras would call a second one in the process "adam_1",
    # and the name goes into the saved weights.
    optimizer = type(optimizer).from_config({**optimizer.get_config(), "name": type(optimizer).__name__.lower()})
    try:
        keras.losses.get(config.loss)
    except ValueError:
        raise FmtwistError(f"unknown loss '{config.loss}' (try categorical_crossentropy)") from None
    model.compile(optimizer=optimizer, loss=config.loss, metrics=["accuracy"])


@contextlib.contextmanager
def _interrupt_between_batches() -> Iterator[Any]:
    """Make Ctrl-C stop Keras reliably: yield a callback for fit/evaluate.

    A KeyboardInterrupt that arrives while TensorFlow runs a step can be lost
    inside its C++ code, and training goes on (about one Ctrl-C in fifteen).
    So while this is active the first Ctrl-C only raises a flag, which the
    callback turns into KeyboardInterrupt at the end of the batch (or this
    block, on leaving); a second Ctrl-C interrupts at once. Where Python's
    own handler is not the one in place (another thread, SIGINT ignored),
    nothing changes.
    """
    keras = models.import_keras()
    pressed = threading.Event()

    class StopOnInterrupt(keras.callbacks.Callback):
        def _stop_if_pressed(self, *args: Any, **kwargs: Any) -> None:
            if pressed.is_set():
                raise KeyboardInterrupt

        on_train_batch_end = on_test_batch_end = on_epoch_end = _stop_if_pressed

    def handler(signum: int, frame: Any) -> None:
        if pressed.is_set():
            raise KeyboardInterrupt
        pressed.set()

    ours = threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGINT) is signal.default_int_handler
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
    seed_everything(config.seed)
    model = models.build(config.arch, data.n_classes)
    compile_model(model, config)
    steps = math.ceil(n_fit / config.batch_size)
    callbacks = [_progress_callback(progress, config.epochs, steps)] if progress else []
    with _interrupt_between_batches() as stopper:
        started = time.perf_counter()
        fit = model.fit(
            scale(x_train),
            _targets(y_train, data.n_classes, config.loss),
            batch_size=config.batch_size,
            epochs=config.epochs,
            validation_split=config.validation_split,
            callbacks=[*callbacks, stopper],
            verbose=0,
        )
        train_seconds = time.perf_counter() - started
        seconds = callbacks[0].seconds if callbacks else [train_seconds / config.epochs] * config.epochs
        if progress:
            progress({"event": "test_begin", "images": len(x_test)})
        test = model.evaluate(
            scale(x_test), _targets(y_test, data.n_classes, config.loss), batch_size=config.batch_size, verbose=0, return_dict=True, callbacks=[stopper]
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
        "params": asdict(config) | {"train_images": n_fit, "validation_images": len(x_train) - n_fit, "test_images": len(x_test)},
        "data": data.description,
        "epochs": epochs,
        "train_seconds": round(train_seconds, 3),
        "test": {"loss": float(test["loss"]), "accuracy": float(test["accuracy"])},
        "fmtwist_version": __version__,
        "provenance": artifacts.provenance(data.inputs, config.seed),
    }
    return TrainResult(model, history)


# --------------------------------------------------------------------------
# saving and loading


def save_model(model: Any, path: Path) -> Path:
    """Atomically write a ``.keras`` file."""
    path = Path(path)
    if path.suffix != ".keras":
        raise ArtifactError(f"cannot write {path}: a Keras model file must end in .keras")
    with artifacts.atomic_path(path) as tmp:
        model.save(tmp)
        _make_reproducible(tmp)
    return path


def _make_reproducible(path: Path) -> None:
    """Keras stamps the saving time into a .keras file (metadata.json and the
    zip entries) and numbers shared objects by their memory address; without
    both the same model gives the same bytes, so the SHA-256 that provenance
    records names the model, not the moment."""
    import json
    import zipfile

    def renumber(obj: Any, ids: dict) -> None:
        if isinstance(obj, dict):
            if "shared_object_id" in obj:
                obj["shared_object_id"] = ids.setdefault(obj["shared_object_id"], len(ids) + 1)
            for value in obj.values():
                renumber(value, ids)
        elif isinstance(obj, list):
            for value in obj:
                renumber(value, ids)

    with zipfile.ZipFile(path) as zf:
        entries = [(info, zf.read(info)) for info in zf.infolist()]
    with zipfile.ZipFile(path, "w") as zf:
        for info, content in entries:
            if info.filename == "metadata.json":
                meta = json.loads(content)
                meta.pop("date_saved", None)
                content = json.dumps(meta).encode("utf-8")
            elif info.filename == "config.json":
                config = json.loads(content)
                renumber(config, {})
                content = json.dumps(config).encode("utf-8")
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type, fixed.external_attr = info.compress_type, info.external_attr
            zf.writestr(fixed, content)


def load_model(path: Path, made_by: str | None = None) -> Any:
    """Load a ``.keras`` model with Keras' safe mode on (no arbitrary code)."""
    path = Path(path)
    if not path.exists():
        hint = made_by or train_command(*arch_labels_from_name(path))
        raise ArtifactError(f"Keras model not found: {path} (run `{hint}` first)")
    if path.is_dir():
        raise ArtifactError(f"{path} is a folder, expected a .keras model file")
    if path.suffix != ".keras":
        raise ArtifactError(f"{path} is not a .keras model file")
    keras = models.import_keras()
    try:
        return keras.saving.load_model(path, safe_mode=True, compile=False)
    except Exception as exc:  # Keras raises ValueError, OSError, zipfile errors, ...
        if "safe_mode" in str(exc):  # safe mode refused to deserialize Python code
            raise ArtifactError(
                f"{path} holds Python code (a Lambda layer or function), which fmtwist never runs: "
                "models are loaded in Keras safe mode; rebuild the model without Lambda layers"
            ) from None
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ArtifactError(f"{path} is not a valid Keras model ({reason[:200]})") from None


def arch_labels_from_name(path: Path) -> tuple[str, str]:
    """model-custom-original.keras -> ("custom", "original"); unknown names -> the default arch."""
    name = Path(path).stem
    name = name[len("model-"):] if name.startswith("model-") else name
    if name.endswith("-original"):
        return name[: -len("-original")] or models.DEFAULT_ARCH, "original"
    return (name if name in models.ARCHITECTURES else models.DEFAULT_ARCH), "mystery"


def save_history(history: dict[str, Any], path: Path) -> Path:
    return artifacts.save_json(path, history)


def save(result: TrainResult, artifacts_dir: Path) -> tuple[Path, Path]:
    """Write model-<arch>.keras and history-<arch>.json (which records the
    model's SHA-256, so export can tell it describes this very model)."""
    arch, labels = result.history["arch"], result.history["labels"]
    mpath = save_model(result.model, model_path(artifacts_dir, arch, labels))
    result.history["keras_model"] = artifacts.input_entry(mpath)
    hpath = save_history(result.history, history_path(artifacts_dir, arch, labels))
    return mpath, hpath
