"""Classify and embed images with an exported model, through onnxruntime.

This module never imports TensorFlow or Keras: ``fmtwist embed`` (and every
later step) runs on onnxruntime alone, reading what it needs (input scaling,
class count, layer) from the ONNX metadata written by ``fmtwist export``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

import numpy as np

from fmtwist_cli import artifacts
from fmtwist_cli.artifacts import layout
from fmtwist_cli.encode.onnxfile import INPUT_NAME, OUTPUTS, checked_onnx, reason
from fmtwist_cli.errors import ArtifactError, DataError, ParameterError
from fmtwist_cli.params import choice
from fmtwist_cli.result import Progress

DEFAULT_SCALE = 1.0 / 255.0


class Split(str, Enum):
    """Which images of data.npz: the test split, the training split, or all (train then test)."""

    test = "test"
    train = "train"
    all = "all"


class Provider(str, Enum):
    """Where onnxruntime runs: CUDA when onnxruntime-gpu offers it (auto), the CPU, or CUDA or nothing."""

    auto = "auto"
    cpu = "cpu"
    cuda = "cuda"


CPU, CUDA = "CPUExecutionProvider", "CUDAExecutionProvider"


@dataclass
class ModelInfo:
    path: Path
    meta: dict[str, str]
    input_shape: list[Any]  # e.g. ['N', 28, 28, 1]
    n_classes: int
    embedding_dim: int | None
    scale: float
    arch: str = "unknown"
    layer: str = "unknown"
    labels: str = "mystery"
    session: Any = field(default=None, repr=False)
    provider: str = CPU  # the execution provider that runs it


def _made_by(path: Path) -> str:
    if not path.name.startswith("model-"):
        return "fmtwist export"
    arch, labels = layout.parse_model_name(path)
    return f"fmtwist export --arch {arch}" + (" --labels original" if labels is layout.Labels.original else "")


def providers(provider: Provider | str = Provider.cpu) -> list[str]:
    """onnxruntime's execution providers for ``provider``; CUDA only where onnxruntime-gpu offers it."""
    import onnxruntime as ort

    wanted = choice(Provider, provider, "provider")
    available = ort.get_available_providers()
    if wanted is Provider.cuda and CUDA not in available:
        raise ParameterError(
            "{} cuda: this onnxruntime has no CUDA provider " + f"(it has {', '.join(available)}); "
            "install onnxruntime-gpu in place of onnxruntime (pip install 'fmtwist[cuda]') "
            "on a machine with an NVIDIA GPU",
            "provider",
        )
    return [CUDA, CPU] if wanted is not Provider.cpu and CUDA in available else [CPU]


def at_least_one(name: str, value: int | None) -> None:
    """A count the caller gave (threads, batch size) that must be at least 1."""
    if value is not None and value < 1:
        raise ParameterError("{} must be at least 1 " + f"(got {value})", name)


def session(onnx_path: Path, threads: int | None = None, provider: Provider | str = Provider.cpu) -> Any:
    """An onnxruntime session, with a user-facing error for anything unreadable.

    The CPU unless ``provider`` asks for CUDA: export's parity check and the
    tests compare with Keras on the CPU."""
    import onnxruntime as ort

    path = Path(onnx_path)
    if not path.exists():
        raise ArtifactError(f"ONNX model not found: {path} (run `{_made_by(path)}` first)")
    if path.is_dir():
        raise ArtifactError(f"{path} is a folder, expected an ONNX model file")
    at_least_one("threads", threads)
    chosen = providers(provider)
    model_bytes = checked_onnx(path)
    options = ort.SessionOptions()
    options.log_severity_level = 3
    options.inter_op_num_threads = 1
    if threads is not None:
        options.intra_op_num_threads = threads
    try:
        # From the checked bytes, not the path: what runs is what was checked.
        return ort.InferenceSession(model_bytes, sess_options=options, providers=chosen)
    except Exception as exc:  # onnxruntime raises its own Fail/InvalidProtobuf/InvalidGraph
        raise ArtifactError(f"{path} is not a valid ONNX model ({reason(exc)})") from None


