"""Helpers shared by several test modules (fixtures live in conftest.py).

Test modules import from here, never from one another.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path

import numpy as np

from fmtwist_cli import artifacts

# --------------------------------------------------------------------------
# the command line


def usage_message(err: str) -> str:
    """Typer's usage-error box as one line of words: no frame, no wrapping."""
    return " ".join(re.sub("[│╭╮╰╯─]", " ", err).split())


# --------------------------------------------------------------------------
# models


def tiny_onnx(path, input_shape=("N", 28, 28, 1), n_classes=5, outputs=("embedding", "probs")):
    """A hand-made model: embedding = flattened pixels, probs = softmax(x W)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    pixels = int(np.prod(input_shape[1:]))
    weights = numpy_helper.from_array(
        np.linspace(-1, 1, pixels * n_classes, dtype=np.float32).reshape(pixels, n_classes), "W"
    )
    shape = numpy_helper.from_array(np.array([-1, pixels], dtype=np.int64), "shape")
    nodes = [
        helper.make_node("Reshape", ["image", "shape"], [outputs[0]]),
        helper.make_node("MatMul", [outputs[0], "W"], ["logits"]),
        helper.make_node("Softmax", ["logits"], [outputs[1]], axis=1),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, list(input_shape))],
        [
            helper.make_tensor_value_info(outputs[0], TensorProto.FLOAT, ["N", pixels]),
            helper.make_tensor_value_info(outputs[1], TensorProto.FLOAT, ["N", n_classes]),
        ],
        [weights, shape],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return path


# --------------------------------------------------------------------------
# figures


def read_png(path):
    import matplotlib.image

    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    return matplotlib.image.imread(path)


def assert_not_blank(pixels):
    assert pixels.std() > 0.05, "the image is (nearly) one colour"


# --------------------------------------------------------------------------
# input files


def write_csv_folder(folder, arrays, index=False):
    folder.mkdir(parents=True, exist_ok=True)
    for split in ("train", "test"):
        x = arrays[f"x_{split}"].reshape(len(arrays[f"x_{split}"]), -1)
        y = arrays[f"y_{split}"]
        rows = [",".join(map(str, r)) for r in x]
        xh = ",".join(map(str, range(x.shape[1])))
        if index:
            xh, rows = "," + xh, [f"{i},{r}" for i, r in enumerate(rows)]
        (folder / f"x_{split}.csv").write_text(xh + "\n" + "\n".join(rows) + "\n")
        (folder / f"y_{split}.csv").write_text(
            ("," if index else "")
            + "0\n"
            + "\n".join((f"{i},{v}" if index else str(v)) for i, v in enumerate(y))
            + "\n"
        )


def write_embeddings(folder: Path, n_per: int = 30, with_nan: bool = False) -> Path:
    """Three well-separated groups in 6-D, mystery labels merging groups 1 and 2
    (as the twist merges categories), and an answer key with the groups."""
    rng = np.random.default_rng(5)
    groups = np.repeat(np.arange(3), n_per)
    centres = np.array([[0, 0, 0, 0, 0, 0], [6, 6, -6, 6, 0, 6], [-6, 6, 6, 0, 6, -6]], dtype=np.float32)
    emb = (rng.normal(0, 0.3, (groups.size, 6)) + centres[groups]).astype(np.float32)
    if with_nan:
        emb[3, 2] = np.nan
    mystery = np.array([0, 1, 1])[groups].astype(np.int64)
    arrays = {
        "embedding": emb,
        "probs": np.eye(2, dtype=np.float32)[mystery],
        "pred": mystery,
        "labels": mystery,
        "index": np.arange(groups.size, dtype=np.int64)[::-1].copy(),
        "split": np.full(groups.size, "test"),
    }
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "embeddings.npz"
    if with_nan:  # artifacts.save refuses NaN; write it the way a broken tool would
        arrays["meta"] = np.array(json.dumps({"kind": "embeddings"}))
        artifacts.write_bytes(path, lambda fh: np.savez(fh, **arrays))
    else:
        artifacts.save(artifacts.Artifact("embeddings", arrays, {}), path)
    originals = np.zeros(groups.size, dtype=np.int64)
    originals[arrays["index"]] = np.array([4, 7, 9])[groups]
    artifacts.save_answer_key(
        folder / "twist.json",
        {
            "mapping_by_index": [0] * 10,
            "original_labels": {"test": artifacts.encode_digits(originals), "train": ""},
        },
    )
    return path


# --------------------------------------------------------------------------
# explore: a puzzle whose map shows every category as its own blob


def write_blob_puzzle(folder: Path, per_category: int = 30, seed: int = 0) -> Path:
    """data.npz and twist.json (the notebook's twist) over random images, and embeddings of every train and
    test image in shuffled order, with a map (coords-tsne.npz) where category j is a round blob at
    (12 * (j % 5), 12 * (j // 5)), two clusterings (kmeans: the mystery classes; dbscan: the same with five
    rows as noise) and predictions wrong on every 7th row."""
    from fmtwist_cli.data import dataset, sources, twist

    rng = np.random.default_rng(seed)
    cat_test, cat_train = np.repeat(np.arange(10), per_category), np.repeat(np.arange(10), 3)
    x_train = rng.integers(0, 256, (cat_train.size, 28, 28), dtype=np.uint8)
    x_test = rng.integers(0, 256, (cat_test.size, 28, 28), dtype=np.uint8)
    raw = sources.RawData(x_train, cat_train, x_test, cat_test, True, "explore test data")
    spec = twist.Twist("seed", twist.SEED_MAPPING)
    folder.mkdir(parents=True, exist_ok=True)
    dataset.save(dataset.build(raw, spec), folder / "data.npz", folder / "twist.json")
    split = np.array(["train"] * cat_train.size + ["test"] * cat_test.size)
    index = np.r_[np.arange(cat_train.size), np.arange(cat_test.size)].astype(np.int64)
    order = rng.permutation(split.size)
    split, index = split[order], index[order]
    categories = np.where(split == "train", cat_train[np.minimum(index, cat_train.size - 1)], cat_test[index])
    labels = spec.apply(categories).astype(np.int64)
    pred = labels.copy()
    pred[::7] = (pred[::7] + 1) % spec.n_classes
    n = split.size
    emb = (np.eye(10)[categories] * 5 + rng.normal(0, 0.3, (n, 10))).astype(np.float32)
    probs = np.full((n, spec.n_classes), 0.1 / (spec.n_classes - 1), np.float32)
    probs[np.arange(n), pred] = 0.9
    arrays = {"embedding": emb, "probs": probs, "pred": pred, "labels": labels, "index": index, "split": split}
    artifacts.save(artifacts.Artifact("embeddings", arrays, {"layer": "fixture"}), folder / "embeddings.npz")
    angle, radius = rng.uniform(0, 2 * np.pi, n), 2.5 * np.sqrt(rng.uniform(0, 1, n))
    centres = np.c_[12.0 * (categories % 5), 12.0 * (categories // 5)]
    coords = (centres + np.c_[np.cos(angle), np.sin(angle)] * radius[:, None]).astype(np.float32)
    map_arrays = {"coords": coords, "index": index, "split": split}
    artifacts.save(artifacts.Artifact("coords", map_arrays, {"method": "tsne"}), folder / "coords-tsne.npz")
    noisy = labels.copy()
    noisy[:5] = -1
    for method, found in (("kmeans", labels), ("dbscan", noisy)):
        artifacts.save(
            artifacts.Artifact("clusters", {"labels": found}, {"method": method}), folder / f"clusters-{method}.npz"
        )
    return folder


# --------------------------------------------------------------------------
# issue 17: every command run both ways (the CLI and its Workspace method) on the same inputs

# Timings differ from run to run, and so do the SHA-256s of files that hold timings themselves.
RUN_DEPENDENT = re.compile(r"seconds|time|elapsed|sha256", re.IGNORECASE)


def without_timings(obj):
    """``obj`` without its run-dependent keys (timings, hashes of files that hold timings)."""
    if isinstance(obj, dict):
        return {k: without_timings(v) for k, v in obj.items() if not RUN_DEPENDENT.search(str(k))}
    if isinstance(obj, list):
        return [without_timings(v) for v in obj]
    if isinstance(obj, str) and obj[:1] in "{[":
        try:
            return without_timings(json.loads(obj))
        except json.JSONDecodeError:
            return obj
    return obj


def _snapshot(folder: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _same_file(a: bytes, b: bytes, path: Path, tmp: Path) -> None:
    """Byte-identical, or (an artifact holding its run's timings) the same arrays and metadata apart from them."""
    if a == b:
        return
    first, second = tmp / ("a" + path.suffix), tmp / ("b" + path.suffix)
    first.write_bytes(a)
    second.write_bytes(b)
    if path.suffix == ".json":
        assert without_timings(json.loads(a)) == without_timings(json.loads(b)), f"{path.name} differs"
        return
    assert path.suffix == ".npz", f"{path.name} differs between the CLI and the API"
    x, y = artifacts.read_npz(first), artifacts.read_npz(second)
    assert x.keys() == y.keys(), path.name
    for key in x:
        if x[key].ndim == 0 and x[key].dtype.kind in "US":  # the metadata, as JSON
            assert without_timings(str(x[key])) == without_timings(str(y[key])), f"{path.name}: '{key}' differs"
        else:
            assert np.array_equal(x[key], y[key]), f"{path.name}: '{key}' differs"


def both_ways(folder: Path, argv: list, call, tmp: Path, json_flag: bool = True):
    """Run ``fmtwist ARGV --json`` and then ``call()`` (the Workspace method) on the same folder, each from
    the same starting files; assert they write the same files (byte-identical, or equal apart from timings)
    and that the API's summary is what --json printed. Returns the API's Result."""
    from fmtwist_cli.cli.app import main

    before = _snapshot(folder)
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()) as err:
        code = main([str(a) for a in argv] + (["--json"] if json_flag else []))
    assert code == 0, err.getvalue()
    by_cli = {p: b for p, b in _snapshot(folder).items() if before.get(p) != b}
    for p in by_cli:  # back to the starting files
        if p in before:
            p.write_bytes(before[p])
        else:
            p.unlink()
    result = call()
    by_api = {p: b for p, b in _snapshot(folder).items() if before.get(p) != b}
    assert sorted(by_cli) == sorted(by_api), "the CLI and the API wrote different files"
    assert by_cli, "the command wrote nothing"
    for p in by_cli:
        _same_file(by_cli[p], by_api[p], p, tmp)
    if json_flag:
        assert without_timings(json.loads(out.getvalue())) == without_timings(jsonable(result.summary))
    return result


def jsonable(obj):
    """The summary as --json prints it (tuples as lists, paths as strings)."""
    return json.loads(json.dumps(obj, default=str))


def training_line(backend: str = "tensorflow") -> str:
    """The first line `fmtwist train` prints on this machine's CPU: mixed bfloat16 where ``--precision auto`` picks
    it (a CPU with bfloat16 in hardware), float32 elsewhere."""
    from fmtwist_cli.network import precision

    mixed = ", mixed bfloat16" if precision.resolve("auto", "CPU") is precision.Precision.bfloat16 else ""
    return f"Training on CPU ({backend} backend{mixed})"
