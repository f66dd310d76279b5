"""The reduce step (``fmtwist reduce``, ``Workspace.reduce``): the encoding mapped to 2-D, coords-METHOD.npz."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fmtwist_cli import artifacts
from fmtwist_cli.artifacts.layout import Layout
from fmtwist_cli.maps import projection
from fmtwist_cli.maps.params import Method, TsneBackend, check_params
from fmtwist_cli.params import choice
from fmtwist_cli.result import Log, Progress, Result, quiet, to_stderr


def label(method: Method, backend: TsneBackend) -> str:
    """The map's name as progress and the command print it: "t-SNE (fmtwist)", "UMAP", "PCA"."""
    return method.title + (f" ({backend.value})" if method is Method.tsne else "")


def reduce(
    folder: str | Path = "artifacts",
    *,
    method: Method | str = Method.tsne,
    backend: TsneBackend | str = TsneBackend.fmtwist,
    embeddings: str | Path | None = None,
    perplexity: float = 30.0,
    neighbors: int = 15,
    min_dist: float = 0.1,
    scale: bool = True,
    trust: bool = True,
    out: str | Path | None = None,
    seed: int | None = None,
    progress: Progress = quiet,
    log: Log = to_stderr,
) -> Result:
    """Project the encoding to 2-D (PCA, t-SNE or UMAP) for plotting and clustering; write coords-METHOD.npz.

    ``backend``: whose t-SNE (fmtwist: PCA-50 and a shorter Barnes-Hut schedule, fastest; sklearn:
    scikit-learn's defaults, the notebook's way; opentsne, if installed). ``perplexity``: t-SNE's effective
    number of neighbours. ``neighbors``, ``min_dist``: UMAP's neighbourhood size and how tightly points may
    pack. ``scale``: standardize each feature first. ``trust``: measure trustworthiness (k = 10, a fixed
    sample of 5,000 rows). Returns the coords artifact; ``summary`` is what ``fmtwist reduce --json`` prints.

        ws.reduce(method="umap", neighbors=30, min_dist=0, seed=0)
    """
    method, backend = choice(Method, method, "method"), choice(TsneBackend, backend, "backend")
    layout = Layout(folder)
    emb_path = Path(embeddings) if embeddings is not None else layout.embeddings
    out_path = Path(out) if out is not None else layout.coords(method.value)
    emb = artifacts.load(emb_path, "embeddings")
    options = {"perplexity": perplexity, "n_neighbors": neighbors, "min_dist": min_dist}
    check_params(method, emb.rows(), options, names={"n_neighbors": "neighbors"})
    task = label(method, backend)

    def tick(done: int, total: int | None, task_: str = "", **info: Any) -> None:
        progress(done, total, task)

    result, summary = projection.map_embeddings(
        emb, out_path, method, seed, scale, backend=backend, progress=tick, trust=trust, **options
    )
    summary = {**summary, "written": str(out_path)}
    coords = artifacts.load(out_path, "coords")
    return Result(out_path, summary, artifact=coords, paths=[out_path])
