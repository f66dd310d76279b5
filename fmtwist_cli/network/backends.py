"""Which Keras 3 backend trains, on which device, how it is seeded and fed.

Keras reads ``KERAS_BACKEND`` once, when it is first imported, so the backend is
chosen here before that happens and cannot change later in the same process:
asking for another one then is refused with a message, never half-done. Only
the backend asked for is imported (a JAX run never loads TensorFlow), and the
``.keras`` file a model is saved to is the same whichever backend trained it.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import Enum
from importlib import metadata
from typing import Any

from fmtwist_cli.errors import FmtwistError, ParameterError
from fmtwist_cli.network import models


class Backend(str, Enum):
    """A Keras 3 backend fmtwist trains with."""

    tensorflow = "tensorflow"
    jax = "jax"
    torch = "torch"


class Device(str, Enum):
    """Where training runs: the GPU when the backend sees one (auto), the CPU, or a GPU or nothing."""

    auto = "auto"
    cpu = "cpu"
    gpu = "gpu"


# What `pip install` brings each backend (the fmtwist extras pin the CPU builds CI uses).
INSTALL = {Backend.tensorflow: "tensorflow", Backend.jax: "'fmtwist[jax]'", Backend.torch: "'fmtwist[torch]'"}
# Distributions whose versions a history records, per backend (the first one found of each group).
DISTRIBUTIONS = {
    Backend.tensorflow: (("tensorflow", "tensorflow-cpu", "tensorflow-macos"),),
    Backend.jax: (("jax",), ("jaxlib",), ("jax-cuda12-plugin", "jax-cuda13-plugin", "jax-metal")),
    Backend.torch: (("torch",),),
}


class BackendError(FmtwistError):
    """Keras is already loaded with another backend in this process."""


@dataclass(frozen=True)
class Runtime:
    """The backend Keras runs on and the device it trains on."""

    backend: Backend
    device: str  # "CPU", or the GPU's name
    gpus: tuple[str, ...] = ()  # the GPUs the backend sees
    versions: dict[str, str] = field(default_factory=dict, compare=False)
    pinned_to_cpu: bool = False  # --device cpu while the backend sees a GPU

    def record(self) -> dict[str, Any]:
        """What a history and a model's provenance say about the run."""
        return {"name": self.backend.value, "device": self.device, "versions": dict(self.versions)}

    def scope(self) -> contextlib.AbstractContextManager:
        """Where models are built and fitted: the CPU when pinned there, else the backend's default device."""
        if not self.pinned_to_cpu:
            return contextlib.nullcontext()
        return models.import_keras().device("cpu:0")


def loaded_backend() -> str | None:
    """The backend of the Keras already imported in this process, or None."""
    keras = sys.modules.get("keras")
    backend = getattr(getattr(keras, "backend", None), "backend", None)
    return backend() if callable(backend) else None


def default_backend() -> Backend:
    """The loaded Keras' backend; before Keras is imported, $KERAS_BACKEND or tensorflow."""
    name = loaded_backend() or os.environ.get("KERAS_BACKEND") or Backend.tensorflow.value
    try:
        return Backend(name)
    except ValueError:
        choices = ", ".join(b.value for b in Backend)
        raise FmtwistError(
            f"KERAS_BACKEND={name} is not a backend fmtwist trains with; use one of: {choices}"
        ) from None


def activate(backend: Backend | str | None = None, device: Device | str = Device.auto) -> Runtime:
    """Import Keras on ``backend`` (None: :func:`default_backend`) and find the device.

    Raises BackendError when Keras was imported with another backend in this
    process, FmtwistError when the backend is not installed or ``device`` is
    ``gpu`` and the backend sees none.
    """
    backend = default_backend() if backend is None else Backend(backend)
    device = Device(device)
    loaded = loaded_backend()
    if loaded is not None and loaded != backend.value:
        raise BackendError(
            f"Keras is already loaded with the {loaded} backend in this process and cannot switch to {backend.value}; "
            f"run it in a new process (fmtwist train --backend {backend.value})"
        )
    if loaded is None:
        if importlib.util.find_spec(backend.value) is None:
            raise FmtwistError(
                f"the {backend.value} backend needs {backend.value}, which is not installed here "
                f"(pip install {INSTALL[backend]})"
            )
        os.environ["KERAS_BACKEND"] = backend.value
        if backend is Backend.tensorflow:
            _find_tensorflow_devices()
        if device is Device.cpu:
            _hide_gpus_before_import(backend)
    models.import_keras()
    gpus = tuple(gpu_names(backend))
    if device is Device.gpu and not gpus:
        raise ParameterError(
            "{} gpu: the " + f"{backend.value} backend sees no GPU here; {_gpu_hint(backend)}", "device"
        )
    on_gpu = bool(gpus) and device is not Device.cpu
    return Runtime(
        backend, gpus[0] if on_gpu else "CPU", gpus, versions(backend), pinned_to_cpu=bool(gpus) and not on_gpu
    )


