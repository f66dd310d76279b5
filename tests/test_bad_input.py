"""Bad input, every command (issue 7, part 4).

Each case runs one command on something wrong and checks the contract: exit
code 1, exactly one line on stderr (``error: ...``, naming what was wrong),
nothing on stdout, no traceback, and no file created or changed anywhere under
the test's folder. Usage errors caught by Typer itself (an option that is not
a number, an unknown option or choice) exit 2 with Typer's usage box; they
are checked apart, for the same promises except the single line. A warning
Python would print counts as a second line.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from conftest import tiny_arrays, write_idx_folder, write_viz_artifacts
from helpers import tiny_onnx, usage_message

from fmtwist_cli import artifacts


def snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): artifacts.file_sha256(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def raw_npz(path: Path, meta: dict | None = None, **arrays: np.ndarray) -> Path:
    """An .npz written around fmtwist's checks, to hold what save() refuses."""
    if meta is not None:
        arrays["meta"] = np.array(json.dumps(meta))
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **arrays)
    return path


def embeddings_arrays(art: Path) -> dict[str, np.ndarray]:
    arrays = artifacts.read_npz(art / "embeddings.npz")
    arrays.pop("meta")
    return arrays


def zero_width(path: Path, art: Path) -> Path:
    """The fixture's embeddings with an embedding of 0 columns."""
    emb = artifacts.load(art / "embeddings.npz", "embeddings")
    emb.arrays["embedding"] = np.zeros((emb.rows(), 0), np.float32)
    artifacts.save(emb, path)
    return path


