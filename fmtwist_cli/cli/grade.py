from pathlib import Path
from typing import Annotated

import typer

from fmtwist_cli.cli import ui as _ui
from fmtwist_cli.cli.options import ArtifactsDir, JsonOpt
from fmtwist_cli.puzzle import step


def grade(
    guess_file: Annotated[
        Path,
        typer.Argument(
            metavar="GUESS",
            help="A JSON object with a merge_map {category name: mystery class}: the guess.json the explore page "
            "saves, or the output of `fmtwist report --json`.",
        ),
    ],
    answer_key: Annotated[
        Path | None,
        typer.Option(
            "--answer-key", help="The twist.json written by `fmtwist prepare`. Default: ARTIFACTS/twist.json."
        ),
    ] = None,
    artifacts_dir: ArtifactsDir = Path("artifacts"),
    as_json: JsonOpt = False,
) -> None:
    """Grade a guess against the answer key: how many of the 10 categories are placed in their true class.

    The same rule scores the report's own guess, so a person's guess from the
    explore page and the automatic one are comparable. A category the guess
    leaves out counts as wrong. A guess.json with evidence (the rows named as
    each category) also gets, per category, how many of those rows truly are
    of it (`rows_right` in --json).

    Example:

        fmtwist grade guess.json --answer-key artifacts/twist.json
        fmtwist report --json > r.json && fmtwist grade r.json --json | jq .categories_right
    """
    result = step.grade(artifacts_dir, guess=guess_file, answer_key=answer_key, log=_ui.log)
    summary = result.summary
    if as_json:
        _ui.print_json(summary)
        return
    con = _ui.out()
    con.print(f"{guess_file}: {summary['categories_right']}/{summary['categories_total']} categories placed right")
    wrong = [row for row in summary["per_category"] if not row["right"]]
    if wrong:
        width = max(len(row["category"]) for row in wrong)
        con.print("wrong:")
        for row in wrong:
            guessed = "not placed" if row["guess"] is None else f"guessed class {row['guess']}"
            con.print(f"  {row['category']:<{width}}  {guessed}, true class {row['truth']}")
    _print_rows_right(con, summary.get("rows_right", {}))


def _print_rows_right(con, rows_right: dict[str, dict[str, int]]) -> None:
    """One line per category the evidence names: how many of its named rows truly are of it."""
    if not rows_right:
        return
    width = max(len(name) for name in rows_right)
    con.print("named rows of the true category (from the evidence):")
    for name, n in rows_right.items():
        con.print(f"  {name:<{width}}  {n['right']}/{n['named']} rows right")
