"""The report: every piece of evidence in one page, and the guess it leads to.

:func:`build` reads whatever the artifacts folder holds (data, training
histories, ONNX models, embeddings, maps, clusterings), measures what is left
to measure (test accuracy through onnxruntime, the reference classifier's
reading of every test image, sub-groups) and returns a :class:`Report`: a
list of sections made of paragraphs, tables and figures. :func:`write` renders
it twice: ``index.html``, one self-contained file with the figures inlined,
and ``report.md`` with the figures beside it. A missing piece never stops the
report: its section says which command makes it.
"""

from __future__ import annotations

import base64
import html
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from fmtwist_cli import artifacts, guess, twist
from fmtwist_cli.errors import FmtwistError
from fmtwist_cli.twist import CATEGORIES

MAP_ORDER = ("tsne", "umap", "pca")
GRID_N = 10  # images per row of a class grid
DPI = 80

Progress = Callable[[str], None]


# --------------------------------------------------------------------------
# what a report is made of


@dataclass
class Figure:
    name: str  # file stem in the report folder
    png: bytes
    caption: str


@dataclass
class Table:
    header: list[str]
    rows: list[list[Any]]


@dataclass
class Section:
    title: str
    blocks: list[str | Table | Figure] = field(default_factory=list)

    def add(self, *blocks: str | Table | Figure) -> Section:
        self.blocks.extend(blocks)
        return self


@dataclass
class Report:
    title: str
    sections: list[Section]
    summary: dict[str, Any]  # the --json object
    missing: list[str]  # one line per missing piece, naming the command that makes it


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()


def _pct(x: float) -> str:
    return f"{100 * x:.0f} %"


# --------------------------------------------------------------------------
# finding the pieces


def find_reference(folder: Path) -> Path | None:
    """The reference classifier: model-custom-original.onnx, else any
    model-*-original.onnx."""
    preferred = folder / "model-custom-original.onnx"
    if preferred.is_file():
        return preferred
    found = sorted(folder.glob("model-*-original.onnx"))
    return found[0] if found else None


def _maps(folder: Path) -> list[Path]:
    out = [folder / f"coords-{m}.npz" for m in MAP_ORDER if (folder / f"coords-{m}.npz").is_file()]
    return out + [p for p in sorted(folder.glob("coords-*.npz")) if p not in out]


REFERENCE_HINT = (
    "no reference classifier (a model trained on the 10 original categories): run "
    "`fmtwist train --labels original` then `fmtwist export --labels original`"
)
# The course's CSV files carry mystery labels only: the reference classifier
# learns the categories from the official files instead.
REFERENCE_HINT_CSV = (
    "no reference classifier (a model trained on the 10 original categories): run "
    "`fmtwist train --labels original --source FOLDER` (FOLDER: the official Fashion-MNIST files) "
    "then `fmtwist export --labels original`"
)


def reference_hint(data: artifacts.Artifact) -> str:
    return REFERENCE_HINT_CSV if data.meta.get("has_answer_key") is False else REFERENCE_HINT


@dataclass
class Inputs:
    """Everything the report reads, loaded and checked before anything is written."""

    folder: Path
    data: artifacts.Artifact
    answer_key: dict | None
    histories: list[dict]
    models: list[Path]  # .onnx files
    reference: Path | None
    embeddings: artifacts.Artifact | None
    maps: list[artifacts.Artifact]
    clusterings: list[artifacts.Artifact]
    skipped: list[str] = field(default_factory=list)  # artifacts left out, and why
    answer_key_path: Path | None = None


