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
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table


def out() -> Console:
    # Built per call so tests capturing sys.stdout see the output.
    return Console(file=sys.stdout, highlight=False, soft_wrap=True)


def err() -> Console:
    return Console(file=sys.stderr, highlight=False, soft_wrap=True)


def print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, indent=2) + "\n")


_LIVE: list[Progress] = []  # the bar drawing now, if any: a log line must go above it, not onto its line


def log(message: str) -> None:
    """One line on stderr, as written (no markup), above a bar that is drawing."""
    console = _LIVE[-1].console if _LIVE else err()
    console.print(message, markup=False)


def table(title: str | None, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    t = Table(title=title, title_justify="left")
    for i, col in enumerate(columns):
        t.add_column(col, justify="left" if i == 0 else "right")
    for row in rows:
        t.add_row(*(str(v) for v in row))
    out().print(t)


@contextlib.contextmanager
def bar(unit: str = "items") -> Iterator[Callable[..., None]]:
    """Yield a :class:`fmtwist_cli.result.Progress` drawing a bar on stderr: one bar per task, the current
    one shown (a finished task's bar gives way to the next). Nothing is drawn when stderr is not a terminal;
    the bar appears on the first report, so a step with nothing to do shows nothing."""
    columns = [TextColumn("{task.description}"), BarColumn(bar_width=20)]
    columns.append(DownloadColumn() if unit == "bytes" else MofNCompleteColumn())
    columns += [TimeElapsedColumn(), TextColumn("{task.fields[note]}")]
    console = err()
    bars = Progress(*columns, console=console, disable=not console.is_terminal, transient=True)
    current: dict[str, Any] = {}

    def update(done: int, total: int | None, task: str = "", **info: Any) -> None:
        if not bars.live.is_started:
            bars.start()
        if current.get("task") != task:
            if "id" in current:
                bars.remove_task(current["id"])
            current.update(task=task, id=bars.add_task(escape(task), total=total, note=""))
        note = {"note": escape(str(info["metrics"]))} if "metrics" in info else {}
        bars.update(current["id"], completed=done, total=total, **note)

    _LIVE.append(bars)
    try:
        yield update
    finally:
        _LIVE.remove(bars)
        bars.stop()


CLI_ONLY = ("artifacts_dir", "as_json")  # options of every command that are not its step's


def run_step(step: Callable[..., Any], scope: dict[str, Any], unit: str = "items", cli_only: Sequence[str] = ()) -> Any:
    """Call a command's library step with the command's options (``scope``: its ``locals()``, parameters only),
    its progress drawn as a bar and its notes logged; return the step's Result."""
    options = {k: v for k, v in scope.items() if k not in (*CLI_ONLY, *cli_only)}
    with bar(unit) as progress:
        return step(scope["artifacts_dir"], **options, progress=progress, log=log)


def flag(param: str) -> str:
    """A library parameter's name as the command line spells it: min_samples -> --min-samples."""
    return FLAGS.get(param, "--" + param.replace("_", "-"))


FLAGS = {"artifacts_dir": "--artifacts", "guess": "GUESS", "path": "PATH"}
