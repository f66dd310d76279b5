"""Every file format fmtwist writes or reads, in one place.

Each ``.npz`` kind is a set of named arrays (dtype and shape below) plus a
``meta`` entry: a JSON string with the file's kind, fmtwist's version and
whatever parameters made it. Loading validates all of it and never unpickles;
saving is atomic (a temporary file in the same folder, then a rename), so a
crash never leaves a half-written file. Commands never call ``np.load`` or
``np.savez`` themselves: they call :func:`save` and :func:`load` here.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import platform
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

from fmtwist_cli import __version__
from fmtwist_cli.errors import ArtifactError


@dataclass(frozen=True)
class Field:
    """One array of an artifact: its dtype and shape (None = any length)."""

    dtype: str
    shape: tuple[int | None, ...]
    rows: str | None = None  # fields sharing a rows group have the same length
    optional: bool = False


@dataclass(frozen=True)
class Format:
    kind: str
    fields: dict[str, Field]
    made_by: str  # the command that makes this kind, named in "missing" errors


FORMATS: dict[str, Format] = {
    f.kind: f
    for f in (
        Format(
            "data",
            {
                "x_train": Field("uint8", (None, 28, 28), rows="train"),
                "y_train": Field("int64", (None,), rows="train"),
                "x_test": Field("uint8", (None, 28, 28), rows="test"),
                "y_test": Field("int64", (None,), rows="test"),
            },
            made_by="fmtwist prepare",
        ),
        Format(
            "embeddings",
            {
                "embedding": Field("float32", (None, None), rows="rows"),
                "probs": Field("float32", (None, None), rows="rows"),
                "pred": Field("int64", (None,), rows="rows"),
                "labels": Field("int64", (None,), rows="rows", optional=True),
                "index": Field("int64", (None,), rows="rows"),
                "split": Field("str", (None,), rows="rows"),
            },
            made_by="fmtwist embed",
        ),
        Format(
            "clusters",
            {"labels": Field("int64", (None,))},
            made_by="fmtwist cluster",
        ),
        Format(
            "coords",
            {
                "coords": Field("float32", (None, 2), rows="rows"),
                "index": Field("int64", (None,), rows="rows"),
                "split": Field("str", (None,), rows="rows", optional=True),  # as in the embeddings
            },
            made_by="fmtwist reduce",
        ),
    )
}


@dataclass
class Artifact:
    """A loaded (or about to be saved) artifact: arrays plus metadata."""

    kind: str
    arrays: dict[str, np.ndarray]
    meta: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    def __getitem__(self, key: str) -> np.ndarray:
        return self.arrays[key]

    def __contains__(self, key: str) -> bool:
        return key in self.arrays

    def rows(self) -> int:
        first = next(iter(self.arrays.values()))
        return int(first.shape[0])


# --------------------------------------------------------------------------
# atomic writes


def _check_target(path: Path) -> Path:
    """Refuse a path that is a folder or lies under a file; return its
    nearest existing folder."""
    if path.is_dir():
        raise ArtifactError(f"cannot write {path}: it is a folder")
    existing = next(p for p in [path.parent, *path.parent.parents] if p.exists())
    if not existing.is_dir():
        raise ArtifactError(f"cannot write {path}: {existing} is a file, not a folder")
    return existing


def _ensure_folder(path: Path) -> None:
    _check_target(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ArtifactError(f"cannot write {path}: cannot create folder {path.parent} ({exc.strerror})") from None


def check_writable(*paths: str | os.PathLike) -> None:
    """Raise the error writing each path would raise about its folder, before
    anything is written: a command that writes several files checks them all
    first, so that a bad output path leaves every file as it was."""
    for path in map(Path, paths):
        existing = _check_target(path)
        if not os.access(existing, os.W_OK | os.X_OK):
            raise ArtifactError(f"cannot write {path}: {existing} is not writable")


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` (same suffix); rename it onto
    ``path`` only when the block finishes without an exception.

    The temporary file is removed on any exception, Ctrl-C included; only a
    process killed outright (SIGKILL, power loss) can leave one behind, as a
    hidden ``.NAME.*.tmp.SUFFIX`` that nothing reads and no artifact pattern
    matches (tests/test_safety.py)."""
    path = Path(path)
    _ensure_folder(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f".tmp{path.suffix}", dir=path.parent)
    except OSError as exc:
        raise ArtifactError(f"cannot write {path}: {exc.strerror}") from None
    os.close(fd)
    tmp_path = Path(tmp)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp_path, 0o666 & ~umask)  # mkstemp makes 0600; give the usual mode
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    except OSError as exc:
        raise ArtifactError(f"cannot write {path}: {exc.strerror}") from None
    finally:
        tmp_path.unlink(missing_ok=True)


