"""The ``.npz`` artifacts: each kind's arrays, validation, save and load.

Each kind is a set of named arrays (dtype and shape below) plus a ``meta``
entry: a JSON string with the file's kind, fmtwist's version and the
parameters that made it, read as a typed record of its kind (:mod:`.meta`).
Loading validates all of it and never unpickles; saving is atomic and
byte-for-byte repeatable. Commands never call ``np.load`` or
``np.savez`` themselves: they call :func:`save` and :func:`load` here.
"""

from __future__ import annotations

import json
import os
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from fmtwist_cli import __version__
from fmtwist_cli.artifacts import npzcheck
from fmtwist_cli.artifacts.atomic import a_noun, check_readable, write_bytes
from fmtwist_cli.artifacts.meta import RECORDS, Meta
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
    """A loaded (or about to be saved) artifact: arrays plus metadata (``meta``: the JSON; ``record``: typed)."""

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

    @property
    def record(self) -> Meta:
        """The metadata as its kind's typed record (:mod:`.meta`); ``meta`` stays the file's JSON."""
        return RECORDS[self.kind].from_meta(self.meta)


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
                f"{where}: '{key}' is {arr.dtype}{list(arr.shape)}, "
                f"expected {spec.dtype} of shape {_shape_text(spec.shape)}"
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
        k = artifact.record.n_classes
        if k is None or k < 1:
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


def read_npz(path: str | os.PathLike, what: str = "npz file") -> dict[str, np.ndarray]:
    """Read every array of an ``.npz`` without ever unpickling, each member's header checked against the bytes the
    file holds before anything is read (:mod:`.npzcheck`)."""
    path = Path(path)
    check_readable(path, what)
    # Opened here, not by np.load, so that it is closed whatever goes wrong.
    with open(path, "rb") as fh:
        # np.load would take anything else for a pickle or a lone .npy array
        if fh.read(4) not in (b"PK\x03\x04", b"PK\x05\x06"):
            raise ArtifactError(f"{path} is not a valid {what} (not an .npz archive)")
        fh.seek(0)
        try:
            with zipfile.ZipFile(fh) as zf:
                members = npzcheck.check_members(zf, path, what, os.fstat(fh.fileno()).st_size)
                arrays = {}
                for key, member in members.items():
                    with zf.open(member) as npy:
                        arrays[key] = np.lib.format.read_array(npy, allow_pickle=False)
                return arrays
        except ValueError as exc:
            raise ArtifactError(f"{path} is not a valid {what}: {exc}") from None
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, KeyError) as exc:
            raise ArtifactError(f"{path} is not a valid {what} (corrupt or truncated: {exc})") from None


def load(path: str | os.PathLike, kind: str) -> Artifact:
    """Load and validate an artifact of the given kind."""
    fmt = FORMATS[kind]
    path = Path(path)
    check_readable(path, f"{kind} file", fmt.made_by)
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
        raise ArtifactError(
            f"{path} is {a_noun(found or 'unknown')} file, expected {a_noun(kind)} file made by `{fmt.made_by}`"
        )
    artifact = Artifact(kind, arrays, meta, path)
    validate(artifact, str(path))
    return artifact
