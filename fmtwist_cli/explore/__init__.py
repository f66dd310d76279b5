"""``fmtwist explore``: one offline HTML page to explore the encoding and solve the puzzle by hand.

- :mod:`.inputs`: :func:`load` finds and checks the artifacts (the report's rules), making a t-SNE map when
  there is none; :func:`gather` reads each point's image, labels, coordinates and categories;
- :mod:`.page`: the colourings, the packing into typed arrays, and the HTML filled in from the package data
  ``page.html``, ``explore.css`` and ``js/*.js``.

The page draws every point of every map, shows each point's image on hover, a selection's counts and images,
and saves the user's guess as ``guess.json`` for ``fmtwist grade``.
"""

from __future__ import annotations

from pathlib import Path

from fmtwist_cli import artifacts
from fmtwist_cli.explore.inputs import Gathered, gather, load
from fmtwist_cli.explore.page import Colouring, Points, colourings, render

TITLE = "fmtwist explore"
# How the benchmark and the browser tests start Debian's chromium: headless, and with no background traffic
# (a closed network refuses it, noisily), so the page's own behaviour is all that is measured.
HEADLESS_CHROMIUM = "/usr/bin/chromium"
HEADLESS_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)

__all__ = ["Colouring", "Gathered", "Points", "colourings", "gather", "load", "render", "write"]


def status_line(g: Gathered) -> str:
    """The line under the page's title: how many points, from which files."""
    splits = " + ".join(f"{n:,} {s}" for s, n in g.used["splits"].items())
    ref = Path(g.used["reference"]).name if g.used["reference"] else "no reference classifier"
    return f"{len(g.points):,} images ({splits}) · {Path(g.used['embeddings']).name} · {ref}"


def write(g: Gathered, path: str | Path, title: str = TITLE, hints: bool = False) -> dict[str, object]:
    """Render the page into ``path`` (atomically); return what went in and the file's size. ``hints``: the page
    opens with the reference classifier's hints shown."""
    html = render(g.points, status_line(g), title, g.auto_guess, hints)
    written = artifacts.write_text(path, html)
    return {"written": str(written), "bytes": written.stat().st_size, **g.used}
