from fmtwist_cli.errors import FmtwistError


def train() -> None:
    """Not built yet (issue 3): this placeholder says so and exits non-zero."""
    raise FmtwistError("'fmtwist train' is not built yet (issue 3)")
