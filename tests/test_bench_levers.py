"""bench/bench_levers.py's variants of `fast`: each builds, and the ones that change its size change it as named;
the speed turns and the matmul peak they are set against run in the precision asked; bench_profile.py names
the kernels of a step."""

import json
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

bench_levers = pytest.importorskip("bench_levers")

from fmtwist_cli.network import models  # noqa: E402


def test_batch_norms_without_scale_lose_only_their_scale_factors():
    fast = models.fast(5)
    plain = bench_levers.without_scale(fast)
    norms = [layer for layer in plain.layers if type(layer).__name__ == "BatchNormalization"]
    assert len(norms) == 3 and not any(norm.scale for norm in norms) and all(norm.center for norm in norms)
    assert fast.count_params() - plain.count_params() == 64 + 128 + 64  # one scale factor per channel
    assert [layer.name for layer in plain.layers] == [layer.name for layer in fast.layers]


def test_every_variant_builds_with_the_change_it_names(monkeypatch):
    for registry in ("ARCHITECTURES", "DESCRIPTIONS", "RECIPES"):  # registered for this test only
        monkeypatch.setattr(models, registry, dict(getattr(models, registry)))
    changes = bench_levers.register_variants()
    counts = {name: models.build(name, 5).count_params() for name in changes}
    assert counts["fast-copy"] == models.build("fast", 5).count_params()
    assert counts["no-conv4"] == 89_637 and counts["conv4-128"] > counts["conv4-96"] > counts["fast-copy"]


def test_the_turns_train_in_the_precision_asked(monkeypatch):
    bench_train = pytest.importorskip("bench_train")
    from fmtwist_cli.network.precision import Precision

    keras = models.import_keras()
    built = []
    real_build = models.build
    monkeypatch.setattr(models, "build", lambda *a: built.append(real_build(*a)) or built[-1])
    rng = np.random.default_rng(0)
    data = SimpleNamespace(x_train=rng.integers(0, 256, (256, 28, 28), dtype=np.uint8), y_train=np.arange(256) % 5)
    data.n_classes = 5
    speed = bench_train.bench_speed(data, ["default"], images=256, turns=1, seed=0, precision=Precision.bfloat16)
    assert built[0].dtype_policy.name == "mixed_bfloat16" and speed["images_per_second"]["default"] > 0
    assert keras.mixed_precision.global_policy().name == "float32"  # put back for whatever builds next


def test_the_matmul_peak_is_measured_in_the_dtype_asked():
    efficiency = pytest.importorskip("efficiency")
    ops = models.import_keras().ops
    seen = []
    real = ops.matmul
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ops, "matmul", lambda a, b: seen.append(str(a.dtype)) or real(a, b))
        assert efficiency.matmul_peak(size=64, seconds=0.01, dtype="bfloat16") > 0
    assert seen and all("bfloat16" in dtype for dtype in seen)


def test_the_profile_names_each_kernel_of_the_step():
    bench_profile = pytest.importorskip("bench_profile")
    from fmtwist_cli.network.precision import Precision

    rng = np.random.default_rng(0)
    data = SimpleNamespace(x_train=rng.integers(0, 256, (64, 28, 28), dtype=np.uint8), y_train=np.arange(64) % 5)
    data.n_classes = 5
    rows = bench_profile.profile(data, "default", Precision.float32, steps=4, batch=16)
    convolutions = {name: row for name, row in rows.items() if "/conv2" in name and "Backprop" in name}
    assert convolutions and all(ms > 0 and calls == 1.0 for ms, calls in convolutions.values())  # once a step
    assert not [name for name in rows if "ExecutorState" in name]  # kernels, not the executor's envelopes


def test_custom_run_first_and_last_counts_as_one_row_of_both_runs(monkeypatch, tmp_path):
    bench_train = pytest.importorskip("bench_train")
    calls = []

    def train_once(data, config):
        calls.append(config.arch)
        seconds = {1: [20.0, 30.0], 3: [40.0, 50.0]}.get(len(calls), [5.0] * config.epochs)
        return {
            "seed": config.seed, "params": 1, "epochs": len(seconds), "batch_size": 128, "schedule": "constant",
            "seconds": seconds, "train_seconds": sum(seconds), "test_accuracy": 0.9, "val_accuracy": [0.9],
            "seconds_to_0.93": None, "forward_mmac_per_image": 1.0, "train_mflop_per_image": 3.0,
            "work": 1e9 * sum(seconds), "load": [1.0, 1.0],
        }  # fmt: skip

    peaks = iter([{"float32": 100.0}, {"float32": 60.0}])
    monkeypatch.setattr(bench_train, "_train_once", train_once)
    monkeypatch.setattr(bench_train, "_peaks", lambda precision: next(peaks))
    monkeypatch.setattr(bench_train, "data_file", lambda artifacts: artifacts)
    monkeypatch.setattr(bench_train.trainingdata, "load_training_data", lambda path: None)
    out = tmp_path / "bench.json"
    argv = ["--archs", "custom,fast", "--epochs-of", "custom=2", "--overhead-arch", "none", "--precision", "float32"]
    assert bench_train.main([*argv, "--json", str(out)]) == 0
    assert calls == ["custom", "fast", "custom"]
    result = json.loads(out.read_text())
    custom = result["architectures"][0]
    assert custom["seconds_per_epoch"] == 35.0 and custom["full_schedule_seconds"] == 35.0 * 15  # both runs
    assert result["matmul_peak_gflops"] == {"float32": 80.0}  # the mean of the start and the end
    calls.clear()
    peaks = iter([{"float32": 100.0}])
    assert bench_train.main([*argv, "--no-bracket"]) == 0
    assert calls == ["custom", "fast"]
