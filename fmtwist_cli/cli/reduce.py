from pathlib import Path
from typing import Annotated

import typer

from fmtwist_cli.cli import ui as _ui
from fmtwist_cli.cli.options import ArtifactsDir, JsonOpt, SeedOpt
from fmtwist_cli.maps import step
from fmtwist_cli.maps.params import Method, TsneBackend


def reduce(
    method: Annotated[Method, typer.Option(case_sensitive=False, help="How to map the encoding to 2-D.")] = Method.tsne,
    backend: Annotated[
        TsneBackend,
        typer.Option(
            case_sensitive=False,
            help=(
                "t-SNE: fmtwist (PCA-50 + shorter Barnes-Hut schedule, fastest), "
                "sklearn (scikit-learn's defaults, the notebook's way) or opentsne (if installed)."
            ),
        ),
    ] = TsneBackend.fmtwist,
    embeddings: Annotated[Path | None, typer.Option(help="Embeddings file. Default: ARTIFACTS/embeddings.npz.")] = None,
    perplexity: Annotated[float, typer.Option(help="t-SNE: effective number of neighbours.")] = 30.0,
    neighbors: Annotated[
        int, typer.Option(help="UMAP: size of the neighbourhood (larger: more global structure).")
    ] = 15,
    min_dist: Annotated[
        float, typer.Option(help="UMAP: how tightly points may pack (0 makes tight clumps, good for clustering).")
    ] = 0.1,
    scale: Annotated[
        bool, typer.Option("--scale/--no-scale", help="Standardize each feature first, as the notebook did.")
    ] = True,
    trust: Annotated[
        bool, typer.Option("--trust/--no-trust", help="Measure trustworthiness (k = 10, fixed sample of 5,000 rows).")
    ] = True,
    out: Annotated[Path | None, typer.Option(help="Output file. Default: ARTIFACTS/coords-METHOD.npz.")] = None,
    seed: SeedOpt = None,
    artifacts_dir: ArtifactsDir = Path("artifacts"),
    as_json: JsonOpt = False,
) -> None:
    """Project the encoding to 2-D (PCA, t-SNE or UMAP) for plotting and clustering.

    Writes ARTIFACTS/coords-METHOD.npz: x, y per embeddings row, with the time
    taken and the trustworthiness of the map. UMAP's compiled code is cached
    (~/.cache/fmtwist/numba), so only the first run pays for compiling it.

    Example:

        fmtwist reduce --method tsne --seed 0
        fmtwist reduce --method tsne --backend sklearn    # the notebook's t-SNE, for comparison
        fmtwist reduce --method umap --seed 0 --json | jq .trustworthiness
        fmtwist reduce --method umap --neighbors 30 --min-dist 0 --out artifacts/coords-umap-tight.npz
    """
    result = _ui.run_step(step.reduce, locals())
    summary = result.summary
    if as_json:
        _ui.print_json(summary)
        return
    trust_text = (
        f", trustworthiness {summary['trustworthiness']:.4f} (k = {summary['trust_k']})"
        if "trustworthiness" in summary
        else ""
    )
    _ui.out().print(
        f"{step.label(method, backend)} of {summary['rows']:,} rows in {summary['seconds']:.1f}s{trust_text}"
    )
    _ui.out().print(f"wrote {result.path}")
