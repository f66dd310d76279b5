"""What a report is made of (sections of paragraphs, tables, figures, links) and its two renderings.

``index.html`` is one self-contained file (figures inlined, the style sheet
``report.css`` inlined); ``report.md`` has its figures beside it. Paragraphs use a
little Markdown (``**bold**``, ```code```, "- " lists) that both renderings read.
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

from fmtwist_cli import artifacts

DPI = 80


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


def _inline(text: str) -> str:
    """The little markdown used in paragraphs (**bold**, `code`) as HTML."""
    out = html.escape(text)
    out = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", out)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", out)


def _paragraph_html(text: str) -> str:
    parts = []
    for chunk in text.split("\n\n"):
        lines = chunk.split("\n")
        if all(line.startswith("- ") for line in lines):
            parts.append("<ul>" + "".join(f"<li>{_inline(line[2:])}</li>" for line in lines) + "</ul>")
        else:
            parts.append(f"<p>{_inline(chunk)}</p>")
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
        return f'<p>{_inline(block.before)}<a href="{href}">{html.escape(block.text)}</a>{_inline(block.after)}</p>'
    data = base64.b64encode(block.png).decode("ascii")
    return (
        f'<figure><img alt="{html.escape(block.caption)}" src="data:image/png;base64,{data}">'
        f"<figcaption>{_inline(block.caption)}</figcaption></figure>"
    )


def render_html(report: Report, out_dir: Path) -> str:
    body = [f"<h1>{html.escape(report.title)}</h1>"]
    if report.missing:
        body.append(
            '<div class="missing"><p><strong>Missing pieces</strong> '
            "(the report shows what it can without them):</p><ul>"
            + "".join(f"<li>{_inline(m)}</li>" for m in report.missing)
            + "</ul></div>"
        )
    for section in report.sections:
        body.append(f"<h2>{html.escape(section.title)}</h2>")
        body.extend(_block_html(block, out_dir) for block in section.blocks)
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
    return str(v).replace("|", "\\|").replace("\n", " ")


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
        return [f"{block.before}[{block.text}]({_href(block.target, out_dir)}){block.after}", ""]
    return [f"![{_md_cell(block.caption)}]({figures_dir}/{block.name}.png)", "", f"*{block.caption}*", ""]


def render_markdown(report: Report, out_dir: Path, figures_dir: str = "figures") -> str:
    out = [f"# {report.title}", ""]
    if report.missing:
        out += ["**Missing pieces** (the report shows what it can without them):", ""]
        out += [f"- {m}" for m in report.missing] + [""]
    for section in report.sections:
        out += [f"## {section.title}", ""]
        for block in section.blocks:
            out += _block_markdown(block, out_dir, figures_dir)
    return "\n".join(out)


def figures(report: Report) -> list[Figure]:
    return [block for section in report.sections for block in section.blocks if isinstance(block, Figure)]


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
