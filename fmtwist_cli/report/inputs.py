"""What the report reads: every artifact in the folder, loaded and checked before anything is written."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from fmtwist_cli import artifacts
from fmtwist_cli.artifacts.layout import Layout
from fmtwist_cli.errors import FmtwistError

REFERENCE_HINT = (
    "no reference classifier (a model trained on the 10 original categories): run "
    "`fmtwist train --labels original` then `fmtwist export --labels original`"
)
# The course's CSV files carry mystery labels only: the reference classifier
# learns the categories from the official files instead.
REFERENCE_HINT_CSV = (
    "no reference classifier (a model trained on the 10 original categories): run "
    "`fmtwist train --labels original --source FOLDER` (FOLDER: the official Fashion-MNIST files) "
    "then `fmtwist export --labels original`"
)


def reference_hint(data: artifacts.Artifact) -> str:
    return REFERENCE_HINT_CSV if data.record.has_answer_key is False else REFERENCE_HINT


@dataclass
class Inputs:
    """Everything the report reads, loaded and checked before anything is written."""

    folder: Path
    data: artifacts.Artifact
    answer_key: dict | None
    histories: list[dict]
    models: list[Path]  # .onnx files
    reference: Path | None
    embeddings: artifacts.Artifact | None
    maps: list[artifacts.Artifact]  # the default map first
    clusterings: list[artifacts.Artifact]  # the default clustering first
    skipped: list[str] = field(default_factory=list)  # artifacts left out, and why
    answer_key_path: Path | None = None

    @property
    def layout(self) -> Layout:
        return Layout(self.folder)

    @property
    def n_classes(self) -> int:
        return self.data.record.n_classes


def load_inputs(
    folder: Path, answer_key: Path | None = None, reference: Path | None = None, embeddings: Path | None = None
) -> Inputs:
    """Load data.npz (required) and every optional artifact found in ``folder``."""
    layout = Layout(folder)
    data = artifacts.load(layout.data, "data")
    key = artifacts.load_answer_key(answer_key) if answer_key is not None else None
    if key is not None:  # another puzzle's key would score the guess against the wrong mapping
        artifacts.check_made_from(
            (answer_key, key), "data", layout.data, "pass the twist.json written with this data.npz"
        )
    if reference is not None and not Path(reference).is_file():
        raise FmtwistError(f"reference classifier not found: {reference}")
    emb_path = Path(embeddings) if embeddings is not None else layout.embeddings
    if embeddings is not None and not emb_path.is_file():
        raise FmtwistError(f"embeddings not found: {emb_path} (run `fmtwist embed` first)")
    emb = artifacts.load(emb_path, "embeddings") if emb_path.is_file() else None
    if emb is not None:
        artifacts.check_made_from(emb, "data", data.path, "run `fmtwist embed` again")
        _check_same_data(emb, data)
    histories = [artifacts.load_history(p) | {"path": str(p)} for p in layout.histories()]
    models = layout.models(".onnx")
    maps, clusterings, skipped = [], [], []
    if emb is not None:
        maps = _matching(layout.maps(), "coords", emb, skipped, "reduce")
        clusterings = _matching(layout.clusterings(), "clusters", emb, skipped, "cluster")
    ref = Path(reference) if reference else layout.reference()
    from fmtwist_cli.encode.onnxfile import checked_onnx

    for model in sorted(
        {*models, *([ref] if ref is not None else [])}
    ):  # refused before any work, not after progress lines
        checked_onnx(Path(model))
    return Inputs(layout.root, data, key, histories, models, ref, emb, maps, clusterings, skipped, answer_key)


def _matching(
    paths: list[Path], kind: str, emb: artifacts.Artifact, skipped: list[str], remake: str
) -> list[artifacts.Artifact]:
    """The maps or clusterings made from these embeddings; the others named in ``skipped``.

    A map or clustering of other embeddings cannot be coloured by these labels.
    """
    kept = []
    for path in paths:
        found = artifacts.load(path, kind)
        rows = found.rows() if kind == "coords" else found["labels"].shape[0]
        what = "points" if kind == "coords" else "labels"
        if artifacts.input_mismatch(found, "embeddings", emb.path):
            skipped.append(
                f"{path.name} left out: made from a different embeddings file than {emb.path.name} "
                f"(run `fmtwist {remake}` again)"
            )
        elif rows == emb.rows():
            kept.append(found)
        else:
            skipped.append(
                f"{path.name} left out: {rows:,} {what} but {emb.path.name} has {emb.rows():,} rows "
                f"(run `fmtwist {remake}` again)"
            )
    return kept


def _check_same_data(emb: artifacts.Artifact, data: artifacts.Artifact) -> None:
    """Embeddings of an earlier data.npz (another twist) would mislabel every point."""
    remedy = "run `fmtwist embed` again"
    artifacts.check_rows(emb["index"], emb["split"], artifacts.split_sizes(data), str(emb.path), str(data.path), remedy)
    if "labels" not in emb:
        return
    for split in np.unique(emb["split"]):
        rows = emb["split"] == split
        if not np.array_equal(emb["labels"][rows], data[f"y_{split}"][emb["index"][rows]]):
            raise FmtwistError(f"{emb.path} was made from another data.npz (its labels differ): {remedy}")
