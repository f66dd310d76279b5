"""At home in a notebook: a progress bar drawn as HTML in the cell, without tqdm or widgets.

It updates one display (``IPython.display.display(..., display_id=True)``), so it works in Jupyter,
VS Code and Colab alike and leaves one small bar per task in the saved notebook.
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


def bar_html(task: str, done: int, total: int | None, note: str = "") -> str:
    share = min(1.0, done / total) if total else 0.0
    count = f"{done:,}/{total:,}" if total else f"{done:,}"
    return (
        '<div style="font-family: monospace; font-size: 12px;">'
        f"{html.escape(task)} "
        f'<progress value="{share:.4f}" max="1" style="width: 16em; vertical-align: middle;"></progress> '
        f"{count} {html.escape(note)}</div>"
    )


class NotebookBar:
    """A :class:`~fmtwist_cli.result.Progress` that draws one bar per task in the running cell."""

    def __init__(self) -> None:
        self.task: str | None = None
        self.handle: Any = None
        self.last = 0.0

    def __call__(self, done: int, total: int | None, task: str = "", **info: Any) -> None:
        from IPython.display import HTML, display

        note = str(info.get("metrics", ""))
        body = HTML(bar_html(task, done, total, note))
        if task != self.task or self.handle is None:
            self.task, self.handle, self.last = task, display(body, display_id=True), time.monotonic()
            return
        finished = total is not None and done >= total
        if finished or time.monotonic() - self.last >= MIN_INTERVAL:
            self.handle.update(body)
            self.last = time.monotonic()
