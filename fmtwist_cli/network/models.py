"""The network architectures: a registry where adding one is one function.

Each builder takes the number of classes and returns an uncompiled Keras
model whose input is a 28x28x1 image already scaled to [0, 1] (the scaling
itself, ``INPUT_SCALE``, happens outside the network so the same factor can be
written into the ONNX metadata) and whose last layer, named ``probs``, is the
softmax over the classes. Layers carry readable names, so ``--layer flatten``
or ``--layer dense`` mean the same thing in every model of one architecture.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any

from fmtwist_cli.errors import FmtwistError

INPUT_SHAPE = (28, 28, 1)
INPUT_SCALE = 1.0 / 255.0  # uint8 pixels -> [0, 1]
WIDTH_AXIS = 2  # left-right in a batch of images, N x 28 x 28 pixels or N x 28 x 28 x 1 inputs (flips mirror it)
DEFAULT_ARCH = "custom"
DEFAULT_LAYER = "flatten"  # the notebook's encoding: the flattened last feature map

Builder = Callable[[int], Any]
ARCHITECTURES: dict[str, Builder] = {}
DESCRIPTIONS: dict[str, str] = {}


class Schedule(str, Enum):
    """How the learning rate moves during training."""

    constant = "constant"  # the optimizer's learning rate throughout (the notebook's way)
    cosine = "cosine"  # linear warm-up over the first half epoch, then cosine decay to zero at the last step


@dataclass(frozen=True)
class Recipe:
    """An architecture's own training schedule: what `fmtwist train --arch NAME`
    uses unless an option says otherwise. The default is the notebook's."""

    epochs: int = 15
    batch_size: int = 128
    optimizer: str = "adam"
    learning_rate: float | None = None  # None: the optimizer's own default
    # Decoupled weight decay (Keras optimizers' ``weight_decay``: each step shrinks every weight by learning rate
    # x decay); None: the optimizer's own (none for Adam).
    weight_decay: float | None = None
    schedule: Schedule = Schedule.constant
    # Training steps TensorFlow runs per call from Python: the same updates, fewer round trips
    # (the progress bar then moves once per call).
    steps_per_execution: int = 1
    # Mirror a random half of each epoch's images (left-right), and average each image's softmax with its mirror
    # image's at test time and in the exported model (:func:`mirror_averaged`).
    flips: bool = False
    # The recipe for a run in mixed bfloat16, where that differs (None: this one in every precision).
    bfloat16: Recipe | None = None


NOTEBOOK = Recipe()
RECIPES: dict[str, Recipe] = {}


