from fmtwist_cli.errors import FmtwistError


def reduce() -> None:
    """Not built yet (issue 4): this placeholder says so and exits non-zero."""
    raise FmtwistError("'fmtwist reduce' is not built yet (issue 4)")
