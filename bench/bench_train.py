"""Training speed and accuracy of every architecture, and fmtwist's own cost.

Part 1, in one run on the same data: each architecture trained with its own
recipe (``models.recipe``) through ``fmtwist_cli.network.training.train``, the call
``fmtwist train`` makes: seconds per epoch, total time, test accuracy, and the
time at which validation accuracy first reached 0.93 (at an epoch's end); with ``--seeds 0,1,2`` each one
trains once per seed and the table gives the mean test accuracy (issue 20's targets are judged on it). The
last column puts each full schedule against the custom network's: with
``--epochs-of custom=3`` custom trains 3 epochs and its 15-epoch time is
extrapolated from its seconds per epoch (the table says so). The
architectures train one after another, each under whatever load it met; with
``--turns N`` they also take turns over the same images, N rounds, for a
speed ratio that a change in load does not skew. Where two or more train, custom's short run trains both first
and last, and the matmul peak is measured at the start and at the end, each the mean of the two (``--no-bracket``:
once, at the start): on a host whose speed drifts by 20-30 % over minutes (docs/commands.md, session 15) a single
run of custom at the start set `fast`'s time against a moment of the machine it never met.

Each architecture's work per image is counted from its layers (``efficiency.py``: convolutions and dense layers,
a training step as three forward passes), giving the GFLOP/s training reached; the table sets that against the
matrix-multiply rate measured at the start of the same run in the precision the networks trained in (issue 20's
efficiency figure; ``--precision``, auto by default as in ``fmtwist train``: mixed bfloat16 on a CPU with bfloat16
in hardware, whose bfloat16 peak is then the yardstick, the fp32 one printed beside it).

Part 2: fmtwist's ``train`` with the command's progress display against a
plain Keras ``model.fit`` of the same network and settings (same optimizer,
learning-rate schedule, batch size, steps per execution, validation split and
input batches), taking turns, each from uint8 pixels to the test accuracy.
The difference is fmtwist's overhead: progress callback and display, Ctrl-C
handling. (Plain Keras fed NumPy arrays is slower still under ``--seed``:
TensorFlow's op determinism makes Keras' parallel slicing sequential.)

    python bench/bench_train.py                                      # everything (custom's 15 epochs: long)
    python bench/bench_train.py --archs fast,custom --epochs-of custom=3
    python bench/bench_train.py --archs custom,fast --epochs-of custom=2 --seeds 0,1,2 --overhead-arch none  # targets
    python bench/bench_train.py --archs fast,default --epochs 2 --overhead-epochs 1   # a quick look
    python bench/bench_train.py --archs none --overhead-arch default                 # part 2 only
    python bench/bench_train.py --no-train --turns 4 --overhead-arch none             # speed only, taking turns
    python bench/bench_train.py --archs custom,fast --precision float32 ...            # float32 even with bfloat16

Without ARTIFACTS/data.npz it prepares the default twist in a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from efficiency import forward_macs, matmul_peak, training_flops
from machine import load, machine
from targets import table, verdicts

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fmtwist_cli.artifacts import layout
from fmtwist_cli.network import backends, feeding, fitting, models, training, trainingdata
from fmtwist_cli.network.config import TrainConfig
from fmtwist_cli.network.precision import Precision, build, resolve

THRESHOLD = 0.93  # validation accuracy whose first epoch is timed


def data_file(artifacts: Path) -> Path:
    path = layout.Layout(artifacts).data
    if path.is_file():
        return path
    from fmtwist_cli.cli.app import main

    folder = Path(tempfile.mkdtemp(prefix="bench-train-"))
    print(f"note: no {path}; preparing the default twist in {folder}", file=sys.stderr)
    if main(["prepare", "-a", str(folder)]) != 0:
        raise SystemExit("fmtwist prepare failed")
    return layout.Layout(folder).data


def precision_option(parser: argparse.ArgumentParser) -> None:
    """``--precision``, as bench_train.py and bench_levers.py take it."""
    parser.add_argument(
        "--precision",
        choices=[p.value for p in Precision],
        default="auto",
        help="what the networks train in (auto: as `fmtwist train` picks it from the CPU's flags)",
    )


def first_reached(epochs: list[dict[str, Any]], threshold: float = THRESHOLD) -> float | None:
    """Seconds of training until the end of the first epoch whose validation accuracy reached ``threshold``."""
    elapsed = 0.0
    for row in epochs:
        elapsed += row["seconds"]
        if row.get("val_accuracy", 0.0) >= threshold:
            return elapsed
    return None


def bench_arch(
    data: trainingdata.TrainingData,
    arch: str,
    epochs: int | None,
    seeds: list[int],
    limit: int | None,
    precision: Precision = Precision.auto,
) -> list[dict[str, Any]]:
    """Train ``arch`` once per seed (one seed only when it trains fewer epochs than its recipe: then only its
    time counts, extrapolated); one run's figures per training, for :func:`summary`."""
    seeds = seeds[:1] if _extrapolated(arch, epochs) else seeds
    return [
        _train_once(data, TrainConfig(arch=arch, epochs=epochs, seed=seed, limit=limit, precision=precision.value))
        for seed in seeds
    ]


