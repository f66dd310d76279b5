import os
from pathlib import Path
from typing import Annotated

import typer

from fmtwist_cli.cli import ui as _ui
from fmtwist_cli.cli.options import ArtifactsDir, JsonOpt, SeedOpt
from fmtwist_cli.views import step, terminal
from fmtwist_cli.views.images import Pick

ClusterOpt = Annotated[int | None, typer.Option("--cluster", "-c", help="Show this cluster's images.")]
LabelOpt = Annotated[
    int | None, typer.Option("--label", "-l", help="Show this mystery class (with --cluster: members of both).")
]
PickOpt = Annotated[
    Pick,
    typer.Option(
        help=(
            "random; central: nearest the centre; border: least sure of their group; noise: left out by DBSCAN/HDBSCAN."
        )
    ),
]
NOpt = Annotated[int, typer.Option("--n", "-n", help="How many images.")]
PerRowOpt = Annotated[
    int | None, typer.Option(help="Images per row. Default: as many as fit, at most 10.", rich_help_panel="Output")
]
AsciiOpt = Annotated[
    bool,
    typer.Option(
        "--ascii",
        help="Plain characters, no colour (also with NO_COLOR or when stdout is not a terminal).",
        rich_help_panel="Output",
    ),
]
PngOpt = Annotated[
    Path | None,
    typer.Option(help="Also write the grid with captions to this .png, .svg or .pdf.", rich_help_panel="Output"),
]
ClustersOpt = Annotated[
    Path | None,
    typer.Option(
        help=("The clustering. Default: clusters-kmeans.npz, else clusters-dbscan.npz, else the first clusters-*.npz."),
        rich_help_panel="Inputs",
    ),
]
EmbeddingsOpt = Annotated[
    Path | None,
    typer.Option(
        help="Default: embeddings.npz; without one, --label shows data.npz's test split.", rich_help_panel="Inputs"
    ),
]
DataOpt = Annotated[Path | None, typer.Option(help="Default: data.npz.", rich_help_panel="Inputs")]


def inspect(
    cluster: ClusterOpt = None,
    label: LabelOpt = None,
    pick: PickOpt = Pick.random,
    n: NOpt = 10,
    seed: SeedOpt = None,
    per_row: PerRowOpt = None,
    ascii_: AsciiOpt = False,
    png: PngOpt = None,
    clusters: ClustersOpt = None,
    embeddings: EmbeddingsOpt = None,
    data: DataOpt = None,
    artifacts_dir: ArtifactsDir = Path("artifacts"),
    as_json: JsonOpt = False,
) -> None:
    """Show a cluster's or a class's images right in the terminal.

    Each image is drawn with half blocks in grey (28 columns by 14 rows) under
    its caption: row index in data.npz, mystery class, predicted class.

    Example:

        fmtwist inspect --cluster 3                # 10 random members
        fmtwist inspect --cluster 3 --pick border  # the least typical
        fmtwist inspect --label 2 --pick central --n 20
        fmtwist inspect --pick noise --clusters artifacts/clusters-dbscan.npz
        fmtwist inspect --label 4 --ascii --png class4.png
    """
    result = _ui.run_step(step.inspect, locals(), cli_only=("ascii_",))
    if as_json:
        _ui.print_json(result.summary)
        return
    _print_grid(result.artifact, per_row, ascii_)
    if result.path is not None:
        _ui.out().print(f"wrote {result.path}", markup=False)


def _print_grid(sel, per_row: int | None, ascii_: bool) -> None:
    """The selection in the terminal: half blocks in grey, or plain characters where colour is off."""
    console = _ui.out()
    plain = ascii_ or bool(os.environ.get("NO_COLOR")) or not console.is_terminal or console.is_dumb_terminal
    if per_row is None:
        per_row = terminal.fit_per_row(console.size.width if console.is_terminal else None)
    bands = terminal.bands(sel.images, sel.captions, sel.wrong, max(1, per_row))
    if plain:
        lines = [sel.title, ""]
        for band in bands:
            lines += terminal.ascii_lines(band) + [""]
        _ui.write("\n".join(lines))
    else:
        _print_half_blocks(console, sel.title, bands)


def _print_half_blocks(console, title: str, bands: list) -> None:
    from rich.color import Color
    from rich.style import Style
    from rich.text import Text

    styles: dict = {}

    def style(fg, bg):
        if fg is None:
            return None
        if (fg, bg) not in styles:
            styles[fg, bg] = Style(color=Color.from_rgb(fg, fg, fg), bgcolor=Color.from_rgb(bg, bg, bg))
        return styles[fg, bg]

    console.print(Text(title, style="bold"))
    for band in bands:
        caption = Text()
        for text, wrong in zip(band.captions, band.wrong):
            caption.append(
                text[: terminal.CELL_WIDTH].ljust(terminal.CELL_WIDTH) + " " * terminal.GAP,
                style="red" if wrong else None,
            )
        caption.rstrip()
        console.print(caption, soft_wrap=True)
        for runs in terminal.half_block_runs(band):
            line = Text()
            for text, fg, bg in runs:
                line.append(text, style=style(fg, bg))
            console.print(line, soft_wrap=True)
        console.print()
