from pathlib import Path
from typing import Annotated

import typer

from fmtwist_cli.artifacts.layout import Labels
from fmtwist_cli.cli import ui as _ui
from fmtwist_cli.cli.options import ArtifactsDir, JsonOpt, SeedOpt
from fmtwist_cli.network import backends, models, step
from fmtwist_cli.network.models import Arch
from fmtwist_cli.network.precision import Precision

DEFAULT_ARCH = Arch(models.DEFAULT_ARCH)
FAST_BF16 = models.recipe("fast", "bfloat16")  # the help names its batch size and rate, as the recipe has them

ArchOpt = Annotated[Arch, typer.Option(help="Architecture (see the README's table).")]
LabelsOpt = Annotated[
    Labels, typer.Option(help="mystery (data.npz) or original (the 10 categories, for the reference classifier).")
]
EpochsOpt = Annotated[
    int | None, typer.Option(help="Passes over the training images. Default: the architecture's (15; fast: 14).")
]
BatchSizeOpt = Annotated[
    int | None,
    typer.Option(
        help=f"Images per gradient step. Default: the architecture's (128; fast in bfloat16: {FAST_BF16.batch_size})."
    ),
]
ValidationSplitOpt = Annotated[
    float, typer.Option(help="Share of the training images (the last ones) held out for validation.")
]
OptimizerOpt = Annotated[str | None, typer.Option(help="Keras optimizer name. Default: the architecture's (adam).")]
LearningRateOpt = Annotated[
    float | None,
    typer.Option(
        help="Peak learning rate. Default: the architecture's (fast: 0.003; in bfloat16 at its own batch size: "
        f"{FAST_BF16.learning_rate:g}), else the optimizer's own."
    ),
]
WeightDecayOpt = Annotated[
    float | None,
    typer.Option(
        help="Decoupled weight decay: each step shrinks every weight by this x the learning rate. "
        "Default: the architecture's, else the optimizer's own (Adam: none)."
    ),
]
ScheduleOpt = Annotated[
    models.Schedule | None,
    typer.Option(help="Learning-rate schedule. Default: the architecture's (fast: cosine, else constant)."),
]
StepsPerExecutionOpt = Annotated[
    int | None,
    typer.Option(
        help="Training steps per call into the backend (same updates, less overhead). Default: the architecture's."
    ),
]
FlipsOpt = Annotated[
    bool | None,
    typer.Option(
        "--flips/--no-flips",
        show_default=False,
        help="Mirror a random half of each epoch's images left-right, and take each test image's prediction as the "
        "mean over it and its mirror image (the exported model's too). Default: the architecture's (fast: on).",
    ),
]
LimitOpt = Annotated[int | None, typer.Option(help="Use only the first LIMIT images of each split (quick runs).")]
DataOpt = Annotated[Path | None, typer.Option(help="Dataset from prepare. Default: ARTIFACTS/data.npz.")]
AnswerKeyOpt = Annotated[
    Path | None, typer.Option(help="Answer key for --labels original. Default: twist.json beside the data.")
]
SourceOpt = Annotated[
    Path | None,
    typer.Option(help="Official Fashion-MNIST files for --labels original, instead of the answer key."),
]
SummaryOpt = Annotated[bool, typer.Option("--summary", help="Print the layer table (output shapes, parameters) first.")]
BackendOpt = Annotated[
    backends.Backend | None,
    typer.Option(
        envvar="KERAS_BACKEND",
        show_default="$KERAS_BACKEND, else tensorflow",
        help="Keras 3 backend to train with.",
    ),
]
RestartOpt = Annotated[
    bool, typer.Option("--restart", help="Start over instead of carrying on an interrupted run's checkpoint.")
]
DeviceOpt = Annotated[
    backends.Device, typer.Option(help="auto: the GPU when the backend sees one; gpu: fail without one.")
]

PrecisionOpt = Annotated[
    Precision,
    typer.Option(help="bfloat16: Keras' mixed bfloat16; auto: bfloat16 where the CPU has AMX or AVX512-BF16."),
]


def train(
    arch: ArchOpt = DEFAULT_ARCH,
    labels: LabelsOpt = Labels.mystery,
    epochs: EpochsOpt = None,
    batch_size: BatchSizeOpt = None,
    validation_split: ValidationSplitOpt = 0.2,
    optimizer: OptimizerOpt = None,
    learning_rate: LearningRateOpt = None,
    weight_decay: WeightDecayOpt = None,
    schedule: ScheduleOpt = None,
    steps_per_execution: StepsPerExecutionOpt = None,
    flips: FlipsOpt = None,
    loss: Annotated[str, typer.Option(help="Keras loss name.")] = "categorical_crossentropy",
    seed: SeedOpt = None,
    limit: LimitOpt = None,
    data: DataOpt = None,
    answer_key: AnswerKeyOpt = None,
    source: SourceOpt = None,
    summary: SummaryOpt = False,
    backend: BackendOpt = None,
    device: DeviceOpt = backends.Device.auto,
    precision: PrecisionOpt = Precision.auto,
    restart: RestartOpt = False,
    artifacts_dir: ArtifactsDir = Path("artifacts"),
    as_json: JsonOpt = False,
) -> None:
    """Train a network: artifacts/model-ARCH.keras and artifacts/history-ARCH.json.

    Each architecture has its own schedule: the notebook's for default and
    custom (Adam, categorical cross-entropy, validation split 0.2, batch 128,
    15 epochs); 14 epochs of Adam with a cosine learning rate for fast (in
    mixed bfloat16 in batches of 512, where they run faster), with flips: half
    the images mirrored, each test image judged with its mirror image. With
    --labels original the files are model-ARCH-original.keras and
    history-ARCH-original.json.
    Any backend's model exports the same way (fmtwist export uses TensorFlow).
    A run killed or interrupted carries on from its last epoch when run again
    with the same options (artifacts/checkpoint-ARCH.npz); --restart starts over.

    Example:

        fmtwist train                              # the notebook's own network
        fmtwist train --arch fast                  # as accurate as custom, ~4x faster
        fmtwist train --arch default --summary     # the first network, layer table
        fmtwist train --labels original --seed 0   # reference classifier, repeatable
        fmtwist train --backend jax --device gpu   # JAX on the GPU (README: GPU)
        fmtwist train --restart                    # start over, not from an interrupted run
        fmtwist train --precision float32          # float32 even on a CPU with AMX
    """
    result = _ui.run_step(step.train, locals())
    report = result.summary
    if as_json:
        _ui.print_json(report)
        return
    if summary:
        _ui.table(
            f"{report['arch']}: {report['n_params']:,} parameters",
            ["layer", "type", "output shape", "params"],
            [
                [r["name"], r["type"], "(" + ", ".join(str(d) for d in r["output_shape"]) + ")", f"{r['params']:,}"]
                for r in report["layers"]
            ],
        )
    con = _ui.out()
    con.print(
        f"Trained {report['arch']} on {report['labels']} labels ({report['n_classes']} classes, "
        f"{report['n_params']:,} parameters) in {report['train_seconds']:.1f} s"
    )
    con.print(f"Test loss {report['test']['loss']:.4f}  test accuracy {report['test']['accuracy']:.4f}")
    for p in report["written"]:
        con.print(f"wrote {p}")
