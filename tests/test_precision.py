"""--precision: auto follows the CPU's flags (faked here, for both kinds of machine), and a network trained in mixed
bfloat16 still makes float32 files that export within the parity check (issue 20)."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from conftest import write_learnable

from fmtwist_cli.cli.app import main
from fmtwist_cli.network import precision
from fmtwist_cli.network.precision import Precision

AMD_AVX2 = {"fpu", "sse2", "avx", "avx2", "fma"}
INTEL_AMX = AMD_AVX2 | {"avx512f", "avx512_bf16", "amx_bf16", "amx_tile"}


@pytest.mark.parametrize(
    "flags, device, expected",
    [
        (AMD_AVX2, "CPU", Precision.float32),
        (INTEL_AMX, "CPU", Precision.bfloat16),
        (AMD_AVX2 | {"avx512_bf16"}, "CPU", Precision.bfloat16),  # AVX512-BF16 without AMX (e.g. Zen 4)
        (INTEL_AMX, "NVIDIA H200", Precision.float32),  # auto keeps float32 on a GPU
    ],
)
def test_auto_reads_the_cpu_flags(flags, device, expected):
    assert precision.resolve("auto", device, flags) is expected


def test_a_chosen_precision_is_kept_whatever_the_cpu():
    assert precision.resolve("float32", "CPU", INTEL_AMX) is Precision.float32
    assert precision.resolve(Precision.bfloat16, "CPU", AMD_AVX2) is Precision.bfloat16


def test_cpu_flags_come_from_cpuinfo(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu avx2 amx_bf16 avx512_bf16\n\n")
    assert precision.cpu_flags(cpuinfo) == {"fpu", "avx2", "amx_bf16", "avx512_bf16"}
    assert precision.resolve("auto", "CPU", precision.cpu_flags(cpuinfo)) is Precision.bfloat16
    assert precision.cpu_flags(tmp_path / "none") == set()


def test_a_bad_precision_names_the_option(tmp_path, capsys):
    folder = write_learnable(tmp_path / "art")
    assert main(["train", "-a", str(folder), "--precision", "float16"]) == 2
    assert "--precision" in capsys.readouterr().err


@pytest.mark.slow
def test_bfloat16_training_makes_float32_files_that_export(tmp_path, capsys):
    folder = write_learnable(tmp_path / "art")
    options = ["--arch", "default", "--epochs", "1", "--limit", "200", "--batch-size", "32", "--seed", "0"]
    assert main(["train", "-a", str(folder), *options, "--precision", "bfloat16"]) == 0
    assert "mixed bfloat16" in capsys.readouterr().err
    history = json.loads((folder / "history-default.json").read_text())
    assert history["params"]["precision"] == "bfloat16"
    assert history["provenance"]["training"]["precision"] == "bfloat16"
    from fmtwist_cli.network import models

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. Keras' "Skipping variable loading for optimizer": the state is whole
        model = models.import_keras().saving.load_model(folder / "model-default.keras")
    assert model.dtype_policy.name == "float32" and {w.dtype for w in model.weights} == {"float32"}
    assert int(model.optimizer.iterations.numpy()) == 160 // 32  # the trained optimizer's state came with it
    assert main(["export", "-a", str(folder), "--model", str(folder / "model-default.keras")]) == 0  # parity 1e-4
    # the test figures recorded are the float32 file's (what embed measures), not those of the bfloat16 network
    from fmtwist_cli import artifacts
    from fmtwist_cli.encode import embedding

    data = artifacts.load(folder / "data.npz", "data")
    probs = embedding.predict(folder / "model-default.onnx", data["x_test"][:200])["probs"].astype(np.float64)
    y = data["y_test"][:200]
    loss = -np.log(np.clip(probs[np.arange(len(y)), y], 1e-7, 1.0)).mean()
    assert history["test"]["loss"] == pytest.approx(loss, rel=1e-5)
    assert history["test"]["accuracy"] == pytest.approx((probs.argmax(axis=1) == y).mean(), abs=1e-6)


def test_fast_trains_in_batches_of_512_in_bfloat16_and_of_128_in_float32():
    """The recipe follows the precision resolved (auto: as the faked flags say); an asked batch size or learning
    rate stays, and an asked batch size takes the float32 recipe's learning rate (the two go together)."""
    from fmtwist_cli.network.config import TrainConfig

    def trained_with(flags, **asked):
        config = TrainConfig(arch="fast", **asked)
        resolved = config.in_precision(precision.resolve(config.precision, "CPU", flags))
        return resolved.precision, resolved.batch_size, resolved.learning_rate, resolved.epochs

    assert trained_with(AMD_AVX2) == ("float32", 128, 3e-3, 14)
    assert trained_with(INTEL_AMX) == ("bfloat16", 512, 6e-3, 14)
    assert trained_with(INTEL_AMX, precision="float32") == ("float32", 128, 3e-3, 14)
    assert trained_with(AMD_AVX2, precision="bfloat16") == ("bfloat16", 512, 6e-3, 14)
    assert trained_with(INTEL_AMX, batch_size=64) == ("bfloat16", 64, 3e-3, 14)
    assert trained_with(INTEL_AMX, learning_rate=1e-3, epochs=3) == ("bfloat16", 512, 1e-3, 3)
    # custom has one recipe: the notebook's, in every precision
    assert TrainConfig(arch="custom").in_precision("bfloat16").batch_size == 128


@pytest.mark.slow
def test_a_bfloat16_run_records_the_recipe_it_trained_with(tmp_path):
    folder = write_learnable(tmp_path / "art")
    options = ["--arch", "fast", "--epochs", "1", "--seed", "0", "--precision", "bfloat16"]
    assert main(["train", "-a", str(folder), *options]) == 0
    params = json.loads((folder / "history-fast.json").read_text())["params"]
    assert (params["precision"], params["batch_size"], params["learning_rate"]) == ("bfloat16", 512, 6e-3)
