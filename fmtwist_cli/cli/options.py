"""Options shared by several commands, defined once."""

from pathlib import Path
from typing import Annotated

import typer

ArtifactsDir = Annotated[
    Path,
    typer.Option("--artifacts", "-a", help="Folder for reading and writing artifacts.", envvar="FMTWIST_ARTIFACTS"),
]
# NumPy, scikit-learn and Keras all take seeds in 0 .. 2**32 - 1.
SeedOpt = Annotated[int | None, typer.Option("--seed", min=0, max=2**32 - 1, help="Random seed, for a repeatable run.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout instead of tables.")]
