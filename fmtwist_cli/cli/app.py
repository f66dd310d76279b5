"""The ``fmtwist`` command: one Typer app, one thin module per subcommand.

The root group lists the commands from :data:`~fmtwist_cli.cli.commands.COMMANDS` and imports a command's
module (``fmtwist_cli.cli.<name>``) only when that command runs, or its own
``--help`` or completion is asked: ``fmtwist --help`` and a shell's Tab load no
NumPy and no step. (The console script, :func:`fmtwist_cli.cli.listing.main`, draws
``fmtwist --help`` itself, in this app's layout, and hands every other command line to
:func:`main` here.)

``main()`` turns fmtwist's own exceptions into one line on stderr and exit
code 1, and any other exception into one ``internal error`` line, exit 1
(``FMTWIST_DEBUG=1`` shows the traceback instead); usage errors exit 2.
"""

from __future__ import annotations

import importlib
import os
import sys
import types

import typer

from fmtwist_cli import __version__
from fmtwist_cli.cli.commands import COMMANDS, HELP, SUB_APPS, VERSION_HELP
from fmtwist_cli.errors import FmtwistError, ParameterError


class _Listed(typer.core.TyperCommand):
    """A command as `fmtwist --help` and completion list it: its name and help, its module not imported."""


class _Lazy(typer.core.TyperGroup):
    """The root group: every command listed (and typos suggested) from COMMANDS, each loaded when it is resolved."""

    def __init__(self, **attrs) -> None:
        super().__init__(**attrs)
        self.commands.update({name: _Listed(name=name, help=text) for name, text in COMMANDS.items()})

    def resolve_command(self, ctx, args):
        name, command, rest = super().resolve_command(ctx, args)
        if isinstance(command, _Listed):
            command = self.commands[name] = load(name)
        return name, command, rest

    def get_params(self, ctx):
        # Typer coerces a value through pydantic (0.2 s to import) unless it is a bool already, and a shell's Tab
        # parses the root's flags that default to None (--help, --install-completion, --show-completion): as False,
        # they read the same and listing the commands imports no pydantic.
        params = super().get_params(ctx)
        for param in params:
            if getattr(param, "is_flag", False) and param.default is None:
                param.default = False
        return params

    def format_help(self, ctx, formatter) -> None:
        _import_typer_help()
        super().format_help(ctx, formatter)


# typer.rich_utils, which draws the help, imports rich.markdown (markdown_it) and rich.traceback at the top for
# markdown help and pretty tracebacks: fmtwist uses neither, and they are about 0.1 s of `fmtwist --help`.
DEFERRED = {"rich.markdown": "Markdown", "rich.traceback": "Traceback"}


class _Deferred(type):
    """A class standing in for a rich one while typer.rich_utils loads: the real class is imported on first use."""

    def _real(cls) -> type:
        return getattr(importlib.import_module(cls.__module__), cls.__name__)

    def __call__(cls, *args, **kwargs):
        return cls._real()(*args, **kwargs)

    def __getattr__(cls, name: str):
        return getattr(cls._real(), name)


def _import_typer_help() -> None:
    """Import typer.rich_utils with stand-ins for the DEFERRED modules, then take the stand-ins out of sys.modules,
    so that whoever imports those modules later gets the real ones."""
    if "typer.rich_utils" in sys.modules:
        return
    placed = {}
    for module, name in DEFERRED.items():
        if module not in sys.modules:
            placed[module] = sys.modules[module] = types.ModuleType(module)
            setattr(placed[module], name, _Deferred(name, (), {"__module__": module}))
    try:
        importlib.import_module("typer.rich_utils")
    except ImportError:
        pass  # a Typer that takes more from them: it imports rich_utils itself, as it is, when it draws the help
    finally:
        for module, stand_in in placed.items():
            if sys.modules.get(module) is stand_in:
                del sys.modules[module]


app = typer.Typer(
    name="fmtwist",
    help=HELP,
    cls=_Lazy,
    add_completion=True,  # fmtwist --install-completion: a Tab starts up as fast as --help
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def load(name: str) -> typer.core.TyperCommand | typer.core.TyperGroup:
    """The command ``name``, its module imported, as Typer builds it for ``app.command()`` (``app.add_typer()`` for
    a sub-app)."""
    module = importlib.import_module(f"{__package__}.{name}")
    holder = typer.Typer(rich_markup_mode=app.rich_markup_mode, pretty_exceptions_short=app.pretty_exceptions_short)
    if name in SUB_APPS:
        holder.add_typer(module.app)
    else:
        holder.command()(getattr(module, name))
    return typer.main.get_group(holder).commands[name]


def _version(value: bool) -> None:
    if value:
        print(f"fmtwist {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help=VERSION_HELP),
) -> None:
    pass


def main(argv: list[str] | None = None) -> int:
    """Run the app; return the exit code (1 for fmtwist errors, 2 for usage)."""
    if os.environ.get("_FMTWIST_COMPLETE"):  # a shell's Tab (Click's _PROG_COMPLETE): it lists help texts too
        _import_typer_help()
    try:
        app(args=argv, prog_name="fmtwist")
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except FmtwistError as exc:
        if os.environ.get("FMTWIST_DEBUG"):
            raise
        if isinstance(exc, ParameterError):
            from fmtwist_cli.cli.ui import flag  # rich's progress bars: not loaded for --help

            message = exc.render(flag)
        else:
            message = str(exc)
        return _error(message)
    except OSError as exc:  # a file system problem our checks did not foresee
        if os.environ.get("FMTWIST_DEBUG"):
            raise
        where = f" ({exc.filename})" if exc.filename else ""
        return _error(f"{exc.strerror or exc}{where}")
    except Exception as exc:  # a bug or a library failure fmtwist did not foresee: still one line
        if os.environ.get("FMTWIST_DEBUG"):
            raise
        message = " ".join(str(exc).split())
        return _error(f"internal error: {type(exc).__name__}: {message} (set FMTWIST_DEBUG=1 for the traceback)")
    return 0


def _error(message: str) -> int:
    """Print ``error: MESSAGE`` on stderr as one line of the characters it holds (paths and values from users and
    files in it: control characters, line breaks among them, escaped); return the exit code, 1."""
    from fmtwist_cli.shown import literal  # loaded on an error only: --help and Tab need none of it

    print(f"error: {literal(message, lines=False)}", file=sys.stderr)
    return 1
