"""Text shown as the characters it holds: the one rule for every string fmtwist prints from a user or a file.

Control characters (C0, DEL, C1: ESC, BEL, CR among them) are written as ``\\xNN`` escapes, so a folder's name or a
file's metadata cannot drive the terminal (set its title, clear the screen, fake a line). The command line's
consoles (:mod:`fmtwist_cli.cli.ui`) add that they never read Rich markup; :func:`fmtwist_cli.result.to_stderr`,
the library's default log, uses the same rule.
"""

from __future__ import annotations

import re

_CONTROL = re.compile("[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f]")  # C0 but tab and line feed, DEL, C1
_CONTROL_ALL = re.compile("[\\x00-\\x1f\\x7f-\\x9f]")


def literal(text: object, lines: bool = True) -> str:
    """``text`` as the characters it holds: each control character (C0, DEL, C1) written as a ``\\xNN`` escape;
    tab and line feed kept when ``lines`` (a line break meant), escaped too when not (one line, one table cell)."""
    return (_CONTROL if lines else _CONTROL_ALL).sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))


def has_control(text: str) -> bool:
    """Whether :func:`literal` (with ``lines``) would change ``text``."""
    return _CONTROL.search(text) is not None
