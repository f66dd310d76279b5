"""Size and speed of the `fmtwist explore` page, measured in headless Chromium.

Builds two pages from the real Fashion-MNIST (``fmtwist prepare``): 10,000 points (the test split) and 70,000
(``embed --split all``), from a quickly trained network (``train --arch default --epochs 1``), its reference
classifier (``--labels original --epochs 1``), a PCA map each and a t-SNE map for the 10,000, then measures
for each page:

- ``explore``'s own wall time (``fmtwist explore --json`` as a subprocess) and the file's size;
- in Debian's /usr/bin/chromium (headless, no GPU, driven by playwright): time to the first frame (ms after the
  page starts loading) and until the images are inflated;
- frames per second while scripted drags and wheel zooms run (requestAnimationFrame timestamps of the frames the
  page drew) and the time each frame took to draw;
- hover latency: from the pointer event to the frame showing the point's ring and card, over 60 points;
- the neighbours in the encoding (issue 19): their share of the file, the time `explore` spends finding them
  (timed here in-process on the same embeddings, features and all), and queries typed into the "Query" box,
  timed inside the page (parse and mask; and to the selection panel redrawn).

Targets (issues 12 and 19): 10,000 points: <= 8 MB, first frame <= 1.5 s, explore <= 15 s neighbours included;
70,000 points: <= 50 MB neighbours included, >= 30 frames per second; hover <= 50 ms; a query <= 100 ms.

Usage:
    .venv/bin/python bench/bench_explore.py [--work /tmp/fmtwist-bench-explore] [--screenshot docs/explore.png]
    .venv/bin/python bench/bench_explore.py --maps   # the map's layers only, on synthetic pages (issue 19)

The work folder keeps every artifact, so a second run only measures.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from fmtwist_cli.explore import HEADLESS_CHROMIUM, HEADLESS_FLAGS

FMTWIST = [sys.executable, "-m", "fmtwist_cli"]
VIEWPORT = {"width": 1400, "height": 820}
TARGETS = {"test": {"mb": 8, "first_frame_ms": 1500, "explore_s": 15}, "all": {"mb": 50, "fps": 30}}
HOVER_TARGET_MS = 50
QUERY_TARGET_MS = 100
# Typed into the page's "Query" box (with the hints shown, for ref), each run five times.
QUERIES = (
    "class = 0 and confidence < 0.6",
    "(pred = 1 or pred = 3) and wrong",
    "not (class = 2) and confidence >= 0.9",
    "ref = Shirt and class != 0",
)


def fmtwist(*args: str | Path) -> str:
    done = subprocess.run([*FMTWIST, *map(str, args)], check=True, stdout=subprocess.PIPE, text=True)
    return done.stdout


def build_artifacts(work: Path, splits: tuple[str, ...] = ("test", "all")) -> dict[str, Path]:
    """The shared data and models, and one folder per page: only the steps whose output is missing run."""
    shared = work / "shared"
    if not (shared / "data.npz").is_file():
        fmtwist("prepare", "-a", shared)
    for labels in ("mystery", "original"):
        stem = "model-default" + ("-original" if labels == "original" else "")
        if not (shared / f"{stem}.onnx").is_file():
            fmtwist("train", "-a", shared, "--arch", "default", "--labels", labels, "--epochs", "1", "--seed", "0")
            fmtwist("export", "-a", shared, "--model", shared / f"{stem}.keras")
    folders = {}
    for split in splits:
        folder = work / split
        folder.mkdir(parents=True, exist_ok=True)
        for name in ("data.npz", "twist.json", "model-default-original.onnx"):  # the reference classifier
            if not (folder / name).exists():
                os.symlink((shared / name).resolve(), folder / name)
        if not (folder / "embeddings.npz").is_file():
            fmtwist("embed", "-a", folder, "--model", shared / "model-default.onnx", "--split", split)
        # PCA for both; t-SNE (the default map, minutes for 70,000 points) for the 10,000 only
        for method in ("pca", "tsne") if split == "test" else ("pca",):
            if not (folder / f"coords-{method}.npz").is_file():
                fmtwist("reduce", "-a", folder, "--method", method, "--seed", "0", "--no-trust")
        folders[split] = folder
    return folders


def time_neighbours(folder: Path) -> dict[str, float]:
    """Seconds to find every point's neighbours as `explore` does (features, then NearestNeighbors), in-process."""
    from fmtwist_cli import artifacts
    from fmtwist_cli.explore import inputs

    emb = artifacts.load(folder / "embeddings.npz", "embeddings")
    x = emb["embedding"]
    start = time.perf_counter()
    features = inputs.neighbour_features(x)
    middle = time.perf_counter()
    found = inputs.encoding_neighbours(features)
    end = time.perf_counter()
    dtype_bytes = 2 if len(found) <= 1 << 16 else 4
    return {
        "dims": int(x.shape[1]),
        "feature_dims": int(features.shape[1]),
        "features_s": middle - start,
        "search_s": end - middle,
        "packed_mb": found.size * dtype_bytes * 4 / 3 / 1e6,  # base64 in the page
    }


