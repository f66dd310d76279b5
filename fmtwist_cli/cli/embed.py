from pathlib import Path
from typing import Annotated

import typer

from fmtwist_cli.cli import ui as _ui
from fmtwist_cli.cli.options import ArtifactsDir, JsonOpt
from fmtwist_cli.encode import step
from fmtwist_cli.encode.embedding import Provider, Split


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
    result = _ui.run_step(step.embed, locals())
    summary = result.summary
    if as_json:
        _ui.print_json(summary)
        return
    con = _ui.out()
    con.print(
        f"{summary['images']} {summary['split']} images through {summary['model']} ({summary['arch']}); "
        f"embedding = layer '{summary['layer']}', {summary['embedding_dim']} values"
    )
    con.print(f"Accuracy (onnxruntime): {summary['accuracy']:.4f}")
    k = len(summary["per_class_accuracy"])
    _ui.table(
        "Per-class accuracy and confusion matrix (rows: true class, columns: predicted)",
        ["class", "accuracy", *[f"pred {c}" for c in range(k)]],
        [
            [c, "-" if acc is None else f"{acc:.4f}", *summary["confusion"][c]]
            for c, acc in enumerate(summary["per_class_accuracy"])
        ],
    )
    con.print(f"wrote {result.path}")
