from pathlib import Path
from typing import Annotated

import typer

from fmtwist_cli import artifacts
from fmtwist_cli.commands import _ui
from fmtwist_cli.commands._options import JsonOpt


def info(
    path: Annotated[Path, typer.Argument(help="An artifact: .npz, .json, .onnx or .keras.")],
    as_json: JsonOpt = False,
) -> None:
    """Show what an artifact is: its kind, how it was made, and its arrays.

    Example:

        fmtwist info artifacts/embeddings.npz
        fmtwist info artifacts/model-custom.onnx --json | jq .meta
    """
    described = artifacts.describe(path)
    if as_json:
        _ui.print_json(described)
        return
    console = _ui.out()
    console.print(f"[bold]{described['path']}[/]: {described['kind']}, {described['bytes']:,} bytes, sha256 {described['sha256'][:16]}…")
    for key, value in described.get("meta", {}).items():
        console.print(f"  {key}: {value}")
    if "arrays" in described:
        _ui.table(None, ["array", "dtype", "shape"], [[k, v["dtype"], "×".join(map(str, v["shape"])) or "scalar"] for k, v in described["arrays"].items()])
    for key in ("inputs", "outputs"):
        if key in described:
            console.print(f"  {key}: " + ", ".join(f"{n} {s}" for n, s in described[key].items()))
    if "layers" in described:
        console.print("  layers: " + ", ".join(described["layers"]))
