"""views/: `Workspace.plot.KIND` is `fmtwist plot KIND` and `Workspace.inspect` is `fmtwist inspect` (same files,
byte for byte, same summary); each result carries its figure, which a notebook shows as a PNG."""

from __future__ import annotations

import contextlib
import io
import json

import pytest
from helpers import both_ways, jsonable

from fmtwist_cli import Workspace
from fmtwist_cli.errors import ParameterError

PNG = b"\x89PNG\r\n\x1a\n"

# case -> (the command's arguments after `plot KIND`, the same as keyword options); file names are in the folder
PLOTS = {
    "history-one": ("history", ["--history", "history-custom.json"], {"history": ["history-custom.json"]}),
    "history-many": ("history", ["--size", "8x6", "--dpi", "50"], {"size": "8x6", "dpi": 50}),
    "scatter-label": ("scatter", [], {}),
    "scatter-cluster": (
        "scatter",
        ["--by", "cluster", "--clusters", "clusters-dbscan.npz"],
        {"by": "cluster", "clusters": "clusters-dbscan.npz"},
    ),
    "scatter-pred": ("scatter", ["--by", "pred", "-o", "map.svg"], {"by": "pred", "out": "map.svg"}),
    "kdist": ("kdist", ["--k", "5"], {"k": 5}),
    "kdist-eps": ("kdist", ["--k", "5", "--eps", "2.5", "--no-scale"], {"k": 5, "eps": 2.5, "scale": False}),
    "kdist-clusters": ("kdist", ["--clusters", "clusters-dbscan.npz"], {"clusters": "clusters-dbscan.npz"}),
    "confusion": ("confusion", [], {}),
    "confusion-clusters": ("confusion", ["--clusters", "clusters-kmeans.npz"], {"clusters": "clusters-kmeans.npz"}),
    "grid-label": ("grid", ["--n", "4", "--seed", "0"], {"n": 4, "seed": 0}),
    "grid-cluster": (
        "grid",
        ["--by", "cluster", "--clusters", "clusters-dbscan.npz", "--pick", "central", "--n", "3", "--seed", "1"],
        {"by": "cluster", "clusters": "clusters-dbscan.npz", "pick": "central", "n": 3, "seed": 1},  # noise: random
    ),
}
PATHS = ("history", "clusters", "out")  # options naming a file in the folder


def in_folder(folder, options: dict) -> dict:
    def place(value):
        return [place(v) for v in value] if isinstance(value, list) else folder / value

    return {k: place(v) if k in PATHS else v for k, v in options.items()}


def argv_in_folder(folder, args: list) -> list:
    return [folder / a if a.endswith((".json", ".npz", ".svg")) else a for a in args]


def assert_shows_its_figure(result) -> None:
    from matplotlib.figure import Figure

    assert isinstance(result.figure, Figure)
    assert result._repr_png_().startswith(PNG)


@pytest.mark.parametrize("case", list(PLOTS))
def test_plot_both_ways(viz, tmp_path, case):
    kind, args, options = PLOTS[case]
    argv = ["plot", kind, "-a", viz, *argv_in_folder(viz, args)]
    result = both_ways(viz, argv, lambda: getattr(Workspace(viz).plot, kind)(**in_folder(viz, options)), tmp_path)
    assert result.summary["kind"] == kind and result.path == viz / result.summary["written"].split("/")[-1]
    assert result.paths == [result.path] and result.path.is_file()
    assert_shows_its_figure(result)


def test_plot_takes_its_enums_as_members_too(viz):
    from fmtwist_cli.views.images import GroupPick
    from fmtwist_cli.views.plot_steps import By

    result = Workspace(viz).plot.grid(by=By.pred, pick=GroupPick.border, n=2)
    assert result.path == viz / "grid-pred.png" and result.summary["groups"] == 3


def test_inspect_both_ways(viz, tmp_path):
    png = viz / "cluster1.png"
    argv = ["inspect", "-a", viz, "--cluster", "1", "--n", "6", "--seed", "0", "--per-row", "3", "--png", png]
    result = both_ways(viz, argv, lambda: Workspace(viz).inspect(cluster=1, n=6, seed=0, per_row=3, png=png), tmp_path)
    assert result.path == png and result.summary["png"] == str(png)
    assert len(result.artifact.images) == len(result.summary["shown"]) == 6
    assert_shows_its_figure(result)


def test_inspect_without_png_writes_nothing_yet_shows_the_grid(viz, run):
    from fmtwist_cli.cli.app import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["inspect", "-a", str(viz), "--label", "2", "--pick", "central", "--n", "5", "--json"]) == 0
    before = sorted(viz.iterdir())
    result = Workspace(viz).inspect(label=2, pick="central", n=5)
    assert sorted(viz.iterdir()) == before and result.path is None and result.paths == []
    assert json.loads(out.getvalue()) == jsonable(result.summary)
    assert_shows_its_figure(result)
    assert len(result.figure.axes) == 5


def test_plot_errors_name_the_parameter_and_the_cli_its_flag(viz, run):
    with pytest.raises(ParameterError, match="^dpi must be between 10 and 1200, got 3$"):
        Workspace(viz).plot.history(dpi=3)
    code, out, err = run("plot", "history", "-a", viz, "--dpi", "3")
    assert (code, err) == (1, "error: --dpi must be between 10 and 1200, got 3\n")
    with pytest.raises(ParameterError, match="^by must be one of label, cluster, pred; got 'colour'$"):
        Workspace(viz).plot.scatter(by="colour")
    with pytest.raises(ParameterError, match="^n must be at least 1, got 0$"):
        Workspace(viz).plot.grid(n=0)
    with pytest.raises(ParameterError, match="^choose what to show: cluster N, label K or pick noise$"):
        Workspace(viz).inspect()
    assert not list(viz.glob("*.png"))


def test_workspace_plot_methods_show_the_step_signature(viz):
    import inspect

    params = inspect.signature(Workspace(viz).plot.kdist).parameters
    assert "folder" not in params and {"k", "eps", "clusters", "scale", "pca", "out", "size", "dpi"} <= set(params)
    assert "ws.plot.kdist(" in Workspace(viz).plot.kdist.__doc__
    assert {"cluster", "label", "pick", "png", "per_row"} <= set(inspect.signature(Workspace(viz).inspect).parameters)
