"""examples/assignment3.ipynb on a real Jupyter kernel, then in a real browser.

The notebook runs with its parameters cell set small (the fast network for 1 epoch on the first 2,000 images of
each split, a 1-epoch reference classifier, the PCA map only) on an ipykernel started from this venv's python
(jupyter_client runs a kernelspec's ``python`` as ``sys.executable``), and any cell error fails the test. The
executed notebook is then rendered to HTML by nbconvert and opened in Debian's chromium, where the explore page
shows inline and a hovered point shows its own image. Never `playwright install`: see test_explore_browser.py.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers import assert_not_blank, read_png

from fmtwist_cli import artifacts
from fmtwist_cli.explore import HEADLESS_CHROMIUM, HEADLESS_FLAGS

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOK = Path(__file__).resolve().parent.parent / "examples" / "assignment3.ipynb"
OFFICIAL = Path("/usr/share/datasets/fashion-mnist")
CHROMIUM = Path(HEADLESS_CHROMIUM)
# The saved notebook holds one explore page (every test image, its images deflated: 6.2 MB for 10,000), a dozen
# PNG figures and one small HTML bar per progress task; bars update their one output in place.
MAX_BYTES = 8_000_000

# the tests that run the notebook: the real data, a kernel, a few minutes
on_a_kernel = [
    pytest.mark.slow,
    pytest.mark.realdata,
    pytest.mark.skipif(
        not (OFFICIAL / "train-images-idx3-ubyte.gz").is_file() and not os.environ.get("CI"),
        reason="needs Debian's dataset-fashion-mnist (make setup installs it as root)",
    ),
]


def small_parameters(folder: Path) -> str:
    return "\n".join(
        [
            f"FOLDER = {str(folder)!r}",
            'ARCH = "fast"',
            "EPOCHS = 1",
            "REF_EPOCHS = 1",
            "LIMIT = 2000",
            'MAPS = ["pca"]',
            "EPS, MIN_SAMPLES = 45, 15",
            "SEED = 0",
        ]
    )


def slow(test):
    for mark in reversed(on_a_kernel):
        test = mark(test)
    return test


@pytest.fixture(scope="module")
def executed(tmp_path_factory) -> tuple[Path, Path]:
    """The notebook run small on a fresh kernel: (the executed .ipynb, its artifacts folder)."""
    work = tmp_path_factory.mktemp("notebook")
    folder = work / "artifacts"
    nb = nbformat.read(NOTEBOOK, as_version=4)
    parameters = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(parameters) == 1 and nb.cells.index(parameters[0]) <= 2, "one parameters cell, near the top"
    parameters[0].source = small_parameters(folder)
    nb.cells.append(nbformat.v4.new_code_cell("import sys; print(sys.executable)"))
    client = nbclient.NotebookClient(
        nb, kernel_name="python3", timeout=600, resources={"metadata": {"path": str(work)}}
    )
    client.execute()  # raises CellExecutionError on the first cell that fails
    out = work / "assignment3.ipynb"
    nbformat.write(nb, out)
    return out, folder


def outputs(nb) -> list[dict]:
    return [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]


def test_shipped_without_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    assert nb.metadata.kernelspec.name == "python3"


@slow
def test_runs_on_a_kernel_and_stays_small(executed):
    path, folder = executed
    nb = nbformat.read(path, as_version=4)
    assert not [o for o in outputs(nb) if o.output_type == "error"]
    assert nb.cells[-1].outputs[0].text.strip() == sys.executable  # the kernel ran this venv's python
    html = [o.data["text/html"] for o in outputs(nb) if "text/html" in o.get("data", {})]
    pages = [h for h in html if h.startswith("<iframe srcdoc=")]
    assert len(pages) == 1, "the explore page shows inline, once"
    bars = [h for h in html if "<progress" in h]
    assert bars and len(bars) < 40, "one bar per task, updated in place"
    pngs = [o for o in outputs(nb) if "image/png" in o.get("data", {})]
    assert len(pngs) >= 8  # history, two PCA/map scatters, kdist, two cluster scatters, two grids, inspect
    size = path.stat().st_size
    print(f"executed notebook: {size:,} bytes; explore page {len(pages[0]):,}; {len(pngs)} figures")
    assert size <= MAX_BYTES
    assert (folder / "explore.html").is_file() and (folder / "clusters-dbscan.npz").is_file()


@pytest.fixture(scope="module")
def rendered(executed) -> Path:
    from nbconvert import HTMLExporter

    path, _ = executed
    body, _ = HTMLExporter().from_notebook_node(nbformat.read(path, as_version=4))
    out = path.with_suffix(".html")
    out.write_text(body, encoding="utf-8")
    return out


@slow
def test_inline_page_hovers_in_chromium(executed, rendered, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.is_file() and not os.environ.get("CI"):
        pytest.skip("needs /usr/bin/chromium (make setup installs it as root)")
    _, folder = executed
    emb = artifacts.load(folder / "embeddings.npz", "embeddings")
    data = artifacts.load(folder / "data.npz", "data")
    with sync_api.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),  # a fresh user-data folder
            executable_path=str(CHROMIUM),
            args=list(HEADLESS_FLAGS),
            headless=True,
            viewport={"width": 1400, "height": 1000},
        )
        try:
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(rendered.resolve().as_uri())
            iframe = page.locator("iframe[srcdoc]")
            assert iframe.count() == 1
            iframe.scroll_into_view_if_needed()
            frame = iframe.element_handle().content_frame()
            frame.wait_for_selector("body[data-ready='1'][data-images='1']", timeout=60_000)
            box = frame.locator("#map").bounding_box()  # in the top page's viewport
            xy = np.array(
                frame.evaluate(
                    "() => Array.from({length: fmtwistExplore.state.n}, (_, i) => fmtwistExplore.toScreen(i))"
                )
            ) + [box["x"], box["y"]]
            assert len(xy) == emb.rows()
            row = isolated_visible_point(xy, page.viewport_size)
            page.mouse.move(*xy[row])
            frame.wait_for_selector(f"#hover-card[data-row='{row}']", timeout=5000)
            pixels = frame.evaluate(
                "() => Array.from(document.getElementById('hover-image').getContext('2d')"
                ".getImageData(0, 0, 28, 28).data)"
            )
            split, index = str(emb["split"][row]), int(emb["index"][row])
            rgba = np.array(pixels, dtype=np.uint8).reshape(28, 28, 4)
            np.testing.assert_array_equal(rgba[..., 0], data[f"x_{split}"][index])
            text = frame.inner_text("#hover-fields")
            assert f"{row} ({split} #{index})" in text and f"class {data[f'y_{split}'][index]}" in text
            page.screenshot(path=str(tmp_path / "notebook.png"))
            assert errors == []
        finally:
            context.close()
    assert_not_blank(read_png(tmp_path / "notebook.png"))


def isolated_visible_point(xy: np.ndarray, viewport: dict) -> int:
    """The on-screen point farthest from its nearest neighbour: hovering it can only pick it."""
    from sklearn.neighbors import NearestNeighbors

    visible = np.flatnonzero(
        (xy[:, 0] > 5) & (xy[:, 1] > 5) & (xy[:, 0] < viewport["width"] - 5) & (xy[:, 1] < viewport["height"] - 5)
    )
    assert visible.size, "no point of the map is on the screen"
    gaps = NearestNeighbors(n_neighbors=2).fit(xy).kneighbors(xy[visible])[0][:, 1]
    return int(visible[np.argmax(gaps)])


@slow
def test_progress_bars_update_in_place(executed):
    """A task's bar is one display output, updated as the step goes: the saved notebook keeps its last state."""
    nb = nbformat.read(executed[0], as_version=4)
    embedding = next(c for c in nb.cells if "ws.embed(" in c.source)
    bars = [o for o in embedding.outputs if "<progress" in o.get("data", {}).get("text/html", "")]
    assert len(bars) == 1 and bars[0].output_type == "display_data"
    assert "10,000/10,000" in bars[0].data["text/html"] and "10,000/10,000" in bars[0].data["text/plain"]