def half(path: Path, source: Path) -> Path:
    data = source.read_bytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data[: len(data) // 2])
    return path


def junk(path: Path, size: int = 300) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(np.random.default_rng(size).integers(0, 256, size, dtype=np.uint8).tobytes())
    return path


def empty(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    return path


def source_npz(path: Path, **changes: np.ndarray) -> Path:
    arrays = tiny_arrays()
    arrays.update(changes)
    return raw_npz(path, **arrays)


def csv_folder(folder: Path, x_train: str | None = None) -> Path:
    folder.mkdir(parents=True)
    header = ",".join(str(i) for i in range(784))
    row = ",".join(["0"] * 784)
    (folder / "x_train.csv").write_text(x_train if x_train is not None else f"{header}\n{row}\n")
    (folder / "y_train.csv").write_text("0\n1\n")
    (folder / "x_test.csv").write_text(f"{header}\n{row}\n")
    (folder / "y_test.csv").write_text("0\n1\n")
    return folder


def truncated_idx(folder: Path) -> Path:
    write_idx_folder(folder, tiny_arrays())
    name = folder / "train-images-idx3-ubyte.gz"
    payload = gzip.decompress(name.read_bytes())
    name.write_bytes(gzip.compress(payload[:-100]))
    return folder


# Each case: (arguments, given the test folder T and the artifacts folder A,
# after making whatever bad file they name) -> the expected error line.
Case = Callable[[Path, Path], tuple[list, str]]

CASES: dict[str, Case] = {
    # ---- truncated, corrupt and empty files of every kind
    "truncated data.npz": lambda t, a: (
        ["train", "--data", half(t / "d.npz", a / "data.npz"), "-a", a],
        f"{t / 'd.npz'} is not a valid fmtwist data file (corrupt or truncated: ",
    ),
    "empty data.npz": lambda t, a: (
        ["embed", "--data", empty(t / "d.npz"), "--model", tiny_onnx(t / "m.onnx", n_classes=3), "-a", a],
        f"{t / 'd.npz'} is not a valid fmtwist data file (not an .npz archive)",
    ),
    "truncated embeddings": lambda t, a: (
        ["cluster", "--embeddings", half(t / "e.npz", a / "embeddings.npz"), "-a", a],
        f"{t / 'e.npz'} is not a valid fmtwist embeddings file (corrupt or truncated: ",
    ),
    "random bytes as embeddings": lambda t, a: (
        ["reduce", "--method", "pca", "--embeddings", junk(t / "e.npz"), "-a", a],
        f"{t / 'e.npz'} is not a valid fmtwist embeddings file (not an .npz archive)",
    ),
    "corrupt clusters": lambda t, a: (
        ["inspect", "--cluster", "0", "--clusters", junk(t / "c.npz"), "-a", a],
        f"{t / 'c.npz'} is not a valid fmtwist clusters file (not an .npz archive)",
    ),
    "truncated coords": lambda t, a: (
        ["plot", "scatter", "--coords", half(t / "c.npz", a / "coords-tsne.npz"), "-a", a],
        f"{t / 'c.npz'} is not a valid fmtwist coords file (corrupt or truncated: ",
    ),
    "corrupt history": lambda t, a: (
        ["plot", "history", "--history", half(t / "h.json", a / "history-default.json"), "-a", a],
        f"{t / 'h.json'} is not a valid training history: ",
    ),
    "empty history": lambda t, a: (
        ["plot", "history", "--history", empty(t / "h.json"), "-a", a],
        f"{t / 'h.json'} is not a valid training history: Expecting value: line 1 column 1 (char 0)",
    ),
    "corrupt answer key": lambda t, a: (
        ["cluster", "--answer-key", junk(t / "twist.json"), "-a", a],
        f"{t / 'twist.json'} is not a valid answer key: ",
    ),
    "corrupt keras model": lambda t, a: (
        ["export", "--model", junk(t / "model-default.keras"), "-a", a],
        f"{t / 'model-default.keras'} is not a valid Keras model (",
    ),
    "truncated onnx model": lambda t, a: (
        ["embed", "--model", half(t / "m.onnx", tiny_onnx(t / "full.onnx", n_classes=3)), "-a", a],
        f"{t / 'm.onnx'} is not a valid ONNX model (",
    ),
    "truncated IDX file": lambda t, a: (
        ["prepare", "--source", truncated_idx(t / "idx"), "-a", a],
        f"{t / 'idx' / 'train-images-idx3-ubyte.gz'}: file is truncated (31260 bytes of data, header says 31360)",
    ),
    "corrupt CSV cell": lambda t, a: (
        [
            "prepare",
            "--source",
            csv_folder(t / "csv", ",".join(str(i) for i in range(784)) + "\n" + "x," * 783 + "0\n"),
            "-a",
            a,
        ],
        f"{t / 'csv' / 'x_train.csv'}: non-numeric or non-integer cell (",
    ),
    "corrupt npz source": lambda t, a: (
        ["prepare", "--source", junk(t / "source.npz"), "-a", a],
        f"{t / 'source.npz'} is not a valid npz source (not an .npz archive)",
    ),
    "info on a corrupt npz": lambda t, a: (
        ["info", junk(t / "x.npz")],
        f"{t / 'x.npz'} is not a valid npz file (not an .npz archive)",
    ),
    "info on a corrupt onnx": lambda t, a: (
        ["info", junk(t / "x.onnx")],
        f"{t / 'x.onnx'} is not a valid ONNX model (",
    ),
    "info on a corrupt keras": lambda t, a: (
        ["info", junk(t / "x.keras")],
        f"{t / 'x.keras'} is not a valid Keras model file",
    ),
    "info on an empty json": lambda t, a: (
        ["info", empty(t / "x.json")],
        f"{t / 'x.json'} is not a valid JSON file: Expecting value: line 1 column 1 (char 0)",
    ),
    "corrupt answer key for the report": lambda t, a: (
        ["report", "--answer-key", half(t / "twist.json", a / "history-default.json"), "-a", a],
        f"{t / 'twist.json'} is not a valid answer key: ",
    ),
    "truncated data.npz for the report": lambda t, a: (
        ["report", "-a", shutil.copytree(a, t / "art2") and half(t / "art2" / "data.npz", a / "data.npz").parent],
        f"{t / 'art2' / 'data.npz'} is not a valid fmtwist data file (corrupt or truncated: ",
    ),
    # ---- wrong dtypes and shapes, NaN and inf
    "float64 embeddings": lambda t, a: (
        [
            "cluster",
            "--embeddings",
            raw_npz(
                t / "e.npz",
                {"kind": "embeddings"},
                **{**embeddings_arrays(a), "embedding": embeddings_arrays(a)["embedding"].astype(np.float64)},
            ),
            "-a",
            a,
        ],
        f"{t / 'e.npz'}: 'embedding' is float64[60, 8], expected float32 of shape (N, N)",
    ),
    "coords of the wrong shape": lambda t, a: (
        [
            "plot",
            "scatter",
            "--coords",
            raw_npz(t / "c.npz", {"kind": "coords"}, coords=np.zeros((60, 3), np.float32), index=np.arange(60)),
            "-a",
            a,
        ],
        f"{t / 'c.npz'}: 'coords' is float32[60, 3], expected float32 of shape (N, 2)",
    ),
    "images of the wrong dtype": lambda t, a: (
        [
            "train",
            "--data",
            raw_npz(
                t / "d.npz",
                {"kind": "data", "n_classes": 3},
                **{**tiny_arrays(), "x_train": tiny_arrays()["x_train"].astype(np.uint16)},
            ),
            "-a",
            a,
        ],
        f"{t / 'd.npz'}: 'x_train' is uint16[40, 28, 28], expected uint8 of shape (N, 28, 28)",
    ),
    "images of the wrong size": lambda t, a: (
        ["prepare", "--source", source_npz(t / "s.npz", x_test=np.zeros((20, 32, 32), np.uint8)), "-a", a],
        f"{t / 's.npz'}: 'x_test' has shape (20, 32, 32), expected (N, 28, 28)",
    ),
    "NaN in embeddings": lambda t, a: (
        [
            "reduce",
            "--method",
            "pca",
            "--embeddings",
            raw_npz(
                t / "e.npz",
                {"kind": "embeddings"},
                **{**embeddings_arrays(a), "embedding": np.full((60, 8), np.nan, np.float32)},
            ),
            "-a",
            a,
        ],
        f"{t / 'e.npz'}: 'embedding' holds NaN or infinite values",
    ),
    "inf in embeddings": lambda t, a: (
        [
            "cluster",
            "--embeddings",
            raw_npz(
                t / "e.npz",
                {"kind": "embeddings"},
                **{**embeddings_arrays(a), "probs": np.full((60, 3), np.inf, np.float32)},
            ),
            "-a",
            a,
        ],
        f"{t / 'e.npz'}: 'probs' holds NaN or infinite values",
    ),
    "a file of another kind": lambda t, a: (
        ["cluster", "--embeddings", a / "coords-tsne.npz", "-a", a],
        f"{a / 'coords-tsne.npz'} is a coords file, expected an embeddings file made by `fmtwist embed`",
    ),
    # ---- empty splits, labels out of range
    "empty test split in a source": lambda t, a: (
        [
            "prepare",
            "--source",
            source_npz(t / "s.npz", x_test=np.zeros((0, 28, 28), np.uint8), y_test=np.zeros(0, np.int64)),
            "-a",
            a,
        ],
        f"{t / 's.npz'}: the test split is empty",
    ),
    "CSV with a header only": lambda t, a: (
        ["prepare", "--source", csv_folder(t / "csv", ",".join(str(i) for i in range(784)) + "\n"), "-a", a],
        f"{t / 'csv' / 'x_train.csv'}: no rows",
    ),
    "empty test split in data.npz": lambda t, a: (
        [
            "train",
            "--data",
            raw_npz(
                t / "d.npz",
                {"kind": "data", "n_classes": 10},
                **{**tiny_arrays(), "x_test": np.zeros((0, 28, 28), np.uint8), "y_test": np.zeros(0, np.int64)},
            ),
            "-a",
            a,
        ],
        "too few images to train on (40 training, 0 test)",
    ),
    "source label out of range": lambda t, a: (
        ["prepare", "--source", source_npz(t / "s.npz", y_train=np.full(40, 10)), "-a", a],
        f"{t / 's.npz'}: train label 10 out of range (Fashion-MNIST has categories 0-9)",
    ),
    "data label out of range": lambda t, a: (
        ["train", "--data", raw_npz(t / "d.npz", {"kind": "data", "n_classes": 3}, **tiny_arrays()), "-a", a],
        f"{t / 'd.npz'}: train labels outside 0..2",
    ),
    # ---- parameters out of range
    "eps = 0": lambda t, a: (
        ["cluster", "--method", "dbscan", "--eps", "0", "-a", a],
        "--eps must be a number greater than 0 or 'auto', got 0.0",
    ),
    "eps < 0": lambda t, a: (
        ["cluster", "--method", "dbscan", "--eps", "-1.5", "-a", a],
        "--eps must be a number greater than 0 or 'auto', got -1.5",
    ),
    "eps not a number": lambda t, a: (
        ["cluster", "--method", "dbscan", "--eps", "wide", "-a", a],
        "--eps must be a number greater than 0 or 'auto', got wide",
    ),
    "k > points": lambda t, a: (
        ["cluster", "--method", "kmeans", "--k", "61", "-a", a],
        "--k 61 is more than the 60 points to cluster",
    ),
    "min-samples < 1": lambda t, a: (
        ["cluster", "--method", "dbscan", "--min-samples", "0", "-a", a],
        "--min-samples must be a whole number of at least 1, got 0",
    ),
    "epochs < 1": lambda t, a: (["train", "--epochs", "0", "-a", a], "--epochs must be at least 1 (got 0)"),
    "batch size < 1": lambda t, a: (
        ["embed", "--batch-size", "0", "--model", tiny_onnx(t / "m.onnx", n_classes=3), "-a", a],
        "--batch-size must be at least 1 (got 0)",
    ),
    "perplexity >= points": lambda t, a: (
        ["reduce", "--method", "tsne", "--perplexity", "60", "-a", a],
        "--perplexity must be between 0 and the number of rows (60), got 60.0",
    ),
    # ---- a zero-width embedding (an encoding layer with no outputs)
    "zero-width embedding, cluster": lambda t, a: (
        ["cluster", "--embeddings", zero_width(t / "e.npz", a), "-a", a],
        f"{t / 'e.npz'} has an empty embedding (60 rows of 0 values): nothing to measure distances on",
    ),
    "zero-width embedding, reduce": lambda t, a: (
        ["reduce", "--embeddings", zero_width(t / "e.npz", a), "-a", a],
        f"{t / 'e.npz'} has an empty embedding (60 rows of 0 values): nothing to measure distances on",
    ),
    # ---- unknown layer (unknown methods, architectures, splits and picks are usage errors: see below)
    "unknown layer": lambda t, a: (
        ["export", "--model", t / "model-default.keras", "--layer", "nope", "-a", a],
        f"no layer 'nope' in {t / 'model-default.keras'}; valid layers: ",
    ),
    # ---- a folder where a file is expected
    "folder as embeddings": lambda t, a: (
        ["cluster", "--embeddings", t, "-a", a],
        f"{t} is a folder, expected an embeddings file",
    ),
    "folder as keras model": lambda t, a: (
        ["export", "--model", t, "-a", a],
        f"{t} is a folder, expected a .keras model file",
    ),
    "folder as onnx model": lambda t, a: (
        ["embed", "--model", t, "-a", a],
        f"{t} is a folder, expected an ONNX model file",
    ),
    "folder to info": lambda t, a: (["info", a], f"{a} is a folder, expected a file"),
    # ---- outputs that cannot be written
    "output inside a file": lambda t, a: (
        ["cluster", "--out", a / "data.npz" / "c.npz", "-a", a],
        f"cannot write {a / 'data.npz' / 'c.npz'}: {a / 'data.npz'} is a file, not a folder",
    ),
    "output is a folder": lambda t, a: (
        ["reduce", "--method", "pca", "--out", t, "-a", a],
        f"cannot write {t}: it is a folder",
    ),
    "figure inside a file": lambda t, a: (
        ["plot", "history", "-o", a / "data.npz" / "h.png", "-a", a],
        f"cannot write {a / 'data.npz' / 'h.png'}: {a / 'data.npz'} is a file, not a folder",
    ),
    "artifacts folder is a file": lambda t, a: (
        ["prepare", "--source", source_npz(t / "s.npz"), "-a", a / "data.npz"],
        f"cannot write {a / 'data.npz' / 'data.npz'}: {a / 'data.npz'} is a file, not a folder",
    ),
    "report folder inside a file": lambda t, a: (
        ["report", "--out", a / "data.npz" / "report", "-a", a],
        f"cannot write {a / 'data.npz' / 'report' / 'index.html'}: {a / 'data.npz'} is a file, not a folder",
    ),
    "CSV export inside a file": lambda t, a: (
        ["prepare", "--source", source_npz(t / "s.npz"), "--export-csv", a / "data.npz", "-a", a],
        f"cannot write {a / 'data.npz' / 'x_train.csv'}: {a / 'data.npz'} is a file, not a folder",
    ),
    "model output inside a file": lambda t, a: (
        ["train", "--data", a / "data.npz", "-a", a / "data.npz"],
        f"cannot write {a / 'data.npz' / 'model-custom.keras'}: {a / 'data.npz'} is a file, not a folder",
    ),
    # ---- paths with spaces and non-ASCII names
    "missing file, spaces and accents": lambda t, a: (
        ["cluster", "--embeddings", t / "mes données" / "plongements été.npz", "-a", a],
        f"embeddings file not found: {t / 'mes données' / 'plongements été.npz'} (run `fmtwist embed` first)",
    ),
    "corrupt file, spaces and accents": lambda t, a: (
        ["info", junk(t / "dossier ü" / "naïve file.npz")],
        f"{t / 'dossier ü' / 'naïve file.npz'} is not a valid npz file (not an .npz archive)",
    ),
    "missing source, non-ASCII": lambda t, a: (
        ["prepare", "--source", t / "データ", "-a", a],
        f"source not found: {t / 'データ'}",
    ),
}


@pytest.fixture
def folders(tmp_path, request) -> tuple[Path, Path]:
    art = write_viz_artifacts(tmp_path / "art")
    callspec = getattr(request.node, "callspec", None)
    if callspec is not None and callspec.params.get("case") == "unknown layer":
        trained = request.getfixturevalue("trained")
        shutil.copy(trained / "model-default.keras", tmp_path / "model-default.keras")
    return tmp_path, art


# cases that load TensorFlow (or train the session's networks) take seconds each: `make test-fast` skips them
LOADS_TENSORFLOW = {"corrupt keras model", "unknown layer", "empty test split in data.npz"}


@pytest.mark.parametrize(
    "case", [pytest.param(c, marks=pytest.mark.slow) if c in LOADS_TENSORFLOW else c for c in CASES]
)
def test_bad_input(run, folders, case):
    t, a = folders
    args, message = CASES[case](t, a)
    before = snapshot(t)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        code, out, err = run(*args)
    assert (code, out) == (1, ""), err
    assert err.endswith("\n") and err.count("\n") == 1, err
    # Python shows these on stderr outside pytest: each would be a second line
    assert not [
        str(w.message) for w in caught if not issubclass(w.category, (DeprecationWarning, PendingDeprecationWarning))
    ]
    assert err.startswith(f"error: {message}"), err
    assert "Traceback" not in err
    assert snapshot(t) == before


def test_the_suite_covers_every_command(tmp_path):
    art = write_viz_artifacts(tmp_path / "art")
    commands = set()
    for i, build in enumerate(CASES.values()):
        (tmp_path / str(i)).mkdir()
        commands.add(build(tmp_path / str(i), art)[0][0])
    assert len(CASES) >= 30
    assert commands == {"prepare", "train", "export", "embed", "cluster", "reduce", "inspect", "plot", "report", "info"}


def permissions_bypassed(folder: Path) -> bool:
    """True for root (CAP_DAC_OVERRIDE), which writes into read-only folders."""
    probe = folder / "probe"
    probe.mkdir()
    probe.chmod(0o555)
    try:
        (probe / "x").touch()
        return True
    except PermissionError:
        return False
    finally:
        probe.chmod(0o755)
        shutil.rmtree(probe)


@pytest.mark.parametrize(
    "args, message",
    [
        (["reduce", "--method", "pca"], "cannot write {a}/coords-pca.npz: Permission denied"),
        (["train", "--epochs", "1"], "cannot write {a}/model-custom.keras: {a} is not writable"),
        (["prepare", "--source", "{t}/s.npz"], "cannot write {a}/data.npz: {a} is not writable"),
    ],
)
def test_read_only_artifacts_folder(run, folders, args, message):
    t, a = folders
    if permissions_bypassed(t):
        pytest.skip("this process writes into read-only folders (root)")
    source_npz(t / "s.npz")
    a.chmod(0o555)
    try:
        before = snapshot(t)
        code, out, err = run(*[x.format(t=t, a=a) for x in args], "-a", a)
        assert (code, out) == (1, "")
        assert err == f"error: {message.format(a=a)}\n"
        assert snapshot(t) == before
    finally:
        a.chmod(0o755)


@pytest.mark.parametrize(
    "args, named",
    [
        (["cluster", "--min-samples", "few"], "--min-samples"),
        (["plot", "histogram"], "histogram"),
        (["inspect", "--pick", "best"], "--pick"),
        (
            ["cluster", "--method", "spectral"],
            "'spectral' is not one of 'dbscan', 'kmeans', 'hdbscan', 'agglomerative'",
        ),
        (["reduce", "--method", "mds"], "'mds' is not one of 'pca', 'tsne', 'umap'"),
        (["reduce", "--backend", "cuda"], "'cuda' is not one of 'fmtwist', 'sklearn', 'opentsne'"),
        (["train", "--arch", "resnet"], "'resnet' is not one of"),
        (["embed", "--split", "val"], "'val' is not one of"),
        (["plot", "grid", "--pick", "noise"], "'noise' is not one of 'random', 'central', 'border'"),
        (["plot", "history", "--by", "cluster"], "No such option: --by"),
        (["reduce", "--colour", "red"], "--colour"),
        (["info"], "Missing argument 'path'"),
        (["prepare", "--twist", "random", "--seed", "-1"], "--seed"),
        (["cluster", "--seed", str(2**32)], "--seed"),
    ],
)
def test_usage_errors_exit_2_and_touch_nothing(run, folders, args, named):
    t, a = folders
    before = snapshot(t)
    code, out, err = run(*args, "-a", a) if args[0] != "info" else run(*args)
    assert code == 2 and out == ""
    assert named in usage_message(err) and "Traceback" not in err
    assert snapshot(t) == before


def test_paths_with_spaces_and_non_ascii_names_work(run, tmp_path):
    art = write_viz_artifacts(tmp_path / "mes artefacts ü")
    out = tmp_path / "carte été.npz"
    code, _, err = run("reduce", "--method", "pca", "--no-trust", "--out", out, "-a", art)
    assert code == 0, err
    code, _, err = run("cluster", "--method", "kmeans", "--coords", out, "--out", tmp_path / "groupes ß.npz", "-a", art)
    assert code == 0, err
    code, stdout, err = run("info", tmp_path / "groupes ß.npz")
    assert code == 0 and str(tmp_path / "groupes ß.npz") in stdout
    code, _, err = run("plot", "scatter", "--coords", out, "-o", tmp_path / "carte ü.png", "-a", art)
    assert code == 0, err
    assert (tmp_path / "carte ü.png").stat().st_size > 0


@pytest.mark.parametrize(
    "case", ["corrupt keras model", "truncated onnx model", "CSV with a header only", "NaN in embeddings"]
)
@pytest.mark.slow  # a fresh Python process per case
def test_bad_input_in_a_real_process(folders, case):
    """As a user sees it: C++ logs, warnings and all reach the real stderr."""
    t, a = folders
    args, message = CASES[case](t, a)
    before = snapshot(t)
    done = subprocess.run(
        [sys.executable, "-m", "fmtwist_cli", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
        env={k: v for k, v in os.environ.items() if k != "FMTWIST_DEBUG"},
    )
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.startswith(f"error: {message}") and done.stderr.count("\n") == 1, done.stderr
    assert snapshot(t) == before
