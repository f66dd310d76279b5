"""Dropout from 16 random bits a value, for bfloat16 training (network/bitsdropout.py): it drops at the rate asked,
keeps the expectation, passes gradients through the kept values only, repeats itself from a seed, and only bfloat16
networks on TensorFlow get it, with the seed states they were built with."""

from __future__ import annotations

import numpy as np
import pytest

from fmtwist_cli.network import bitsdropout, models, precision
from fmtwist_cli.network.precision import Precision


def _layer(rate: float, seed: int | None = None):
    with precision.policy(Precision.bfloat16):
        return bitsdropout.dropout_layer()(rate, seed=seed)


@pytest.mark.parametrize("rate", [0.2, 0.5])
def test_it_drops_at_the_rate_and_keeps_the_expectation(rate):
    import tensorflow as tf

    x = tf.ones((64, 7, 7, 64), "bfloat16")  # 200,704 values
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = _layer(rate, seed=1)(x, training=True)
        loss = tf.reduce_sum(tf.cast(y, "float32"))
    out = np.asarray(tf.cast(y, "float32"))
    assert y.dtype == tf.bfloat16 and out.shape == x.shape
    kept = out != 0
    assert abs(kept.mean() - (1 - rate)) < 0.005  # binomial sd about 0.001
    np.testing.assert_array_equal(np.unique(out[kept]), [1 / (1 - rate)])
    assert abs(out.mean() - 1) < 0.01
    grad = np.asarray(tf.cast(tape.gradient(loss, x), "float32"))
    np.testing.assert_array_equal(grad, out)  # d(sum y)/dx: the scale where kept, 0 where dropped


def test_masks_repeat_from_a_seed_and_change_between_steps():
    import tensorflow as tf

    x = tf.ones((8, 14, 14, 16), "bfloat16")
    a, b = _layer(0.2, seed=7), _layer(0.2, seed=7)
    first, again = np.asarray(a(x, training=True)), np.asarray(b(x, training=True))
    np.testing.assert_array_equal(first, again)
    assert (np.asarray(a(x, training=True)) != first).mean() > 0.2  # the next step draws a new mask
    assert (np.asarray(_layer(0.2, seed=8)(x, training=True)) != first).mean() > 0.2


def test_rows_do_not_share_a_mask():
    import tensorflow as tf

    out = np.asarray(tf.cast(_layer(0.5, seed=3)(tf.ones((16, 576), "bfloat16"), training=True), "float32"))
    assert len({row.tobytes() for row in out}) == 16


def test_inference_and_the_cases_it_leaves_are_keras_own_layer():
    import tensorflow as tf

    keras = models.import_keras()
    x = tf.constant(np.random.default_rng(0).normal(size=(4, 3)).astype("float32"))
    np.testing.assert_array_equal(np.asarray(_layer(0.2)(x, training=False)), np.asarray(tf.cast(x, "bfloat16")))
    # an odd number of values per row: Keras' own draw, the same mask from the same seed
    mine = bitsdropout.dropout_layer()(0.2, seed=5)(x, training=True)
    np.testing.assert_array_equal(np.asarray(mine), np.asarray(keras.layers.Dropout(0.2, seed=5)(x, training=True)))


def test_a_bfloat16_network_gets_it_with_the_seed_states_it_was_built_with():
    keras = models.import_keras()
    keras.utils.set_random_seed(0)
    plain = precision.build(lambda: models.fast(5), Precision.float32)
    keras.utils.set_random_seed(0)
    twin = precision.build(lambda: models.fast(5), Precision.bfloat16)
    plain_drops = [layer for layer in plain.layers if isinstance(layer, keras.layers.Dropout)]
    twin_drops = [layer for layer in twin.layers if isinstance(layer, keras.layers.Dropout)]
    assert len(plain_drops) == 2 and all(type(layer) is keras.layers.Dropout for layer in plain_drops)
    assert all(type(layer) is bitsdropout.dropout_layer() for layer in twin_drops)
    assert [(d.name, d.rate) for d in twin_drops] == [(d.name, d.rate) for d in plain_drops]
    for mine, built in zip(twin_drops, plain_drops, strict=True):
        np.testing.assert_array_equal(mine.seed_generator.state.numpy(), built.seed_generator.state.numpy())
