from pathlib import Path
from typing import Annotated

import typer

from fmtwist_cli import artifacts
from fmtwist_cli.cli import ui as _ui
from fmtwist_cli.cli.options import JsonOpt


def info(
    path: Annotated[Path, typer.Argument(help="An artifact: .npz, .json, .onnx or .keras.")],
    as_json: JsonOpt = False,
) -> None:
    """Show what an artifact is: its kind, how it was made, what from, and its arrays.

    The provenance lists each input file with its SHA-256 (what the artifact
    was made from), the seed and the versions of fmtwist and its libraries.

    Example:

        fmtwist info artifacts/embeddings.npz
        fmtwist info artifacts/model-custom.onnx --json | jq .meta
        fmtwist info artifacts/clusters-kmeans.npz --json | jq .provenance.inputs
    """
    described = artifacts.describe(path)
    if as_json:
        _ui.print_json(described)
        return
    console = _ui.out()
    console.print(
        f"[bold]{described['path']}[/]: {described['kind']}, {described['bytes']:,} bytes, "
        f"sha256 {described['sha256'][:16]}…"
    )
    for key, value in described.get("meta", {}).items():
        console.print(f"  {key}: {value}")
    if "arrays" in described:
        _ui.table(
            None,
            ["array", "dtype", "shape"],
            [[k, v["dtype"], "×".join(map(str, v["shape"])) or "scalar"] for k, v in described["arrays"].items()],
        )
    for key in ("inputs", "outputs"):
        if key in described:
            console.print(f"  {key}: " + ", ".join(f"{n} {s}" for n, s in described[key].items()))
    if "layers" in described:
        console.print("  layers: " + ", ".join(described["layers"]))
    _print_provenance(console, described)


def _print_provenance(console, described: dict) -> None:
    prov = described.get("provenance")
    if not prov:
        console.print("  provenance: none recorded (made before fmtwist recorded it, or not by fmtwist)", markup=False)
        return
    where = f" (from {described['provenance_from']})" if "provenance_from" in described else ""
    inputs = prov.get("inputs") or {}
    console.print(f"  made from{where}:" if inputs else f"  made from{where}: no input files", markup=False)
    for role, entry in inputs.items():
        console.print(f"    {role}: {entry.get('path')}  sha256 {str(entry.get('sha256'))[:16]}…", markup=False)
    console.print(f"  seed: {prov.get('seed')}", markup=False)
    versions = prov.get("versions") or {}
    console.print("  versions: " + ", ".join(f"{name} {v}" for name, v in versions.items()), markup=False)
