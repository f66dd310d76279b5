"""Where the images come from: official IDX files (found or downloaded), the
course's CSV layout, or a Keras-style ``.npz``."""

from __future__ import annotations

import gzip
import hashlib
import os
import urllib.error
import urllib.request
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from fmtwist_cli import artifacts
from fmtwist_cli.errors import DataError, FmtwistError
from fmtwist_cli.result import Progress, quiet

BASE_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
IDX_FILES = {
    "x_train": "train-images-idx3-ubyte.gz",
    "y_train": "train-labels-idx1-ubyte.gz",
    "x_test": "t10k-images-idx3-ubyte.gz",
    "y_test": "t10k-labels-idx1-ubyte.gz",
}
# SHA-256 of the *decompressed* official files: the gzip wrapper differs between
# mirrors (Debian recompresses), the IDX payload does not.
IDX_SHA256 = {
    "train-images-idx3-ubyte.gz": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte.gz": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte.gz": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte.gz": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}
CSV_FILES = ("x_train.csv", "y_train.csv", "x_test.csv", "y_test.csv")
PIXELS = 28 * 28


@dataclass
class RawData:
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    original: bool  # labels are the 10 original categories (not mystery labels)
    description: str
    files: dict[str, Path] = field(default_factory=dict)  # what was read, by role: provenance


# --------------------------------------------------------------------------
# IDX


def read_idx(path: Path, ndim: int) -> tuple[np.ndarray, str]:
    """Parse a gzip IDX file; return the array and the payload's SHA-256."""
    try:
        with gzip.open(path, "rb") as fh:
            payload = fh.read()
    except gzip.BadGzipFile:
        raise DataError(f"{path}: not a gzip file (expected a gzipped IDX file)") from None
    except EOFError:
        raise DataError(f"{path}: file is truncated") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc})") from None
    if len(payload) < 4 + 4 * ndim or payload[:2] != b"\0\0" or payload[2] != 0x08 or payload[3] != ndim:
        raise DataError(f"{path}: not an IDX file of unsigned bytes with {ndim} dimension(s)")
    dims = tuple(int(d) for d in np.frombuffer(payload, ">u4", count=ndim, offset=4))
    body = np.frombuffer(payload, np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(dims)):
        raise DataError(f"{path}: file is truncated ({body.size} bytes of data, header says {int(np.prod(dims))})")
    if ndim == 3 and dims[1:] != (28, 28):
        raise DataError(f"{path}: images are {dims[1]}x{dims[2]}, expected 28x28")
    return body.reshape(dims), hashlib.sha256(payload).hexdigest()


def has_idx(folder: Path) -> bool:
    return folder.is_dir() and all((folder / name).is_file() for name in IDX_FILES.values())


def load_idx(folder: Path, verify: bool = False) -> RawData:
    missing = [name for name in IDX_FILES.values() if not (folder / name).is_file()]
    if missing:
        raise DataError(f"{folder}: missing Fashion-MNIST file(s): {', '.join(missing)}")
    arrays = {}
    for key, name in IDX_FILES.items():
        arr, digest = read_idx(folder / name, 3 if key.startswith("x") else 1)
        if verify and digest != IDX_SHA256[name]:
            raise DataError(
                f"{folder / name}: checksum mismatch (SHA-256 {digest[:12]}…, expected {IDX_SHA256[name][:12]}…)"
            )
        arrays[key] = arr
    files = {key: folder / name for key, name in IDX_FILES.items()}
    data = RawData(**arrays, original=True, description=f"Fashion-MNIST IDX files in {folder}", files=files)
    check_split_lengths(data, folder)
    check_original_labels(data, folder)
    return data


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "fmtwist" / "fashion-mnist"


def search_folders(source: Path | None = None) -> list[Path]:
    """Where official IDX files are looked for, in order."""
    folders = [source] if source else []
    if os.environ.get("FMTWIST_DATA"):
        folders.append(Path(os.environ["FMTWIST_DATA"]))
    folders += [DEBIAN_DIR, Path.home() / ".keras" / "datasets" / "fashion-mnist", cache_dir()]
    return folders


