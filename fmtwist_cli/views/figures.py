"""Figure files and sizes: every figure is a matplotlib ``Figure`` written as PNG, SVG or PDF.

matplotlib is imported inside the functions, and only its object-oriented ``Figure`` is used (no pyplot, no
display, no global state), so figures draw headless and the same inputs give the same bytes: SVG ids come
from a fixed salt and no file records a date.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from fmtwist_cli import artifacts
from fmtwist_cli.errors import FmtwistError, ParameterError
from fmtwist_cli.result import Result

FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}
MAX_PIXELS = 100_000_000
# inches, when no size is asked for (a grid fits its rows)
DEFAULT_SIZES = {"history": (11, 11), "comparison": (15, 5), "scatter": (10, 8), "kdist": (9, 6), "confusion": (8, 7)}


def figure_format(path: str | Path) -> str:
    """png, svg or pdf from the file name; anything else is an error."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise FmtwistError(f"cannot write {path}: use a .png, .svg or .pdf file name")
    return FORMATS[suffix]


def parse_size(text: str) -> tuple[float, float]:
    """``"12x8"`` (inches) -> (12.0, 8.0)."""
    try:
        w, h = (float(v) for v in text.lower().split("x"))
    except ValueError:
        raise ParameterError("{} must be WIDTHxHEIGHT in inches, like 12x8, " + f"got '{text}'", "size") from None
    if not (0 < w <= 100 and 0 < h <= 100):
        raise ParameterError("{} must be between 0 and 100 inches each way, " + f"got '{text}'", "size")
    return w, h


def check_size(size: tuple[float, float], dpi: int) -> None:
    if not 10 <= dpi <= 1200:
        raise ParameterError("{} must be between 10 and 1200, " + f"got {dpi}", "dpi")
    if size[0] * dpi * size[1] * dpi > MAX_PIXELS:
        raise FmtwistError(f"{size[0]:g}x{size[1]:g} inches at {dpi} dpi is too large (over 100 megapixels)")


def new_figure(size: tuple[float, float], dpi: int = 100):
    from matplotlib.figure import Figure

    return Figure(figsize=size, dpi=dpi, layout="constrained")


def save_figure(fig, path: str | Path) -> Path:
    """Write the figure atomically, in the format its extension names,
    at exactly its size (no tight bounding box) and with no date in it."""
    import matplotlib

    fmt = figure_format(path)
    metadata = {"png": {"Software": None}, "svg": {"Date": None}, "pdf": {"CreationDate": None, "ModDate": None}}
    with matplotlib.rc_context({"svg.hashsalt": "fmtwist", "svg.fonttype": "path", "pdf.fonttype": 42}):
        return artifacts.write_bytes(path, lambda fh: fig.savefig(fh, format=fmt, metadata=metadata[fmt]))


def check_options(out: str | os.PathLike | None, size: str | None, dpi: int) -> tuple[float, float] | None:
    """A plot step's figure options, checked before any work: the size asked for, if any."""
    if out is not None:
        figure_format(out)
    fig_size = parse_size(size) if size else None
    check_size(fig_size or (1, 1), dpi)
    return fig_size


def finish(
    kind: str, fig, name: str, facts: dict[str, Any], out: str | os.PathLike | None, folder: Path, dpi: int
) -> Result:
    """Write a plot step's figure (``out``, or NAME.png in ``folder``); its summary: the file, its pixels, ``facts``."""
    check_size(tuple(fig.get_size_inches()), dpi)
    path = Path(save_figure(fig, Path(out) if out is not None else folder / f"{name}.png"))
    width, height = (int(v * dpi) for v in fig.get_size_inches())  # as Agg rounds
    summary = {"kind": kind, "written": str(path), "width": width, "height": height, **facts}
    return Result(path, summary, figure=fig, paths=[path])
