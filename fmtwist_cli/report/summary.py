"""The report's ``--json`` object, read from the evidence: the guess, each class, the models, the clusterings, the
score and the provenance (``fmtwist grade`` takes it as a guess: it has a top-level ``merge_map``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from fmtwist_cli.data.twist import CATEGORIES
from fmtwist_cli.puzzle import guess
from fmtwist_cli.report.evidence import ClusteringScore, Evidence


def _class_row(ev: Evidence, c: int) -> dict[str, Any]:
    row: dict[str, Any] = {
        "class": c,
        "images": int(ev.class_sizes[c]),
        "size_in_categories": round(float(ev.size_in_categories[c]), 2),
    }
    if ev.shares is not None:
        shares = ev.shares[c]
        row["shares"] = {
            CATEGORIES[j]: round(float(shares[j]), 4) for j in np.argsort(-shares, kind="stable") if shares[j] >= 0.01
        }
        row["mix"] = guess.describe_mix(shares)
        row["categories"] = ev.members[c]
    if ev.subgroups is not None:
        sg = ev.subgroups[c]
        row.update(
            subgroups=sg.count, map_groups=sg.map_count, subgroup_sizes=sg.sizes, subgroup_stability=sg.stability
        )
        if ev.subgroup_names is not None:
            row["subgroup_names"] = ev.subgroup_names[c]
        if ev.merge is not None:
            row["agree"] = sg.map_count == len(row["categories"])  # the map and the reference names
    return row


def summarize(ev: Evidence) -> dict[str, Any]:
    """The ``--json`` object: what the report found, read from the evidence."""
    merge = ev.merge
    out: dict[str, Any] = {
        "n_classes": ev.n_classes,
        "reference": str(ev.inputs.reference) if merge is not None else None,
        "merge_map": merge.as_dict() if merge is not None else None,
        "merge_confidence": (
            {CATEGORIES[j]: round(float(v), 4) for j, v in enumerate(merge.confidence)} if merge is not None else None
        ),
        "classes": [_class_row(ev, c) for c in range(ev.n_classes)],
        "model_accuracy": {m.name: m.accuracy for m in ev.models},
        "clusterings": {c.stem: _clustering_row(c) for c in ev.clusterings},
        "explore": str(ev.explore_page) if ev.explore_page is not None else None,
        "missing": ev.missing,
    }
    if ev.score:
        out["categories_right"] = ev.score["categories_right"]
        if "subgroups_right" in ev.score:
            out["subgroups_right"] = ev.score["subgroups_right"]
            out["map_subgroups_right"] = ev.score["map_subgroups_right"]
        out["score"] = ev.score
    out["provenance"] = ev.provenance
    return out


def _clustering_row(c: ClusteringScore) -> dict[str, Any]:
    row = {key: c.evaluation[key] for key in ("ari", "nmi", "accuracy", "noise_share", "n_clusters")}
    if c.ari_original is not None:
        row["ari_original"] = c.ari_original
    return row
