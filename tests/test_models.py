"""The architecture registry: exact layer stacks and parameter counts."""

import pytest

from fmtwist_cli import models
from fmtwist_cli.errors import FmtwistError


@pytest.mark.parametrize(
    "arch, n_classes, params",
    [
        ("default", 5, 40_933),
        ("custom", 5, 259_717),
        # the dense heads grow with the class count: 6272 + 1 and 64 + 1 per extra class
        ("default", 10, 40_933 + 5 * 6_273),
        ("custom", 10, 259_717 + 5 * 65),
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

    @models.architecture("tiny", "a test network")
    def tiny(n_classes):
        keras = models.import_keras()
        return keras.Sequential([keras.Input(models.INPUT_SHAPE), keras.layers.Flatten(name="flatten"), keras.layers.Dense(n_classes, activation="softmax", name="probs")])

    assert models.build("tiny", 3).count_params() == 784 * 3 + 3


def test_unknown_architecture():
    with pytest.raises(FmtwistError, match=r"^unknown architecture 'vgg'; choose one of: default, custom$"):
        models.build("vgg", 5)


def test_too_few_classes():
    with pytest.raises(FmtwistError, match="at least 2 classes, got 1"):
        models.build("default", 1)
