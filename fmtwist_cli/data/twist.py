"""The twist: how the 10 Fashion-MNIST categories merge into mystery classes."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from fmtwist_cli.errors import DataError, ParameterError

CATEGORIES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)

# The reference notebook's puzzle: category index -> mystery class.
SEED_MAPPING = (4, 2, 2, 3, 0, 1, 0, 4, 3, 4)


# "Are the classes balanced?" -- one tolerance for every use (the sub-group count, the report's size check):
# sizes count categories only when every class is within this many categories' worth of images of a whole number.
BALANCED = 0.25


def category_units(
    class_sizes: list[int] | np.ndarray, *, whole: bool = False, balanced: bool = False
) -> np.ndarray | None:
    """Each class's size in categories' worth of images: the one rule for reading a class's size.

    Fashion-MNIST has as many images of every category (7,000: 6,000 train,
    1,000 test), so a class merged from m categories holds m tenths of the
    images: its size alone says how many categories it holds.

    ``whole``: rounded to whole numbers of at least 1 (every class holds a category), e.g. how many clusters
    to look for in a class. ``balanced``: None unless every class is within :data:`BALANCED` of a whole
    number of at least 1, so that the sizes do count categories (not in a subset, nor in other data).
    """
    sizes = np.asarray(class_sizes, dtype=np.float64)
    units = sizes * len(CATEGORIES) / max(sizes.sum(), 1.0)
    if balanced and (units.size == 0 or np.abs(units - np.round(units)).max() > BALANCED or np.round(units).min() < 1):
        return None
    return np.maximum(1, np.round(units)).astype(np.int64) if whole else units


@dataclass(frozen=True)
class Twist:
    name: str
    mapping: tuple[int, ...]  # mapping[category index] = mystery class
    path: Path | None = field(default=None, compare=False)  # the twist file read, if any (provenance)

    @property
    def n_classes(self) -> int:
        return max(self.mapping) + 1

    def apply(self, categories: np.ndarray) -> np.ndarray:
        return np.asarray(self.mapping, dtype=np.int64)[categories]

    def members(self) -> dict[int, list[str]]:
        """Mystery class -> the category names merged into it."""
        out: dict[int, list[str]] = {c: [] for c in range(self.n_classes)}
        for cat, cls in enumerate(self.mapping):
            out[cls].append(CATEGORIES[cat])
        return out

    def answer_key(self, originals: dict[str, np.ndarray]) -> dict:
        """The puzzle's solution: the mapping, and which category each image of each split really is."""
        return {
            "twist": self.name,
            "n_classes": self.n_classes,
            "categories": list(CATEGORIES),
            "mapping": {CATEGORIES[i]: c for i, c in enumerate(self.mapping)},
            "mapping_by_index": list(self.mapping),
            "classes": {str(c): names for c, names in self.members().items()},
            "original_labels": {s: np.asarray(y, dtype=np.int64) for s, y in originals.items()},
        }


def _checked(name: str, mapping: list[int], where: str) -> Twist:
    if len(mapping) != len(CATEGORIES):
        raise DataError(f"{where}: maps {len(mapping)} categories, all 10 must be mapped")
    if min(mapping) < 0:
        raise DataError(f"{where}: class numbers must be 0 or more")
    if max(mapping) >= len(CATEGORIES):  # and the check below would count up to it
        raise DataError(
            f"{where}: class {max(mapping)} is too large: 10 categories make at most 10 classes, numbered 0-9"
        )
    empty = sorted(set(range(max(mapping) + 1)) - set(mapping))
    if empty:
        raise DataError(
            f"{where}: class {', '.join(map(str, empty))} would be empty; number classes 0..K-1 with none left out"
        )
    return Twist(name, tuple(mapping))


def random_twist(seed: int, n_classes: int = 5) -> Twist:
    """A new puzzle: every category gets a class, every class at least one category."""
    if not 2 <= n_classes <= len(CATEGORIES):
        raise ParameterError("{} must be between 2 and " + f"{len(CATEGORIES)}, got {n_classes}", "classes")
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(CATEGORIES))
    mapping = [0] * len(CATEGORIES)
    for rank, cat in enumerate(order):
        mapping[cat] = rank if rank < n_classes else int(rng.integers(n_classes))
    return Twist(f"random(seed={seed}, classes={n_classes})", tuple(mapping))


def read_twist_file(path: Path) -> Twist:
    """A JSON object mapping category names or indices (0-9) to classes."""
    if not path.is_file():
        raise DataError(f"twist file not found: {path}")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"{path}: not valid JSON ({exc})") from None
    if isinstance(raw, dict) and isinstance(raw.get("mapping"), dict):
        raw = raw["mapping"]  # an answer key from another run works too
    if not isinstance(raw, dict):
        raise DataError(f"{path}: expected a JSON object mapping category names to classes")
    lookup = {name.lower(): i for i, name in enumerate(CATEGORIES)} | {str(i): i for i in range(10)}
    mapping: dict[int, int] = {}
    for key, value in raw.items():
        cat = lookup.get(str(key).strip().lower())
        if cat is None:
            raise DataError(f"{path}: unknown category '{key}' (use one of: {', '.join(CATEGORIES)}, or 0-9)")
        if not isinstance(value, int) or isinstance(value, bool):
            raise DataError(f"{path}: class for '{key}' must be an integer, got {value!r}")
        mapping[cat] = value
    missing = [CATEGORIES[i] for i in range(10) if i not in mapping]
    if missing:
        raise DataError(f"{path}: does not map all 10 categories (missing: {', '.join(missing)})")
    return replace(_checked(f"file:{path.name}", [mapping[i] for i in range(10)], str(path)), path=path)


def parse_twist(spec: str, seed: int | None = None, n_classes: int | None = None) -> Twist:
    """``seed`` | ``none`` | ``random`` | a path to a JSON mapping."""
    if spec == "seed":
        return Twist("seed", SEED_MAPPING)
    if spec == "none":
        return Twist("none", tuple(range(len(CATEGORIES))))
    if spec == "random":
        if seed is None:
            raise ParameterError("{} random needs {} N so the puzzle can be drawn again", "twist", "seed")
        return random_twist(seed, 5 if n_classes is None else n_classes)
    path = Path(spec)
    if path.suffix.lower() == ".json" or path.exists():
        return read_twist_file(path)
    raise DataError(f"unknown twist '{spec}': use seed, none, random or a JSON file")
