"""Figures: learning curves, maps, the k-distance curve, confusion matrices and
image grids, as PNG, SVG or PDF.

The k-distance curve and its knee come from :mod:`fmtwist_cli.groups.clustering`, so
the eps marked on the figure is the one ``fmtwist cluster --eps auto`` picks.

matplotlib is imported inside the functions, and only its object-oriented
``Figure`` is used (no pyplot, no display, no global state), so figures draw
headless and the same inputs give the same bytes: SVG ids come from a fixed
salt and no file records a date.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from fmtwist_cli import artifacts
from fmtwist_cli.errors import ArtifactError, FmtwistError
from fmtwist_cli.views.images import group_name

FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}
NOISE_COLOUR = "#b0b0b0"
MAX_PIXELS = 100_000_000
MAX_LEGEND = 40  # groups named one by one in a scatter legend


# --------------------------------------------------------------------------
# figures and files


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
        raise FmtwistError(f"--size must be WIDTHxHEIGHT in inches, like 12x8, got '{text}'") from None
    if not (0 < w <= 100 and 0 < h <= 100):
        raise FmtwistError(f"--size must be between 0 and 100 inches each way, got '{text}'")
    return w, h


def check_size(size: tuple[float, float], dpi: int) -> None:
    if not 10 <= dpi <= 1200:
        raise FmtwistError(f"--dpi must be between 10 and 1200, got {dpi}")
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


def _colours(n: int) -> list:
    from matplotlib import colormaps

    # tab10 then tab20's light shades, both without their greys, which would read as noise
    palette = [colormaps["tab10"](i) for i in range(10) if i != 7] + [
        colormaps["tab20"](i) for i in range(1, 20, 2) if i != 15
    ]
    if n <= len(palette):
        return palette[:n]
    # golden-ratio steps round the map, so clusters with neighbouring numbers differ in colour
    return [colormaps["turbo"](0.05 + 0.9 * ((i * 0.6180339887) % 1.0)) for i in range(n)]


# --------------------------------------------------------------------------
# training history


def read_history(path: str | Path) -> dict[str, Any]:
    """A history-<arch>.json from `fmtwist train`, checked enough to draw."""
    hist = artifacts.load_history(path)
    epochs = hist["epochs"]
    if not epochs or not all(all(_number(e.get(k)) for k in ("epoch", "loss", "accuracy")) for e in epochs):
        raise ArtifactError(f"{path}: every epoch needs numeric epoch, loss and accuracy")
    hist["path"] = str(path)
    return hist


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _series(hist: dict, key: str) -> tuple[list[float], list[float]]:
    pts = [(e["epoch"], e[key]) for e in hist["epochs"] if _number(e.get(key))]
    return [p[0] for p in pts], [p[1] for p in pts]


def model_name(hist: dict) -> str:
    name = str(hist.get("arch", Path(hist.get("path", "model")).stem))
    return name + (" (original labels)" if hist.get("labels") == "original" else "")


def _test_accuracy(hist: dict) -> float | None:
    test = hist.get("test")
    return test.get("accuracy") if isinstance(test, dict) and _number(test.get("accuracy")) else None


def _curve(ax, hist: dict, key: str, label: str | None = None, **style) -> bool:
    x, y = _series(hist, key)
    if not x:
        return False
    ax.plot(x, y, marker="o", markersize=3, label=label, **style)
    return True


def _no_data(ax, what: str) -> None:
    ax.text(0.5, 0.5, f"no {what} in this history", ha="center", va="center", transform=ax.transAxes, color="grey")
    ax.set_yticks([])


def history_figure(hist: dict, size: tuple[float, float] = (11, 11), dpi: int = 100):
    """The notebook's six panels: train and validation loss and accuracy by
    epoch, then train against validation for each."""
    fig = new_figure(size, dpi)
    axes = fig.subplots(3, 2, sharex=True)
    for col, (metric, word) in enumerate((("loss", "Loss"), ("accuracy", "Accuracy"))):
        top, mid, low = axes[0, col], axes[1, col], axes[2, col]
        _curve(top, hist, metric, color="C0")
        top.set_title(f"Training {word.lower()}")
        if not _curve(mid, hist, f"val_{metric}", color="C1"):
            _no_data(mid, "validation data")
        mid.set_title(f"Validation {word.lower()}")
        _curve(low, hist, metric, "training", color="C0")
        _curve(low, hist, f"val_{metric}", "validation", color="C1")
        low.set_title(f"Training and validation {word.lower()}")
        low.legend()
        low.set_xlabel("Epoch")
        for ax in (top, mid, low):
            ax.set_ylabel(word)
            ax.grid(alpha=0.3)
            ax.xaxis.get_major_locator().set_params(integer=True)
    title = f"{model_name(hist)}"
    if _number(hist.get("n_params")):
        title += f" · {int(hist['n_params']):,} parameters"
    acc = _test_accuracy(hist)
    if acc is not None:
        title += f" · test accuracy {acc:.4f}"
    fig.suptitle(title)
    return fig


def comparison_figure(hists: Sequence[dict], size: tuple[float, float] = (15, 5), dpi: int = 100):
    """Several models side by side: training loss, validation loss and the
    gap between training and validation accuracy, by epoch."""
    fig = new_figure(size, dpi)
    axes = fig.subplots(1, 3, sharex=True)
    names = [model_name(h) for h in hists]
    for i, (hist, name) in enumerate(zip(hists, names)):
        if names.count(name) > 1:
            name = f"{name} [{Path(hist['path']).name}]"
        acc = _test_accuracy(hist)
        label = name + (f" (test {acc:.4f})" if acc is not None else "")
        colour = f"C{i % 10}"
        _curve(axes[0], hist, "loss", label, color=colour)
        _curve(axes[1], hist, "val_loss", label, color=colour)
        epochs = {e["epoch"]: e for e in hist["epochs"]}
        gap = [(k, e["accuracy"] - e["val_accuracy"]) for k, e in epochs.items() if _number(e.get("val_accuracy"))]
        if gap:
            axes[2].plot([g[0] for g in gap], [g[1] for g in gap], marker="o", markersize=3, label=label, color=colour)
    axes[2].axhline(0, color="black", linewidth=0.8)
    for ax, title, ylabel in zip(
        axes,
        ("Training loss", "Validation loss", "Accuracy gap (training − validation)"),
        ("Loss", "Loss", "Accuracy difference"),
    ):
        ax.set_title(title)
        ax.set_xlabel("Epoch")
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        ax.xaxis.get_major_locator().set_params(integer=True)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
        else:
            _no_data(ax, "validation data")
    fig.suptitle(f"Comparing {len(hists)} models")
    return fig


# --------------------------------------------------------------------------
# 2-D maps


def method_label(meta: dict) -> str:
    """t-SNE, UMAP or PCA for a coords file's metadata."""
    from fmtwist_cli.maps.projection import Method

    method = str(meta.get("method", "")).lower()
    return Method(method).title if method in Method.__members__ else method.upper() or "Map"