def write_bytes(path: str | os.PathLike, writer: Callable[[Any], None]) -> Path:
    """Atomically write ``path``; ``writer`` receives a binary file object."""
    path = Path(path)
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            writer(fh)
            fh.flush()
            os.fsync(fh.fileno())
    return path


def write_text(path: str | os.PathLike, text: str) -> Path:
    return write_bytes(path, lambda fh: fh.write(text.encode("utf-8")))


def save_json(path: str | os.PathLike, obj: Any) -> Path:
    return write_text(path, json.dumps(obj, indent=2) + "\n")


def load_json(path: str | os.PathLike, what: str = "JSON file") -> Any:
    path = Path(path)
    _check_readable(path, what)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ArtifactError(f"{path} is not a valid {what}: {exc}") from None


# --------------------------------------------------------------------------
# npz artifacts


def _dtype_ok(arr: np.ndarray, dtype: str) -> bool:
    if dtype == "str":
        return arr.dtype.kind == "U"
    return arr.dtype == np.dtype(dtype)


def _shape_ok(arr: np.ndarray, shape: tuple[int | None, ...]) -> bool:
    return arr.ndim == len(shape) and all(s is None or s == a for s, a in zip(shape, arr.shape))


def _shape_text(shape: tuple[int | None, ...]) -> str:
    return "(" + ", ".join("N" if s is None else str(s) for s in shape) + ")"


def validate(artifact: Artifact, where: str = "") -> None:
    """Check that the arrays fit the kind's format; raise ArtifactError if not."""
    fmt = FORMATS[artifact.kind]
    where = where or f"{artifact.kind} artifact"
    rows: dict[str, tuple[str, int]] = {}
    for key, spec in fmt.fields.items():
        if key not in artifact.arrays:
            if spec.optional:
                continue
            raise ArtifactError(f"{where} has no '{key}' array: is it a {fmt.kind} file made by `{fmt.made_by}`?")
        arr = artifact.arrays[key]
        if not _dtype_ok(arr, spec.dtype) or not _shape_ok(arr, spec.shape):
            raise ArtifactError(
                f"{where}: '{key}' is {arr.dtype}{list(arr.shape)}, expected {spec.dtype} of shape {_shape_text(spec.shape)}"
            )
        if arr.dtype.kind == "f" and not np.isfinite(arr).all():
            raise ArtifactError(f"{where}: '{key}' holds NaN or infinite values")
        if spec.rows:
            seen = rows.setdefault(spec.rows, (key, arr.shape[0]))
            if seen[1] != arr.shape[0]:
                raise ArtifactError(f"{where}: '{key}' has {arr.shape[0]} rows but '{seen[0]}' has {seen[1]}")
    extra = set(artifact.arrays) - set(fmt.fields)
    if extra:
        raise ArtifactError(f"{where} has unexpected arrays: {', '.join(sorted(extra))}")
    _check_semantics(artifact, where)


def _check_semantics(artifact: Artifact, where: str) -> None:
    if artifact.kind == "data":
        k = artifact.meta.get("n_classes")
        if not isinstance(k, int) or k < 1:
            raise ArtifactError(f"{where}: metadata has no valid 'n_classes'")
        for split in ("train", "test"):
            y = artifact.arrays[f"y_{split}"]
            if y.size and (y.min() < 0 or y.max() >= k):
                raise ArtifactError(f"{where}: {split} labels outside 0..{k - 1}")


