"""The explore page's neighbours in the encoding, the Python side: which rows are packed, in what features and
dtype (issue #19). In a real browser: tests/test_explore_query_browser.py."""

from __future__ import annotations

import base64
import json
import re

import numpy as np
import pytest
from helpers import write_blob_puzzle
from sklearn.preprocessing import StandardScaler

from fmtwist_cli import artifacts
from fmtwist_cli.explore import inputs, page

NUMPY_TYPES = {"f32": "<f4", "u8": "u1", "u16": "<u2", "i32": "<i4"}


def page_arrays(html: str) -> tuple[dict, dict[str, np.ndarray]]:
    """The page's meta and typed arrays, decoded the way js/state.js decodes them."""
    meta = json.loads(re.search(r'id="fmtwist-meta">(.*?)</script>', html, re.S).group(1))
    raw = base64.b64decode(re.search(r'id="fmtwist-arrays">(.*?)</script>', html, re.S).group(1))
    arrays = {
        name: np.frombuffer(raw, dtype=NUMPY_TYPES[kind], count=length, offset=offset)
        for name, (kind, offset, length) in meta["arrays"].items()
    }
    return meta, arrays


def exact_neighbours(x: np.ndarray, k: int = 10) -> np.ndarray:
    """Each row's k nearest other rows, by brute force over every pair (no index, so no shared shortcut)."""
    d = ((x[:, None, :].astype(np.float64) - x[None, :, :]) ** 2).sum(axis=2)
    np.fill_diagonal(d, np.inf)
    return np.argsort(d, axis=1, kind="stable")[:, :k]


def test_the_page_packs_each_points_ten_nearest_rows_in_the_standardized_encoding(tmp_path, run):
    folder = write_blob_puzzle(tmp_path / "art")
    code, _, err = run("explore", "-a", folder)
    assert code == 0, err
    meta, arrays = page_arrays((folder / "explore.html").read_text(encoding="utf-8"))
    emb = artifacts.load(folder / "embeddings.npz", "embeddings")
    assert meta["neighbours"]["k"] == 10 and meta["arrays"][meta["neighbours"]["array"]][0] == "u16"
    packed = arrays[meta["neighbours"]["array"]].reshape(-1, 10)
    assert packed.shape == (330, 10)
    features = StandardScaler().fit_transform(emb["embedding"])  # 10 columns: no PCA
    np.testing.assert_array_equal(packed, exact_neighbours(features))
    assert not (packed == np.arange(330)[:, None]).any()
    np.testing.assert_array_equal(arrays["confidence"], emb["probs"].max(axis=1))  # unrounded, for the query box


def test_a_row_is_never_its_own_neighbour_even_beside_its_duplicate():
    x = np.random.default_rng(0).normal(size=(40, 3)).astype(np.float32)
    x[7] = x[3]
    found = inputs.encoding_neighbours(x, k=5)
    assert found.shape == (40, 5)
    assert not (found == np.arange(40)[:, None]).any()
    assert found[3, 0] == 7 and found[7, 0] == 3


def test_few_points_get_every_other_point_as_neighbours():
    x = np.arange(12, dtype=np.float32).reshape(4, 3)
    np.testing.assert_array_equal(inputs.encoding_neighbours(x, k=10), [[1, 2, 3], [0, 2, 3], [1, 3, 0], [2, 1, 0]])
    assert inputs.encoding_neighbours(x[:1]).shape == (1, 0)


def test_wide_embeddings_are_measured_in_their_first_50_principal_components():
    x = np.random.default_rng(1).normal(size=(120, 80)).astype(np.float32)
    features = inputs.neighbour_features(x)
    assert features.shape == (120, 50) and features.dtype == np.float32
    from sklearn.decomposition import PCA

    reduced = PCA(50, random_state=0).fit_transform(StandardScaler().fit_transform(x))
    np.testing.assert_allclose(np.abs(features), np.abs(reduced), atol=1e-4)  # up to each component's sign
    assert inputs.neighbour_features(x[:, :50]).shape == (120, 50)  # 50 wide already: standardized only


@pytest.mark.parametrize(("n", "kind"), [(65536, "u16"), (65537, "i32")])
def test_neighbours_pack_as_uint16_up_to_65536_points_then_int32(n, kind):
    rng = np.random.default_rng(2)
    nb = rng.integers(0, n, (n, 10))
    points = page.Points(
        images=np.zeros((n, 28, 28), np.uint8),
        index=np.arange(n),
        split=np.array(["test"] * n),
        classes=np.zeros(n, np.int64),
        pred=np.zeros(n, np.int64),
        pred_conf=np.full(n, 0.5),
        n_classes=2,
        maps=[],
        clusterings=[],
        neighbours=nb,
    )
    meta, packed, _ = page.pack(points, "", "t")
    name = meta["neighbours"]["array"]
    kind_found, offset, length = meta["arrays"][name]
    assert kind_found == kind and length == n * 10
    raw = base64.b64decode(packed)
    np.testing.assert_array_equal(np.frombuffer(raw, NUMPY_TYPES[kind], length, offset).reshape(n, 10), nb)
