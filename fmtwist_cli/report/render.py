"""What a report is made of (sections of paragraphs, tables, figures, links) and its two renderings.

``index.html`` is one self-contained file (figures inlined, the style sheet
``report.css`` inlined); ``report.md`` has its figures beside it. Both open with the answer, then a contents
list, then the evidence. Paragraphs use a little Markdown (``**bold**``, ```code```, "- " lists, backslash
escapes) that both renderings read (:mod:`.text`); a file's text enters a paragraph only through
:func:`.text.literal`, and table cells and link texts are shown as their characters by each rendering.
"""

from __future__ import annotations

import base64
import html
import io
import os
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fmtwist_cli import artifacts
from fmtwist_cli.report.text import inline_html, literal, literal_but_code, plain, slug

DPI = 80
CONTENTS = "Contents"  # the heading of the list of sections, after the answer


@dataclass
class Figure:
    name: str  # file stem in the report folder
    png: bytes
    caption: str


@dataclass
class Table:
    header: list[str]
    rows: list[list[Any]]


@dataclass
class Link:
    """A paragraph ``before [text](target) after``; the target is written relative to the report folder."""

    before: str
    text: str
    target: Path
    after: str = ""


Block = str | Table | Figure | Link


@dataclass
class Section:
    title: str
    blocks: list[Block] = field(default_factory=list)

    def add(self, *blocks: Block) -> Section:
        self.blocks.extend(blocks)
        return self


@dataclass
class Report:
    title: str
    sections: list[Section]
    summary: dict[str, Any]  # the --json object, read from the evidence
    missing: list[str]  # one line per missing piece, naming the command that makes it
    answer: Section | None = None  # shown first, before the contents list and the evidence (the sections)


def png(fig: Any, name: str, caption: str) -> Figure:
    """A matplotlib figure as a report figure (PNG bytes with no timestamp, so reruns give the same bytes)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return Figure(name, buf.getvalue(), caption)


@cache
def css() -> str:
    return resources.files(__package__).joinpath("report.css").read_text(encoding="utf-8")


def _href(target: Path, out_dir: Path) -> str:
    return Path(os.path.relpath(Path(target).absolute(), Path(out_dir).absolute())).as_posix()


# --------------------------------------------------------------------------
# HTML


def _paragraph_html(text: str) -> str:
    parts = []
    for chunk in text.split("\n\n"):
        lines = chunk.split("\n")
        if all(line.startswith("- ") for line in lines):
            parts.append("<ul>" + "".join(f"<li>{inline_html(line[2:])}</li>" for line in lines) + "</ul>")
        else:
            parts.append(f"<p>{inline_html(chunk)}</p>")
    return "\n".join(parts)


def _numeric(v: Any) -> bool:
    return isinstance(v, int | float) or bool(re.fullmatch(r"[-+]?[\d,.]+( %)?|–", str(v)))


def _td(v: Any) -> str:
    return f"<td>{html.escape(str(v))}</td>" if _numeric(v) else f'<td class="t">{html.escape(str(v))}</td>'


def _table_html(table: Table) -> str:
    numeric = [i == 0 or all(_numeric(row[i]) for row in table.rows) for i in range(len(table.header))]
    head = "".join(
        f"<th>{html.escape(str(h))}</th>" if num else f'<th class="t">{html.escape(str(h))}</th>'
        for h, num in zip(table.header, numeric)
    )
    rows = "".join("<tr>" + "".join(_td(v) for v in row) + "</tr>" for row in table.rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _block_html(block: Block, out_dir: Path) -> str:
    if isinstance(block, str):
        return _paragraph_html(block)
    if isinstance(block, Table):
        return _table_html(block)
    if isinstance(block, Link):
        href = html.escape(_href(block.target, out_dir))
        text = html.escape(block.text)
        return f'<p>{inline_html(block.before)}<a href="{href}">{text}</a>{inline_html(block.after)}</p>'
    data = base64.b64encode(block.png).decode("ascii")
    return (
        f'<figure><img alt="{html.escape(plain(block.caption))}" src="data:image/png;base64,{data}">'
        f"<figcaption>{inline_html(block.caption)}</figcaption></figure>"
    )


def _section_html(section: Section, out_dir: Path) -> list[str]:
    """A section in its own ``<section>``, whose id (the heading's slug, as report.md's) the contents link to."""
    return [
        f'<section id="{slug(section.title)}"><h2>{html.escape(section.title)}</h2>',
        *(_block_html(block, out_dir) for block in section.blocks),
        "</section>",
    ]


def render_html(report: Report, out_dir: Path) -> str:
    """The answer first, then the contents, the missing pieces and the evidence."""
    body = [f"<h1>{html.escape(report.title)}</h1>"]
    if report.answer is not None:
        body.extend(_section_html(report.answer, out_dir))
    links = "".join(f'<li><a href="#{slug(s.title)}">{html.escape(s.title)}</a></li>' for s in report.sections)
    body.append(f'<nav id="contents"><h2>{CONTENTS}</h2><ul>{links}</ul></nav>')
    if report.missing:
        body.append(
            '<div class="missing"><p><strong>Missing pieces</strong> '
            "(the report shows what it can without them):</p><ul>"
            + "".join(f"<li>{inline_html(literal_but_code(m))}</li>" for m in report.missing)
            + "</ul></div>"
        )
    for section in report.sections:
        body.extend(_section_html(section, out_dir))
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>'
        + html.escape(report.title)
        + f"</title><style>{css()}</style></head><body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )


# --------------------------------------------------------------------------
# Markdown


def _md_cell(v: Any) -> str:
    """A table cell's value, shown as its characters (``literal`` escapes ``|`` too)."""
    return literal(v)


