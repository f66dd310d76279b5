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
    artifacts.save_answer_key(
        tmp_path / "t.json",
        {
            "mapping_by_index": list(range(10)),
            "original_labels": {"train": artifacts.encode_digits(labels), "test": ""},
        },
    )
    key = artifacts.load_answer_key(tmp_path / "t.json")
    np.testing.assert_array_equal(key["original_labels"]["train"], labels)


def test_answer_key_must_be_one(tmp_path):
    (tmp_path / "t.json").write_text(json.dumps({"hello": 1}))
    with pytest.raises(ArtifactError, match="is not an fmtwist answer key"):
        artifacts.load_answer_key(tmp_path / "t.json")


def test_answer_key_from_the_twist_round_trips(tmp_path):
    from fmtwist_cli.data import twist

    originals = {"train": np.array([9, 0, 3]), "test": np.array([7])}
    key = twist.parse_twist("seed").answer_key(originals)
    artifacts.save_answer_key(tmp_path / "twist.json", key)
    assert json.loads((tmp_path / "twist.json").read_text())["original_labels"] == {"train": "903", "test": "7"}
    loaded = artifacts.load_answer_key(tmp_path / "twist.json")
    assert loaded["kind"] == "twist" and loaded["mapping_by_index"] == list(twist.SEED_MAPPING)
    for split, labels in originals.items():
        np.testing.assert_array_equal(loaded["original_labels"][split], labels)


def test_history_of_another_kind_is_refused(tmp_path):
    artifacts.save_answer_key(tmp_path / "history-custom.json", {"mapping_by_index": list(range(10))})
    with pytest.raises(ArtifactError) as caught:
        artifacts.load_history(tmp_path / "history-custom.json")
    assert str(caught.value) == (
        f"{tmp_path / 'history-custom.json'} is not an fmtwist training history "
        "(history-<arch>.json made by `fmtwist train`)"
    )


def test_missing_json_names_the_command(tmp_path):
    with pytest.raises(ArtifactError) as caught:
        artifacts.load_answer_key(tmp_path / "twist.json")
    assert str(caught.value) == f"answer key not found: {tmp_path / 'twist.json'} (run `fmtwist prepare` first)"


SIZES = {"train": 4, "test": 2}


@pytest.mark.parametrize("index, split", [([0, 3, 1], ["train", "train", "test"]), ([], [])])
def test_rows_inside_their_split_pass(index, split):
    artifacts.check_rows(np.array(index, dtype=np.int64), np.array(split, dtype=str), SIZES, "e.npz", "d.npz", "fix")


@pytest.mark.parametrize(
    "index, split, message",
    [
        ([2], ["test"], "e.npz points past the 2 test images of d.npz (a row index outside 0..1): fix"),
        ([-1], ["train"], "e.npz points past the 4 train images of d.npz (a row index outside 0..3): fix"),
        ([0], ["val"], "e.npz has rows of split 'val', which d.npz does not have: fix"),
    ],
)
def test_rows_outside_their_split_are_refused(index, split, message):
    with pytest.raises(ArtifactError) as caught:
        artifacts.check_rows(np.array(index), np.array(split), SIZES, "e.npz", "d.npz", "fix")
    assert str(caught.value) == message


def test_split_sizes_of_a_data_file():
    arrays = {"x_train": np.zeros((3, 28, 28), np.uint8), "y_train": np.zeros(3, np.int64),
              "x_test": np.zeros((5, 28, 28), np.uint8), "y_test": np.zeros(5, np.int64)}  # fmt: skip
    assert artifacts.split_sizes(artifacts.Artifact("data", arrays, {"n_classes": 1})) == {"train": 3, "test": 5}
