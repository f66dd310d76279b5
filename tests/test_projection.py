"""maps/: PCA, t-SNE, UMAP (projection.py), trustworthiness (trust.py), the numba cache (numbacache.py), and
`fmtwist reduce` end to end."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from conftest import files_under
from helpers import usage_message, write_embeddings

from fmtwist_cli import artifacts
from fmtwist_cli.errors import FmtwistError, ParameterError
from fmtwist_cli.maps import numbacache, projection, trust


def blobs(n_per: int = 40, dims: int = 60, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    truth = np.repeat(np.arange(3), n_per)
    centres = rng.normal(0, 5, (3, dims))
    return (centres[truth] + rng.normal(0, 1, (truth.size, dims))).astype(np.float32), truth


def separated(coords: np.ndarray, truth: np.ndarray) -> bool:
    """Every point is nearer its own group's centre than any other's."""
    centres = np.array([coords[truth == c].mean(0) for c in np.unique(truth)])
    nearest = np.linalg.norm(coords[:, None] - centres[None], axis=2).argmin(1)
    return bool((nearest == truth).all())


def test_trustworthiness_of_an_exact_and_a_random_map():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(200, 2)).astype(np.float32)
    assert trust.trustworthiness(x, x) == pytest.approx(1.0)
    assert trust.trustworthiness(x, rng.normal(size=(200, 2))) < 0.7
    with pytest.raises(FmtwistError, match="features have 200 rows but the map has 10"):
        trust.trustworthiness(x, x[:10])


def test_trust_sample_is_fixed():
    a, b = trust.sample_rows(20000), trust.sample_rows(20000)
    assert a.size == trust.TRUST_SAMPLE and np.array_equal(a, b)
    assert np.array_equal(trust.sample_rows(30), np.arange(30))


def test_pca_map():
    x, truth = blobs()
    coords = projection.pca(x, seed=0)
    assert coords.shape == (120, 2) and coords.dtype == np.float32
    assert separated(coords, truth)


@pytest.mark.slow  # two t-SNE runs: 5 to 35 s each on a loaded machine
@pytest.mark.parametrize("backend", ["fmtwist", "sklearn"])
def test_tsne_backends_separate_blobs_and_report_progress(backend):
    x, truth = blobs()
    seen = []
    coords = projection.tsne(
        x, seed=0, backend=backend, perplexity=10, progress=lambda done, total: seen.append((done, total))
    )
    assert coords.shape == (120, 2) and coords.dtype == np.float32
    assert separated(coords, truth)
    total = 350 if backend == "fmtwist" else 1000
    assert seen[0][0] == 50 and seen[-1] == (total, total)  # one tick per 50 iterations
    assert trust.trustworthiness(x, coords) > 0.9


@pytest.mark.slow
def test_tsne_is_repeatable_with_a_seed():
    x, _ = blobs(20)
    assert np.array_equal(projection.tsne(x, seed=3, perplexity=5), projection.tsne(x, seed=3, perplexity=5))


def test_tsne_bad_input():
    x, _ = blobs(10)
    with pytest.raises(ParameterError, match="^backend must be one of fmtwist, sklearn, opentsne; got 'fast'$"):
        projection.tsne(x, backend="fast")
    with pytest.raises(FmtwistError, match="perplexity must be between 0 and the number of rows \\(30\\), got 30"):
        projection.tsne(x, perplexity=30)
    with pytest.raises(FmtwistError, match="features hold NaN or infinite values"):
        projection.tsne(np.full((5, 2), np.nan))


@pytest.mark.skipif(__import__("importlib").util.find_spec("openTSNE") is not None, reason="openTSNE is installed")
def test_opentsne_backend_says_how_to_install():
    x, _ = blobs(10)
    with pytest.raises(FmtwistError, match="the opentsne backend needs openTSNE: pip install openTSNE"):
        projection.tsne(x, backend="opentsne", perplexity=5)


@pytest.mark.slow  # the first UMAP run on a machine compiles umap's numba code (a minute or more)
def test_umap_map_separates_blobs():
    x, truth = blobs()
    coords = projection.umap(x, seed=0)
    assert coords.shape == (120, 2) and coords.dtype == np.float32
    assert separated(coords, truth)


def test_numba_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert numbacache.numba_cache_dir() == tmp_path / "fmtwist" / "numba"
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "n"))
    assert numbacache.numba_cache_dir() == tmp_path / "n"


UMAP_RUN = textwrap.dedent(
    """
    import json, sys, numpy as np
    from numba.core import event
    from fmtwist_cli.maps import projection
    x = np.random.default_rng(0).normal(size=(60, 5)).astype(np.float32)
    with event.install_recorder("numba:compile") as rec:
        projection.umap(x, seed=0)
    compiled = sorted({e.data["dispatcher"].py_func.__module__ + "." + e.data["dispatcher"].py_func.__qualname__
                       for _, e in rec.buffer if e.is_start})
    print(json.dumps({"compiled": compiled, "tensorflow": "tensorflow" in sys.modules}))
    """
)


@pytest.mark.slow
def test_umap_second_process_compiles_nothing():
    """The second of two fresh processes loads every numba function of umap
    and pynndescent from the cache instead of compiling it."""

    def umap_process() -> dict:
        done = subprocess.run([sys.executable, "-c", UMAP_RUN], capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout.strip().splitlines()[-1])

    umap_process()  # fills the cache (if an earlier run has not)
    assert umap_process() == {"compiled": [], "tensorflow": False}  # nor does it import TensorFlow


# --------------------------------------------------------------------------
# the command


@pytest.fixture
def art(tmp_path):
    write_embeddings(tmp_path / "art")
    return tmp_path / "art"


@pytest.mark.parametrize(
    "method", ["pca", pytest.param("tsne", marks=pytest.mark.slow), pytest.param("umap", marks=pytest.mark.slow)]
)
def test_reduce_every_method(run, art, method):
    code, out, err = run("reduce", "--method", method, "--seed", "0", "-a", art, "--json")
    assert code == 0, err
    result = json.loads(out)
    saved = artifacts.load(art / f"coords-{method}.npz", "coords")
    emb = artifacts.load(art / "embeddings.npz", "embeddings")
    assert saved["coords"].shape == (90, 2)
    assert np.array_equal(saved["index"], emb["index"]) and np.array_equal(saved["split"], emb["split"])
    assert saved.meta["method"] == method and saved.meta["params"]["seed"] == 0
    assert result["trustworthiness"] == saved.meta["trustworthiness"] > 0.8
    assert result["trust_k"] == 10 and result["seconds"] >= 0
    # the map clusters: three groups
    code, out, err = run(
        "cluster",
        "--method",
        "kmeans",
        "--k",
        "3",
        "--coords",
        art / f"coords-{method}.npz",
        "--answer-key",
        art / "twist.json",
        "-a",
        art,
        "--json",
    )
    assert code == 0, err
    assert json.loads(out)["original"]["ari"] == pytest.approx(1.0)


def test_reduce_table_output(run, art):
    code, out, err = run("reduce", "--method", "pca", "-a", art, "--no-trust")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("PCA of 90 rows in ") and lines[0].endswith("s")
    assert lines[1] == f"wrote {art / 'coords-pca.npz'}"


@pytest.mark.parametrize(
    "args,message",
    [
        (["--method", "mds"], "Invalid value for '--method': Value error, 'mds' is not one of 'pca', 'tsne', 'umap'."),
        (
            ["--backend", "cuda"],
            "Invalid value for '--backend': Value error, 'cuda' is not one of 'fmtwist', 'sklearn', 'opentsne'.",
        ),
    ],
)
def test_reduce_bad_options(run, art, args, message):
    before = files_under(art)
    code, out, err = run("reduce", "-a", art, *args)
    assert (code, out) == (2, "") and message in usage_message(err)
    assert files_under(art) == before


def test_reduce_nan_embeddings(run, tmp_path):
    path = write_embeddings(tmp_path / "nan", with_nan=True)
    before = files_under(tmp_path)
    assert run("reduce", "-a", tmp_path / "nan") == (
        1,
        "",
        f"error: {path}: 'embedding' holds NaN or infinite values\n",
    )
    assert files_under(tmp_path) == before