def import_keras() -> Any:
    """Import Keras (TensorFlow backend) with TensorFlow's start-up chatter off.

    TensorFlow's C++ logging ignores TF_CPP_MIN_LOG_LEVEL for its import-time
    notes (oneDNN, absl), so standard error is muted at the file-descriptor
    level while it loads; ``FMTWIST_DEBUG=1`` keeps it.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    if "keras" in sys.modules or os.environ.get("FMTWIST_DEBUG"):
        import keras

        return keras
    with _muted_stderr_fd():
        import keras
    return keras


@contextlib.contextmanager
def _muted_stderr_fd() -> Iterator[None]:
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real descriptor 2 (embedded interpreters)
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def architecture(name: str, description: str, recipe: Recipe = NOTEBOOK) -> Callable[[Builder], Builder]:
    """Register a builder under ``name`` (``fmtwist train --arch NAME``), with its training recipe."""

    def register(builder: Builder) -> Builder:
        ARCHITECTURES[name] = builder
        DESCRIPTIONS[name] = description
        RECIPES[name] = recipe
        return builder

    return register


def recipe(arch: str, precision: str = "float32") -> Recipe:
    """The training recipe of an architecture (the notebook's for one registered without) for a run in
    ``precision`` (a resolved precision's name, ``network.precision.Precision``; auto: its float32 recipe)."""
    own = RECIPES.get(arch, NOTEBOOK)
    return own.bfloat16 if precision == "bfloat16" and own.bfloat16 is not None else own


# Its steps are short enough that one call into TensorFlow per step shows: 8 steps a call ran 1.12x faster
# (median of 5 turns against 1 step a call, loaded 2-core CPU); fast gained nothing measurable (0.98x) and
# custom, whose steps take longer still, was not measured.
@architecture(
    "default",
    "the notebook's first network: two 32-filter convolutions, softmax on the flattened map",
    Recipe(steps_per_execution=8),
)
def default(n_classes: int) -> Any:
    keras = import_keras()
    Input, Sequential, layers = keras.Input, keras.Sequential, keras.layers

    return Sequential(
        [
            Input(INPUT_SHAPE, name="image"),
            layers.Conv2D(32, 3, strides=1, padding="same", activation="relu", name="conv1"),
            layers.MaxPooling2D(2, name="pool1"),
            layers.Conv2D(32, 3, padding="same", activation="relu", name="conv2"),
            layers.Flatten(name="flatten"),
            layers.Dense(n_classes, activation="softmax", name="probs"),
        ],
        name="default",
    )


@architecture("custom", "the notebook's own network: three convolutions, batch norm, dropout, a 64-unit dense layer")
def custom(n_classes: int) -> Any:
    keras = import_keras()
    Input, Sequential, layers = keras.Input, keras.Sequential, keras.layers

    return Sequential(
        [
            Input(INPUT_SHAPE, name="image"),
            layers.Conv2D(32, 3, padding="same", activation="relu", name="conv1"),
            layers.Conv2D(128, 3, padding="valid", activation="relu", name="conv2"),
            layers.MaxPooling2D(2, name="pool1"),
            layers.BatchNormalization(name="norm1"),
            layers.Dropout(0.5, name="dropout1"),
            layers.Conv2D(64, 3, padding="same", activation="relu", name="conv3"),
            layers.MaxPooling2D(2, name="pool2"),
            layers.BatchNormalization(name="norm2"),
            layers.Dropout(0.5, name="dropout2"),
            layers.Flatten(name="flatten"),
            layers.Dense(64, activation="relu", name="dense"),
            layers.Dense(n_classes, activation="softmax", name="probs"),
        ],
        name="custom",
    )


# Measured on a 2-core CPU, default twist (docs/commands.md, bench/bench_train.py): these 14 epochs reach a mean test
# accuracy of 0.9415 over 3 seeds (custom's 15: 0.936) in 0.19 of custom's time; the network without its fourth
# convolution reached 0.9396 (0.9399 in 16 epochs). Augmenting does not pay in a schedule this short: 0-2 pixel
# shifts lost 0.007 in 8 epochs, label smoothing 0.1 gained nothing, and on an earlier strided design horizontal
# flips with label smoothing lost 0.01. Weight decay 0.05 (`--weight-decay`) raised the last validation accuracy on
# each of 3 seeds but not the test accuracy, so it is not the default; an average of the weights (Keras' use_ema,
# 0.99) with it lost 0.001-0.002 on two seeds, and SGD with Nesterov momentum lost 0.006 on one.
#
# In mixed bfloat16 it trains in batches of 512 at a learning rate of 0.006: oneDNN's bfloat16 backward
# convolutions run poorly on fast's small maps with few rows (docs/commands.md, "Batches of 512 in bfloat16"),
# and 512 rows a step trained 1.34x faster per image on a Zen 5 CPU with AVX512-BF16 for a 3-seed mean test
# accuracy of 0.9412 (128: 0.9416). In float32 on an AVX2 CPU the step is bound by arithmetic and larger batches
# did not pay (256: 0.86x on an earlier design), so float32 keeps 128.
#
# Flips (session 15): a random half of each epoch's images mirrored, each test image judged with its mirror image
# (in the exported model too): 3-seed mean 0.9424 against 0.9408 in mixed bfloat16, higher on each seed (+0.0012 to
# +0.0022), for the same training time; the flips alone, judged on the image only, gave 0.9402 in a probe.
_FAST_FLOAT32 = Recipe(
    epochs=14, batch_size=128, optimizer="adam", learning_rate=3e-3, schedule=Schedule.cosine, flips=True
)
FAST_RECIPE = replace(_FAST_FLOAT32, bfloat16=replace(_FAST_FLOAT32, batch_size=512, learning_rate=6e-3))


@architecture(
    "fast",
    "a quick network: one cheap 3x3 convolution at 28x28, pooled at once to 14x14, three more with batch norm, dropout",
    FAST_RECIPE,
)
def fast(n_classes: int, stem: list[Any] | None = None, pool_first: bool = True, conv4: int | None = 64) -> Any:
    """``stem`` (the layers at 28x28, down to 14x14), ``pool_first`` (blocks 2-3 pooling before their batch norm
    and ReLU) and ``conv4`` (block 4's filters, on the 3x3 map, unpooled; None: no block 4) are what
    bench/bench_levers.py varies; the registered network is the default of each."""
    keras = import_keras()
    Input, Sequential, layers = keras.Input, keras.Sequential, keras.layers

    def block(filters: int, n: int, pool: bool = True) -> list[Any]:
        # Pooled before its batch norm and ReLU, which then run on a quarter of the values; no bias, as the batch
        # norm has its own. (Pooling first: 1.11x faster per image, bench/bench_levers.py.)
        conv = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"conv{n}")
        norm, relu = layers.BatchNormalization(name=f"norm{n}"), layers.ReLU(name=f"relu{n}")
        if not pool:
            return [conv, norm, relu]
        pooling = layers.MaxPooling2D(2, name=f"pool{n}")
        return [conv, pooling, norm, relu] if pool_first else [conv, norm, relu, pooling]

    if stem is None:
        # The only work at 28x28, kept to one convolution of 16 filters with its bias and ReLU (TensorFlow fuses
        # them): 32 filters cost 1.2x the time per image for no accuracy measured, a batch norm here cost more
        # time than it gave accuracy, and a strided 5x5 convolution instead lost accuracy.
        stem = [
            layers.Conv2D(16, 3, padding="same", activation="relu", name="conv1"),
            layers.MaxPooling2D(2, name="pool1"),
        ]
    return Sequential(
        [
            Input(INPUT_SHAPE, name="image"),
            *stem,
            *block(64, 2),
            layers.Dropout(0.2, name="dropout1"),
            *block(128, 3),
            # A fourth convolution on the 3x3 map, unpooled: 3-15 % slower per image, and what its accuracy gain is
            # (FAST_RECIPE's comment; docs/commands.md, "Recipe v3").
            *(block(conv4, 4, pool=False) if conv4 else []),
            layers.Flatten(name="flatten"),
            layers.Dropout(0.5, name="dropout2"),
            layers.Dense(n_classes, activation="softmax", name="probs"),
        ],
        name="fast",
    )


def mirror_averaged(model: Any, layer: str | None = None) -> Any:
    """``model`` whose softmax is the mean of its softmax on each image and on the image mirrored left-right (a
    recipe's ``flips``): a Keras model of the same input, its output the mean, or with ``layer`` the outputs
    {embedding: that layer's output on the image itself, probs: the mean}. The weights are ``model``'s own."""
    keras = import_keras()
    inner = keras.Model(
        model.inputs, {"probs": model.outputs[0]} | ({"embedding": model.get_layer(layer).output} if layer else {})
    )
    image = keras.Input(INPUT_SHAPE, name="image")
    seen, mirrored = inner(image), inner(keras.ops.flip(image, axis=WIDTH_AXIS))
    probs = keras.layers.Average(name="probs")([seen["probs"], mirrored["probs"]])
    outputs = {"embedding": seen["embedding"], "probs": probs} if layer else probs
    return keras.Model(image, outputs, name=f"{model.name}_mirror_averaged")


def build(arch: str, n_classes: int) -> Any:
    """A fresh, uncompiled model of the named architecture."""
    if arch not in ARCHITECTURES:
        raise FmtwistError(f"unknown architecture '{arch}'; choose one of: {', '.join(ARCHITECTURES)}")
    if n_classes < 2:
        raise FmtwistError(f"a classifier needs at least 2 classes, got {n_classes}")
    return ARCHITECTURES[arch](n_classes)


def layer_table(model: Any) -> list[dict[str, Any]]:
    """Name, type, output shape and parameter count of every layer."""
    rows = []
    for layer in model.layers:
        shape = tuple(layer.output.shape)
        rows.append(
            {
                "name": layer.name,
                "type": type(layer).__name__,
                "output_shape": ["N" if d is None else int(d) for d in shape],
                "params": int(layer.count_params()),
            }
        )
    return rows


# The registry's names as an Enum, so `fmtwist train --help` lists them and a typo is a usage error (an
# architecture registered later is still taken by name: TrainConfig checks the registry itself).
Arch = Enum("Arch", {name: name for name in ARCHITECTURES}, type=str)
