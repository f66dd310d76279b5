"""The page itself: what each point carries, packed into typed arrays, and the HTML around it.

:func:`colourings` turns the loaded labels into the page's colourings (one group number per point, with names
and colours); :func:`render` packs the coordinates and groups back to back as little-endian typed arrays, the
images as raw bytes deflated once, and fills ``page.html`` with them, ``explore.css`` and the script (``js/*.js``
joined in :data:`SCRIPT` order; package data, read with :mod:`importlib.resources`). The page needs nothing else:
no server, no network.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import zlib
from dataclasses import dataclass
from importlib import resources

import numpy as np

from fmtwist_cli.artifacts import guessfile
from fmtwist_cli.data.twist import CATEGORIES
from fmtwist_cli.views.palette import NOISE_ON_DARK as NOISE_COLOUR
from fmtwist_cli.views.palette import RIGHT_WRONG, colours

# zlib level 6: within 1 % of level 9's size on Fashion-MNIST, and three times faster.
IMAGE_COMPRESSION = 6
# Typed arrays the page reads: numpy dtype -> the name js/state.js maps to a JavaScript typed array.
JS_TYPES = {np.dtype("float32"): "f32", np.dtype("uint8"): "u8", np.dtype("uint16"): "u16", np.dtype("int32"): "i32"}


@dataclass
class Colouring:
    """One way to colour the points: a group number per point, and each group's name and colour."""

    key: str  # the array's name in the page
    title: str  # in the "Colour by" list and above the legend
    field: str  # the label of its line on the hover card
    groups: np.ndarray  # (N,) 0 .. len(names) - 1
    names: list[str]
    colours: list[str]
    role: str = ""  # "class", "pred", "correct", "cluster", "reference", "truth": what the page looks up
    confidence: np.ndarray | None = None  # (N,) 0..100, shown after the group name on the hover card
    values: list[int] | None = None  # each group's own label (a cluster's number, -1 noise), for the CSV export


@dataclass
class Points:
    """Everything the page shows, one entry per embeddings row."""

    images: np.ndarray  # (N, 28, 28) uint8
    index: np.ndarray  # row into the data.npz split
    split: np.ndarray  # "train" / "test"
    classes: np.ndarray  # mystery class
    pred: np.ndarray  # predicted mystery class
    pred_conf: np.ndarray  # probability of the predicted class, 0..1
    n_classes: int
    maps: list[tuple[str, str, np.ndarray]]  # (key, label, (N, 2) coordinates), the default map first
    clusterings: list[tuple[str, np.ndarray]]  # (name, (N,) cluster per row, -1 = noise)
    reference: np.ndarray | None = None  # (N, 10) the reference classifier's probabilities
    truth: np.ndarray | None = None  # (N,) the original category, from the answer key
    answer_classes: list[int] | None = None  # (10,) the answer key's class per category, for the check mode
    neighbours: np.ndarray | None = None  # (N, k) each point's nearest rows in the encoding, nearest first

    def __len__(self) -> int:
        return int(self.index.shape[0])


def _percent(p: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(100 * np.asarray(p, dtype=np.float64)), 0, 100).astype(np.uint8)


def _clusters(name: str, labels: np.ndarray) -> Colouring:
    found = np.unique(labels[labels >= 0])
    noise = bool((labels < 0).any())
    groups = np.where(labels >= 0, np.searchsorted(found, labels), len(found))  # noise is the last group
    names = [f"cluster {c}" for c in found] + (["noise"] if noise else [])
    return Colouring(
        f"clusters-{name}",
        f"clusters: {name}",
        f"cluster ({name})",
        groups,
        names,
        colours(len(found)) + ([NOISE_COLOUR] if noise else []),
        "cluster",
        values=[int(c) for c in found] + ([-1] if noise else []),
    )


def colourings(points: Points) -> list[Colouring]:
    """Every colouring the data allows, in the order of the "Colour by" list."""
    k = points.n_classes
    class_names = [f"class {c}" for c in range(k)]
    wrong = (points.pred != points.classes).astype(np.int64)  # group 0 "right", 1 "wrong"
    out = [
        Colouring("class", "mystery class", "mystery class", points.classes, class_names, colours(k), "class"),
        Colouring(
            "pred",
            "predicted class",
            "predicted",
            points.pred,
            class_names,
            colours(k),
            "pred",
            _percent(points.pred_conf),
        ),
        Colouring(
            "correct",
            "prediction right / wrong",
            "prediction",
            wrong,
            ["right", "wrong"],
            list(RIGHT_WRONG),
            "correct",
        ),
    ]
    out += [_clusters(name, labels) for name, labels in points.clusterings]
    if points.reference is not None:
        out.append(
            Colouring(
                "reference",
                "category (reference classifier)",
                "reference says",
                points.reference.argmax(axis=1),
                list(CATEGORIES),
                colours(len(CATEGORIES)),
                "reference",
                _percent(points.reference.max(axis=1)),
            )
        )
    if points.truth is not None:
        out.append(
            Colouring(
                "truth",
                "true category (answer key)",
                "true category",
                points.truth,
                list(CATEGORIES),
                colours(len(CATEGORIES)),
                "truth",
            )
        )
    return out


# --------------------------------------------------------------------------
# packing