def _md_href(href: str) -> str:
    """A link target that stays one Markdown link whatever the path holds (spaces, brackets)."""
    return quote(href, safe="/.-_~#")


def _block_markdown(block: Block, out_dir: Path, figures_dir: str) -> list[str]:
    if isinstance(block, str):
        return [block, ""]
    if isinstance(block, Table):
        numeric = [i > 0 and all(_numeric(row[i]) for row in block.rows) for i in range(len(block.header))]
        return [
            "| " + " | ".join(_md_cell(h) for h in block.header) + " |",
            "|" + "|".join("---:" if num else "---" for num in numeric) + "|",
            *("| " + " | ".join(_md_cell(v) for v in row) + " |" for row in block.rows),
            "",
        ]
    if isinstance(block, Link):
        return [f"{block.before}[{literal(block.text)}]({_md_href(_href(block.target, out_dir))}){block.after}", ""]
    target = _md_href(f"{figures_dir}/{block.name}.png")
    return [f"![{literal(plain(block.caption))}]({target})", "", f"*{block.caption}*", ""]


def _section_markdown(section: Section, out_dir: Path, figures_dir: str) -> list[str]:
    out = [f"## {section.title}", ""]
    for block in section.blocks:
        out += _block_markdown(block, out_dir, figures_dir)
    return out


def render_markdown(report: Report, out_dir: Path, figures_dir: str = "figures") -> str:
    """The answer first, then the contents, the missing pieces and the evidence, as in :func:`render_html`."""
    out = [f"# {report.title}", ""]
    if report.answer is not None:
        out += _section_markdown(report.answer, out_dir, figures_dir)
    out += [f"## {CONTENTS}", "", *(f"- [{s.title}](#{slug(s.title)})" for s in report.sections), ""]
    if report.missing:
        out += ["**Missing pieces** (the report shows what it can without them):", ""]
        out += [f"- {literal_but_code(m)}" for m in report.missing] + [""]
    for section in report.sections:
        out += _section_markdown(section, out_dir, figures_dir)
    return "\n".join(out)


def figures(report: Report) -> list[Figure]:
    every = ([report.answer] if report.answer is not None else []) + report.sections
    return [block for section in every for block in section.blocks if isinstance(block, Figure)]


def figure_path(out_dir: Path, figure: Figure) -> Path:
    return Path(out_dir) / "figures" / f"{figure.name}.png"


def files(report: Report, out_dir: Path) -> list[Path]:
    """Every file :func:`write` writes: index.html first, report.md, then the figures."""
    out_dir = Path(out_dir)
    return [out_dir / "index.html", out_dir / "report.md", *(figure_path(out_dir, f) for f in figures(report))]


def write(report: Report, out_dir: Path) -> dict[str, str]:
    """Write the figures, report.md and index.html (each file atomically)."""
    out_dir = Path(out_dir)
    for block in figures(report):
        artifacts.write_bytes(figure_path(out_dir, block), lambda fh, b=block.png: fh.write(b))
    md = artifacts.write_text(out_dir / "report.md", render_markdown(report, out_dir))
    page = artifacts.write_text(out_dir / "index.html", render_html(report, out_dir))
    return {"html": str(page), "markdown": str(md)}