def download(folder: Path, progress: Progress = quiet, base_url: str | None = None) -> Path:
    """Fetch the four official files into ``folder``, verifying each by SHA-256; ``progress`` counts each
    file's bytes."""
    for name in IDX_FILES.values():
        target = folder / name
        if target.is_file():
            continue
        url = (base_url or BASE_URL) + name
        try:
            with urllib.request.urlopen(url, timeout=60) as resp:
                total, done = int(resp.headers.get("Content-Length") or 0) or None, 0
                with artifacts.atomic_path(target) as tmp:
                    with open(tmp, "wb") as fh:
                        while chunk := resp.read(1 << 16):
                            fh.write(chunk)
                            done += len(chunk)
                            progress(done, total, f"Downloading Fashion-MNIST: {name}")
                    _, digest = read_idx(tmp, 3 if "images" in name else 1)
                    if digest != IDX_SHA256[name]:
                        raise DataError(
                            f"{url}: checksum mismatch after download (SHA-256 {digest[:12]}…), file discarded"
                        )
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            raise DataError(
                f"cannot download {url} ({getattr(exc, 'reason', exc)}); "
                "install Debian's dataset-fashion-mnist or pass --source DIR"
            ) from None
    return folder


def find_official(source: Path | None = None, progress: Progress = quiet) -> RawData:
    """Load official Fashion-MNIST from the first folder that has it, else download."""
    for folder in search_folders(source):
        if has_idx(folder):
            return load_idx(folder, verify=folder == cache_dir())
    folder = download(cache_dir(), progress)
    return load_idx(folder, verify=True)


# --------------------------------------------------------------------------
# CSV (the course's layout, as pandas writes it)


def _read_csv(path: Path, columns: int) -> np.ndarray:
    try:
        with open(path, encoding="utf-8") as fh:
            header = fh.readline().rstrip("\r\n").split(",")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read ({exc})") from None
    # pandas' default index=True adds a first column with an empty header
    skip_index = len(header) == columns + 1 and header[0] == ""
    if len(header) != columns + skip_index:
        raise DataError(f"{path}: {len(header)} columns, expected {columns}")
    use = range(1, columns + 1) if skip_index else None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "input contained no data": said below, in one line
            arr = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.int64, ndmin=2, usecols=use, encoding="utf-8")
    except ValueError as exc:
        raise DataError(f"{path}: {_loadtxt_reason(exc)}") from None
    if arr.shape[0] == 0:
        raise DataError(f"{path}: no rows")
    if arr.shape[1] != columns:
        raise DataError(f"{path}: {arr.shape[1]} columns, expected {columns}")
    return arr


def _loadtxt_reason(exc: ValueError) -> str:
    text = str(exc).splitlines()[0]
    if "could not convert" in text:
        return f"non-numeric or non-integer cell ({text})"
    if "columns" in text:
        return f"wrong column count ({text})"
    return text


def load_csv(folder: Path) -> RawData:
    missing = [name for name in CSV_FILES if not (folder / name).is_file()]
    if missing:
        raise DataError(f"{folder}: missing CSV file(s): {', '.join(missing)}")
    arrays = {}
    for split in ("train", "test"):
        x = _read_csv(folder / f"x_{split}.csv", PIXELS)
        bad = np.argwhere((x < 0) | (x > 255))
        if bad.size:
            r, c = bad[0]
            raise DataError(
                f"{folder / f'x_{split}.csv'}: pixel value {x[r, c]} outside 0-255 (row {r + 1}, column {c + 1})"
            )
        y = _read_csv(folder / f"y_{split}.csv", 1)[:, 0]
        if y.min() < 0:
            raise DataError(f"{folder / f'y_{split}.csv'}: label {y.min()} out of range (labels are 0 or more)")
        arrays[f"x_{split}"] = x.astype(np.uint8).reshape(-1, 28, 28)
        arrays[f"y_{split}"] = y
    files = {f"{xy}_{split}": folder / f"{xy}_{split}.csv" for split in ("train", "test") for xy in "xy"}
    data = RawData(**arrays, original=False, description=f"course CSV files in {folder}", files=files)
    check_split_lengths(data, folder)
    return data


