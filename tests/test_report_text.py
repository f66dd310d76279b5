"""report/text.py and report/render.py: a file's text shows as its characters in report.md and index.html, and
both renderings open with the answer, then the contents list, then the evidence."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from fmtwist_cli.report.render import Link, Report, Section, Table, render_html, render_markdown
from fmtwist_cli.report.text import inline_html, literal, literal_but_code, plain, slug

EVIL = "<img src=x onerror=alert(1)> **bold** [link](http://x)"
TRICKY = [
    EVIL,
    "# a heading",
    "- a list item",
    "+ another",
    "12. an ordered item",
    "> a quote",
    "a_b_ *c* `code` ~~gone~~ | pipe",
    "&amp; &lt;b&gt; & <b>",
    "back\\slash \\*",
    "www.example.com and https://example.com",
    "![image](x.png)",
    "two\nlines",
    "---",
    "===",
    "-1 and 1.00",
]


class Tags(HTMLParser):
    """Every start tag, and the text, of an HTML document."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def parsed(page: str) -> Tags:
    tags = Tags()
    tags.feed(page)
    return tags


def markdown_html(text: str) -> str:
    """report.md as a CommonMark reader (with tables and strikethrough, as GitHub's) shows it."""
    return MarkdownIt("commonmark").enable("table").enable("strikethrough").render(text)


@pytest.mark.parametrize("value", TRICKY)
def test_literal_shows_its_characters_in_both_renderings(value):
    shown = value.replace("\n", " ")
    paragraph = f"Source: {literal(value)}."
    for page in (markdown_html(paragraph), f"<p>{inline_html(paragraph)}</p>"):
        tags = parsed(page)
        assert [t for t, _ in tags.tags] == ["p"], page  # no tag came from the value
        assert "".join(tags.text).strip() == f"Source: {shown}."
    assert plain(literal(value)) == shown


def test_our_own_markdown_still_renders():
    assert (
        inline_html("**Class 2** `fmtwist grade` a<b") == "<strong>Class 2</strong> <code>fmtwist grade</code> a&lt;b"
    )
    line = literal_but_code(f"{EVIL} left out: run `fmtwist reduce` again")
    tags = parsed(markdown_html(line))
    assert [t for t, _ in tags.tags] == ["p", "code"]
    assert "".join(tags.text).strip() == f"{EVIL} left out: run fmtwist reduce again"


def report_of_files(tmp_path: Path) -> Report:
    """A report whose every kind of block carries the value: a paragraph, a table, a link, a missing piece."""
    answer = Section("The guess in short").add("Each class:", Table(["class", "made of"], [[0, "Coat + Shirt"]]))
    evidence = [
        Section("Data").add(f"Source: {literal(EVIL)}.", Table(["file", "value"], [[EVIL, 1], ["b|c", 2]])),
        Section("Explore it yourself").add(Link("See ", EVIL, tmp_path / "a (1) [x].html", ".")),
    ]
    return Report("What is each mystery class made of?", evidence, {}, [f"{EVIL}: run `fmtwist embed`"], answer)


def test_a_files_text_takes_no_markup_in_the_report(tmp_path):
    report = report_of_files(tmp_path)
    for page in (render_html(report, tmp_path), markdown_html(render_markdown(report, tmp_path))):
        tags = parsed(page)
        names = [t for t, _ in tags.tags]
        assert not {"img", "em", "del"} & set(names)
        assert names.count("strong") == 1  # our own "Missing pieces", none from the value
        links = [a["href"] for t, a in tags.tags if t == "a"]
        assert "http://x" not in links
        assert "".join(tags.text).count(EVIL) == 4  # paragraph, table cell, link text, missing piece
    md = render_markdown(report, tmp_path)
    assert f"Source: {literal(EVIL)}." in md and "<img" not in md
    assert "[link](http://x)" not in md
    assert "| b\\|c | 2 |" in md
    assert "(a%20%281%29%20%5Bx%5D.html)" in md  # the link target stays one link


def headings(page: str) -> list[tuple[str, str]]:
    """(tag, text) of the h1/h2 headings of an HTML document, in order."""

    class Headings(HTMLParser):
        def __init__(self):
            super().__init__()
            self.found: list[list[str]] = []
            self.inside = None

        def handle_starttag(self, tag, attrs):
            if tag in ("h1", "h2"):
                self.inside = tag
                self.found.append([tag, ""])

        def handle_endtag(self, tag):
            if tag == self.inside:
                self.inside = None

        def handle_data(self, data):
            if self.inside:
                self.found[-1][1] += data

    h = Headings()
    h.feed(page)
    return [tuple(f) for f in h.found]


def test_the_answer_comes_first_then_the_contents(tmp_path):
    report = report_of_files(tmp_path)
    page = render_html(report, tmp_path)
    assert headings(page) == [
        ("h1", report.title),
        ("h2", "The guess in short"),
        ("h2", "Contents"),
        ("h2", "Data"),
        ("h2", "Explore it yourself"),
    ]
    tags = parsed(page)
    ids = {a["id"] for _, a in tags.tags if "id" in a}
    contents = [a["href"] for t, a in tags.tags if t == "a" and a["href"].startswith("#")]
    assert contents == ["#data", "#explore-it-yourself"] and {c[1:] for c in contents} <= ids
    md = render_markdown(report, tmp_path)
    assert [line for line in md.splitlines() if line.startswith("#")] == [
        f"# {report.title}",
        "## The guess in short",
        "## Contents",
        "## Data",
        "## Explore it yourself",
    ]
    assert "## Contents\n\n- [Data](#data)\n- [Explore it yourself](#explore-it-yourself)\n" in md
    assert slug("Scored against the answer key") == "scored-against-the-answer-key"