def load_inputs(folder: Path, answer_key: Path | None = None, reference: Path | None = None, embeddings: Path | None = None) -> Inputs:
    """Load data.npz (required) and every optional artifact found in ``folder``."""
    folder = Path(folder)
    data = artifacts.load(folder / "data.npz", "data")
    key = artifacts.load_answer_key(answer_key) if answer_key is not None else None
    if key is not None:  # another puzzle's key would score the guess against the wrong mapping
        artifacts.check_made_from((answer_key, key), "data", folder / "data.npz", "pass the twist.json written with this data.npz")
    if reference is not None and not Path(reference).is_file():
        raise FmtwistError(f"reference classifier not found: {reference}")
    emb_path = Path(embeddings) if embeddings is not None else folder / "embeddings.npz"
    if embeddings is not None and not emb_path.is_file():
        raise FmtwistError(f"embeddings not found: {emb_path} (run `fmtwist embed` first)")
    emb = artifacts.load(emb_path, "embeddings") if emb_path.is_file() else None
    if emb is not None:
        artifacts.check_made_from(emb, "data", data.path, "run `fmtwist embed` again")
        _check_same_data(emb, data)
    histories = [artifacts.load_history(p) | {"path": str(p)} for p in sorted(folder.glob("history-*.json"))]
    models = sorted(folder.glob("model-*.onnx"))
    maps, clusterings, skipped = [], [], []
    if emb is not None:
        # A map or clustering of other embeddings cannot be coloured by these labels.
        for p in _maps(folder):
            m = artifacts.load(p, "coords")
            if artifacts.input_mismatch(m, "embeddings", emb_path):
                skipped.append(f"{p.name} left out: made from a different embeddings file than {emb_path.name} (run `fmtwist reduce` again)")
            elif m.rows() == emb.rows():
                maps.append(m)
            else:
                skipped.append(f"{p.name} left out: {m.rows():,} points but {emb_path.name} has {emb.rows():,} rows (run `fmtwist reduce` again)")
        for p in sorted(folder.glob("clusters-*.npz")):
            c = artifacts.load(p, "clusters")
            if artifacts.input_mismatch(c, "embeddings", emb_path):
                skipped.append(f"{p.name} left out: made from a different embeddings file than {emb_path.name} (run `fmtwist cluster` again)")
            elif c["labels"].shape[0] == emb.rows():
                clusterings.append(c)
            else:
                skipped.append(f"{p.name} left out: {c['labels'].shape[0]:,} labels but {emb_path.name} has {emb.rows():,} rows (run `fmtwist cluster` again)")
    ref = Path(reference) if reference else find_reference(folder)
    from fmtwist_cli.embedding import checked_onnx

    for model in sorted({*models, *([ref] if ref is not None else [])}):  # refused before any work, not after progress lines
        checked_onnx(Path(model))
    return Inputs(folder, data, key, histories, models, ref, emb, maps, clusterings, skipped, answer_key)


def _check_same_data(emb: artifacts.Artifact, data: artifacts.Artifact) -> None:
    """Embeddings of an earlier data.npz (another twist) would mislabel every point."""
    for split in np.unique(emb["split"]):
        rows = emb["split"] == split
        index = emb["index"][rows]
        y = data[f"y_{split}"]
        if index.size and (index.max() >= y.size or ("labels" in emb and not np.array_equal(emb["labels"][rows], y[index]))):
            raise FmtwistError(f"{emb.path} was made from another data.npz (its labels differ): run `fmtwist embed` again")


# --------------------------------------------------------------------------
# sections


def data_section(inp: Inputs) -> Section:
    from fmtwist_cli import dataset

    meta = inp.data.meta
    k = int(meta["n_classes"])
    counts = dataset.balance(inp.data)
    s = Section("Data")
    s.add(
        f"Source: {meta.get('source', 'unknown')}. Twist: {meta.get('twist', 'unknown')}. "
        f"The images carry {k} mystery classes; the table counts the images of each class in the training and test splits "
        "(a balanced puzzle has roughly equal numbers, or multiples of one number when classes merge different numbers of categories).",
        Table(["class", "train images", "test images"], [[c, counts["train"][c], counts["test"][c]] for c in range(k)]
              + [["total", sum(counts["train"]), sum(counts["test"])]]),
    )
    return s


def _model_accuracy(inp: Inputs, model: Path, predict: Callable) -> tuple[str, float | None, np.ndarray | None]:
    """Test accuracy of one ONNX model measured through onnxruntime, and its
    probabilities (kept for the reference classifier)."""
    out = predict(model, inp.data["x_test"])
    probs = out["probs"]
    if probs.shape[1] == len(CATEGORIES) and "original" in model.stem:
        if inp.answer_key is None:
            return "original categories (accuracy needs --answer-key)", None, probs
        truth = inp.answer_key["original_labels"]["test"]
        return "original categories", float((probs.argmax(1) == truth).mean()), probs
    if probs.shape[1] != int(inp.data.meta["n_classes"]):
        return f"{probs.shape[1]} classes (not this data)", None, None
    return "mystery classes", float((probs.argmax(1) == inp.data["y_test"]).mean()), probs


