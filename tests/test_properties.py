"""Property-based tests of every loader (issue 7, part 4).

Whatever bytes a file holds, and whatever arrays an ``.npz`` carries, a
loader either returns something valid or raises one of fmtwist's own errors
(which ``main()`` prints as one line); never another exception.
"""

from __future__ import annotations

import gzip
import io
import json
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
from conftest import idx_bytes, tiny_arrays, write_viz_artifacts
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from fmtwist_cli import artifacts
from fmtwist_cli.data import sources, twist
from fmtwist_cli.encode import embedding
from fmtwist_cli.errors import FmtwistError
from fmtwist_cli.views import curves

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def valid(tmp_path_factory) -> dict[str, bytes]:
    """The bytes of one valid file of every kind, to mutate."""
    art = write_viz_artifacts(tmp_path_factory.mktemp("valid"))
    key = {
        "kind": "twist",
        "mapping_by_index": list(range(10)),
        "original_labels": {
            "train": artifacts.encode_digits(np.arange(12) % 10),
            "test": artifacts.encode_digits(np.arange(60) % 10),
        },
    }
    out = {
        name: (art / name).read_bytes()
        for name in ("data.npz", "embeddings.npz", "clusters-kmeans.npz", "coords-tsne.npz", "history-default.json")
    }
    out["twist.json"] = json.dumps(key).encode()
    out["idx"] = gzip.compress(idx_bytes(tiny_arrays()["x_test"]))
    out["csv"] = (",".join(map(str, range(784))) + "\n" + ",".join(["7"] * 784) + "\n").encode()
    return out


@st.composite
def mutated(draw, original: bytes) -> bytes:
    """The original cut short, or with a few bytes changed, or both."""
    data = bytearray(original)
    for _ in range(draw(st.integers(0, 4))):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    return bytes(data)


def any_bytes(original: bytes) -> st.SearchStrategy[bytes]:
    return st.one_of(st.binary(max_size=2000), mutated(original))


