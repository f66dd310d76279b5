"""The embed step (``fmtwist embed``, ``Workspace.embed``): a split of data.npz through the exported model,
with onnxruntime, to embeddings.npz."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fmtwist_cli import artifacts
from fmtwist_cli.artifacts.layout import Labels, Layout
from fmtwist_cli.encode import embedding
from fmtwist_cli.encode.embedding import Provider, Split
from fmtwist_cli.network.models import DEFAULT_ARCH
from fmtwist_cli.params import choice
from fmtwist_cli.result import Log, Progress, Result, quiet, to_stderr


def ran_on(provider: str) -> str:
    """The line saying where onnxruntime ran, and why the CPU where CUDA could have been asked for."""
    if provider == embedding.CUDA:
        return "onnxruntime ran on the GPU (CUDAExecutionProvider)"
    # where CUDA was asked for but no GPU answered, onnxruntime fell back to the CPU
    none = embedding.CUDA not in embedding.providers(Provider.auto)
    return "onnxruntime ran on the CPU" + (" (no CUDA provider: onnxruntime-gpu is not installed)" if none else "")


def embed(
    folder: str | Path = "artifacts",
    *,
    model: str | Path | None = None,
    split: Split | str = Split.test,
    batch_size: int = 256,
    threads: int | None = None,
    data: str | Path | None = None,
    out: str | Path | None = None,
    provider: Provider | str = Provider.auto,
    progress: Progress = quiet,
    log: Log = to_stderr,
) -> Result:
    """Classify and embed a split with onnxruntime; write embeddings.npz. Never loads TensorFlow.

    ``model``: the ONNX model from export (default: the mystery model export wrote last). ``split``: test,
    train or all (train then test). ``provider``: auto (CUDA where onnxruntime-gpu offers it, else the CPU),
    cpu or cuda. Returns the embeddings artifact (each image's embedding, class probabilities, predicted
    class, mystery label, row index into data.npz and split); ``summary`` is what ``fmtwist embed --json``
    prints: the accuracy, per-class accuracy and confusion matrix among it.

        ws.embed(split="all", out="artifacts/embeddings-all.npz")
    """
    split, provider = choice(Split, split, "split"), choice(Provider, provider, "provider")
    files = Layout(folder)
    model_path, note = (Path(model), None) if model else files.pick_model(".onnx", Labels.mystery, DEFAULT_ARCH)
    out_path = Path(out) if out is not None else files.embeddings

    def tick(done: int, total: int | None, task: str = "", **info: Any) -> None:
        progress(done, total, "Embedding")

    emb, score = embedding.embed(
        model_path, Path(data) if data is not None else files.data, split, batch_size, threads, tick, provider
    )
    record = emb.record
    log(ran_on(record.provider))
    artifacts.save(emb, out_path)
    if note:
        log(note)
    summary: dict[str, Any] = {
        "model": str(model_path),
        "arch": record.arch,
        "layer": record.layer,
        "split": split.value,
        "provider": record.provider,
        "images": emb.rows(),
        "embedding_dim": int(emb["embedding"].shape[1]),
        **score,
        "written": str(out_path),
    }
    return Result(out_path, summary, artifact=emb, paths=[out_path])