def _find_tensorflow_devices() -> None:
    """Let TensorFlow look for GPUs now, once, before anything runs.

    The standard tensorflow wheel is a CUDA build; on a machine with no NVIDIA
    driver its search ends in ``E0000 ... failed call to cuInit`` on standard
    error, an error about a GPU nobody asked for. Only there, where the search
    cannot succeed, is standard error muted while it runs; with a driver
    present, whatever CUDA says is shown."""
    models.import_keras()  # imports TensorFlow with its start-up notes muted
    import tensorflow as tf

    no_driver = sys.platform.startswith("linux") and not os.path.exists("/proc/driver/nvidia/version")
    with models._muted_stderr_fd() if no_driver and not os.environ.get("FMTWIST_DEBUG") else contextlib.nullcontext():
        tf.config.list_physical_devices()


def _hide_gpus_before_import(backend: Backend) -> None:
    # Each backend's own switch, read when it starts: the GPU is never initialised
    # (JAX would otherwise reserve most of its memory at once).
    if backend is Backend.jax:
        os.environ["JAX_PLATFORMS"] = "cpu"
    elif backend is Backend.torch:
        os.environ["KERAS_TORCH_DEVICE"] = "cpu"
    else:
        models.import_keras()  # Keras' import starts no device, so GPUs can still be hidden
        import tensorflow as tf

        with contextlib.suppress(RuntimeError):  # already initialised: Runtime.scope() pins instead
            tf.config.set_visible_devices([], "GPU")


def _gpu_hint(backend: Backend) -> str:
    if backend is Backend.jax:
        return "on an NVIDIA GPU install pip install 'fmtwist[jax,cuda]' (jax[cuda12]), or use --device cpu"
    if backend is Backend.torch:
        return "install a CUDA build of PyTorch (pytorch.org), or use --device cpu"
    return "TensorFlow sees a CUDA GPU on Linux only (pip install 'tensorflow[and-cuda]'); or use --device cpu"


def gpu_names(backend: Backend | str) -> list[str]:
    """The GPUs (or Apple Silicon's Metal/MPS device) the backend would train on; [] for none."""
    backend = Backend(backend)
    if backend is Backend.tensorflow:
        import tensorflow as tf

        found = tf.config.get_visible_devices("GPU")
        return [tf.config.experimental.get_device_details(d).get("device_name") or d.name for d in found]
    if backend is Backend.jax:
        import jax

        return [f"{d.device_kind} ({d.platform})" for d in jax.devices() if d.platform != "cpu"]
    import torch

    if os.environ.get("KERAS_TORCH_DEVICE", "").startswith("cpu"):
        return []
    if torch.backends.mps.is_available():  # Keras' own order: MPS, then CUDA
        return ["Apple MPS"]
    return (
        [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())] if torch.cuda.is_available() else []
    )


def versions(backend: Backend | str) -> dict[str, str]:
    """Keras' and the backend's versions, from package metadata (nothing imported)."""
    found = {}
    for group in (("keras",), *DISTRIBUTIONS[Backend(backend)]):
        for dist in group:
            with contextlib.suppress(metadata.PackageNotFoundError):
                found[dist] = metadata.version(dist)
                break
    return found


# --------------------------------------------------------------------------
# seeds


def seed_everything(seed: int | None, backend: Backend | str) -> None:
    """Same seed, same weights: Keras' own seeding (Python, NumPy, the
    backend's generators); on TensorFlow also its deterministic kernels
    (irreversible for this process)."""
    if seed is None:
        return
    keras = models.import_keras()
    if Backend(backend) is Backend.tensorflow:
        import tensorflow as tf

        keras.utils.set_random_seed(seed)
        tf.config.experimental.enable_op_determinism()
        return
    # Keras also seeds TensorFlow whenever it can import it, which would load
    # TensorFlow into a JAX or PyTorch run for nothing.
    with _not_importable("tensorflow"):
        keras.utils.set_random_seed(seed)


@contextlib.contextmanager
def _not_importable(module: str) -> Iterator[None]:
    if module in sys.modules:
        yield
        return
    sys.modules[module] = None  # type: ignore[assignment]  # import raises ImportError
    try:
        yield
    finally:
        if sys.modules.get(module) is None:
            del sys.modules[module]