def models_section(inp: Inputs, predict: Callable, progress: Progress) -> tuple[Section, dict[str, Any], np.ndarray | None]:
    from fmtwist_cli import plots

    s = Section("Models")
    summary: dict[str, Any] = {}
    ref_probs = None
    if not inp.histories and not inp.models:
        s.add("No trained model yet: run `fmtwist train` then `fmtwist export`.")
        return s, summary, None
    rows = []
    for model in inp.models:
        progress(f"measuring {model.name} through onnxruntime")
        what, acc, probs = _model_accuracy(inp, model, predict)
        if inp.reference is not None and model.resolve() == Path(inp.reference).resolve():
            ref_probs = probs
        summary[model.name] = acc
        diff = artifacts.describe(model).get("meta", {}).get("keras_max_abs_diff")
        rows.append([model.name, what, "–" if acc is None else f"{acc:.4f}", diff if diff is not None else "≤ 1e-4 (checked by export)"])
    if rows:
        s.add(
            "Test accuracy of each exported model, measured by running the ONNX file through onnxruntime on the "
            f"{len(inp.data['y_test']):,} test images (the same numbers the rest of the pipeline sees). "
            "`fmtwist export` writes a model only after checking that Keras and onnxruntime agree on a sample of images "
            f"to within an absolute difference of 1e-4 in every output, so the Keras and ONNX accuracies below agree to that precision.",
            Table(["ONNX model", "predicts", "test accuracy (onnxruntime)", "Keras vs ONNX, largest difference"], rows),
        )
    if inp.histories:
        s.add(
            "Architecture and training, from each model's history file: parameters, epochs and the test accuracy Keras measured "
            "right after training.",
            Table(
                ["history", "architecture", "labels", "parameters", "epochs", "test accuracy (Keras)"],
                [[Path(h["path"]).name, h["arch"], h["labels"], f"{h['n_params']:,}", len(h["epochs"]), f"{h['test']['accuracy']:.4f}"] for h in inp.histories],
            ),
        )
        for h in inp.histories:
            fig = plots.history_figure(h, size=(10, 8), dpi=DPI)
            s.add(Figure(f"history-{Path(h['path']).stem[len('history-'):]}", _png(fig),
                         f"Learning curves of {plots.model_name(h)}: loss and accuracy by epoch on the training images (blue) "
                         "and on the held-out validation images (orange). Validation loss rising while training loss falls means over-fitting."))
    return s, summary, ref_probs


def _class_names(k: int) -> list[str]:
    return [f"class {c}" for c in range(k)]


def maps_section(inp: Inputs) -> Section:
    from fmtwist_cli import plots

    s = Section("Maps")
    if inp.embeddings is None:
        return s.add("No embeddings: run `fmtwist embed` (then `fmtwist reduce`) to draw the maps.")
    if not inp.maps:
        return s.add("No 2-D map of the embeddings: run `fmtwist reduce --method tsne` (and `--method umap`, `--method pca` to compare).")
    labels = inp.embeddings["labels"] if "labels" in inp.embeddings else inp.embeddings["pred"]
    s.add(
        f"Each point is one image, placed by a 2-D projection of the network's encoding ({inp.embeddings.meta.get('layer', 'embedding')} layer, "
        f"{inp.embeddings['embedding'].shape[1]:,} values per image). Images the network encodes alike land close together. "
        "Colours are the mystery labels; a class made of several categories often shows as several islands of one colour."
    )
    for m in inp.maps:
        name = plots.method_label(m.meta)
        fig = plots.scatter_figure(m["coords"], labels, "class", f"{name} of the encoding, coloured by mystery class", name, size=(9, 7), dpi=DPI)
        s.add(Figure(f"map-{Path(m.path).stem}-classes", _png(fig), f"{name} map ({m.rows():,} images) coloured by mystery class; the number of each class sits at its median point."))
    first = inp.maps[0]
    for c in inp.clusterings:
        method = c.meta.get("method", Path(c.path).stem)
        fig = plots.scatter_figure(first["coords"], c["labels"], "cluster", f"{plots.method_label(first.meta)} coloured by {method} clusters", plots.method_label(first.meta), size=(9, 7), dpi=DPI)
        s.add(Figure(f"map-{Path(first.path).stem}-{Path(c.path).stem}", _png(fig),
                     f"The same {plots.method_label(first.meta)} map coloured by the clusters `fmtwist cluster --method {method}` found (grey: noise, points in no cluster)."))
    return s


