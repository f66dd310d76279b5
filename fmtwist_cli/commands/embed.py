from fmtwist_cli.errors import FmtwistError


def embed() -> None:
    """Not built yet (issue 3): this placeholder says so and exits non-zero."""
    raise FmtwistError("'fmtwist embed' is not built yet (issue 3)")
