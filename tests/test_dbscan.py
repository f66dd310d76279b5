"""dbscan.py: exact k-distances in blocks, the knee that chooses eps, and the
blocked DBSCAN against scikit-learn's."""

from __future__ import annotations

import numpy as np
import pytest

from fmtwist_cli.groups import dbscan


def test_kdistances_match_brute_force():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(130, 5)).astype(np.float32)
    d = np.sqrt(((x[:, None, :] - x[None, :, :]) ** 2).sum(-1))
    for k in (1, 2, 7):
        expected = np.sort(d, axis=1)[:, k - 1]
        got = dbscan.kdistances(x, k, block=32)  # several blocks, uneven last
        assert np.allclose(got, expected, atol=1e-4)


def test_knee_of_a_known_curve():
    # flat-ish for 80 points, then steep: the knee is the last flat point
    curve = np.concatenate([np.linspace(1.0, 1.8, 80), np.linspace(3.0, 20.0, 20)])
    assert dbscan.knee(curve) == 79


def test_eps_auto_on_blobs_with_scattered_noise():
    # Tight blobs (spread 0.1) and far-flung noise: the k-distance curve is low
    # for blob points and jumps for the noise, so eps lands at the blob scale.
    rng = np.random.default_rng(2)
    centres = np.array([[0, 0], [10, 0], [0, 10]], dtype=np.float32)
    blobs = np.concatenate([c + rng.normal(0, 0.1, (100, 2)) for c in centres])
    noise = rng.uniform(-20, 30, (15, 2))
    x = np.concatenate([blobs, noise]).astype(np.float32)
    kd = dbscan.kdistances(x, 5)
    eps, info = dbscan.auto_eps(kd, 5)
    assert np.quantile(kd[:300], 0.9) <= eps < np.min(kd[300:])
    assert info["rank"] >= 270 and "knee of the sorted 5-distance curve" in info["how"]
    labels = dbscan.dbscan(x, eps, 5, kdist=kd)
    assert np.unique(labels[:300][labels[:300] >= 0]).size == 3
    assert (labels[300:] == -1).all()


# --------------------------------------------------------------------------
# DBSCAN against scikit-learn


@pytest.mark.parametrize("eps,min_samples", [(0.5, 5), (1.0, 15), (3.0, 1), (0.05, 3)])
def test_dbscan_matches_sklearn(eps, min_samples):
    from sklearn.cluster import DBSCAN
    from sklearn.datasets import make_blobs

    x, _ = make_blobs(600, n_features=4, centers=5, cluster_std=0.6, random_state=3)
    x = np.concatenate([x, np.random.default_rng(3).uniform(-12, 12, (60, 4))]).astype(np.float32)
    ours = dbscan.dbscan(x, eps, min_samples, block=128)
    ref = DBSCAN(eps=eps, min_samples=min_samples).fit(x)
    core = np.zeros(len(x), dtype=bool)
    core[ref.core_sample_indices_] = True
    assert np.array_equal(ours[core], ref.labels_[core])  # same clusters, same numbering
    assert np.array_equal(ours == -1, ref.labels_ == -1)  # same noise
    # border points: within eps of a core point of the cluster they got
    for i in np.flatnonzero(~core & (ours >= 0)):
        members = np.flatnonzero(core & (ours == ours[i]))
        assert np.linalg.norm(x[members] - x[i], axis=1).min() <= eps + 1e-4
