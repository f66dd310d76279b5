"""The report in a real browser (Debian chromium, as tests/test_explore_browser.py drives it): the first section
a reader meets after the title is the guess, then the contents list, whose links reach their sections (issue 18)."""

from __future__ import annotations

import pytest
from browser import chromium, pytestmark  # noqa: F401 (pytestmark: the module skips without a browser)
from test_report_text import report_of_files

from fmtwist_cli.report.render import render_html


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    index = folder / "index.html"
    index.write_text(render_html(report_of_files(folder), folder), encoding="utf-8")
    with chromium(tmp_path_factory, 1280, 800) as context:
        tab = context.new_page()
        errors: list[str] = []
        tab.on("pageerror", lambda e: errors.append(str(e)))
        tab.goto(index.resolve().as_uri())
        yield tab, errors


def test_the_guess_is_the_first_section_on_screen(page):
    tab, errors = page
    # headings in the order they are laid out, top to bottom, as a reader scrolls
    shown = tab.evaluate(
        """() => [...document.querySelectorAll('h1, h2')]
             .map((h) => [h.tagName, h.textContent.trim(), h.getBoundingClientRect().top])
             .sort((a, b) => a[2] - b[2]).map(([tag, text]) => [tag, text])"""
    )
    assert shown[1:3] == [["H2", "The guess in short"], ["H2", "Contents"]]
    assert tab.evaluate("() => document.querySelector('h2').getBoundingClientRect().top") < 800  # no scrolling
    assert errors == []


def test_the_contents_links_reach_their_sections(page):
    tab, _ = page
    links = tab.locator("nav#contents a").all()
    assert [link.get_attribute("href") for link in links] == ["#data", "#explore-it-yourself"]
    for link in links:
        target = link.get_attribute("href")[1:]
        tab.evaluate("() => window.scrollTo(0, 0)")
        link.click()
        top = tab.evaluate(f"() => document.getElementById({target!r}).getBoundingClientRect().top")
        assert tab.evaluate("() => location.hash") == f"#{target}" and 0 <= top < 800, (target, top)
