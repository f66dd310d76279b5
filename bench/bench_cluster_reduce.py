"""Bench for `fmtwist cluster` and `fmtwist reduce` (issue 4), in one run:

1. t-SNE: fmtwist's (backend fmtwist) against scikit-learn's TSNE with its
   defaults on the full standardized features (the notebook's way): time
   ratio and trustworthiness (k = 10, fixed sample) of both, same seed.
2. UMAP: `fmtwist reduce --method umap` twice, each in a new process, with a
   fresh numba cache folder: the first run compiles, the second must not.
3. Peak memory (max RSS of the process) of `fmtwist cluster` with DBSCAN
   (--eps 45, the notebook's) and HDBSCAN on all 70,000 embeddings.
4. ARI against the original categories (needs --answer-key): K-Means with 10
   clusters on the t-SNE map, against clustering within each mystery class.

Usage:

    nice .venv/bin/python bench/bench_cluster_reduce.py \\
        --embeddings artifacts/embeddings.npz --all artifacts/embeddings-all.npz --out bench/cluster_reduce.json

Each part can be skipped (--skip tsne,umap,dbscan,hdbscan,categories). Figures are
printed and written as JSON; nothing here is hard-coded.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FMTWIST = [sys.executable, "-m", "fmtwist_cli"]


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def bench_tsne(path: Path, seed: int) -> dict:
    from fmtwist_cli import artifacts
    from fmtwist_cli.groups import features
    from fmtwist_cli.maps import projection, trust

    x = features.prepare_features(artifacts.load(path, "embeddings")["embedding"])
    out = {"rows": int(x.shape[0]), "dims": int(x.shape[1])}
    for backend in ("sklearn", "fmtwist"):
        log(f"t-SNE {backend} on {x.shape[0]:,} x {x.shape[1]:,} ...")
        start = time.perf_counter()
        coords = projection.tsne(x, seed=seed, backend=backend)
        seconds = time.perf_counter() - start
        out[backend] = {
            "seconds": round(seconds, 2),
            "trustworthiness": round(trust.trustworthiness(x, coords), 4),
        }
        log(f"  {out[backend]}")
    out["speedup"] = round(out["sklearn"]["seconds"] / out["fmtwist"]["seconds"], 2)
    out["trust_difference"] = round(out["fmtwist"]["trustworthiness"] - out["sklearn"]["trustworthiness"], 4)
    out["fmtwist_settings"] = projection.FAST_TSNE
    return out


def measure(cmd: list[str], env: dict | None = None) -> dict:
    """Run ``cmd`` from a fresh Python process so RUSAGE_CHILDREN is its own peak."""
    wrapper = (
        "import json, subprocess, sys, time, resource\n"
        "t = time.perf_counter()\n"
        "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "wall = time.perf_counter() - t\n"
        "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
        "print(json.dumps({'rc': p.returncode, 'wall': wall, 'peak_mb': peak, "
        "'out': p.stdout, 'err': p.stderr[-3000:]}))\n"
    )
    done = subprocess.run([sys.executable, "-c", wrapper, *cmd], capture_output=True, text=True, env=env, cwd=ROOT)
    result = json.loads(done.stdout)
    if result["rc"] != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{result['err']}")
    return {
        "output": json.loads(result["out"]),
        "wall_seconds": round(result["wall"], 2),
        "peak_mb": round(result["peak_mb"], 1),
    }


def bench_umap(path: Path, seed: int, workdir: Path) -> dict:
    env = {**os.environ, "XDG_CACHE_HOME": str(workdir / "cache")}
    env.pop("NUMBA_CACHE_DIR", None)
    out = {}
    for run in ("first", "second"):
        log(f"UMAP, {run} process ...")
        cmd = FMTWIST + [
            "reduce",
            "--method",
            "umap",
            "--embeddings",
            str(path),
            "--seed",
            str(seed),
            "-a",
            str(workdir),
            "--json",
        ]
        m = measure(cmd, env)
        out[run] = {
            "umap_seconds": m["output"]["seconds"],
            "process_seconds": m["wall_seconds"],
            "trustworthiness": m["output"]["trustworthiness"],
        }
        log(f"  {out[run]}")
    out["compile_seconds_saved"] = round(out["first"]["umap_seconds"] - out["second"]["umap_seconds"], 2)
    return out


def bench_cluster(path: Path, method: str, extra: list[str], workdir: Path) -> dict:
    log(f"{method} {' '.join(extra)} on {path} ...")
    cmd = FMTWIST + ["cluster", "--method", method, "--embeddings", str(path), "-a", str(workdir), "--json", *extra]
    m = measure(cmd)
    o = m["output"]
    result = {
        "args": extra,
        "rows": o["rows"],
        "features": o["features"],
        "seconds": o["seconds"],
        "process_seconds": m["wall_seconds"],
        "peak_rss_mb": m["peak_mb"],
        "n_clusters": o["n_clusters"],
        "noise_share": round(o["noise_share"], 4),
        "largest": o["sizes"][:6],
    }
    if "mystery" in o:
        result["ari_mystery"] = round(o["mystery"]["ari"], 4)
    log(f"  {result}")
    return result


def bench_categories(path: Path, answer_key: Path, seed: int, workdir: Path) -> dict:
    """Which settings separate the 10 original categories best (ARI)."""
    log("t-SNE map for the category figures ...")
    coords = workdir / "coords-tsne.npz"
    measure(
        FMTWIST
        + [
            "reduce",
            "--method",
            "tsne",
            "--embeddings",
            str(path),
            "--out",
            str(coords),
            "--seed",
            str(seed),
            "-a",
            str(workdir),
            "--json",
        ]
    )
    settings = {
        "kmeans_k10_tsne": ["--method", "kmeans", "--k", "10", "--coords", str(coords)],
        "kmeans_within_tsne": ["--method", "kmeans", "--within-classes", "--coords", str(coords)],
        "kmeans_within_pca50": ["--method", "kmeans", "--within-classes", "--pca", "50"],
        "ward_within_tsne": ["--method", "agglomerative", "--within-classes", "--coords", str(coords)],
    }
    out = {}
    for name, extra in settings.items():
        o = measure(
            FMTWIST
            + [
                "cluster",
                "--embeddings",
                str(path),
                "--answer-key",
                str(answer_key),
                "--seed",
                str(seed),
                "--out",
                str(workdir / f"clusters-{name}.npz"),
                "-a",
                str(workdir),
                "--json",
                *extra,
            ]
        )["output"]
        out[name] = {
            "args": extra,
            "n_clusters": o["n_clusters"],
            "ari_original": round(o["original"]["ari"], 4),
            "nmi_original": round(o["original"]["nmi"], 4),
            "accuracy_original": round(o["original"]["accuracy"], 4),
        }
        log(f"  {name}: {out[name]}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--embeddings", type=Path, default=ROOT / "artifacts" / "embeddings.npz", help="the 10,000 test embeddings"
    )
    parser.add_argument(
        "--all", type=Path, default=ROOT / "artifacts" / "embeddings-all.npz", help="all 70,000 embeddings"
    )
    parser.add_argument("--out", type=Path, default=None, help="also write the figures here (JSON)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip", default="", help="comma-separated parts to skip: tsne, umap, dbscan, hdbscan")
    parser.add_argument(
        "--answer-key",
        type=Path,
        default=ROOT / "artifacts" / "twist.json",
        help="twist.json, for the category figures",
    )
    parser.add_argument("--eps", default="45", help="DBSCAN eps for the 70,000-row run (default: the notebook's 45)")
    args = parser.parse_args()
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}

    import numpy
    import sklearn

    figures: dict = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "sklearn": sklearn.__version__,
            "numpy": numpy.__version__,
        },
        "inputs": {"embeddings": str(args.embeddings), "all": str(args.all)},
    }
    with tempfile.TemporaryDirectory(prefix="fmtwist-bench-") as tmp:
        workdir = Path(tmp)
        if "tsne" not in skip:
            figures["tsne"] = bench_tsne(args.embeddings, args.seed)
        if "umap" not in skip:
            figures["umap"] = bench_umap(args.embeddings, args.seed, workdir)
        if "dbscan" not in skip:
            figures["dbscan_all"] = bench_cluster(
                args.all, "dbscan", ["--eps", args.eps, "--min-samples", "15"], workdir
            )
        if "hdbscan" not in skip:
            figures["hdbscan_all"] = bench_cluster(args.all, "hdbscan", ["--min-cluster-size", "100"], workdir)
        if "categories" not in skip and args.answer_key.exists():
            figures["categories"] = bench_categories(args.embeddings, args.answer_key, args.seed, workdir)
    text = json.dumps(figures, indent=2)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
