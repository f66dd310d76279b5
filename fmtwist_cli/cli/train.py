from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from fmtwist_cli import artifacts
from fmtwist_cli.artifacts import layout
from fmtwist_cli.artifacts.layout import Labels
from fmtwist_cli.cli import ui as _ui
from fmtwist_cli.cli.options import ArtifactsDir, JsonOpt, SeedOpt
from fmtwist_cli.network import backends, models, training, trainingdata

# The registry's names, so --help lists them and a typo is a usage error.
Arch = Enum("Arch", {name: name for name in models.ARCHITECTURES}, type=str)
DEFAULT_ARCH = Arch(models.DEFAULT_ARCH)


def _metrics(logs: dict[str, float]) -> str:
    names = (("loss", "loss"), ("accuracy", "acc"), ("val_loss", "val_loss"), ("val_accuracy", "val_acc"))
    return "  ".join(f"{short} {logs[key]:.4f}" for key, short in names if key in logs)


def train(
    arch: Annotated[Arch, typer.Option(help="Architecture (see the README's table).")] = DEFAULT_ARCH,
    labels: Annotated[
        Labels, typer.Option(help="mystery (data.npz) or original (the 10 categories, for the reference classifier).")
    ] = Labels.mystery,
    epochs: Annotated[
        int | None, typer.Option(help="Passes over the training images. Default: the architecture's (15; fast: 14).")
    ] = None,
    batch_size: Annotated[
        int | None, typer.Option(help="Images per gradient step. Default: the architecture's (128).")
    ] = None,
    validation_split: Annotated[
        float, typer.Option(help="Share of the training images (the last ones) held out for validation.")
    ] = 0.2,
    optimizer: Annotated[
        str | None, typer.Option(help="Keras optimizer name. Default: the architecture's (adam).")
    ] = None,
    learning_rate: Annotated[
        float | None,
        typer.Option(help="Peak learning rate. Default: the architecture's (fast: 0.003), else the optimizer's own."),
    ] = None,
    schedule: Annotated[
        models.Schedule | None,
        typer.Option(help="Learning-rate schedule. Default: the architecture's (fast: cosine, else constant)."),
    ] = None,
    steps_per_execution: Annotated[
        int | None,
        typer.Option(
            help="Training steps per call into the backend (same updates, less overhead). Default: the architecture's."
        ),
    ] = None,
    loss: Annotated[str, typer.Option(help="Keras loss name.")] = "categorical_crossentropy",
    seed: SeedOpt = None,
    limit: Annotated[
        int | None, typer.Option(help="Use only the first LIMIT images of each split (quick runs).")
    ] = None,
    data: Annotated[Path | None, typer.Option(help="Dataset from prepare. Default: ARTIFACTS/data.npz.")] = None,
    answer_key: Annotated[
        Path | None, typer.Option(help="Answer key for --labels original. Default: twist.json beside the data.")
    ] = None,
    source: Annotated[
        Path | None,
        typer.Option(help="Official Fashion-MNIST files for --labels original, instead of the answer key."),
    ] = None,
    summary: Annotated[
        bool, typer.Option("--summary", help="Print the layer table (output shapes, parameters) first.")
    ] = False,
    backend: Annotated[
        backends.Backend | None,
        typer.Option(
            envvar="KERAS_BACKEND",
            show_default="$KERAS_BACKEND, else tensorflow",
            help="Keras 3 backend to train with.",
        ),
    ] = None,
    device: Annotated[
        backends.Device, typer.Option(help="auto: the GPU when the backend sees one; gpu: fail without one.")
    ] = backends.Device.auto,
    artifacts_dir: ArtifactsDir = Path("artifacts"),
    as_json: JsonOpt = False,
) -> None:
    """Train a network: artifacts/model-ARCH.keras and artifacts/history-ARCH.json.

    Each architecture has its own schedule: the notebook's for default and
    custom (Adam, categorical cross-entropy, validation split 0.2, batch 128,
    15 epochs); 14 epochs of Adam with a cosine learning rate for fast. With
    --labels original the files are model-ARCH-original.keras and
    history-ARCH-original.json.
    Any backend's model exports the same way (fmtwist export uses TensorFlow).

    Example:

        fmtwist train                              # the notebook's own network
        fmtwist train --arch fast                  # as accurate as custom, ~4x faster
        fmtwist train --arch default --summary     # the first network, layer table
        fmtwist train --labels original --seed 0   # reference classifier, repeatable
        fmtwist train --backend jax --device gpu   # JAX on the GPU (README: GPU)
    """
    arch_name = arch.value
    config = training.TrainConfig(
        arch=arch_name,
        labels=labels.value,
        optimizer=optimizer,
        loss=loss,
        validation_split=validation_split,
        batch_size=batch_size,
        epochs=epochs,
        seed=seed,
        limit=limit,
        backend=backend.value if backend else None,
        device=device.value,
        learning_rate=learning_rate,
        schedule=schedule and schedule.value,
        steps_per_execution=steps_per_execution,
    )
    config.check()
    # before minutes of training, not after
    files = layout.Layout(artifacts_dir)
    artifacts.check_writable(files.model(arch_name, labels), files.history(arch_name, labels))
    dataset = trainingdata.load_training_data(data or files.data, labels.value, answer_key, source)
    backends.activate(config.backend, config.device)  # before --summary builds a model
    if summary:
        _show_summary(config, dataset.n_classes, as_json)
    result = _fit(dataset, config)
    mpath, hpath = training.save(result, artifacts_dir)
    history = result.history
    last = history["epochs"][-1]
    report = {
        "arch": history["arch"],
        "labels": history["labels"],
        "n_classes": history["n_classes"],
        "n_params": history["n_params"],
        "epochs": len(history["epochs"]),
        "last_epoch": last,
        "test": history["test"],
        "train_seconds": history["train_seconds"],
        "backend": history["backend"]["name"],
        "device": history["backend"]["device"],
        "written": [str(mpath), str(hpath)],
    }
    if summary and as_json:
        report["layers"] = models.layer_table(result.model)
    if as_json:
        _ui.print_json(report)
        return
    con = _ui.out()
    con.print(
        f"Trained {history['arch']} on {history['labels']} labels ({history['n_classes']} classes, "
        f"{history['n_params']:,} parameters) in {history['train_seconds']:.1f} s"
    )
    con.print(f"Test loss {history['test']['loss']:.4f}  test accuracy {history['test']['accuracy']:.4f}")
    for p in report["written"]:
        con.print(f"wrote {p}")