def measure_query(page) -> dict[str, float]:
    """Each of QUERIES typed into the "Query" box and run with Enter, five times; times from the page's own stats."""
    if page.locator("#hints-toggle").is_visible():
        page.check("#hints-toggle")  # ref is a hint
    for text in QUERIES:
        for _ in range(5):
            page.fill("#query", text)
            page.press("#query", "Enter")
    times = page.evaluate("() => fmtwistExplore.state.stats.queryMs")
    errors = page.evaluate("() => document.getElementById('query-message').className")
    evaluate, total = np.array([t["evaluate"] for t in times]), np.array([t["total"] for t in times])
    return {
        "n": int(total.size),
        "evaluate_median_ms": float(np.median(evaluate)),
        "evaluate_max_ms": float(evaluate.max()),
        "total_median_ms": float(np.median(total)),
        "total_max_ms": float(total.max()),
        "message_class": errors,
    }


def time_explore(folder: Path) -> tuple[float, float, dict]:
    """Wall and CPU seconds (user + system, all threads) of one `fmtwist explore` run, and its --json."""
    before, start = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    summary = json.loads(fmtwist("explore", "-a", folder, "--json"))
    wall, after = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), summary


# A drag or zoom scripted inside the page: pointer or wheel events on the map every 4 ms (four per frame at 60 Hz)
# for SECONDS, so the events never wait on the test driver and every frame has something new to draw.
SCRIPTED = """async ([kind, seconds]) => {
  const map = document.getElementById("map"), r = map.getBoundingClientRect();
  const cx = r.left + r.width / 2, cy = r.top + r.height / 2, stats = fmtwistExplore.state.stats;
  const before = stats.frames.length, start = performance.now(), at = (x, y) => ({clientX: x, clientY: y,
    pointerId: 1, pointerType: "mouse", isPrimary: true, button: 0, buttons: 1, bubbles: true, cancelable: true});
  if (kind === "pan") map.dispatchEvent(new PointerEvent("pointerdown", at(cx, cy)));
  for (let k = 1; performance.now() - start < seconds * 1000; k++) {
    const t = k / 40;  // one circle every 250 events
    const x = cx + 150 * Math.sin(t), y = cy + 100 * (1 - Math.cos(t));
    if (kind === "pan") map.dispatchEvent(new PointerEvent("pointermove", at(x, y)));
    else map.dispatchEvent(new WheelEvent("wheel", {...at(cx, cy), deltaY: Math.floor(k / 100) % 2 ? 25 : -25}));
    await new Promise((done) => setTimeout(done, 4));
  }
  if (kind === "pan") map.dispatchEvent(new PointerEvent("pointerup", at(cx, cy)));
  return {frames: stats.frames.slice(before), draw: stats.drawMs.slice(before)};
}"""


