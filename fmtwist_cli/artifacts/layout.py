"""Where every artifact lives: file names, default paths and the default picks.

One module owns the artifacts folder's layout, so a command's default
(``--data`` -> ``ARTIFACTS/data.npz``), the model-file naming
(``model-custom-original.keras``) and "which map / clustering does a command use
when none is named" are each one rule, used by every command.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path

DATA = "data.npz"
ANSWER_KEY = "twist.json"
EMBEDDINGS = "embeddings.npz"
REPORT_DIR = "report"
EXPLORE_PAGE = "explore.html"

# What wrote each kind of model file, for the note saying which one a step picked.
MODEL_MADE = {".keras": "trained", ".onnx": "exported"}
# The map a command shows when none is named: t-SNE separates the classes best, then UMAP, then PCA.
MAP_ORDER = ("tsne", "umap", "pca")
# The clustering shown when none is named: the notebook's K-Means, then DBSCAN, then the rest by name.
CLUSTERS_ORDER = ("kmeans", "dbscan")


class Labels(str, Enum):
    """Which labels a network learns: the puzzle's mystery classes, or the 10 original categories."""

    mystery = "mystery"
    original = "original"


def model_stem(arch: str, labels: Labels | str = Labels.mystery) -> str:
    """custom, mystery -> "custom"; custom, original -> "custom-original"."""
    return arch if Labels(labels) is Labels.mystery else f"{arch}-{Labels(labels).value}"


def parse_model_name(path: str | Path) -> tuple[str, Labels]:
    """model-custom-original.keras -> ("custom", Labels.original); the arch is "" when the name says none."""
    name = Path(path).stem
    name = name.removeprefix("model-")
    suffix = f"-{Labels.original.value}"
    if name.endswith(suffix):
        return name[: -len(suffix)], Labels.original
    return name, Labels.mystery


def history_for(model_file: str | Path) -> Path:
    """history-X.json beside model-X.keras (the history train wrote with it)."""
    model_file = Path(model_file)
    return model_file.with_name(f"history-{model_file.stem.removeprefix('model-')}.json")


class Layout:
    """The files inside one artifacts folder."""

    def __init__(self, root: str | Path = "artifacts") -> None:
        self.root = Path(root)

    @property
    def data(self) -> Path:
        return self.root / DATA

    @property
    def answer_key(self) -> Path:
        return self.root / ANSWER_KEY

    @property
    def embeddings(self) -> Path:
        return self.root / EMBEDDINGS

    @property
    def report_dir(self) -> Path:
        return self.root / REPORT_DIR

    @property
    def explore_page(self) -> Path:
        return self.root / EXPLORE_PAGE

    def model(self, arch: str, labels: Labels | str = Labels.mystery, suffix: str = ".keras") -> Path:
        return self.root / f"model-{model_stem(arch, labels)}{suffix}"

    def history(self, arch: str, labels: Labels | str = Labels.mystery) -> Path:
        return self.root / f"history-{model_stem(arch, labels)}.json"

    def checkpoint(self, arch: str, labels: Labels | str = Labels.mystery) -> Path:
        """The checkpoint an unfinished training keeps, beside the model-ARCH.keras it becomes."""
        return self.root / f"checkpoint-{model_stem(arch, labels)}.npz"

    def clusters(self, method: str, within: bool = False) -> Path:
        return self.root / f"clusters-{method}{'-within' if within else ''}.npz"

    def coords(self, method: str) -> Path:
        return self.root / f"coords-{method}.npz"

    def models(self, suffix: str = ".onnx") -> list[Path]:
        """Every model-*.SUFFIX, by name."""
        return sorted(self.root.glob(f"model-*{suffix}"))

    def histories(self) -> list[Path]:
        """Every history-*.json, by name."""
        return sorted(self.root.glob("history-*.json"))

    # -- picks: which existing file a command uses when none is named ------------------

    def newest_models(self, suffix: str = ".keras", labels: Labels | str = Labels.mystery) -> list[Path]:
        """Every model-*.SUFFIX with these labels, the newest first; files written in the same
        clock tick (copied together) by name."""
        found = [p for p in self.models(suffix) if parse_model_name(p)[1] is Labels(labels)]
        return sorted(found, key=lambda p: -p.stat().st_mtime_ns)  # stable: ties keep the name order

    def latest_model(self, suffix: str = ".keras", labels: Labels | str = Labels.mystery) -> Path | None:
        """The newest model-*.SUFFIX with these labels (the one the previous step wrote last)."""
        found = self.newest_models(suffix, labels)
        return found[0] if found else None

    def pick_model(self, suffix: str, labels: Labels | str, fallback_arch: str) -> tuple[Path, str | None]:
        """The model a step uses when none is named, and a note saying so.

        The newest model-*.SUFFIX with these labels (the one the previous step
        wrote last), else model-FALLBACK.SUFFIX, whose absence the step then
        reports with the command that makes it (and no note). The note is one
        line for stderr, printed once the step has succeeded: a failing command
        prints only its error line, which names the file."""
        found = self.newest_models(suffix, labels)
        if not found:
            return self.model(fallback_arch, labels, suffix), None
        made = MODEL_MADE.get(suffix, "")
        among = f"newest of {len(found)} {made} models" if len(found) > 1 else f"newest {made} model"
        return found[0], f"using {found[0]} (the {among}; --model to choose)"

    def reference(self) -> Path | None:
        """The reference classifier: model-custom-original.onnx, else the first model-*-original.onnx."""
        preferred = self.model("custom", Labels.original, ".onnx")
        if preferred.is_file():
            return preferred
        found = sorted(self.root.glob(f"model-*-{Labels.original.value}.onnx"))
        return found[0] if found else None

    def maps(self) -> list[Path]:
        """Every coords-*.npz, the default map first (MAP_ORDER, then the rest by name)."""
        return _ordered(sorted(self.root.glob("coords-*.npz")), "coords-", MAP_ORDER)

    def clusterings(self) -> list[Path]:
        """Every clusters-*.npz, the default clustering first (CLUSTERS_ORDER, then the rest by name)."""
        return _ordered(sorted(self.root.glob("clusters-*.npz")), "clusters-", CLUSTERS_ORDER)

    def default_map(self) -> Path:
        """The map used when none is named; coords-tsne.npz (to be made) when there is none."""
        found = self.maps()
        return found[0] if found else self.coords(MAP_ORDER[0])

    def default_clusters(self) -> Path:
        """The clustering used when none is named; clusters-kmeans.npz (to be made) when there is none."""
        found = self.clusterings()
        return found[0] if found else self.clusters(CLUSTERS_ORDER[0])


def _ordered(paths: list[Path], prefix: str, order: tuple[str, ...]) -> list[Path]:
    def rank(p: Path) -> tuple[int, str]:
        method = p.stem.removeprefix(prefix)
        return (order.index(method) if method in order else len(order), p.name)

    return sorted(paths, key=rank)
