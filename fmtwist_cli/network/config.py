"""What a training run is asked to do (:class:`TrainConfig`) and what each setting takes (:data:`LIMITS`).

The defaults are the notebook's: Adam, categorical cross-entropy, the last 20 % of the training images held out
for validation, batches of 128, 15 epochs; an architecture's own recipe (``models.recipe``) fills what is left
unset. The settings are checked once, against one table, before any work; errors name the setting
(``epochs must be at least 1 (got 0)``), which the command line renders with its flag (``--epochs``).
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any

from fmtwist_cli.artifacts.layout import Labels
from fmtwist_cli.errors import ParameterError
from fmtwist_cli.network import backends, models
from fmtwist_cli.network.precision import Precision
from fmtwist_cli.params import choice


@dataclass(frozen=True)
class Bound:
    """What a numeric setting takes: a number of at least ``low`` (above it with ``above``), below ``high``
    where there is one; a whole number unless ``whole=False``. None (the recipe's, or no limit) passes."""

    low: float
    high: float | None = None
    above: bool = False
    whole: bool = True

    def words(self) -> str:
        if self.high is not None:
            return f"in [{self.low:g}, {self.high:g})"
        return f"above {self.low:g}" if self.above else f"at least {self.low:g}"

    def check(self, name: str, value: Any) -> None:
        if value is None:
            return
        kind = numbers.Integral if self.whole else numbers.Real
        if not isinstance(value, kind) or isinstance(value, bool):
            raise ParameterError("{} must be a " + ("whole " if self.whole else "") + f"number (got {value!r})", name)
        fits = (value > self.low if self.above else value >= self.low) and (self.high is None or value < self.high)
        if not fits:
            raise ParameterError("{} must be " + self.words() + f" (got {value})", name)


LIMITS = {
    "epochs": Bound(1),
    "batch_size": Bound(1),
    "validation_split": Bound(0, high=1, whole=False),
    "limit": Bound(2),  # a split of one image leaves nothing to hold out
    "learning_rate": Bound(0, above=True, whole=False),
    "weight_decay": Bound(0, whole=False),
    "steps_per_execution": Bound(1),
}
CHOICES: dict[str, type[Enum]] = {
    "labels": Labels,
    "schedule": models.Schedule,
    "backend": backends.Backend,
    "device": backends.Device,
    "precision": Precision,
}
# Settings left None that the architecture's recipe fills (the learning rate too, with the recipe's optimizer).
FROM_RECIPE = ("optimizer", "batch_size", "epochs", "schedule", "steps_per_execution", "flips")


@dataclass
class TrainConfig:
    """The notebook's settings are the defaults.

    Epochs, batch size, optimizer, learning rate, its schedule, the steps
    per execution and the flips left as None come from the architecture's recipe
    (``models.recipe``) for the precision asked (auto: the float32 recipe, until training resolves it and
    calls :meth:`in_precision`); the recipe's learning rate and weight decay go with its optimizer.
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
    precision: str = "auto"  # auto, float32 or bfloat16 (network.precision: auto follows the CPU's flags)
    learning_rate: float | None = None
    weight_decay: float | None = None
    schedule: str | None = None  # models.Schedule
    steps_per_execution: int | None = None
    flips: bool | None = None  # mirrored images in training, mirror-averaged test figures (models.Recipe.flips)

    def __post_init__(self) -> None:
        # A recipe's batch size and learning rate go together: an asked batch size takes the float32 recipe's rate
        precision = str(getattr(self.precision, "value", self.precision)) if self.batch_size is None else "float32"
        recipe = models.recipe(self.arch, precision)
        # What was asked, kept off the dataclass's fields (not a setting: histories and checkpoints record the
        # fields), so that in_precision can ask the recipe again for what was left to it.
        self._asked = {name: getattr(self, name) for name in (*FROM_RECIPE, "learning_rate", "weight_decay")}
        if self.optimizer in (None, recipe.optimizer):
            if self.learning_rate is None:
                self.learning_rate = recipe.learning_rate
            if self.weight_decay is None:
                self.weight_decay = recipe.weight_decay
        own = {
            "optimizer": recipe.optimizer,
            "batch_size": recipe.batch_size,
            "epochs": recipe.epochs,
            "schedule": recipe.schedule.value,
            # Keras runs PyTorch one step per call: the recipe's batching of steps applies elsewhere only
            "steps_per_execution": 1 if self.on_torch else recipe.steps_per_execution,
            "flips": recipe.flips,
        }
        for name in FROM_RECIPE:
            if getattr(self, name) is None:
                setattr(self, name, own[name])

    def in_precision(self, resolved: Precision | str) -> TrainConfig:
        """This config to train in ``resolved`` (not auto): what the recipe filled, it fills again from the
        architecture's recipe for that precision; what was asked for stays."""
        return replace(self, **self._asked, precision=Precision(resolved).value)

    @property
    def on_torch(self) -> bool:
        return (self.backend or backends.default_backend()) == backends.Backend.torch

    def check(self) -> None:
        """Every setting against :data:`LIMITS` and :data:`CHOICES`, and the registry's architectures."""
        if self.arch not in models.ARCHITECTURES:
            raise ParameterError("{} must be one of " + f"{', '.join(models.ARCHITECTURES)}; got {self.arch!r}", "arch")
        for name, kind in CHOICES.items():
            if getattr(self, name) is not None:
                choice(kind, getattr(self, name), name)
        for name, bound in LIMITS.items():
            bound.check(name, getattr(self, name))
        if self.steps_per_execution > 1 and self.on_torch:
            raise ParameterError(
                "{} must be 1 with the torch backend (Keras runs PyTorch step by step)", "steps_per_execution"
            )
