"""The ``fmtwist`` command: one Typer app, one thin module per subcommand.

``main()`` turns fmtwist's own exceptions into one line on stderr and exit
code 1, and any other exception into one ``internal error`` line, exit 1
(``FMTWIST_DEBUG=1`` shows the traceback instead); usage errors exit 2.
"""

from __future__ import annotations

import os
import sys

import typer

from fmtwist_cli import __version__
from fmtwist_cli.cli.cluster import cluster
from fmtwist_cli.cli.embed import embed
from fmtwist_cli.cli.explore import explore
from fmtwist_cli.cli.export import export
from fmtwist_cli.cli.grade import grade
from fmtwist_cli.cli.info import info
from fmtwist_cli.cli.inspect import inspect
from fmtwist_cli.cli.plot import app as plot
from fmtwist_cli.cli.prepare import prepare
from fmtwist_cli.cli.reduce import reduce
from fmtwist_cli.cli.report import report
from fmtwist_cli.cli.train import train
from fmtwist_cli.cli.ui import flag
from fmtwist_cli.errors import FmtwistError, ParameterError

ORDER: list[str] = []  # command names as registered below


class _InOrder(typer.core.TyperGroup):
    """Lists commands as registered: Typer would put sub-apps (`plot`) after every command."""

    def list_commands(self, ctx) -> list[str]:
        names = super().list_commands(ctx)
        return sorted(names, key=lambda name: ORDER.index(name) if name in ORDER else len(ORDER))


app = typer.Typer(
    name="fmtwist",
    help=(
        "Solve the twisted Fashion-MNIST puzzle: "
        "prepare -> train -> export -> embed -> cluster -> reduce -> inspect/plot/report."
    ),
    cls=_InOrder,
    add_completion=False,  # `fmtwist --help` takes ~0.4 s (numpy, typer, rich): too slow to run on every Tab
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        print(f"fmtwist {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    pass


# In pipeline order, so --help reads as the workflow; `plot` is a sub-app, one command per figure.
for command in (prepare, train, export, embed, cluster, reduce, inspect, plot, report, explore, grade, info):
    if isinstance(command, typer.Typer):
        app.add_typer(command)
        ORDER.append(command.info.name)
    else:
        app.command()(command)
        ORDER.append(command.__name__)


def main(argv: list[str] | None = None) -> int:
    """Run the app; return the exit code (1 for fmtwist errors, 2 for usage)."""
    try:
        app(args=argv, prog_name="fmtwist")
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except FmtwistError as exc:
        if os.environ.get("FMTWIST_DEBUG"):
            raise
        message = exc.render(flag) if isinstance(exc, ParameterError) else str(exc)
        print(f"error: {message}", file=sys.stderr)
        return 1
    except OSError as exc:  # a file system problem our checks did not foresee
        if os.environ.get("FMTWIST_DEBUG"):
            raise
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"error: {exc.strerror or exc}{where}", file=sys.stderr)
        return 1
    except Exception as exc:  # a bug or a library failure fmtwist did not foresee: still one line
        if os.environ.get("FMTWIST_DEBUG"):
            raise
        message = " ".join(str(exc).split())
        print(
            f"error: internal error: {type(exc).__name__}: {message} (set FMTWIST_DEBUG=1 for the traceback)",
            file=sys.stderr,
        )
        return 1
    return 0