def clusters_section(inp: Inputs) -> tuple[Section, dict[str, Any]]:
    from fmtwist_cli import clustering, plots

    s = Section("Clusters")
    out: dict[str, Any] = {}
    if inp.embeddings is None or not inp.clusterings:
        return s.add("No clustering yet: run `fmtwist cluster` (for example `--method kmeans --k 5` or `--method dbscan --eps auto`)."), out
    labels = inp.embeddings["labels"] if "labels" in inp.embeddings else inp.embeddings["pred"]
    originals = None
    if inp.answer_key is not None:
        originals = clustering.original_categories(inp.embeddings["index"], inp.embeddings["split"], inp.answer_key, str(inp.answer_key_path))
    s.add(
        "How well each clustering of the encoding recovers the mystery classes. "
        "ARI (adjusted Rand index) is 1 for a perfect match and about 0 for chance; NMI (normalised mutual information) "
        "is 1 when clusters and classes determine each other; matched accuracy pairs each cluster with one class "
        "(Hungarian matching) and counts the images that fall in their class's cluster; noise is the share of images left in no cluster. "
        "A clustering made `--within-classes` used the mystery labels (it splits each class on its own), so its figures against "
        "them say little"
        + ("; the last column scores every clustering against the 10 original categories of the answer key instead." if originals is not None else ".")
    )
    rows = []
    for c in inp.clusterings:
        ev = clustering.evaluation(labels, c["labels"])
        name = Path(c.path).name + (" (within classes)" if c.meta.get("params", {}).get("within_classes") else "")
        out[Path(c.path).stem] = {k: ev[k] for k in ("ari", "nmi", "accuracy", "noise_share", "n_clusters")}
        rows.append([name, ev["n_clusters"], f"{ev['ari']:.3f}", f"{ev['nmi']:.3f}", f"{ev['accuracy']:.3f}", _pct(ev["noise_share"])])
        if originals is not None:
            out[Path(c.path).stem]["ari_original"] = clustering.metrics(originals, c["labels"])["ari"]
            rows[-1].append(f"{out[Path(c.path).stem]['ari_original']:.3f}")
    s.add(Table(["clustering", "clusters", "ARI", "NMI", "matched accuracy", "noise"] + (["ARI vs categories"] if originals is not None else []), rows))
    for c in inp.clusterings:
        table, row_ids, col_ids = plots.contingency(c["labels"], labels)
        sizes = ", ".join(f"{'noise' if g < 0 else g}: {n:,}" for g, n in clustering.sizes(c["labels"])[:12])
        fig = plots.confusion_figure(table, ["noise" if r < 0 else f"cluster {r}" for r in row_ids], [f"class {k}" for k in col_ids],
                                     "cluster", "mystery class", f"{Path(c.path).stem}: cluster × class", size=(8, 6), dpi=DPI)
        s.add(f"{Path(c.path).name} cluster sizes (largest first): {sizes}.",
              Figure(f"table-{Path(c.path).stem}", _png(fig),
                     "Cluster × class table: each cell counts the images of a class (column) in a cluster (row); shading is the share of the row, "
                     "so a dark cell alone in its row is a pure cluster."))
    return s, out


# --------------------------------------------------------------------------
# per-class evidence and the guess


@dataclass
class Guess:
    shares: np.ndarray | None  # (K, 10)
    merge: guess.MergeMap | None
    subgroups: list[guess.SubGroups] | None
    subgroup_rows: list[np.ndarray] | None  # embeddings rows of each class's points
    subgroup_names: list[list[str]] | None  # reference name of each sub-group


def _test_rows(emb: artifacts.Artifact) -> np.ndarray:
    rows = np.flatnonzero(emb["split"] == "test")
    return rows if rows.size else np.arange(emb.rows())


def make_guess(inp: Inputs, ref_probs: np.ndarray | None, seed: int = 0) -> Guess:
    k = int(inp.data.meta["n_classes"])
    y = inp.data["y_test"]
    shares = merge = None
    if ref_probs is not None:
        pred = ref_probs.argmax(axis=1)
        shares = guess.category_shares(pred, y, k)
        merge = guess.infer_merge_map(pred, y, k)
    subgroups = rows_per_class = names = None
    if inp.embeddings is not None and inp.maps:
        emb, coords = inp.embeddings, inp.maps[0]
        rows = _test_rows(emb)
        labels = (emb["labels"] if "labels" in emb else emb["pred"])[rows]
        subgroups = guess.subgroups_per_class(coords["coords"][rows], labels, k, seed=seed)
        rows_per_class = [rows[labels == c] for c in range(k)]
        if ref_probs is not None and (emb["split"][rows] == "test").all():
            pred = ref_probs.argmax(axis=1)
            names = []
            for c, sg in enumerate(subgroups):
                cats = pred[emb["index"][rows_per_class[c]]]
                names.append([CATEGORIES[np.bincount(cats[sg.labels == g], minlength=10).argmax()] for g in range(sg.count)])
    return Guess(shares, merge, subgroups, rows_per_class, names)


