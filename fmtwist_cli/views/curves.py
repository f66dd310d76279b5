"""Curves: a model's learning curves (one model's six panels, or several models compared) and the sorted
k-distance curve with its knee.

The knee comes from :mod:`fmtwist_cli.groups.dbscan`, so the eps marked on the figure is the one
``fmtwist cluster --eps auto`` picks.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from fmtwist_cli import artifacts
from fmtwist_cli.errors import ArtifactError
from fmtwist_cli.views.figures import new_figure

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
