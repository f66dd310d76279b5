"""Charts of groups: a 2-D map coloured by group, and a group x group table (a confusion matrix, or mystery
class x cluster), in the colours of :mod:`fmtwist_cli.views.palette`."""

from __future__ import annotations

import numpy as np

from fmtwist_cli.artifacts.meta import CoordsMeta
from fmtwist_cli.views.figures import new_figure
from fmtwist_cli.views.images import group_name
from fmtwist_cli.views.palette import NOISE, colours

MAX_LEGEND = 40  # groups named one by one in a scatter legend

# --------------------------------------------------------------------------
# 2-D maps


def method_label(meta: dict) -> str:
    """t-SNE, UMAP or PCA for a coords file's metadata."""
    from fmtwist_cli.maps.projection import Method

    method = (CoordsMeta.from_meta(meta).method or "").lower()
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
    colour = dict(zip(real, colours(len(real))))
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
            color=NOISE if g < 0 else colour[g],
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
