"""The checkpoint ``fmtwist train`` keeps, so a run killed or interrupted carries on where it stopped.

At the end of every epoch ``ARTIFACTS/checkpoint-ARCH.npz`` (``checkpoint-ARCH-original.npz`` for the original
labels) is replaced atomically by the whole state of the run: every variable of the model (weights, batch-norm
statistics and the dropout layers' seed states) and of the optimizer (its step count, which drives the
learning-rate schedule, and its moments), the epochs done with their history rows, the training time so far, and
the seed of the shuffling, which orders each epoch's images from (seed, epoch) alone. A run started again restores
all of it and goes on with the next epoch, so with ``--seed`` it ends as the run that was never stopped.

The checkpoint also records the settings it belongs to (:func:`settings`: every training option, the backend, the
device, the library versions and a hash of the training images and labels); a run of other settings does not use
it and says which differ. ``train`` removes it once the model and history are saved.

Keras' ``BackupAndRestore`` callback is not used: it writes the weights and the epoch to two files, not
atomically (a kill between them resumes the wrong epoch, a kill inside the weights file leaves one Keras cannot
read), keeps neither the history nor the shuffling's state (a resumed run would see epoch 1's order again), and
cannot tell a checkpoint of other settings from its own.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import secrets
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from fmtwist_cli import __version__, artifacts
from fmtwist_cli.errors import ArtifactError
from fmtwist_cli.network import models
from fmtwist_cli.network.backends import Runtime
from fmtwist_cli.network.config import TrainConfig
from fmtwist_cli.result import Log

KIND = "fmtwist-train-checkpoint"
FORMAT = 1
# Test hook: seconds to pause halfway through writing each checkpoint's bytes, so a test can kill the writer there.
PAUSE_ENV = "FMTWIST_CHECKPOINT_PAUSE"


@dataclass
class Checkpoint:
    """A run's state after ``epoch`` epochs."""

    settings: dict[str, Any]
    shuffle_seed: int
    epoch: int = 0
    history: list[dict[str, float]] = field(default_factory=list)  # one row per epoch done
    train_seconds: float = 0.0
    variables: list[np.ndarray] = field(default_factory=list)  # the model's, then the optimizer's
    generators: list[np.ndarray] = field(default_factory=list)  # the backend's global generators (PyTorch's)


def settings(config: TrainConfig, runtime: Runtime, x: np.ndarray, y: np.ndarray, n_classes: int) -> dict[str, Any]:
    """Everything that changes what a run computes: its options, backend, device, versions and training data
    (``x``, ``y``: the images and labels it fits and validates on)."""
    digest = hashlib.sha256()
    for array in (np.ascontiguousarray(x), np.ascontiguousarray(y)):
        digest.update(f"{array.dtype.str}{array.shape}".encode())
        digest.update(array.data)
    return asdict(config) | {
        "backend": runtime.backend.value,
        "device": runtime.device,
        "versions": dict(runtime.versions),
        "fmtwist": __version__,
        "n_classes": int(n_classes),
        "training_data": digest.hexdigest()[:16],
    }


def new_run(settings: dict[str, Any], seed: int | None) -> Checkpoint:
    """The state of a run at its start: the shuffling follows ``seed``, or a random one kept with the run."""
    return Checkpoint(settings, seed if seed is not None else secrets.randbits(32))


def epoch_order(shuffle_seed: int, epoch: int, n: int) -> np.ndarray:
    """The order of the ``n`` training images in ``epoch`` (0-based): the same in every process."""
    return np.random.default_rng([shuffle_seed, epoch]).permutation(n)


def epoch_mirrors(shuffle_seed: int, epoch: int, n: int) -> np.ndarray:
    """Which of ``epoch``'s ``n`` batch rows a run with flips mirrors (half of them, at random): the same in every
    process, as :func:`epoch_order`."""
    return np.random.default_rng([shuffle_seed, epoch, 1]).random(n) < 0.5


# --------------------------------------------------------------------------
# the file


def save(path: Path, state: Checkpoint) -> Path:
    meta = {k: v for k, v in asdict(state).items() if k not in ("variables", "generators")}
    meta |= {"kind": KIND, "format": FORMAT}
    arrays = {f"v{i:05d}": v for i, v in enumerate(state.variables)}
    arrays |= {f"g{i:05d}": g for i, g in enumerate(state.generators)}
    buffer = io.BytesIO()
    np.savez(buffer, meta=np.array(json.dumps(meta)), **arrays)
    content = buffer.getvalue()
    pause = float(os.environ.get(PAUSE_ENV) or 0)

    def write(fh: Any) -> None:
        half = len(content) // 2
        fh.write(content[:half])
        if pause:
            fh.flush()
            time.sleep(pause)
        fh.write(content[half:])

    return artifacts.write_bytes(path, write)


def load(path: Path) -> Checkpoint:
    """Read a checkpoint; ArtifactError when it is not one fmtwist can use."""
    try:
        npz = artifacts.read_npz(path, "training checkpoint")  # headers checked, never unpickled
        meta = json.loads(str(npz["meta"][()]))
        if meta.get("kind") != KIND or meta.get("format") != FORMAT:
            raise ArtifactError(f"{path} is not a training checkpoint of this fmtwist")
        variables = [npz[name] for name in sorted(k for k in npz if k.startswith("v"))]
        generators = [npz[name] for name in sorted(k for k in npz if k.startswith("g"))]
        return Checkpoint(
            settings=dict(meta["settings"]),
            shuffle_seed=int(meta["shuffle_seed"]),
            epoch=int(meta["epoch"]),
            history=list(meta["history"]),
            train_seconds=float(meta["train_seconds"]),
            variables=variables,
            generators=generators,
        )
    except ArtifactError:
        raise
    except Exception as exc:  # a damaged file: zip, JSON, key or type errors alike
        raise ArtifactError(f"{path} cannot be read ({type(exc).__name__}: {exc})") from None


