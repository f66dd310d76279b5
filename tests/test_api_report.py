"""report/step.py and explore/step.py: `Workspace.report` is `fmtwist report` and `Workspace.explore` is
`fmtwist explore` (same files, same summary), and each result shows its page inline in a notebook."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from helpers import both_ways, write_blob_puzzle

from fmtwist_cli import Workspace
from fmtwist_cli.report.render import Report


def srcdoc(frame: str) -> str:
    """The page inside an inline frame (Result._repr_html_), as the browser reads it."""
    found = re.fullmatch(r'<iframe srcdoc="([^"]*)" style="[^"]*" sandbox="[^"]*"></iframe>', frame)
    assert found, frame[:200]
    return html.unescape(found.group(1))


@pytest.fixture
def blob(tmp_path) -> Path:
    return write_blob_puzzle(tmp_path / "art")


# ---------------------------------------------------------------- report


@pytest.mark.slow  # writes a whole report, twice
def test_report_both_ways(blob, tmp_path):
    argv = ["report", "-a", blob, "--answer-key", blob / "twist.json", "--seed", "1"]
    call = lambda: Workspace(blob).report(answer_key=blob / "twist.json", seed=1)  # noqa: E731
    result = both_ways(blob, argv, call, tmp_path)
    out = blob / "report"
    assert result.path == result.page == out / "index.html"
    assert result.paths[:2] == [out / "index.html", out / "report.md"]
    assert set(result.paths) == {p for p in out.rglob("*") if p.is_file()}
    assert result.summary["written"] == {"html": str(out / "index.html"), "markdown": str(out / "report.md")}
    assert isinstance(result.artifact, Report)


@pytest.mark.slow  # writes a whole report
def test_report_shows_inline_with_its_figures(blob, tmp_path):
    result = Workspace(blob, log=lambda line: None).report(out=tmp_path / "r")
    page = srcdoc(result._repr_html_())
    assert page == (tmp_path / "r" / "index.html").read_text(encoding="utf-8")
    sources = re.findall(r'<img [^>]*src="([^"]*)"', page)
    assert sources and all(s.startswith("data:image/png;base64,") for s in sources)  # no file for a srcdoc to miss
    assert len(sources) == len([p for p in result.paths if p.suffix == ".png"])
    assert "<link" not in page  # the style sheet is inline too


def test_report_options_are_the_commands(blob, tmp_path):
    import inspect

    params = inspect.signature(Workspace(blob).report).parameters
    assert list(params) == ["answer_key", "reference", "embeddings", "out", "seed", "progress", "log"]


def test_report_refuses_before_any_work_as_the_command_does(tmp_path, run):
    from fmtwist_cli.errors import FmtwistError

    message = f"data file not found: {tmp_path / 'data.npz'} (run `fmtwist prepare` first)"
    with pytest.raises(FmtwistError, match=re.escape(message)):
        Workspace(tmp_path).report()
    assert run("report", "-a", tmp_path)[::2] == (1, f"error: {message}\n")
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- explore


def test_explore_both_ways(blob, tmp_path):
    argv = ["explore", "-a", blob, "--answer-key", blob / "twist.json"]
    lines: list[str] = []
    result = both_ways(
        blob, argv, lambda: Workspace(blob, log=lines.append).explore(answer_key=blob / "twist.json"), tmp_path
    )
    assert result.path == result.page == result.paths[0] == blob / "explore.html"
    assert result.summary["written"] == str(blob / "explore.html") and result.summary["points"] == 330
    assert lines == []  # nothing to say on this folder


def test_explore_shows_the_page_inline(blob):
    result = Workspace(blob).explore()
    frame = result._repr_html_()
    assert frame.startswith("<iframe srcdoc=") and "allow-scripts" in frame  # the page's script runs
    assert srcdoc(frame) == (blob / "explore.html").read_text(encoding="utf-8")


@pytest.mark.slow  # makes a t-SNE map
def test_explore_without_a_map_makes_it_both_ways(blob, tmp_path):
    (blob / "coords-tsne.npz").unlink()
    seen: list[tuple] = []
    ws = Workspace(blob, progress=lambda done, total, task="", **info: seen.append((done, total, task)), log=print)
    result = both_ways(blob, ["explore", "-a", blob, "--seed", "0"], lambda: ws.explore(seed=0), tmp_path)
    assert result.paths == [blob / "explore.html", blob / "coords-tsne.npz"]
    assert result.summary["notes"] == [
        f"no map yet: running `fmtwist reduce --method tsne` on {blob / 'embeddings.npz'} first"
    ]
    assert seen and seen[-1][0] == seen[-1][1]
    assert {task for *_, task in seen} == {"t-SNE map", "10 nearest neighbours in the encoding"}
