from pathlib import Path
from typing import Annotated

import typer

from fmtwist_cli.artifacts import layout
from fmtwist_cli.artifacts.layout import Labels
from fmtwist_cli.cli import ui as _ui
from fmtwist_cli.cli.options import ArtifactsDir, JsonOpt
from fmtwist_cli.network import export as exporting
from fmtwist_cli.network import models


def export(
    arch: Annotated[
        str | None,
        typer.Option(
            help="Which trained model: ARTIFACTS/model-ARCH.keras. Default: the one train wrote last.",
            show_default=False,
        ),
    ] = None,
    labels: Annotated[
        Labels, typer.Option(help="mystery, or original for the reference classifier (model-ARCH-original.keras).")
    ] = Labels.mystery,
    model: Annotated[Path | None, typer.Option(help="The .keras file, instead of --arch/--labels.")] = None,
    out: Annotated[Path | None, typer.Option(help="The .onnx file. Default: the model's path with .onnx.")] = None,
    layer: Annotated[
        str, typer.Option(help="Layer whose output is the 'embedding' output (e.g. dense for custom's 64 units).")
    ] = models.DEFAULT_LAYER,
    data: Annotated[
        Path | None,
        typer.Option(
            help="Test images compared between Keras and onnxruntime. "
            "Default: ARTIFACTS/data.npz (random images if absent)."
        ),
    ] = None,
    artifacts_dir: ArtifactsDir = Path("artifacts"),
    as_json: JsonOpt = False,
) -> None:
    """Export a trained model to ONNX: artifacts/model-ARCH.onnx.

    With no --arch or --model it exports the model `fmtwist train` wrote last
    (with --labels original, the newest model-*-original.keras).

    Input 'image' (N x 28 x 28 x 1 float32, pixels / 255); outputs 'embedding'
    (by default the Flatten layer, the notebook's encoding) and 'probs'. The
    file is checked with onnx.checker and compared with Keras on a sample; it
    is written only if the largest absolute difference is at most 1e-4.

    Example:

        fmtwist export                              # the model trained last
        fmtwist export --arch default
        fmtwist export --layer dense --out artifacts/model-custom-dense.onnx
        fmtwist export --labels original            # the reference classifier
    """
    files, note = layout.Layout(artifacts_dir), None
    if model is not None:
        model_file = model
    elif arch is not None:
        model_file = files.model(arch, labels)
    else:
        model_file, note = files.pick_model(".keras", labels, models.DEFAULT_ARCH)
    result = exporting.export(model_file, out, layer, data or files.data)
    if note:
        _ui.log(note)
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
    con.print(
        f"Exported {model_file} ({report['arch']}, {report['n_classes']} classes); "
        f"embedding = layer '{report['layer']}', {report['embedding_dim']} values"
    )
    con.print(
        f"Keras vs onnxruntime on {result.sample_source}: largest absolute difference {result.max_abs_diff:.2e} "
        f"(embedding {result.diffs['embedding']:.2e}, probs {result.diffs['probs']:.2e}; limit {exporting.TOLERANCE:g})"
    )
    con.print(f"wrote {result.path}")
