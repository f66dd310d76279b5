"""Flips (models.Recipe.flips, fast's recipe): a random half of each epoch's images mirrored left-right, the same
in every process; the test figures and the exported model's probs the mean over each image and its mirror image,
so that every later step sees what ``train`` measured; a run without flips exports as before."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import write_learnable

from fmtwist_cli.encode import embedding
from fmtwist_cli.network import checkpoint, export, feeding, modelfiles, models, training, trainingdata
from fmtwist_cli.network.backends import Backend
from fmtwist_cli.network.config import TrainConfig


def test_fast_trains_with_flips_and_the_notebook_networks_without():
    assert TrainConfig(arch="fast").flips and TrainConfig(arch="fast", precision="bfloat16").flips
    assert not TrainConfig(arch="custom").flips and not TrainConfig(arch="default").flips
    assert not TrainConfig(arch="fast", flips=False).in_precision("bfloat16").flips  # asked: kept


def test_an_epochs_mirrors_depend_on_seed_and_epoch_alone():
    first = checkpoint.epoch_mirrors(7, 3, 10_000)
    assert first.dtype == bool and abs(first.mean() - 0.5) < 0.02
    assert np.array_equal(first, checkpoint.epoch_mirrors(7, 3, 10_000))
    assert not np.array_equal(first, checkpoint.epoch_mirrors(7, 4, 10_000))
    assert not np.array_equal(first, checkpoint.epoch_mirrors(8, 3, 10_000))


@pytest.mark.parametrize("backend", [Backend.tensorflow, Backend.jax])
def test_the_feed_mirrors_the_rows_marked_and_only_those(backend):
    rng = np.random.default_rng(0)
    pixels, y = rng.integers(0, 256, (10, 28, 28), dtype=np.uint8), np.arange(10)
    before = pixels.copy()
    order, mirror = rng.permutation(10), np.arange(10) % 3 == 0
    feed = feeding.epoch_batches(pixels, y, 4, backend)(order, mirror)
    images = np.concatenate([np.asarray(x) for x, _ in feed]) if backend is Backend.tensorflow else feed.x
    want = trainingdata.scale(np.where(mirror[:, None, None], pixels[order][:, :, ::-1], pixels[order]))
    np.testing.assert_array_equal(images, want)
    np.testing.assert_array_equal(pixels, before)  # the training images themselves stay as they were


def test_mirror_averaged_is_the_mean_over_the_image_and_its_mirror_image():
    model = models.build("fast", 5)
    x = trainingdata.scale(np.random.default_rng(1).integers(0, 256, (8, 28, 28), dtype=np.uint8))
    plain = model.predict(x, verbose=0)
    mirrored = model.predict(x[:, :, ::-1], verbose=0)
    got = models.mirror_averaged(model, "flatten").predict(x, verbose=0)
    np.testing.assert_allclose(got["probs"], (plain + mirrored) / 2, atol=1e-6)
    np.testing.assert_allclose(got["embedding"], export.two_headed(model, "flatten").predict(x, verbose=0)["embedding"])
    np.testing.assert_allclose(models.mirror_averaged(model).predict(x, verbose=0), got["probs"], atol=1e-6)


@pytest.mark.slow
def test_a_run_with_flips_measures_and_exports_mirror_averaged_probs(tmp_path):
    folder = write_learnable(tmp_path)
    data = trainingdata.load_training_data(folder / "data.npz")
    result = training.train(data, TrainConfig(arch="fast", epochs=1, batch_size=32, seed=0))
    assert result.history["params"]["flips"]
    mpath, _ = training.save(result, folder)
    exported = export.export(mpath, data_path=folder / "data.npz")
    assert "mirror image" in exported.meta["probs"]
    x = trainingdata.scale(data.x_test)
    model = modelfiles.load_model(mpath)
    want = (model.predict(x, verbose=0) + model.predict(x[:, :, ::-1], verbose=0)) / 2
    got = embedding.predict(exported.path, data.x_test)
    assert np.abs(got["probs"] - want).max() <= export.TOLERANCE
    # train's test figure is the exported model's
    assert result.history["test"]["accuracy"] == pytest.approx((want.argmax(axis=1) == data.y_test).mean(), abs=1e-6)
    assert not (model.predict(x, verbose=0).argmax(axis=1) == want.argmax(axis=1)).all()  # the mean changes some


@pytest.mark.slow
def test_a_run_without_flips_exports_plain_probs(tmp_path):
    folder = write_learnable(tmp_path)
    data = trainingdata.load_training_data(folder / "data.npz")
    result = training.train(data, TrainConfig(arch="fast", epochs=1, batch_size=32, seed=0, flips=False))
    mpath, _ = training.save(result, folder)
    exported = export.export(mpath, data_path=folder / "data.npz")
    assert "probs" not in exported.meta
    x = trainingdata.scale(data.x_test)
    got = embedding.predict(exported.path, data.x_test)
    assert np.abs(got["probs"] - modelfiles.load_model(mpath).predict(x, verbose=0)).max() <= export.TOLERANCE
