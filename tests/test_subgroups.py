"""Sub-groups: counting a class's categories from the map and its size, with no labels."""

import numpy as np
import pytest

from fmtwist_cli.errors import FmtwistError
from fmtwist_cli.puzzle import subgroups


def blobs(counts: list[int], per_group: int = 300, seed: int = 0, spread: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian groups, ``counts[c]`` of them for class c, far apart on a plane."""
    rng = np.random.default_rng(seed)
    points, labels, origin = [], [], 0.0
    for c, n_groups in enumerate(counts):
        for g in range(n_groups):
            centre = np.array([origin + 12.0 * g, 40.0 * c])
            points.append(centre + spread * rng.standard_normal((per_group, 2)))
            labels.append(np.full(per_group, c))
        origin += 100.0
    return np.vstack(points), np.concatenate(labels)


@pytest.mark.parametrize("n_groups", [1, 2, 3, 5])
def test_counts_separate_groups(n_groups):
    points, _ = blobs([n_groups])
    found = subgroups.count_subgroups(points, seed=0)
    assert found.count == n_groups
    assert found.sizes == [300] * n_groups
    assert found.stability >= 0.8
    assert len(found.counts_seen) == 10


def test_small_islands_and_scattered_points_are_not_groups():
    rng = np.random.default_rng(1)
    main = rng.standard_normal((1000, 2))
    island = np.array([15.0, 0.0]) + 0.3 * rng.standard_normal((40, 2))  # 4 % of the class
    strays = rng.uniform(-30, 30, (30, 2))
    found = subgroups.count_subgroups(np.vstack([main, island, strays]))
    assert found.count == 1  # the island is no group of its own
    assert (found.labels == 0).all()


def test_one_diffuse_cloud_is_one_group():
    rng = np.random.default_rng(2)
    found = subgroups.count_subgroups(rng.uniform(0, 1, (800, 2)))
    assert found.count == 1
    assert found.sizes == [800]


def test_typical_members_are_nearest_their_group_centre():
    points, _ = blobs([2])
    found = subgroups.count_subgroups(points, n_typical=5)
    for g in range(2):
        members = np.flatnonzero(found.labels == g)
        dist = np.linalg.norm(points[members] - found.centres[g], axis=1)
        typical_dist = np.linalg.norm(points[found.typical[g]] - found.centres[g], axis=1)
        assert len(found.typical[g]) == 5
        assert set(found.typical[g]) <= set(members)
        assert (found.labels[:300] == found.labels[0]).all()  # each blob is one group
        assert typical_dist.max() <= np.sort(dist)[4] + 1e-12


def test_unequal_groups_are_counted_by_share_not_size():
    # Three groups of 50 %, 30 % and 20 % of a class: all above the 10 % floor.
    rng = np.random.default_rng(3)
    points = np.vstack([c + rng.standard_normal((n, 2)) for c, n in (((0, 0), 500), ((12, 0), 300), ((0, 12), 200))])
    assert subgroups.count_subgroups(points).count == 3


def test_subgroups_per_class_follows_the_labels():
    counts = [2, 1, 3, 2, 3]
    points, labels = blobs(counts, per_group=150)
    order = np.random.default_rng(0).permutation(len(labels))  # classes interleaved
    found = subgroups.subgroups_per_class(points[order], labels[order])
    assert [f.count for f in found] == counts
    assert sum(f.sizes[0] > 0 for f in found) == 5


def test_subgroups_need_points():
    with pytest.raises(FmtwistError, match="non-empty"):
        subgroups.count_subgroups(np.zeros((0, 2)))
    with pytest.raises(FmtwistError) as exc:
        subgroups.subgroups_per_class(np.zeros((3, 2)), np.array([0, 0, 2]))
    assert str(exc.value) == "mystery class 1 has no images on the map"


def test_smallest_group_follows_the_number_of_classes():
    # 5 classes: a class holds at most 6 categories, each about 1/6 of it.
    assert subgroups.min_group_share(5) == pytest.approx(0.9 / 6)
    assert subgroups.min_group_share(2) == pytest.approx(0.9 / 9)
    assert subgroups.min_group_share(10) == pytest.approx(0.9)  # one category per class: never split
    rng = np.random.default_rng(4)
    points = np.vstack([rng.standard_normal((880, 2)), np.array([15.0, 0]) + rng.standard_normal((120, 2))])  # 12 %
    assert subgroups.count_subgroups(points, min_share=subgroups.min_group_share(5)).count == 1
    assert subgroups.count_subgroups(points, min_share=subgroups.min_group_share(2)).count == 2


def test_touching_groups_with_a_density_dip_are_two():
    rng = np.random.default_rng(5)
    points = np.vstack([rng.standard_normal((600, 2)), np.array([4.5, 0]) + rng.standard_normal((600, 2))])
    assert subgroups.count_subgroups(points).count == 2


def test_one_long_group_is_not_cut_in_pieces():
    rng = np.random.default_rng(6)
    points = np.c_[rng.uniform(0, 10, 1500), rng.normal(0, 0.5, 1500)]
    assert subgroups.count_subgroups(points).count == 1


def test_a_style_within_one_category_is_not_a_sub_group():
    # 2,000 images, so a category is 200 of them. Class 0 is one category drawn
    # as two islands (120 + 80 images, like bags with and without handles);
    # class 1's 1,800 images form three islands of 600.
    rng = np.random.default_rng(7)
    style_a = rng.standard_normal((120, 2))
    style_b = np.array([10.0, 0]) + rng.standard_normal((80, 2))
    others = [np.array([100.0 + 15 * g, 0]) + rng.standard_normal((600, 2)) for g in range(3)]
    points = np.vstack([style_a, style_b, *others])
    labels = np.array([0] * 200 + [1] * 1800)
    assert subgroups.count_subgroups(points[:200]).count == 2  # the map does show two islands...
    found = subgroups.subgroups_per_class(points, labels, use_sizes=False)  # the map alone
    assert [f.count for f in found] == [1, 3]  # ...but neither holds half a category's worth of images
    assert subgroups.group_floor(200, 2000, 2) == pytest.approx(0.5)
    assert subgroups.group_floor(1800, 2000, 2) == pytest.approx(0.1)


def test_size_units_count_categories_only_in_balanced_data():
    from fmtwist_cli.data.twist import category_units

    def size_units(sizes):
        return category_units(sizes, balanced=True)

    assert size_units([2000, 1000, 2000, 2000, 3000]).tolist() == [2, 1, 2, 2, 3]
    assert size_units([2100, 950, 1950, 2000, 3000]) is not None  # within a quarter of a category
    assert size_units([1500, 1000, 2000, 2500, 3000]) is None  # 1.5 categories: not balanced
    assert size_units([9990, 10]) is None  # a class under one category's worth
    assert category_units([2100, 950, 1950, 2000, 3000]).tolist() == pytest.approx([2.1, 0.95, 1.95, 2, 3])


def test_a_class_of_two_lookalike_categories_is_cut_to_its_size():
    # The default twist's class sizes (2, 1, 2, 2, 3 categories of 150 images),
    # each category an island, except class 0: its two categories form one
    # round blob, as Coat and Shirt do on the custom network's map.
    points, labels = blobs([2, 1, 2, 2, 3], per_group=150)
    rng = np.random.default_rng(8)
    points[labels == 0] = rng.standard_normal((300, 2))
    found = subgroups.subgroups_per_class(points, labels)
    assert [f.count for f in found] == [2, 1, 2, 2, 3]
    assert [f.map_count for f in found] == [1, 1, 2, 2, 3]
    assert [f.fitted_to_size for f in found] == [True, False, False, False, False]
    assert [f.size_units for f in found] == pytest.approx([2, 1, 2, 2, 3])
    cut = found[0]
    assert sum(cut.sizes) == 300 and min(cut.sizes) > 100  # cut near the middle
    assert len(cut.typical) == 2 and cut.stability == 1.0  # every half of the blob shows one group too
    # the map alone keeps the blob whole
    assert [f.count for f in subgroups.subgroups_per_class(points, labels, use_sizes=False)] == [1, 1, 2, 2, 3]


def test_groups_beyond_the_size_are_joined_nearest_first():
    # one category's worth of images drawn as three islands, two of them close together
    rng = np.random.default_rng(9)
    one = np.vstack(
        [
            rng.standard_normal((150, 2)),
            np.array([8.0, 0]) + rng.standard_normal((150, 2)),
            np.array([60.0, 0]) + rng.standard_normal((200, 2)),
        ]
    )
    found = subgroups.count_subgroups(one, min_share=0.2, expected=1)
    assert (found.map_count, found.count, found.sizes) == (3, 1, [500])
    two = subgroups.count_subgroups(one, min_share=0.2, expected=2)
    assert sorted(two.sizes) == [200, 300]  # the two close islands joined first
