import gzip

import numpy as np
import pytest
from conftest import idx_bytes, needs_real_data, tiny_arrays, write_idx_folder
from helpers import write_csv_folder

from fmtwist_cli.data import sources
from fmtwist_cli.errors import DataError


def test_read_idx_round_trip(tmp_path, tiny):
    path = tmp_path / "a.gz"
    path.write_bytes(gzip.compress(idx_bytes(tiny["x_train"])))
    arr, digest = sources.read_idx(path, 3)
    np.testing.assert_array_equal(arr, tiny["x_train"])
    assert len(digest) == 64


def test_load_idx_folder(idx_dir, tiny):
    data = sources.load_source(idx_dir)
    assert data.original
    for key in ("x_train", "y_train", "x_test", "y_test"):
        np.testing.assert_array_equal(getattr(data, key), tiny[key])


@pytest.mark.parametrize(
    "mangle, message",
    [
        (lambda b: gzip.compress(b)[:-30], "file is truncated"),
        (lambda b: b, "not a gzip file (expected a gzipped IDX file)"),
        (lambda b: gzip.compress(b[:-5]), "file is truncated (3915 bytes of data, header says 3920)"),
        (lambda b: gzip.compress(b"\x01\x02" + b[2:]), "not an IDX file of unsigned bytes with 3 dimension(s)"),
    ],
)
def test_bad_idx(tmp_path, tiny, mangle, message):
    path = tmp_path / "x.gz"
    path.write_bytes(mangle(idx_bytes(tiny["x_test"][:5])))
    with pytest.raises(DataError) as err:
        sources.read_idx(path, 3)
    assert str(err.value) == f"{path}: {message}"


def test_missing_idx_file(idx_dir):
    (idx_dir / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataError, match="missing Fashion-MNIST file\\(s\\): t10k-labels-idx1-ubyte.gz"):
        sources.load_source(idx_dir)


def test_idx_label_count_mismatch(tmp_path):
    arrays = tiny_arrays()
    arrays["y_test"] = arrays["y_test"][:-1]
    write_idx_folder(tmp_path, arrays)
    with pytest.raises(DataError, match="test has 20 images but 19 labels"):
        sources.load_source(tmp_path)


def test_idx_label_out_of_range(tmp_path):
    arrays = tiny_arrays()
    arrays["y_train"] = arrays["y_train"].copy()
    arrays["y_train"][3] = 12
    write_idx_folder(tmp_path, arrays)
    with pytest.raises(DataError, match="train label 12 out of range"):
        sources.load_source(tmp_path)


def test_search_order_prefers_source_then_env(tmp_path, monkeypatch, no_official):
    monkeypatch.setenv("FMTWIST_DATA", str(tmp_path / "env"))
    folders = sources.search_folders(tmp_path / "given")
    assert folders[:2] == [tmp_path / "given", tmp_path / "env"]
    assert folders[2] == sources.DEBIAN_DIR


def test_env_folder_is_used(tmp_path, monkeypatch, no_official, tiny):
    write_idx_folder(tmp_path / "env", tiny)
    monkeypatch.setenv("FMTWIST_DATA", str(tmp_path / "env"))
    data = sources.load_source(None)
    assert str(tmp_path / "env") in data.description


def test_download_verifies_checksums(no_official, monkeypatch, tiny):
    digests = write_idx_folder(no_official, tiny)
    monkeypatch.setattr(sources, "IDX_SHA256", digests)
    seen = []
    data = sources.load_source(None, progress=lambda done, total, task="", **info: seen.append((task, done)))
    np.testing.assert_array_equal(data.x_test, tiny["x_test"])
    assert {task for task, _ in seen} == {f"Downloading Fashion-MNIST: {name}" for name in sources.IDX_FILES.values()}
    assert all(done > 0 for _, done in seen)
    assert sources.has_idx(sources.cache_dir())


def test_download_checksum_mismatch_keeps_nothing(no_official, tiny):
    write_idx_folder(no_official, tiny)  # real checksums do not match the tiny files
    with pytest.raises(DataError, match="checksum mismatch after download"):
        sources.load_source(None)
    assert not list(sources.cache_dir().glob("*")) if sources.cache_dir().exists() else True


def test_download_failure_says_what_to_do(no_official):
    with pytest.raises(DataError, match="install Debian's dataset-fashion-mnist or pass --source DIR"):
        sources.load_source(None)


@pytest.mark.parametrize("index", [False, True])
def test_csv_source(tmp_path, tiny, index):
    write_csv_folder(tmp_path, tiny, index=index)
    data = sources.load_source(tmp_path)
    assert not data.original
    np.testing.assert_array_equal(data.x_train, tiny["x_train"])
    np.testing.assert_array_equal(data.y_test, tiny["y_test"])


def test_export_csv_reads_back(tmp_path, tiny):
    sources.export_csv(tmp_path, tiny)
    data = sources.load_csv(tmp_path)
    np.testing.assert_array_equal(data.x_test, tiny["x_test"])
    assert (tmp_path / "y_train.csv").read_text().startswith("0\n")


def test_npz_source(tmp_path, tiny):
    np.savez(tmp_path / "fm.npz", **tiny)
    data = sources.load_source(tmp_path / "fm.npz")
    assert data.original
    np.testing.assert_array_equal(data.y_train, tiny["y_train"])


def test_npz_source_missing_key(tmp_path, tiny):
    np.savez(tmp_path / "fm.npz", x_train=tiny["x_train"])
    with pytest.raises(DataError, match="no 'y_train' array"):
        sources.load_source(tmp_path / "fm.npz")


def test_unknown_source_folder(tmp_path):
    with pytest.raises(DataError, match="no Fashion-MNIST IDX files"):
        sources.load_source(tmp_path)


@needs_real_data
@pytest.mark.realdata
def test_real_idx_checksums_match():
    data = sources.load_idx(sources.DEBIAN_DIR, verify=True)
    assert data.x_train.shape == (60000, 28, 28) and data.x_test.shape == (10000, 28, 28)
    assert np.bincount(data.y_train).tolist() == [6000] * 10
