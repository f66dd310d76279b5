"""Every string from a user or a file is printed as the characters it holds (issue 21).

Folder names and metadata carrying Rich markup (``[bold]``, ``[/]``, ``[final]``) and terminal escape
sequences (a title change, a screen clear) go through every command that prints them; the output keeps the
brackets and shows each control character as a ``\\xNN`` escape: never a raw ESC or BEL byte.
"""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from helpers import tiny_onnx, write_blob_puzzle

from fmtwist_cli import artifacts
from fmtwist_cli.cli import ui

ATTACK = "\x1b]0;title\x07\x1b[2J"  # sets the terminal's title, then clears the screen
NAME = f"exp[final] [bold]b[/] {ATTACK}"  # a folder name, as a user (or a classmate's archive) might give it
SHOWN = "exp[final] [bold]b[/] \\x1b]0;title\\x07\\x1b[2J"  # how it must appear
MARKUP = "[bold red]x[/]"
SGR = re.compile("\x1b\\[[0-9;]*m")  # colour and bold: what fmtwist itself writes to a terminal


def assert_literal(text: str, *expected: str) -> None:
    """No raw control character but line breaks (outside fmtwist's own colour codes); each ``expected`` kept."""
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f]", SGR.sub("", text)), repr(text)
    for part in expected:
        assert part in text, (part, text)


@pytest.fixture
def plain(monkeypatch):
    """Output as a pipe gets it: no colour codes at all."""
    for var in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_COLOR", "1")


@pytest.fixture
def crafted(viz, tmp_path) -> Path:
    """The viz artifacts in a folder whose name holds markup and an escape sequence."""
    return Path(shutil.copytree(viz, tmp_path / NAME))


def evil_clusters(folder: Path) -> Path:
    """A clusters file whose metadata (keys and values, nested too) holds markup and escape sequences."""
    meta = {"method": "kmeans", "note": ATTACK, "by": MARKUP, MARKUP: 1, "params": {"k": MARKUP + ATTACK}}
    return artifacts.save(artifacts.Artifact("clusters", {"labels": np.zeros(3, np.int64)}, meta), folder / "evil.npz")


# ---------------------------------------------------------------- the helpers


def test_literal_escapes_c0_del_and_c1_and_keeps_line_breaks_where_meant():
    assert ui.literal("a\x1b[2Jb\x07\x00\r\x7f\x9b\u0085é[x]") == "a\\x1b[2Jb\\x07\\x00\\x0d\\x7f\\x9b\\x85é[x]"
    assert ui.literal("one\ntwo\tthree") == "one\ntwo\tthree"
    assert ui.literal("one\ntwo\tthree", lines=False) == "one\\x0atwo\\x09three"


def test_the_librarys_default_log_shows_lines_literally(capsys):
    """A notebook's log (result.to_stderr) follows the same rule as the command line (fmtwist_cli.shown)."""
    from fmtwist_cli.result import to_stderr

    to_stderr(f"wrote {NAME}/clusters-kmeans.npz")
    assert capsys.readouterr().err == f"wrote {SHOWN}/clusters-kmeans.npz\n"


def test_consoles_never_read_markup_or_emoji(capsys, plain):
    ui.out().print(f"wrote {NAME} :thumbs_up:")
    ui.err().print(MARKUP)
    ui.say(("bold part " + MARKUP, "bold"), " rest [/]")
    ui.log(f"log {NAME}")
    ui.table(f"title {MARKUP}", ["col [b]", "n"], [[NAME, "[/]"]])
    out, err = capsys.readouterr()
    assert_literal(out, f"wrote {SHOWN} :thumbs_up:", f"bold part {MARKUP} rest [/]", f"title {MARKUP}", "col [b]")
    assert_literal(out, "exp[final] [bold]b[/] \\x1b]0;title\\x07\\x1b[2J", "│ [/] │")
    assert_literal(err, MARKUP, f"log {SHOWN}")


