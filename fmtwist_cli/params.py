"""Parameter limits and choices, declared once per step and checked once where the step starts.

As scikit-learn's ``_parameter_constraints``: each step keeps one table ``{name: Limit(...)}`` and checks its
parameters against it before any work. Errors are :class:`~fmtwist_cli.errors.ParameterError`s naming the
parameter, which the command line renders with its flag (``eps`` -> ``--eps``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum
from typing import Any, TypeVar

import numpy as np

from fmtwist_cli.errors import ParameterError

E = TypeVar("E", bound=Enum)


def choice(kind: type[E], value: Any, name: str) -> E:
    """``value`` (the Enum member or its value) as a member of ``kind``; else an error listing the choices."""
    try:
        return kind(value.value if isinstance(value, Enum) else value)
    except ValueError:
        choices = ", ".join(str(m.value) for m in kind)
        raise ParameterError("{} must be one of " + f"{choices}; got {value!r}", name) from None


def check(limits: dict[str, Limit], values: dict[str, Any], n: int | None = None) -> dict[str, Any]:
    """Every value checked against its limit (a name with no limit passes as it is)."""
    return {name: limits[name].check(name, v, n) if name in limits else v for name, v in values.items()}


@dataclass(frozen=True)
class Limit:
    """What one parameter accepts: a whole number of at least ``low`` (at most
    the number of points when ``up_to_n``), or with ``whole=False`` a finite
    number greater than ``low``; or one of the ``also`` values ("auto", None)."""

    low: int | float
    whole: bool = True
    up_to_n: bool = False
    also: tuple[Any, ...] = ()

    def check(self, name: str, value: Any, n: int | None = None) -> Any:
        if value is None and None in self.also or isinstance(value, str) and value in self.also:
            return value
        number = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
        if self.whole:
            if not number or not isinstance(value, (int, np.integer)) or value < self.low:
                raise ParameterError("{} must be a whole number of at least " + f"{self.low}, got {value}", name)
            if self.up_to_n and n is not None and value > n:
                raise ParameterError("{} " + f"{value} is more than the {n} points to cluster", name)
            return int(value)
        if not number or not math.isfinite(value) or not value > self.low:
            auto = "".join(f" or '{a}'" for a in self.also if a is not None)
            raise ParameterError("{} must be a number greater than " + f"{self.low:g}{auto}, got {value}", name)
        return float(value)