def frames_per_second(page, kind: str, seconds: float = 3.0) -> dict[str, float]:
    """rAF timestamps and drawing times of the frames drawn during a scripted drag ("pan") or zoom ("zoom")."""
    stats = page.evaluate(SCRIPTED, [kind, seconds])
    frames, draw = np.array(stats["frames"]), np.array(stats["draw"])
    gaps = np.diff(frames)
    return {
        "frames": int(frames.size),
        "fps": float((frames.size - 1) / ((frames[-1] - frames[0]) / 1000)) if frames.size > 1 else 0.0,
        "frame_gap_p95_ms": float(np.percentile(gaps, 95)) if gaps.size else 0.0,
        "draw_median_ms": float(np.median(draw)) if draw.size else 0.0,
        "draw_p95_ms": float(np.percentile(draw, 95)) if draw.size else 0.0,
    }


def measure_page(context, path: Path, screenshot: Path | None = None) -> dict:
    page = context.new_page()
    errors, requests = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.resolve().as_uri())
    page.wait_for_selector("body[data-ready='1'][data-images='1']", timeout=120_000)
    first, images = page.evaluate(
        "() => [fmtwistExplore.state.stats.firstFrame, fmtwistExplore.state.stats.imagesReady]"
    )
    box = page.locator("#map").bounding_box()
    pan = frames_per_second(page, "pan")
    zoom = frames_per_second(page, "zoom")
    page.click("#reset-view")
    hover = measure_hover(page, box)
    query = measure_query(page)
    if screenshot is not None:
        take_screenshot(page, box, screenshot)
    page.close()
    return {
        "first_frame_ms": first,
        "images_ready_ms": images,
        "pan": pan,
        "zoom": zoom,
        "hover": hover,
        "query": query,
        "console_errors": errors,
        "requests": [u for u in requests if u != path.resolve().as_uri()],
    }


def measure_hover(page, box: dict, count: int = 60) -> dict[str, float]:
    """Pointer event -> ring and card drawn, for ``count`` random points (each a new hover)."""
    page.wait_for_timeout(300)
    n = page.evaluate("() => fmtwistExplore.state.n")
    rng = np.random.default_rng(0)
    latencies = []
    for row in rng.choice(n, count, replace=False):
        x, y = page.evaluate(f"() => fmtwistExplore.toScreen({int(row)})")
        if not (0 < x < box["width"] and 0 < y < box["height"]):
            continue
        before = page.evaluate("() => fmtwistExplore.state.stats.hoverMs.length")
        page.mouse.move(box["x"] + x, box["y"] + y)
        page.wait_for_function(f"() => fmtwistExplore.state.stats.hoverMs.length > {before}", timeout=5000)
        latencies.append(page.evaluate("() => fmtwistExplore.state.stats.hoverMs.at(-1)"))
    lat = np.array(latencies)
    return {
        "n": int(lat.size),
        "median_ms": float(np.median(lat)),
        "p95_ms": float(np.percentile(lat, 95)),
        "max_ms": float(lat.max()),
    }


def take_screenshot(page, box: dict, path: Path) -> None:
    """The README's picture: a lasso selection, its grid, and a hovered point."""
    page.click("#tool-lasso")
    cx, cy = box["x"] + box["width"] * 0.42, box["y"] + box["height"] * 0.45
    ring = [(cx + 70 * math.cos(t / 24 * 2 * math.pi), cy + 55 * math.sin(t / 24 * 2 * math.pi)) for t in range(25)]
    page.mouse.move(*ring[0])
    page.mouse.down()
    for p in ring[1:]:
        page.mouse.move(*p, steps=2)
    page.mouse.up()
    page.mouse.move(box["x"] + box["width"] * 0.7, box["y"] + box["height"] * 0.3)
    page.wait_for_timeout(300)
    raw = Path(tempfile.mkdtemp()) / "shot.png"
    page.screenshot(path=str(raw))
    from PIL import Image  # comes with matplotlib

    # A 256-colour palette keeps the picture small enough for the repository.
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.open(raw).convert("RGB").quantize(256, method=Image.Quantize.FASTOCTREE).save(path, optimize=True)
    shutil.rmtree(raw.parent)