def expect_clean(load, path: Path):
    """``load(path)`` returns, or raises FmtwistError with a one-line message:
    nothing else, and no warning Python would print on stderr."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            return load(path)
        except FmtwistError as exc:
            assert str(exc) and "\n" not in str(exc), repr(exc)
            return None
        finally:
            shown = [
                str(w.message)
                for w in caught
                if not issubclass(w.category, (DeprecationWarning, PendingDeprecationWarning))
            ]
            assert not shown, shown


# --------------------------------------------------------------------------
# random and damaged bytes

NPZ_KINDS = {
    "data": "data.npz",
    "embeddings": "embeddings.npz",
    "clusters": "clusters-kmeans.npz",
    "coords": "coords-tsne.npz",
}


@pytest.mark.parametrize("kind", sorted(NPZ_KINDS))
def test_artifact_loaders_on_any_bytes(tmp_path, valid, kind):
    path = tmp_path / "x.npz"

    @SETTINGS
    @given(content=any_bytes(valid[NPZ_KINDS[kind]]))
    def check(content):
        path.write_bytes(content)
        loaded = expect_clean(lambda p: artifacts.load(p, kind), path)
        if loaded is not None:
            artifacts.validate(loaded)
        expect_clean(artifacts.read_npz, path)
        expect_clean(artifacts.describe, path)
        expect_clean(sources.load_npz, path)

    check()


@pytest.mark.parametrize(
    "name, loaders",
    [
        ("twist.json", (artifacts.load_answer_key, artifacts.load_json, twist.read_twist_file, artifacts.describe)),
        (
            "history-default.json",
            (artifacts.load_history, curves.read_history, artifacts.load_json, artifacts.describe),
        ),
    ],
)
def test_json_loaders_on_any_bytes(tmp_path, valid, name, loaders):
    path = tmp_path / "x.json"

    @SETTINGS
    @given(content=any_bytes(valid[name]))
    def check(content):
        path.write_bytes(content)
        for load in loaders:
            expect_clean(load, path)

    check()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=20,
)


@st.composite
def answer_keys(draw):
    """Answer-key-shaped objects with any field replaced by any JSON value."""
    key = {
        "kind": "twist",
        "mapping_by_index": list(range(10)),
        "original_labels": {"train": "0123", "test": "98"},
        "mapping": {"T-shirt/top": 0},
    }
    for field in draw(
        st.lists(st.sampled_from(["kind", "mapping_by_index", "original_labels", "mapping"]), max_size=3)
    ):
        key[field] = draw(json_values)
    if draw(st.booleans()):
        key["original_labels"] = {"train": draw(st.text(max_size=8)), "test": draw(st.text(max_size=8))}
    if draw(st.booleans()):
        key["mapping"] = draw(
            st.dictionaries(st.sampled_from([str(i) for i in range(10)] + ["Bag", "x"]), json_values, max_size=12)
        )
    elif draw(st.booleans()):  # every category mapped, to any integer (huge ones too)
        key["mapping"] = {str(i): draw(st.integers(-3, 12) | st.integers()) for i in range(10)}
    return key


@st.composite
def histories(draw):
    hist = {
        "kind": "history",
        "arch": "default",
        "labels": "mystery",
        "n_classes": 3,
        "n_params": 10,
        "params": {},
        "epochs": [{"epoch": 1, "loss": 0.5, "accuracy": 0.5}],
        "test": {"loss": 0.5, "accuracy": 0.5},
    }
    for field in draw(st.lists(st.sampled_from(sorted(hist)), max_size=3)):
        hist[field] = draw(json_values)
    if draw(st.booleans()):
        hist["epochs"] = draw(
            st.lists(
                st.dictionaries(st.sampled_from(["epoch", "loss", "accuracy", "val_loss"]), json_values), max_size=3
            )
        )
    return hist


@pytest.mark.slow  # hypothesis: a few seconds per loader
def test_answer_key_and_twist_loaders_on_any_json(tmp_path):
    path = tmp_path / "twist.json"

    @SETTINGS
    @given(obj=answer_keys())
    def check(obj):
        path.write_text(json.dumps(obj))
        expect_clean(artifacts.load_answer_key, path)
        expect_clean(twist.read_twist_file, path)

    check()


@pytest.mark.slow
def test_history_loaders_on_any_json(tmp_path):
    path = tmp_path / "history.json"

    @SETTINGS
    @given(obj=histories())
    def check(obj):
        path.write_text(json.dumps(obj))
        expect_clean(artifacts.load_history, path)
        expect_clean(curves.read_history, path)

    check()


def test_idx_reader_on_any_bytes(tmp_path, valid):
    path = tmp_path / "x.gz"

    @SETTINGS
    @given(
        content=st.one_of(any_bytes(valid["idx"]), mutated(idx_bytes(tiny_arrays()["x_test"])).map(gzip.compress)),
        ndim=st.sampled_from([1, 3]),
    )
    def check(content, ndim):
        path.write_bytes(content)
        expect_clean(lambda p: sources.read_idx(p, ndim), path)

    check()


def test_csv_reader_on_any_bytes(tmp_path, valid):
    path = tmp_path / "x.csv"

    @SETTINGS
    @given(content=any_bytes(valid["csv"]), columns=st.sampled_from([1, 784]))
    def check(content, columns):
        path.write_bytes(content)
        expect_clean(lambda p: sources._read_csv(p, columns), path)

    check()


def test_onnx_loaders_on_any_bytes(tmp_path):
    from test_embedding import tiny_onnx

    original = tiny_onnx(tmp_path / "good.onnx", n_classes=3).read_bytes()
    path = tmp_path / "x.onnx"

    @settings(SETTINGS, max_examples=40)
    @given(content=any_bytes(original))
    def check(content):
        path.write_bytes(content)
        expect_clean(embedding.describe, path)
        expect_clean(artifacts.describe, path)

    check()


@pytest.mark.slow
def test_keras_loader_on_any_bytes(tmp_path, trained):
    from fmtwist_cli.network import modelfiles

    original = (trained / "model-default.keras").read_bytes()
    path = tmp_path / "model-default.keras"

    @settings(SETTINGS, max_examples=15)
    @given(content=any_bytes(original))
    def check(content):
        path.write_bytes(content)
        expect_clean(modelfiles.load_model, path)
        expect_clean(artifacts.describe, path)

    check()


# --------------------------------------------------------------------------
# random arrays in a well-formed .npz

DTYPES = st.sampled_from(
    ["uint8", "int8", "int32", "int64", "uint64", "float16", "float32", "float64", "bool", "complex64", "<U4", "|S3"]
)


@st.composite
def arrays(draw, rows: int | None = None):
    dtype = np.dtype(draw(DTYPES))
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=6))
    if rows is not None and shape:
        shape = (rows, *shape[1:])
    if dtype.kind in "US":
        return draw(
            hnp.arrays(
                dtype,
                shape,
                elements=st.text("ab01", max_size=3)
                if dtype.kind == "U"
                else st.binary(min_size=1, max_size=3).filter(lambda b: not b.endswith(b"\0")),
            )
        )
    return draw(hnp.arrays(dtype, shape))  # floats include NaN and inf


@st.composite
def fitting(draw, spec: artifacts.Field, rows: int):
    """An array of the field's dtype and shape; values still anything (NaN, out of range)."""
    shape = tuple(
        rows if i == 0 else (s if s is not None else draw(st.integers(1, 4))) for i, s in enumerate(spec.shape)
    )
    if spec.dtype == "str":
        return draw(hnp.arrays(np.dtype("<U5"), shape, elements=st.sampled_from(["test", "train", "x"])))
    return draw(hnp.arrays(np.dtype(spec.dtype), shape))