class _Packer:
    """Typed arrays back to back in one buffer, each at a 4-byte boundary so JavaScript can view it in place."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.size = 0
        self.layout: dict[str, list] = {}

    def add(self, name: str, array: np.ndarray, dtype: str) -> str:
        arr = np.ascontiguousarray(array, dtype=np.dtype(dtype).newbyteorder("<")).ravel()
        self.layout[name] = [JS_TYPES[np.dtype(dtype)], self.size, int(arr.size)]
        data = arr.tobytes()
        pad = -len(data) % 4
        self.chunks.append(data + b"\0" * pad)
        self.size += len(data) + pad
        return name

    def base64(self) -> str:
        return base64.b64encode(b"".join(self.chunks)).decode("ascii")


def _group_dtype(n_groups: int) -> str:
    return "uint8" if n_groups <= 256 else "uint16"


def data_hash(points: Points) -> str:
    """The page's data hash: which points it shows, where. The first 16 hex digits of the sha256 over each point's
    split (UTF-8, one per line), its data.npz row (int64, little-endian) and the default map's coordinates (float32,
    little-endian, x y per point). The page keys its saved names by it, and writes it into guess.json."""
    digest = hashlib.sha256("\n".join(str(s) for s in points.split).encode("utf-8"))
    digest.update(np.ascontiguousarray(points.index, dtype="<i8").tobytes())
    if points.maps:
        digest.update(np.ascontiguousarray(points.maps[0][2], dtype="<f4").tobytes())
    return digest.hexdigest()[:16]


def pack(
    points: Points, status: str, title: str, auto_guess: dict | None = None, hints: bool = False
) -> tuple[dict, str, str]:
    """(meta, arrays as base64, images deflated as base64): the three blocks the page reads."""
    packer = _Packer()
    splits = sorted({str(s) for s in np.unique(points.split)})
    packer.add("index", points.index, "int32")
    packer.add("split", np.searchsorted(splits, points.split.astype(str)), "uint8")
    maps = [
        {"key": key, "label": label, "array": packer.add(f"map-{key}", coords, "float32")}
        for key, label, coords in points.maps
    ]
    entries = []
    for c in colourings(points):
        entry = {
            "key": c.key,
            "title": c.title,
            "field": c.field,
            "names": c.names,
            "colours": c.colours,
            "role": c.role,
            "array": packer.add(c.key, c.groups, _group_dtype(len(c.names))),
        }
        if c.confidence is not None:
            entry["confidence"] = packer.add(f"{c.key}-confidence", c.confidence, "uint8")
        if c.values is not None:
            entry["values"] = c.values
        entries.append(entry)
    # The prediction's confidence as the query box compares it ("confidence < 0.6"), unrounded.
    packer.add("confidence", points.pred_conf, "float32")
    neighbours = None
    if points.neighbours is not None:
        nb = np.asarray(points.neighbours)
        dtype = "uint16" if len(points) <= 1 << 16 else "int32"  # half the bytes up to 65,536 points
        neighbours = {"array": packer.add("neighbours", nb, dtype), "k": int(nb.shape[1]) if nb.ndim == 2 else 0}
    meta = {
        "title": title,
        "status": status,
        "n": len(points),
        "n_classes": points.n_classes,
        "categories": list(CATEGORIES),
        "splits": splits,
        "maps": maps,
        "colourings": entries,
        "auto_guess": auto_guess,
        "hints": hints,  # the reference classifier's hints shown when the page opens ("Show hints" ticked)
        "data_hash": data_hash(points),
        "answer_classes": points.answer_classes,  # the check mode's answer: the class of each category
        "guess_kind": guessfile.KIND,  # the "kind" of the guess.json the page saves, which grade reads
        "guess_file": guessfile.FILE,
        "category_colours": colours(len(CATEGORIES)),  # for the page's own "your names" colouring
        "unnamed_colour": NOISE_COLOUR,
        "neighbours": neighbours,  # {array: the (N, k) rows, row after row; k}: nearest in the encoding
        "arrays": packer.layout,
    }
    images = np.ascontiguousarray(points.images, dtype=np.uint8).tobytes()
    packed_images = base64.b64encode(zlib.compress(images, IMAGE_COMPRESSION)).decode("ascii")
    return meta, packer.base64(), packed_images


# The page's script, split by job, joined in this order into its one <script>: plain files, no modules, so their
# top-level names are shared and must be unique; main.js comes last because it starts the page.
SCRIPT = (
    "state.js",
    "draw.js",
    "layers.js",
    "twin.js",
    "pick.js",
    "panels.js",
    "neighbours.js",
    "query.js",
    "guess.js",
    "work.js",
    "check.js",
    "main.js",
)


def _asset(name: str) -> str:
    return resources.files("fmtwist_cli.explore").joinpath(name).read_text(encoding="utf-8")


def _script() -> str:
    folder = resources.files("fmtwist_cli.explore").joinpath("js")
    return "\n".join(folder.joinpath(name).read_text(encoding="utf-8") for name in SCRIPT)


def _script_json(obj: object) -> str:
    # JSON inside <script>: an escaped "<" can never end the element early or open a comment.
    return json.dumps(obj, separators=(",", ":")).replace("<", "\\u003c")


def render(
    points: Points,
    status: str,
    title: str = "fmtwist explore",
    auto_guess: dict | None = None,
    hints: bool = False,
) -> str:
    """The whole page as one HTML string; ``hints``: open with the reference classifier's hints shown."""
    meta, arrays, images = pack(points, status, title, auto_guess, hints)
    fills = {
        "META": _script_json(meta),
        "ARRAYS": arrays,
        "IMAGES": images,
        "CSS": _asset("explore.css"),
        "JS": _script(),
        "TITLE": html.escape(title),
    }
    # One pass, so a placeholder-like text inside a filled-in value is never replaced in turn.
    return re.sub(r"\{\{([A-Z]+)\}\}", lambda m: fills[m.group(1)], _asset("page.html"))
