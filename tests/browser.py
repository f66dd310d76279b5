"""The browser the page tests drive: Debian's chromium (/usr/bin/chromium, which `make setup` installs as root with
apt-get) through the playwright package. Never `playwright install`: it downloads a browser.

A test module takes :data:`pytestmark` (it skips where there is no browser, except in CI, where that is a failure)
and the ``browser`` fixture (tests/conftest.py: one :func:`chromium` context per module, a fresh user-data folder,
so an empty localStorage), and opens a page with :class:`Page`, which records every console error and request.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from fmtwist_cli.explore import HEADLESS_CHROMIUM, HEADLESS_FLAGS

CHROMIUM = Path(HEADLESS_CHROMIUM)
FLAGS = list(HEADLESS_FLAGS)
try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    sync_playwright = None

pytestmark = pytest.mark.skipif(
    (sync_playwright is None or not CHROMIUM.is_file()) and not os.environ.get("CI"),
    reason="needs /usr/bin/chromium and the playwright package (make setup installs both as root)",
)


@contextlib.contextmanager
def chromium(tmp_path_factory, width: int = 1400, height: int = 820) -> Iterator:
    """A headless chromium context with a fresh user-data folder, downloads accepted."""
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=str(CHROMIUM),
            args=FLAGS,
            headless=True,
            viewport={"width": width, "height": height},
            accept_downloads=True,
        )
        try:
            yield context
        finally:
            context.close()


class Page:
    """One explore page (``ready`` waited for), with every console error and request it made."""

    ready = "body[data-ready='1'][data-images='1']"

    def __init__(self, context, path: Path) -> None:
        self.page = context.new_page()
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.url = path.resolve().as_uri()
        self.loads = 1  # the page's own requests: one per load
        self.page.goto(self.url)
        self.wait()

    def wait(self) -> None:
        self.page.wait_for_selector(self.ready, timeout=30_000)
        self.box = self.page.locator("#map").bounding_box()

    def reload(self) -> None:
        self.loads += 1
        self.page.reload()
        self.wait()

    def clean(self) -> bool:
        """No error logged, and no request but the page itself, once per load."""
        return self.errors == [] and self.requests == [self.url] * self.loads

    def screen(self) -> np.ndarray:
        """(N, 2) every point's position in the viewport, from the page's own view transform."""
        xy = self.page.evaluate(
            "() => Array.from({length: fmtwistExplore.state.n}, (_, i) => fmtwistExplore.toScreen(i))"
        )
        return np.array(xy) + [self.box["x"], self.box["y"]]

    def drag(self, points: list[tuple[float, float]], shift: bool = False) -> None:
        mouse = self.page.mouse
        if shift:
            self.page.keyboard.down("Shift")
        mouse.move(*points[0])
        mouse.down()
        for p in points[1:]:
            mouse.move(*p, steps=4)
        mouse.up()
        if shift:
            self.page.keyboard.up("Shift")

    def select_box(self, x0: float, y0: float, x1: float, y1: float, shift: bool = False) -> None:
        self.page.click("#tool-box")
        self.drag([(x0, y0), (x1, y1)], shift)

    def selection_size(self) -> int:
        return int(self.page.get_attribute("#selection-size", "data-count"))
