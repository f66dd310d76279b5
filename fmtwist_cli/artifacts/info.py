"""What any artifact is (``fmtwist info``): kind, metadata, provenance, arrays.

Reads .npz, .json, .onnx and .keras files without loading a model.
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from fmtwist_cli.artifacts import layout
from fmtwist_cli.artifacts.atomic import check_readable, load_json
from fmtwist_cli.artifacts.formats import read_npz
from fmtwist_cli.artifacts.jsonfiles import load_history
from fmtwist_cli.artifacts.provenance import file_sha256, provenance_of
from fmtwist_cli.errors import ArtifactError


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
    hist_path = layout.history_for(path)
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
    check_readable(path, "file")
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
