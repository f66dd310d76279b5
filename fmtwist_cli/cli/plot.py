"""`fmtwist plot KIND`: one sub-command per figure, each with only its own options."""

from pathlib import Path
from typing import Annotated

import typer

from fmtwist_cli.cli import ui as _ui
from fmtwist_cli.cli.options import ArtifactsDir, JsonOpt, SeedOpt
from fmtwist_cli.views import plot_steps
from fmtwist_cli.views.images import GroupPick
from fmtwist_cli.views.plot_steps import By

app = typer.Typer(name="plot", no_args_is_help=True)


@app.callback()
def plot() -> None:
    """Draw a figure: learning curves, a map, the k-distance curve, a confusion matrix or image samples.

    One command per figure, each with its own options. The format follows the
    file name (.png, .svg, .pdf); the same inputs give the same file.

    Example:

        fmtwist plot history
        fmtwist plot scatter --by cluster --clusters artifacts/clusters-dbscan.npz
        fmtwist plot kdist --k 15 --eps 45
        fmtwist plot confusion -o confusion.svg
        fmtwist plot grid --by cluster --n 8 --size 10x8 --dpi 150
    """


FIGURE = "Figure"
OutOpt = Annotated[
    Path | None,
    typer.Option(
        "--out",
        "-o",
        help="Figure file: .png, .svg or .pdf. Default: KIND[-SOURCE].png in the artifacts folder.",
        rich_help_panel=FIGURE,
    ),
]
SizeOpt = Annotated[
    str | None,
    typer.Option(help="WIDTHxHEIGHT in inches, e.g. 12x8. Default: fits the figure.", rich_help_panel=FIGURE),
]
DpiOpt = Annotated[int, typer.Option(help="Dots per inch: 10x8 at 100 dpi is 1000x800 pixels.", rich_help_panel=FIGURE)]
EmbeddingsOpt = Annotated[Path | None, typer.Option(help="Embeddings file. Default: ARTIFACTS/embeddings.npz.")]
ClustersHelp = "Default: clusters-kmeans.npz, else clusters-dbscan.npz, else the first clusters-*.npz."


def _plot(kind: str, options: dict) -> None:
    """Run the plot step KIND, then print its summary: as JSON, or its facts and tables and the file written."""
    result = _ui.run_step(getattr(plot_steps, kind), options)
    summary = result.summary
    if options["as_json"]:
        _ui.print_json(summary)
        return
    facts = {k: v for k, v in summary.items() if k not in ("kind", "written", "width", "height")}
    for key, value in facts.items():
        if key == "table":
            rows = [[name, *row] for name, row in zip(facts["table_rows"], value)]
            _ui.table(facts["table_title"], ["", *facts["table_columns"]], rows)
        elif not key.startswith("table_"):
            _ui.out().print(f"{key}: {_text(value)}", markup=False)
    _ui.out().print(f"wrote {summary['written']} ({summary['width']}x{summary['height']} pixels)", markup=False)


def _text(value) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {v:,}" if isinstance(v, int) else f"{k} {v}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


@app.command()
def history(
    history: Annotated[
        list[Path] | None, typer.Option(help="A history file; repeat to compare models. Default: every history-*.json.")
    ] = None,
    out: OutOpt = None,
    size: SizeOpt = None,
    dpi: DpiOpt = 100,
    artifacts_dir: ArtifactsDir = Path("artifacts"),
    as_json: JsonOpt = False,
) -> None:
    """Learning curves: one model's six panels, or several models compared.

    Example:

        fmtwist plot history     # 6 panels; with several models, compares them
        fmtwist plot history --history artifacts/history-custom.json
    """
    _plot("history", locals())


