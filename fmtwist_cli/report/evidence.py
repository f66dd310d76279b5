"""The evidence: everything the report measures, computed once into one object.

:func:`measure` runs the ONNX models through onnxruntime, lets the reference
classifier name every test image, infers the merge map, counts the sub-groups
on the map, scores the clusterings and the guess, and picks the images to show.
The sections, the Markdown, the HTML and ``--json`` (:func:`.summary.summarize`)
only read the result.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from fmtwist_cli import artifacts
from fmtwist_cli.data import twist
from fmtwist_cli.data.twist import CATEGORIES
from fmtwist_cli.errors import FmtwistError
from fmtwist_cli.puzzle import guess, subgroups
from fmtwist_cli.report.inputs import Inputs, reference_hint
from fmtwist_cli.result import Log

if TYPE_CHECKING:
    from fmtwist_cli.views.images import Collection

GRID_N = 10  # images per row of a class grid


@dataclass
class ModelScore:
    name: str  # the .onnx file name
    predicts: str  # what its outputs are, in words
    accuracy: float | None  # on the test images, through onnxruntime
    keras_diff: Any  # largest Keras vs ONNX difference export recorded, when it did


@dataclass
class ClusteringScore:
    artifact: artifacts.Artifact
    evaluation: dict[str, Any]  # scores.evaluation against the mystery classes (with the cluster x class table)
    ari_original: float | None  # against the answer key's categories

    @property
    def stem(self) -> str:
        return Path(self.artifact.path).stem

    @property
    def within_classes(self) -> bool:
        return self.artifact.record.within_classes


@dataclass
class Evidence:
    inputs: Inputs
    seed: int
    labels: np.ndarray | None  # each embeddings row's mystery class: its label, else the network's prediction
    class_sizes: np.ndarray  # test images per mystery class
    size_in_categories: np.ndarray  # class_sizes in categories' worth of images
    balanced_sizes: np.ndarray | None  # the same, only when the classes are balanced (twist.BALANCED)
    models: list[ModelScore]
    reference_pred: np.ndarray | None  # the reference classifier's category for each test image
    shares: np.ndarray | None  # (K, 10) each class as a mix of categories
    merge: guess.MergeMap | None
    members: dict[int, list[str]] | None  # the merge map read per class
    subgroups: list[subgroups.SubGroups] | None
    subgroup_rows: list[np.ndarray] | None  # embeddings rows of each class's points on the map
    subgroup_names: list[list[str]] | None  # the reference name of each sub-group
    collection: Collection | None  # the embeddings rows' images, when there are embeddings
    picks: dict[int, dict[str, np.ndarray]]  # class -> "typical"/"borderline" -> embeddings rows
    clusterings: list[ClusteringScore]
    score: dict[str, Any] | None  # guess.score against the answer key
    missing: list[str]
    provenance: dict[str, Any]
    explore_page: Path | None  # explore.html, when it exists

    @property
    def n_classes(self) -> int:
        return self.inputs.n_classes


def measure(inp: Inputs, predict: Callable | None = None, seed: int = 0, log: Log | None = None) -> Evidence:
    """Measure everything once. ``predict(onnx_path, images)`` returns ``{"probs": ...}``
    (default: :func:`fmtwist_cli.encode.embedding.predict`); ``log`` hears what is being measured."""
    if predict is None:
        from fmtwist_cli.encode.embedding import predict
    log = log or (lambda line: None)
    k = inp.n_classes
    models, ref_probs = _measure_models(inp, predict, log)
    if inp.reference is not None and ref_probs is None:
        log(f"running the reference classifier {Path(inp.reference).name}")
        ref_probs = predict(Path(inp.reference), inp.data["x_test"])["probs"]
    if ref_probs is not None and ref_probs.shape[1] != len(CATEGORIES):
        raise FmtwistError(
            f"{inp.reference} predicts {ref_probs.shape[1]} classes, not the 10 original categories: "
            "export a model trained with --labels original"
        )
    missing = _missing(inp, ref_probs is not None)
    emb = inp.embeddings
    labels = None if emb is None else (emb["labels"] if "labels" in emb else emb["pred"])
    class_sizes = np.bincount(inp.data["y_test"], minlength=k)
    ref_pred = ref_probs.argmax(axis=1) if ref_probs is not None else None
    shares = merge = members = None
    if ref_pred is not None:
        shares = guess.category_shares(ref_pred, inp.data["y_test"], k)
        merge = guess.infer_merge_map(ref_pred, inp.data["y_test"], k)
        members = merge.members()
    log("finding sub-groups")
    groups, group_rows, names = _subgroups(inp, labels, ref_pred, seed)
    score = None
    if inp.answer_key is not None and merge is not None:
        counts = [sg.count for sg in groups] if groups is not None else None
        map_counts = [sg.map_count for sg in groups] if groups is not None else None
        score = guess.score(merge, counts, inp.answer_key["mapping_by_index"], map_counts)
    collection, picks = _picks(inp, labels, seed)
    explore = inp.layout.explore_page
    return Evidence(
        inputs=inp,
        seed=seed,
        labels=labels,
        class_sizes=class_sizes,
        size_in_categories=twist.category_units(class_sizes),
        balanced_sizes=twist.category_units(class_sizes, balanced=True),
        models=models,
        reference_pred=ref_pred,
        shares=shares,
        merge=merge,
        members=members,
        subgroups=groups,
        subgroup_rows=group_rows,
        subgroup_names=names,
        collection=collection,
        picks=picks,
        clusterings=_clusterings(inp, labels),
        score=score,
        missing=missing,
        provenance=_provenance(inp, seed),
        explore_page=explore if explore.is_file() else None,
    )


def _missing(inp: Inputs, has_reference: bool) -> list[str]:
    missing = list(inp.skipped)
    if not has_reference:
        missing.append(reference_hint(inp.data))
    if inp.embeddings is None:
        missing.append("no embeddings: run `fmtwist embed`")
    elif not inp.maps:
        missing.append("no map for the sub-groups: run `fmtwist reduce --method tsne`")
    if inp.embeddings is not None and not inp.clusterings:
        missing.append("no clustering: run `fmtwist cluster`")
    return missing


def _measure_models(inp: Inputs, predict: Callable, log: Log) -> tuple[list[ModelScore], np.ndarray | None]:
    """Test accuracy of each ONNX model through onnxruntime, and the reference classifier's probabilities."""
    scores, ref_probs = [], None
    for model in inp.models:
        log(f"measuring {model.name} through onnxruntime")
        probs = predict(model, inp.data["x_test"])["probs"]
        if probs.shape[1] == len(CATEGORIES) and "original" in model.stem:
            if inp.answer_key is None:
                what, acc = "original categories (accuracy needs --answer-key)", None
            else:
                truth = inp.answer_key["original_labels"]["test"]
                what, acc = "original categories", float((probs.argmax(1) == truth).mean())
        elif probs.shape[1] != inp.n_classes:
            what, acc, probs = f"{probs.shape[1]} classes (not this data)", None, None
        else:
            what, acc = "mystery classes", float((probs.argmax(1) == inp.data["y_test"]).mean())
        if inp.reference is not None and model.resolve() == Path(inp.reference).resolve():
            ref_probs = probs
        diff = artifacts.describe(model).get("meta", {}).get("keras_max_abs_diff")
        scores.append(ModelScore(model.name, what, acc, diff))
    return scores, ref_probs