def scatter_figure(
    coords: np.ndarray,
    groups: np.ndarray,
    what: str,
    title: str,
    axis_name: str = "Dimension",
    size: tuple[float, float] = (10, 8),
    dpi: int = 100,
):
    """Points coloured by group, with a legend naming every group and the noise,
    and each group's number written at its centre."""
    import matplotlib.patheffects as pe

    fig = new_figure(size, dpi)
    ax = fig.subplots()
    ids = [int(g) for g in np.unique(groups)]
    real = [g for g in ids if g >= 0]
    colours = dict(zip(real, _colours(len(real))))
    listed = len(real) <= MAX_LEGEND  # beyond that a legend would not fit: numbers on the map name them
    dot = float(np.clip(30_000 / max(len(coords), 1), 1, 30))
    for g in ids:  # noise (-1) first, so clusters are drawn over it
        pts = coords[groups == g]
        name = group_name(g, what)
        ax.scatter(
            # tiny clusters (DBSCAN's 11-point ones) drawn bigger so they can be seen at all
            pts[:, 0],
            pts[:, 1],
            s=dot * (4 if g >= 0 and len(pts) < 0.01 * len(coords) else 1),
            color=NOISE_COLOUR if g < 0 else colours[g],
            alpha=0.4 if g < 0 else 0.7,
            linewidths=0,
            label=f"{name} ({len(pts):,})" if g < 0 or listed else None,
            rasterized=len(coords) > 5000,
        )
    for g in real:
        x, y = np.median(coords[groups == g], axis=0)
        ax.text(
            x,
            y,
            str(g),
            ha="center",
            va="center",
            fontsize=10 if len(real) <= 20 else 7,
            fontweight="bold",
            path_effects=[pe.withStroke(linewidth=3 if len(real) <= 20 else 2, foreground="white")],
        )
    title_text = what.capitalize() if what != "class" else "Mystery class"
    if not listed:
        title_text = f"{len(real)} {what}s, numbered\non the map"
    legend = ax.legend(
        title=title_text,
        loc="upper left",
        bbox_to_anchor=(1.01, 1),
        fontsize=8,
        ncols=1 if len(ids) <= 20 else 2,
        frameon=False,
    )
    for handle in legend.legend_handles:
        handle.set_alpha(1)
        handle.set_sizes([30])
    ax.set_xlabel(f"{axis_name} 1")
    ax.set_ylabel(f"{axis_name} 2")
    ax.set_title(title)
    return fig


