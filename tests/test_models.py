"""The architecture registry: exact layer stacks, parameter counts and each
architecture's training recipe."""

import numpy as np
import pytest
from conftest import write_learnable

from fmtwist_cli.errors import FmtwistError
from fmtwist_cli.network import models


@pytest.mark.parametrize(
    "arch, n_classes, params",
    [
        ("default", 5, 40_933),
        ("custom", 5, 259_717),
        # the dense heads grow with the class count: 6272 + 1 and 64 + 1 per extra class
        ("default", 10, 40_933 + 5 * 6_273),
        ("custom", 10, 259_717 + 5 * 65),
        ("fast", 5, 160_741),
        ("fast", 10, 160_741 + 5 * 577),
    ],
)
def test_parameter_counts(arch, n_classes, params):
    assert models.build(arch, n_classes).count_params() == params


def test_default_layers_are_the_notebooks_first_network():
    rows = models.layer_table(models.build("default", 5))
    assert [(r["type"], r["output_shape"], r["params"]) for r in rows] == [
        ("Conv2D", ["N", 28, 28, 32], 320),
        ("MaxPooling2D", ["N", 14, 14, 32], 0),
        ("Conv2D", ["N", 14, 14, 32], 9_248),
        ("Flatten", ["N", 6_272], 0),
        ("Dense", ["N", 5], 31_365),
    ]


def test_custom_layers_are_the_notebooks_own_network():
    model = models.build("custom", 5)
    rows = models.layer_table(model)
    assert [r["type"] for r in rows] == [
        "Conv2D", "Conv2D", "MaxPooling2D", "BatchNormalization", "Dropout",
        "Conv2D", "MaxPooling2D", "BatchNormalization", "Dropout",
        "Flatten", "Dense", "Dense",
    ]  # fmt: skip
    shapes = {r["name"]: r["output_shape"] for r in rows}
    assert shapes["conv2"] == ["N", 26, 26, 128]  # valid padding
    assert shapes["flatten"] == ["N", 2_304]
    assert shapes["dense"] == ["N", 64]
    assert model.get_layer("dropout1").rate == 0.5 and model.get_layer("dropout2").rate == 0.5
    assert model.get_layer("conv2").padding == "valid" and model.get_layer("conv3").padding == "same"


def test_fast_works_at_28x28_only_in_its_first_convolution():
    rows = models.layer_table(models.build("fast", 5))
    assert [r["name"] for r in rows if r["output_shape"][1:3] == [28, 28]] == ["conv1"]
    shapes = {r["name"]: r["output_shape"] for r in rows}
    assert shapes["pool1"] == ["N", 14, 14, 16]
    assert shapes["conv2"] == ["N", 14, 14, 64] and shapes["conv3"] == ["N", 7, 7, 128]
    assert shapes["conv4"] == shapes["norm4"] == shapes["relu4"] == ["N", 3, 3, 64]  # block 4 does not pool
    assert shapes["flatten"] == ["N", 576]
    # blocks 2 and 3 pool first, so their batch norms and ReLUs run on the pooled maps
    assert shapes["norm2"] == shapes["relu2"] == ["N", 7, 7, 64]
    assert shapes["norm3"] == shapes["relu3"] == ["N", 3, 3, 128]
    assert [r["type"] for r in rows].count("BatchNormalization") == 3


def test_recipes():
    assert models.recipe("custom") == models.Recipe()
    assert models.recipe("default") == models.Recipe(steps_per_execution=8)  # the same updates, fewer calls
    fast = models.recipe("fast")
    assert (fast.epochs, fast.batch_size, fast.optimizer, fast.learning_rate, fast.schedule) == (
        14,
        128,
        "adam",
        3e-3,
        models.Schedule.cosine,
    )
    assert fast.weight_decay is None and models.recipe("custom").weight_decay is None  # Adam's own: no decay
    assert models.recipe("not registered") == models.NOTEBOOK
    # in mixed bfloat16 fast trains in batches of 512 at twice the rate; the others keep their one recipe
    fast_bf16 = models.recipe("fast", "bfloat16")
    assert (fast_bf16.batch_size, fast_bf16.learning_rate) == (512, 6e-3)
    assert (fast_bf16.epochs, fast_bf16.schedule, fast_bf16.optimizer) == (14, models.Schedule.cosine, "adam")
    assert models.recipe("fast", "float32") == models.recipe("fast", "auto") == fast
    assert models.recipe("custom", "bfloat16") == models.Recipe()


