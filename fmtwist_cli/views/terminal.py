"""Image grids as text: Unicode half blocks (two pixel rows per character, so
an image is 28 columns by 14 rows) for a colour terminal, and a plain
character ramp of the same shape for anything else.

This module returns plain data and strings; the command layer turns the
half-block runs into Rich text.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fmtwist_cli.views.images import MAX_PER_ROW

ASCII_RAMP = " .:-=+*#%@"  # dark to bright, like the images (light garment on black)
CELL_WIDTH = 28  # characters per image in the terminal
CELL_HEIGHT = 14  # character rows per image: two pixel rows each
GAP = 2  # characters between images


def fit_per_row(width: int | None, most: int = MAX_PER_ROW) -> int:
    """Images per grid row that fit a terminal ``width`` (None: no limit)."""
    if width is None:
        return most
    return max(1, min(most, (width + GAP) // (CELL_WIDTH + GAP)))


@dataclass
class Band:
    """One row of the grid: captions over a strip of pixels.

    ``pixels`` is 28 pixel rows by (images x 28 + gaps) columns; -1 marks the
    gaps between images.
    """

    captions: list[str]
    wrong: list[bool]
    pixels: np.ndarray

    def caption_line(self) -> str:
        return (" " * GAP).join(c[:CELL_WIDTH].ljust(CELL_WIDTH) for c in self.captions).rstrip()


def bands(
    images: np.ndarray, captions: list[str], wrong: list[bool] | None = None, per_row: int = MAX_PER_ROW
) -> list[Band]:
    wrong = wrong or [False] * len(captions)
    out = []
    for start in range(0, len(images), per_row):
        chunk = images[start : start + per_row]
        width = len(chunk) * CELL_WIDTH + (len(chunk) - 1) * GAP
        strip = np.full((28, width), -1, dtype=np.int16)
        for i, img in enumerate(chunk):
            left = i * (CELL_WIDTH + GAP)
            strip[:, left : left + 28] = img
        out.append(Band(captions[start : start + per_row], wrong[start : start + per_row], strip))
    return out


def ascii_lines(band: Band) -> list[str]:
    """The band as plain text: caption, then 14 rows of the character ramp."""
    lines = [band.caption_line()]
    steps = len(ASCII_RAMP)
    for r in range(0, 28, 2):
        top, bottom = band.pixels[r], band.pixels[r + 1]
        mean = (top.astype(np.int32) + bottom) / 2
        chars = [" " if t < 0 else ASCII_RAMP[min(steps - 1, int(m * steps / 256))] for t, m in zip(top, mean)]
        lines.append("".join(chars).rstrip())
    return lines


Run = tuple[str, "int | None", "int | None"]  # text, top grey (foreground), bottom grey (background)


def half_block_runs(band: Band, levels: int = 256) -> list[list[Run]]:
    """The band's 14 character rows as runs of "▀" sharing one colour pair:
    the foreground paints the upper pixel, the background the lower one.
    Gaps are runs of spaces with no colour. ``levels`` < 256 rounds the greys
    so that neighbouring cells merge into fewer runs."""
    step = 256 // levels
    rows: list[list[Run]] = []
    for r in range(0, 28, 2):
        runs: list[list] = []
        for t, b in zip(band.pixels[r].tolist(), band.pixels[r + 1].tolist()):
            key = (None, None) if t < 0 else (t // step * step, b // step * step)
            if runs and (runs[-1][1], runs[-1][2]) == key:
                runs[-1][0] += 1
            else:
                runs.append([1, *key])
        rows.append([((" " if fg is None else "▀") * count, fg, bg) for count, fg, bg in runs])
    return rows
