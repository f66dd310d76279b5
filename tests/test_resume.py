"""Training that resumes (issue 21, part 3): a run killed (SIGKILL, Ctrl-C) carries on from its checkpoint and
ends as the run that was never stopped; a checkpoint of other settings, or with --restart, is not used."""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import write_learnable

from fmtwist_cli import artifacts
from fmtwist_cli.artifacts.layout import Layout
from fmtwist_cli.network import checkpoint, step

DRIVER = "import sys; from fmtwist_cli.cli.app import main; sys.exit(main(sys.argv[1:]))"
# Small enough for many processes, long enough (12 checkpoints) for kills to land in every part of a run.
KILLED = ["--arch", "default", "--epochs", "12", "--batch-size", "32", "--limit", "400", "--seed", "0"]
TIMINGS = re.compile(r"seconds|time", re.IGNORECASE)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def without_timings(obj, folder: Path):
    """A history without its timings, with its folder written as <run>."""
    if isinstance(obj, dict):
        return {k: without_timings(v, folder) for k, v in obj.items() if not TIMINGS.search(k)}
    if isinstance(obj, list):
        return [without_timings(v, folder) for v in obj]
    return obj.replace(str(folder), "<run>") if isinstance(obj, str) else obj


def same_run(a: Path, b: Path, stem: str) -> None:
    assert sha256(a / f"model-{stem}.keras") == sha256(b / f"model-{stem}.keras")
    ha, hb = (artifacts.load_json(f / f"history-{stem}.json") for f in (a, b))
    assert without_timings(ha, a) == without_timings(hb, b)
    assert not list(b.glob("*checkpoint*")) and not list(b.glob(".checkpoint*"))


def twin_folders(tmp_path: Path, *names: str) -> list[Path]:
    """Folders holding the same data.npz and twist.json, byte for byte."""
    first = write_learnable(tmp_path / names[0])
    for name in names[1:]:
        shutil.copytree(first, tmp_path / name)
    return [tmp_path / name for name in names]


# --------------------------------------------------------------------------
# SIGKILL at random moments, in real `fmtwist train` processes


class Training:
    """`fmtwist train` in a child process, its stderr read line by line as it comes."""

    def __init__(self, folder: Path, args: list[str], env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", DRIVER, "train", *args, "-a", str(folder)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=os.environ | {"KERAS_BACKEND": "tensorflow"} | (env or {}),
        )
        self.lines: list[str] = []
        self.training = threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))
            if line.startswith("Training on"):
                self.training.set()
        self.training.set()

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.wait()

    def wait(self, timeout: float = 300) -> int:
        code = self.proc.wait(timeout)
        self.reader.join(timeout)
        return code


def kill_when(run: Training, written) -> Training:
    """Kill ``run`` as soon as ``written()`` holds (polled every 20 ms, for at most 240 s)."""
    deadline = time.monotonic() + 240
    while not written():
        assert run.proc.poll() is None and time.monotonic() < deadline, "\n".join(run.lines)
        time.sleep(0.02)
    run.kill()
    return run


def kill_during_a_write(folder: Path, args: list[str], stem: str) -> Training:
    """A run that pauses halfway through each checkpoint's bytes, killed in the first such pause."""
    run = Training(folder, args, {checkpoint.PAUSE_ENV: "30"})
    return kill_when(run, lambda: any(p.stat().st_size for p in folder.glob(f".checkpoint-{stem}.*.tmp.npz")))


def kill_after_a_checkpoint(folder: Path, args: list[str], stem: str) -> Training:
    """A run killed as soon as its first checkpoint is in place."""
    return kill_when(Training(folder, args), (folder / f"checkpoint-{stem}.npz").exists)


@pytest.mark.slow
def test_runs_killed_at_random_moments_end_as_the_uninterrupted_run(tmp_path):
    """At least 5 SIGKILLs, one halfway through replacing a checkpoint, each at a random moment of the training
    still to do (the reference run's time for the epochs left), then a run to the end: the same bytes."""
    clean, killed = twin_folders(tmp_path, "clean", "killed")
    reference = Training(clean, KILLED)
    assert reference.training.wait(240)
    started = time.monotonic()
    assert reference.wait() == 0, "\n".join(reference.lines)
    span, epochs = time.monotonic() - started, int(KILLED[KILLED.index("--epochs") + 1])
    seed = int.from_bytes(os.urandom(4), "little")
    rng, moments, lines = random.Random(seed), [], []
    saved = killed / "checkpoint-default.npz"
    for _ in range(12):  # at most: a run may end before its kill
        if len(moments) >= 5 and "during a checkpoint write" in moments:
            break
        done = checkpoint.load(saved).epoch if saved.exists() else 0
        if done == epochs:  # killed after its last checkpoint: what is left (evaluate, save) runs to its end
            finishing = Training(killed, KILLED)
            assert finishing.wait() == 0, "\n".join(finishing.lines)
            lines += finishing.lines
            continue
        if done and "during a checkpoint write" not in moments:
            run, moment = kill_during_a_write(killed, KILLED, "default"), "during a checkpoint write"
        elif not done and len(moments) >= 2:
            # Random moments can keep landing in the first epoch (its tracing is most of a short run on a slow
            # machine): a checkpoint to replace is made sure of, so the kill during a write always comes.
            run, moment = kill_after_a_checkpoint(killed, KILLED, "default"), "after the first checkpoint"
        else:
            run = Training(killed, KILLED)
            assert run.training.wait(240)
            moment = round(rng.uniform(0, span * max(0.2, (epochs - done) / epochs)), 2)
            time.sleep(moment)
            if run.proc.poll() is not None:  # it ended first: the next run starts afresh
                assert run.wait() == 0, "\n".join(run.lines)
                continue
            run.kill()
        moments.append(moment)
        lines += run.lines
    assert len(moments) >= 5 and "during a checkpoint write" in moments, moments
    last = Training(killed, KILLED)
    assert last.wait() == 0, "\n".join(last.lines)
    same_run(clean, killed, "default")
    assert any(line.startswith("Found an interrupted run") for line in lines + last.lines), (seed, moments)


