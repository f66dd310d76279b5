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
    line = _ui.say
    line(
        (described["path"], "bold"),
        f": {described['kind']}, {described['bytes']:,} bytes, sha256 {described['sha256'][:16]}…",
    )
    for key, value in described.get("meta", {}).items():
        line(f"  {_one_line(key)}: {_one_line(value)}")
    if "arrays" in described:
        _ui.table(
            None,
            ["array", "dtype", "shape"],
            [[k, v["dtype"], "×".join(map(str, v["shape"])) or "scalar"] for k, v in described["arrays"].items()],
        )
    for key in ("inputs", "outputs"):
        if key in described:
            line(f"  {key}: " + ", ".join(f"{_one_line(n)} {s}" for n, s in described[key].items()))
    if "layers" in described:
        line("  layers: " + ", ".join(map(_one_line, described["layers"])))
    _print_provenance(described)


def _one_line(value) -> str:
    """A value from the file on one line: its line breaks shown as escapes, so it cannot pose as another line."""
    return _ui.literal(value, lines=False)


def _print_provenance(described: dict) -> None:
    line = _ui.say
    prov = described.get("provenance")
    if not prov:
        line("  provenance: none recorded (made before fmtwist recorded it, or not by fmtwist)")
        return
    where = f" (from {described['provenance_from']})" if "provenance_from" in described else ""
    inputs = prov.get("inputs") or {}
    line(f"  made from{where}:" if inputs else f"  made from{where}: no input files")
    for role, entry in inputs.items():
        line(
            f"    {_one_line(role)}: {_one_line(entry.get('path'))}  sha256 {_one_line(str(entry.get('sha256'))[:16])}…"
        )
    line(f"  seed: {_one_line(prov.get('seed'))}")
    versions = prov.get("versions") or {}
    line("  versions: " + ", ".join(f"{_one_line(name)} {_one_line(v)}" for name, v in versions.items()))