def table(results: dict) -> str:
    lines = [
        "| page | file | `explore` wall (CPU) | first frame | images ready | pan fps (draw p95) | zoom fps (draw p95) "
        "| hover median / p95 | neighbours: find (MB in file) | query median / max (to panel) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results.values():
        b = r["browser"]
        lines.append(
            f"| {r['points']:,} points | {r['bytes'] / 1e6:.1f} MB "
            f"| {r['explore_s']:.1f} s ({r['explore_cpu_s']:.1f} s CPU) "
            f"| {b['first_frame_ms']:.0f} ms "
            f"| {b['images_ready_ms']:.0f} ms | {b['pan']['fps']:.0f} ({b['pan']['draw_p95_ms']:.0f} ms) "
            f"| {b['zoom']['fps']:.0f} ({b['zoom']['draw_p95_ms']:.0f} ms) "
            f"| {b['hover']['median_ms']:.0f} / {b['hover']['p95_ms']:.0f} ms "
            f"| {r['neighbours']['features_s'] + r['neighbours']['search_s']:.1f} s "
            f"({r['neighbours']['packed_mb']:.1f} MB) "
            f"| {b['query']['evaluate_median_ms']:.1f} / {b['query']['evaluate_max_ms']:.1f} ms "
            f"({b['query']['total_median_ms']:.0f} / {b['query']['total_max_ms']:.0f} ms) |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "fmtwist-bench-explore")
    parser.add_argument("--screenshot", type=Path, help="save a screenshot of the 10,000-point page here")
    parser.add_argument("--json", action="store_true", help="print the measurements as one JSON object")
    parser.add_argument(
        "--splits", nargs="+", choices=("test", "all"), default=("test", "all"), help="pages to measure: 10,000, 70,000"
    )
    parser.add_argument("--maps", action="store_true", help="only the map layers, on synthetic pages (issue 19)")
    args = parser.parse_args()
    if not Path(HEADLESS_CHROMIUM).is_file():
        print(f"skipped: {HEADLESS_CHROMIUM} not installed (make setup installs it as root)", file=sys.stderr)
        return 0
    if args.maps:
        return maps_main(args.json)
    from playwright.sync_api import sync_playwright

    folders = build_artifacts(args.work, tuple(args.splits))
    results = {}
    for split, folder in folders.items():
        wall, cpu, summary = time_explore(folder)
        results[split] = {
            "points": summary["points"],
            "bytes": summary["bytes"],
            "explore_s": wall,
            "explore_cpu_s": cpu,
            "neighbours": time_neighbours(folder),
        }
    with sync_playwright() as p, tempfile.TemporaryDirectory() as profile:
        context = p.chromium.launch_persistent_context(
            profile, executable_path=HEADLESS_CHROMIUM, args=list(HEADLESS_FLAGS), headless=True, viewport=VIEWPORT
        )
        for split, folder in folders.items():
            shot = args.screenshot if split == "test" else None
            results[split]["browser"] = measure_page(context, folder / "explore.html", shot)
        context.close()
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print(table(results))
    failed = check_targets(results)
    for line in failed:
        print(f"target missed: {line}", file=sys.stderr)
    return 0


def check_targets(results: dict) -> list[str]:
    out = []
    for split, r in results.items():
        t, b = TARGETS[split], r["browser"]
        if r["bytes"] > t["mb"] * 1e6:
            out.append(f"{r['points']:,} points: {r['bytes'] / 1e6:.1f} MB > {t['mb']} MB")
        if "first_frame_ms" in t and b["first_frame_ms"] > t["first_frame_ms"]:
            out.append(f"{r['points']:,} points: first frame {b['first_frame_ms']:.0f} ms > {t['first_frame_ms']} ms")
        if "explore_s" in t and r["explore_s"] > t["explore_s"]:
            out.append(f"{r['points']:,} points: explore took {r['explore_s']:.1f} s > {t['explore_s']} s")
        if "fps" in t and min(b["pan"]["fps"], b["zoom"]["fps"]) < t["fps"]:
            out.append(f"{r['points']:,} points: {min(b['pan']['fps'], b['zoom']['fps']):.0f} fps < {t['fps']}")
        if b["query"]["total_max_ms"] > QUERY_TARGET_MS:
            out.append(
                f"{r['points']:,} points: a query took {b['query']['total_max_ms']:.0f} ms > {QUERY_TARGET_MS} ms"
            )
        if b["hover"]["p95_ms"] > HOVER_TARGET_MS:
            out.append(f"{r['points']:,} points: hover p95 {b['hover']['p95_ms']:.0f} ms > {HOVER_TARGET_MS} ms")
        if b["console_errors"] or b["requests"]:
            out.append(f"{r['points']:,} points: console errors {b['console_errors']}, requests {b['requests']}")
    return out


# --------------------------------------------------------------------------
# issue 19 items 3 and 4: the map's layers (points as images, two maps side by side, names, outlines), measured on
# synthetic pages (`--maps`): drawing speed depends on the number of points and how they crowd, not on what the
# images show, so these need no trained network. 20 round blobs, two maps (the second with the blobs in another
# order), each image its blob's template shifted by up to 2 pixels (so the page deflates as real images do).

MAPS_SIZES = (10_000, 70_000)
MAPS_FIRST_FRAME_MS = 1500  # at 10,000 points
MAPS_FPS = 30
THUMB_ZOOM_CELL_PX = 30  # "images on": zoomed in until a point's cell is this wide (js/layers.js: images past 20)


def synthetic_page(n: int, path: Path) -> Path:
    """An explore page of ``n`` synthetic points (see above), written to ``path``."""
    from fmtwist_cli.explore.page import Points, render

    rng = np.random.default_rng(0)
    blob = rng.integers(0, 20, n)
    angle, radius = rng.uniform(0, 2 * np.pi, n), np.sqrt(rng.uniform(0, 1, n))
    local = np.c_[np.cos(angle), np.sin(angle)] * radius[:, None] * 3
    tsne = np.c_[10.0 * (blob % 5), 10.0 * (blob // 5)] + local
    pca = np.c_[7.0 * ((7 * blob) % 20), 3.0 * (blob % 3)] + local * [1.0, 0.5]
    templates = (rng.random((20, 28, 28)) ** 3 * 255).astype(np.uint8)
    shifts = rng.integers(-2, 3, (n, 2))
    images = np.stack([np.roll(templates[b], tuple(d), axis=(0, 1)) for b, d in zip(blob, shifts)])
    classes = blob % 5
    points = Points(
        images=images,
        index=np.arange(n),
        split=np.array(["test"] * n),
        classes=classes,
        pred=classes,
        pred_conf=np.full(n, 0.9),
        n_classes=5,
        maps=[("tsne", "t-SNE", tsne.astype(np.float32)), ("pca", "PCA", pca.astype(np.float32))],
        clusterings=[("kmeans", blob)],
    )
    path.write_text(render(points, f"{n:,} synthetic points"), encoding="utf-8")
    return path


# Drags and wheel zooms as SCRIPTED does, with gentle zooms (in and out by at most 2x around where the view is), and
# each frame's count of images drawn, so "images on" and "off" stay what they say for the whole run.
MAPS_SCRIPTED = """async ([kind, seconds]) => {
  const map = document.getElementById("map"), r = map.getBoundingClientRect(), S = fmtwistExplore.state;
  const cx = r.left + r.width / 2, cy = r.top + r.height / 2, stats = S.stats;
  const before = stats.frames.length, start = performance.now(), thumbs = [], at = (x, y) => ({clientX: x,
    clientY: y, pointerId: 1, pointerType: "mouse", isPrimary: true, button: 0, buttons: 1, bubbles: true,
    cancelable: true});
  let running = true;
  const watch = () => { thumbs.push(S.layers.thumbs); if (running) requestAnimationFrame(watch); };
  requestAnimationFrame(watch);
  if (kind === "pan") map.dispatchEvent(new PointerEvent("pointerdown", at(cx, cy)));
  for (let k = 1; performance.now() - start < seconds * 1000; k++) {
    const t = k / 40;
    const x = cx + 150 * Math.sin(t), y = cy + 100 * (1 - Math.cos(t));
    if (kind === "pan") map.dispatchEvent(new PointerEvent("pointermove", at(x, y)));
    else map.dispatchEvent(new WheelEvent("wheel", {...at(cx, cy), deltaY: Math.floor(k / 20) % 2 ? 25 : -25}));
    await new Promise((done) => setTimeout(done, 4));
  }
  if (kind === "pan") map.dispatchEvent(new PointerEvent("pointerup", at(cx, cy)));
  running = false;
  return {frames: stats.frames.slice(before), draw: stats.drawMs.slice(before), thumbs};
}"""


def maps_fps(page, kind: str, seconds: float = 3.0) -> dict[str, float]:
    """frames_per_second's figures for MAPS_SCRIPTED, with the share of frames that drew images."""
    stats = page.evaluate(MAPS_SCRIPTED, [kind, seconds])
    frames, draw, thumbs = np.array(stats["frames"]), np.array(stats["draw"]), np.array(stats["thumbs"])
    return {
        "frames": int(frames.size),
        "fps": float((frames.size - 1) / ((frames[-1] - frames[0]) / 1000)) if frames.size > 1 else 0.0,
        "draw_median_ms": float(np.median(draw)) if draw.size else 0.0,
        "draw_p95_ms": float(np.percentile(draw, 95)) if draw.size else 0.0,
        "with_images": float((thumbs > 0).mean()) if thumbs.size else 0.0,
        "images_median": float(np.median(thumbs)) if thumbs.size else 0.0,
    }


def zoom_to_images(page, cell_px: float = THUMB_ZOOM_CELL_PX) -> None:
    """The main map's view zoomed about point 0 until a point's cell is ``cell_px`` wide."""
    page.evaluate(
        f"""() => {{ const S = fmtwistExplore.state;
            const xy = S.arrays[S.meta.maps[S.mapIndex].array];  // on a blob: point 0's place
            S.view.cx = xy[0]; S.view.cy = xy[1];
            S.view.scale = {cell_px} / mapSpacing(S.mapIndex); S.dirty = true; }}"""
    )
    page.wait_for_timeout(300)


def measure_maps(context, path: Path) -> dict:
    """The map layers on one page: first frame; pan and zoom with the points as dots and as images; pan side by
    side and with outlines; hover side by side; and the map switch's transition."""
    page = context.new_page()
    errors, requests = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.resolve().as_uri())
    page.wait_for_selector("body[data-ready='1'][data-images='1']", timeout=120_000)
    first, images = page.evaluate(
        "() => [fmtwistExplore.state.stats.firstFrame, fmtwistExplore.state.stats.imagesReady]"
    )
    out = {"first_frame_ms": first, "images_ready_ms": images}
    out["pan_dots"], out["zoom_dots"] = maps_fps(page, "pan"), maps_fps(page, "zoom")
    page.click("#reset-view")
    zoom_to_images(page)
    out["pan_images"] = maps_fps(page, "pan")
    page.click("#reset-view")
    zoom_to_images(page)
    out["zoom_images"] = maps_fps(page, "zoom")
    page.click("#reset-view")
    page.check("#outlines-toggle")
    out["pan_outlines"] = maps_fps(page, "pan")
    page.uncheck("#outlines-toggle")
    page.check("#twin-toggle")
    page.wait_for_timeout(300)
    out["pan_side_by_side"] = maps_fps(page, "pan")
    page.click("#reset-view")
    out["hover_side_by_side"] = measure_hover(page, page.locator("#map").bounding_box())
    page.uncheck("#twin-toggle")
    page.select_option("#map-choice", label="PCA")
    page.wait_for_function("() => fmtwistExplore.state.layers.transitions.length > 0", timeout=10_000)
    out["transition"] = page.evaluate("() => fmtwistExplore.state.layers.transitions.at(-1)")
    out["console_errors"], out["requests"] = errors, [u for u in requests if u != path.resolve().as_uri()]
    page.close()
    return out


def maps_table(results: dict) -> str:
    fps = lambda m: f"{m['fps']:.0f} ({m['draw_p95_ms']:.0f} ms)"  # noqa: E731
    lines = [
        "| page | first frame | pan fps, dots / images (draw p95) | zoom fps, dots / images | pan fps, outlines "
        "| pan fps, side by side | hover side by side median / p95 | map switch |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for n, r in results.items():
        h, t = r["hover_side_by_side"], r["transition"]
        lines.append(
            f"| {n:,} points | {r['first_frame_ms']:.0f} ms | {fps(r['pan_dots'])} / {fps(r['pan_images'])} "
            f"| {fps(r['zoom_dots'])} / {fps(r['zoom_images'])} | {fps(r['pan_outlines'])} "
            f"| {fps(r['pan_side_by_side'])} | {h['median_ms']:.0f} / {h['p95_ms']:.0f} ms "
            f"| {t['frames']} frames in {t['ms']:.0f} ms |"
        )
    return "\n".join(lines)


def maps_targets(results: dict) -> list[str]:
    out = []
    for n, r in results.items():
        if n == 10_000 and r["first_frame_ms"] > MAPS_FIRST_FRAME_MS:
            out.append(f"{n:,} points: first frame {r['first_frame_ms']:.0f} ms > {MAPS_FIRST_FRAME_MS} ms")
        for name in ("pan_dots", "zoom_dots", "pan_images", "zoom_images", "pan_outlines", "pan_side_by_side"):
            if r[name]["fps"] < MAPS_FPS:
                out.append(f"{n:,} points: {name} {r[name]['fps']:.0f} fps < {MAPS_FPS}")
        for name, want in (("pan_images", 1.0), ("zoom_images", 1.0), ("pan_dots", 0.0)):
            if r[name]["with_images"] != want:
                out.append(f"{n:,} points: {name} drew images in {100 * r[name]['with_images']:.0f} % of frames")
        if r["hover_side_by_side"]["p95_ms"] > HOVER_TARGET_MS:
            out.append(f"{n:,} points: hover p95 {r['hover_side_by_side']['p95_ms']:.0f} ms > {HOVER_TARGET_MS} ms")
        if r["console_errors"] or r["requests"]:
            out.append(f"{n:,} points: console errors {r['console_errors']}, requests {r['requests']}")
    return out


def maps_main(as_json: bool) -> int:
    """`--maps`: the synthetic pages' layer figures, as a table (or JSON), targets missed on stderr."""
    from playwright.sync_api import sync_playwright

    results = {}
    with sync_playwright() as p, tempfile.TemporaryDirectory() as work:
        context = p.chromium.launch_persistent_context(
            str(Path(work) / "profile"),
            executable_path=HEADLESS_CHROMIUM,
            args=list(HEADLESS_FLAGS),
            headless=True,
            viewport=VIEWPORT,
        )
        for n in MAPS_SIZES:
            results[n] = measure_maps(context, synthetic_page(n, Path(work) / f"maps-{n}.html"))
        context.close()
    print(json.dumps(results, indent=2) if as_json else maps_table(results))
    for line in maps_targets(results):
        print(f"target missed: {line}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
