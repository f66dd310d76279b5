from fmtwist_cli.errors import FmtwistError


def report() -> None:
    """Not built yet (issue 6): this placeholder says so and exits non-zero."""
    raise FmtwistError("'fmtwist report' is not built yet (issue 6)")