# A fixed date in every zip entry (np.savez stamps the current time): the same
# arrays and metadata give the same bytes, so the SHA-256 that provenance
# records names the content, and running a step again changes nothing.
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def _write_npz(fh: Any, arrays: dict[str, np.ndarray]) -> None:
    """What np.savez writes (stored, not compressed), minus the timestamps."""
    with zipfile.ZipFile(fh, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
        for key, arr in arrays.items():
            entry = zipfile.ZipInfo(f"{key}.npy", date_time=_ZIP_DATE)
            entry.external_attr = 0o644 << 16
            with zf.open(entry, "w", force_zip64=True) as out:
                np.lib.format.write_array(out, np.asanyarray(arr), allow_pickle=False)


def save(artifact: Artifact, path: str | os.PathLike) -> Path:
    """Validate and atomically write an artifact as ``.npz``."""
    path = Path(path)
    validate(artifact, str(path))
    meta = {"kind": artifact.kind, "fmtwist_version": __version__, **artifact.meta}
    arrays = dict(artifact.arrays)
    arrays["meta"] = np.array(json.dumps(meta))
    write_bytes(path, lambda fh: _write_npz(fh, arrays))
    artifact.path = path
    artifact.meta = meta
    return path


def _a(noun: str) -> str:
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def _check_readable(path: Path, what: str, made_by: str | None = None) -> None:
    if not path.exists():
        hint = f" (run `{made_by}` first)" if made_by else ""
        raise ArtifactError(f"{what} not found: {path}{hint}")
    if path.is_dir():
        raise ArtifactError(f"{path} is a folder, expected {_a(what)}")


def read_npz(path: str | os.PathLike, what: str = "npz file") -> dict[str, np.ndarray]:
    """Read every array of an ``.npz`` without ever unpickling."""
    path = Path(path)
    _check_readable(path, what)
    # Opened here, not by np.load, so that it is closed whatever goes wrong.
    with open(path, "rb") as fh:
        # np.load would take anything else for a pickle or a lone .npy array
        if fh.read(4) not in (b"PK\x03\x04", b"PK\x05\x06"):
            raise ArtifactError(f"{path} is not a valid {what} (not an .npz archive)")
        fh.seek(0)
        try:
            with np.load(fh, allow_pickle=False) as npz:
                return {key: npz[key] for key in npz.files}
        except ValueError as exc:
            if "pickle" in str(exc):
                raise ArtifactError(f"{path} holds Python objects, which fmtwist never loads (pickle is unsafe)") from None
            raise ArtifactError(f"{path} is not a valid {what}: {exc}") from None
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, KeyError) as exc:
            raise ArtifactError(f"{path} is not a valid {what} (corrupt or truncated: {exc})") from None


def load(path: str | os.PathLike, kind: str) -> Artifact:
    """Load and validate an artifact of the given kind."""
    fmt = FORMATS[kind]
    path = Path(path)
    _check_readable(path, f"{kind} file", fmt.made_by)
    arrays = read_npz(path, f"fmtwist {kind} file")
    meta_arr = arrays.pop("meta", None)
    if meta_arr is None or meta_arr.dtype.kind != "U" or meta_arr.ndim != 0:
        raise ArtifactError(f"{path} is not an fmtwist {kind} file (no metadata); make it with `{fmt.made_by}`")
    try:
        meta = json.loads(str(meta_arr))
    except json.JSONDecodeError:
        raise ArtifactError(f"{path} has corrupt metadata") from None
    if not isinstance(meta, dict) or meta.get("kind") != kind:
        found = meta.get("kind") if isinstance(meta, dict) else None
        raise ArtifactError(f"{path} is {_a(found or 'unknown')} file, expected {_a(kind)} file made by `{fmt.made_by}`")
    artifact = Artifact(kind, arrays, meta, path)
    validate(artifact, str(path))
    return artifact


# --------------------------------------------------------------------------
# the answer key (twist.json)


def encode_digits(labels: np.ndarray) -> str:
    """Category labels 0-9 as one string of digits: compact, still plain JSON."""
    return (np.asarray(labels, dtype=np.uint8) + ord("0")).tobytes().decode("ascii")


def _decode_digits(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("ascii"), dtype=np.uint8).astype(np.int64) - ord("0")


