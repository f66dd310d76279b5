"""The image grid: rows of 28x28 images, each row named on its left or each image captioned above.

One figure for every grid: `fmtwist plot grid` (a row per class or cluster), the report's classes (typical,
borderline, sub-groups) and `fmtwist inspect --png` (a selection wrapped into rows, every image captioned).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from fmtwist_cli.views.figures import new_figure
from fmtwist_cli.views.palette import WRONG

NAME_WIDTH = 1.6  # inches for the row names, beside images of one inch


def wrap(images: np.ndarray, per_row: int) -> list[tuple[str, np.ndarray]]:
    """A flat run of images as unnamed rows of ``per_row``."""
    return [("", images[start : start + per_row]) for start in range(0, len(images), max(1, per_row))]


def grid_figure(
    rows: Sequence[tuple[str, np.ndarray]],
    title: str = "",
    n: int | None = None,
    *,
    captions: Sequence[str] | None = None,
    wrong: Sequence[bool] | None = None,
    size: tuple[float, float] | None = None,
    dpi: int = 100,
):
    """One grid row per ``(name, images)``: the name ("" for none) at its left, then up to ``n`` images (default:
    the longest row's). ``captions``, one per image in reading order, go above the images, in red where
    ``wrong``."""
    names = 1 if any(name for name, _ in rows) else 0  # a column for the row names
    cols = max(1, n or max((len(images) for _, images in rows), default=1))
    cell_w, cell_h = (1.35, 1.55) if captions else (1.0, 1.05)
    size = size or (
        cell_w * cols + (NAME_WIDTH if names else 0.3),
        cell_h * max(1, len(rows)) + (0.5 if title else 0.1),
    )
    fig = new_figure(size, dpi)
    axes = fig.subplots(max(1, len(rows)), names + cols, squeeze=False, width_ratios=[NAME_WIDTH] * names + [1] * cols)
    texts = iter(zip(captions or [], wrong or [False] * len(captions or [])))
    for (name, images), row in zip(rows, axes):
        for ax in row:
            ax.set_axis_off()
        if names:
            row[0].text(1.0, 0.5, name, ha="right", va="center", fontsize=9, transform=row[0].transAxes)
        for ax, img in zip(row[names:], images):
            ax.imshow(img, cmap="gray", vmin=0, vmax=255, interpolation="nearest")
            caption, red = next(texts, (None, False))
            if caption is not None:
                ax.set_title(_wrap_caption(caption), fontsize=7, color=WRONG if red else "black")
    if not rows:
        axes[0, 0].set_axis_off()
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def _wrap_caption(caption: str) -> str:
    head, _, rest = caption.partition(" ")
    return f"{head}\n{rest}" if rest else head
