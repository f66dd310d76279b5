"""Provenance: what each artifact was made from.

Every artifact fmtwist writes carries a "provenance" entry: the SHA-256 of
each input file (by role: "data", "embeddings", "model", ...), the seed and
the versions of fmtwist and its main libraries. Commands that take linked
inputs compare the recorded hashes with the files they were given and refuse
a mismatch. Nothing in it depends on the clock, so the same inputs give the
same provenance.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import platform
from pathlib import Path
from typing import Any

from fmtwist_cli import __version__
from fmtwist_cli.artifacts.formats import FORMATS
from fmtwist_cli.errors import ArtifactError

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
