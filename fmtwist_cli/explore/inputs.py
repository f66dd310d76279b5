"""What the explore page reads: the report's inputs, a map made when there is none, and each point's labels.

The artifacts are found and checked by :func:`fmtwist_cli.report.load_inputs` (one rule for "is this map made
from these embeddings?"), so the page and the report always agree on what belongs together. :func:`gather` then
reads, for every embeddings row, its image, mystery class, prediction, coordinates on every map, cluster in every
clustering, the reference classifier's category and, with the answer key, the true category; and, with
:func:`encoding_neighbours`, each point's nearest neighbours in the encoding itself (not on a map).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fmtwist_cli import artifacts
from fmtwist_cli.artifacts.layout import Layout
from fmtwist_cli.data.twist import CATEGORIES
from fmtwist_cli.errors import FmtwistError
from fmtwist_cli.explore.page import Points
from fmtwist_cli.groups import scores
from fmtwist_cli.groups.features import HDBSCAN_AUTO_PCA, prepare_features
from fmtwist_cli.maps import params as maps_params
from fmtwist_cli.maps import projection
from fmtwist_cli.puzzle import guess
from fmtwist_cli.report import Inputs, load_inputs
from fmtwist_cli.result import Log, Progress, quiet


@dataclass
class Gathered:
    """The page's points, the automatic guess and a record of what went in (the ``--json`` object)."""

    points: Points
    auto_guess: dict | None
    used: dict[str, object]


def load(
    folder: Path,
    answer_key: Path | None = None,
    reference: Path | None = None,
    embeddings: Path | None = None,
    seed: int | None = None,
    log: Log | None = None,
    progress: Progress = quiet,
) -> tuple[Inputs, list[str], list[Path]]:
    """Load and check every input; make the t-SNE map first when the folder has no map at all.

    Returns the inputs, the notes (artifacts left out, a map made), each already passed to ``log``, and the
    files written (the map made, if any). ``progress`` hears the map's making.
    """
    log = log or (lambda line: None)
    inp = load_inputs(folder, answer_key, reference, embeddings)
    if inp.embeddings is None:
        raise FmtwistError(f"embeddings not found: {Layout(folder).embeddings} (run `fmtwist embed` first)")
    notes, written = list(inp.skipped), []
    if not inp.maps:
        if Layout(folder).maps():  # maps of other embeddings: making one here would overwrite them
            raise FmtwistError(
                f"no map of {inp.embeddings.path}: {'; '.join(inp.skipped)}; or run "
                f"`fmtwist reduce --embeddings {inp.embeddings.path} --out FILE` with a new file name"
            )
        note = f"no map yet: running `fmtwist reduce --method tsne` on {inp.embeddings.path} first"
        log(note)
        notes.append(note)
        path = Layout(folder).coords(maps_params.Method.tsne.value)

        def tick(done: int, total: int | None, *_, **__) -> None:
            progress(done, total, "t-SNE map")

        projection.map_embeddings(inp.embeddings, path, seed=seed, progress=tick)
        written.append(path)
        inp = load_inputs(folder, answer_key, reference, embeddings)
    for note in inp.skipped:
        log(note)
    return inp, notes, written


def _rows_of(data: artifacts.Artifact, index: np.ndarray, split: np.ndarray, name: str) -> np.ndarray:
    """``data[NAME_split][index]`` row by row, for rows of several splits."""
    first = data[f"{name}_{split[0]}"] if len(split) else data[f"{name}_test"]
    out = np.empty((len(index), *first.shape[1:]), dtype=first.dtype)
    for s in np.unique(split):
        rows = split == s
        out[rows] = data[f"{name}_{s}"][index[rows]]
    return out


def _map_label(m: artifacts.Artifact) -> tuple[str, str]:
    stem = Path(m.path).stem.removeprefix("coords-") if m.path else "map"
    method = m.record.method or ""
    try:
        title = maps_params.Method(method).title
    except ValueError:
        title = method or stem
    return stem, title if stem == method else f"{title} ({stem})"


NEIGHBOURS = 10  # each point's nearest neighbours in the encoding, packed into the page
# The encoding the neighbours are measured in: standardized (the notebook's StandardScaler), then its first 50
# principal components when it is wider (the clusterings' own reduction), so 70,000 points stay exact and quick.
NEIGHBOUR_PCA = HDBSCAN_AUTO_PCA
NEIGHBOUR_SEED = 0


