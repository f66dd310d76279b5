"""The report's sections about the pipeline: explore link, data, models, maps, clusters, provenance.

Each section only reads the :class:`~fmtwist_cli.report.evidence.Evidence`
(figures are drawn here, from numbers measured there). The sections about the
classes and the guess are in :mod:`.classes`.
"""

from __future__ import annotations

from pathlib import Path

from fmtwist_cli.report.evidence import Evidence
from fmtwist_cli.report.render import DPI, Link, Section, Table, png
from fmtwist_cli.report.text import literal, literal_code


def pct(x: float) -> str:
    return f"{100 * x:.0f} %"


def _or(value: str | None, default: str) -> str:
    """A metadata field the file may lack (an older or hand-made file), as literal text for a paragraph."""
    return default if value is None else literal(value)


def map_name(ev: Evidence) -> str:
    from fmtwist_cli.views import charts

    return charts.method_label(ev.inputs.maps[0].meta) if ev.inputs.maps else "2-D"


def explore_section(ev: Evidence) -> Section:
    s = Section("Explore it yourself")
    if ev.explore_page is not None:
        return s.add(
            Link(
                "Every image on one interactive map: ",
                ev.explore_page.name,
                ev.explore_page,
                " (open it in a browser; it needs no network). Hover a point to see its image, select a group to see "
                "its grid, name groups with the categories you recognise and save your guess; "
                "`fmtwist grade guess.json --answer-key twist.json` scores it by the same rule as this report.",
            )
        )
    return s.add(
        "No interactive page yet: `fmtwist explore` makes explore.html, one offline page where every point of the map "
        "shows its image, a selection shows its grid, and you can name the groups and save your own guess "
        "(`fmtwist grade` scores it); run `fmtwist report` again afterwards to link it here."
    )


def data_section(ev: Evidence) -> Section:
    from fmtwist_cli.data import dataset

    record = ev.inputs.data.record
    counts = dataset.balance(ev.inputs.data)
    rows = [[c, counts["train"][c], counts["test"][c]] for c in range(ev.n_classes)]
    return Section("Data").add(
        f"Source: {_or(record.source, 'unknown')}. Twist: {_or(record.twist, 'unknown')}. "
        f"The images carry {ev.n_classes} mystery classes; the table counts the images of each class in the training "
        "and test splits (a balanced puzzle has roughly equal numbers, or multiples of one number when classes merge "
        "different numbers of categories).",
        Table(
            ["class", "train images", "test images"],
            rows + [["total", sum(counts["train"]), sum(counts["test"])]],
        ),
    )


def models_section(ev: Evidence) -> Section:
    from fmtwist_cli.views import curves

    s = Section("Models")
    inp = ev.inputs
    if not inp.histories and not ev.models:
        return s.add("No trained model yet: run `fmtwist train` then `fmtwist export`.")
    if ev.models:
        s.add(
            "Test accuracy of each exported model, measured by running the ONNX file through onnxruntime on the "
            f"{len(inp.data['y_test']):,} test images (the same numbers the rest of the pipeline sees). "
            "`fmtwist export` writes a model only after checking that Keras and onnxruntime agree on a sample of "
            "images to within an absolute difference of 1e-4 in every output, so the Keras and ONNX accuracies below "
            "agree to that precision.",
            Table(
                ["ONNX model", "predicts", "test accuracy (onnxruntime)", "Keras vs ONNX, largest difference"],
                [
                    [
                        m.name,
                        m.predicts,
                        "–" if m.accuracy is None else f"{m.accuracy:.4f}",
                        m.keras_diff if m.keras_diff is not None else "≤ 1e-4 (checked by export)",
                    ]
                    for m in ev.models
                ],
            ),
        )
    if inp.histories:
        s.add(
            "Architecture and training, from each model's history file: parameters, epochs and the test accuracy "
            "Keras measured right after training.",
            Table(
                ["history", "architecture", "labels", "parameters", "epochs", "test accuracy (Keras)"],
                [
                    [Path(h["path"]).name, h["arch"], h["labels"], f"{h['n_params']:,}", len(h["epochs"])]
                    + [f"{h['test']['accuracy']:.4f}"]
                    for h in inp.histories
                ],
            ),
        )
        for h in inp.histories:
            fig = curves.history_figure(h, size=(10, 8), dpi=DPI)
            s.add(
                png(
                    fig,
                    f"history-{Path(h['path']).stem.removeprefix('history-')}",
                    f"Learning curves of {literal(curves.model_name(h))}: loss and accuracy by epoch on the training "
                    "images (blue) and on the held-out validation images (orange). Validation loss rising while "
                    "training loss falls means over-fitting.",
                )
            )
    return s


