from pathlib import Path
from typing import Annotated

import typer

from fmtwist_cli import artifacts
from fmtwist_cli.artifacts.layout import Layout
from fmtwist_cli.cli import ui as _ui
from fmtwist_cli.cli.options import ArtifactsDir, JsonOpt, SeedOpt
from fmtwist_cli.maps import projection
from fmtwist_cli.maps.projection import Method, TsneBackend


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
    method, backend = Method(method), TsneBackend(backend)
    emb_path = embeddings or Layout(artifacts_dir).embeddings
    out_path = out or Layout(artifacts_dir).coords(method.value)
    emb = artifacts.load(emb_path, "embeddings")

    label = method.title + (f" ({backend.value})" if method is Method.tsne else "")
    with _ui.progress(label) as advance:
        state = {"done": 0}

        def tick(done: int, total: int) -> None:
            advance(done - state["done"], total)
            state["done"] = done

        result, summary = projection.map_embeddings(
            emb,
            out_path,
            method,
            seed,
            scale,
            backend=backend,
            progress=tick,
            trust=trust,
            perplexity=perplexity,
            n_neighbors=neighbors,
            min_dist=min_dist,
        )
    summary["written"] = str(out_path)
    if as_json:
        _ui.print_json(summary)
        return
    trust_text = (
        f", trustworthiness {result.info['trustworthiness']:.4f} (k = 10)" if "trustworthiness" in result.info else ""
    )
    _ui.out().print(f"{label} of {summary['rows']:,} rows in {result.seconds:.1f}s{trust_text}")
    _ui.out().print(f"wrote {out_path}")