# --------------------------------------------------------------------------
# Ctrl-C, other settings, --restart: in this process


def interrupt_at(epoch: int, total: int):
    """A progress callback that presses Ctrl-C as epoch ``epoch`` (1-based) starts."""

    def progress(done, total_steps, task="", **info):
        if task == f"Epoch {epoch}/{total}" and done == 0:
            raise KeyboardInterrupt

    return progress


QUICK = {"arch": "default", "epochs": 3, "batch_size": 32, "limit": 200, "seed": 0}


@pytest.mark.slow
def test_ctrl_c_then_the_same_settings_carry_on(tmp_path):
    """fast has dropout: its seed states are part of what a checkpoint must keep."""
    clean, stopped = twin_folders(tmp_path, "clean", "stopped")
    options = QUICK | {"arch": "fast"}
    step.train(clean, **options, log=lambda line: None)
    with pytest.raises(KeyboardInterrupt):
        step.train(stopped, **options, progress=interrupt_at(3, 3), log=lambda line: None)
    saved = checkpoint.load(stopped / "checkpoint-fast.npz")
    assert saved.epoch == 2 and [row["epoch"] for row in saved.history] == [1, 2]
    lines = []
    result = step.train(stopped, **options, log=lines.append)
    assert f"Found an interrupted run at epoch 2/3 ({stopped / 'checkpoint-fast.npz'})" in lines[1]
    assert [line.split("  ")[0] for line in lines[2:-1]] == ["Epoch 3/3"]
    assert result.summary["resumed_at_epoch"] == 2 and result.summary["epochs"] == 3
    same_run(clean, stopped, "fast")


@pytest.mark.slow
def test_a_checkpoint_of_other_settings_is_not_used(tmp_path):
    clean, stopped = twin_folders(tmp_path, "clean", "stopped")
    other = QUICK | {"batch_size": 16}
    step.train(clean, **other, log=lambda line: None)
    with pytest.raises(KeyboardInterrupt):
        step.train(stopped, **QUICK, progress=interrupt_at(2, 3), log=lambda line: None)
    lines = []
    result = step.train(stopped, **other, log=lines.append)
    path = stopped / "checkpoint-default.npz"
    assert lines[1] == f"Starting afresh: {path} is of a run with other settings (batch size 32, now 16)"
    assert result.summary["resumed_at_epoch"] is None
    same_run(clean, stopped, "default")
    # the same options on other training images
    with pytest.raises(KeyboardInterrupt):
        step.train(stopped, **QUICK, progress=interrupt_at(2, 3), log=lambda line: None)
    write_learnable(stopped, seed=1)
    lines = []
    step.train(stopped, **QUICK, log=lines.append)
    assert lines[1] == f"Starting afresh: {path} is of a run with other settings (the training data)"


def test_restart_starts_over(tmp_path, run):
    clean, stopped = twin_folders(tmp_path, "clean", "stopped")
    step.train(clean, **QUICK, log=lambda line: None)
    with pytest.raises(KeyboardInterrupt):
        step.train(stopped, **QUICK, progress=interrupt_at(2, 3), log=lambda line: None)
    path = stopped / "checkpoint-default.npz"
    flags = [f"--{k.replace('_', '-')}={v}" for k, v in QUICK.items()]
    code, out, err = run("train", *flags, "--restart", "--json", "-a", stopped)
    assert code == 0, err
    assert f"Starting over (--restart): removed {path}, the checkpoint of an interrupted run" in err
    assert "Found an interrupted run" not in err
    assert json.loads(out)["resumed_at_epoch"] is None
    same_run(clean, stopped, "default")


def test_a_damaged_checkpoint_is_not_used(tmp_path):
    clean, stopped = twin_folders(tmp_path, "clean", "stopped")
    step.train(clean, **QUICK, log=lambda line: None)
    path = stopped / "checkpoint-default.npz"
    path.write_bytes(b"PK\x03\x04 not a zip")
    lines = []
    step.train(stopped, **QUICK, log=lines.append)
    assert lines[1].startswith(f"Starting afresh: {path} is not a valid training checkpoint (corrupt or truncated")
    same_run(clean, stopped, "default")


def test_the_epoch_order_depends_on_seed_and_epoch_alone():
    first = checkpoint.epoch_order(7, 3, 50)
    assert np.array_equal(first, checkpoint.epoch_order(7, 3, 50))
    assert sorted(first) == list(range(50))
    assert not np.array_equal(first, checkpoint.epoch_order(7, 4, 50))
    assert not np.array_equal(first, checkpoint.epoch_order(8, 3, 50))


def test_checkpoint_round_trip_and_stale_writes_removed(tmp_path):
    state = checkpoint.Checkpoint({"epochs": 3}, 5, 2, [{"epoch": 1, "loss": float("nan")}], 1.5, [np.arange(3)])
    path = Layout(tmp_path).checkpoint("fast", "original")
    assert path.name == "checkpoint-fast-original.npz"
    checkpoint.save(path, state)
    back = checkpoint.load(path)
    assert (back.settings, back.shuffle_seed, back.epoch, back.train_seconds) == ({"epochs": 3}, 5, 2, 1.5)
    assert np.isnan(back.history[0]["loss"]) and np.array_equal(back.variables[0], np.arange(3))
    (tmp_path / ".checkpoint-fast-original.abc123.tmp.npz").write_bytes(b"half")
    checkpoint.remove(path)
    assert not list(tmp_path.iterdir())
