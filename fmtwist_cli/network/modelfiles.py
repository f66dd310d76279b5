"""The ``.keras`` model file: written atomically with the same bytes for the
same model, and read back in Keras' safe mode.

The file's format does not depend on the backend that trained the model, so
a model trained on JAX or PyTorch loads (and exports) under TensorFlow.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fmtwist_cli import artifacts
from fmtwist_cli.artifacts import layout
from fmtwist_cli.errors import ArtifactError
from fmtwist_cli.network import models


def train_command(arch: str, labels: str) -> str:
    return f"fmtwist train --arch {arch}" + (" --labels original" if labels == "original" else "")


def train_command_for(model_file: Path) -> str:
    """The command that writes this model file (the default arch for a name train never writes)."""
    arch, labels = layout.parse_model_name(model_file)
    return train_command(arch if arch in models.ARCHITECTURES else models.DEFAULT_ARCH, labels.value)


def save_model(model: Any, path: Path) -> Path:
    """Atomically write a ``.keras`` file."""
    path = Path(path)
    if path.suffix != ".keras":
        raise ArtifactError(f"cannot write {path}: a Keras model file must end in .keras")
    with artifacts.atomic_path(path) as tmp:
        model.save(tmp)
        _make_reproducible(tmp)
    return path


def _make_reproducible(path: Path) -> None:
    """Keras stamps the saving time into a .keras file (metadata.json and the
    zip entries) and numbers shared objects by their memory address; without
    both the same model gives the same bytes, so the SHA-256 that provenance
    records names the model, not the moment."""
    import json
    import zipfile

    def renumber(obj: Any, ids: dict) -> None:
        if isinstance(obj, dict):
            if "shared_object_id" in obj:
                obj["shared_object_id"] = ids.setdefault(obj["shared_object_id"], len(ids) + 1)
            for value in obj.values():
                renumber(value, ids)
        elif isinstance(obj, list):
            for value in obj:
                renumber(value, ids)

    with zipfile.ZipFile(path) as zf:
        entries = [(info, zf.read(info)) for info in zf.infolist()]
    with zipfile.ZipFile(path, "w") as zf:
        for info, content in entries:
            if info.filename == "metadata.json":
                meta = json.loads(content)
                meta.pop("date_saved", None)
                content = json.dumps(meta).encode("utf-8")
            elif info.filename == "config.json":
                config = json.loads(content)
                renumber(config, {})
                content = json.dumps(config).encode("utf-8")
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type, fixed.external_attr = info.compress_type, info.external_attr
            zf.writestr(fixed, content)


def load_model(path: Path, made_by: str | None = None) -> Any:
    """Load a ``.keras`` model with Keras' safe mode on (no arbitrary code)."""
    path = Path(path)
    if not path.exists():
        hint = made_by or train_command_for(path)
        raise ArtifactError(f"Keras model not found: {path} (run `{hint}` first)")
    if path.is_dir():
        raise ArtifactError(f"{path} is a folder, expected a .keras model file")
    if path.suffix != ".keras":
        raise ArtifactError(f"{path} is not a .keras model file")
    keras = models.import_keras()
    try:
        return keras.saving.load_model(path, safe_mode=True, compile=False)
    except Exception as exc:  # Keras raises ValueError, OSError, zipfile errors, ...
        if "safe_mode" in str(exc):  # safe mode refused to deserialize Python code
            raise ArtifactError(
                f"{path} holds Python code (a Lambda layer or function), which fmtwist never runs: "
                "models are loaded in Keras safe mode; rebuild the model without Lambda layers"
            ) from None
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ArtifactError(f"{path} is not a valid Keras model ({reason[:200]})") from None
