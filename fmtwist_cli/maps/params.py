"""What a 2-D map takes: the methods, the t-SNE backends, and each method's parameters with their limits,
declared once (:data:`PARAMETERS`) and checked by :func:`check_params` before any work, as
scikit-learn's ``_parameter_constraints``."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum
from typing import Any

import numpy as np

from fmtwist_cli.errors import ParameterError
from fmtwist_cli.params import choice


class Method(str, Enum):
    """The ways to make a 2-D map (``fmtwist reduce --method``)."""

    pca = "pca"
    tsne = "tsne"
    umap = "umap"

    @property
    def title(self) -> str:
        """The name figures and reports print: t-SNE, UMAP, PCA."""
        return {"tsne": "t-SNE", "umap": "UMAP", "pca": "PCA"}[self.value]


class TsneBackend(str, Enum):
    """Whose t-SNE runs (``fmtwist reduce --backend``); see :mod:`fmtwist_cli.maps.projection`."""

    fmtwist = "fmtwist"
    sklearn = "sklearn"
    opentsne = "opentsne"


@dataclass(frozen=True)
class Between:
    """A number from ``low`` to ``high``, both included (``closed``) or both excluded; ``high`` None is the
    number of rows, less ``rows_less``."""

    low: float
    high: float | None = None
    rows_less: int = 0
    closed: bool = True

    def check(self, name: str, value: Any, n: int) -> Any:
        high = n - self.rows_less if self.high is None else self.high
        number = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
        inside = (
            number and math.isfinite(value) and (self.low <= value <= high if self.closed else self.low < value < high)
        )
        if not inside:
            less = f" - {self.rows_less}" if self.rows_less else ""
            upper = f"{self.high:g}" if self.high is not None else f"the number of rows{less} ({high})"
            raise ParameterError("{} must be between " + f"{self.low:g} and {upper}, got {value}", name)
        return value


# Every parameter each method takes, with its limits: the one place they are declared.
PARAMETERS: dict[Method, dict[str, Between]] = {
    Method.pca: {},
    Method.tsne: {"perplexity": Between(0, closed=False)},
    Method.umap: {"n_neighbors": Between(2, rows_less=1), "min_dist": Between(0, 1)},
}


def check_params(
    method: Method | str, n: int, values: dict[str, Any], names: dict[str, str] | None = None
) -> dict[str, Any]:
    """The parameters ``method`` takes, out of ``values``, checked against :data:`PARAMETERS` for ``n`` rows.
    ``names``: what the caller calls a parameter, for its errors (the reduce step's ``neighbors``)."""
    names = names or {}
    limits = PARAMETERS[choice(Method, method, "method")]
    return {p: limit.check(names.get(p, p), values[p], n) for p, limit in limits.items() if p in values}
