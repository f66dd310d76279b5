"""The metadata of each ``.npz`` kind as a small typed record, next to its arrays (:mod:`.formats`).

A file's ``meta`` entry is JSON: ``art.meta`` keeps it as it is, ``art.record`` reads it as the record of
its kind. Reading is lenient, for files written by older fmtwist versions or by hand: a field the file
lacks, or holds with the wrong type, is None (absent), never an error; keys the record does not know
stay in ``extra``. Writers build their metadata as a record and hand ``record.to_meta()`` to
:func:`~fmtwist_cli.artifacts.formats.save`, which stamps the kind and fmtwist's version.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

R = TypeVar("R", bound="Meta")


def typed(value: Any, kind: type) -> Any:
    """``value`` when it is a ``kind`` (an int counts as a float, a bool as neither), else None."""
    if kind is bool:
        return value if isinstance(value, bool) else None
    if isinstance(value, bool):
        return None
    if kind is float:
        return float(value) if isinstance(value, (int, float)) else None
    return value if isinstance(value, kind) else None


@functools.cache
def _kinds(cls: type) -> dict[str, type]:
    """Each field's type (``int | None`` -> int, ``dict[str, Any] | None`` -> dict), from the annotations."""
    kinds = {}
    for name, hint in typing.get_type_hints(cls).items():
        if name == "extra" or typing.get_origin(hint) is ClassVar:
            continue
        args = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
        kind = next(a for a in args if a is not type(None))
        kinds[name] = typing.get_origin(kind) or kind
    return kinds


@dataclass(frozen=True, kw_only=True)
class Meta:
    """What every kind records: the version that wrote it and what it was made from
    (:mod:`.provenance`); ``extra``: the keys this record does not know."""

    kind: ClassVar[str]
    fmtwist_version: str | None = None
    provenance: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_meta(cls: type[R], meta: dict[str, Any] | None) -> R:
        """The record of a file's metadata; absent or mistyped fields are None, unknown keys go to ``extra``."""
        meta = meta if isinstance(meta, dict) else {}
        kinds = _kinds(cls)
        known = {name: typed(meta.get(name), kind) for name, kind in kinds.items()}
        extra = {k: v for k, v in meta.items() if k not in kinds and k != "kind"}
        return cls(**known, extra=extra)

    def to_meta(self) -> dict[str, Any]:
        """The metadata to save: every field that is set, in the writers' order (provenance last), then
        ``extra``. Without the kind and version, which :func:`~.formats.save` stamps."""
        own = [f.name for f in dataclasses.fields(self) if f.name not in ("fmtwist_version", "provenance", "extra")]
        meta = {name: getattr(self, name) for name in [*own, "provenance"] if getattr(self, name) is not None}
        return {**meta, **self.extra}

    @classmethod
    def field_names(cls) -> set[str]:
        """The keys this record reads, ``kind`` among them."""
        return {*_kinds(cls), "kind"}


@dataclass(frozen=True, kw_only=True)
class DataMeta(Meta):
    """data.npz (``fmtwist prepare``): the puzzle's class count, where the images came from and the twist."""

    kind: ClassVar[str] = "data"
    n_classes: int | None = None
    source: str | None = None  # in words
    twist: str | None = None  # its name, or "given by the source"
    has_answer_key: bool | None = None  # False: the source's labels are the mystery ones (a CSV)


@dataclass(frozen=True, kw_only=True)
class EmbeddingsMeta(Meta):
    """embeddings.npz (``fmtwist embed``): which model ran over which split, and how well it classified."""

    kind: ClassVar[str] = "embeddings"
    model: str | None = None  # the .onnx path
    arch: str | None = None
    layer: str | None = None  # the layer the embedding was read from
    n_classes: int | None = None
    data: str | None = None  # the data.npz path
    split: str | None = None  # test, train or all
    accuracy: float | None = None
    batch_size: int | None = None
    provider: str | None = None  # onnxruntime's execution provider


@dataclass(frozen=True, kw_only=True)
class ClustersMeta(Meta):
    """clusters-*.npz (``fmtwist cluster``): the method, its parameters, the features and the scores,
    as ``fmtwist cluster --json`` prints them."""

    kind: ClassVar[str] = "clusters"
    method: str | None = None
    params: dict[str, Any] | None = None  # as the method ran (eps resolved), within_classes when it was
    features: dict[str, Any] | None = None  # {"scale", "pca"} of the encoding, or {"coords": path}
    input: str | None = None  # the embeddings path
    rows: int | None = None
    seconds: float | None = None
    sizes: list[Any] | None = None  # [{"cluster", "count"}]
    n_clusters: int | None = None
    noise_share: float | None = None
    per_class: dict[str, Any] | None = None  # within classes: each class's clusters and parameters
    eps_auto: dict[str, Any] | None = None  # how eps "auto" was chosen
    mystery: dict[str, Any] | None = None  # scores against the mystery labels
    original: dict[str, Any] | None = None  # scores against the answer key's categories
    warnings: list[str] | None = None

    @property
    def method_params(self) -> dict[str, Any]:
        """The method's parameters; files that kept them at the top level (made by hand) give those."""
        return self.params if self.params is not None else self.extra

    def param(self, name: str, kind: type) -> Any:
        """One of the method's parameters when it is a ``kind``, else None."""
        return typed(self.method_params.get(name), kind)

    def feature(self, name: str, kind: type) -> Any:
        """How the features were made (scale, pca, coords) when it is a ``kind``, else None."""
        return typed((self.features or {}).get(name), kind)

    @property
    def within_classes(self) -> bool:
        return bool((self.params or {}).get("within_classes"))


@dataclass(frozen=True, kw_only=True)
class CoordsMeta(Meta):
    """coords-*.npz (``fmtwist reduce``): the method, its parameters, and how faithful the map is
    (:mod:`fmtwist_cli.maps.trust`)."""

    kind: ClassVar[str] = "coords"
    method: str | None = None  # pca, tsne or umap
    params: dict[str, Any] | None = None
    input: str | None = None  # the embeddings path
    rows: int | None = None
    seconds: float | None = None
    trustworthiness: float | None = None
    trust_k: int | None = None
    trust_sample: int | None = None
    trust_seed: int | None = None


RECORDS: dict[str, type[Meta]] = {r.kind: r for r in (DataMeta, EmbeddingsMeta, ClustersMeta, CoordsMeta)}