def maps_section(ev: Evidence) -> Section:
    from fmtwist_cli.views import charts

    s = Section("Maps")
    inp = ev.inputs
    if inp.embeddings is None:
        return s.add("No embeddings: run `fmtwist embed` (then `fmtwist reduce`) to draw the maps.")
    if not inp.maps:
        return s.add(
            "No 2-D map of the embeddings: run `fmtwist reduce --method tsne` "
            "(and `--method umap`, `--method pca` to compare)."
        )
    s.add(
        "Each point is one image, placed by a 2-D projection of the network's encoding "
        f"({_or(inp.embeddings.record.layer, 'embedding')} layer, {inp.embeddings['embedding'].shape[1]:,} values "
        "per image). Images the network encodes alike land close together. Colours are the mystery labels; a class "
        "made of several categories often shows as several islands of one colour."
    )
    for m in inp.maps:
        name = charts.method_label(m.meta)
        title = f"{name} of the encoding, coloured by mystery class"
        fig = charts.scatter_figure(m["coords"], ev.labels, "class", title, name, size=(9, 7), dpi=DPI)
        caption = (
            f"{literal(name)} map ({m.rows():,} images) coloured by mystery class; "
            "the number of each class sits at its median point."
        )
        s.add(png(fig, f"map-{Path(m.path).stem}-classes", caption))
    first, name = inp.maps[0], map_name(ev)
    for c in inp.clusterings:
        method = c.record.method if c.record.method is not None else Path(c.path).stem
        title = f"{name} coloured by {method} clusters"
        fig = charts.scatter_figure(first["coords"], c["labels"], "cluster", title, name, size=(9, 7), dpi=DPI)
        caption = (
            f"The same {literal(name)} map coloured by the clusters "
            f"{literal_code(f'fmtwist cluster --method {method}')} found (grey: noise, points in no cluster)."
        )
        s.add(png(fig, f"map-{Path(first.path).stem}-{Path(c.path).stem}", caption))
    return s


def clusters_section(ev: Evidence) -> Section:
    import numpy as np

    from fmtwist_cli.groups import scores
    from fmtwist_cli.views import charts, images

    s = Section("Clusters")
    if not ev.clusterings:
        return s.add(
            "No clustering yet: run `fmtwist cluster` "
            "(for example `--method kmeans --k 5` or `--method dbscan --eps auto`)."
        )
    scored = ev.inputs.answer_key is not None
    s.add(
        "How well each clustering of the encoding recovers the mystery classes. "
        "ARI (adjusted Rand index) is 1 for a perfect match and about 0 for chance; NMI (normalised mutual "
        "information) is 1 when clusters and classes determine each other; matched accuracy pairs each cluster with "
        "one class (Hungarian matching) and counts the images that fall in their class's cluster; noise is the share "
        "of images left in no cluster. A clustering made `--within-classes` used the mystery labels (it splits each "
        "class on its own), so its figures against them say little"
        + (
            "; the last column scores every clustering against the 10 original categories of the answer key instead."
            if scored
            else "."
        )
    )
    rows = []
    for c in ev.clusterings:
        e = c.evaluation
        name = Path(c.artifact.path).name + (" (within classes)" if c.within_classes else "")
        rows.append([name, e["n_clusters"], f"{e['ari']:.3f}", f"{e['nmi']:.3f}", f"{e['accuracy']:.3f}"])
        rows[-1] += [pct(e["noise_share"])] + ([f"{c.ari_original:.3f}"] if scored else [])
    header = ["clustering", "clusters", "ARI", "NMI", "matched accuracy", "noise"]
    s.add(Table(header + (["ARI vs categories"] if scored else []), rows))
    for c in ev.clusterings:
        table = c.evaluation["table"]
        sizes = ", ".join(f"{'noise' if g < 0 else g}: {n:,}" for g, n in scores.sizes(c.artifact["labels"])[:12])
        fig = charts.confusion_figure(
            np.asarray(table["counts"]),
            [images.group_name(r, "cluster") for r in table["clusters"]],
            [f"class {k}" for k in table["classes"]],
            "cluster",
            "mystery class",
            f"{c.stem}: cluster × class",
            size=(8, 6),
            dpi=DPI,
        )
        s.add(
            f"{literal(Path(c.artifact.path).name)} cluster sizes (largest first): {sizes}.",
            png(
                fig,
                f"table-{c.stem}",
                "Cluster × class table: each cell counts the images of a class (column) in a cluster (row); shading is "
                "the share of the row, so a dark cell alone in its row is a pure cluster.",
            ),
        )
    return s


def provenance_section(ev: Evidence) -> Section:
    prov = ev.provenance
    versions = prov["versions"]
    return Section("Provenance").add(
        f"Made by fmtwist {versions['fmtwist']} (seed {prov['seed']}) from these files; `sha256sum FILE` checks one.",
        Table(["input", "file", "SHA-256"], [[role, e["path"], e["sha256"]] for role, e in prov["inputs"].items()]),
        "Versions: " + ", ".join(f"{literal(name)} {literal(v)}" for name, v in versions.items()) + ".",
    )
