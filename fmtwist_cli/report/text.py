"""The little Markdown of the report's paragraphs, and :func:`literal`, the one way a file's text enters it.

A paragraph is written once, in the Markdown both renderings read: ``**bold**``, ```code```, "- " lists,
backslash escapes and the entities ``&lt;`` ``&gt;`` ``&amp;``. ``report.md`` takes it as it is; ``index.html``
reads it with :func:`inline_html`. Every value that comes from a file (a path, a metadata string, a category name)
goes in through :func:`literal`, so that neither rendering takes Markdown or HTML from a file: a classmate's
``<img onerror=...>`` or ``[link](http://x)`` shows as the characters it is.
"""

from __future__ import annotations

import html
import re
from typing import Any

# Markdown's inline specials, escaped with a backslash wherever they stand.
_SPECIALS = re.compile(r"([\\`*_\[\]|~])")
# What starts a block (a heading, a list, a quote, a table rule) when it opens a line.
_LINE_START = re.compile(r"^(\s*)(#{1,6}(?=\s|$)|[+-](?=\s|$)|\d{1,9}(?=[.)](\s|$))|>|[=-]+\s*$)")
_ENTITIES = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}
_ENTITY_TEXT = {v: k for k, v in _ENTITIES.items()}

_TOKEN = re.compile(r"\\([!-/:-@\[-`{-~])|(&lt;|&gt;|&amp;)|`([^`]+)`|\*\*(.+?)\*\*")


def literal(value: Any) -> str:
    """``value`` as Markdown text that shows exactly its characters (on one line), in report.md and index.html."""
    text = re.sub(r"[\r\n]+", " ", str(value))
    text = re.sub(r"[<>&]", lambda m: _ENTITIES[m.group()], text)
    text = _SPECIALS.sub(r"\\\1", text)
    text = text.replace("://", r"\://")  # no bare URL made a link (GitHub's autolinks)
    text = re.sub(r"(?i)\bwww\.", r"www\\.", text)
    start = _LINE_START.match(text)
    if start:  # a digit run keeps its digits and has the "." or ")" after it escaped
        if start.group(2)[0].isdigit():
            cut = start.end()
            return text[:cut] + "\\" + text[cut:]
        return text[: start.start(2)] + "\\" + text[start.start(2) :]
    return text


def literal_code(value: Any) -> str:
    """``value`` inside a code span when it can stand there (no backtick, one line), else as :func:`literal`."""
    text = str(value)
    return f"`{text}`" if text and "`" not in text and "\n" not in text and "\r" not in text else literal(text)


def literal_but_code(line: str) -> str:
    """A line of plain text with ```code``` spans (a missing piece: a path and the command that makes it), the
    spans kept as code and the rest as :func:`literal`."""
    parts = re.split(r"(`[^`]+`)", line)
    return "".join(part if i % 2 else literal(part) for i, part in enumerate(parts))


def inline_html(text: str) -> str:
    """A paragraph's Markdown (bold, code, escapes, the three entities) as HTML; anything else is plain text."""
    out, at = [], 0
    for m in _TOKEN.finditer(text):
        out.append(html.escape(text[at : m.start()]))
        escaped, entity, code, bold = m.groups()
        if escaped is not None:
            out.append(html.escape(escaped))
        elif entity is not None:
            out.append(entity)
        elif code is not None:
            out.append(f"<code>{html.escape(code)}</code>")
        else:
            out.append(f"<strong>{inline_html(bold)}</strong>")
        at = m.end()
    out.append(html.escape(text[at:]))
    return "".join(out)


def plain(text: str) -> str:
    """A paragraph's Markdown as the plain text it shows (for an image's alt text)."""

    def one(m: re.Match) -> str:
        escaped, entity, code, bold = m.groups()
        if escaped is not None:
            return escaped
        if entity is not None:
            return _ENTITY_TEXT[entity]
        return code if code is not None else plain(bold)

    return _TOKEN.sub(one, text)


def slug(title: str) -> str:
    """A section's anchor, as GitHub makes it from a Markdown heading (so one link serves both renderings)."""
    return re.sub(r"[^\w\- ]", "", title.strip().lower()).replace(" ", "-")
