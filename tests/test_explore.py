"""fmtwist explore, the Python side: what goes into the page, how it is packed, the command's refusals.

The page in a real browser: tests/test_explore_browser.py.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import zlib
from pathlib import Path

import numpy as np
import pytest
from helpers import tiny_onnx, write_blob_puzzle

from fmtwist_cli import artifacts
from fmtwist_cli.data.twist import CATEGORIES
from fmtwist_cli.explore import page
from fmtwist_cli.puzzle import guess

NUMPY_TYPES = {"f32": "<f4", "u8": "u1", "u16": "<u2", "i32": "<i4"}


@pytest.fixture
def blob(tmp_path) -> Path:
    return write_blob_puzzle(tmp_path / "art")


def _block(html: str, name: str) -> str:
    found = re.search(rf'<script type="[^"]+" id="{name}">(.*?)</script>', html, re.S)
    assert found, f"no {name} block"
    return found.group(1)


def read_page(path: Path) -> tuple[dict, dict[str, np.ndarray], np.ndarray]:
    """The page's three data blocks decoded the way explore.js decodes them."""
    html = path.read_text(encoding="utf-8")
    meta = json.loads(_block(html, "fmtwist-meta"))
    raw = base64.b64decode(_block(html, "fmtwist-arrays"))
    arrays = {
        name: np.frombuffer(raw, dtype=NUMPY_TYPES[kind], count=length, offset=offset)
        for name, (kind, offset, length) in meta["arrays"].items()
    }
    images = np.frombuffer(zlib.decompress(base64.b64decode(_block(html, "fmtwist-images"))), np.uint8)
    return meta, arrays, images.reshape(-1, 28, 28)


def groups_as_names(meta: dict, arrays: dict, key: str) -> list[str]:
    entry = next(c for c in meta["colourings"] if c["key"] == key)
    return [entry["names"][g] for g in arrays[entry["array"]]]


def test_explore_packs_every_point(blob, run):
    code, out, err = run("explore", "-a", blob, "--answer-key", blob / "twist.json", "--json")
    assert code == 0, err
    summary = json.loads(out)
    path = blob / "explore.html"
    assert summary["written"] == str(path) and summary["bytes"] == path.stat().st_size
    assert summary["points"] == 330 and summary["splits"] == {"test": 300, "train": 30}
    assert summary["maps"] == [str(blob / "coords-tsne.npz")]
    assert summary["clusterings"] == [str(blob / "clusters-kmeans.npz"), str(blob / "clusters-dbscan.npz")]
    meta, arrays, images = read_page(path)
    emb = artifacts.load(blob / "embeddings.npz", "embeddings")
    data = artifacts.load(blob / "data.npz", "data")
    key = json.loads((blob / "twist.json").read_text())
    split, index = emb["split"], emb["index"]
    expected = np.stack([data[f"x_{s}"][i] for s, i in zip(split, index)])
    np.testing.assert_array_equal(images, expected)  # row i of the page is row i of the embeddings
    np.testing.assert_array_equal(arrays["index"], index)
    assert [meta["splits"][s] for s in arrays["split"]] == list(split)
    coords = artifacts.load(blob / "coords-tsne.npz", "coords")["coords"]
    np.testing.assert_array_equal(arrays[meta["maps"][0]["array"]].reshape(-1, 2), coords)
    assert meta["maps"][0]["label"] == "t-SNE"
    assert groups_as_names(meta, arrays, "class") == [f"class {c}" for c in emb["labels"]]
    assert groups_as_names(meta, arrays, "pred") == [f"class {c}" for c in emb["pred"]]
    right = emb["pred"] == emb["labels"]
    assert groups_as_names(meta, arrays, "correct") == ["right" if r else "wrong" for r in right]
    dbscan = groups_as_names(meta, arrays, "clusters-dbscan")
    assert dbscan[:5] == ["noise"] * 5 and dbscan[5:] == [f"cluster {c}" for c in emb["labels"][5:]]
    truth = [CATEGORIES[int(key["original_labels"][s][i])] for s, i in zip(split, index)]
    assert groups_as_names(meta, arrays, "truth") == truth
    pred_conf = next(c for c in meta["colourings"] if c["key"] == "pred")["confidence"]
    assert set(arrays[pred_conf].tolist()) == {90}
    assert meta["n"] == 330 and meta["n_classes"] == 5 and meta["categories"] == list(CATEGORIES)
    assert meta["auto_guess"] is None  # no reference classifier in the folder
    assert [c["role"] for c in meta["colourings"]] == ["class", "pred", "correct", "cluster", "cluster", "truth"]