def _load_json_kind(path: Path, kind: str, what: str, made: str) -> dict[str, Any]:
    _check_readable(path, what, made.split("`")[1])
    obj = load_json(path, what)
    if not isinstance(obj, dict) or obj.get("kind") != kind:
        raise ArtifactError(f"{path} is not an fmtwist {what} ({made})")
    return obj


def save_answer_key(path: str | os.PathLike, key: dict[str, Any]) -> Path:
    return save_json(path, {"kind": "twist", "fmtwist_version": __version__, **key})


def load_answer_key(path: str | os.PathLike) -> dict[str, Any]:
    """Load twist.json: the mapping and each image's original category."""
    path = Path(path)
    key = _load_json_kind(path, "twist", "answer key", "twist.json made by `fmtwist prepare`")
    try:
        mapping = [int(c) for c in key["mapping_by_index"]]
        originals = {s: _decode_digits(key["original_labels"][s]) for s in ("train", "test")}
    except (KeyError, TypeError, ValueError, AttributeError):
        raise ArtifactError(f"{path}: answer key is incomplete (mapping or original labels missing)") from None
    if len(mapping) != 10 or any(o.size and (o.min() < 0 or o.max() > 9) for o in originals.values()):
        raise ArtifactError(f"{path}: answer key is malformed")
    key["mapping_by_index"] = mapping
    key["original_labels"] = originals
    return key


# --------------------------------------------------------------------------
# training history (history-<arch>.json)

HISTORY_KEYS = ("arch", "labels", "n_classes", "n_params", "params", "epochs", "test")


def load_history(path: str | os.PathLike) -> dict[str, Any]:
    """Load history-<arch>.json written by ``fmtwist train`` and check its shape."""
    path = Path(path)
    hist = _load_json_kind(path, "history", "training history", "history-<arch>.json made by `fmtwist train`")
    missing = [k for k in HISTORY_KEYS if k not in hist]
    if missing:
        raise ArtifactError(f"{path}: training history has no {', '.join(missing)}")
    epochs = hist["epochs"]
    if not isinstance(epochs, list) or not all(isinstance(e, dict) and "loss" in e for e in epochs):
        raise ArtifactError(f"{path}: training history has malformed epochs")
    if not isinstance(hist["test"], dict) or "accuracy" not in hist["test"]:
        raise ArtifactError(f"{path}: training history has no test accuracy")
    return hist


# --------------------------------------------------------------------------
# provenance: what each artifact was made from
#
# Every artifact fmtwist writes carries a "provenance" entry: the SHA-256 of
# each input file (by role: "data", "embeddings", "model", ...), the seed and
# the versions of fmtwist and its main libraries. Commands that take linked
# inputs compare the recorded hashes with the files they were given and
# refuse a mismatch. Nothing in it depends on the clock, so the same inputs
# give the same provenance.

LIBRARIES = ("numpy", "scipy", "scikit-learn", "tensorflow", "keras", "tf2onnx", "onnx", "onnxruntime", "umap-learn")
# Import name differs from the distribution for some; tensorflow comes as tensorflow-cpu too.
_DISTRIBUTIONS = {"tensorflow": ("tensorflow", "tensorflow-cpu", "tensorflow-macos")}
# How a role reads in an error message.
ROLE_NOUNS = {
    "data": "data.npz",
    "embeddings": "embeddings file",
    "coords": "map (coords file)",
    "model": "ONNX model",
    "keras": "Keras model",
    "answer_key": "answer key",
}

_sha_cache: dict[tuple, str] = {}


@functools.lru_cache(maxsize=1)
def versions() -> dict[str, str]:
    """fmtwist's, Python's and the main libraries' versions (those installed),
    read from the package metadata: nothing is imported."""
    from importlib import metadata

    found = {"fmtwist": __version__, "python": platform.python_version()}
    for name in LIBRARIES:
        for dist in _DISTRIBUTIONS.get(name, (name,)):
            try:
                found[name] = metadata.version(dist)
                break
            except metadata.PackageNotFoundError:
                continue
    return found


