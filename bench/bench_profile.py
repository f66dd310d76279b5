"""Where one architecture's training step spends its time: TensorFlow's profiler over a pass of training steps,
kernel times summed per step, by operation (``--by kind``: by kernel, e.g. all backward convolutions together).

The network is built as ``fmtwist train`` builds it (``precision.build``: in the precision asked, with the fused
batch norm in bfloat16) and trained with Adam on the first images of data.npz; one pass first, untimed, so the
traced step is what is measured. Times of kernels that ran at once on the two cores overlap, so the rows can add
up to more than a step.

    python bench/bench_profile.py -a /tmp/p11                       # fast, as `fmtwist train` picks the precision
    python bench/bench_profile.py -a /tmp/p11 --arch custom --precision float32 --by kind
"""

from __future__ import annotations

import argparse
import collections
import sys
import tempfile
from pathlib import Path

import numpy as np
from bench_train import data_file, precision_option
from machine import machine

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fmtwist_cli.network import backends, feeding, models, precision, trainingdata


def profile(data: trainingdata.TrainingData, arch: str, chosen: precision.Precision, steps: int, batch: int) -> dict:
    """Kernel name -> (milliseconds per step, calls per step) over ``steps`` training steps."""
    models.import_keras()  # TensorFlow's start-up chatter off
    import tensorflow as tf
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    n = steps * batch
    x, y = trainingdata.scale(data.x_train[:n]), np.eye(data.n_classes, dtype=np.float32)[data.y_train[:n]]
    model = precision.build(lambda: models.build(arch, data.n_classes), chosen)
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    feed = feeding.batches(x, y, batch, backends.Backend.tensorflow)
    model.fit(feed, epochs=1, verbose=0)  # traced before the profile
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as folder:
        tf.profiler.experimental.start(folder)
        model.fit(feed, epochs=1, verbose=0)
        tf.profiler.experimental.stop()
        space = xplane_pb2.XSpace()
        space.ParseFromString(next(Path(folder).rglob("*.xplane.pb")).read_bytes())
    picoseconds, calls = collections.Counter(), collections.Counter()
    for plane in space.planes:
        if not plane.name.startswith("/host:CPU"):
            continue
        for line in plane.lines:
            if not line.name.startswith("tf_Compute"):  # the kernels' threads, not Python's or tf.data's
                continue
            for event in line.events:
                name = plane.event_metadata[event.metadata_id].name
                if ":" in name.replace("::", ""):  # "op name:kernel"; not the executor's "ExecutorState::Process"
                    picoseconds[name] += event.duration_ps
                    calls[name] += 1
    return {name: (ps / 1e9 / steps, calls[name] / steps) for name, ps in picoseconds.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--arch", default="fast")
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--by", choices=["op", "kind"], default="op", help="each operation, or each kind of kernel")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--artifacts", "-a", type=Path, default=Path("artifacts"), help="where data.npz is")
    precision_option(parser)
    args = parser.parse_args()
    chosen = precision.resolve(args.precision, backends.activate(None, "auto").device)
    data = trainingdata.load_training_data(data_file(args.artifacts))
    rows = profile(data, args.arch, chosen, args.steps, args.batch_size)
    if args.by == "kind":  # "model/conv3/convolution:_MklNativeConv2D" -> "_MklNativeConv2D"
        kinds: dict[str, list[float]] = collections.defaultdict(lambda: [0.0, 0.0])
        for name, (ms, n) in rows.items():
            kinds[name.rsplit(":", 1)[-1]][0] += ms
            kinds[name.rsplit(":", 1)[-1]][1] += n
        rows = {name: (ms, n) for name, (ms, n) in kinds.items()}
    print(f"machine: {machine()}; {args.arch}, {chosen.value}, batch {args.batch_size}, {args.steps} steps")
    print(f"{'ms/step':>8} {'calls':>6}  kernel")
    for name, (ms, n) in sorted(rows.items(), key=lambda row: -row[1][0])[: args.top]:
        print(f"{ms:8.3f} {n:6.1f}  {name}")


if __name__ == "__main__":
    main()
