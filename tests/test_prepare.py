"""`fmtwist prepare` through the CLI: outputs, round trips, and bad input."""

import gzip
import json

import numpy as np
import pytest
from conftest import files_under, needs_real_data, tiny_arrays, write_idx_folder
from helpers import write_csv_folder

from fmtwist_cli import artifacts
from fmtwist_cli.data import twist


def test_prepare_idx_writes_data_and_key(run, idx_dir, tmp_path, tiny):
    out = tmp_path / "art"
    code, stdout, stderr = run("prepare", "--source", idx_dir, "-a", out)
    assert code == 0, stderr
    assert "Images per class" in stdout
    data = artifacts.load(out / "data.npz", "data")
    key = artifacts.load_answer_key(out / "twist.json")
    assert data.meta["n_classes"] == 5 and data.meta["twist"] == "seed"
    np.testing.assert_array_equal(key["original_labels"]["test"], tiny["y_test"])
    np.testing.assert_array_equal(data["y_test"], np.array(twist.SEED_MAPPING)[tiny["y_test"]])
    assert "y_original" not in data  # the answer stays in the answer key


def test_prepare_json_is_one_object(run, idx_dir, tmp_path):
    code, stdout, _ = run("prepare", "--source", idx_dir, "-a", tmp_path / "a", "--json", "--twist", "none")
    assert code == 0
    summary = json.loads(stdout)
    assert summary["n_classes"] == 10 and summary["train"] == [4] * 10


def test_csv_round_trip(run, idx_dir, tmp_path):
    a1, a2, csv = tmp_path / "a1", tmp_path / "a2", tmp_path / "csv"
    assert run("prepare", "--source", idx_dir, "-a", a1, "--export-csv", csv)[0] == 0
    code, _, stderr = run("prepare", "--source", csv, "-a", a2)
    assert code == 0, stderr
    d1, d2 = artifacts.load(a1 / "data.npz", "data"), artifacts.load(a2 / "data.npz", "data")
    for key in ("x_train", "y_train", "x_test", "y_test"):
        np.testing.assert_array_equal(d1[key], d2[key])
    assert not (a2 / "twist.json").exists()  # CSV carries no answer key
    assert d2.meta["twist"] == "given by the source"


def test_npz_round_trip(run, tmp_path, tiny):
    np.savez(tmp_path / "fm.npz", **tiny)
    idx = tmp_path / "idx"
    write_idx_folder(idx, tiny)
    assert run("prepare", "--source", tmp_path / "fm.npz", "-a", tmp_path / "a1")[0] == 0
    assert run("prepare", "--source", idx, "-a", tmp_path / "a2")[0] == 0
    d1, d2 = artifacts.load(tmp_path / "a1/data.npz", "data"), artifacts.load(tmp_path / "a2/data.npz", "data")
    for key in ("x_train", "y_train", "x_test", "y_test"):
        np.testing.assert_array_equal(d1[key], d2[key])


def test_random_twist_reproducible(run, idx_dir, tmp_path):
    for name in ("a", "b"):
        assert (
            run(
                "prepare",
                "--source",
                idx_dir,
                "-a",
                tmp_path / name,
                "--twist",
                "random",
                "--seed",
                "3",
                "--classes",
                "4",
            )[0]
            == 0
        )
    da, db = (artifacts.load(tmp_path / n / "data.npz", "data") for n in "ab")
    np.testing.assert_array_equal(da["y_train"], db["y_train"])
    assert da.meta["n_classes"] == 4


def _csv(tmp_path, **changes):
    arrays = tiny_arrays()
    arrays.update(changes)
    folder = tmp_path / "csv"
    write_csv_folder(folder, arrays)
    return folder


def _bad_csv_cell(tmp_path, value):
    folder = _csv(tmp_path)
    lines = (folder / "x_test.csv").read_text().splitlines()
    cells = lines[3].split(",")
    cells[5] = value
    lines[3] = ",".join(cells)
    (folder / "x_test.csv").write_text("\n".join(lines) + "\n")
    return folder


def _drop_last_column(tmp_path):
    folder = _csv(tmp_path)
    text = "\n".join(line.rsplit(",", 1)[0] for line in (folder / "x_train.csv").read_text().splitlines())
    (folder / "x_train.csv").write_text(text + "\n")
    return folder


def _truncated_idx(tmp_path):
    write_idx_folder(tmp_path / "idx", tiny_arrays())
    path = tmp_path / "idx" / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:100])
    return tmp_path / "idx"


def _plain_idx(tmp_path):
    write_idx_folder(tmp_path / "idx", tiny_arrays())
    path = tmp_path / "idx" / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(gzip.decompress(path.read_bytes()))
    return tmp_path / "idx"


def _missing_idx(tmp_path):
    write_idx_folder(tmp_path / "idx", tiny_arrays())
    (tmp_path / "idx" / "train-labels-idx1-ubyte.gz").unlink()
    return tmp_path / "idx"


def _short_labels(tmp_path):
    return _csv(tmp_path, y_train=np.arange(39) % 5)


def _negative_label(tmp_path):
    y = np.arange(20) % 5
    y[7] = -1
    return _csv(tmp_path, y_test=y)


