"""What every step returns, and the two callbacks every step takes.

A step (``Workspace.cluster`` and its command ``fmtwist cluster`` alike) returns a
:class:`Result`: the main file written, the summary its command's ``--json``
prints, and the loaded artifact where there is one. In a notebook a result shows
itself: a figure as its image, a page inline.
"""

from __future__ import annotations

import html
import io
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from fmtwist_cli.shown import literal


class Progress(Protocol):
    """How a step reports its progress: ``done`` of ``total`` units (``total`` None while unknown) of ``task``.

    ``done`` counts from the start of the task; a new ``task`` starts a new bar. ``info`` carries figures a
    renderer may show beside the bar (training's running loss and accuracy)."""

    def __call__(self, done: int, total: int | None, task: str = "", **info: Any) -> None: ...


Log = Callable[[str], None]  # one line for the person watching (stderr in a shell, the cell in a notebook)


def to_stderr(line: str) -> None:
    """The default :data:`Log`: a notebook shows stderr under the cell; control characters escaped
    (:func:`fmtwist_cli.shown.literal`)."""
    print(literal(line), file=sys.stderr)


def quiet(done: int, total: int | None, task: str = "", **info: Any) -> None:
    """The progress callback that shows nothing."""


@dataclass
class Result:
    """One step's outcome: the main file written, the ``--json`` summary, and what was loaded or drawn."""

    path: Path | None
    summary: dict[str, Any]
    artifact: Any = None  # the loaded artifact (Artifact, TrainResult, ...) where the step has one
    figure: Any = None  # a matplotlib Figure, for the steps that draw one
    page: Path | None = None  # an HTML page to show inline (explore, report)
    paths: list[Path] = field(default_factory=list)  # every file written, the main one first

    def __repr__(self) -> str:
        written = f" wrote {self.path}" if self.path else ""
        return f"<fmtwist Result{written}; summary keys: {', '.join(self.summary)}>"

    def _repr_png_(self) -> bytes | None:
        if self.figure is None:
            return None
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png")
        return buffer.getvalue()

    def _repr_html_(self) -> str | None:
        if self.page is None:
            return None
        return inline_page(Path(self.page).read_text(encoding="utf-8"))


def inline_page(page: str, height: int = 820) -> str:
    """A whole HTML page as one notebook output: an iframe holding the page itself, so it needs no server and
    works in Jupyter, VS Code, Colab and an nbconvert export alike (each of which sandbox an output's scripts
    differently, but all run a srcdoc frame's)."""
    return (
        f'<iframe srcdoc="{html.escape(page, quote=True)}" '
        f'style="width: 100%; height: {height}px; border: 1px solid #ccc;" '
        'sandbox="allow-scripts allow-downloads allow-same-origin allow-modals"></iframe>'
    )