def _dims(shape: list[Any]) -> list[Any]:
    return [d if isinstance(d, int) else "N" for d in shape]


def describe(onnx_path: Path, threads: int | None = None, provider: Provider | str = Provider.cpu) -> ModelInfo:
    """Open an exported model and check it has fmtwist's input and outputs."""
    path = Path(onnx_path)
    sess = session(path, threads, provider)
    inputs = sess.get_inputs()
    outputs = {o.name: o for o in sess.get_outputs()}
    if len(inputs) != 1:
        raise ArtifactError(
            f"{path} takes {len(inputs)} inputs; fmtwist models take one, '{INPUT_NAME}' "
            "(make it with `fmtwist export`)"
        )
    shape = _dims(list(inputs[0].shape))
    if len(shape) != 4 or shape[1:] != [28, 28, 1]:
        raise ArtifactError(
            f"{path} expects input of shape ({', '.join(map(str, shape))}), "
            "but the images are N x 28 x 28 x 1 (make the model with `fmtwist export`)"
        )
    missing = [name for name in OUTPUTS if name not in outputs]
    if missing:
        raise ArtifactError(
            f"{path} has no '{missing[0]}' output (its outputs: {', '.join(outputs)}); export it with `fmtwist export`"
        )
    meta = dict(sess.get_modelmeta().custom_metadata_map)
    probs_shape = list(outputs["probs"].shape)
    if len(probs_shape) != 2 or not isinstance(probs_shape[1], int):
        raise ArtifactError(f"{path}: output 'probs' has shape {_dims(probs_shape)}, expected N x classes")
    emb_shape = list(outputs["embedding"].shape)[1:]
    emb_dim = int(np.prod(emb_shape)) if emb_shape and all(isinstance(d, int) for d in emb_shape) else None
    try:
        scale = float(meta.get("input_scale", DEFAULT_SCALE))
    except ValueError:
        raise ArtifactError(f"{path}: metadata input_scale is not a number ({meta.get('input_scale')!r})") from None
    return ModelInfo(
        path,
        meta,
        shape,
        int(probs_shape[1]),
        emb_dim,
        scale,
        arch=meta.get("arch", "unknown"),
        layer=meta.get("layer", "unknown"),
        labels=meta.get("labels", "mystery"),
        session=sess,
        provider=sess.get_providers()[0],  # CUDA falls back to the CPU where no GPU answers
    )


def _check_images(images: np.ndarray) -> np.ndarray:
    images = np.asarray(images)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise DataError(f"images must be N x 28 x 28, got {'x'.join(map(str, images.shape))}")
    if images.dtype != np.uint8:
        raise DataError(f"images must be uint8 pixels (0-255), got {images.dtype}")
    return images


def run(
    info: ModelInfo, images: np.ndarray, batch_size: int = 256, progress: Progress | None = None
) -> dict[str, np.ndarray]:
    """Embed and classify with an opened model (see :func:`predict`)."""
    images = _check_images(images)
    at_least_one("batch_size", batch_size)
    n = len(images)
    scale = np.float32(info.scale)
    results: dict[str, np.ndarray] = {}
    for start in range(0, n, batch_size):
        batch = images[start : start + batch_size]
        x = (batch.astype(np.float32) * scale).reshape(len(batch), 28, 28, 1)
        emb, probs = info.session.run(list(OUTPUTS), {INPUT_NAME: x})
        if not results:
            results = {
                "embedding": np.empty((n, int(np.prod(emb.shape[1:]))), np.float32),
                "probs": np.empty((n, probs.shape[1]), np.float32),
            }
        results["embedding"][start : start + len(batch)] = emb.reshape(len(batch), -1)
        results["probs"][start : start + len(batch)] = probs
        if progress:
            progress(start + len(batch), n)
    if not results:
        results = {
            "embedding": np.empty((0, info.embedding_dim or 0), np.float32),
            "probs": np.empty((0, info.n_classes), np.float32),
        }
    return results