def file_sha256(path: str | os.PathLike) -> str:
    """SHA-256 of a file, remembered per (file, size, modification time) so a
    large input is read once per process."""
    path = Path(path)
    st = path.stat()
    key = (str(path.resolve()), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
    if key not in _sha_cache:
        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
        _sha_cache[key] = digest.hexdigest()
    return _sha_cache[key]


def input_entry(path: str | os.PathLike) -> dict[str, str]:
    return {"path": str(path), "sha256": file_sha256(path)}


def provenance(inputs: dict[str, str | os.PathLike | None], seed: int | None = None) -> dict[str, Any]:
    """The provenance entry of a new artifact: each input file (None: not
    used) with its SHA-256, the seed and the library versions."""
    return {
        "inputs": {role: input_entry(path) for role, path in inputs.items() if path is not None},
        "seed": seed,
        "versions": versions(),
    }


def provenance_of(meta: dict[str, Any] | None) -> dict[str, Any] | None:
    """The provenance recorded in an artifact's metadata (ONNX metadata holds
    it as a JSON string), or None for files made without it."""
    prov = meta.get("provenance") if isinstance(meta, dict) else None
    if isinstance(prov, str):
        try:
            prov = json.loads(prov)
        except json.JSONDecodeError:
            return None
    return prov if isinstance(prov, dict) else None


def recorded_input(meta: dict[str, Any] | None, role: str) -> dict[str, str] | None:
    prov = provenance_of(meta)
    inputs = prov.get("inputs") if prov else None
    entry = inputs.get(role) if isinstance(inputs, dict) else None
    return entry if isinstance(entry, dict) and isinstance(entry.get("sha256"), str) else None


def _made(made: Any) -> tuple[Any, dict[str, Any]]:
    """(path, meta) of an Artifact, or of anything else that has both (an
    opened ONNX model), or the pair itself (a JSON file)."""
    if isinstance(made, tuple):
        return made
    return made.path, made.meta


def _remake(made: Any) -> str:
    kind = getattr(made, "kind", None)
    return f"run `{FORMATS[kind].made_by}` again" if kind in FORMATS else "make it again"


def input_mismatch(made: Any, role: str, path: str | os.PathLike | None) -> tuple[str, str] | None:
    """(recorded, actual) SHA-256 when ``made`` records another file than
    ``path`` as its ``role`` input; None when they match or nothing is recorded."""
    entry = recorded_input(_made(made)[1], role)
    if entry is None or path is None:
        return None
    actual = file_sha256(path)
    return None if entry["sha256"] == actual else (entry["sha256"], actual)


def check_made_from(made: Any, role: str, path: str | os.PathLike | None, remake: str | None = None) -> None:
    """Refuse ``path`` as the ``role`` input of ``made`` when ``made`` records
    another file's SHA-256 for that role. Files without provenance (older
    ones, hand-made ones) pass: the row checks are all there is for them."""
    mismatch = input_mismatch(made, role, path)
    if mismatch is not None:
        noun = ROLE_NOUNS.get(role, role)
        raise ArtifactError(
            f"{_made(made)[0]} was made from a different {noun} (sha256 {mismatch[0][:12]}…) than {path} "
            f"(sha256 {mismatch[1][:12]}…): {remake or _remake(made)}"
        )


def check_same_input(a: Any, b: Any, role: str, remake: str) -> None:
    """Refuse two artifacts that record different files for the same role
    (a map and a clustering of different embeddings)."""
    (a_path, a_meta), (b_path, b_meta) = _made(a), _made(b)
    ea, eb = recorded_input(a_meta, role), recorded_input(b_meta, role)
    if ea is not None and eb is not None and ea["sha256"] != eb["sha256"]:
        noun = ROLE_NOUNS.get(role, role)
        raise ArtifactError(
            f"{a_path} and {b_path} were not made from the same {noun} "
            f"(sha256 {ea['sha256'][:12]}… vs {eb['sha256'][:12]}…): {remake}"
        )


# --------------------------------------------------------------------------
# describing any artifact (`fmtwist info`)


def _describe_onnx(path: Path) -> dict[str, Any]:
    import onnx

    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception as exc:  # onnx raises DecodeError and friends
        raise ArtifactError(f"{path} is not a valid ONNX model ({type(exc).__name__})") from None
    shape = lambda t: [d.dim_param or d.dim_value for d in t.type.tensor_type.shape.dim]  # noqa: E731
    return {
        "kind": "onnx model",
        "inputs": {t.name: shape(t) for t in model.graph.input},
        "outputs": {t.name: shape(t) for t in model.graph.output},
        "meta": {p.key: p.value for p in model.metadata_props},
    }


def _describe_keras(path: Path) -> dict[str, Any]:
    # A .keras file is a zip of JSON and weights: read the JSON, load nothing.
    try:
        with zipfile.ZipFile(path) as zf:
            config = json.loads(zf.read("config.json"))
            meta = json.loads(zf.read("metadata.json")) if "metadata.json" in zf.namelist() else {}
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError, OSError):
        raise ArtifactError(f"{path} is not a valid Keras model file") from None
    layers = config.get("config", {}).get("layers", [])
    return {
        "kind": "keras model",
        "name": config.get("config", {}).get("name"),
        "layers": [f"{layer.get('config', {}).get('name')} ({layer.get('class_name')})" for layer in layers],
        "meta": meta,
        **_keras_provenance(path),
    }


