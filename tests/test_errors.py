"""errors.py: a ParameterError names its parameters as the caller wrote them, and keeps the rest as it is."""

from fmtwist_cli.cli.ui import flag
from fmtwist_cli.errors import FmtwistError, ParameterError


def test_the_library_and_the_command_line_each_read_their_own_names():
    error = ParameterError("{} random needs {} N so the puzzle can be drawn again", "twist", "seed")
    assert str(error) == "twist random needs seed N so the puzzle can be drawn again"
    assert error.render(flag) == "--twist random needs --seed N so the puzzle can be drawn again"
    assert isinstance(error, FmtwistError) and isinstance(error, ValueError)


def test_braces_in_a_users_text_stay_as_they_are():
    error = ParameterError("{} needs the mystery labels, and " + "runs{2}/e.npz has none", "within_classes")
    assert error.render(flag) == "--within-classes needs the mystery labels, and runs{2}/e.npz has none"


def test_flags_follow_the_options_names():
    assert [flag(p) for p in ("eps", "min_samples", "artifacts_dir")] == ["--eps", "--min-samples", "--artifacts"]
