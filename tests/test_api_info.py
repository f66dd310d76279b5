"""fmtwist_cli.info(path): the library twin of `fmtwist info`, with the same summary as its --json."""

from __future__ import annotations

import json

import pytest
from helpers import write_embeddings

import fmtwist_cli
from fmtwist_cli.cli.app import main
from fmtwist_cli.errors import FmtwistError


def test_info_summary_is_what_the_command_prints(tmp_path, capsys):
    path = write_embeddings(tmp_path / "art")
    capsys.readouterr()
    assert main(["info", str(path), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    result = fmtwist_cli.info(path)
    assert result.path is None and result.summary == printed
    assert printed["kind"] == "embeddings" and "embedding" in printed["arrays"]


def test_info_of_a_missing_file_is_our_error(tmp_path):
    with pytest.raises(FmtwistError, match="missing.npz"):
        fmtwist_cli.info(tmp_path / "missing.npz")
