from pathlib import Path
from typing import Annotated

import typer

from fmtwist_cli.cli import ui as _ui
from fmtwist_cli.cli.options import ArtifactsDir, JsonOpt, SeedOpt
from fmtwist_cli.data import step


def prepare(
    source: Annotated[
        Path | None,
        typer.Option(
            help=(
                "Folder of IDX or CSV files, or an .npz. Default: $FMTWIST_DATA, /usr/share/datasets/fashion-mnist, "
                "~/.keras/datasets/fashion-mnist, else download."
            )
        ),
    ] = None,
    twist: Annotated[
        str, typer.Option(help="seed (the notebook's puzzle), none, random, or a JSON mapping file.")
    ] = "seed",
    seed: SeedOpt = None,
    classes: Annotated[
        int | None, typer.Option(help="Number of mystery classes for --twist random (default 5).")
    ] = None,
    export_csv: Annotated[
        Path | None, typer.Option("--export-csv", help="Also write the course's CSV layout into this folder.")
    ] = None,
    artifacts_dir: ArtifactsDir = Path("artifacts"),
    as_json: JsonOpt = False,
) -> None:
    """Build the twisted dataset: artifacts/data.npz and the answer key artifacts/twist.json.

    Example:

        fmtwist prepare                            # the notebook's puzzle
        fmtwist prepare --twist random --seed 1    # a new puzzle
        fmtwist prepare --source course/ --json    # the course's CSV files
    """
    result = _ui.run_step(step.prepare, locals(), unit="bytes")
    summary = result.summary
    if as_json:
        _ui.print_json(summary)
        return
    _ui.out().print(f"Source: {summary['source']}\nTwist: {summary['twist']} ({summary['n_classes']} classes)")
    _ui.table(
        "Images per class",
        ["class", "train", "test"],
        [[c, tr, te] for c, (tr, te) in enumerate(zip(summary["train"], summary["test"]))]
        + [["total", sum(summary["train"]), sum(summary["test"])]],
    )
    _ui.out().print(f"First five test labels: {summary['first_test_labels']}  last five: {summary['last_test_labels']}")
    for p in summary["written"]:
        _ui.out().print(f"wrote {p}")