def classes_section(inp: Inputs, g: Guess, seed: int = 0) -> Section:
    from fmtwist_cli import images, plots

    s = Section("Each mystery class")
    k = int(inp.data.meta["n_classes"])
    if inp.embeddings is None:
        return s.add("No embeddings: run `fmtwist embed` to pick typical and borderline images and to find sub-groups.")
    coll = images.collect(inp.data, inp.embeddings)
    labels = coll.labels if coll.labels is not None else coll.pred
    coll.labels = labels
    intro = ("For each class: its most typical images (nearest the class's centre in the encoding), its most borderline ones "
             "(nearest another class's centre, where the network hesitates)")
    if g.subgroups is None:
        s.add(intro + ". Sub-groups need a map: run `fmtwist reduce --method tsne`.")
    else:
        s.add(intro + ", then the sub-groups the class splits into on the "
              f"{_map_name(inp)} map, found with no labels at all: dense groups of the class's own points (HDBSCAN), kept apart only "
              "where the density between them falls below half the density inside them, and each big enough to be a category: "
              f"at least {_pct(guess.min_group_share(k))} of the class and half as many images as one Fashion-MNIST category has "
              "(smaller islands are styles within a category). The count is checked on 10 random halves of the class. A second label-free "
              "fact completes it: Fashion-MNIST has as many images of every category, so a class's size says how many categories it "
              "holds. Where the map shows fewer groups than that (categories that look alike to the network), the largest group is "
              "cut in two along its longest direction (K-Means) until the numbers match, and the class says so; where it shows more, "
              "the nearest groups are joined. Each sub-group is shown by the images nearest its centre; a class merged from three "
              "categories should show three sub-groups.")
    for c in range(k):
        rows = np.flatnonzero(labels == c)
        if rows.size == 0:
            s.add(f"Class {c} has no images.")
            continue
        grid = [("typical", coll.images(images.pick(coll, rows, "central", GRID_N, labels, seed))),
                ("borderline", coll.images(images.pick(coll, rows, "border", GRID_N, labels, seed)))]
        text = f"**Class {c}** ({rows.size:,} images)."
        if g.subgroups is not None:
            sg = g.subgroups[c]
            members = g.subgroup_rows[c]
            if sg.fitted_to_size:
                text += (f" The map shows **{sg.map_count} distinct group{'s' if sg.map_count != 1 else ''}** (as do {round(sg.stability * len(sg.counts_seen))} "
                         f"of {len(sg.counts_seen)} random halves), but the class holds {sg.size_units:.1f} categories' worth of images, so it is "
                         f"shown as **{sg.count} sub-groups** (sizes {', '.join(f'{n:,}' for n in sg.sizes)}) "
                         + ("cut where no valley separates them: their images look alike to the network." if sg.count > sg.map_count
                            else "by joining the nearest groups: some are styles within one category."))
            else:
                text += (f" It splits into **{sg.count} sub-group{'s' if sg.count != 1 else ''}** (found in {round(sg.stability * len(sg.counts_seen))} "
                         f"of {len(sg.counts_seen)} random halves; sizes {', '.join(f'{n:,}' for n in sg.sizes)}).")
            for j in range(sg.count):
                name = f"sub-group {j + 1}"
                if g.subgroup_names is not None:
                    name += f"\n(mostly {g.subgroup_names[c][j]})"
                grid.append((name, coll.images(members[sg.typical[j][:GRID_N]])))
        fig = plots.groups_grid_figure(grid, f"Class {c}", GRID_N, dpi=DPI)
        s.add(text, Figure(f"class-{c}", _png(fig),
                           f"Class {c}: typical images (top row), borderline images (second row)"
                           + (", then the most typical images of each sub-group" if g.subgroups is not None else "") + "."))
    return s


def _map_name(inp: Inputs) -> str:
    from fmtwist_cli import plots

    return plots.method_label(inp.maps[0].meta) if inp.maps else "2-D"