def export_csv(folder: Path, data: dict[str, np.ndarray]) -> list[Path]:
    """Write the course's CSV layout (header row, no index column)."""
    written = []
    for split in ("train", "test"):
        x = data[f"x_{split}"].reshape(-1, PIXELS)
        y = data[f"y_{split}"].reshape(-1, 1)
        for name, arr, header in ((f"x_{split}.csv", x, ",".join(map(str, range(PIXELS)))), (f"y_{split}.csv", y, "0")):

            def write(fh, arr=arr, header=header):
                np.savetxt(fh, arr, fmt="%d", delimiter=",", header=header, comments="")

            written.append(artifacts.write_bytes(folder / name, write))
    return written


# --------------------------------------------------------------------------
# npz (as keras.datasets.fashion_mnist.load_data() returns it)


def load_npz(path: Path) -> RawData:
    try:
        raw = artifacts.read_npz(path, "npz source")
    except FmtwistError as exc:
        raise DataError(str(exc)) from None
    arrays = {}
    for key in ("x_train", "y_train", "x_test", "y_test"):
        if key not in raw:
            raise DataError(f"{path}: no '{key}' array (expected x_train, y_train, x_test, y_test)")
        arr = raw[key]
        if arr.dtype.kind not in "ui":
            raise DataError(f"{path}: '{key}' has dtype {arr.dtype}, expected integers")
        want = (28, 28) if key.startswith("x") else ()
        if arr.ndim != 1 + len(want) or arr.shape[1:] != want:
            raise DataError(f"{path}: '{key}' has shape {arr.shape}, expected (N{''.join(f', {d}' for d in want)})")
        if key.startswith("x") and arr.size and (arr.min() < 0 or arr.max() > 255):
            raise DataError(f"{path}: '{key}' has pixel values outside 0-255")
        arrays[key] = arr.astype(np.uint8 if key.startswith("x") else np.int64)
    data = RawData(**arrays, original=True, description=f"npz file {path}", files={"source": path})
    check_split_lengths(data, path)
    check_original_labels(data, path)
    return data


# --------------------------------------------------------------------------


def check_split_lengths(data: RawData, where: Path) -> None:
    for split in ("train", "test"):
        x, y = getattr(data, f"x_{split}"), getattr(data, f"y_{split}")
        if len(x) != len(y):
            raise DataError(f"{where}: {split} has {len(x)} images but {len(y)} labels")
        if len(x) == 0:
            raise DataError(f"{where}: the {split} split is empty")


def check_original_labels(data: RawData, where: Path) -> None:
    for split in ("train", "test"):
        y = getattr(data, f"y_{split}")
        if y.min() < 0 or y.max() > 9:
            raise DataError(
                f"{where}: {split} label {int(y.max() if y.max() > 9 else y.min())} out of range "
                "(Fashion-MNIST has categories 0-9)"
            )


def load_source(source: Path | None = None, progress: Progress = quiet) -> RawData:
    """Auto-detect what ``source`` points at; None means the official data."""
    if source is None:
        return find_official(None, progress)
    if source.is_file():
        if source.suffix.lower() == ".npz":
            return load_npz(source)
        raise DataError(f"{source}: unknown source file (expected a folder of IDX or CSV files, or an .npz)")
    if not source.is_dir():
        raise DataError(f"source not found: {source}")
    if (source / "x_train.csv").is_file():
        return load_csv(source)
    if any((source / name).exists() for name in IDX_FILES.values()):
        return load_idx(source)
    raise DataError(
        f"{source}: no Fashion-MNIST IDX files ({', '.join(IDX_FILES.values())}) "
        f"or course CSV files ({', '.join(CSV_FILES)})"
    )
