"""Rich output for people: tables and progress on the right stream.

Results go to stdout, progress and logs to stderr. Plain text (no colour, no
escape codes) when the stream is not a terminal or NO_COLOR is set.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table


def out() -> Console:
    # Built per call so tests capturing sys.stdout see the output.
    return Console(file=sys.stdout, highlight=False, soft_wrap=True)


def err() -> Console:
    return Console(file=sys.stderr, highlight=False, soft_wrap=True)


def print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, indent=2) + "\n")


def log(message: str) -> None:
    err().print(message)


def table(title: str | None, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    t = Table(title=title, title_justify="left")
    for i, col in enumerate(columns):
        t.add_column(col, justify="left" if i == 0 else "right")
    for row in rows:
        t.add_row(*(str(v) for v in row))
    out().print(t)


@contextlib.contextmanager
def progress(description: str, total: int | None = None, unit: str = "items") -> Iterator[Callable[..., None]]:
    """Yield ``advance(n=1, total=None)`` driving a progress bar on stderr.

    The bar appears on the first advance, so work that turns out to be
    unnecessary (data already on disk) shows nothing.
    """
    columns = [TextColumn("{task.description}"), BarColumn()]
    columns.append(DownloadColumn() if unit == "bytes" else MofNCompleteColumn())
    columns.append(TimeElapsedColumn())
    console = err()
    bar = Progress(*columns, console=console, disable=not console.is_terminal)
    task = bar.add_task(description, total=total)

    def advance(n: int = 1, total: int | None = None) -> None:
        if not bar.live.is_started:
            bar.start()
        if total:
            bar.update(task, total=total)
        bar.advance(task, n)

    try:
        yield advance
    finally:
        bar.stop()
