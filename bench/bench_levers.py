"""Training-step time of `fast` with one design lever changed at a time (issue 20's recipe v2), taking turns.

Each variant is `fast` (network/models.py's builder, given another stem or pooling order) with one change,
registered as an architecture of its own; they take turns over the same training images with bench_train.py's
``bench_speed`` (one pass each per turn, batch 128, the median turn). A ratio above 1 is faster than `fast` as
shipped. Speed only: what a lever does to accuracy takes real training (docs/commands.md, "Recipe v2: the levers
measured").

    python bench/bench_levers.py                        # every variant, 5 turns over 5,120 images
    python bench/bench_levers.py --variants fast-v1 --turns 9
    python bench/bench_levers.py --precision float32   # float32 even on a CPU with bfloat16 in hardware
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from bench_train import bench_speed, data_file, precision_option
from machine import load, machine

from fmtwist_cli.network import backends, models, trainingdata
from fmtwist_cli.network.precision import resolve


def without_scale(model: Any) -> Any:
    """The same network, its batch norms without the scale factor (each keeps its shift)."""
    config = model.get_config()
    for layer in config["layers"]:
        if layer["class_name"] == "BatchNormalization":
            layer["config"]["scale"] = False
    return type(model).from_config(config)


def register_variants() -> dict[str, str]:
    """Register each variant of `fast` in the architecture registry; return name -> what changes."""
    layers = models.import_keras().layers

    def stem(filters: int) -> list:
        return [layers.Conv2D(filters, 3, padding="same", activation="relu"), layers.MaxPooling2D(2)]

    table = {
        "fast-copy": (
            "fast built a second time, unchanged (the same speed as fast, or the turns are skewed)",
            lambda n: models.fast(n),
        ),
        "fast-v1": (
            "fast before recipe v2: 32 filters at 28x28, blocks 2-3 pooling after batch norm and ReLU",
            lambda n: models.fast(n, stem(32), pool_first=False),
        ),
        "conv1-32": ("32 filters in the 28x28 convolution, not 16", lambda n: models.fast(n, stem(32))),
        "pool-last": ("blocks 2-3 pool after batch norm and ReLU", lambda n: models.fast(n, pool_first=False)),
        "relu-after-pool": (
            "the first ReLU after its pooling (no longer fused into the convolution)",
            lambda n: models.fast(n, [layers.Conv2D(16, 3, padding="same"), layers.MaxPooling2D(2), layers.ReLU()]),
        ),
        "no-conv4": (
            "no fourth convolution (recipe v2's network, session 8)",
            lambda n: models.fast(n, conv4=None),
        ),
        "conv4-96": ("96 filters in the fourth convolution, not 64", lambda n: models.fast(n, conv4=96)),
        "conv4-128": ("128 filters in the fourth convolution, not 64", lambda n: models.fast(n, conv4=128)),
        "norm-no-scale": (
            "batch norms without their scale (redundant before a ReLU)",
            lambda n: without_scale(models.fast(n)),
        ),
        "strided-stem": (
            "a 4x4 stride-2 convolution instead of 3x3 + pooling",
            lambda n: models.fast(n, [layers.Conv2D(16, 4, strides=2, padding="same", activation="relu")]),
        ),
    }
    for name, (change, builder) in table.items():
        models.architecture(name, change)(builder)
    return {name: change for name, (change, _) in table.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variants", default=None, help="comma-separated; default: all")
    parser.add_argument("--turns", type=int, default=5)
    parser.add_argument("--images", type=int, default=5120, help="training images each variant passes per turn")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--artifacts", type=Path, default=Path("artifacts"), help="where data.npz is")
    precision_option(parser)
    parser.add_argument("--json", default=None, help="also write the figures to this file")
    args = parser.parse_args()
    precision = resolve(args.precision, backends.activate(None, "auto").device)
    changes = {"fast": "as shipped", **register_variants()}
    names = ["fast", *(args.variants.split(",") if args.variants else list(changes)[1:])]
    print(f"machine: {machine()}; {precision.value}; load average {load()}")
    data = trainingdata.load_training_data(data_file(args.artifacts))
    speed = bench_speed(data, names, args.images, args.turns, args.seed, precision)
    rates = speed["images_per_second"]
    rows = [
        {
            "variant": name,
            "change": changes[name],
            "images_per_second": rates[name],
            "vs_fast": rates[name] / rates["fast"],
        }
        for name in names
    ]
    print(f"{'variant':16} {'images/s':>9} {'vs fast':>8}  change")
    for row in rows:
        print(f"{row['variant']:16} {row['images_per_second']:9} {row['vs_fast']:7.2f}x  {row['change']}")
    print(f"{machine()}, load average {load()} at the end")
    if args.json:
        figures = {"machine": machine(), "precision": precision.value, **speed, "variants": rows}
        Path(args.json).write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
