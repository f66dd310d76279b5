"""`fmtwist --help` drawn without importing Typer or Rich, by the console script, :func:`main`.

``import typer`` and drawing its help with Rich take about 0.15 s, three times a bare interpreter's start-up, for
a page whose every line is known beforehand (:mod:`fmtwist_cli.cli.commands`). So :func:`main` draws that page
itself, in Typer's layout, when it can be sure of drawing the same characters: exactly ``fmtwist --help``, a
UTF-8 standard output at least :data:`NARROWEST` columns wide, on a system other than Windows, and none of the
settings that change how Rich draws (:data:`RICH_SETTINGS`). Everything else goes to Typer
(:func:`fmtwist_cli.cli.app.main`). ``tests/test_startup.py`` holds the two pages equal, character for
character, at many widths.
"""

from __future__ import annotations

import os
import sys
import textwrap

from fmtwist_cli.cli.commands import COMMANDS, HELP, OPTIONS, USAGE

NARROWEST = 60  # below it Rich shares the width out among the columns in ways not copied here
# Environment variables by which Typer or Rich change width, colour or layout: with any of them set, Typer draws.
RICH_SETTINGS = (
    "TERMINAL_WIDTH",
    "FORCE_COLOR",
    "PY_COLORS",
    "GITHUB_ACTIONS",
    "NO_COLOR",
    "TTY_COMPATIBLE",
    "TTY_INTERACTIVE",
    "_TYPER_FORCE_DISABLE_TERMINAL",
    "JUPYTER_COLUMNS",
    "JUPYTER_LINES",
)
# Rich's SGR codes for Typer's styles: option names and the command column bold cyan, types bold yellow, borders dim
BOLD, CYAN, YELLOW, DIM = "1", "1;36", "1;33", "2"


def main(argv: list[str] | None = None) -> int:
    """The console script: `fmtwist --help` drawn here where that is safe (see the module's text), else Typer."""
    args = sys.argv[1:] if argv is None else argv
    if args == ["--help"]:
        page = root_help()
        if page is not None:
            sys.stdout.write(page)
            sys.stdout.flush()
            return 0
    from fmtwist_cli.cli.app import main as run

    return run(argv)


def root_help() -> str | None:
    """The root's help as Typer would draw it on this standard output; None where that is not sure."""
    env = os.environ
    encoding = (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "")
    if sys.platform == "win32" or encoding != "utf8" or any(env.get(name) is not None for name in RICH_SETTINGS):
        return None
    terminal = sys.stdout.isatty()
    if terminal and env.get("TERM", "").lower() in ("dumb", "unknown"):
        return None
    width = _width(env.get("COLUMNS"))
    return page(width, colour=terminal) if width >= NARROWEST else None


def _width(columns: str | None) -> int:
    """Rich's console width: COLUMNS, else the first of standard input, output and error that is a terminal, else 80."""
    if columns is not None and columns.isdigit():
        return int(columns) or 80
    for descriptor in (0, 1, 2):
        try:
            return os.get_terminal_size(descriptor).columns or 80
        except (AttributeError, ValueError, OSError):
            continue
    return 80


def page(width: int, colour: bool = False) -> str:
    """The root help, ``width`` columns wide, lines padded with spaces as Rich pads them."""

    def styled(text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if colour and text.strip() else text

    def line(text: str, visible: int) -> str:
        return text + " " * (width - visible)

    blank = line("", 0)
    usage = f" {styled('Usage:', YELLOW)} {styled(USAGE, BOLD)}"
    lines = [blank, line(usage, len(USAGE) + 8), blank]
    lines += [line(f" {text}", len(text) + 1) for text in _wrap(HELP, width - 2)]
    lines.append(blank)
    name_width = max(len(name) for name, _ in OPTIONS)
    type_text = "<bool>"
    options = []
    for name, text in OPTIONS:
        left = styled(name, CYAN) + " " * (name_width - len(name) + 8) + styled(type_text, YELLOW) + "  "
        options.append((left, name_width + 8 + len(type_text) + 2, text))
    lines += _panel("Options", options, width, styled)
    name_width = max(len(name) for name in COMMANDS)
    commands = [
        (styled(name, CYAN) + " " * (name_width - len(name) + 2), name_width + 2, text)
        for name, text in COMMANDS.items()
    ]
    lines += _panel("Commands", commands, width, styled)
    return "\n".join(lines) + "\n\n"


def _panel(title: str, rows: list[tuple[str, int, str]], width: int, styled) -> list[str]:
    """A rounded box titled ``title``: each row its left part (``indent`` columns) and its help wrapped beside it."""
    inner = width - 4
    top = (
        styled("╭─", DIM) + styled(f" {title} ", DIM) + styled("─" * (width - len(title) - 6), DIM) + styled("─╮", DIM)
    )
    side = styled("│", DIM)
    lines = [top]
    for left, indent, text in rows:
        for n, piece in enumerate(_wrap(text, inner - indent)):
            start = left if n == 0 else " " * indent
            lines.append(f"{side} {start}{piece}{' ' * (inner - indent - len(piece))} {side}")
    lines.append(styled("╰" + "─" * (width - 2) + "╯", DIM))
    return lines


def _wrap(text: str, width: int) -> list[str]:
    """Rich's wrapping: at spaces only (never inside a word's hyphens), a word longer than the line folded."""
    return textwrap.wrap(text, width, break_on_hyphens=False) or [""]