def _extrapolated(arch: str, epochs: int | None) -> bool:
    return epochs is not None and epochs != models.recipe(arch).epochs


def summary(arch: str, epochs: int | None, runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The table's row of ``arch``: accuracies per run and their mean, times and work averaged over the runs."""
    full, extrapolated = models.recipe(arch).epochs, _extrapolated(arch, epochs)
    per_epoch = statistics.mean(s for run in runs for s in run["seconds"])
    train_seconds = statistics.mean(run["train_seconds"] for run in runs)
    accuracies = [run["test_accuracy"] for run in runs]
    first = runs[0]
    return {
        "arch": arch,
        "params": first["params"],
        "epochs": first["epochs"],
        "recipe_epochs": full,
        "batch_size": first["batch_size"],
        "schedule": first["schedule"],
        "seeds": [run["seed"] for run in runs],
        "seconds_per_epoch": round(per_epoch, 1),
        "train_seconds": round(train_seconds, 1),
        "full_schedule_seconds": round(per_epoch * full if extrapolated else train_seconds, 1),
        "extrapolated": extrapolated,
        "test_accuracy": round(statistics.mean(accuracies), 4),
        "test_accuracies": accuracies,
        "val_accuracy": [run["val_accuracy"] for run in runs],
        "seconds_to_0.93": first["seconds_to_0.93"],
        "forward_mmac_per_image": first["forward_mmac_per_image"],
        "train_mflop_per_image": first["train_mflop_per_image"],
        "gflops": round(sum(run["work"] for run in runs) / sum(sum(run["seconds"]) for run in runs) / 1e9, 1),
        "load": [first["load"][0], runs[-1]["load"][1]],
    }


def _train_once(data: trainingdata.TrainingData, config: TrainConfig) -> dict[str, Any]:
    load_before = load()
    trained = training.train(data, config)
    hist = trained.history
    n_fit, n_val = hist["params"]["train_images"], hist["params"]["validation_images"]
    macs = forward_macs(trained.model)
    # each epoch: a training step per fitted image, a forward pass per validation image
    work = len(hist["epochs"]) * (n_fit * training_flops(trained.model) + n_val * 2 * macs)
    run = {
        "seed": config.seed,
        "params": hist["n_params"],
        "epochs": len(hist["epochs"]),
        "batch_size": hist["params"]["batch_size"],  # the recipe of the precision it trained in
        "schedule": hist["params"]["schedule"],
        "seconds": [row["seconds"] for row in hist["epochs"]],
        "train_seconds": hist["train_seconds"],
        "test_accuracy": round(hist["test"]["accuracy"], 4),
        "val_accuracy": [round(row.get("val_accuracy", float("nan")), 4) for row in hist["epochs"]],
        "seconds_to_0.93": first_reached(hist["epochs"]),
        "forward_mmac_per_image": round(macs / 1e6, 2),
        "train_mflop_per_image": round(training_flops(trained.model) / 1e6, 1),
        "work": work,
        "load": [load_before, load()],
    }
    print(json.dumps({"arch": config.arch} | run), file=sys.stderr, flush=True)
    return run


def bench_speed(
    data: trainingdata.TrainingData,
    archs: list[str],
    images: int,
    turns: int,
    seed: int,
    precision: Precision = Precision.float32,
) -> dict[str, Any]:
    """Images per second of each architecture's training step, the architectures taking turns over the same
    ``images`` training images (one pass each per turn, batch 128, built in ``precision``, a resolved one), so a
    change in the machine's load hits all alike; the median turn counts. Part 1 runs them one after another,
    under whatever load each one met."""
    keras = models.import_keras()
    x, y = trainingdata.scale(data.x_train[:images]), np.eye(data.n_classes, dtype=np.float32)[data.y_train[:images]]
    built = {}
    for arch in archs:
        keras.utils.set_random_seed(seed)
        built[arch] = build(lambda arch=arch: models.build(arch, data.n_classes), precision)
        built[arch].compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
        built[arch].fit(x[:512], y[:512], batch_size=128, epochs=1, verbose=0)  # traced before the clock starts
    times: dict[str, list[float]] = {arch: [] for arch in archs}
    feed = feeding.batches(x, y, 128, backends.Backend.tensorflow)  # fmtwist's pipeline: no tf.data autotuning
    for _ in range(turns):
        for arch, model in built.items():
            start = time.perf_counter()
            model.fit(feed, epochs=1, verbose=0)
            times[arch].append(time.perf_counter() - start)
    rate = {arch: images / statistics.median(t) for arch, t in times.items()}
    return {
        "images": images,
        "turns": turns,
        "seconds": {a: [round(t, 2) for t in v] for a, v in times.items()},
        "images_per_second": {a: round(r) for a, r in rate.items()},
    }


def plain_keras(data: trainingdata.TrainingData, config: TrainConfig, backend: backends.Backend) -> float:
    """The same network, settings and input batches through Keras alone (no
    callbacks, no progress); returns the test accuracy."""
    keras = models.import_keras()
    keras.utils.set_random_seed(config.seed)
    y, y_test = (fitting.targets(labels, data.n_classes, config.loss) for labels in (data.y_train, data.y_test))
    n_fit = int(len(data.x_train) * (1 - config.validation_split))
    x = trainingdata.scale(data.x_train)

    def feed(images: np.ndarray, targets: np.ndarray, shuffle: bool = False) -> Any:
        return feeding.batches(images, targets, config.batch_size, backend, shuffle)

    model = build(lambda: models.build(config.arch, data.n_classes), Precision(config.precision))  # a resolved one
    fitting.compile_model(model, config, -(-n_fit // config.batch_size))  # fmtwist's optimizer, schedule and loss
    model.fit(
        **feeding.fit_args(feed(x[:n_fit], y[:n_fit], shuffle=True)),
        validation_data=feeding.validation_data(feed(x[n_fit:], y[n_fit:])),
        epochs=config.epochs,
        verbose=0,
    )
    test = feed(trainingdata.scale(data.x_test), y_test)
    return float(model.evaluate(**feeding.fit_args(test, fitting=False), verbose=0, return_dict=True)["accuracy"])


def fmtwist_train(data: trainingdata.TrainingData, config: TrainConfig, backend: backends.Backend) -> float:
    """What `fmtwist train` runs: the library call with the command's progress display and lines."""
    from fmtwist_cli.cli import ui

    with ui.bar() as progress:
        return float(training.train(data, config, progress, ui.log).history["test"]["accuracy"])


def bench_overhead(
    data: trainingdata.TrainingData,
    arch: str,
    epochs: int,
    seed: int,
    repeat: int,
    backend: backends.Backend,
    precision: Precision = Precision.float32,
) -> dict[str, Any]:
    config = TrainConfig(arch=arch, epochs=epochs, seed=seed, precision=precision.value)
    times: dict[str, list[float]] = {"fmtwist": [], "keras": []}
    accuracy: dict[str, float] = {}
    for _ in range(repeat):  # taking turns, so a change in the machine's load hits both sides alike
        for name, fn in (("keras", plain_keras), ("fmtwist", fmtwist_train)):
            start = time.perf_counter()
            accuracy[name] = fn(data, config, backend)
            times[name].append(time.perf_counter() - start)
    ratio = statistics.median(times["fmtwist"]) / statistics.median(times["keras"])
    return {
        "arch": arch,
        "epochs": epochs,
        "repeat": repeat,
        "seconds": {k: [round(t, 1) for t in v] for k, v in times.items()},
        "median_seconds": {k: round(statistics.median(v), 1) for k, v in times.items()},
        "overhead": round(ratio - 1, 3),
        "test_accuracy": {k: round(v, 4) for k, v in accuracy.items()},
    }


def _peaks(precision: Precision) -> dict[str, float]:
    """The matmul rate now, fp32's and ``precision``'s (a resolved one), printed as measured."""
    peaks = {p.value: matmul_peak(dtype=p.value) for p in dict.fromkeys((Precision.float32, precision))}
    print("matmul peak: " + _rates(peaks), file=sys.stderr)
    return peaks


def _rates(peaks: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.1f} GFLOP/s" for k, v in peaks.items())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-a", "--artifacts", type=Path, default=Path(os.environ.get("FMTWIST_ARTIFACTS", "artifacts")))
    parser.add_argument(
        "--archs", default=",".join(models.ARCHITECTURES), help="comma-separated architectures, or none"
    )
    parser.add_argument(
        "--epochs", type=int, default=None, help="epochs for every architecture (default: each one's recipe)"
    )
    parser.add_argument(
        "--epochs-of", action="append", default=[], metavar="ARCH=N", help="epochs for one architecture (repeatable)"
    )
    parser.add_argument("--limit", type=int, default=None, help="first LIMIT images of each split only")
    parser.add_argument("--seed", type=int, default=0, help="seed of the speed turns and part 2")
    parser.add_argument(
        "--seeds", default=None, help="comma-separated seeds part 1 trains each architecture with (default: --seed)"
    )
    parser.add_argument(
        "--train", action=argparse.BooleanOptionalAction, default=True, help="part 1 (--no-train skips it)"
    )
    parser.add_argument(
        "--turns", type=int, default=0, help="also time the architectures taking turns, this many rounds"
    )
    parser.add_argument("--turn-images", type=int, default=4800, help="training images per turn")
    parser.add_argument(
        "--bracket",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="custom's short run (--epochs-of custom=N) both first and last, the peak at the start and the end, "
        "each the mean of the two (--no-bracket: once, at the start)",
    )
    parser.add_argument("--overhead-arch", default="default", help="network for part 2, or none")
    parser.add_argument("--overhead-epochs", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=2, help="turns each side takes in part 2")
    precision_option(parser)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this file")
    args = parser.parse_args(argv)
    archs = [] if args.archs == "none" else args.archs.split(",")
    epochs_of = {k: int(v) for k, v in (item.split("=", 1) for item in args.epochs_of)}
    seeds = [int(seed) for seed in args.seeds.split(",")] if args.seeds else [args.seed]

    data = trainingdata.load_training_data(data_file(args.artifacts))
    runtime = backends.activate(None, "auto")
    backends.seed_everything(args.seed, runtime.backend)  # both sides of part 2 run with the same kernels
    precision = resolve(args.precision, runtime.device)
    print(
        f"machine: {machine()}; {runtime.backend.value} on {runtime.device}, {precision.value}; load {load()}",
        file=sys.stderr,
    )
    # the machine's matmul rate, this run, through the same backend: fp32's, and the precision's trained in
    peaks = _peaks(precision)
    runs: dict[str, list[dict[str, Any]]] = {}
    for arch in archs if args.train else []:
        runs[arch] = bench_arch(data, arch, epochs_of.get(arch, args.epochs), seeds, args.limit, precision)
    bracket = args.bracket and len(runs) > 1  # a drift between the start and the end then hits both sides alike
    custom_epochs = epochs_of.get("custom", args.epochs)
    if bracket and "custom" in runs and _extrapolated("custom", custom_epochs):
        runs["custom"] += bench_arch(data, "custom", custom_epochs, seeds, args.limit, precision)
    if bracket:
        after = _peaks(precision)
        peaks = {k: statistics.mean((v, after[k])) for k, v in peaks.items()}
        print("matmul peak, mean of the start and the end: " + _rates(peaks), file=sys.stderr)
    peak = peaks[precision.value]
    rows = [summary(arch, epochs_of.get(arch, args.epochs), arch_runs) for arch, arch_runs in runs.items()]
    custom_full = next((r["full_schedule_seconds"] for r in rows if r["arch"] == "custom"), None)
    result: dict[str, Any] = {
        "machine": machine(),
        "backend": runtime.record(),
        "precision": precision.value,
        "matmul_peak_gflops": {k: round(v, 1) for k, v in peaks.items()},
        "architectures": rows,
    }
    if rows:
        print(table(rows, custom_full, peak, precision.value))
    if custom_full:
        result["targets"] = verdicts(rows, custom_full, peak)
        print("\n" + "\n".join(result["targets"]))
    if args.turns and archs:
        speed = bench_speed(data, archs, args.turn_images, args.turns, args.seed, precision)
        result["speed"] = speed
        rate = speed["images_per_second"]
        base = rate.get("custom")
        print(f"\nTaking turns ({args.turns} rounds of {args.turn_images} training images each, median):")
        for arch, r in rate.items():
            print(f"  {arch}: {r} images/s" + (f", {r / base:.1f}x custom's" if base else ""))
    if args.overhead_arch != "none":
        over = bench_overhead(
            data, args.overhead_arch, args.overhead_epochs, args.seed, args.repeat, runtime.backend, precision
        )
        result["overhead"] = over
        med = over["median_seconds"]
        print(
            f"\nfmtwist train vs plain Keras model.fit ({over['arch']}, {over['epochs']} epochs, "
            f"median of {over['repeat']} turns each): "
            f"{med['fmtwist']:.1f} s vs {med['keras']:.1f} s, overhead {over['overhead']:+.1%} "
            f"(test accuracy {over['test_accuracy']['fmtwist']:.4f} vs {over['test_accuracy']['keras']:.4f})"
        )
    print(f"\n{machine()}, {runtime.backend.value} on {runtime.device}, load average {load()} at the end")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
