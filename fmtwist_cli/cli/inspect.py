import os
from pathlib import Path
from typing import Annotated

import typer

from fmtwist_cli import artifacts
from fmtwist_cli.artifacts.layout import Layout
from fmtwist_cli.cli import ui as _ui
from fmtwist_cli.cli.options import ArtifactsDir, JsonOpt, SeedOpt
from fmtwist_cli.views import images, plots, terminal
from fmtwist_cli.views.images import Pick


def inspect(
    cluster: Annotated[int | None, typer.Option("--cluster", "-c", help="Show this cluster's images.")] = None,
    label: Annotated[
        int | None, typer.Option("--label", "-l", help="Show this mystery class (with --cluster: members of both).")
    ] = None,
    pick: Annotated[
        Pick,
        typer.Option(
            help=(
                "random; central: nearest the centre; border: least sure of their group; "
                "noise: left out by DBSCAN/HDBSCAN."
            )
        ),
    ] = Pick.random,
    n: Annotated[int, typer.Option("--n", "-n", help="How many images.")] = 10,
    seed: SeedOpt = None,
    per_row: Annotated[
        int | None, typer.Option(help="Images per row. Default: as many as fit, at most 10.", rich_help_panel="Output")
    ] = None,
    ascii_: Annotated[
        bool,
        typer.Option(
            "--ascii",
            help="Plain characters, no colour (also with NO_COLOR or when stdout is not a terminal).",
            rich_help_panel="Output",
        ),
    ] = False,
    png: Annotated[
        Path | None,
        typer.Option(help="Also write the grid with captions to this .png, .svg or .pdf.", rich_help_panel="Output"),
    ] = None,
    clusters: Annotated[
        Path | None,
        typer.Option(
            help=(
                "The clustering. Default: clusters-kmeans.npz, else clusters-dbscan.npz, else the first clusters-*.npz."
            ),
            rich_help_panel="Inputs",
        ),
    ] = None,
    embeddings: Annotated[
        Path | None,
        typer.Option(
            help="Default: embeddings.npz; without one, --label shows data.npz's test split.", rich_help_panel="Inputs"
        ),
    ] = None,
    data: Annotated[Path | None, typer.Option(help="Default: data.npz.", rich_help_panel="Inputs")] = None,
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
    pick = Pick(pick)
    layout = Layout(artifacts_dir)
    if png is not None:
        plots.figure_format(png)
    emb_path = embeddings or layout.embeddings
    needs_embeddings = cluster is not None or pick is not Pick.random or embeddings is not None
    data_art = artifacts.load(data or layout.data, "data")
    emb_art = artifacts.load(emb_path, "embeddings") if needs_embeddings or emb_path.exists() else None
    if emb_art is None:
        _ui.log(f"note: no {emb_path} yet: showing the test split of data.npz")
    clu_art = None
    if cluster is not None or pick is Pick.noise or clusters is not None:
        clu_art = artifacts.load(clusters or layout.default_clusters(), "clusters")
    coll = images.collect(data_art, emb_art, clu_art)
    sel = images.select(coll, cluster, label, pick, n, seed)

    console = _ui.out()
    plain = ascii_ or bool(os.environ.get("NO_COLOR")) or not console.is_terminal or console.is_dumb_terminal
    if per_row is None:
        per_row = terminal.fit_per_row(console.size.width if console.is_terminal else None)
    per_row = max(1, per_row)
    if png is not None:
        images.save_grid_png(sel, png, per_row=min(per_row, images.MAX_PER_ROW))
    if as_json:
        _ui.print_json(
            {
                "title": sel.title,
                "members": sel.total,
                "pick": pick.value,
                "shown": sel.items,
                "png": str(png) if png else None,
            }
        )
        return
    bands = terminal.bands(sel.images, sel.captions, sel.wrong, per_row)
    if plain:
        lines = [sel.title, ""]
        for band in bands:
            lines += terminal.ascii_lines(band) + [""]
        console.file.write("\n".join(lines))
    else:
        _print_half_blocks(console, sel.title, bands)
    if png is not None:
        console.print(f"wrote {png}", markup=False)


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
