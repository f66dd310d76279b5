"""fmtwist: solve the twisted Fashion-MNIST puzzle from the command line.

The library modules (sources, twist, artifacts, ...) never import typer or rich,
so they can be used from a notebook; the command-line layer lives in
``fmtwist_cli.cli``.
"""

__version__ = "0.1.0"
