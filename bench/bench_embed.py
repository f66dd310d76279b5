"""Keras ``predict`` against the onnxruntime path that ``fmtwist embed`` uses.

One run, one model, the same images: both sides start from uint8 pixels,
scale them, and compute the embedding and the class probabilities (Keras
through the two-headed model that ``export`` converts, onnxruntime through
``fmtwist_cli.encode.embedding.predict``). Each side is warmed up once, then timed
``--repeat`` times, the two sides taking turns; the table shows the median.

    python bench/bench_embed.py                          # artifacts/model-custom.{keras,onnx}, 10,000 test images
    python bench/bench_embed.py --arch default --json artifacts/bench.json
    python bench/bench_embed.py --untrained              # no training needed: a fresh custom model

Without a trained model in the artifacts folder it benches a fresh one (with a
note), so ``make bench`` works on a new checkout.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fmtwist_cli import artifacts
from fmtwist_cli.artifacts import layout
from fmtwist_cli.encode import embedding
from fmtwist_cli.network import export, modelfiles, models, trainingdata


def timed(fns, repeat: int) -> list[list[float]]:
    """Time each function ``repeat`` times, alternating between them so a
    change in the machine's load hits every side alike."""
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeat):
        for fn, out in zip(fns, times):
            start = time.perf_counter()
            fn()
            out.append(time.perf_counter() - start)
    return times


def images_for(data: Path, n: int) -> tuple[np.ndarray, str]:
    if data.is_file():
        x = artifacts.load(data, "data")["x_test"]
        reps = -(-n // len(x))
        return np.concatenate([x] * reps)[:n], f"{n} test images of {data}"
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), f"{n} random images"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-a", "--artifacts", type=Path, default=Path(os.environ.get("FMTWIST_ARTIFACTS", "artifacts")))
    parser.add_argument("--arch", default=models.DEFAULT_ARCH)
    parser.add_argument(
        "--data",
        type=Path,
        default=None,
        help="images from this data.npz (default: ARTIFACTS/data.npz; random images if absent)",
    )
    parser.add_argument(
        "--untrained", action="store_true", help="bench a freshly built model (speed does not depend on the weights)"
    )
    parser.add_argument("--images", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=256, help="the same for both sides (embed's default)")
    parser.add_argument(
        "--threads", type=int, default=None, help="onnxruntime intra-op threads (default: one per core, as embed)"
    )
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this file")
    args = parser.parse_args(argv)

    keras = models.import_keras()
    import onnxruntime
    import tensorflow as tf

    tmp = tempfile.TemporaryDirectory()
    keras_file = layout.Layout(args.artifacts).model(args.arch)
    onnx_file = keras_file.with_suffix(".onnx")
    if not args.untrained and not (keras_file.is_file() and onnx_file.is_file()):
        print(
            f"note: no trained model at {onnx_file} (`fmtwist train` and `fmtwist export` make it); "
            f"benching an untrained {args.arch} model, speed does not depend on the weights",
            file=sys.stderr,
        )
        args.untrained = True
    if args.untrained:
        keras.utils.set_random_seed(0)
        keras_file = layout.Layout(tmp.name).model(args.arch)
        onnx_file = keras_file.with_suffix(".onnx")
        modelfiles.save_model(models.build(args.arch, 5), keras_file)
        export.export(keras_file, onnx_file, data_path=None)
    head = export.two_headed(modelfiles.load_model(keras_file), models.DEFAULT_LAYER)
    info = embedding.describe(onnx_file, args.threads)
    images, described = images_for(args.data or layout.Layout(args.artifacts).data, args.images)

    def run_keras():
        return head.predict(trainingdata.scale(images), batch_size=args.batch_size, verbose=0)

    def run_ort():
        return embedding.run(info, images, args.batch_size)

    # warm up (graph tracing, arena allocation) and check both agree
    warm = images[:512]
    k_out, o_out = (
        head.predict(trainingdata.scale(warm), batch_size=args.batch_size, verbose=0),
        embedding.run(info, warm, args.batch_size),
    )
    diff = max(
        float(np.abs(np.asarray(k_out[name]).reshape(len(warm), -1) - o_out[name]).max())
        for name in ("embedding", "probs")
    )
    keras_times, ort_times = timed([run_keras, run_ort], args.repeat)
    keras_s, ort_s = statistics.median(keras_times), statistics.median(ort_times)
    result = {
        "model": str(keras_file if not args.untrained else f"untrained {args.arch}"),
        "arch": args.arch,
        "images": described,
        "batch_size": args.batch_size,
        "threads": args.threads or os.cpu_count(),
        "repeat": args.repeat,
        "keras_predict": {"seconds": keras_s, "images_per_s": args.images / keras_s, "all_seconds": keras_times},
        "onnxruntime": {"seconds": ort_s, "images_per_s": args.images / ort_s, "all_seconds": ort_times},
        "ratio": keras_s / ort_s,
        "max_abs_diff": diff,
        "cpu": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "versions": {"tensorflow": tf.__version__, "keras": keras.__version__, "onnxruntime": onnxruntime.__version__},
    }
    width = 24
    print(
        f"{result['images']}, batch {args.batch_size}, {result['threads']} threads, "
        f"median of {args.repeat}; {args.arch} model"
    )
    print(f"{'path':<{width}} {'seconds':>8} {'images/s':>10}")
    print(f"{'Keras predict':<{width}} {keras_s:>8.2f} {args.images / keras_s:>10,.0f}")
    print(f"{'onnxruntime (embed)':<{width}} {ort_s:>8.2f} {args.images / ort_s:>10,.0f}")
    print(f"onnxruntime / Keras: {result['ratio']:.2f}x the images per second (largest output difference {diff:.1e})")
    if args.json:
        artifacts.save_json(args.json, result)
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
