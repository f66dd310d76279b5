"""The arithmetic a network trains in: float32, or Keras' mixed bfloat16 (bfloat16 compute, float32 weights).

``auto`` reads the CPU's flags, not its vendor: mixed bfloat16 where the CPU multiplies bfloat16 in hardware
(AMX, or AVX512-BF16), float32 elsewhere. Measured (issue 20): mixed bfloat16 trained the custom network 1.23x
faster on an Intel AMX machine, at the same accuracy, and 14x slower on an AMD machine with AVX2 only, which
emulates it; on an AMD EPYC with AVX512-BF16 (Zen 5) custom 1.56x and fast 1.22x faster, fast's 3-seed test
accuracy 0.9423 (docs/commands.md, "A machine with bfloat16"). On a GPU ``auto`` keeps float32. An architecture's
recipe may differ by precision (``models.recipe``): fast trains in batches of 512 in bfloat16.

A network is built for training by :func:`build`, which in bfloat16 on TensorFlow also puts its batch norms in
TensorFlow's fused kernel (:mod:`~fmtwist_cli.network.fusednorm`) and draws its dropouts' masks from 16 bits a value
(:mod:`~fmtwist_cli.network.bitsdropout`). Whatever it trained in, the model handed back is
a float32 model of Keras' own layers (:func:`as_float32`), so the ``.keras`` and ONNX files are the same kind of
file, and export's 1e-4 parity check holds.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from enum import Enum
from pathlib import Path
from typing import Any

CPUINFO = Path("/proc/cpuinfo")
BFLOAT16_FLAGS = ("amx_bf16", "avx512_bf16")  # /proc/cpuinfo's names for bfloat16 in hardware
POLICIES = {"float32": "float32", "bfloat16": "mixed_bfloat16"}  # Keras dtype policy of each precision


class Precision(str, Enum):
    auto = "auto"
    float32 = "float32"
    bfloat16 = "bfloat16"


def cpu_flags(cpuinfo: str | os.PathLike = CPUINFO) -> set[str]:
    """The CPU's feature flags, as Linux lists them (the first "flags" line); empty where there is no such file."""
    try:
        text = Path(cpuinfo).read_text(errors="replace")
    except OSError:
        return set()
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name.strip() in ("flags", "Features"):
            return set(value.split())
    return set()


def resolve(precision: Precision | str, device: str, flags: set[str] | None = None) -> Precision:
    """The precision to train in: ``precision`` itself unless ``auto``, which picks bfloat16 on a CPU with
    :data:`BFLOAT16_FLAGS` (``flags``: :func:`cpu_flags` when not given), and float32 elsewhere."""
    precision = Precision(precision)
    if precision is not Precision.auto:
        return precision
    if device.upper() != "CPU":
        return Precision.float32
    found = cpu_flags() if flags is None else flags
    return Precision.bfloat16 if found.intersection(BFLOAT16_FLAGS) else Precision.float32


@contextlib.contextmanager
def policy(precision: Precision) -> Iterator[None]:
    """Layers built inside compute in ``precision`` (a resolved one); the global policy is put back after."""
    from fmtwist_cli.network import models

    mixed = models.import_keras().mixed_precision
    before = mixed.global_policy().name
    mixed.set_global_policy(POLICIES[Precision(precision).value])
    try:
        yield
    finally:
        mixed.set_global_policy(before)


def build(make: Callable[[], Any], precision: Precision) -> Any:
    """The network ``make()`` builds, to train in ``precision`` (a resolved one): built under its policy, and in
    bfloat16 on TensorFlow with its training twins (:func:`_twins`) swapped in."""
    from fmtwist_cli.network import models

    with policy(precision):
        model = make()
        if Precision(precision) is Precision.bfloat16 and models.import_keras().backend.backend() == "tensorflow":
            model = _twins(model)
    return model


def _twins(model: Any) -> Any:
    """``model`` (not yet trained) with each Keras batch norm in TensorFlow's fused kernel
    (:mod:`~fmtwist_cli.network.fusednorm`) and each dropout drawing 16 bits a value
    (:mod:`~fmtwist_cli.network.bitsdropout`), of the same settings and name, a dropout with its seed state; every
    other layer is the same object, so the initial weights and dropout seeds are those the model was built with (a
    batch norm starts at scale 1, shift 0 whatever the seed)."""
    from fmtwist_cli.network import bitsdropout, fusednorm, models

    keras = models.import_keras()
    twins = {
        keras.layers.BatchNormalization: fusednorm.fused_layer(),
        keras.layers.Dropout: bitsdropout.dropout_layer(),
    }

    def swap(layer: Any) -> Any:
        twin = twins.get(type(layer))
        if twin is None:
            return layer
        copy = twin.from_config(layer.get_config())
        if hasattr(layer, "seed_generator"):
            copy.seed_generator.state.assign(layer.seed_generator.state)
        return copy

    return keras.models.clone_model(model, clone_function=swap)


def as_float32(model: Any, make: Callable[[], Any], compile: Callable[[Any], None]) -> Any:
    """``model`` as a float32 model of the same weights: ``make()`` builds the same architecture (of Keras' own
    layers, whatever :func:`build` swapped in for training), built here under the float32 policy, and ``compile``
    compiles it as ``model`` was, whose optimizer's state it then takes, so the copy is the trained model in all but
    its arithmetic (its test figures are the file's; its ``.keras`` loads whole). A float32 model is returned as it
    is."""
    if model.dtype_policy.name == "float32":
        return model
    with policy(Precision.float32):
        plain = make()
    plain.set_weights(model.get_weights())
    compile(plain)
    plain.optimizer.build(plain.trainable_variables)
    for mine, trained in zip(plain.optimizer.variables, model.optimizer.variables, strict=True):
        mine.assign(trained)
    return plain
