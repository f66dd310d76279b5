"""Batch norm in TensorFlow's fused kernel for bfloat16 training (network/fusednorm.py): it trains as Keras' layer
does, only bfloat16 networks on TensorFlow get it, and the file a run saves holds Keras' own layer."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest
from conftest import write_learnable

from fmtwist_cli.cli.app import main
from fmtwist_cli.network import fusednorm, models, precision
from fmtwist_cli.network.precision import Precision


def _pair(rng: np.random.Generator, channels: int) -> tuple:
    """Keras' batch norm and the fused one, computing in bfloat16, with the same (random) scale and shift."""
    keras = models.import_keras()
    with precision.policy(Precision.bfloat16):
        plain, fused = keras.layers.BatchNormalization(), fusednorm.fused_layer()()
    for layer in (plain, fused):
        layer.build((None, 7, 7, channels))
    gamma, beta = rng.normal(1, 0.2, channels).astype("float32"), rng.normal(0, 0.2, channels).astype("float32")
    for layer in (plain, fused):
        layer.gamma.assign(gamma)
        layer.beta.assign(beta)
    return plain, fused


def test_the_fused_layer_trains_as_keras_batch_norm():
    import tensorflow as tf

    rng = np.random.default_rng(0)
    plain, fused = _pair(rng, 16)
    x = tf.cast(rng.normal(2, 3, (64, 7, 7, 16)).astype("float32"), "bfloat16")
    upstream = tf.constant(rng.normal(0, 1, (64, 7, 7, 16)).astype("float32"))
    grads, outputs = [], []
    for layer in (plain, fused):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x, training=True)
            loss = tf.reduce_sum(tf.cast(y, "float32") * upstream)
        outputs.append(np.asarray(tf.cast(y, "float32")))
        grads.append([np.asarray(tf.cast(g, "float32")) for g in tape.gradient(loss, [x, layer.gamma, layer.beta])])
        assert y.dtype == tf.bfloat16
    assert np.abs(outputs[0] - outputs[1]).max() <= 2**-7 * np.abs(outputs[0]).max()  # one bfloat16 step
    for mine, keras_own in zip(grads[1], grads[0], strict=True):
        assert np.linalg.norm(mine - keras_own) <= 1e-3 * np.linalg.norm(keras_own)
    np.testing.assert_allclose(fused.moving_mean.numpy(), plain.moving_mean.numpy(), rtol=1e-5, atol=1e-6)
    # the moving variance: the batch's with Bessel's correction (n = 64 x 7 x 7 values per channel)
    n = 64 * 7 * 7
    step = (fused.moving_variance.numpy() - 0.99) / (plain.moving_variance.numpy() - 0.99)
    np.testing.assert_allclose(step, n / (n - 1), rtol=1e-4)


def test_inference_is_keras_own_layer():
    import tensorflow as tf

    rng = np.random.default_rng(1)
    plain, fused = _pair(rng, 8)
    for layer in (plain, fused):
        layer.moving_mean.assign(np.full(8, 0.5, "float32"))
    x = tf.cast(rng.normal(0, 1, (4, 7, 7, 8)).astype("float32"), "bfloat16")
    np.testing.assert_array_equal(np.asarray(plain(x, training=False)), np.asarray(fused(x, training=False)))


def test_only_a_bfloat16_network_on_tensorflow_is_fused():
    keras = models.import_keras()
    plain = precision.build(lambda: models.fast(5), Precision.float32)
    fused = precision.build(lambda: models.fast(5), Precision.bfloat16)
    assert {type(layer) for layer in plain.layers} >= {keras.layers.BatchNormalization}
    assert fusednorm.fused_layer() not in {type(layer) for layer in plain.layers}
    norms = [layer for layer in fused.layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert norms and all(type(layer) is fusednorm.fused_layer() for layer in norms)
    assert [layer.name for layer in fused.layers] == [layer.name for layer in plain.layers]
    assert fused.name == "fast" and fused.dtype_policy.name == "mixed_bfloat16"
    assert [w.shape for w in fused.weights] == [w.shape for w in plain.weights]
    assert keras.mixed_precision.global_policy().name == "float32"


@pytest.mark.slow
def test_a_bfloat16_run_saves_keras_own_batch_norm(tmp_path):
    folder = write_learnable(tmp_path / "art")
    options = ["--arch", "fast", "--epochs", "1", "--limit", "200", "--batch-size", "32", "--seed", "0"]
    assert main(["train", "-a", str(folder), *options, "--precision", "bfloat16"]) == 0
    with zipfile.ZipFile(folder / "model-fast.keras") as saved:
        layers = json.loads(saved.read("config.json"))["config"]["layers"]
    norms = [layer for layer in layers if "Norm" in layer["class_name"]]
    assert len(norms) == 3 and {(n["module"], n["class_name"]) for n in norms} == {
        ("keras.layers", "BatchNormalization")
    }
    assert main(["export", "-a", str(folder), "--model", str(folder / "model-fast.keras")]) == 0  # parity 1e-4
