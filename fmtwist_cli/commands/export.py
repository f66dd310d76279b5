from pathlib import Path
from typing import Annotated, Optional

import typer

from fmtwist_cli import export as exporting, models, training
from fmtwist_cli.commands import _ui
from fmtwist_cli.commands._options import ArtifactsDir, JsonOpt
from fmtwist_cli.errors import FmtwistError


def export(
    arch: Annotated[str, typer.Option(help="Which trained model: ARTIFACTS/model-ARCH.keras.")] = models.DEFAULT_ARCH,
    labels: Annotated[str, typer.Option(help="mystery, or original for the reference classifier (model-ARCH-original.keras).")] = "mystery",
    model: Annotated[Optional[Path], typer.Option(help="The .keras file, instead of --arch/--labels.")] = None,
    out: Annotated[Optional[Path], typer.Option(help="The .onnx file. Default: the model's path with .onnx.")] = None,
    layer: Annotated[str, typer.Option(help="Layer whose output is the 'embedding' output (e.g. dense for custom's 64 units).")] = models.DEFAULT_LAYER,
    data: Annotated[Optional[Path], typer.Option(help="Test images compared between Keras and onnxruntime. Default: ARTIFACTS/data.npz (random images if absent).")] = None,
    artifacts_dir: ArtifactsDir = Path("artifacts"),
    as_json: JsonOpt = False,
) -> None:
    """Export a trained model to ONNX: artifacts/model-ARCH.onnx.

    Input 'image' (N x 28 x 28 x 1 float32, pixels / 255); outputs 'embedding'
    (by default the Flatten layer, the notebook's encoding) and 'probs'. The
    file is checked with onnx.checker and compared with Keras on a sample; it
    is written only if the largest absolute difference is at most 1e-4.

    Example:

        fmtwist export                              # model-custom.keras -> model-custom.onnx
        fmtwist export --arch default
        fmtwist export --layer dense --out artifacts/model-custom-dense.onnx
        fmtwist export --labels original            # the reference classifier
    """
    if labels not in training.LABELS:
        raise FmtwistError(f"--labels must be one of: {', '.join(training.LABELS)} (got '{labels}')")
    model_file = model or training.model_path(artifacts_dir, arch, labels)
    result = exporting.export(model_file, out, layer, data or artifacts_dir / "data.npz")
    report = {
        "written": str(result.path),
        "arch": result.meta["arch"],
        "labels": result.meta["labels"],
        "n_classes": int(result.meta["n_classes"]),
        "layer": result.meta["layer"],
        "embedding_dim": result.embedding_dim,
        "sample": result.sample_source,
        "max_abs_diff": result.max_abs_diff,
        "diffs": result.diffs,
        "tolerance": exporting.TOLERANCE,
        "metadata": result.meta,
    }
    if as_json:
        _ui.print_json(report)
        return
    con = _ui.out()
    con.print(f"Exported {model_file} ({report['arch']}, {report['n_classes']} classes); embedding = layer '{report['layer']}', {report['embedding_dim']} values")
    con.print(
        f"Keras vs onnxruntime on {result.sample_source}: largest absolute difference {result.max_abs_diff:.2e} "
        f"(embedding {result.diffs['embedding']:.2e}, probs {result.diffs['probs']:.2e}; limit {exporting.TOLERANCE:g})"
    )
    con.print(f"wrote {result.path}")
