"""Dropout drawn from 16 random bits a value, for networks that train in mixed bfloat16 on TensorFlow.

Keras' dropout on TensorFlow draws a uniform random number in the input's dtype for every value
(``StatelessRandomUniformV2``), compares and selects. In bfloat16 on a 2-core AMD EPYC Zen 5 the first dropout's
random numbers alone took 4.5 ms of `fast`'s step of about 50 ms at batch 512 (bench/bench_profile.py). This layer
draws 32-bit integers (``StatelessRandomUniformFullIntV2``, the same Philox generator) and splits each into two
16-bit halves, one a value, so it makes half the draws: a value is kept where its half is at least
``round(rate * 65536)``, and the kept values are scaled so that their expectation is the input's (the rate as
drawn, within 2**-17 of ``rate``).
That dropout's forward and backward passes took 2.2 ms instead of 5.5, and `fast`'s step ran 1.07x faster, taking
turns step by step (docs/commands.md, "Dropout from 16 random bits").

Only training uses it, as :mod:`~fmtwist_cli.network.fusednorm`'s batch norm: ``precision.build`` swaps it in,
with the same seed state, so a run with ``--seed`` repeats itself and a checkpoint holds the same variables;
inference is Keras' layer (the identity), and the float32 network a run saves holds Keras' own ``Dropout``.
"""

from __future__ import annotations

import functools
import math
from typing import Any

from fmtwist_cli.network import models

BITS = 16  # random bits per value
LEVELS = 2**BITS


@functools.cache
def dropout_layer() -> type:
    """The dropout layer that draws 16 bits a value in training (a class made once Keras is imported)."""
    keras = models.import_keras()
    import tensorflow as tf

    class BitsDropout(keras.layers.Dropout):
        """Keras' dropout, its mask drawn from 16 random bits a value where it can (a rate of at least 2**-17 and at
        most 1 - 2**-17, no noise shape, an even number of values per row); everything else, inference included,
        is Keras' layer as it stands."""

        def call(self, inputs: Any, training: Any = False) -> Any:
            row = inputs.shape[1:]
            per_row = math.prod(row) if None not in row else 0
            dropped = round(self.rate * LEVELS)  # halves below it are dropped
            if not (training and 0 < dropped < LEVELS and self.noise_shape is None and per_row % 2 == 0 < per_row):
                return super().call(inputs, training=training)
            # Keras' seed as its TensorFlow backend casts it for the stateless ops
            seed = tf.cast(tf.math.floormod(self.seed_generator.next(), tf.int32.max - 1), "int32")
            words = tf.random.stateless_uniform(
                [tf.shape(inputs)[0], per_row // 2], seed=seed, minval=None, maxval=None, dtype="uint32"
            )
            halves = tf.reshape(tf.bitcast(words, "uint16"), tf.shape(inputs))
            keep = tf.cast(halves >= tf.constant(dropped, "uint16"), inputs.dtype)
            return inputs * (keep * tf.constant(LEVELS / (LEVELS - dropped), inputs.dtype))

    return BitsDropout
