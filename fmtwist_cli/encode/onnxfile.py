"""The fmtwist ONNX model file: the names of its input and outputs, and the check that a file is a valid,
self-contained ONNX model before onnxruntime runs it.

Light on purpose (``onnx`` is imported inside :func:`checked_onnx`), so that both ``fmtwist export``, which
writes these files, and :mod:`fmtwist_cli.encode.embedding`, which runs them, can take the names from here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fmtwist_cli.errors import ArtifactError

INPUT_NAME = "image"
OUTPUTS = ("embedding", "probs")


def reason(exc: Exception) -> str:
    """The first line of a library's error, for a one-line message."""
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


def _tensors(graph: Any) -> Any:
    """Every tensor a graph holds: initializers and constants, subgraphs included."""
    yield from graph.initializer
    for sparse in graph.sparse_initializer:
        yield from (sparse.values, sparse.indices)
    yield from _node_tensors(graph.node)


def _node_tensors(nodes: Any) -> Any:
    for node in nodes:
        for attr in node.attribute:
            yield attr.t
            yield from attr.tensors
            for sub in (attr.g, *attr.graphs):
                yield from _tensors(sub)


def checked_onnx(path: Path) -> bytes:
    """The file's bytes, once onnx.checker accepts them and no tensor refers to
    another file (fmtwist's models are self-contained; a crafted model could
    otherwise read any file as its weights). Raises ArtifactError."""
    import onnx

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ArtifactError(f"cannot read {path} ({exc.strerror})") from None
    try:
        model = onnx.load_from_string(data)
        # before the checker, which itself looks at the files external data names
        tensors = [*_tensors(model.graph), *(t for f in model.functions for t in _node_tensors(f.node))]
        external = any(t.data_location == onnx.TensorProto.EXTERNAL or t.external_data for t in tensors)
        if not external:
            onnx.checker.check_model(model)
    except Exception as exc:  # protobuf's DecodeError, onnx's ValidationError, ...
        raise ArtifactError(f"{path} is not a valid ONNX model ({reason(exc)})") from None
    if external:
        raise ArtifactError(f"{path} refers to external data files, which fmtwist models never do; refusing to load it")
    return data
