from pathlib import Path
from typing import Annotated, Any

import typer

from fmtwist_cli.cli import ui as _ui
from fmtwist_cli.cli.options import ArtifactsDir, JsonOpt, SeedOpt
from fmtwist_cli.report import step


def report(
    answer_key: Annotated[
        Path | None,
        typer.Option("--answer-key", help="Score the guess against this twist.json (written by `fmtwist prepare`)."),
    ] = None,
    reference: Annotated[
        Path | None,
        typer.Option(
            help="The reference classifier (ONNX, trained with --labels original). "
            "Default: ARTIFACTS/model-custom-original.onnx, else any model-*-original.onnx."
        ),
    ] = None,
    embeddings: Annotated[
        Path | None, typer.Option(help="Embeddings to inspect. Default: ARTIFACTS/embeddings.npz.")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Report folder. Default: ARTIFACTS/report.")] = None,
    seed: SeedOpt = None,
    artifacts_dir: ArtifactsDir = Path("artifacts"),
    as_json: JsonOpt = False,
) -> None:
    """Write the report: what is each mystery class made of? artifacts/report/index.html and report.md.

    Gathers the data, the models (test accuracy through onnxruntime, learning
    curves), the maps, the clusters and, for each class, typical, borderline
    and sub-group images; then guesses each class's categories with the
    reference classifier and scores the guess when given the answer key.
    A missing piece is named with the command that makes it; the page links
    to artifacts/explore.html when `fmtwist explore` has made it.

    Example:

        fmtwist report
        fmtwist report --answer-key artifacts/twist.json --json | jq .categories_right
    """
    result = _ui.run_step(step.report, locals())
    summary = result.summary
    if as_json:
        _ui.print_json(summary)
        return
    con = _ui.out()
    for line in summary["missing"]:
        con.print(f"missing: {line}")
    if summary["merge_map"] is not None:
        con.print("The guess:")
        for row in summary["classes"]:
            con.print(_class_line(row))
    if "categories_right" in summary:
        k = summary["n_classes"]
        text = f"Scored against {answer_key}: {summary['categories_right']}/10 categories placed right"
        if "subgroups_right" in summary:
            text += (
                f", sub-group counts right for {summary['subgroups_right']}/{k} classes"
                f" ({summary['map_subgroups_right']}/{k} from the map alone)"
            )
        con.print(text)
    con.print(f"wrote {summary['written']['html']} (open it in a browser) and {summary['written']['markdown']}")


def _class_line(row: dict[str, Any]) -> str:
    cats = " + ".join(row["categories"]) or "(no category)"
    line = f"  class {row['class']} = {cats}   (reference classifier: {row['mix']}"
    if "subgroups" in row:
        n, seen = row["subgroups"], row["map_groups"]
        line += f"; {n} sub-group{'s' if n != 1 else ''}"
        if seen != n:
            line += f" ({seen} distinct on the map, {'agrees' if row['agree'] else 'disagrees'})"
        else:
            line += f" on the map{'' if row['agree'] else ', disagrees'}"
    return line + ")"