def _show_summary(config: training.TrainConfig, n_classes: int, as_json: bool) -> None:
    if as_json:
        return  # the table goes into the JSON object instead
    model = models.build(config.arch, n_classes)
    rows = models.layer_table(model)
    _ui.table(
        f"{config.arch}: {model.count_params():,} parameters",
        ["layer", "type", "output shape", "params"],
        [
            [r["name"], r["type"], "(" + ", ".join(str(d) for d in r["output_shape"]) + ")", f"{r['params']:,}"]
            for r in rows
        ],
    )


def _fit(dataset: trainingdata.TrainingData, config: training.TrainConfig) -> training.TrainResult:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    console = _ui.err()
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(bar_width=20),
        MofNCompleteColumn(),
        TextColumn("{task.fields[metrics]}"),
        console=console,
        disable=not console.is_terminal,
    )
    tasks: dict[int, Any] = {}

    def progress(event: dict[str, Any]) -> None:
        kind = event["event"]
        if kind == "start":  # said once the data passed its checks, so a refusal stays one line
            _ui.log(f"Training on {event['device']} ({event['backend']} backend)")
        elif kind == "epoch_begin":
            tasks[event["epoch"]] = bar.add_task(
                f"Epoch {event['epoch']}/{event['epochs']}", total=event["steps"], metrics=""
            )
        elif kind == "batch":  # the metrics come every few steps only (reading them waits for the device)
            metrics = {"metrics": _metrics(event["logs"])} if "logs" in event else {}
            bar.update(tasks[event["epoch"]], completed=event["step"], **metrics)
        elif kind == "epoch_end":
            text = f"{_metrics(event['logs'])}  {event['seconds']:.1f} s"
            bar.update(tasks[event["epoch"]], completed=event["steps"], metrics=text)
            if bar.disable:
                _ui.log(f"Epoch {event['epoch']}/{event['epochs']}  {text}")
        elif kind == "test_begin":
            _ui.log(f"Evaluating on {event['images']} test images")

    with bar:
        return training.train(dataset, config, progress)
