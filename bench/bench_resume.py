"""Training that resumes: random SIGKILLs, and what a checkpoint costs per epoch (issue 21, part 4).

Part 1: `fmtwist train` runs once uninterrupted (the reference), then in chains: each chain kills the run with
SIGKILL up to ``--per-chain`` times, each at a random moment (uniform over the reference's time for the epochs
still to do, from the run's "Training on" line), starting the same command again after each kill, and then lets
it finish (a run that ends before its kill's moment ends its chain). A chain is identical when its `.keras` file
has the reference's bytes and its history the reference's content apart from timings; each kill of an identical
chain counts as a kill followed by a resume that ended identical. ``--write-kills`` of the kills instead land
during a checkpoint write: the run pauses halfway through writing the checkpoint's bytes (test hook
``FMTWIST_CHECKPOINT_PAUSE``) and is killed there.

Part 2: the same training in this process with a checkpoint every epoch and without one, taking turns
(``--turns``), the median per-epoch time of each; and the write alone (the variables fetched and the file
written atomically, fsync included), median of 20, for every architecture at the checkpoint's real size.

    python bench/bench_resume.py                                    # 20 kills (4 during a write), then part 2
    python bench/bench_resume.py --kills 0 --turns 3                # part 2 only
    python bench/bench_resume.py --arch fast --limit 2000 --epochs 4 --kills 5

Without ARTIFACTS/data.npz it prepares the default twist in a temporary folder.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench_train import data_file  # the default twist, prepared when the folder has none
from machine import load, machine

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fmtwist_cli import artifacts
from fmtwist_cli.artifacts import layout
from fmtwist_cli.network import checkpoint, fitting, models, training, trainingdata
from fmtwist_cli.network.config import TrainConfig

DRIVER = "import sys; from fmtwist_cli.cli.app import main; sys.exit(main(sys.argv[1:]))"


class Run:
    """`fmtwist train` in a child process; ``started``: when its "Training on" line came."""

    def __init__(self, folder: Path, args: list[str], env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", DRIVER, "train", *args, "-a", str(folder)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=os.environ | (env or {}),
        )
        self.lines: list[str] = []
        self.started: float | None = None
        self.ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))
            if line.startswith("Training on"):
                self.started = time.monotonic()
                self.ready.set()
        self.ready.set()

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()


def fingerprint(folder: Path, stem: str) -> tuple[str, Any]:
    """The model file's SHA-256 and the history without timings or the folder's name."""

    def strip(obj: Any) -> Any:
        if isinstance(obj, dict):
            return {k: strip(v) for k, v in obj.items() if "seconds" not in k and "time" not in k}
        if isinstance(obj, list):
            return [strip(v) for v in obj]
        return obj.replace(str(folder), "<run>") if isinstance(obj, str) else obj

    model = hashlib.sha256((folder / f"model-{stem}.keras").read_bytes()).hexdigest()
    return model, strip(artifacts.load_json(folder / f"history-{stem}.json"))


def fresh_folder(root: Path, name: str, data: Path) -> Path:
    folder = root / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    shutil.copy2(data, folder / "data.npz")
    return folder


def kill_once(folder: Path, args: list[str], kind: str, span: float, rng: random.Random) -> dict | None:
    """Start the run and kill it: at a random moment ("random") or in a checkpoint write ("write"). None: it
    finished before the moment came."""
    stem = args[args.index("--arch") + 1]
    had = (folder / f"checkpoint-{stem}.npz").exists()
    if kind == "write":
        run = Run(folder, args, {checkpoint.PAUSE_ENV: "30"})
        while not any(p.stat().st_size for p in folder.glob(f".checkpoint-{stem}.*.tmp.npz")):
            if run.proc.poll() is not None:
                return None
            time.sleep(0.01)
        run.ready.wait()
        moment = round(time.monotonic() - run.started, 2)
    else:
        epochs = int(args[args.index("--epochs") + 1])
        done = checkpoint.load(folder / f"checkpoint-{stem}.npz").epoch if had else 0
        run = Run(folder, args)
        run.ready.wait()
        # over the training still to do: the reference's time for the epochs left (a fifth of it at least)
        moment = round(rng.uniform(0, span * max(0.2, (epochs - done) / epochs)), 2)
        time.sleep(max(0.0, run.started + moment - time.monotonic()))
        if run.proc.poll() is not None:
            return None
    run.kill()
    done = sum(line.startswith("Epoch ") for line in run.lines)
    return {"kind": kind, "seconds_after_start": moment, "epochs_logged": done, "had_checkpoint": had}


def part1(data: Path, args: argparse.Namespace, root: Path) -> dict[str, Any]:
    train_args = ["--arch", args.arch, "--epochs", str(args.epochs), "--batch-size", str(args.batch_size)]
    train_args += ["--seed", "0"] + (["--limit", str(args.limit)] if args.limit else [])
    reference = fresh_folder(root, "reference", data)
    run = Run(reference, train_args)
    if run.proc.wait() != 0:
        raise SystemExit("\n".join(run.lines))
    span = time.monotonic() - run.started  # the training's own time, from "Training on" to the end
    expected = fingerprint(reference, args.arch)
    rng = random.Random(args.seed)
    kinds = ["write"] * args.write_kills + ["random"] * (args.kills - args.write_kills)
    rng.shuffle(kinds)
    chains: list[dict[str, Any]] = []
    todo = list(kinds)
    while todo:
        folder, kills, code = fresh_folder(root, f"chain{len(chains)}", data), [], None
        while todo and len(kills) < args.per_chain:
            kill = kill_once(folder, train_args, todo[0], span, rng)
            if kill is None:  # the run ended before its kill: the chain ends with it
                code = 0
                break
            kills.append(kill)
            todo.pop(0)
        if code is None:
            code = Run(folder, train_args).proc.wait()
        if not kills:
            continue
        same = code == 0 and fingerprint(folder, args.arch) == expected
        left = sorted(p.name for p in folder.iterdir() if "checkpoint" in p.name)
        chains.append({"kills": kills, "identical": same, "exit": code, "checkpoint_files_left": left})
        print(json.dumps(chains[-1]), file=sys.stderr, flush=True)
    identical = sum(len(ch["kills"]) for ch in chains if ch["identical"])
    return {
        "command": "fmtwist train " + " ".join(train_args),
        "reference_seconds": round(span, 1),
        "kills": len(kinds),
        "kills_during_a_write": args.write_kills,
        "kills_followed_by_an_identical_resume": identical,
        "chains": chains,
    }


def part2(data_path: Path, args: argparse.Namespace, root: Path) -> dict[str, Any]:
    data = trainingdata.load_training_data(data_path)
    config = TrainConfig(arch=args.arch, epochs=args.epochs, batch_size=args.batch_size, seed=0, limit=args.limit)
    per_epoch: dict[str, list[float]] = {"with": [], "without": []}
    for _ in range(args.turns):
        for name in ("with", "without"):
            path = layout.Layout(root).checkpoint(args.arch) if name == "with" else None
            history = training.train(data, config, checkpoint=path).history
            checkpoint.remove(path)
            # the training time (checkpoint writes included) less the first epoch, which traces the network
            rest = history["train_seconds"] - history["epochs"][0]["seconds"]
            per_epoch[name].append(rest / max(1, len(history["epochs"]) - 1))
    with_s, without_s = (statistics.median(per_epoch[k]) for k in ("with", "without"))
    return {
        "training": f"{args.arch}, {args.epochs} epochs, batch {args.batch_size}, limit {args.limit}",
        "turns": args.turns,
        "seconds_per_epoch_after_the_first": {k: [round(v, 3) for v in vs] for k, vs in per_epoch.items()},
        "median_with": round(with_s, 3),
        "median_without": round(without_s, 3),
        "checkpoint_cost_per_epoch": round(with_s - without_s, 3),
        "write_alone": {arch: write_alone(arch, data.n_classes, root) for arch in models.ARCHITECTURES},
    }


def write_alone(arch: str, n_classes: int, root: Path, repeat: int = 20) -> dict[str, Any]:
    """Seconds to fetch every variable and write the checkpoint, for one architecture's real state."""
    model = models.build(arch, n_classes)
    fitting.compile_model(model, TrainConfig(arch=arch), 100)
    state = checkpoint.new_run({"arch": arch}, 0)
    path = root / f"checkpoint-{arch}.npz"
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        state.variables = [v.numpy() for v in checkpoint.state_variables(model)]
        checkpoint.save(path, state)
        times.append(time.perf_counter() - start)
    size = path.stat().st_size
    checkpoint.remove(path)
    return {"median_seconds": round(statistics.median(times), 4), "megabytes": round(size / 1e6, 2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--artifacts", type=Path, default=Path("artifacts"))
    parser.add_argument("--arch", default="default")
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--limit", type=int, default=6000, help="images of each split (0: all)")
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--write-kills", type=int, default=4, help="of the kills, how many during a checkpoint write")
    parser.add_argument("--per-chain", type=int, default=4, help="kills before a run may finish")
    parser.add_argument("--turns", type=int, default=3, help="part 2: rounds of with and without checkpoints")
    parser.add_argument("--seed", type=int, default=None, help="of the kill moments (default: random)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this file")
    args = parser.parse_args(argv)
    args.limit = args.limit or None
    args.seed = args.seed if args.seed is not None else int.from_bytes(os.urandom(4), "little")
    print(f"machine: {machine()}; load {load()}; kill seed {args.seed}", file=sys.stderr)
    data = data_file(args.artifacts)
    result: dict[str, Any] = {"machine": machine(), "kill_seed": args.seed}
    with tempfile.TemporaryDirectory(prefix="bench-resume-") as tmp:
        started = time.monotonic()
        if args.kills:
            result["sigkill"] = part1(data, args, Path(tmp))
            p = result["sigkill"]
            print(
                f"{p['kills']} SIGKILLs ({p['kills_during_a_write']} during a checkpoint write) of `{p['command']}`: "
                f"{p['kills_followed_by_an_identical_resume']} followed by a resume that ended identical"
            )
        if args.turns:
            result["cost"] = part2(data, args, Path(tmp))
            c = result["cost"]
            print(
                f"Per epoch ({c['training']}, median of {c['turns']}): {c['median_with']:.3f} s with a checkpoint, "
                f"{c['median_without']:.3f} s without: {c['checkpoint_cost_per_epoch']:+.3f} s"
            )
            for arch, w in c["write_alone"].items():
                print(
                    f"  writing the checkpoint alone, {arch}: {w['median_seconds'] * 1000:.1f} ms, {w['megabytes']} MB"
                )
        result["wall_seconds"] = round(time.monotonic() - started, 1)
    print(f"\n{machine()}, load average {load()} at the end; {result['wall_seconds']} s")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
