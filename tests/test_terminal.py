"""terminal.py: the image grid as half blocks and as a plain character ramp."""

from __future__ import annotations

import numpy as np
import pytest

from fmtwist_cli.views import terminal


@pytest.mark.parametrize("width, expected", [(None, 10), (20, 1), (80, 2), (200, 6), (1000, 10)])
def test_fit_per_row(width, expected):
    assert terminal.fit_per_row(width) == expected


def test_bands_shape():
    imgs = np.zeros((7, 28, 28), dtype=np.uint8)
    bands = terminal.bands(imgs, [f"#{i}" for i in range(7)], per_row=3)
    assert [len(b.captions) for b in bands] == [3, 3, 1]
    assert bands[0].pixels.shape == (28, 3 * 28 + 2 * terminal.GAP)
    assert (bands[0].pixels[:, 28:30] == -1).all() and (bands[0].pixels[:, :28] == 0).all()


def test_ascii_lines_shape_and_ramp():
    imgs = np.stack(
        [
            np.full((28, 28), 255, np.uint8),
            np.zeros((28, 28), np.uint8),
            np.tile(np.arange(0, 256, 256 / 28).astype(np.uint8), (28, 1)),
        ]
    )
    band = terminal.bands(imgs, ["white", "black", "ramp"], per_row=3)[0]
    lines = terminal.ascii_lines(band)
    assert len(lines) == 1 + terminal.CELL_HEIGHT
    assert lines[0] == "white" + " " * 25 + "black" + " " * 25 + "ramp"
    for line in lines[1:]:
        assert len(line) == 3 * 28 + 2 * terminal.GAP
        assert line[:28] == "@" * 28 and line[28:60].strip() == ""
        ramp = line[60:]
        assert ramp[0] == " " and ramp[-1] == "@"
        assert [terminal.ASCII_RAMP.index(c) for c in ramp] == sorted(terminal.ASCII_RAMP.index(c) for c in ramp)


def test_half_block_runs_encode_two_pixel_rows_per_character():
    rng = np.random.default_rng(0)
    imgs = rng.integers(0, 256, (2, 28, 28), dtype=np.uint8)
    band = terminal.bands(imgs, ["a", "b"], per_row=2)[0]
    rows = terminal.half_block_runs(band)
    assert len(rows) == terminal.CELL_HEIGHT
    for r, runs in enumerate(rows):
        cells = [(fg, bg) for text, fg, bg in runs for _ in text]
        assert "".join(text for text, _, _ in runs) == "▀" * 28 + " " * terminal.GAP + "▀" * 28
        for c, (fg, bg) in enumerate(cells):
            if 28 <= c < 30:
                assert fg is None and bg is None
            else:
                img, col = divmod(c, 30)
                assert (fg, bg) == (imgs[img][2 * r, col], imgs[img][2 * r + 1, col])


def test_half_block_runs_merge_equal_neighbours():
    band = terminal.bands(np.zeros((1, 28, 28), np.uint8), ["x"])[0]
    assert terminal.half_block_runs(band)[0] == [("▀" * 28, 0, 0)]
