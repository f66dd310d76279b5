"""The install rule: fmtwist installs beside a TensorFlow that is already there
(a GPU build, say) and never brings tensorflow-cpu, a second distribution of
the same ``tensorflow`` package that would install itself over it.

Offline and quick: pyproject.toml's own dependencies go into a stand-in
fmtwist wheel, every dependency is a stand-in wheel built here (tensorflow-cpu
among them, so a dependency on it would be found), and pip resolves with
``--no-index`` into a bare virtual environment.
"""

import base64
import hashlib
import json
import os
import re
import subprocess
import sys
import tomllib
import venv
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
STAND_IN = "99.0"  # satisfies every ">=" in pyproject.toml


def build_wheel(folder: Path, name: str, version: str, requires=(), extras=()) -> Path:
    """A minimal valid pure-Python wheel: a package of the same name, and metadata."""
    dist = re.sub(r"[-_.]+", "_", name).lower()
    info = f"{dist}-{version}.dist-info"
    metadata = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    metadata += [f"Provides-Extra: {e}" for e in extras] + [f"Requires-Dist: {r}" for r in requires]
    files = {
        f"{dist}/__init__.py": f"__version__ = {version!r}\n",
        f"{info}/METADATA": "\n".join(metadata) + "\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: fmtwist-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(text.encode())}")
    files[f"{info}/RECORD"] = "\n".join([*record, f"{info}/RECORD,,"]) + "\n"
    wheel = folder / f"{dist}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for path, text in files.items():
            zf.writestr(path, text)
    return wheel


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory) -> Path:
    """Stand-ins for fmtwist (with pyproject's requirements) and for everything it could require."""
    folder = tmp_path_factory.mktemp("wheelhouse")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project.get("optional-dependencies", {})
    requires = list(project["dependencies"]) + [f"{r}; extra == {e!r}" for e, reqs in extras.items() for r in reqs]
    build_wheel(folder, "fmtwist", STAND_IN, requires, extras)
    names: dict[str, set[str]] = {"tensorflow": set(), "tensorflow-cpu": set()}
    for text in (*project["dependencies"], *(r for reqs in extras.values() for r in reqs)):
        req = Requirement(text)
        if req.name != project["name"]:  # an extra may name another of fmtwist's own extras: not a second wheel
            names.setdefault(req.name, set()).update(req.extras)
    for name, provided in names.items():
        build_wheel(folder, name, STAND_IN, extras=sorted(provided))
    return folder


def pip(target: Path, *args: str) -> subprocess.CompletedProcess:
    # No pip configuration (this machine's caps torch's version) and no index: only the wheelhouse.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")} | {"PIP_CONFIG_FILE": os.devnull}
    command = [
        sys.executable,
        "-m",
        "pip",
        "--python",
        str(target / "bin" / "python"),
        "--disable-pip-version-check",
        *args,
    ]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def installed(target: Path) -> dict[str, str]:
    rows = json.loads(pip(target, "list", "--format", "json").stdout)
    return {row["name"].lower(): row["version"] for row in rows}


def bare_venv(path: Path) -> Path:
    venv.EnvBuilder(with_pip=False).create(path)
    return path


def test_pyproject_asks_for_the_standard_tensorflow():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    everything = [*project["dependencies"], *(r for reqs in project["optional-dependencies"].values() for r in reqs)]
    names = {Requirement(r).name for r in everything}
    assert "tensorflow" in names and "tensorflow-cpu" not in names


@pytest.mark.slow  # about 20 s: pip runs three times
def test_install_keeps_the_tensorflow_already_there(tmp_path, wheelhouse):
    target = bare_venv(tmp_path / "venv")
    find = ["--no-index", "--find-links", str(wheelhouse)]
    pip(target, "install", *find, f"tensorflow=={STAND_IN}")  # the user's (GPU) TensorFlow
    before = installed(target)
    report = tmp_path / "report.json"
    pip(target, "install", *find, "--dry-run", "--report", str(report), "fmtwist[jax,torch,cuda]")
    planned = {item["metadata"]["name"].lower() for item in json.loads(report.read_text())["install"]}
    assert "fmtwist" in planned and {"jax", "torch", "onnxruntime-gpu"} <= planned
    assert not planned & {"tensorflow", "tensorflow-cpu"}
    pip(target, "install", *find, "fmtwist[jax,torch,cuda]")
    after = installed(target)
    assert after["tensorflow"] == before["tensorflow"] and "tensorflow-cpu" not in after


@pytest.mark.slow
def test_fresh_install_brings_the_standard_tensorflow(tmp_path, wheelhouse):
    target = bare_venv(tmp_path / "venv")
    pip(target, "install", "--no-index", "--find-links", str(wheelhouse), "fmtwist")
    after = installed(target)
    assert "tensorflow" in after and "tensorflow-cpu" not in after and "jax" not in after