def guess_section(inp: Inputs, g: Guess) -> Section:
    s = Section("The guess")
    k = int(inp.data.meta["n_classes"])
    if g.merge is None:
        return s.add(reference_hint(inp.data) + ".")
    s.add(
        f"A reference classifier ({Path(inp.reference).name}), trained on the 10 original Fashion-MNIST categories of the official "
        "training split and run through onnxruntime, names every test image. Each class is described by the categories its images "
        "are called (shares of the class's images; categories under 5 % left out):",
        Table(["class", "images", "made of (reference classifier)"],
              [[c, int((inp.data["y_test"] == c).sum()), guess.describe_mix(g.shares[c])] for c in range(k)]),
        "Read the other way, the images the classifier calls a category show which class that category was merged into: each category "
        "goes to the class holding most of them, and the confidence is that share (1.0: every image called this category has that label)."
        + (f" {', '.join(CATEGORIES[j] for j in g.merge.forced)} had to move to a class that would otherwise be empty." if g.merge.forced else ""),
        Table(["category", "placed in class", "confidence"],
              [[CATEGORIES[j], int(g.merge.mapping[j]), f"{g.merge.confidence[j]:.2f}"] for j in range(len(CATEGORIES))]),
    )
    members = g.merge.members()
    per_category = len(inp.data["y_test"]) / len(CATEGORIES)
    sizes = twist.category_units(np.bincount(inp.data["y_test"], minlength=k))
    if all(abs(x - round(x)) < 0.1 for x in sizes):
        agree = sum(round(x) == len(members[c]) for c, x in enumerate(sizes))
        s.add(f"A third check, from sizes alone: Fashion-MNIST has as many images of every category ({per_category:,.0f} per category "
              f"among these {len(inp.data['y_test']):,} test images), so a class's size counts its categories: "
              + ", ".join(f"class {c} holds {round(x)}" for c, x in enumerate(sizes))
              + f". The merge map gives {agree} of {k} classes that many categories.")
    lines = []
    for c in range(k):
        cats = members[c]
        line = f"- **Class {c} = {' + '.join(cats) if cats else '(no category)'}**"
        if g.subgroups is not None:
            n = g.subgroups[c].map_count
            if n == len(cats):
                line += f": the map shows {n} sub-group{'s' if n != 1 else ''}, as many as the categories named — the two kinds of evidence agree."
            else:
                line += f": but the map shows {n} sub-group{'s' if n != 1 else ''} for {len(cats)} categor{'ies' if len(cats) != 1 else 'y'} — they disagree"
                named = g.subgroup_names[c] if g.subgroup_names is not None else []
                alone = [cat for cat in cats if cat not in named]
                if n < len(cats):
                    line += (f": {' and '.join(alone)} {'has' if len(alone) == 1 else 'have'} no group of {'its' if len(alone) == 1 else 'their'} own on the map"
                             if named and alone else ": some categories look alike to the network and share one group")
                    line += " — the reference classifier tells apart what the encoding keeps together."
                else:
                    line += ": one category falls apart in more than one group (styles within it)."
        lines.append(line)
    s.add("**The guess, stated plainly:**\n\n" + "\n".join(lines))
    return s


def score_section(inp: Inputs, g: Guess) -> tuple[Section | None, dict[str, Any]]:
    if inp.answer_key is None:
        return None, {}
    s = Section("Scored against the answer key")
    if g.merge is None:
        return s.add("Nothing to score: " + reference_hint(inp.data) + "."), {}
    counts = [sg.count for sg in g.subgroups] if g.subgroups is not None else None
    map_counts = [sg.map_count for sg in g.subgroups] if g.subgroups is not None else None
    result = guess.score(g.merge, counts, inp.answer_key["mapping_by_index"], map_counts)
    s.add(
        f"The answer key ({inp.answer_key.get('twist', 'twist.json')}) says which class each category really went to. "
        f"**{result['categories_right']} of 10 categories placed right.**",
        Table(["category", "guessed class", "true class", "right?", "confidence"],
              [[r["category"], r["guess"], r["truth"], "yes" if r["right"] else "NO", f"{r['confidence']:.2f}"] for r in result["per_category"]]),
    )
    if counts is not None:
        s.add(f"**{result['subgroups_right']} of {result['classes_total']} classes have as many sub-groups as categories merged into them** "
              f"({result['map_subgroups_right']} of {result['classes_total']} from the map alone, before the class sizes were counted).",
              Table(["class", "sub-groups", "distinct groups on the map", "categories merged", "right?"],
                    [[r["class"], r["subgroups"], r["map_groups"], r["categories_merged"], "yes" if r["right"] else "NO"] for r in result["per_class"]]))
    return s, result


def report_provenance(inp: Inputs, seed: int) -> dict[str, Any]:
    """Every file the report read, with its SHA-256; the seed; the versions."""
    files: dict[str, Any] = {"data": inp.data.path, "answer_key": inp.answer_key_path, "reference": inp.reference,
                             "embeddings": inp.embeddings.path if inp.embeddings is not None else None}
    listed = {Path(p).resolve() for p in files.values() if p is not None}
    for path in [*(Path(h["path"]) for h in inp.histories), *inp.models, *(a.path for a in inp.maps + inp.clusterings)]:
        if Path(path).resolve() not in listed:  # the reference is one of the models
            files.setdefault(Path(path).name, path)
    return artifacts.provenance(files, seed)


