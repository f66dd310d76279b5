"""fmtwist's own exceptions: each message is written for the user and printed
as one line by ``cli.main()``."""


class FmtwistError(Exception):
    """A problem the user can fix: bad input, a missing file, a bad option."""


class DataError(FmtwistError):
    """An input data file (IDX, CSV, npz source, twist file) is unusable."""


class ArtifactError(FmtwistError):
    """An fmtwist artifact is missing, malformed or cannot be written."""
