from fmtwist_cli.errors import FmtwistError


def inspect() -> None:
    """Not built yet (issue 5): this placeholder says so and exits non-zero."""
    raise FmtwistError("'fmtwist inspect' is not built yet (issue 5)")