def neighbour_features(embedding: np.ndarray, where: str = "the embeddings") -> np.ndarray:
    """The matrix the page's neighbours are measured in (float32): standardized, at most 50 principal components."""
    x = np.asarray(embedding)
    pca = NEIGHBOUR_PCA if x.ndim == 2 and x.shape[1] > NEIGHBOUR_PCA and x.shape[0] >= NEIGHBOUR_PCA else None
    return prepare_features(x, scale=True, pca=pca, seed=NEIGHBOUR_SEED, where=where)


def encoding_neighbours(features: np.ndarray, k: int = NEIGHBOURS) -> np.ndarray:
    """(N, min(k, N - 1)) int64: each row's nearest other rows in ``features``, nearest first (exact, Euclidean,
    scikit-learn's NearestNeighbors). A row is never its own neighbour, even when another row is at distance 0."""
    from sklearn.neighbors import NearestNeighbors

    n = features.shape[0]
    k = min(k, n - 1)
    if k <= 0:
        return np.zeros((n, 0), dtype=np.int64)
    # kneighbors() with no query: each fitted row's neighbours, itself left out (by index, so duplicates stay)
    found = NearestNeighbors(n_neighbors=k).fit(features).kneighbors(return_distance=False)
    return np.asarray(found, dtype=np.int64)


def reference_probs(inp: Inputs, images: np.ndarray, log: Log) -> np.ndarray | None:
    """The reference classifier's probabilities for each point's image, through onnxruntime."""
    if inp.reference is None:
        return None
    from fmtwist_cli.encode import embedding

    model = embedding.describe(Path(inp.reference))
    if model.n_classes != len(CATEGORIES):
        raise FmtwistError(
            f"{inp.reference} predicts {model.n_classes} classes, not the 10 original categories: "
            "export a model trained with --labels original"
        )
    log(f"running the reference classifier {Path(inp.reference).name} on {len(images):,} images")
    probs = embedding.run(model, images)["probs"]
    return probs


def gather(inp: Inputs, log: Log | None = None, progress: Progress = quiet) -> Gathered:
    """Every point's image and labels, from checked inputs; the neighbours' search is a ``progress`` task."""
    log = log or (lambda line: None)
    emb = inp.embeddings
    index, split = emb["index"].astype(np.int64), emb["split"].astype(str)
    images = _rows_of(inp.data, index, split, "x")
    classes = _rows_of(inp.data, index, split, "y").astype(np.int64)
    probs = emb["probs"]
    maps = [(*_map_label(m), np.asarray(m["coords"], dtype=np.float32)) for m in inp.maps]
    clusterings = [(Path(c.path).stem.removeprefix("clusters-"), c["labels"]) for c in inp.clusterings]
    ref = reference_probs(inp, images, log)
    task = f"{NEIGHBOURS} nearest neighbours in the encoding"
    progress(0, 1, task)
    neighbours = encoding_neighbours(neighbour_features(emb["embedding"], str(emb.path)))
    progress(1, 1, task)
    truth = None
    if inp.answer_key is not None:
        truth = scores.original_categories(index, split, inp.answer_key, str(inp.answer_key_path))
    points = Points(
        images,
        index,
        split,
        classes,
        emb["pred"].astype(np.int64),
        probs.max(axis=1),
        inp.n_classes,
        maps,
        clusterings,
        ref,
        truth,
        list(inp.answer_key["mapping_by_index"]) if inp.answer_key is not None else None,
        neighbours,
    )
    auto = None
    if ref is not None:
        merge = guess.infer_merge_map(ref, classes, inp.n_classes)
        confidence = {c: round(float(v), 4) for c, v in zip(CATEGORIES, merge.confidence)}
        auto = {"merge_map": merge.as_dict(), "confidence": confidence}
    used = {
        "data": str(inp.data.path),
        "embeddings": str(emb.path),
        "maps": [str(m.path) for m in inp.maps],
        "clusterings": [str(c.path) for c in inp.clusterings],
        "reference": str(inp.reference) if inp.reference is not None else None,
        "answer_key": str(inp.answer_key_path) if inp.answer_key_path is not None else None,
        "points": len(points),
        "splits": {s: int((split == s).sum()) for s in np.unique(split)},
    }
    return Gathered(points, auto, used)
