from fmtwist_cli.errors import FmtwistError


def plot() -> None:
    """Not built yet (issue 5): this placeholder says so and exits non-zero."""
    raise FmtwistError("'fmtwist plot' is not built yet (issue 5)")