# --------------------------------------------------------------------------
# k-distance


def _ordinal(k: int) -> str:
    suffix = "th" if 10 <= k % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{k}{suffix}"


def kdist_figure(
    curve: np.ndarray,
    k: int,
    eps: float | None,
    eps_note: str,
    knee_at: int | None = None,
    size: tuple[float, float] = (9, 6),
    dpi: int = 100,
):
    fig = new_figure(size, dpi)
    ax = fig.subplots()
    ax.plot(
        np.arange(len(curve)),
        curve,
        color="C0",
        linewidth=1.5,
        label=f"distance to the {_ordinal(k)} nearest point (itself counted)",
    )
    if knee_at is not None:
        ax.plot([knee_at], [curve[knee_at]], "o", color="C1", markersize=7, label=f"knee: {curve[knee_at]:.3g}")
    if eps is not None:
        share = float((curve > eps).mean())
        ax.axhline(
            eps,
            color="C3",
            linestyle="--",
            linewidth=1,
            label=f"eps = {eps:.3g} ({eps_note}): {share:.1%} of points farther",
        )
    ax.set_xlabel("Points, sorted by k-distance")
    ax.set_ylabel(f"{k}-distance")
    ax.set_title(f"Sorted {k}-distance curve ({len(curve):,} points)")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left")
    return fig


# --------------------------------------------------------------------------
# confusion matrices and cluster x class tables


def confusion_figure(
    table: np.ndarray,
    row_names: list[str],
    col_names: list[str],
    row_title: str,
    col_title: str,
    title: str,
    size: tuple[float, float] = (8, 7),
    dpi: int = 100,
):
    """Counts in every cell; colour is the share of the row (recall for a
    confusion matrix), so small classes read as clearly as large ones."""
    fig = new_figure(size, dpi)
    ax = fig.subplots()
    share = table / np.maximum(table.sum(axis=1, keepdims=True), 1)
    im = ax.imshow(share, cmap="Blues", vmin=0, vmax=1, aspect="auto")
    if table.size <= 400:
        for (i, j), count in np.ndenumerate(table):
            ax.text(
                j,
                i,
                f"{count:,}\n{share[i, j]:.0%}",
                ha="center",
                va="center",
                fontsize=8,
                color="white" if share[i, j] > 0.5 else "black",
            )
    ax.set_xticks(
        range(len(col_names)),
        col_names,
        rotation=45 if len(col_names) > 6 else 0,
        ha="right" if len(col_names) > 6 else "center",
    )
    ax.set_yticks(range(len(row_names)), row_names)
    ax.set_xlabel(col_title)
    ax.set_ylabel(row_title)
    ax.set_title(title)
    fig.colorbar(im, ax=ax, label="share of the row", shrink=0.8)
    return fig


# --------------------------------------------------------------------------
# sample images of every group


def groups_grid_figure(
    groups: Sequence[tuple[str, np.ndarray]],
    title: str,
    n: int,
    size: tuple[float, float] | None = None,
    dpi: int = 100,
):
    """One row per group: its name, then up to ``n`` of its images."""
    size = size or (1.0 * n + 1.6, 1.05 * len(groups) + 0.6)
    fig = new_figure(size, dpi)
    axes = fig.subplots(len(groups), n + 1, squeeze=False, width_ratios=[1.6] + [1] * n)
    for (name, images), row in zip(groups, axes):
        for ax in row:
            ax.set_axis_off()
        row[0].text(1.0, 0.5, name, ha="right", va="center", fontsize=9, transform=row[0].transAxes)
        for ax, img in zip(row[1:], images):
            ax.imshow(img, cmap="gray", vmin=0, vmax=255, interpolation="nearest")
    fig.suptitle(title)
    return fig
