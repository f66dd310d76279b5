from pathlib import Path
from typing import Annotated, Optional

import typer

from fmtwist_cli import artifacts, embedding
from fmtwist_cli.commands import _ui
from fmtwist_cli.commands._options import ArtifactsDir, JsonOpt


def embed(
    model: Annotated[Optional[Path], typer.Option(help="ONNX model from export. Default: ARTIFACTS/model-custom.onnx.")] = None,
    split: Annotated[str, typer.Option(help="Which images: test, train or all (train then test).")] = "test",
    batch_size: Annotated[int, typer.Option(help="Images per onnxruntime call.")] = 256,
    threads: Annotated[Optional[int], typer.Option(help="onnxruntime intra-op threads. Default: one per core.")] = None,
    data: Annotated[Optional[Path], typer.Option(help="Dataset from prepare. Default: ARTIFACTS/data.npz.")] = None,
    out: Annotated[Optional[Path], typer.Option(help="Output file. Default: ARTIFACTS/embeddings.npz.")] = None,
    artifacts_dir: ArtifactsDir = Path("artifacts"),
    as_json: JsonOpt = False,
) -> None:
    """Classify and embed a split with onnxruntime: artifacts/embeddings.npz.

    Writes each image's embedding, class probabilities, predicted class, true
    mystery label, row index into data.npz and split; prints the accuracy,
    per-class accuracy and confusion matrix. Never loads TensorFlow.

    Example:

        fmtwist embed                                   # test split, model-custom.onnx
        fmtwist embed --split all --out artifacts/embeddings-all.npz
        fmtwist embed --model artifacts/model-default.onnx --threads 2 --json
    """
    model_path = model or artifacts_dir / "model-custom.onnx"
    out_path = out or artifacts_dir / "embeddings.npz"
    with _ui.progress("Embedding", unit="images") as advance:
        result, score = embedding.embed(model_path, data or artifacts_dir / "data.npz", split, batch_size, threads, progress=lambda n, total: advance(n, total))
    artifacts.save(result, out_path)
    k = result.meta["n_classes"]
    report = {
        "model": str(model_path),
        "arch": result.meta["arch"],
        "layer": result.meta["layer"],
        "split": split,
        "images": result.rows(),
        "embedding_dim": int(result["embedding"].shape[1]),
        **score,
        "written": str(out_path),
    }
    if as_json:
        _ui.print_json(report)
        return
    con = _ui.out()
    con.print(f"{report['images']} {split} images through {model_path} ({report['arch']}); embedding = layer '{report['layer']}', {report['embedding_dim']} values")
    con.print(f"Accuracy (onnxruntime): {score['accuracy']:.4f}")
    _ui.table(
        "Per-class accuracy and confusion matrix (rows: true class, columns: predicted)",
        ["class", "accuracy", *[f"pred {c}" for c in range(k)]],
        [[c, "-" if acc is None else f"{acc:.4f}", *score["confusion"][c]] for c, acc in enumerate(score["per_class_accuracy"])],
    )
    con.print(f"wrote {out_path}")
