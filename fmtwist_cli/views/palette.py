"""The colours of every view: the PNG figures and the explore page draw groups in the same colours.

Hex strings, so the page needs no matplotlib and a figure takes them as they are.
"""

from __future__ import annotations

import colorsys

# tab10 without its grey (grey means noise), then tab20's light shades without theirs.
PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#bcbd22",
    "#17becf",
    "#aec7e8",
    "#ffbb78",
    "#98df8a",
    "#ff9896",
    "#c5b0d5",
    "#c49c94",
    "#f7b6d2",
    "#dbdb8d",
    "#9edae5",
)
NOISE = "#b0b0b0"  # noise points on a figure's white
NOISE_ON_DARK = "#8a8f98"  # noise points (and unnamed ones) on the explore page's dark background
RIGHT_WRONG = ("#4caf50", "#ff5252")  # the page's "prediction right / wrong" colouring
WRONG = "#c0392b"  # a grid caption whose prediction is wrong


def colours(n: int) -> list[str]:
    """``n`` distinct colours: the palette, then golden-ratio hue steps so neighbouring numbers differ."""
    if n <= len(PALETTE):
        return list(PALETTE[:n])
    out = []
    for i in range(n):
        r, g, b = colorsys.hsv_to_rgb((0.05 + i * 0.6180339887) % 1.0, 0.65, 0.95)
        out.append(f"#{round(255 * r):02x}{round(255 * g):02x}{round(255 * b):02x}")
    return out
