"""Batch norm in one TensorFlow kernel, for networks that train in mixed bfloat16 on TensorFlow.

Keras' own batch norm casts its bfloat16 input to float32, computes the batch's moments, normalizes and casts
back, a dozen small operations each way; TensorFlow's fused kernel (``FusedBatchNormV3``) takes the bfloat16 input
as it is, keeps its statistics in float32, and is one operation forward and one backward. In mixed bfloat16 on a
2-core AMD EPYC Zen 5 (AVX512-BF16) that trained `fast` 1.13x and custom 1.11x faster per image, taking turns
(docs/commands.md, "Batch norm in one kernel"); in float32 it measured no faster (0.96x), so float32 runs keep
Keras' layer.

Only training uses it: ``precision.build`` swaps it in for the batch norms of a network about to train, the weights
are the same four (scale, shift, moving mean and variance), and the float32 network a bfloat16 run saves is built
with Keras' own layer (``precision.as_float32``), so the ``.keras`` file needs nothing of fmtwist's to load. One
difference: the kernel's moving variance averages the batch variance with Bessel's correction (times n/(n-1), n the
values per channel in a batch: 1,152 or more here), where Keras' layer averages the uncorrected one.
"""

from __future__ import annotations

import functools
from typing import Any

from fmtwist_cli.network import models


@functools.cache
def fused_layer() -> type:
    """The batch-norm layer that trains in the fused kernel (a class made once Keras is imported)."""
    keras = models.import_keras()
    import tensorflow as tf

    class FusedBatchNormalization(keras.layers.BatchNormalization):
        """Keras' batch norm, training in TensorFlow's fused kernel where it can (4-D input, last axis, no mask or
        renormalization); everything else, inference included, is Keras' layer as it stands."""

        def call(self, inputs: Any, training: Any = None, mask: Any = None) -> Any:
            fits = len(inputs.shape) == 4 and self.axis in (-1, 3) and mask is None and not self.renorm
            if not (training and self.trainable and fits):
                return super().call(inputs, training=training, mask=mask)
            ones = tf.ones(inputs.shape[-1], "float32")
            outputs, mean, variance, *_ = tf.raw_ops.FusedBatchNormV3(
                x=inputs,
                scale=tf.cast(self.gamma, "float32") if self.scale else ones,
                offset=tf.cast(self.beta, "float32") if self.center else tf.zeros_like(ones),
                mean=tf.cast(self.moving_mean, "float32"),
                variance=tf.cast(self.moving_variance, "float32"),
                epsilon=self.epsilon,
                exponential_avg_factor=1.0 - self.momentum,  # returns the moving averages, updated
                data_format="NHWC",
                is_training=True,
            )
            self.moving_mean.assign(mean)
            self.moving_variance.assign(variance)
            return tf.cast(outputs, self.compute_dtype)

    return FusedBatchNormalization
