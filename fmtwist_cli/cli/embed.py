from pathlib import Path
from typing import Annotated

import typer

from fmtwist_cli import artifacts
from fmtwist_cli.artifacts import layout
from fmtwist_cli.cli import ui as _ui
from fmtwist_cli.cli.options import ArtifactsDir, JsonOpt
from fmtwist_cli.encode import embedding
from fmtwist_cli.encode.embedding import Provider, Split
from fmtwist_cli.network import models


def embed(
    model: Annotated[
        Path | None, typer.Option(help="ONNX model from export. Default: the mystery model export wrote last.")
    ] = None,
    split: Annotated[Split, typer.Option(help="Which images: test, train or all (train then test).")] = Split.test,
    batch_size: Annotated[int, typer.Option(help="Images per onnxruntime call.")] = 256,
    threads: Annotated[int | None, typer.Option(help="onnxruntime intra-op threads. Default: one per core.")] = None,
    data: Annotated[Path | None, typer.Option(help="Dataset from prepare. Default: ARTIFACTS/data.npz.")] = None,
    out: Annotated[Path | None, typer.Option(help="Output file. Default: ARTIFACTS/embeddings.npz.")] = None,
    provider: Annotated[
        Provider, typer.Option(help="auto: CUDA where onnxruntime-gpu offers it, else the CPU.")
    ] = Provider.auto,
    artifacts_dir: ArtifactsDir = Path("artifacts"),
    as_json: JsonOpt = False,
) -> None:
    """Classify and embed a split with onnxruntime: artifacts/embeddings.npz.

    Writes each image's embedding, class probabilities, predicted class, true
    mystery label, row index into data.npz and split; prints the accuracy,
    per-class accuracy and confusion matrix. Never loads TensorFlow.

    Example:

        fmtwist embed                                   # test split, the model exported last
        fmtwist embed --split all --out artifacts/embeddings-all.npz
        fmtwist embed --model artifacts/model-default.onnx --threads 2 --json
        fmtwist embed --provider cuda                   # on the GPU (README: GPU)
    """
    files = layout.Layout(artifacts_dir)
    model_path, note = (model, None) if model else files.pick_model(".onnx", layout.Labels.mystery, models.DEFAULT_ARCH)
    out_path = out or files.embeddings
    with _ui.progress("Embedding", unit="images") as advance:
        result, score = embedding.embed(
            model_path, data or files.data, split, batch_size, threads, lambda n, total: advance(n, total), provider
        )
    if result.meta["provider"] == embedding.CUDA:
        _ui.log("onnxruntime ran on the GPU (CUDAExecutionProvider)")
    else:  # where CUDA was asked for but no GPU answered, onnxruntime fell back to the CPU
        none = embedding.CUDA not in embedding.providers(Provider.auto)
        _ui.log(
            "onnxruntime ran on the CPU" + (" (no CUDA provider: onnxruntime-gpu is not installed)" if none else "")
        )
    artifacts.save(result, out_path)
    if note:
        _ui.log(note)
    k = result.meta["n_classes"]
    report = {
        "model": str(model_path),
        "arch": result.meta["arch"],
        "layer": result.meta["layer"],
        "split": split.value,
        "provider": result.meta["provider"],
        "images": result.rows(),
        "embedding_dim": int(result["embedding"].shape[1]),
        **score,
        "written": str(out_path),
    }
    if as_json:
        _ui.print_json(report)
        return
    con = _ui.out()
    con.print(
        f"{report['images']} {split.value} images through {model_path} ({report['arch']}); "
        f"embedding = layer '{report['layer']}', {report['embedding_dim']} values"
    )
    con.print(f"Accuracy (onnxruntime): {score['accuracy']:.4f}")
    _ui.table(
        "Per-class accuracy and confusion matrix (rows: true class, columns: predicted)",
        ["class", "accuracy", *[f"pred {c}" for c in range(k)]],
        [
            [c, "-" if acc is None else f"{acc:.4f}", *score["confusion"][c]]
            for c, acc in enumerate(score["per_class_accuracy"])
        ],
    )
    con.print(f"wrote {out_path}")
