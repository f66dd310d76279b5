"""Feeding arrays to Keras' ``fit``, ``evaluate`` and ``predict`` on each backend: a tf.data pipeline on TensorFlow
(no autotuning, a fixed prefetch), the arrays themselves on JAX and PyTorch, and each epoch's batches in an order
given from outside."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from fmtwist_cli.network.backends import Backend
from fmtwist_cli.network.models import WIDTH_AXIS
from fmtwist_cli.network.trainingdata import scale

PREFETCH = 2  # batches tf.data prepares ahead of the step that takes them


def batches(x: np.ndarray, y: np.ndarray | None, batch_size: int, backend: Backend | str, shuffle: bool = False) -> Any:
    """Batches of (x, y) for ``model.fit``/``evaluate`` (see :func:`fit_args`,
    :func:`validation_data`), shuffled every epoch when ``shuffle``; of x alone
    for ``predict`` (y None).

    JAX and PyTorch take the arrays (Keras slices them itself). On TensorFlow,
    Keras would slice them in a parallel tf.data map, which TensorFlow rewrites
    to a sequential one under op determinism (``--seed``) and then logs an
    ``E0000 ... NodeDef mentions attribute use_unbounded_threadpool`` error at
    every run; this pipeline gathers each batch in a plain map instead.

    tf.data's autotuning is off (a fixed prefetch of :data:`PREFETCH` batches): with it on, a ``fit`` over the
    whole training set (150 MB of float32 images) often went on 25-34 s after its last step and
    ``on_train_end``, a training step's kernels still running, on 2 cores; with it off, none did
    (docs/commands.md, "Where an epoch's time went").
    """
    if Backend(backend) is not Backend.tensorflow:
        return _Arrays(x, y, batch_size, shuffle)
    import tensorflow as tf

    n = len(x)
    if not shuffle:
        rows = tf.data.Dataset.from_tensor_slices(x if y is None else (x, y)).batch(batch_size)
    else:
        order = tf.data.Dataset.range(n).shuffle(n, reshuffle_each_iteration=True).batch(batch_size)
        whole = tf.data.Dataset.from_tensors((x, y)).repeat()
        rows = tf.data.Dataset.zip(order, whole).map(lambda i, xy: (tf.gather(xy[0], i), tf.gather(xy[1], i)))
    return rows.prefetch(PREFETCH).with_options(_no_autotuning())


def _no_autotuning() -> Any:
    import tensorflow as tf

    options = tf.data.Options()
    options.autotune.enabled = False
    return options


def epoch_batches(pixels: np.ndarray, y: np.ndarray, batch_size: int, backend: Backend | str) -> Any:
    """(order, mirror) -> that epoch's batches of (scaled images, y), for :func:`fit_args`: ``order`` a permutation
    of the rows, ``mirror`` which rows of that order are mirrored left-right (None: none). Both come from outside
    (``checkpoint.epoch_order``, ``checkpoint.epoch_mirrors``), so a resumed run sees the batches of the run it
    carries on. ``pixels`` are the uint8 images: the rows are put in order as they stand, a quarter of the bytes of
    the scaled ones (the float32 copy, 150 MB of 48,000 images written anew each epoch, took 0.7-0.9 s of every
    epoch of `fast` on 2 cores), and :func:`~fmtwist_cli.network.trainingdata.scale` makes each batch in the
    pipeline on TensorFlow; Keras slices the scaled arrays itself elsewhere."""
    if Backend(backend) is not Backend.tensorflow:
        return lambda order, mirror=None: batches(scale(_rows(pixels, order, mirror)), y[order], batch_size, backend)
    import tensorflow as tf
    import tensorflow.experimental.numpy as tnp

    @tf.autograph.experimental.do_not_convert
    def scaled(images: Any, targets: Any) -> tuple[Any, Any]:
        return scale(images, tnp), targets

    def feed(order: np.ndarray, mirror: np.ndarray | None = None) -> Any:
        rows = tf.data.Dataset.from_tensor_slices((_rows(pixels, order, mirror), y[order]))
        return rows.batch(batch_size).map(scaled).prefetch(PREFETCH).with_options(_no_autotuning())

    return feed


def _rows(pixels: np.ndarray, order: np.ndarray, mirror: np.ndarray | None) -> np.ndarray:
    """The uint8 images (N x 28 x 28) in ``order``, those ``mirror`` marks mirrored left-right."""
    rows = pixels[order]
    if mirror is not None:
        rows[mirror] = np.flip(rows[mirror], axis=WIDTH_AXIS)
    return rows


@dataclass
class _Arrays:
    """Arrays for backends that slice them themselves (see :func:`fit_args`)."""

    x: np.ndarray
    y: np.ndarray
    batch_size: int
    shuffle: bool


def fit_args(feed: Any, fitting: bool = True) -> dict[str, Any]:
    """Keyword arguments of ``model.fit`` (or, not ``fitting``, ``evaluate``) for what :func:`batches` returned."""
    if isinstance(feed, _Arrays):
        return {"x": feed.x, "y": feed.y, "batch_size": feed.batch_size} | (
            {"shuffle": feed.shuffle} if fitting else {}
        )
    return {"x": feed} | ({"shuffle": False} if fitting else {})  # a dataset shuffles itself


def validation_data(feed: Any) -> Any:
    """``model.fit(validation_data=...)`` for what :func:`batches` returned."""
    return (feed.x, feed.y) if isinstance(feed, _Arrays) else feed