@app.command()
def scatter(
    coords: Annotated[
        Path | None, typer.Option(help="The map. Default: coords-tsne.npz, else coords-umap.npz, else coords-pca.npz.")
    ] = None,
    by: Annotated[By, typer.Option(help="Colour by mystery label, cluster or predicted class.")] = By.label,
    clusters: Annotated[Path | None, typer.Option(help=f"The clustering, for --by cluster. {ClustersHelp}")] = None,
    embeddings: EmbeddingsOpt = None,
    out: OutOpt = None,
    size: SizeOpt = None,
    dpi: DpiOpt = 100,
    artifacts_dir: ArtifactsDir = Path("artifacts"),
    as_json: JsonOpt = False,
) -> None:
    """A 2-D map coloured by mystery class, cluster or predicted class.

    Example:

        fmtwist plot scatter                      # the t-SNE map by mystery class
        fmtwist plot scatter --by cluster --clusters artifacts/clusters-dbscan.npz
        fmtwist plot scatter --coords artifacts/coords-umap.npz --by pred -o umap.svg
    """
    _plot("scatter", locals())


@app.command()
def kdist(
    k: Annotated[
        int | None,
        typer.Option(
            "--k",
            help="Which neighbour, the point itself first (DBSCAN's min-samples). "
            "Default: the --clusters file's min-samples, else 15.",
        ),
    ] = None,
    eps: Annotated[
        str, typer.Option(help="eps to mark: a number, or auto (the knee, or a DBSCAN --clusters file's eps).")
    ] = "auto",
    clusters: Annotated[
        Path | None, typer.Option(help="A DBSCAN clustering: its eps, min-samples, scaling and PCA. Default: none.")
    ] = None,
    scale: Annotated[
        bool | None,
        typer.Option(
            "--scale/--no-scale",
            show_default=False,
            help=(
                "Standardize the embedding first. Default: as the --clusters file was made, else yes (as cluster does)."
            ),
        ),
    ] = None,
    pca: Annotated[
        int | None,
        typer.Option(
            help="Principal components first, as cluster --pca. Default: as the --clusters file was made, else none."
        ),
    ] = None,
    embeddings: EmbeddingsOpt = None,
    seed: SeedOpt = None,
    out: OutOpt = None,
    size: SizeOpt = None,
    dpi: DpiOpt = 100,
    artifacts_dir: ArtifactsDir = Path("artifacts"),
    as_json: JsonOpt = False,
) -> None:
    """The sorted k-distance curve, its knee and an eps for DBSCAN.

    Example:

        fmtwist plot kdist                        # the knee that cluster --eps auto picks
        fmtwist plot kdist --k 15 --eps 45        # the notebook's eps
        fmtwist plot kdist --clusters artifacts/clusters-dbscan.npz
    """
    _plot("kdist", locals())


@app.command()
def confusion(
    clusters: Annotated[
        Path | None, typer.Option(help="Mystery class x this clustering's clusters instead of x predicted class.")
    ] = None,
    embeddings: EmbeddingsOpt = None,
    out: OutOpt = None,
    size: SizeOpt = None,
    dpi: DpiOpt = 100,
    artifacts_dir: ArtifactsDir = Path("artifacts"),
    as_json: JsonOpt = False,
) -> None:
    """Mystery class x predicted class (or x cluster): counts and shares of each row.

    Example:

        fmtwist plot confusion -o confusion.svg
        fmtwist plot confusion --clusters artifacts/clusters-dbscan.npz
    """
    _plot("confusion", locals())


@app.command()
def grid(
    by: Annotated[By, typer.Option(help="One row per mystery class, cluster or predicted class.")] = By.label,
    pick: Annotated[GroupPick, typer.Option(help="Which members each row shows.")] = GroupPick.random,
    n: Annotated[int, typer.Option("--n", "-n", help="Images per row.")] = 10,
    seed: SeedOpt = None,
    clusters: Annotated[Path | None, typer.Option(help=f"The clustering, for --by cluster. {ClustersHelp}")] = None,
    embeddings: EmbeddingsOpt = None,
    data: Annotated[Path | None, typer.Option(help="The images. Default: ARTIFACTS/data.npz.")] = None,
    out: OutOpt = None,
    size: SizeOpt = None,
    dpi: DpiOpt = 100,
    artifacts_dir: ArtifactsDir = Path("artifacts"),
    as_json: JsonOpt = False,
) -> None:
    """Sample images of every class or cluster, one row each.

    Example:

        fmtwist plot grid --by label --seed 0
        fmtwist plot grid --by cluster --pick central --n 8 --size 10x8 --dpi 150
    """
    _plot("grid", locals())
