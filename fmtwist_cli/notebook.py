"""At home in a notebook: a progress bar drawn as HTML in the cell, without tqdm or widgets.

It updates one display (``IPython.display.display(..., display_id=True)``), so it works in Jupyter,
VS Code and Colab alike and leaves one small bar per task in the saved notebook (a few hundred bytes:
the kernel sends each redraw as an update of that one output, and the saved file keeps the last).
"""

from __future__ import annotations

import html
import sys
import time
from typing import Any

from fmtwist_cli.result import Progress, quiet

MIN_INTERVAL = 0.2  # seconds between redraws: each is a message to the front end


def in_notebook() -> bool:
    """True inside a Jupyter kernel (Jupyter, VS Code, Colab), where output can be HTML."""
    shell = sys.modules.get("IPython") and sys.modules["IPython"].get_ipython()
    return shell is not None and type(shell).__name__ in ("ZMQInteractiveShell", "Shell")


def default_progress() -> Progress:
    return NotebookBar() if in_notebook() else quiet


def describe(info: dict[str, Any]) -> str:
    """What a step says beside its bar: its ``metrics`` (training's running loss and accuracy), as the shell's bar
    shows them; the other ``info`` (raw numbers) is for callbacks that keep them."""
    metrics = info.get("metrics")
    if isinstance(metrics, dict):
        return "  ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in metrics.items())
    return "" if metrics is None else str(metrics)


def counts(done: int, total: int | None) -> str:
    return f"{done:,}/{total:,}" if total else f"{done:,}"


def bar_html(task: str, done: int, total: int | None, note: str = "", seconds: float | None = None) -> str:
    # no value: the browser draws an indeterminate bar while the total is unknown
    value = f' value="{min(1.0, done / total):.4f}"' if total else ""
    took = f" {seconds:.1f} s" if seconds is not None else ""
    return (
        '<div style="font-family: monospace; font-size: 12px;">'
        f"{html.escape(task)} "
        f'<progress{value} max="1" style="width: 16em; vertical-align: middle;"></progress> '
        f"{counts(done, total)}{took} {html.escape(note)}</div>"
    )


def bar_text(task: str, done: int, total: int | None, note: str = "", seconds: float | None = None) -> str:
    """The same bar for a front end that shows text only (and for the saved notebook's text view)."""
    width = 20
    filled = round(width * min(1.0, done / total)) if total else 0
    took = f" {seconds:.1f} s" if seconds is not None else ""
    return f"{task} [{'#' * filled}{'.' * (width - filled)}] {counts(done, total)}{took} {note}".rstrip()


class NotebookBar:
    """A :class:`~fmtwist_cli.result.Progress` that draws one bar per task in the running cell."""

    def __init__(self) -> None:
        self.task: str | None = None
        self.handle: Any = None
        self.started = self.last = 0.0
        self.pending: dict[str, str] | None = None  # the latest state, not drawn yet (redraws are throttled)

    def __call__(self, done: int, total: int | None, task: str = "", **info: Any) -> None:
        from IPython.display import display

        now = time.monotonic()
        if task != self.task or self.handle is None:
            self.flush()  # the previous task's bar ends showing its last count
            self.task, self.started, self.last = task, now, now
            self.handle = display(self.bundle(done, total, info, now), raw=True, display_id=True)
            return
        finished = total is not None and done >= total
        self.pending = self.bundle(done, total, info, now)
        if finished or now - self.last >= MIN_INTERVAL:
            self.flush()
            self.last = now

    def bundle(self, done: int, total: int | None, info: dict[str, Any], now: float) -> dict[str, str]:
        seconds = None if "seconds" in info else now - self.started  # a step that times itself says so in metrics
        args = (self.task or "", done, total, describe(info), seconds)
        return {"text/html": bar_html(*args), "text/plain": bar_text(*args)}

    def flush(self) -> None:
        if self.pending is not None and self.handle is not None:
            self.handle.update(self.pending, raw=True)
        self.pending = None