def test_a_styled_text_keeps_its_styles_and_loses_its_escapes():
    from rich.text import Text

    buf = io.StringIO()
    console = ui.LiteralConsole(file=buf, force_terminal=True, color_system="truecolor", width=200)
    text = Text("title ", style="bold")
    text.append(ATTACK, style="red")
    console.print(text)
    shown = buf.getvalue()
    # Text itself drops BEL (rich strips a few control codes); ESC it keeps, and the console shows it escaped
    assert_literal(shown, "\\x1b]0;title", "\\x1b[2J")
    assert shown.startswith("\x1b[1mtitle \x1b[0m\x1b[1;31m\\x1b]0;title")  # bold, then bold red, as it was


def test_progress_descriptions_and_notes_are_literal(monkeypatch):
    buf = io.StringIO()
    monkeypatch.setattr(ui, "err", lambda: ui.LiteralConsole(file=buf, force_terminal=True, width=200))
    with ui.bar() as progress:
        progress(1, 2, task=f"Reading {NAME}", metrics=f"loss {MARKUP}")
        ui.log(f"note {NAME}")
    shown = buf.getvalue()
    assert f"Reading {SHOWN}" in shown and MARKUP in shown and f"note {SHOWN}" in shown
    assert "\x07" not in shown and "\x1b]" not in shown and "\x1b[2J" not in shown


def test_no_command_prints_around_the_helpers():
    """Commands print only through cli/ui.py, so none can forget to show strings literally. (listing.py writes
    `fmtwist --help`'s page, its own fixed text, without importing Rich.)"""
    forbidden = re.compile(
        r"(?<![.\w])print\(|sys\.std(out|err)|typer\.echo|click\.echo|\bTable\(|\bProgress\(|from_markup|"
        r"\bConsole\(|\.file\.write|markup=True"
    )
    folder = Path(ui.__file__).parent
    offenders = [
        f"{path.name}:{n}: {line.strip()}"
        for path in sorted(folder.glob("*.py"))
        if path.name not in ("ui.py", "app.py", "listing.py")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if forbidden.search(line)
    ]
    assert offenders == []


# ---------------------------------------------------------------- every command


def test_info_shows_paths_and_metadata_literally(run, crafted, plain):
    evil = evil_clusters(crafted)
    code, out, err = run("info", evil)
    assert code == 0, err
    assert_literal(out, f"{SHOWN}/evil.npz: clusters", "  note: \\x1b]0;title\\x07\\x1b[2J", f"  by: {MARKUP}")
    assert_literal(out, f"  {MARKUP}: 1", f"'k': '{MARKUP}\\x1b]0;title\\x07\\x1b[2J'")


def test_info_in_a_terminal_writes_only_its_own_colour_codes(run, crafted, monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("FORCE_COLOR", "1")
    code, out, _ = run("info", evil_clusters(crafted))
    assert code == 0 and SGR.search(out)  # the path is bold: this is a terminal
    assert_literal(out, "note: \\x1b]0;title\\x07\\x1b[2J", MARKUP)


def test_info_json_round_trips_the_strings_and_holds_no_raw_escape(run, crafted):
    code, out, _ = run("info", evil_clusters(crafted), "--json")
    assert code == 0 and "\x1b" not in out and "\x07" not in out
    described = json.loads(out)
    assert described["path"] == str(crafted / "evil.npz")
    assert described["meta"]["note"] == ATTACK and described["meta"]["by"] == MARKUP


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["cluster", "--method", "kmeans", "--k", "3"], "wrote {a}/clusters-kmeans.npz"),
        (["reduce", "--method", "pca"], "wrote {a}/coords-pca.npz"),
        (["inspect", "--cluster", "0", "--n", "2", "--png", "{a}/i.png"], "wrote {a}/i.png"),
        (["plot", "scatter"], "wrote {a}/scatter-tsne-label.png"),
        (["plot", "history"], "wrote {a}/history-comparison.png"),
        (["plot", "confusion"], "wrote {a}/confusion.png"),
        (["plot", "kdist", "--k", "5"], "wrote {a}/kdist"),
        (["embed", "--model", "{a}/m.onnx"], "wrote {a}/embeddings.npz"),
    ],
    ids=lambda v: " ".join(v[:2]) if isinstance(v, list) else None,
)
def test_commands_show_the_artifacts_folder_literally(run, crafted, plain, argv, expected):
    if "embed" in argv:
        tiny_onnx(crafted / "m.onnx", n_classes=3)
    code, out, err = run(*[a.format(a=crafted) for a in argv], "-a", crafted)
    assert code == 0, err
    assert_literal(out, expected.format(a=str(crafted).replace(NAME, SHOWN)))
    assert_literal(err)