def _subgroups(
    inp: Inputs, labels: np.ndarray | None, ref_pred: np.ndarray | None, seed: int
) -> tuple[list[subgroups.SubGroups] | None, list[np.ndarray] | None, list[list[str]] | None]:
    """Each class's sub-groups on the default map (test rows only), and the reference name of each."""
    if inp.embeddings is None or not inp.maps:
        return None, None, None
    emb, k = inp.embeddings, inp.n_classes
    rows = np.flatnonzero(emb["split"] == "test")
    rows = rows if rows.size else np.arange(emb.rows())
    found = subgroups.subgroups_per_class(inp.maps[0]["coords"][rows], labels[rows], k, seed=seed)
    rows_per_class = [rows[labels[rows] == c] for c in range(k)]
    names = None
    if ref_pred is not None and (emb["split"][rows] == "test").all():
        names = []
        for c, sg in enumerate(found):
            cats = ref_pred[emb["index"][rows_per_class[c]]]
            names.append(
                [CATEGORIES[np.bincount(cats[sg.labels == g], minlength=10).argmax()] for g in range(sg.count)]
            )
    return found, rows_per_class, names


def _picks(
    inp: Inputs, labels: np.ndarray | None, seed: int
) -> tuple[Collection | None, dict[int, dict[str, np.ndarray]]]:
    """Each class's most typical and most borderline images (embeddings rows)."""
    if inp.embeddings is None:
        return None, {}
    from fmtwist_cli.views import images

    coll = images.collect(inp.data, inp.embeddings)
    coll.labels = labels
    picks = {}
    for c in range(inp.n_classes):
        rows = np.flatnonzero(labels == c)
        if rows.size:
            picks[c] = {
                "typical": images.pick(coll, rows, images.Pick.central, GRID_N, labels, seed),
                "borderline": images.pick(coll, rows, images.Pick.border, GRID_N, labels, seed),
            }
    return coll, picks


def _clusterings(inp: Inputs, labels: np.ndarray | None) -> list[ClusteringScore]:
    if inp.embeddings is None:
        return []
    from fmtwist_cli.groups import scores

    originals = None
    if inp.answer_key is not None:
        emb = inp.embeddings
        originals = scores.original_categories(emb["index"], emb["split"], inp.answer_key, str(inp.answer_key_path))
    return [
        ClusteringScore(
            c,
            scores.evaluation(labels, c["labels"]),
            None if originals is None else scores.metrics(originals, c["labels"])["ari"],
        )
        for c in inp.clusterings
    ]


def _provenance(inp: Inputs, seed: int) -> dict[str, Any]:
    """Every file the report read, with its SHA-256; the seed; the versions."""
    embeddings = inp.embeddings.path if inp.embeddings is not None else None
    files: dict[str, Any] = {"data": inp.data.path, "answer_key": inp.answer_key_path}
    files |= {"reference": inp.reference, "embeddings": embeddings}
    listed = {Path(p).resolve() for p in files.values() if p is not None}
    for path in [*(Path(h["path"]) for h in inp.histories), *inp.models, *(a.path for a in inp.maps + inp.clusterings)]:
        if Path(path).resolve() not in listed:  # the reference is one of the models
            files.setdefault(Path(path).name, path)
    return artifacts.provenance(files, seed)
