"""artifacts/meta.py: each .npz kind's metadata as a typed record. The records read what the steps write
(every key, nothing left over), give it back unchanged, and read older or hand-made files without failing."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import write_learnable
from helpers import tiny_onnx, write_embeddings

from fmtwist_cli import Workspace, __version__, artifacts
from fmtwist_cli.artifacts.meta import ClustersMeta, CoordsMeta, DataMeta, EmbeddingsMeta, typed
from fmtwist_cli.report.evidence import ClusteringScore
from fmtwist_cli.views import charts, images

STAMPED = ("kind", "fmtwist_version")  # what artifacts.save adds to every file's metadata


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> dict[str, list[artifacts.Artifact]]:
    """Every kind as its step writes it, in the variants that write optional keys."""
    folder = write_learnable(tmp_path_factory.mktemp("learnable"), n_train=20, n_test=10)
    tiny_onnx(folder / "m.onnx")
    ws = Workspace(folder)
    embedded = [ws.embed(model=folder / "m.onnx", split="all").path]
    groups = tmp_path_factory.mktemp("groups")
    write_embeddings(groups)
    ws = Workspace(groups)
    clustered = [
        ws.cluster(method="kmeans", seed=0, answer_key=groups / "twist.json").path,
        ws.cluster(method="dbscan", min_samples=5).path,
        ws.cluster(method="kmeans", within_classes=True, seed=1).path,
        ws.cluster(method="agglomerative", k=3, coords=ws.reduce(method="pca", seed=0).path).path,
    ]
    mapped = [groups / "coords-pca.npz", ws.reduce(method="pca", trust=False, out=groups / "coords-b.npz").path]
    paths = {"data": [folder / "data.npz"], "embeddings": embedded, "clusters": clustered, "coords": mapped}
    return {kind: [artifacts.load(p, kind) for p in found] for kind, found in paths.items()}


RECORD_OF = {"data": DataMeta, "embeddings": EmbeddingsMeta, "clusters": ClustersMeta, "coords": CoordsMeta}


@pytest.mark.parametrize("kind", list(RECORD_OF))
def test_each_record_round_trips_what_its_step_writes(written, kind):
    for art in written[kind]:
        record = art.record
        assert type(record) is RECORD_OF[kind] and record.kind == kind
        assert record.fmtwist_version == __version__ and isinstance(record.provenance, dict)
        assert record.extra == {}, f"{kind} writes keys its record lacks: {sorted(record.extra)}"
        assert record.to_meta() == {k: v for k, v in art.meta.items() if k not in STAMPED}
        assert list(record.to_meta()) == [k for k in art.meta if k not in STAMPED]  # the same order: same bytes
        assert type(record).from_meta(art.meta) == record


@pytest.mark.parametrize("kind", list(RECORD_OF))
def test_the_records_fields_are_what_the_steps_write(written, kind):
    """A key a step writes without its record (or a field no step writes any more) fails here."""
    keys = set().union(*(art.meta for art in written[kind]))
    assert keys == RECORD_OF[kind].field_names()


def test_the_steps_fields_hold_their_types(written):
    (data,), emb = written["data"], written["embeddings"][0].record
    assert data.record.n_classes == int(data["y_train"].max()) + 1 and data.record.has_answer_key is True
    assert emb.split == "all" and emb.batch_size == 256 and 0 <= emb.accuracy <= 1 and emb.provider
    kmeans, dbscan, within, on_map = (art.record for art in written["clusters"])
    assert (
        kmeans.original is not None and kmeans.mystery is not None and kmeans.features == {"scale": True, "pca": None}
    )
    assert dbscan.eps_auto is not None and dbscan.param("eps", float) > 0 and dbscan.param("min_samples", int) == 5
    assert within.within_classes and within.per_class and not kmeans.within_classes
    assert on_map.feature("coords", str).endswith("coords-pca.npz") and on_map.feature("pca", int) is None
    trusted, untrusted = (art.record for art in written["coords"])
    assert trusted.trust_k == 10 and 0 <= trusted.trustworthiness <= 1 and untrusted.trustworthiness is None


def _old_file(path: Path, kind: str, arrays: dict[str, np.ndarray], meta: dict) -> Path:
    """An .npz as an older fmtwist (or a hand) wrote it: the metadata is saved as it is."""
    arrays = {**arrays, "meta": np.array(json.dumps({"kind": kind, **meta}))}
    artifacts.write_bytes(path, lambda fh: np.savez(fh, **arrays))
    return path


def test_an_old_or_hand_made_file_still_reads(viz, tmp_path):
    labels = artifacts.load(viz / "clusters-dbscan.npz", "clusters")["labels"]
    meta = {"method": 5, "eps": 2.5, "min_samples": 7, "params": "eps=3", "features": ["scale"], "rows": "many"}
    old = artifacts.load(_old_file(tmp_path / "clusters-old.npz", "clusters", {"labels": labels}, meta), "clusters")
    record = old.record
    assert (record.method, record.params, record.features, record.rows, record.provenance) == (None,) * 5
    assert record.extra == {"eps": 2.5, "min_samples": 7} and record.method_params == record.extra
    assert (record.param("eps", float), record.param("min_samples", int), record.feature("pca", int)) == (2.5, 7, None)
    assert not record.within_classes and images.clusters_name(old) == "clusters-old"
    assert not ClusteringScore(old, {}, None).within_classes
    assert record.to_meta() == {"eps": 2.5, "min_samples": 7}  # mistyped fields are absent; unknown keys kept
    kdist = Workspace(viz).plot.kdist(clusters=old.path).summary
    assert (kdist["k"], kdist["eps"], kdist["eps_from"], kdist["scale"]) == (7, 2.5, "used by clusters-old.npz", True)


def test_missing_and_mistyped_fields_are_none_never_an_error():
    assert DataMeta.from_meta({"kind": "data"}) == DataMeta()
    assert DataMeta.from_meta(None) == DataMeta() and DataMeta.from_meta(["not", "an", "object"]) == DataMeta()
    data = DataMeta.from_meta({"n_classes": "3", "source": 1, "twist": None, "has_answer_key": 0, "note": "kept"})
    assert (data.n_classes, data.source, data.twist, data.has_answer_key, data.extra) == (None,) * 4 + (
        {"note": "kept"},
    )
    emb = EmbeddingsMeta.from_meta({"accuracy": 1, "batch_size": 2.5, "n_classes": True, "layer": "dense"})
    assert (emb.accuracy, emb.batch_size, emb.n_classes, emb.layer) == (1.0, None, None, "dense")
    coords = CoordsMeta.from_meta({"method": ["tsne"], "trustworthiness": "high", "params": {"seed": 0}})
    assert (coords.method, coords.trustworthiness, coords.params) == (None, None, {"seed": 0})
    assert charts.method_label({"method": ["tsne"]}) == "Map" and charts.method_label({"method": "umap"}) == "UMAP"


def test_typed_counts_an_int_as_a_float_and_a_bool_as_neither():
    assert typed(3, float) == 3.0 and isinstance(typed(3, float), float)
    assert typed(True, int) is None and typed(True, float) is None and typed(True, bool) is True
    assert typed(1, bool) is None and typed("x", int) is None and typed({}, dict) == {}


def test_data_without_a_valid_class_count_is_refused(tmp_path):
    from fmtwist_cli.errors import ArtifactError

    arrays = artifacts.load(write_learnable(tmp_path, n_train=4, n_test=2) / "data.npz", "data").arrays
    for bad in ({}, {"n_classes": "5"}, {"n_classes": 0}):
        path = _old_file(tmp_path / "old.npz", "data", arrays, bad)
        with pytest.raises(ArtifactError, match="metadata has no valid 'n_classes'"):
            artifacts.load(path, "data")
