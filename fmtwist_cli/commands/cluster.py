from fmtwist_cli.errors import FmtwistError


def cluster() -> None:
    """Not built yet (issue 4): this placeholder says so and exits non-zero."""
    raise FmtwistError("'fmtwist cluster' is not built yet (issue 4)")