def provenance_section(prov: dict[str, Any]) -> Section:
    versions = prov["versions"]
    return Section("Provenance").add(
        f"Made by fmtwist {versions['fmtwist']} (seed {prov['seed']}) from these files; `sha256sum FILE` checks one.",
        Table(["input", "file", "SHA-256"], [[role, e["path"], e["sha256"]] for role, e in prov["inputs"].items()]),
        "Versions: " + ", ".join(f"{name} {v}" for name, v in versions.items()) + ".",
    )


# --------------------------------------------------------------------------
# the whole report


def build(inp: Inputs, predict: Callable | None = None, seed: int = 0, progress: Progress | None = None) -> Report:
    """Measure and assemble every section. ``predict(onnx_path, images)``
    returns ``{"probs": ...}`` (default: :func:`fmtwist_cli.embedding.predict`)."""
    if predict is None:
        from fmtwist_cli.embedding import predict
    progress = progress or (lambda message: None)
    k = int(inp.data.meta["n_classes"])
    missing = list(inp.skipped)
    models, accuracies, ref_probs = models_section(inp, predict, progress)
    if inp.reference is not None and ref_probs is None:
        progress(f"running the reference classifier {Path(inp.reference).name}")
        ref_probs = predict(Path(inp.reference), inp.data["x_test"])["probs"]
    if ref_probs is not None and ref_probs.shape[1] != len(CATEGORIES):
        raise FmtwistError(f"{inp.reference} predicts {ref_probs.shape[1]} classes, not the 10 original categories: export a model trained with --labels original")
    if ref_probs is None:
        missing.append(reference_hint(inp.data))
    if inp.embeddings is None:
        missing.append("no embeddings: run `fmtwist embed`")
    elif not inp.maps:
        missing.append("no map for the sub-groups: run `fmtwist reduce --method tsne`")
    if inp.embeddings is not None and not inp.clusterings:
        missing.append("no clustering: run `fmtwist cluster`")
    progress("finding sub-groups")
    g = make_guess(inp, ref_probs, seed)
    progress("drawing figures")
    clusters, cluster_summary = clusters_section(inp)
    score, result = score_section(inp, g)
    sections = [data_section(inp), models, maps_section(inp), clusters, classes_section(inp, g, seed), guess_section(inp, g)]
    if score is not None:
        sections.append(score)
    prov = report_provenance(inp, seed)
    sections.append(provenance_section(prov))
    summary = _summary(inp, g, accuracies, cluster_summary, result, missing, k)
    summary["provenance"] = prov
    return Report("What is each mystery class made of?", sections, summary, missing)


def _summary(inp: Inputs, g: Guess, accuracies: dict, clusters: dict, result: dict, missing: list[str], k: int) -> dict[str, Any]:
    classes = []
    images = np.bincount(inp.data["y_test"], minlength=k)
    # Fashion-MNIST categories are equal in size: a class's size in categories is a third, label-free check.
    units = twist.category_units(images)
    for c in range(k):
        row: dict[str, Any] = {"class": c, "images": int(images[c]), "size_in_categories": round(float(units[c]), 2)}
        if g.shares is not None:
            row["shares"] = {CATEGORIES[j]: round(float(g.shares[c, j]), 4) for j in np.argsort(-g.shares[c], kind="stable") if g.shares[c, j] >= 0.01}
            row["mix"] = guess.describe_mix(g.shares[c])
            row["categories"] = g.merge.members()[c]
        if g.subgroups is not None:
            sg = g.subgroups[c]
            row["subgroups"] = sg.count
            row["map_groups"] = sg.map_count
            row["subgroup_sizes"] = sg.sizes
            row["subgroup_stability"] = sg.stability
            if g.subgroup_names is not None:
                row["subgroup_names"] = g.subgroup_names[c]
            if g.merge is not None:
                row["agree"] = sg.map_count == len(row["categories"])  # the map and the reference names
        classes.append(row)
    out: dict[str, Any] = {
        "n_classes": k,
        "reference": str(inp.reference) if g.merge is not None else None,
        "merge_map": g.merge.as_dict() if g.merge is not None else None,
        "merge_confidence": {CATEGORIES[j]: round(float(v), 4) for j, v in enumerate(g.merge.confidence)} if g.merge is not None else None,
        "classes": classes,
        "model_accuracy": accuracies,
        "clusterings": clusters,
        "missing": missing,
    }
    if result:
        out["categories_right"] = result["categories_right"]
        if "subgroups_right" in result:
            out["subgroups_right"] = result["subgroups_right"]
            out["map_subgroups_right"] = result["map_subgroups_right"]
        out["score"] = result
    return out


