from pathlib import Path
from typing import Annotated, Optional

import typer

from fmtwist_cli import artifacts, clustering, projection
from fmtwist_cli.commands import _ui
from fmtwist_cli.commands._options import ArtifactsDir, JsonOpt, SeedOpt
from fmtwist_cli.errors import FmtwistError


def reduce(
    method: Annotated[str, typer.Option(help="pca, tsne or umap.")] = "tsne",
    backend: Annotated[str, typer.Option(help="t-SNE: fmtwist (PCA-50 + shorter Barnes-Hut schedule, fastest), sklearn (scikit-learn's defaults, the notebook's way) or opentsne (if installed).")] = "fmtwist",
    embeddings: Annotated[Optional[Path], typer.Option(help="Embeddings file. Default: ARTIFACTS/embeddings.npz.")] = None,
    perplexity: Annotated[float, typer.Option(help="t-SNE: effective number of neighbours.")] = 30.0,
    neighbors: Annotated[int, typer.Option(help="UMAP: size of the neighbourhood (larger: more global structure).")] = 15,
    min_dist: Annotated[float, typer.Option(help="UMAP: how tightly points may pack (0 makes tight clumps, good for clustering).")] = 0.1,
    scale: Annotated[bool, typer.Option("--scale/--no-scale", help="Standardize each feature first, as the notebook did.")] = True,
    trust: Annotated[bool, typer.Option("--trust/--no-trust", help="Measure trustworthiness (k = 10, fixed sample of 5,000 rows).")] = True,
    out: Annotated[Optional[Path], typer.Option(help="Output file. Default: ARTIFACTS/coords-METHOD.npz.")] = None,
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
    method, backend = method.lower(), backend.lower()
    if method not in projection.METHODS:
        raise FmtwistError(f"unknown method '{method}': choose one of {', '.join(projection.METHODS)}")
    if backend not in projection.TSNE_BACKENDS:
        raise FmtwistError(f"unknown t-SNE backend '{backend}': choose one of {', '.join(projection.TSNE_BACKENDS)}")
    emb_path = embeddings or artifacts_dir / "embeddings.npz"
    out_path = out or artifacts_dir / f"coords-{method}.npz"
    emb = artifacts.load(emb_path, "embeddings")
    x = clustering.prepare_features(emb["embedding"], scale)

    label = {"tsne": f"t-SNE ({backend})", "umap": "UMAP", "pca": "PCA"}[method]
    with _ui.progress(label) as advance:
        state = {"done": 0}

        def tick(done: int, total: int) -> None:
            advance(done - state["done"], total)
            state["done"] = done

        result = projection.run(method, x, seed, backend, tick, trust, perplexity, neighbors, min_dist)

    summary = {
        "method": method,
        "params": {**result.params, "scale": scale},
        "input": str(emb_path),
        "rows": int(result.coords.shape[0]),
        "seconds": round(result.seconds, 3),
        **result.info,
    }
    summary["provenance"] = artifacts.provenance({"embeddings": emb_path}, seed)
    arrays = {"coords": result.coords, "index": emb["index"], "split": emb["split"]}
    artifacts.save(artifacts.Artifact("coords", arrays, summary), out_path)
    summary["written"] = str(out_path)
    if as_json:
        _ui.print_json(summary)
        return
    trust_text = f", trustworthiness {result.info['trustworthiness']:.4f} (k = 10)" if "trustworthiness" in result.info else ""
    _ui.out().print(f"{label} of {summary['rows']:,} rows in {result.seconds:.1f}s{trust_text}")
    _ui.out().print(f"wrote {out_path}")