def test_page_is_one_self_contained_file(blob, run):
    code, _, err = run("explore", "-a", blob)
    assert code == 0, err
    html = (blob / "explore.html").read_text(encoding="utf-8")
    assert "http://" not in html and "https://" not in html
    assert re.findall(r'(?:src|href)="([^"]*)"', html) == ["data:,"]  # the empty favicon: no request for one
    assert "default-src 'none'" in html  # the browser itself refuses any request
    assert "{{" not in html  # every placeholder filled


def test_reference_classifier_names_each_point(blob, run):
    ref = tiny_onnx(blob / "model-custom-original.onnx", n_classes=10)
    code, out, err = run("explore", "-a", blob, "--json")
    assert code == 0, err
    assert json.loads(out)["reference"] == str(ref)
    assert f"running the reference classifier {ref.name} on 330 images" in err
    meta, arrays, images = read_page(blob / "explore.html")
    from fmtwist_cli.encode.embedding import predict

    probs = predict(ref, images)["probs"]
    assert groups_as_names(meta, arrays, "reference") == [CATEGORIES[j] for j in probs.argmax(axis=1)]
    confidence = arrays[next(c for c in meta["colourings"] if c["key"] == "reference")["confidence"]]
    np.testing.assert_array_equal(confidence, np.rint(100 * probs.max(axis=1)))
    labels = artifacts.load(blob / "embeddings.npz", "embeddings")["labels"]
    assert meta["auto_guess"]["merge_map"] == guess.infer_merge_map(probs, labels, 5).as_dict()
    assert ref.name in meta["status"]


def test_reference_without_the_10_categories_is_refused(blob, run):
    tiny_onnx(blob / "model-custom-original.onnx", n_classes=5)
    code, _, err = run("explore", "-a", blob)
    assert code == 1
    assert err == (
        f"error: {blob / 'model-custom-original.onnx'} predicts 5 classes, not the 10 original categories: "
        "export a model trained with --labels original\n"
    )
    assert not (blob / "explore.html").exists()


@pytest.mark.slow  # makes a t-SNE map
def test_without_a_map_explore_makes_the_tsne_map_first(blob, run):
    (blob / "coords-tsne.npz").unlink()
    code, out, err = run("explore", "-a", blob, "--seed", "0", "--json")
    assert code == 0, err
    note = f"no map yet: running `fmtwist reduce --method tsne` on {blob / 'embeddings.npz'} first"
    assert note in err and json.loads(out)["notes"] == [note]
    made = artifacts.load(blob / "coords-tsne.npz", "coords")
    assert made.meta["method"] == "tsne" and made.rows() == 330
    assert artifacts.input_mismatch(made, "embeddings", blob / "embeddings.npz") is None
    assert made.meta["provenance"]["inputs"]["embeddings"]["sha256"] == artifacts.file_sha256(blob / "embeddings.npz")
    meta, arrays, _ = read_page(blob / "explore.html")
    np.testing.assert_array_equal(arrays[meta["maps"][0]["array"]].reshape(-1, 2), made["coords"])


def test_without_embeddings_explore_says_what_to_run(tmp_path, run):
    folder = write_blob_puzzle(tmp_path / "art")
    (folder / "embeddings.npz").unlink()
    code, out, err = run("explore", "-a", folder)
    assert (code, out) == (1, "")
    assert err == f"error: embeddings not found: {folder / 'embeddings.npz'} (run `fmtwist embed` first)\n"


def test_a_map_of_other_embeddings_is_not_overwritten(blob, run):
    coords = artifacts.load(blob / "coords-tsne.npz", "coords")
    short = {k: v[:10] for k, v in coords.arrays.items()}
    artifacts.save(artifacts.Artifact("coords", short, coords.meta), blob / "coords-tsne.npz")
    before = (blob / "coords-tsne.npz").read_bytes()
    code, _, err = run("explore", "-a", blob)
    assert code == 1
    emb = blob / "embeddings.npz"
    assert err == (
        f"error: no map of {emb}: coords-tsne.npz left out: 10 points but embeddings.npz has 330 rows "
        f"(run `fmtwist reduce` again); or run `fmtwist reduce --embeddings {emb} --out FILE` with a new file name\n"
    )
    assert (blob / "coords-tsne.npz").read_bytes() == before and not (blob / "explore.html").exists()