# --------------------------------------------------------------------------
# rendering


CSS = """body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#222;line-height:1.5}
h1{border-bottom:2px solid #444}h2{border-bottom:1px solid #bbb;margin-top:2em}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:right}
td:first-child,th:first-child,td.t,th.t{text-align:left}th{background:#f0f0f0}figure{margin:1em 0}img{max-width:100%}
figcaption{font-size:.9em;color:#555}.missing{background:#fff4e0;border-left:4px solid #e0a000;padding:.5em 1em}"""


def _inline(text: str) -> str:
    """The little markdown used in paragraphs (**bold**, `code`, "- " lists) as HTML."""
    out = html.escape(text)
    out = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", out)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", out)


def _paragraph_html(text: str) -> str:
    parts = []
    for chunk in text.split("\n\n"):
        lines = chunk.split("\n")
        if all(line.startswith("- ") for line in lines):
            parts.append("<ul>" + "".join(f"<li>{_inline(line[2:])}</li>" for line in lines) + "</ul>")
        else:
            parts.append(f"<p>{_inline(chunk)}</p>")
    return "\n".join(parts)


def _numeric(v: Any) -> bool:
    return isinstance(v, (int, float)) or bool(re.fullmatch(r"[-+]?[\d,.]+( %)?|–", str(v)))


def _td(v: Any) -> str:
    return f"<td>{html.escape(str(v))}</td>" if _numeric(v) else f'<td class="t">{html.escape(str(v))}</td>'


def render_html(report: Report) -> str:
    body = [f"<h1>{html.escape(report.title)}</h1>"]
    if report.missing:
        body.append('<div class="missing"><p><strong>Missing pieces</strong> (the report shows what it can without them):</p><ul>'
                    + "".join(f"<li>{_inline(m)}</li>" for m in report.missing) + "</ul></div>")
    for section in report.sections:
        body.append(f"<h2>{html.escape(section.title)}</h2>")
        for block in section.blocks:
            if isinstance(block, str):
                body.append(_paragraph_html(block))
            elif isinstance(block, Table):
                numeric = [i == 0 or all(_numeric(row[i]) for row in block.rows) for i in range(len(block.header))]
                head = "".join(f"<th>{html.escape(str(h))}</th>" if num else f'<th class="t">{html.escape(str(h))}</th>'
                               for h, num in zip(block.header, numeric))
                rows = "".join("<tr>" + "".join(_td(v) for v in row) + "</tr>" for row in block.rows)
                body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
            else:
                data = base64.b64encode(block.png).decode("ascii")
                body.append(f'<figure><img alt="{html.escape(block.caption)}" src="data:image/png;base64,{data}">'
                            f"<figcaption>{_inline(block.caption)}</figcaption></figure>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + html.escape(report.title)
            + f"</title><style>{CSS}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n")


def _md_cell(v: Any) -> str:
    return str(v).replace("|", "\\|").replace("\n", " ")


def render_markdown(report: Report, figures_dir: str = "figures") -> str:
    out = [f"# {report.title}", ""]
    if report.missing:
        out += ["**Missing pieces** (the report shows what it can without them):", ""] + [f"- {m}" for m in report.missing] + [""]
    for section in report.sections:
        out += [f"## {section.title}", ""]
        for block in section.blocks:
            if isinstance(block, str):
                out += [block, ""]
            elif isinstance(block, Table):
                out.append("| " + " | ".join(_md_cell(h) for h in block.header) + " |")
                numeric = [i > 0 and all(_numeric(row[i]) for row in block.rows) for i in range(len(block.header))]
                out.append("|" + "|".join("---:" if num else "---" for num in numeric) + "|")
                out += ["| " + " | ".join(_md_cell(v) for v in row) + " |" for row in block.rows] + [""]
            else:
                out += [f"![{_md_cell(block.caption)}]({figures_dir}/{block.name}.png)", "", f"*{block.caption}*", ""]
    return "\n".join(out)


def write(report: Report, out_dir: Path) -> dict[str, str]:
    """Write the figures, report.md and index.html (each file atomically)."""
    out_dir = Path(out_dir)
    for section in report.sections:
        for block in section.blocks:
            if isinstance(block, Figure):
                artifacts.write_bytes(out_dir / "figures" / f"{block.name}.png", lambda fh, png=block.png: fh.write(png))
    md = artifacts.write_text(out_dir / "report.md", render_markdown(report))
    page = artifacts.write_text(out_dir / "index.html", render_html(report))
    return {"html": str(page), "markdown": str(md)}
