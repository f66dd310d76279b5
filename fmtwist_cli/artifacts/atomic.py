"""Reading and writing files safely: atomic writes, folder checks, JSON.

A write goes to a temporary file in the same folder, then a rename, so a
crash never leaves a half-written file; a command that writes several files
checks every target first (:func:`check_writable`).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from fmtwist_cli.errors import ArtifactError


def a_noun(noun: str) -> str:
    """The noun with its article, for messages: "an answer key", "a coords file"."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def check_readable(path: Path, what: str, made_by: str | None = None) -> None:
    """Refuse a missing file (naming the command that makes it) or a folder."""
    if not path.exists():
        hint = f" (run `{made_by}` first)" if made_by else ""
        raise ArtifactError(f"{what} not found: {path}{hint}")
    if path.is_dir():
        raise ArtifactError(f"{path} is a folder, expected {a_noun(what)}")


def _check_target(path: Path) -> Path:
    """Refuse a path that is a folder or lies under a file; return its
    nearest existing folder."""
    if path.is_dir():
        raise ArtifactError(f"cannot write {path}: it is a folder")
    existing = next(p for p in [path.parent, *path.parent.parents] if p.exists())
    if not existing.is_dir():
        raise ArtifactError(f"cannot write {path}: {existing} is a file, not a folder")
    return existing


def _ensure_folder(path: Path) -> None:
    _check_target(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ArtifactError(f"cannot write {path}: cannot create folder {path.parent} ({exc.strerror})") from None


def check_writable(*paths: str | os.PathLike) -> None:
    """Raise the error writing each path would raise about its folder, before
    anything is written: a command that writes several files checks them all
    first, so that a bad output path leaves every file as it was."""
    for path in map(Path, paths):
        existing = _check_target(path)
        if not os.access(existing, os.W_OK | os.X_OK):
            raise ArtifactError(f"cannot write {path}: {existing} is not writable")


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` (same suffix); rename it onto
    ``path`` only when the block finishes without an exception.

    The temporary file is removed on any exception, Ctrl-C included; only a
    process killed outright (SIGKILL, power loss) can leave one behind, as a
    hidden ``.NAME.*.tmp.SUFFIX`` that nothing reads and no artifact pattern
    matches (tests/test_safety.py)."""
    path = Path(path)
    _ensure_folder(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f".tmp{path.suffix}", dir=path.parent)
    except OSError as exc:
        raise ArtifactError(f"cannot write {path}: {exc.strerror}") from None
    os.close(fd)
    tmp_path = Path(tmp)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp_path, 0o666 & ~umask)  # mkstemp makes 0600; give the usual mode
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    except OSError as exc:
        raise ArtifactError(f"cannot write {path}: {exc.strerror}") from None
    finally:
        tmp_path.unlink(missing_ok=True)


def write_bytes(path: str | os.PathLike, writer: Callable[[Any], None]) -> Path:
    """Atomically write ``path``; ``writer`` receives a binary file object."""
    path = Path(path)
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        writer(fh)
        fh.flush()
        os.fsync(fh.fileno())
    return path


def write_text(path: str | os.PathLike, text: str) -> Path:
    return write_bytes(path, lambda fh: fh.write(text.encode("utf-8")))


def save_json(path: str | os.PathLike, obj: Any) -> Path:
    return write_text(path, json.dumps(obj, indent=2) + "\n")


def load_json(path: str | os.PathLike, what: str = "JSON file") -> Any:
    path = Path(path)
    check_readable(path, what)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ArtifactError(f"{path} is not a valid {what}: {exc}") from None
