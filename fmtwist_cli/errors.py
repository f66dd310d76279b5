"""fmtwist's own exceptions: each message is written for the user and printed
as one line by ``cli.app.main()``."""

from __future__ import annotations

from collections.abc import Callable


class FmtwistError(Exception):
    """A problem the user can fix: bad input, a missing file, a bad option."""


class DataError(FmtwistError):
    """An input data file (IDX, CSV, npz source, twist file) is unusable."""


class ArtifactError(FmtwistError):
    """An fmtwist artifact is missing, malformed or cannot be written."""


class ParameterError(FmtwistError, ValueError):
    """A step's parameter has a value it does not take.

    The message names each parameter as the caller wrote it: a notebook user reads
    ``eps must be > 0``, and the command line, which renders the same error with
    its own names, prints ``--eps must be > 0``. ``template`` holds one ``{}`` per
    name in ``params``.
    """

    def __init__(self, template: str, *params: str) -> None:
        self.template, self.params = template, params
        super().__init__(self.render(str))

    def render(self, name: Callable[[str], str]) -> str:
        # Not str.format: the rest of the message may hold a user's text (a path with braces) as it is.
        pieces = self.template.split("{}", len(self.params))
        names = [name(p) for p in self.params] + [""] * (len(pieces) - 1 - len(self.params))
        return "".join(piece + text for piece, text in zip(pieces, [*names, ""]))