def _idx_label_12(tmp_path):
    arrays = tiny_arrays()
    arrays["y_test"] = arrays["y_test"].copy()
    arrays["y_test"][0] = 12
    write_idx_folder(tmp_path / "idx", arrays)
    return tmp_path / "idx"


BAD_SOURCES = {
    "truncated idx": (_truncated_idx, "train-images-idx3-ubyte.gz: file is truncated"),
    "non-gzip idx": (_plain_idx, "t10k-images-idx3-ubyte.gz: not a gzip file (expected a gzipped IDX file)"),
    "missing idx": (_missing_idx, "missing Fashion-MNIST file(s): train-labels-idx1-ubyte.gz"),
    "csv column count": (_drop_last_column, "x_train.csv: 783 columns, expected 784"),
    "csv non-numeric": (lambda p: _bad_csv_cell(p, "abc"), "x_test.csv: non-numeric or non-integer cell"),
    "csv pixel range": (
        lambda p: _bad_csv_cell(p, "300"),
        "x_test.csv: pixel value 300 outside 0-255 (row 3, column 6)",
    ),
    "label length": (_short_labels, "train has 40 images but 39 labels"),
    "label negative": (_negative_label, "y_test.csv: label -1 out of range (labels are 0 or more)"),
    "idx label range": (_idx_label_12, "test label 12 out of range (Fashion-MNIST has categories 0-9)"),
}


@pytest.mark.parametrize("case", sorted(BAD_SOURCES))
def test_bad_source_one_line_no_file(run, tmp_path, case):
    make, message = BAD_SOURCES[case]
    source = make(tmp_path)
    out = tmp_path / "art"
    code, stdout, stderr = run("prepare", "--source", source, "-a", out, "--export-csv", tmp_path / "exported")
    assert code == 1
    assert stderr.startswith("error: ") and stderr.count("\n") == 1
    assert message in stderr
    assert files_under(out) == set() and files_under(tmp_path / "exported") == set()


def test_bad_twist_file_no_file(run, idx_dir, tmp_path):
    bad = tmp_path / "twist.json"
    bad.write_text(json.dumps({"Trouser": 0}))
    code, _, stderr = run("prepare", "--source", idx_dir, "-a", tmp_path / "art", "--twist", bad)
    assert code == 1 and "does not map all 10 categories" in stderr
    assert files_under(tmp_path / "art") == set()


def test_twist_leaving_a_class_empty(run, idx_dir, tmp_path):
    bad = tmp_path / "twist.json"
    bad.write_text(json.dumps({str(i): 2 * (i % 2) for i in range(10)}))
    code, _, stderr = run("prepare", "--source", idx_dir, "-a", tmp_path / "art", "--twist", bad)
    assert code == 1 and stderr.strip().endswith("class 1 would be empty; number classes 0..K-1 with none left out")


def test_unwritable_output_folder(run, idx_dir, tmp_path):
    (tmp_path / "blocker").write_text("a file, not a folder")
    code, _, stderr = run("prepare", "--source", idx_dir, "-a", tmp_path / "blocker" / "art")
    assert code == 1
    assert (
        stderr == f"error: cannot write {tmp_path}/blocker/art/data.npz: {tmp_path}/blocker is a file, not a folder\n"
    )


def test_failed_prepare_keeps_previous_artifacts(run, idx_dir, tmp_path):
    out = tmp_path / "art"
    assert run("prepare", "--source", idx_dir, "-a", out)[0] == 0
    before = {p: p.read_bytes() for p in files_under(out)}
    (idx_dir / "t10k-images-idx3-ubyte.gz").write_bytes(b"garbage")
    assert run("prepare", "--source", idx_dir, "-a", out)[0] == 1
    assert {p: p.read_bytes() for p in files_under(out)} == before


def test_debug_shows_traceback(run, tmp_path, monkeypatch):
    monkeypatch.setenv("FMTWIST_DEBUG", "1")
    with pytest.raises(Exception, match="source not found"):
        run("prepare", "--source", tmp_path / "nope", "-a", tmp_path / "a")


@needs_real_data
@pytest.mark.realdata
def test_real_data_reproduces_the_notebook(run, tmp_path):
    code, stdout, stderr = run("prepare", "-a", tmp_path, "--json")
    assert code == 0, stderr
    summary = json.loads(stdout)
    assert summary["train"] == [12000, 6000, 12000, 12000, 18000]
    assert summary["test"] == [2000, 1000, 2000, 2000, 3000]
    assert summary["first_test_labels"] == [4, 2, 2, 2, 0]
    assert summary["last_test_labels"] == [4, 2, 3, 2, 1]


@needs_real_data
@pytest.mark.realdata
@pytest.mark.slow  # writes and reads back 70,000 images as CSV
def test_real_data_csv_round_trip(run, tmp_path):
    assert run("prepare", "-a", tmp_path / "a1", "--export-csv", tmp_path / "csv")[0] == 0
    assert run("prepare", "--source", tmp_path / "csv", "-a", tmp_path / "a2")[0] == 0
    d1, d2 = artifacts.load(tmp_path / "a1/data.npz", "data"), artifacts.load(tmp_path / "a2/data.npz", "data")
    for key in ("x_train", "y_train", "x_test", "y_test"):
        np.testing.assert_array_equal(d1[key], d2[key])
