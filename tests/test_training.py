"""Training: the notebook's settings, repeatable seeds, the history file and
the `fmtwist train` command."""

from pathlib import Path

import numpy as np
import pytest
from conftest import files_under, learnable_arrays, write_idx_folder, write_learnable
from helpers import training_line, usage_message, write_csv_folder

from fmtwist_cli import artifacts
from fmtwist_cli.errors import ArtifactError, ParameterError
from fmtwist_cli.network import fitting, modelfiles, models, training, trainingdata
from fmtwist_cli.network.config import TrainConfig

pytestmark = pytest.mark.slow


@pytest.fixture
def data_dir(tmp_path):
    return write_learnable(tmp_path / "a")


def test_defaults_are_the_notebooks_settings():
    c = TrainConfig()
    assert (c.arch, c.optimizer, c.loss, c.validation_split, c.batch_size, c.epochs) == (
        "custom", "adam", "categorical_crossentropy", 0.2, 128, 15,
    )  # fmt: skip


def test_same_seed_same_weights_other_seed_other_weights(data_dir):
    data = trainingdata.load_training_data(data_dir / "data.npz")

    def weights(seed):
        config = TrainConfig(arch="default", epochs=1, batch_size=64, seed=seed, limit=200)
        return training.train(data, config).model.get_weights()

    first, again, other = weights(3), weights(3), weights(4)
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not all(np.array_equal(a, b) for a, b in zip(first, other))