def remove(path: Path | None) -> None:
    """Remove the checkpoint, and what writers killed mid-write left of it (``.NAME.*.tmp.npz``)."""
    if path is None:
        return
    path = Path(path)
    for stale in [path, *path.parent.glob(f".{path.stem}.*.tmp{path.suffix}")]:
        stale.unlink(missing_ok=True)


def differences(old: dict[str, Any], new: dict[str, Any]) -> str:
    """The settings that differ, in words: "epochs 5, now 3; the training data"."""
    words = []
    for key in sorted(old.keys() | new.keys()):
        if old.get(key) != new.get(key):
            name = key.replace("_", " ")
            words.append(f"the {name}" if key == "training_data" else f"{name} {old.get(key)!r}, now {new.get(key)!r}")
    return "; ".join(words)


def resume(path: Path | None, settings: dict[str, Any], seed: int | None, restart: bool, log: Log) -> Checkpoint:
    """Where a run starts: the checkpoint at ``path`` when it is of these ``settings`` (logged), else afresh
    (saying why, and removing a checkpoint that cannot be used)."""
    fresh = new_run(settings, seed)
    if path is None or not path.exists():
        return fresh
    if restart:
        remove(path)
        log(f"Starting over (--restart): removed {path}, the checkpoint of an interrupted run")
        return fresh
    try:
        state = load(path)
    except ArtifactError as exc:
        remove(path)
        log(f"Starting afresh: {exc}")
        return fresh
    if state.settings != settings:
        remove(path)
        log(f"Starting afresh: {path} is of a run with other settings ({differences(state.settings, settings)})")
        return fresh
    total = settings["epochs"]
    log(
        f"Found an interrupted run at epoch {state.epoch}/{total} ({path}): carrying on"
        + (f" from epoch {state.epoch + 1}" if state.epoch < total else ", evaluating it")
        + " (--restart starts over)"
    )
    return state


# --------------------------------------------------------------------------
# the model's state


def state_variables(model: Any) -> list[Any]:
    """Every variable a run's future depends on: the model's (seed states included) and the optimizer's."""
    if not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    return [*model.variables, *model.optimizer.variables]


def generator_states(backend: str) -> list[np.ndarray]:
    """The global generators a backend draws from during training: PyTorch's dropout takes the global torch
    generator (Keras gives it no seed of its own, for speed); TensorFlow's and JAX's use the layers' seed
    states, which are model variables."""
    if backend != "torch":
        return []
    import torch

    cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_available() and torch.cuda.is_initialized() else []
    return [t.numpy().copy() for t in (torch.get_rng_state(), *cuda)]


def set_generator_states(backend: str, states: list[np.ndarray]) -> None:
    if backend != "torch" or not states:
        return
    import torch

    torch.set_rng_state(torch.from_numpy(states[0]))
    if len(states) > 1:
        torch.cuda.set_rng_state_all([torch.from_numpy(s) for s in states[1:]])


def restore(model: Any, state: Checkpoint, path: Path | None) -> None:
    variables = state_variables(model)
    fits = len(variables) == len(state.variables) and all(
        tuple(v.shape) == a.shape and np.dtype(v.dtype) == a.dtype for v, a in zip(variables, state.variables)
    )
    if not fits:
        raise ArtifactError(f"{path} does not fit this network; run again with --restart")
    for variable, array in zip(variables, state.variables):
        variable.assign(array)


def keeper(state: Checkpoint, path: Path | None, seconds: list[float], resumed: bool = False) -> Any:
    """The callback that records each epoch's history row into ``state`` (``seconds``: the epochs' times, as the
    progress callback measures them) and writes ``state`` to ``path`` (None: nowhere) at the epoch's end.

    ``resumed``: it sets the backend's generators back to ``state``'s as the first epoch begins, after what
    the first ``fit`` of a process draws from them while it sets up (the run it carries on drew that in its
    own first epoch)."""
    keras = models.import_keras()

    class Keeper(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.started = time.perf_counter()
            self.before = state.train_seconds  # the time of the runs it resumes
            self.generators = state.generators if resumed else []

        def on_epoch_begin(self, epoch, logs=None):
            if self.generators:
                set_generator_states(state.settings["backend"], self.generators)
                self.generators = []

        def on_epoch_end(self, epoch, logs=None):
            row = {"epoch": epoch + 1, **{k: float(v) for k, v in (logs or {}).items()}}
            state.history.append(row | {"seconds": round(float(seconds[-1]), 3)})
            state.epoch = epoch + 1
            state.train_seconds = self.elapsed()
            if path is not None:
                state.variables = [np.array(v.numpy()) for v in state_variables(self.model)]
                state.generators = generator_states(state.settings["backend"])
                save(path, state)

        def elapsed(self) -> float:
            return self.before + time.perf_counter() - self.started

    return Keeper()