def _keras_provenance(path: Path) -> dict[str, Any]:
    """A .keras file cannot hold fmtwist's metadata; the history written with
    it can, and names the model by SHA-256 (history-X.json beside model-X.keras)."""
    name = path.stem[len("model-"):] if path.stem.startswith("model-") else path.stem
    hist_path = path.with_name(f"history-{name}.json")
    try:
        hist = load_history(hist_path)
    except ArtifactError:
        return {}
    made = hist.get("keras_model")
    if not isinstance(made, dict) or made.get("sha256") != file_sha256(path) or provenance_of(hist) is None:
        return {}
    return {"provenance": provenance_of(hist), "provenance_from": str(hist_path)}


def _meta_object(meta_arr: np.ndarray | None) -> dict[str, Any]:
    """An npz's meta entry as a dict; {} when it is missing or not a JSON object."""
    if meta_arr is None or meta_arr.dtype.kind != "U" or meta_arr.ndim != 0:
        return {}
    try:
        meta = json.loads(str(meta_arr))
    except json.JSONDecodeError:
        return {}
    return meta if isinstance(meta, dict) else {}


def describe(path: str | os.PathLike) -> dict[str, Any]:
    """What an artifact is: its kind, metadata, provenance (None for files
    made without it) and array shapes."""
    path = Path(path)
    _check_readable(path, "file")
    info: dict[str, Any] = {"path": str(path), "bytes": path.stat().st_size, "sha256": file_sha256(path)}
    suffix = path.suffix.lower()
    if suffix == ".npz":
        arrays = read_npz(path, "npz file")
        meta_arr = arrays.pop("meta", None)
        meta = _meta_object(meta_arr)
        info["kind"] = meta.get("kind", "npz (not made by fmtwist)")
        info["provenance"] = provenance_of(meta)
        meta.pop("provenance", None)
        info["meta"] = meta
        info["arrays"] = {k: {"dtype": str(v.dtype), "shape": list(v.shape)} for k, v in arrays.items()}
    elif suffix == ".json":
        obj = load_json(path)
        info["kind"] = obj.get("kind", "json") if isinstance(obj, dict) else "json"
        if isinstance(obj, dict):
            info["provenance"] = provenance_of(obj)
            info["meta"] = {k: v for k, v in obj.items() if k not in ("original_labels", "epochs", "provenance")}
            if "epochs" in obj:
                info["meta"]["epochs"] = len(obj["epochs"]) if isinstance(obj["epochs"], list) else obj["epochs"]
    elif suffix == ".onnx":
        info.update(_describe_onnx(path))
        info["provenance"] = provenance_of(info["meta"])
        info["meta"].pop("provenance", None)
    elif suffix == ".keras":
        info.update(_describe_keras(path))
    else:
        raise ArtifactError(f"{path}: unknown artifact type (expected .npz, .json, .onnx or .keras)")
    info.setdefault("provenance", None)
    return info
