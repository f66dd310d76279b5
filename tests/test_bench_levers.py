"""bench/bench_levers.py's variants of `fast`: each builds, and the ones that change its size change it as named."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

bench_levers = pytest.importorskip("bench_levers")

from fmtwist_cli.network import models  # noqa: E402


def test_batch_norms_without_scale_lose_only_their_scale_factors():
    fast = models.fast(5)
    plain = bench_levers.without_scale(fast)
    norms = [layer for layer in plain.layers if type(layer).__name__ == "BatchNormalization"]
    assert len(norms) == 3 and not any(norm.scale for norm in norms) and all(norm.center for norm in norms)
    assert fast.count_params() - plain.count_params() == 64 + 128 + 64  # one scale factor per channel
    assert [layer.name for layer in plain.layers] == [layer.name for layer in fast.layers]


def test_every_variant_builds_with_the_change_it_names(monkeypatch):
    for registry in ("ARCHITECTURES", "DESCRIPTIONS", "RECIPES"):  # registered for this test only
        monkeypatch.setattr(models, registry, dict(getattr(models, registry)))
    changes = bench_levers.register_variants()
    counts = {name: models.build(name, 5).count_params() for name in changes}
    assert counts["fast-copy"] == models.build("fast", 5).count_params()
    assert counts["no-conv4"] == 89_637 and counts["conv4-128"] > counts["conv4-96"] > counts["fast-copy"]
