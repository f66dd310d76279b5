"""Rich output for people: tables and progress on the right stream.

Results go to stdout, progress and logs to stderr. Plain text (no colour, no
escape codes) when the stream is not a terminal or NO_COLOR is set.

Every string is shown as the characters it holds (:func:`literal`): the consoles
here never read markup or emoji codes in what they print, and show control
characters (ESC, BEL, CR, DEL, C1) as ``\\x1b``-style escapes, so a folder named
``runs[2]`` or a file's metadata cannot restyle the output or drive the terminal.
Styling comes from structure (``say((text, "bold"), ...)``), never from a string.
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
from rich.text import Span, Text

from fmtwist_cli.shown import has_control, literal


def _literal_text(text: Text) -> Text:
    """A rich Text with its control characters escaped, each run keeping its styles."""
    if not has_control(text.plain):
        return text
    cuts = sorted({0, len(text)} | {s.start for s in text.spans} | {s.end for s in text.spans})
    shown = Text(style=text.style, justify=text.justify, no_wrap=text.no_wrap, end=text.end)
    for piece in text.divide(cuts[1:-1]):
        plain = literal(piece.plain)
        shown.append_text(Text(plain, spans=[Span(0, len(plain), s.style) for s in piece.spans]))
    return shown


class LiteralConsole(Console):
    """A console whose ``print`` shows strings literally: no markup, no emoji codes, control characters escaped."""

    def print(self, *objects: Any, **kwargs: Any) -> None:
        kwargs.update(markup=False, emoji=False, highlight=False)
        shown = [
            Text(literal(o)) if isinstance(o, str) else _literal_text(o) if isinstance(o, Text) else o for o in objects
        ]
        super().print(*shown, **kwargs)


def out() -> Console:
    # Built per call so tests capturing sys.stdout see the output.
    return LiteralConsole(file=sys.stdout, highlight=False, soft_wrap=True, emoji=False, markup=False)


def err() -> Console:
    return LiteralConsole(file=sys.stderr, highlight=False, soft_wrap=True, emoji=False, markup=False)


def say(*parts: str | tuple[str, str]) -> None:
    """One line on stdout, every part shown literally; a ``(text, style)`` part is styled (e.g. ``"bold"``)."""
    line = Text()
    for part in parts:
        text, style = part if isinstance(part, tuple) else (part, None)
        line.append(literal(text), style=style)
    out().print(line)


def write(text: str) -> None:
    """Text already laid out (e.g. plain-character images), written to stdout as it is, control characters
    escaped."""
    sys.stdout.write(literal(text))


def print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, indent=2) + "\n")


_LIVE: list[Progress] = []  # the bar drawing now, if any: a log line must go above it, not onto its line


def log(message: str) -> None:
    """One line on stderr, as written (no markup), above a bar that is drawing."""
    console = _LIVE[-1].console if _LIVE else err()
    console.print(Text(literal(message)))


def table(title: str | None, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """A table on stdout, every title, header and cell shown literally (one line each)."""
    cell = lambda v: Text(literal(v, lines=False))  # noqa: E731
    t = Table(
        title=None if title is None else Text(literal(title, lines=False), style="table.title"), title_justify="left"
    )
    for i, col in enumerate(columns):
        t.add_column(cell(col), justify="left" if i == 0 else "right")
    for row in rows:
        t.add_row(*map(cell, row))
    out().print(t)


@contextlib.contextmanager
def bar(unit: str = "items") -> Iterator[Callable[..., None]]:
    """Yield a :class:`fmtwist_cli.result.Progress` drawing a bar on stderr: one bar per task, the current
    one shown (a finished task's bar gives way to the next). Nothing is drawn when stderr is not a terminal;
    the bar appears on the first report, so a step with nothing to do shows nothing."""
    columns = [TextColumn("{task.description}", markup=False), BarColumn(bar_width=20)]
    columns.append(DownloadColumn() if unit == "bytes" else MofNCompleteColumn())
    columns += [TimeElapsedColumn(), TextColumn("{task.fields[note]}", markup=False)]
    console = err()
    bars = Progress(*columns, console=console, disable=not console.is_terminal, transient=True)
    current: dict[str, Any] = {}

    def update(done: int, total: int | None, task: str = "", **info: Any) -> None:
        if not bars.live.is_started:
            bars.start()
        if current.get("task") != task:
            if "id" in current:
                bars.remove_task(current["id"])
            current.update(task=task, id=bars.add_task(literal(task, lines=False), total=total, note=""))
        note = {"note": literal(info["metrics"], lines=False)} if "metrics" in info else {}
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
