from pathlib import Path
from typing import Annotated

import typer

from fmtwist_cli import artifacts
from fmtwist_cli.artifacts import layout
from fmtwist_cli.cli import ui as _ui
from fmtwist_cli.cli.options import ArtifactsDir, JsonOpt, SeedOpt
from fmtwist_cli.data import dataset, sources
from fmtwist_cli.data import twist as twists


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
    with _ui.progress("Downloading Fashion-MNIST", unit="bytes") as advance:
        raw = sources.load_source(source, progress=lambda n, total: advance(n, total))
    spec = twists.parse_twist(twist, seed, classes) if raw.original else None
    if not raw.original and twist != "seed":
        _ui.log("note: CSV files carry mystery labels already; --twist is ignored")
    prepared = dataset.build(raw, spec, seed)
    files = layout.Layout(artifacts_dir)
    data_path, key_path = files.data, files.answer_key
    csv_paths = [export_csv / name for name in sources.CSV_FILES] if export_csv is not None else []
    artifacts.check_writable(data_path, key_path, *csv_paths)  # all before any: a bad one changes nothing
    dataset.save(prepared, data_path, key_path)
    written = [data_path] + ([key_path] if prepared.answer_key else [])
    if export_csv is not None:
        written += sources.export_csv(export_csv, prepared.data.arrays)
    counts = dataset.balance(prepared.data)
    y_test = prepared.data["y_test"]
    summary = {
        "source": raw.description,
        "twist": prepared.data.meta["twist"],
        "n_classes": prepared.data.meta["n_classes"],
        "train": counts["train"],
        "test": counts["test"],
        "first_test_labels": y_test[:5].tolist(),
        "last_test_labels": y_test[-5:].tolist(),
        "written": [str(p) for p in written],
    }
    if as_json:
        _ui.print_json(summary)
        return
    _ui.out().print(f"Source: {summary['source']}\nTwist: {summary['twist']} ({summary['n_classes']} classes)")
    _ui.table(
        "Images per class",
        ["class", "train", "test"],
        [[c, tr, te] for c, (tr, te) in enumerate(zip(counts["train"], counts["test"]))]
        + [["total", sum(counts["train"]), sum(counts["test"])]],
    )
    _ui.out().print(f"First five test labels: {summary['first_test_labels']}  last five: {summary['last_test_labels']}")
    for p in written:
        _ui.out().print(f"wrote {p}")