@pytest.mark.parametrize("arch", list(models.ARCHITECTURES))
def test_every_architecture_ends_in_a_softmax_named_probs(arch):
    model = models.build(arch, 7)
    last = model.layers[-1]
    assert last.name == "probs" and last.activation.__name__ == "softmax"
    assert tuple(model.inputs[0].shape[1:]) == models.INPUT_SHAPE
    assert models.DEFAULT_LAYER in [layer.name for layer in model.layers]


def test_adding_an_architecture_is_one_function(monkeypatch):
    monkeypatch.setattr(models, "ARCHITECTURES", dict(models.ARCHITECTURES))
    monkeypatch.setattr(models, "DESCRIPTIONS", dict(models.DESCRIPTIONS))
    monkeypatch.setattr(models, "RECIPES", dict(models.RECIPES))

    @models.architecture("tiny", "a test network", models.Recipe(epochs=3))
    def tiny(n_classes):
        keras = models.import_keras()
        return keras.Sequential(
            [
                keras.Input(models.INPUT_SHAPE),
                keras.layers.Flatten(name="flatten"),
                keras.layers.Dense(n_classes, activation="softmax", name="probs"),
            ]
        )

    assert models.build("tiny", 3).count_params() == 784 * 3 + 3
    assert models.recipe("tiny").epochs == 3


def test_unknown_architecture():
    with pytest.raises(FmtwistError, match=r"^unknown architecture 'vgg'; choose one of: default, custom, fast$"):
        models.build("vgg", 5)


def test_too_few_classes():
    with pytest.raises(FmtwistError, match="at least 2 classes, got 1"):
        models.build("default", 1)


@pytest.mark.slow
def test_fast_reference_classifier_exports_to_a_float32_onnx_within_tolerance(tmp_path):
    """--labels original (10 classes) with the fast recipe, then export: the
    ONNX file holds float32 only and matches Keras within export.TOLERANCE."""
    import onnx

    from fmtwist_cli.encode import embedding
    from fmtwist_cli.network import export, modelfiles, training, trainingdata
    from fmtwist_cli.network.config import TrainConfig

    folder = write_learnable(tmp_path)
    data = trainingdata.load_training_data(folder / "data.npz", "original")
    # batches of 32 asked for: the recipe's (512 in bfloat16) would be one step an epoch on 320 images; no flips,
    # as this data's patches tell classes apart by their place left or right (test_export: a run with flips)
    config = TrainConfig(arch="fast", labels="original", epochs=2, batch_size=32, seed=0, flips=False)
    assert (config.schedule, config.learning_rate) == ("cosine", 3e-3)  # the recipe, not the notebook's
    result = training.train(data, config)
    assert result.history["params"]["schedule"] == "cosine" and result.history["n_classes"] == 10
    assert result.history["test"]["accuracy"] > 0.5  # ten bright patches: far above the 0.1 of guessing
    mpath, _ = training.save(result, folder)
    exported = export.export(mpath, data_path=folder / "data.npz")
    assert exported.max_abs_diff <= export.TOLERANCE
    proto = onnx.load(exported.path)
    float32, T = onnx.TensorProto.FLOAT, onnx.TensorProto
    weights = {t.data_type for t in proto.graph.initializer}
    assert float32 in weights and not weights & {T.BFLOAT16, T.FLOAT16, T.DOUBLE}
    assert all(v.type.tensor_type.elem_type == float32 for v in [*proto.graph.input, *proto.graph.output])
    images = data.x_test[:64]
    want = export.two_headed(modelfiles.load_model(mpath), "flatten").predict(trainingdata.scale(images), verbose=0)
    got = embedding.predict(exported.path, images, batch_size=32)
    assert got["probs"].shape == (64, 10) and got["embedding"].shape == (64, 576)
    assert np.abs(got["probs"] - want["probs"]).max() <= export.TOLERANCE


def test_fast_without_its_fourth_convolution_is_recipe_v2s_network():
    """bench/bench_levers.py's `no-conv4`: the network sessions 8-9 measured (89,637 parameters for 5 classes)."""
    before = models.fast(5, conv4=None)
    shapes = {r["name"]: r["output_shape"] for r in models.layer_table(before)}
    assert "conv4" not in shapes and shapes["flatten"] == ["N", 1_152]
    assert before.count_params() == 89_637
    assert models.fast(5, conv4=96).get_layer("flatten").output.shape[1] == 864  # 3 x 3 x 96