def predict(
    onnx_path: Path,
    images: np.ndarray,
    batch_size: int = 256,
    threads: int | None = None,
    progress: Progress | None = None,
) -> dict[str, np.ndarray]:
    """Embedding (float32 N x D) and class probabilities (float32 N x K) for
    uint8 N x 28 x 28 images; scaling to [0, 1] happens here."""
    return run(describe(onnx_path, threads), images, batch_size, progress)


# --------------------------------------------------------------------------
# the embed step: a split of data.npz -> embeddings.npz


def select(data: artifacts.Artifact, split: Split | str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Images, labels, row index into data.npz and split name per row."""
    split = choice(Split, split, "split")
    parts = ("train", "test") if split is Split.all else (split.value,)
    xs, ys, idx, names = [], [], [], []
    for part in parts:
        x = data[f"x_{part}"]
        xs.append(x)
        ys.append(data[f"y_{part}"])
        idx.append(np.arange(len(x), dtype=np.int64))
        names.append(np.full(len(x), part))
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(idx), np.concatenate(names).astype(str)


def confusion(labels: np.ndarray, pred: np.ndarray, n_classes: int) -> np.ndarray:
    """Rows: true class, columns: predicted class."""
    return np.bincount(labels * n_classes + pred, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def scores(labels: np.ndarray, pred: np.ndarray, n_classes: int) -> dict[str, Any]:
    matrix = confusion(labels, pred, n_classes)
    per_class = [float(matrix[c, c] / matrix[c].sum()) if matrix[c].sum() else None for c in range(n_classes)]
    accuracy = float(np.trace(matrix) / matrix.sum()) if matrix.sum() else float("nan")
    return {"accuracy": accuracy, "per_class_accuracy": per_class, "confusion": matrix.tolist()}


def embed(
    onnx_path: Path,
    data_path: Path,
    split: Split | str = Split.test,
    batch_size: int = 256,
    threads: int | None = None,
    progress: Progress | None = None,
    provider: Provider | str = Provider.auto,
) -> tuple[artifacts.Artifact, dict[str, Any]]:
    """Run the model over a split; return the embeddings artifact (not saved) and scores."""
    split = choice(Split, split, "split").value
    at_least_one("batch_size", batch_size)
    info = describe(onnx_path, threads, provider)
    data = artifacts.load(data_path, "data")
    k = data.record.n_classes
    if info.n_classes != k:
        what = "original categories" if info.labels == "original" else "classes"
        raise ArtifactError(
            f"{info.path} predicts {info.n_classes} {what} but {data_path} has {k} mystery classes; "
            "export a model trained on this data"
        )
    if info.labels == "mystery":  # its classes are the puzzle of the data it learned from
        artifacts.check_made_from(
            info,
            "data",
            data_path,
            "pass the data.npz it was trained on (--data), or train and export a model on this one",
        )
    images, labels, index, names = select(data, split)
    out = run(info, images, batch_size, progress)
    pred = out["probs"].argmax(axis=1).astype(np.int64) if len(images) else np.empty(0, np.int64)
    result = scores(labels, pred, k)
    arrays = {
        "embedding": out["embedding"],
        "probs": out["probs"],
        "pred": pred,
        "labels": labels.astype(np.int64),
        "index": index,
        "split": names,
    }
    meta = artifacts.EmbeddingsMeta(
        model=str(info.path),
        arch=info.arch,
        layer=info.layer,
        n_classes=k,
        data=str(data_path),
        split=split,
        accuracy=result["accuracy"],
        batch_size=batch_size,
        provider=info.provider,
        provenance=artifacts.provenance({"model": info.path, "data": data_path}),
    )
    return artifacts.Artifact("embeddings", arrays, meta.to_meta()), result
