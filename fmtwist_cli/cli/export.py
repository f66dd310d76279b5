from pathlib import Path
from typing import Annotated

import typer

from fmtwist_cli.artifacts.layout import Labels
from fmtwist_cli.cli import ui as _ui
from fmtwist_cli.cli.options import ArtifactsDir, JsonOpt
from fmtwist_cli.network import models, step


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
    result = _ui.run_step(step.export, locals())
    report = result.summary
    if as_json:
        _ui.print_json(report)
        return
    con = _ui.out()
    con.print(
        f"Exported {report['model']} ({report['arch']}, {report['n_classes']} classes); "
        f"embedding = layer '{report['layer']}', {report['embedding_dim']} values"
    )
    diffs = report["diffs"]
    con.print(
        f"Keras vs onnxruntime on {report['sample']}: largest absolute difference {report['max_abs_diff']:.2e} "
        f"(embedding {diffs['embedding']:.2e}, probs {diffs['probs']:.2e}; limit {report['tolerance']:g})"
    )
    con.print(f"wrote {report['written']}")
