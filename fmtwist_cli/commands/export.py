from fmtwist_cli.errors import FmtwistError


def export() -> None:
    """Not built yet (issue 3): this placeholder says so and exits non-zero."""
    raise FmtwistError("'fmtwist export' is not built yet (issue 3)")
