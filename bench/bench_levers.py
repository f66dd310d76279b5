"""Training-step time of `fast` with one design lever changed at a time (issue 20's recipe v2), taking turns.

Every variant is `fast` (models.py) with one change; all are built and compiled in one process, then train on
the same random batches (a 28x28 image in [0, 1], 5 classes), one round after another: ``--turns`` rounds of
``--steps`` steps each, the median round per variant. A ratio above 1 is faster than `fast`. Speed only: what a
lever does to accuracy takes real training (docs/commands.md, "Recipe v2: the levers measured").

    python bench/bench_levers.py                       # every variant, 5 turns of 40 steps
    python bench/bench_levers.py --variants fast,conv1-16 --turns 9
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

from machine import load, machine


def variants(keras):
    """name -> (what changes, the layers after the input)."""
    layers = keras.layers

    def block(filters, pool_first=False):
        conv = layers.Conv2D(filters, 3, padding="same", use_bias=False)
        norm, relu, pool = layers.BatchNormalization(), layers.ReLU(), layers.MaxPooling2D(2)
        return [conv, pool, norm, relu] if pool_first else [conv, norm, relu, pool]

    def tail(pool_first=False):
        return [
            *block(64, pool_first),
            layers.Dropout(0.2),
            *block(128, pool_first),
            layers.Flatten(),
            layers.Dropout(0.5),
            layers.Dense(5, activation="softmax"),
        ]

    def stem(filters=32):
        return [layers.Conv2D(filters, 3, padding="same", activation="relu"), layers.MaxPooling2D(2)]

    return {
        "fast": ("as shipped", lambda: [*stem(), *tail()]),
        "conv1-16": ("16 filters in the 28x28 convolution, not 32", lambda: [*stem(16), *tail()]),
        "pool-first": ("blocks 2-3 pool before batch norm and ReLU", lambda: [*stem(), *tail(pool_first=True)]),
        "relu-after-pool": (
            "the first ReLU after its pooling (no longer fused into the convolution)",
            lambda: [layers.Conv2D(32, 3, padding="same"), layers.MaxPooling2D(2), layers.ReLU(), *tail()],
        ),
        "strided-stem": (
            "a 4x4 stride-2 convolution instead of 3x3 + pooling",
            lambda: [layers.Conv2D(32, 4, strides=2, padding="same", activation="relu"), *tail()],
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variants", default=None, help="comma-separated; default: all")
    parser.add_argument("--turns", type=int, default=5)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--json", default=None, help="also write the figures to this file")
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ["KERAS_BACKEND"] = "tensorflow"
    import keras
    import numpy as np
    import tensorflow as tf

    table = variants(keras)
    names = args.variants.split(",") if args.variants else list(table)
    print(f"machine: {machine()}; load average {load()}")
    rng = np.random.default_rng(0)
    n = args.batch_size * args.steps
    x = rng.random((n, 28, 28, 1), dtype=np.float32)
    y = np.eye(5, dtype=np.float32)[rng.integers(0, 5, n)]
    batches = tf.data.Dataset.from_tensor_slices((x, y)).batch(args.batch_size).prefetch(2)
    models = {}
    for name in names:
        model = keras.Sequential([keras.Input((28, 28, 1)), *table[name][1]()])
        model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="categorical_crossentropy", metrics=["accuracy"])
        model.fit(batches, epochs=1, verbose=0)  # traced and warm
        models[name] = model
    seconds = {name: [] for name in models}
    for _ in range(args.turns):
        for name, model in models.items():
            start = time.perf_counter()
            model.fit(batches, epochs=1, verbose=0)
            seconds[name].append(time.perf_counter() - start)
    first = statistics.median(seconds[names[0]])
    rows = []
    print(f"{'variant':16} {'ms/step':>8} {'s/48k img':>10} {'vs ' + names[0]:>9}  change")
    for name in names:
        median = statistics.median(seconds[name])
        row = {
            "variant": name,
            "change": table[name][0],
            "ms_per_step": round(1000 * median / args.steps, 1),
            "seconds_per_48000": round(median / n * 48000, 1),
            "speed_vs_first": round(first / median, 2),
        }
        rows.append(row)
        figures = f"{row['ms_per_step']:8} {row['seconds_per_48000']:10} {row['speed_vs_first']:8}x"
        print(f"{name:16} {figures}  {row['change']}")
    print(f"{machine()}, load average {load()} at the end")
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"machine": machine(), "turns": args.turns, "steps": args.steps, "variants": rows}, out, indent=1)


if __name__ == "__main__":
    main()