def test_notebook_bar_draws_one_display_per_task(monkeypatch):
    """NotebookBar without a kernel: one display per task, throttled redraws, the last count always drawn."""
    pytest.importorskip("IPython")
    import IPython.display

    from fmtwist_cli import notebook

    shown: list[dict] = []
    updates: list[tuple[int, str]] = []

    class Handle:
        def __init__(self, bundle: dict) -> None:
            self.n = len(shown)
            shown.append(bundle)

        def update(self, bundle: dict, raw: bool = False) -> None:
            assert raw
            shown[self.n] = bundle
            updates.append((self.n, bundle["text/plain"]))

    def display(bundle, raw=False, display_id=False):
        assert raw and display_id
        return Handle(bundle)

    monkeypatch.setattr(IPython.display, "display", display)
    monkeypatch.setattr(notebook, "MIN_INTERVAL", 3600)  # no redraw but the last of each task
    bar = notebook.NotebookBar()
    for done in range(0, 101):
        bar(done, 100, "epoch 1", metrics={"loss": 0.51234, "accuracy": 0.8})
    for done in range(0, 7):
        bar(done, None, "reading")  # total unknown: no final count to trigger a redraw
    bar(0, 3, "epoch 2")
    assert len(shown) == 3
    assert shown[0]["text/plain"].startswith("epoch 1 [####################] 100/100")
    assert "loss 0.5123  accuracy 0.8" in shown[0]["text/html"]
    assert shown[1]["text/plain"].startswith("reading [....................] 6 ")  # flushed when epoch 2 began
    assert '<progress max="1"' in shown[1]["text/html"]  # no value: an indeterminate bar
    assert len(updates) == 2


def test_bar_html_escapes_the_task():
    from fmtwist_cli.notebook import bar_html

    assert "a&lt;b&gt;" in bar_html("a<b>", 1, 2)
