"""Keras -> ONNX: one input ``image`` and two outputs, ``embedding`` (an inner
layer, by default the flattened feature map the notebook used as its
encoding) and ``probs`` (the softmax).

The metadata carries what ``embed`` needs to use the file alone: the
architecture, the class count, the layer, the input scaling and fmtwist's
version. Every export is checked (``onnx.checker``) and compared with Keras on
a sample; the file is only written when both pass.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from fmtwist_cli import __version__, artifacts, errors
from fmtwist_cli.artifacts import layout
from fmtwist_cli.encode.onnxfile import INPUT_NAME, OUTPUTS  # the file's names, shared with its reader
from fmtwist_cli.errors import ArtifactError, FmtwistError
from fmtwist_cli.network import backends, feeding, modelfiles, models, trainingdata

OPSET = 17
TOLERANCE = 1e-4  # largest absolute Keras/onnxruntime difference accepted
SAMPLE = 512  # images compared


@dataclass
class ExportResult:
    path: Path
    meta: dict[str, str]
    max_abs_diff: float
    diffs: dict[str, float]  # per output
    sample: int
    sample_source: str
    embedding_dim: int


def onnx_path_for(model_file: Path) -> Path:
    return Path(model_file).with_suffix(".onnx")


def layer_names(model: Any) -> list[str]:
    return [layer.name for layer in model.layers]


def two_headed(model: Any, layer: str, where: str = "the model", mirrored: bool = False) -> Any:
    """A Keras model with the same input and outputs {embedding, probs}; ``mirrored``: probs the mean over each
    image and its mirror image (``models.mirror_averaged``, for a run that trained with flips)."""
    keras = models.import_keras()
    names = layer_names(model)
    if layer not in names:
        raise FmtwistError(f"no layer '{layer}' in {where}; valid layers: {', '.join(names)}")
    if mirrored:
        return models.mirror_averaged(model, layer)
    return keras.Model(
        model.inputs,
        {"embedding": model.get_layer(layer).output, "probs": model.outputs[0]},
        name=f"{model.name}_two_headed",
    )


def to_onnx(head: Any) -> Any:
    """Convert a two-headed Keras model to an ONNX ModelProto (in memory)."""
    models.import_keras()
    import tensorflow as tf
    import tf2onnx

    spec = (tf.TensorSpec((None, *models.INPUT_SHAPE), tf.float32, name=INPUT_NAME),)

    @tf.function(input_signature=spec)
    def serve(image):
        out = head(image, training=False)
        return {name: tf.identity(out[name], name=name) for name in OUTPUTS}

    proto, _ = tf2onnx.convert.from_function(serve, input_signature=spec, opset=OPSET, output_path=None)
    return proto


def stable_names(proto: Any) -> Any:
    """Rename the graph's nodes and inner tensors in order of use, and order
    the weights the same way. tf2onnx names them after TensorFlow's scopes,
    which count up differently from run to run; renamed, the same model
    exports to the same bytes (and the same SHA-256 in provenance)."""
    graph = proto.graph
    if any(attr.type in (attr.GRAPH, attr.GRAPHS) for node in graph.node for attr in node.attribute):
        return proto  # subgraphs may refer to outer names: leave them be
    keep = {v.name for v in graph.input} | {v.name for v in graph.output}
    names: dict[str, str] = {}
    graph.doc_string = "converted from a Keras model by tf2onnx"  # it named the traced function, numbered per process

    def name(old: str) -> str:
        return old if not old or old in keep else names.setdefault(old, f"t{len(names)}")

    for i, node in enumerate(graph.node):
        node.name = f"{node.op_type}_{i}"
        node.input[:] = [name(n) for n in node.input]
        node.output[:] = [name(n) for n in node.output]
    for tensor in graph.initializer:
        tensor.name = name(tensor.name)
    for info in graph.value_info:
        info.name = name(info.name)
    # tf2onnx calls each unknown dimension unk__<counter>; the first of every
    # input and output is the batch of images.
    dims: dict[str, str] = {}
    for info in [*graph.input, *graph.output, *graph.value_info]:
        for i, dim in enumerate(info.type.tensor_type.shape.dim):
            if dim.dim_param.startswith("unk__"):
                dim.dim_param = "N" if i == 0 and info.name in keep else dims.setdefault(dim.dim_param, f"d{len(dims)}")
    weights = sorted(graph.initializer, key=lambda t: int(t.name[1:]) if t.name[1:].isdigit() else -1)
    copies = [type(t)() for t in weights]
    for copy, tensor in zip(copies, weights):
        copy.CopyFrom(tensor)
    del graph.initializer[:]
    graph.initializer.extend(copies)
    return proto


def metadata(arch: str, labels: str, n_classes: int, layer: str, embedding_dim: int, source: Path) -> dict[str, str]:
    return {
        "fmtwist_kind": "model",
        "arch": arch,
        "labels": labels,
        "n_classes": str(n_classes),
        "layer": layer,
        "embedding_dim": str(embedding_dim),
        "input_scale": repr(models.INPUT_SCALE),
        "input_offset": "0.0",
        "input": f"{INPUT_NAME}: float32 N x 28 x 28 x 1, uint8 pixels times input_scale",
        "keras_model": Path(source).name,
        "fmtwist_version": __version__,
    }


def sample_images(data_path: Path | None, n: int = SAMPLE, seed: int = 0) -> tuple[np.ndarray, str]:
    """Test images from data.npz when there is one, else random pixels."""
    if data_path is not None and Path(data_path).is_file():
        x = artifacts.load(data_path, "data")["x_test"][:n]
        if len(x):
            return x, f"{len(x)} test images of {data_path}"
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8), f"{n} random images"


def _history_of(model_file: Path) -> dict[str, Any] | None:
    """The history beside the model, unless it records another model's SHA-256
    (a later training run that did not finish writing, a file copied in)."""
    hist_file = layout.history_for(model_file)
    if not hist_file.is_file():
        return None
    try:
        hist = artifacts.load_history(hist_file)
    except ArtifactError:
        return None
    made = hist.get("keras_model")
    if isinstance(made, dict) and made.get("sha256") != artifacts.file_sha256(model_file):
        return None
    return hist


def trained_with_flips(hist: dict[str, Any] | None) -> bool:
    """Whether the run a history records trained with flips, so that its model predicts mirror-averaged."""
    return bool(hist and hist.get("params", {}).get("flips"))


def _model_identity(model: Any, model_file: Path, hist: dict[str, Any] | None) -> tuple[str, str]:
    """Architecture and label kind, from the history beside the model or the name."""
    if hist is not None:
        return str(hist["arch"]), str(hist["labels"])
    arch, labels = layout.parse_model_name(model_file)
    if model.name in models.ARCHITECTURES:
        arch = model.name
    return (arch if arch in models.ARCHITECTURES else models.DEFAULT_ARCH), labels.value


def model_provenance(model_file: Path, hist: dict[str, Any] | None) -> dict[str, Any]:
    """The .keras file's SHA-256, plus what it was trained on and the seed, as
    its history recorded them (only a history that names this very file)."""
    trained = artifacts.provenance_of(hist) if hist is not None and isinstance(hist.get("keras_model"), dict) else None
    prov = artifacts.provenance({"keras": model_file}, trained.get("seed") if trained else None)
    if trained and isinstance(trained.get("inputs"), dict):
        prov["inputs"].update(trained["inputs"])
    if trained and isinstance(trained.get("training"), dict):  # backend, device and versions it trained with
        prov["training"] = trained["training"]
    return prov


def export(
    model_file: Path,
    out: Path | None = None,
    layer: str = models.DEFAULT_LAYER,
    data_path: Path | None = None,
    tolerance: float = TOLERANCE,
) -> ExportResult:
    """Export a .keras model to ONNX, check it and compare it with Keras.

    Always with TensorFlow and tf2onnx on the CPU, whichever backend trained
    the model (the .keras format is the same); where this process already
    runs Keras on another backend, in a new Python process."""
    try:
        runtime = backends.activate(backends.Backend.tensorflow, backends.Device.cpu)
    except backends.BackendError:
        return _export_in_subprocess(model_file, out, layer, data_path, tolerance)
    with runtime.scope():
        return _export(model_file, out, layer, data_path, tolerance)


_CHILD = """
import json, sys
from dataclasses import asdict
from fmtwist_cli.network import export
from fmtwist_cli import errors
try:
    result = export.export(*json.loads(sys.argv[1]))
