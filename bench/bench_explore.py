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
- hover latency: from the pointer event to the frame showing the point's ring and card, over 60 points.

Targets (issue 12): 10,000 points: <= 8 MB, first frame <= 1.5 s, explore <= 10 s; 70,000 points: <= 45 MB,
>= 30 frames per second; hover <= 50 ms.

Usage:
    .venv/bin/python bench/bench_explore.py [--work /tmp/fmtwist-bench-explore] [--screenshot docs/explore.png]

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
TARGETS = {"test": {"mb": 8, "first_frame_ms": 1500, "explore_s": 10}, "all": {"mb": 45, "fps": 30}}
HOVER_TARGET_MS = 50


def fmtwist(*args: str | Path) -> str:
    done = subprocess.run([*FMTWIST, *map(str, args)], check=True, stdout=subprocess.PIPE, text=True)
    return done.stdout


def build_artifacts(work: Path) -> dict[str, Path]:
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
    for split in ("test", "all"):
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
    if screenshot is not None:
        take_screenshot(page, box, screenshot)
    page.close()
    return {
        "first_frame_ms": first,
        "images_ready_ms": images,
        "pan": pan,
        "zoom": zoom,
        "hover": hover,
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
        "| hover median / p95 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results.values():
        b = r["browser"]
        lines.append(
            f"| {r['points']:,} points | {r['bytes'] / 1e6:.1f} MB "
            f"| {r['explore_s']:.1f} s ({r['explore_cpu_s']:.1f} s CPU) "
            f"| {b['first_frame_ms']:.0f} ms "
            f"| {b['images_ready_ms']:.0f} ms | {b['pan']['fps']:.0f} ({b['pan']['draw_p95_ms']:.0f} ms) "
            f"| {b['zoom']['fps']:.0f} ({b['zoom']['draw_p95_ms']:.0f} ms) "
            f"| {b['hover']['median_ms']:.0f} / {b['hover']['p95_ms']:.0f} ms |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "fmtwist-bench-explore")
    parser.add_argument("--screenshot", type=Path, help="save a screenshot of the 10,000-point page here")
    parser.add_argument("--json", action="store_true", help="print the measurements as one JSON object")
    args = parser.parse_args()
    if not Path(HEADLESS_CHROMIUM).is_file():
        print(f"skipped: {HEADLESS_CHROMIUM} not installed (make setup installs it as root)", file=sys.stderr)
        return 0
    from playwright.sync_api import sync_playwright

    folders = build_artifacts(args.work)
    results = {}
    for split, folder in folders.items():
        wall, cpu, summary = time_explore(folder)
        results[split] = {
            "points": summary["points"],
            "bytes": summary["bytes"],
            "explore_s": wall,
            "explore_cpu_s": cpu,
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
        if b["hover"]["p95_ms"] > HOVER_TARGET_MS:
            out.append(f"{r['points']:,} points: hover p95 {b['hover']['p95_ms']:.0f} ms > {HOVER_TARGET_MS} ms")
        if b["console_errors"] or b["requests"]:
            out.append(f"{r['points']:,} points: console errors {b['console_errors']}, requests {b['requests']}")
    return out


if __name__ == "__main__":
    sys.exit(main())
