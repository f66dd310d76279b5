import json

import numpy as np
import pytest

from fmtwist_cli import artifacts
from fmtwist_cli.errors import ArtifactError


def coords(n=5):
    return artifacts.Artifact(
        "coords",
        {"coords": np.zeros((n, 2), np.float32), "index": np.arange(n, dtype=np.int64)},
        {"method": "pca"},
    )


def test_round_trip_keeps_arrays_and_meta(tmp_path):
    path = artifacts.save(coords(), tmp_path / "c.npz")
    loaded = artifacts.load(path, "coords")
    assert loaded.meta["method"] == "pca" and loaded.meta["kind"] == "coords"
    np.testing.assert_array_equal(loaded["index"], np.arange(5))
    assert not list(tmp_path.glob(".*tmp*"))


def test_wrong_dtype_refused_on_save(tmp_path):
    art = coords()
    art.arrays["coords"] = art.arrays["coords"].astype(np.float64)
    with pytest.raises(ArtifactError, match=r"'coords' is float64\[5, 2\], expected float32 of shape \(N, 2\)"):
        artifacts.save(art, tmp_path / "c.npz")
    assert not (tmp_path / "c.npz").exists()


def test_row_mismatch_refused(tmp_path):
    art = coords()
    art.arrays["index"] = np.arange(4, dtype=np.int64)
    with pytest.raises(ArtifactError, match="'index' has 4 rows but 'coords' has 5"):
        artifacts.save(art, tmp_path / "c.npz")


def test_nan_refused(tmp_path):
    art = coords()
    art.arrays["coords"][0, 0] = np.nan
    with pytest.raises(ArtifactError, match="'coords' holds NaN or infinite values"):
        artifacts.save(art, tmp_path / "c.npz")


def test_pickled_objects_are_never_loaded(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, coords=np.array([object()], dtype=object), meta=np.array(json.dumps({"kind": "coords"})))
    with pytest.raises(ArtifactError, match="holds Python objects, which fmtwist never loads"):
        artifacts.load(path, "coords")


def test_truncated_file(tmp_path):
    path = artifacts.save(coords(100), tmp_path / "c.npz")
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ArtifactError, match="is not a valid fmtwist coords file"):
        artifacts.load(path, "coords")


def test_wrong_kind_named(tmp_path):
    path = artifacts.save(coords(), tmp_path / "c.npz")
    with pytest.raises(ArtifactError, match="is a coords file, expected a clusters file made by `fmtwist cluster`"):
        artifacts.load(path, "clusters")


def test_missing_file_names_the_command(tmp_path):
    with pytest.raises(ArtifactError, match=r"embeddings file not found: .*\(run `fmtwist embed` first\)"):
        artifacts.load(tmp_path / "embeddings.npz", "embeddings")


def test_folder_instead_of_file(tmp_path):
    with pytest.raises(ArtifactError, match="is a folder, expected a coords file"):
        artifacts.load(tmp_path, "coords")


def test_unwritable_folder(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(ArtifactError, match="file is a file, not a folder"):
        artifacts.save(coords(), tmp_path / "file" / "c.npz")


def test_failed_write_keeps_previous_file(tmp_path):
    path = artifacts.save(coords(), tmp_path / "c.npz")
    before = path.read_bytes()

    def boom(fh):
        fh.write(b"half")
        raise RuntimeError("crash")

    with pytest.raises(RuntimeError):
        artifacts.write_bytes(path, boom)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["c.npz"]


def test_answer_key_digits_round_trip(tmp_path):
    labels = np.array([9, 0, 3, 3, 7])
    artifacts.save_answer_key(tmp_path / "t.json", {
        "mapping_by_index": list(range(10)),
        "original_labels": {"train": artifacts.encode_digits(labels), "test": ""},
    })
    key = artifacts.load_answer_key(tmp_path / "t.json")
    np.testing.assert_array_equal(key["original_labels"]["train"], labels)


def test_answer_key_must_be_one(tmp_path):
    (tmp_path / "t.json").write_text(json.dumps({"hello": 1}))
    with pytest.raises(ArtifactError, match="is not an fmtwist answer key"):
        artifacts.load_answer_key(tmp_path / "t.json")
