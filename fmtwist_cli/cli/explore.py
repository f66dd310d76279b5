from pathlib import Path
from typing import Annotated

import typer

from fmtwist_cli.cli import ui as _ui
from fmtwist_cli.cli.options import ArtifactsDir, JsonOpt, SeedOpt
from fmtwist_cli.explore import step


def explore(
    answer_key: Annotated[
        Path | None,
        typer.Option(
            "--answer-key",
            help="twist.json from `fmtwist prepare`: adds each image's true category (spoils the puzzle).",
        ),
    ] = None,
    reference: Annotated[
        Path | None,
        typer.Option(
            help="The reference classifier (ONNX, trained with --labels original) that names each image's "
            "category. Default: ARTIFACTS/model-custom-original.onnx, else any model-*-original.onnx."
        ),
    ] = None,
    embeddings: Annotated[
        Path | None,
        typer.Option(help="Embeddings to show (e.g. from `embed --split all`). Default: ARTIFACTS/embeddings.npz."),
    ] = None,
    out: Annotated[Path | None, typer.Option(help="The page to write. Default: ARTIFACTS/explore.html.")] = None,
    hints: Annotated[
        bool,
        typer.Option(
            "--hints",
            help="Open the page with the reference classifier's hints shown (its category per image and beside "
            'the guess). Default: hidden until the student ticks "Show hints".',
        ),
    ] = False,
    open_page: Annotated[bool, typer.Option("--open", help="Open the page in the default browser.")] = False,
    seed: SeedOpt = None,
    artifacts_dir: ArtifactsDir = Path("artifacts"),
    as_json: JsonOpt = False,
) -> None:
    """Write artifacts/explore.html: every image on the map, to explore and to solve the puzzle by hand.

    One self-contained page (no server, no network): every map (a switch), coloured
    by mystery class, cluster, prediction or category; hover a point to see its
    image; select with a lasso or a box to see the selection's counts and images;
    name selections with the categories and save the guess as guess.json, which
    `fmtwist grade` scores. With no map yet, runs `fmtwist reduce --method tsne` first.

    Example:

        fmtwist explore --open
        fmtwist explore --hints --out artifacts/explore-hints.html
        fmtwist explore --answer-key artifacts/twist.json --json | jq .bytes
        fmtwist grade guess.json --answer-key artifacts/twist.json
    """
    result = _ui.run_step(step.explore, locals(), cli_only=("open_page",))
    summary = result.summary
    if open_page:
        import webbrowser

        webbrowser.open(Path(result.path).resolve().as_uri())
    if as_json:
        _ui.print_json(summary)
        return
    con = _ui.out()
    con.print(
        f"wrote {summary['written']} ({summary['bytes'] / 1e6:.1f} MB, {summary['points']:,} images, "
        f"{len(summary['maps'])} map{'s' * (len(summary['maps']) != 1)}, "
        f"{len(summary['clusterings'])} clustering{'s' * (len(summary['clusterings']) != 1)})"
    )
