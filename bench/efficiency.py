"""How near the machine's limit training runs: each network's work per image, counted from its layers, against the
matrix-multiply rate the same machine reaches in the same run, in the precision training ran in (issue 20).

A training step costs about three forward passes (the forward pass, then gradients for the inputs and for the
weights), two floating-point operations per multiply-add. Only convolutions and dense layers are counted: batch
norm, activations and pooling are a few per cent, and memory-bound rather than compute-bound.
"""

from __future__ import annotations

import math
import time
from typing import Any

TRAINING_PASSES = 3  # forward, input gradients, weight gradients


def forward_macs(model: Any) -> int:
    """Multiply-adds of one image's forward pass through ``model``'s convolutions and dense layers."""
    total = 0
    for layer in _layers(model):
        kind = type(layer).__name__
        if kind in ("Conv2D", "DepthwiseConv2D", "SeparableConv2D", "Dense"):
            out = layer.output.shape[1:]  # (h, w, c) or (units,)
            cin = int(layer.input.shape[-1])
            spatial = math.prod(int(d) for d in out[:-1])
            cout = int(out[-1])
            if kind == "Dense":
                total += spatial * cin * cout
            else:
                kh, kw = layer.kernel_size
                if kind == "Conv2D":
                    total += spatial * kh * kw * cin * cout // getattr(layer, "groups", 1)
                elif kind == "DepthwiseConv2D":
                    total += spatial * kh * kw * cout
                else:  # separable: depthwise then pointwise
                    total += spatial * (kh * kw * cin + cin * cout)
    return total


def _layers(model: Any):
    for layer in model.layers:
        if hasattr(layer, "layers"):  # a nested model or Sequential block
            yield from _layers(layer)
        else:
            yield layer


def training_flops(model: Any) -> int:
    """Floating-point operations to train on one image (:data:`TRAINING_PASSES` passes, 2 per multiply-add)."""
    return 2 * TRAINING_PASSES * forward_macs(model)


def matmul_peak(size: int = 2048, seconds: float = 3.0, dtype: str = "float32") -> float:
    """The matrix-multiply rate (GFLOP/s) Keras' backend reaches here in ``dtype`` (float32, or bfloat16: what
    mixed bfloat16 training multiplies in): the best of repeated ``size`` x ``size`` products over about
    ``seconds``, all cores as training uses them."""
    import numpy as np

    from fmtwist_cli.network import models

    ops = models.import_keras().ops
    rng = np.random.default_rng(0)
    a, b = (ops.convert_to_tensor(rng.standard_normal((size, size), dtype=np.float32), dtype) for _ in range(2))
    np.asarray(ops.matmul(a, b))  # warm up
    best, deadline = math.inf, time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        np.asarray(ops.matmul(a, b))
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 / best / 1e9