@st.composite
def artifact_files(draw, kind: str):
    """Half the time the kind's own fields with the right dtypes and shapes
    (values still anything: NaN, inf, labels out of range) and a right meta;
    otherwise fields missing or extra, arrays of any dtype and shape, any meta."""
    rows = draw(st.integers(0, 5))
    specs = artifacts.FORMATS[kind].fields
    if draw(st.booleans()):
        out = {
            name: draw(fitting(spec, rows)) for name, spec in specs.items() if not spec.optional or draw(st.booleans())
        }
        out["meta"] = np.array(json.dumps({"kind": kind, "n_classes": draw(st.integers(1, 10))}))
        return out
    chosen = draw(st.lists(st.sampled_from([*specs, "extra"]), unique=True, min_size=1))
    out = {}
    for name in chosen:
        fits = name in specs and draw(st.booleans())
        out[name] = draw(fitting(specs[name], rows) if fits else arrays(rows if draw(st.booleans()) else None))
    meta = draw(st.one_of(st.fixed_dictionaries({"kind": st.just(kind), "n_classes": json_values}), json_values))
    if draw(st.booleans()):
        out["meta"] = np.array(json.dumps(meta))
    elif draw(st.booleans()):
        out["meta"] = draw(arrays())
    return out


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(artifacts.FORMATS))
def test_artifact_loader_on_random_arrays(tmp_path, kind):
    path = tmp_path / "x.npz"
    loads = []

    @settings(SETTINGS, max_examples=100)
    @given(content=artifact_files(kind))
    def check(content):
        buf = io.BytesIO()
        np.savez(buf, **content)
        path.write_bytes(buf.getvalue())
        loaded = expect_clean(lambda p: artifacts.load(p, kind), path)
        loads.append(loaded is not None)
        if loaded is not None:  # what loads is valid, and saves again unchanged
            artifacts.validate(loaded)
            again = artifacts.save(artifacts.Artifact(kind, loaded.arrays, loaded.meta), tmp_path / "again.npz")
            assert artifacts.load(again, kind).arrays.keys() == loaded.arrays.keys()
        expect_clean(artifacts.describe, path)
        expect_clean(sources.load_npz, path)

    check()
    assert any(loads) and not all(loads)  # both sides of the contract were exercised


def test_a_valid_file_does_load(tmp_path, valid):
    """The strategies start from files that load: the tests above are not vacuous."""
    for kind, name in NPZ_KINDS.items():
        (tmp_path / name).write_bytes(valid[name])
        assert artifacts.load(tmp_path / name, kind).kind == kind
    with zipfile.ZipFile(io.BytesIO(valid["data.npz"])) as zf:
        assert "meta.npy" in zf.namelist()