def test_a_folder_as_out_is_refused_before_the_work(blob, run):
    (blob / "taken").mkdir()
    code, _, err = run("explore", "-a", blob, "--out", blob / "taken")
    assert code == 1 and err == f"error: cannot write {blob / 'taken'}: it is a folder\n"


def test_many_maps_and_a_default_first(blob, run):
    shutil.copy(blob / "coords-tsne.npz", blob / "coords-umap.npz")
    pca = artifacts.load(blob / "coords-tsne.npz", "coords")
    artifacts.save(artifacts.Artifact("coords", pca.arrays, {"method": "pca"}), blob / "coords-pca.npz")
    code, _, err = run("explore", "-a", blob)
    assert code == 0, err
    meta, _, _ = read_page(blob / "explore.html")
    assert [m["label"] for m in meta["maps"]] == ["t-SNE", "t-SNE (umap)", "PCA"]


def test_colours_stay_distinct_past_the_palette():
    for n in (3, 18, 40):
        found = page.colours(n)
        assert len(found) == n and len(set(found)) == n
        assert all(re.fullmatch("#[0-9a-f]{6}", c) for c in found)


def test_json_in_the_page_cannot_close_its_script_element():
    text = page._script_json({"name": "</script><script>alert(1)</script>"})
    assert "<" not in text and json.loads(text)["name"].startswith("</script>")


def test_open_hands_the_page_to_the_default_browser(blob, run, monkeypatch):
    import webbrowser

    opened = []
    monkeypatch.setattr(webbrowser, "open", lambda url: opened.append(url))
    code, out, err = run("explore", "-a", blob, "--open")
    assert code == 0, err
    assert opened == [(blob / "explore.html").resolve().as_uri()]
    assert out.startswith(f"wrote {blob / 'explore.html'} (0.5 MB, 330 images, 1 map, 2 clusterings)")


def test_the_page_carries_its_data_hash_the_answer_and_the_hints_switch(blob, run):
    code, _, err = run("explore", "-a", blob, "--answer-key", blob / "twist.json")
    assert code == 0, err
    meta, arrays, _ = read_page(blob / "explore.html")
    emb = artifacts.load(blob / "embeddings.npz", "embeddings")
    coords = artifacts.load(blob / "coords-tsne.npz", "coords")["coords"]
    digest = hashlib.sha256("\n".join(emb["split"]).encode("utf-8"))
    digest.update(emb["index"].astype("<i8").tobytes() + coords.astype("<f4").tobytes())
    assert meta["data_hash"] == digest.hexdigest()[:16] and re.fullmatch("[0-9a-f]{16}", meta["data_hash"])
    key = json.loads((blob / "twist.json").read_text())
    assert meta["answer_classes"] == key["mapping_by_index"]
    assert meta["hints"] is False and meta["guess_file"] == "guess.json"
    dbscan = next(c for c in meta["colourings"] if c["key"] == "clusters-dbscan")
    labels = artifacts.load(blob / "clusters-dbscan.npz", "clusters")["labels"]
    assert [dbscan["values"][g] for g in arrays[dbscan["array"]]] == labels.tolist()  # the CSV's cluster numbers
    code, _, err = run("explore", "-a", blob, "--hints", "--out", blob / "hints.html")
    assert code == 0, err
    hinted, _, _ = read_page(blob / "hints.html")
    assert hinted["hints"] is True and hinted["answer_classes"] is None  # made without the answer key
    assert hinted["data_hash"] == meta["data_hash"]  # the same points on the same map: the same saved names


def test_the_data_hash_changes_with_the_points_and_the_map(blob):
    from fmtwist_cli.explore import gather, load

    points = gather(load(blob)[0]).points
    first = page.data_hash(points)
    assert page.data_hash(points) == first
    x = points.maps[0][2][0, 0]
    points.maps[0][2][0, 0] = x + 1.0  # one coordinate moved
    assert page.data_hash(points) != first
    points.maps[0][2][0, 0] = x
    assert page.data_hash(points) == first
    points.index[[0, 1]] = points.index[[1, 0]]  # two rows swapped
    assert page.data_hash(points) != first