class Reports:
    """What a training run reported: each progress call (task, done, total, info) and each logged line."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int, int | None, dict]] = []
        self.lines: list[str] = []

    def progress(self, done, total, task="", **info):
        self.calls.append((task, done, total, info))

    def batches(self):
        """The reports of the steps run (not an epoch's start at 0, nor its end with its time)."""
        return [(done, info) for _, done, _, info in self.calls if done > 0 and "seconds" not in info]


def test_progress_reports_lines_and_history(data_dir):
    data = trainingdata.load_training_data(data_dir / "data.npz")
    seen = Reports()
    config = TrainConfig(arch="default", epochs=2, batch_size=32, seed=0, steps_per_execution=1)
    result = training.train(data, config, seen.progress, seen.lines.append)
    steps = int(np.ceil(int(400 * 0.8) / 32))
    # each epoch a task counted in steps: its start, every step, its end
    expected = [(f"Epoch {e}/2", done) for e in (1, 2) for done in (0, *range(1, steps + 1), steps)]
    assert [(task, done) for task, done, _, _ in seen.calls] == expected
    assert {total for _, _, total, _ in seen.calls} == {steps}
    assert seen.lines[0] == training_line()
    assert [line.split("  ")[0] for line in seen.lines[1:3]] == ["Epoch 1/2", "Epoch 2/2"]
    assert "  loss " in seen.lines[1] and "  val_acc " in seen.lines[1] and seen.lines[1].endswith(" s")
    assert seen.lines[3:] == ["Evaluating on 200 test images"]
    first, last = seen.calls[1][3], seen.calls[-1][3]
    assert first["logs"].keys() >= {"loss", "accuracy"}  # the first step shows its metrics at once
    assert first["metrics"].startswith("loss ") and " acc " in first["metrics"]
    assert last["logs"].keys() >= {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert seen.lines[2].endswith(last["metrics"])
    hist = result.history
    assert hist["arch"] == "default" and hist["labels"] == "mystery" and hist["n_classes"] == 5
    assert hist["n_params"] == 40_933
    assert hist["params"]["train_images"] == 320 and hist["params"]["validation_images"] == 80
    assert [e["epoch"] for e in hist["epochs"]] == [1, 2]
    assert hist["epochs"][1]["loss"] == pytest.approx(last["logs"]["loss"])
    assert all(e["seconds"] > 0 for e in hist["epochs"])
    # the patches are easy: far above the 0.2-0.3 of guessing
    assert hist["test"]["accuracy"] > 0.6


def test_progress_reads_the_metrics_every_few_steps(data_dir, monkeypatch):
    """Every batch moves the bar; only every METRICS_EVERY-th step (and the
    epoch's end) carries the metrics, whose reading waits for the device."""
    monkeypatch.setattr(fitting, "METRICS_EVERY", 4)
    data = trainingdata.load_training_data(data_dir / "data.npz")
    seen = Reports()
    config = TrainConfig(arch="default", epochs=2, batch_size=32, seed=0, steps_per_execution=1)
    training.train(data, config, seen.progress)
    batches = seen.batches()
    assert [step for step, _ in batches] == list(range(1, 11)) * 2
    assert [step for step, info in batches if "logs" in info] == [1, 5, 9] * 2
    assert all(info["logs"].keys() >= {"loss", "accuracy"} for _, info in batches if "logs" in info)


def test_steps_per_execution_same_weights_one_event_per_execution(data_dir):
    data = trainingdata.load_training_data(data_dir / "data.npz")

    def run(spe):
        seen = Reports()
        config = TrainConfig(arch="default", epochs=2, batch_size=32, seed=0, steps_per_execution=spe)
        weights = training.train(data, config, seen.progress).model.get_weights()
        return weights, [step for step, _ in seen.batches()]

    (one, one_steps), (four, four_steps) = run(1), run(4)
    assert one_steps == list(range(1, 11)) * 2
    assert four_steps == [4, 8, 10] * 2  # 10 steps an epoch: the last call runs 2
    assert all(np.array_equal(a, b) for a, b in zip(one, four))


def test_recipe_defaults_and_overrides():
    custom = TrainConfig(arch="custom")
    settings = (custom.epochs, custom.batch_size, custom.optimizer, custom.learning_rate, custom.schedule)
    assert (*settings, custom.steps_per_execution) == (15, 128, "adam", None, "constant", 1)
    fast = TrainConfig(arch="fast")
    assert (fast.epochs, fast.batch_size, fast.optimizer, fast.learning_rate, fast.schedule) == (
        14,
        128,
        "adam",
        3e-3,
        "cosine",
    )
    assert TrainConfig(arch="default").steps_per_execution == 8
    mine = TrainConfig(arch="fast", epochs=3, batch_size=64, learning_rate=1e-3, schedule="constant")
    assert (mine.epochs, mine.batch_size, mine.learning_rate, mine.schedule) == (3, 64, 1e-3, "constant")
    # the recipe's learning rate belongs to its optimizer: another optimizer keeps its own
    assert TrainConfig(arch="fast", optimizer="sgd").learning_rate is None
    assert (fast.weight_decay, TrainConfig(arch="fast", weight_decay=0.05).weight_decay) == (None, 0.05)


def test_weight_decay_shrinks_the_weights_each_step():
    decayed, plain = models.build("default", 5), models.build("default", 5)
    plain.set_weights(decayed.get_weights())
    fitting.compile_model(decayed, TrainConfig(arch="default", learning_rate=0.01, weight_decay=10.0))
    fitting.compile_model(plain, TrainConfig(arch="default", learning_rate=0.01))
    assert plain.optimizer.weight_decay is None  # the notebook's Adam: no decay
    before = decayed.get_layer("conv1").get_weights()[0]
    # blank images: no gradient reaches the first kernel, so one step changes it by the decay alone
    images, targets = np.zeros((4, 28, 28, 1), np.float32), np.eye(5, dtype=np.float32)[[0, 1, 2, 3]]
    for model in (decayed, plain):
        model.train_on_batch(images, targets)
    assert decayed.get_layer("conv1").get_weights()[0] == pytest.approx(before * (1 - 0.01 * 10.0), rel=1e-5)
    assert np.array_equal(plain.get_layer("conv1").get_weights()[0], before)


def test_cosine_schedule_warms_up_then_decays_to_zero():
    config = TrainConfig(arch="fast", epochs=4)
    schedule = fitting.learning_rate(config, steps_per_epoch=100, default=1e-3)
    rate = [float(schedule(step)) for step in (0, 25, 50, 200, 400)]
    assert rate[0] == pytest.approx(3e-4) and rate[2] == pytest.approx(3e-3)
    assert rate[0] < rate[1] < rate[2] > rate[3] > rate[4] and rate[4] == pytest.approx(0.0, abs=1e-9)
    assert fitting.learning_rate(TrainConfig(arch="custom"), 100, default=1e-3) == 1e-3


def test_train_command_writes_model_and_history(run, data_dir):
    code, out, err = run(
        "train", "--arch", "default", "--epochs", "1", "--batch-size", "64", "--seed", "0", "-a", data_dir, "--json"
    )
    assert code == 0, err
    report = __import__("json").loads(out)
    assert report["written"] == [str(data_dir / "model-default.keras"), str(data_dir / "history-default.json")]
    hist = artifacts.load_history(data_dir / "history-default.json")
    assert hist["params"]["batch_size"] == 64 and hist["params"]["epochs"] == 1 and hist["params"]["seed"] == 0
    assert report["test"] == hist["test"]
    assert "Epoch 1/1  loss" in err and "val_acc" in err
    model = modelfiles.load_model(data_dir / "model-default.keras")
    assert model.count_params() == 40_933


def test_train_summary_prints_layer_table(run, data_dir):
    code, out, _ = run("train", "--arch", "default", "--epochs", "1", "--limit", "50", "--summary", "-a", data_dir)
    assert code == 0
    assert "40,933 parameters" in out and "(N, 6272)" in out and "31,365" in out
    assert "Test loss" in out and "test accuracy" in out


def test_original_labels_from_answer_key(run, data_dir):
    code, out, err = run(
        "train", "--arch", "default", "--labels", "original", "--epochs", "1", "--limit", "100", "-a", data_dir
    )
    assert code == 0, err
    hist = artifacts.load_history(data_dir / "history-default-original.json")
    assert hist["labels"] == "original" and hist["n_classes"] == 10
    assert modelfiles.load_model(data_dir / "model-default-original.keras").outputs[0].shape[-1] == 10
    assert not (data_dir / "model-default.keras").exists()


def test_original_labels_from_source(run, tmp_path):
    arrays = learnable_arrays(200, 50)
    write_idx_folder(tmp_path / "idx", arrays)
    data = trainingdata.load_training_data(tmp_path / "absent.npz", "original", source=tmp_path / "idx")
    assert data.n_classes == 10 and np.array_equal(data.y_test, arrays["y_test"])


def test_source_is_only_for_original_labels(tmp_path):
    with pytest.raises(ParameterError, match=r"^source is for labels original \(mystery labels come from data\.npz\)$"):
        trainingdata.load_training_data(tmp_path / "data.npz", "mystery", source=tmp_path)


def test_answer_key_named_but_missing(run, data_dir):
    before = files_under(data_dir)
    code, out, err = run("train", "--labels", "original", "--answer-key", data_dir / "nope.json", "-a", data_dir)
    assert code == 1 and out == ""
    assert err == (
        f"error: answer key not found: {data_dir / 'nope.json'} (--labels original needs the twist.json written by "
        "`fmtwist prepare`, or --source with the official files)\n"
    )
    assert files_under(data_dir) == before


def test_original_labels_without_answer_key_find_the_official_files(run, tmp_path, no_official, monkeypatch):
    """Data made from the course's CSV files has no answer key: the reference
    classifier learns the official files, found where `fmtwist prepare` looks."""
    course = learnable_arrays(200, 60, seed=1)
    write_csv_folder(tmp_path / "course", course)
    assert run("prepare", "--source", tmp_path / "course", "-a", tmp_path / "art")[0] == 0
    assert not (tmp_path / "art" / "twist.json").exists()
    official = learnable_arrays(160, 40, seed=2)
    write_idx_folder(tmp_path / "official", official)
    monkeypatch.setenv("FMTWIST_DATA", str(tmp_path / "official"))
    args = ["--labels", "original", "--arch", "default", "--epochs", "1", "--batch-size", "32", "-a", tmp_path / "art"]
    code, out, err = run("train", *args, "--json")
    assert code == 0, err
    hist = artifacts.load_history(tmp_path / "art" / "history-default-original.json")
    assert hist["n_classes"] == 10 and hist["data"] == f"Fashion-MNIST IDX files in {tmp_path / 'official'}"
    assert hist["params"]["test_images"] == 40 and hist["params"]["train_images"] == 128


def test_original_labels_with_no_official_files_anywhere(run, tmp_path, no_official):
    write_csv_folder(tmp_path / "course", learnable_arrays(50, 20))
    assert run("prepare", "--source", tmp_path / "course", "-a", tmp_path / "art")[0] == 0
    code, out, err = run("train", "--labels", "original", "-a", tmp_path / "art")
    assert code == 1 and out == ""
    assert err.startswith(f"error: cannot download {no_official.as_uri()}/") and err.endswith(
        "install Debian's dataset-fashion-mnist or pass --source DIR\n"
    )


def test_answer_key_of_other_data_is_refused(tmp_path):
    write_learnable(tmp_path / "a")
    write_learnable(tmp_path / "b", n_train=50)
    with pytest.raises(ArtifactError, match="does not belong to"):
        trainingdata.load_training_data(
            tmp_path / "a" / "data.npz", "original", answer_key=tmp_path / "b" / "twist.json"
        )


@pytest.mark.parametrize(
    "args, message",
    [
        (["--epochs", "0"], "--epochs must be at least 1 (got 0)"),
        (["--batch-size", "0"], "--batch-size must be at least 1 (got 0)"),
        (["--learning-rate", "0"], "--learning-rate must be above 0 (got 0.0)"),
        (["--weight-decay", "-0.1"], "--weight-decay must be at least 0 (got -0.1)"),
        (["--steps-per-execution", "0"], "--steps-per-execution must be at least 1 (got 0)"),
        (["--validation-split", "1"], "--validation-split must be in [0, 1) (got 1.0)"),
    ],
)
def test_bad_options(run, data_dir, args, message):
    before = files_under(data_dir)
    code, out, err = run("train", *args, "-a", data_dir)
    assert (code, out, err) == (1, "", f"error: {message}\n")
    assert files_under(data_dir) == before


@pytest.mark.parametrize(
    "option, value, choices",
    [
        ("--arch", "vgg", ", ".join(f"'{name}'" for name in models.ARCHITECTURES)),
        ("--labels", "secret", "'mystery', 'original'"),
        ("--device", "tpu", "'auto', 'cpu', 'gpu'"),
    ],
)
def test_fixed_choices_are_usage_errors(run, data_dir, option, value, choices):
    before = files_under(data_dir)
    code, out, err = run("train", option, value, "-a", data_dir)
    assert (code, out) == (2, "")
    assert f"Invalid value for '{option}': Value error, '{value}' is not one of {choices}" in usage_message(err)
    assert files_under(data_dir) == before


def test_unknown_optimizer_writes_nothing(run, data_dir):
    before = files_under(data_dir)
    code, _, err = run("train", "--arch", "default", "--optimizer", "nope", "--limit", "20", "-a", data_dir)
    assert code == 1  # after the line naming the device, the one error line
    assert err == training_line() + "\nerror: unknown optimizer 'nope' (try adam, sgd, rmsprop, adamw, nadam)\n"
    assert files_under(data_dir) == before


def test_missing_data(run, tmp_path):
    code, _, err = run("train", "-a", tmp_path)
    assert (code, err) == (1, f"error: data file not found: {tmp_path / 'data.npz'} (run `fmtwist prepare` first)\n")
    assert files_under(tmp_path) == set()


def test_load_model_errors(tmp_path):
    with pytest.raises(
        ArtifactError,
        match=r"^Keras model not found: .*model-default\.keras \(run `fmtwist train --arch default` first\)$",
    ):
        modelfiles.load_model(tmp_path / "model-default.keras")
    with pytest.raises(ArtifactError, match=r"run `fmtwist train --arch custom --labels original` first"):
        modelfiles.load_model(tmp_path / "model-custom-original.keras")
    bad = tmp_path / "model-custom.keras"
    bad.write_text("not a zip")
    with pytest.raises(ArtifactError, match=r"model-custom\.keras is not a valid Keras model \("):
        modelfiles.load_model(bad)


def test_sparse_loss_trains_on_indices(data_dir):
    data = trainingdata.load_training_data(data_dir / "data.npz")
    config = TrainConfig(arch="default", loss="sparse_categorical_crossentropy", epochs=1, limit=100, seed=0)
    assert training.train(data, config).history["params"]["loss"] == "sparse_categorical_crossentropy"


def test_limit_below_two_is_refused():
    with pytest.raises(ParameterError, match=r"^limit must be at least 2 \(got 1\)$"):
        TrainConfig(limit=1).check()


def test_names_of_files():
    assert (
        modelfiles.train_command_for(Path("a/model-custom-original.keras"))
        == "fmtwist train --arch custom --labels original"
    )
    assert modelfiles.train_command_for(Path("a/model-mine.keras")) == "fmtwist train --arch custom"
    assert models.DEFAULT_ARCH == "custom"