def test_prepare_shows_its_source_and_folder_literally(run, tmp_path, idx_dir, plain):
    source = Path(shutil.copytree(idx_dir, tmp_path / f"src {NAME}"))
    code, out, err = run("prepare", "--source", source, "-a", tmp_path / NAME)
    assert code == 0, err
    assert_literal(out, f"src {SHOWN}", f"wrote {tmp_path}/{SHOWN}/data.npz")


@pytest.fixture
def blob(tmp_path) -> Path:
    return write_blob_puzzle(tmp_path / NAME)


def test_explore_and_grade_show_paths_and_categories_literally(run, blob, plain):
    code, out, err = run("explore", "-a", blob)
    assert code == 0, err
    assert_literal(out, f"wrote {str(blob).replace(NAME, SHOWN)}/explore.html")
    guess = blob / "guess [final] [b].json"
    guess.write_text(json.dumps({"merge_map": {"Coat": 0}}))
    code, out, err = run("grade", guess, "-a", blob)
    assert code == 0, err
    assert_literal(out, f"{SHOWN}/guess [final] [b].json: ", "  Trouser ")
    guess.write_text(json.dumps({"merge_map": {NAME: 0}}))
    code, out, err = run("grade", guess, "-a", blob)
    assert code == 1 and out == ""
    assert_literal(err, SHOWN)
    assert err.startswith("error: ") and err.count("\n") == 1


@pytest.mark.slow  # writes a whole report
def test_report_shows_its_paths_literally(run, blob, plain):
    code, out, err = run("report", "-a", blob)
    assert code == 0, err
    assert_literal(out, f"wrote {str(blob).replace(NAME, SHOWN)}/report/index.html")
    assert_literal(err)


# ---------------------------------------------------------------- error lines


def test_error_lines_show_paths_literally_on_one_line(run, tmp_path, plain):
    code, out, err = run("info", tmp_path / NAME / "missing\nfake line.npz")
    assert (code, out) == (1, "")
    assert err == f"error: file not found: {tmp_path}/{SHOWN}/missing\\x0afake line.npz\n"
    (tmp_path / f"{NAME}.npz").parent.mkdir(parents=True)
    (tmp_path / f"{NAME}.npz").write_bytes(b"junk")
    code, _, err = run("info", tmp_path / f"{NAME}.npz")
    assert err == f"error: {tmp_path}/{SHOWN}.npz is not a valid npz file (not an .npz archive)\n"


def test_an_internal_error_is_shown_literally(run, tmp_path, monkeypatch, plain):
    def broken(path):
        raise RuntimeError(f"boom {NAME}")

    monkeypatch.setattr(artifacts, "describe", broken)
    code, _, err = run("info", tmp_path / "x.npz")
    assert code == 1
    assert err == f"error: internal error: RuntimeError: boom {SHOWN} (set FMTWIST_DEBUG=1 for the traceback)\n"


def test_an_os_error_is_shown_literally(run, tmp_path, monkeypatch, plain):
    def broken(path):
        raise PermissionError(13, f"Permission denied {MARKUP}", str(tmp_path / NAME))

    monkeypatch.setattr(artifacts, "describe", broken)
    code, _, err = run("info", tmp_path / "x.npz")
    assert (code, err) == (1, f"error: Permission denied {MARKUP} ({tmp_path}/{SHOWN})\n")


def test_usage_errors_show_the_value_literally(run, plain):
    code, out, err = run("cluster", "--method", NAME)
    assert code == 2 and out == ""
    assert_literal(err, "exp[final] [bold]b[/]")
    code, _, err = run(f"--{NAME}")
    assert code == 2
    assert_literal(err, "[bold]b[/]")


def test_export_shows_the_model_and_folder_literally(run, trained, tmp_path, plain):
    folder = Path(shutil.copytree(trained, tmp_path / NAME))
    code, out, err = run("export", "--arch", "default", "-a", folder)
    assert code == 0, err
    shown = str(folder).replace(NAME, SHOWN)
    assert_literal(out, f"Exported {shown}/model-default.keras", f"wrote {shown}/model-default.onnx")
