"""Keras -> ONNX: one input ``image`` and two outputs, ``embedding`` (an inner
layer, by default the flattened feature map the notebook used as its
encoding) and ``probs`` (the softmax).

The metadata carries what ``embed`` needs to use the file alone: the
architecture, the class count, the layer, the input scaling and fmtwist's
version. Every export is checked (``onnx.checker``) and compared with Keras on
a sample; the file is only written when both pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from fmtwist_cli import __version__, artifacts, models, training
from fmtwist_cli.errors import ArtifactError, FmtwistError

INPUT_NAME = "image"
OUTPUTS = ("embedding", "probs")
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


def two_headed(model: Any, layer: str, where: str = "the model") -> Any:
    """A Keras model with the same input and outputs {embedding, probs}."""
    keras = models.import_keras()
    names = layer_names(model)
    if layer not in names:
        raise FmtwistError(f"no layer '{layer}' in {where}; valid layers: {', '.join(names)}")
    return keras.Model(model.inputs, {"embedding": model.get_layer(layer).output, "probs": model.outputs[0]}, name=f"{model.name}_two_headed")


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


def _model_identity(model: Any, model_file: Path) -> tuple[str, str]:
    """Architecture and label kind, from the history beside the model or the name."""
    hist_file = training.history_path_for(model_file)
    if hist_file.is_file():
        try:
            hist = artifacts.load_history(hist_file)
            return str(hist["arch"]), str(hist["labels"])
        except ArtifactError:
            pass
    arch, labels = training.arch_labels_from_name(model_file)
    return (model.name if model.name in models.ARCHITECTURES else arch), labels


def export(model_file: Path, out: Path | None = None, layer: str = models.DEFAULT_LAYER, data_path: Path | None = None, tolerance: float = TOLERANCE) -> ExportResult:
    """Export a .keras model to ONNX, check it and compare it with Keras."""
    import onnx

    from fmtwist_cli import embedding

    model_file = Path(model_file)
    out = Path(out) if out is not None else onnx_path_for(model_file)
    model = training.load_model(model_file)
    head = two_headed(model, layer, str(model_file))
    arch, labels = _model_identity(model, model_file)
    n_classes = int(model.outputs[0].shape[-1])
    embedding_dim = int(np.prod(model.get_layer(layer).output.shape[1:]))
    proto = to_onnx(head)
    meta = metadata(arch, labels, n_classes, layer, embedding_dim, model_file)
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
    x = training.scale(images)
    keras_out = head.predict(x, batch_size=256, verbose=0)
    serialized = proto.SerializeToString()
    with artifacts.atomic_path(out) as tmp:
        tmp.write_bytes(serialized)
        ort_out = embedding.predict(tmp, images, batch_size=256)
        diffs = {name: float(np.max(np.abs(np.asarray(keras_out[name]).reshape(len(images), -1) - ort_out[name]))) for name in OUTPUTS}
        worst = max(diffs.values())
        if not worst <= tolerance:  # also catches NaN
            raise ArtifactError(
                f"Keras and onnxruntime disagree on {source}: largest absolute difference {worst:.3g} > {tolerance:g}; {out} not written"
            )
        # Recorded so the report can show the measured difference, not just the limit.
        meta["keras_max_abs_diff"] = f"{worst:.3g}"
        entry = proto.metadata_props.add()
        entry.key, entry.value = "keras_max_abs_diff", meta["keras_max_abs_diff"]
        tmp.write_bytes(proto.SerializeToString())
    return ExportResult(out, meta, worst, diffs, len(images), source, embedding_dim)
