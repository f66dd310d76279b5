"""The grade step (``fmtwist grade``, ``fmtwist_cli.grade``): a guess scored against the answer key."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from fmtwist_cli import artifacts
from fmtwist_cli.artifacts import guessfile
from fmtwist_cli.artifacts.layout import Layout
from fmtwist_cli.puzzle import guess as guesses
from fmtwist_cli.result import Log, Progress, Result, quiet, to_stderr

IN_MEMORY = "<dict>"  # what the summary says for a guess given as an object, not a file


def grade(
    folder: str | os.PathLike = "artifacts",
    *,
    guess: str | os.PathLike | Mapping | guessfile.Guess,
    answer_key: str | os.PathLike | None = None,
    progress: Progress = quiet,
    log: Log = to_stderr,
) -> Result:
    """Grade a guess against the answer key: how many of the 10 categories are placed in their true class.

    ``guess``: a guess file (the explore page's guess.json, or a saved ``fmtwist report --json``), or the
    object itself: a dict with a ``merge_map`` {category name: mystery class} (``ws.report().summary`` is
    one), or a :class:`~fmtwist_cli.artifacts.guessfile.Guess`. ``answer_key``: twist.json (default:
    FOLDER/twist.json). A category the guess leaves out counts as wrong. When the guess carries
    evidence (the rows named as each category, as the explore page saves them), ``summary["rows_right"]`` is
    {category: {"named": N, "right": M}}: M of the N rows named as the category truly are of it. Writes
    nothing; ``summary`` is what ``fmtwist grade --json`` prints, and ``artifact`` the guess read.

        fmtwist_cli.grade("guess.json", "artifacts/twist.json").summary["categories_right"]
    """
    key_path = Path(answer_key) if answer_key is not None else Layout(folder).answer_key
    key = artifacts.load_answer_key(key_path)
    truth = key["mapping_by_index"]
    n_classes = max(truth) + 1
    if isinstance(guess, guessfile.Guess):
        placed, where = guess.check(n_classes), IN_MEMORY
    elif isinstance(guess, Mapping):
        placed, where = guessfile.from_json(dict(guess), "guess", n_classes), IN_MEMORY
    else:
        placed, where = guessfile.load(guess, n_classes), str(guess)
    summary = {"guess": where, "answer_key": str(key_path), **guesses.grade(placed.merge_map, truth)}
    if placed.evidence and key.get("original_labels"):
        named = "guess" if where == IN_MEMORY else where  # as from_json names it
        summary["rows_right"] = guesses.rows_right(placed.evidence, key["original_labels"], named)
    return Result(None, summary, artifact=placed)