except errors.FmtwistError as exc:
    print(json.dumps({"error": type(exc).__name__, "message": str(exc)}))
    sys.exit(1)
print(json.dumps({"result": asdict(result) | {"path": str(result.path)}}))
"""


def _export_in_subprocess(
    model_file: Path, out: Path | None, layer: str, data_path: Path | None, tolerance: float
) -> ExportResult:
    args = [
        str(model_file),
        None if out is None else str(out),
        layer,
        None if data_path is None else str(data_path),
        tolerance,
    ]
    env = {**os.environ, "KERAS_BACKEND": backends.Backend.tensorflow.value}
    done = subprocess.run([sys.executable, "-c", _CHILD, json.dumps(args)], capture_output=True, text=True, env=env)
    try:
        answer = json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        reason = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit code {done.returncode}"
        raise FmtwistError(f"exporting {model_file} in a TensorFlow process failed ({reason[:200]})") from None
    if "error" in answer:
        raise getattr(errors, answer["error"], FmtwistError)(answer["message"])
    return ExportResult(**(answer["result"] | {"path": Path(answer["result"]["path"])}))


def _export(model_file: Path, out: Path | None, layer: str, data_path: Path | None, tolerance: float) -> ExportResult:
    import onnx

    from fmtwist_cli.encode import embedding

    model_file = Path(model_file)
    out = Path(out) if out is not None else onnx_path_for(model_file)
    model = modelfiles.load_model(model_file)
    hist = _history_of(model_file)
    mirrored = trained_with_flips(hist)
    head = two_headed(model, layer, str(model_file), mirrored)
    arch, labels = _model_identity(model, model_file, hist)
    n_classes = int(model.outputs[0].shape[-1])
    embedding_dim = int(np.prod(model.get_layer(layer).output.shape[1:]))
    proto = stable_names(to_onnx(head))
    meta = metadata(arch, labels, n_classes, layer, embedding_dim, model_file)
    if mirrored:
        meta["probs"] = "the mean of the softmax on the image and on its mirror image (trained with flips)"
    meta["provenance"] = json.dumps(model_provenance(model_file, hist))
    for key, value in meta.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    proto.producer_name = "fmtwist"
    proto.producer_version = __version__
    try:
        onnx.checker.check_model(proto)
    except onnx.checker.ValidationError as exc:
        raise ArtifactError(f"the ONNX export of {model_file} fails onnx.checker: {str(exc).splitlines()[0]}") from None
    images, source = sample_images(data_path)
    x = trainingdata.scale(images)
    keras_out = head.predict(feeding.batches(x, None, 256, backends.Backend.tensorflow), verbose=0)
    serialized = proto.SerializeToString()
    with artifacts.atomic_path(out) as tmp:
        tmp.write_bytes(serialized)
        ort_out = embedding.predict(tmp, images, batch_size=256)
        diffs = {
            name: float(np.max(np.abs(np.asarray(keras_out[name]).reshape(len(images), -1) - ort_out[name])))
            for name in OUTPUTS
        }
        worst = max(diffs.values())
        if not worst <= tolerance:  # also catches NaN
            raise ArtifactError(
                f"Keras and onnxruntime disagree on {source}: "
                f"largest absolute difference {worst:.3g} > {tolerance:g}; {out} not written"
            )
        # Recorded so the report can show the measured difference, not just the limit.
        meta["keras_max_abs_diff"] = f"{worst:.3g}"
        entry = proto.metadata_props.add()
        entry.key, entry.value = "keras_max_abs_diff", meta["keras_max_abs_diff"]
        tmp.write_bytes(proto.SerializeToString())
    return ExportResult(out, meta, worst, diffs, len(images), source, embedding_dim)
