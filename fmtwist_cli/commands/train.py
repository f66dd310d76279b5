from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from fmtwist_cli import artifacts, models, training
from fmtwist_cli.commands import _ui
from fmtwist_cli.commands._options import ArtifactsDir, JsonOpt, SeedOpt


def _metrics(logs: dict[str, float]) -> str:
    names = (("loss", "loss"), ("accuracy", "acc"), ("val_loss", "val_loss"), ("val_accuracy", "val_acc"))
    return "  ".join(f"{short} {logs[key]:.4f}" for key, short in names if key in logs)


def train(
    arch: Annotated[str, typer.Option(help=f"Architecture: {', '.join(models.ARCHITECTURES)}.")] = models.DEFAULT_ARCH,
    labels: Annotated[str, typer.Option(help="mystery (data.npz) or original (the 10 categories, for the reference classifier).")] = "mystery",
    epochs: Annotated[int, typer.Option(help="Passes over the training images.")] = 15,
    batch_size: Annotated[int, typer.Option(help="Images per gradient step.")] = 128,
    validation_split: Annotated[float, typer.Option(help="Share of the training images (the last ones) held out for validation.")] = 0.2,
    optimizer: Annotated[str, typer.Option(help="Keras optimizer name.")] = "adam",
    loss: Annotated[str, typer.Option(help="Keras loss name.")] = "categorical_crossentropy",
    seed: SeedOpt = None,
    limit: Annotated[Optional[int], typer.Option(help="Use only the first LIMIT images of each split (quick runs).")] = None,
    data: Annotated[Optional[Path], typer.Option(help="Dataset from prepare. Default: ARTIFACTS/data.npz.")] = None,
    answer_key: Annotated[Optional[Path], typer.Option(help="Answer key for --labels original. Default: twist.json beside the data.")] = None,
    source: Annotated[Optional[Path], typer.Option(help="Official Fashion-MNIST files for --labels original, instead of the answer key.")] = None,
    summary: Annotated[bool, typer.Option("--summary", help="Print the layer table (output shapes, parameters) first.")] = False,
    artifacts_dir: ArtifactsDir = Path("artifacts"),
    as_json: JsonOpt = False,
) -> None:
    """Train a network: artifacts/model-ARCH.keras and artifacts/history-ARCH.json.

    The notebook's settings are the defaults (Adam, categorical cross-entropy,
    validation split 0.2, batch 128, 15 epochs). With --labels original the
    files are model-ARCH-original.keras and history-ARCH-original.json.

    Example:

        fmtwist train                              # the notebook's own network
        fmtwist train --arch default --summary     # the first network, layer table
        fmtwist train --labels original --seed 0   # reference classifier, repeatable
    """
    config = training.TrainConfig(arch, labels, optimizer, loss, validation_split, batch_size, epochs, seed, limit)
    config.check()
    # before minutes of training, not after
    artifacts.check_writable(training.model_path(artifacts_dir, arch, labels), training.history_path(artifacts_dir, arch, labels))
    dataset = training.load_training_data(data or artifacts_dir / "data.npz", labels, answer_key, source)
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
        "written": [str(mpath), str(hpath)],
    }
    if summary and as_json:
        report["layers"] = models.layer_table(result.model)
    if as_json:
        _ui.print_json(report)
        return
    con = _ui.out()
    con.print(f"Trained {history['arch']} on {history['labels']} labels ({history['n_classes']} classes, {history['n_params']:,} parameters) in {history['train_seconds']:.1f} s")
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
        [[r["name"], r["type"], "(" + ", ".join(str(d) for d in r["output_shape"]) + ")", f"{r['params']:,}"] for r in rows],
    )


def _fit(dataset: training.TrainingData, config: training.TrainConfig) -> training.TrainResult:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    console = _ui.err()
    bar = Progress(
        TextColumn("{task.description}"), BarColumn(bar_width=20), MofNCompleteColumn(), TextColumn("{task.fields[metrics]}"),
        console=console,
        disable=not console.is_terminal,
    )
    tasks: dict[int, Any] = {}

    def progress(event: dict[str, Any]) -> None:
        kind = event["event"]
        if kind == "epoch_begin":
            tasks[event["epoch"]] = bar.add_task(f"Epoch {event['epoch']}/{event['epochs']}", total=event["steps"], metrics="")
        elif kind == "batch":
            bar.update(tasks[event["epoch"]], completed=event["step"], metrics=_metrics(event["logs"]))
        elif kind == "epoch_end":
            text = f"{_metrics(event['logs'])}  {event['seconds']:.1f} s"
            bar.update(tasks[event["epoch"]], completed=event["steps"], metrics=text)
            if bar.disable:
                _ui.log(f"Epoch {event['epoch']}/{event['epochs']}  {text}")
        elif kind == "test_begin":
            _ui.log(f"Evaluating on {event['images']} test images")

    with bar:
        return training.train(dataset, config, progress)
