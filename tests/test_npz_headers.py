"""A crafted .npz whose headers overstate their arrays is refused before anything is read (issue 21).

Each .npy member's header (dtype, shape) and each zip entry's sizes are checked against the bytes the file
holds; a header that cannot fit is refused in one line naming the file and the array, with no large
allocation (numpy would otherwise allocate what the header declares, e.g. 8 TB, before reading).
"""

from __future__ import annotations

import io
import json
import struct
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest

from fmtwist_cli import artifacts
from fmtwist_cli.data import sources
from fmtwist_cli.errors import ArtifactError, DataError

META = np.array(json.dumps({"kind": "coords", "method": "tsne"}))


def npy(header: dict, data: bytes = b"", version: tuple[int, int] = (1, 0)) -> bytes:
    """A .npy member: a header saying anything, then ``data``."""
    buf = io.BytesIO()
    write = np.lib.format.write_array_header_1_0 if version == (1, 0) else np.lib.format.write_array_header_2_0
    write(buf, header)
    return buf.getvalue() + data


def real(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, arr, allow_pickle=False)
    return buf.getvalue()


def npz(path: Path, members: dict[str, bytes], method: int = zipfile.ZIP_STORED) -> Path:
    with zipfile.ZipFile(path, "w", method) as zf:
        for name, payload in members.items():
            zf.writestr(name, payload)
    return path


def coords_file(path: Path, coords: bytes, method: int = zipfile.ZIP_STORED) -> Path:
    """A coords artifact whose 'coords' member is ``coords``; the other members are real."""
    index = real(np.arange(3, dtype=np.int64))
    return npz(path, {"coords.npy": coords, "index.npy": index, "meta.npy": real(META)}, method)


def header(descr: str, shape: tuple) -> dict:
    return {"descr": descr, "fortran_order": False, "shape": shape}


def declared(descr: str, shape: tuple, data: bytes = b"") -> str:
    n = int(np.prod(shape, dtype=object)) * np.dtype(descr).itemsize
    return f"declares {np.dtype(descr)} of shape {shape} ({n:,} bytes), but the file holds {len(data):,} bytes of it"


OVERSTATED = {
    "a terabyte matrix in a tiny file": ("<f8", (10**6, 10**6), b"\0" * 16),
    "exabytes": ("<f4", (2**40, 2**20), b""),
    "one huge string": ("<U100000000", (), b"abcd"),
    "one row short": ("<f4", (3, 2), b"\0" * 20),
    "more bytes than declared": ("<f4", (3, 2), b"\0" * 28),
    "a scalar with no bytes": ("<i8", (), b""),
}


@pytest.fixture
def small_peak():
    """Fails the test if Python (numpy included: it reports its buffers to tracemalloc) allocates 50 MB at once."""
    tracemalloc.start()
    yield
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 50e6, f"peak allocation {peak / 1e6:.0f} MB"


@pytest.mark.parametrize("case", OVERSTATED, ids=list(OVERSTATED))
def test_an_overstated_header_is_refused_by_the_loader(tmp_path, small_peak, case):
    descr, shape, data = OVERSTATED[case]
    path = coords_file(tmp_path / "c.npz", npy(header(descr, shape), data))
    message = f"{path} is not a valid fmtwist coords file: array 'coords' {declared(descr, shape, data)}"
    with pytest.raises(ArtifactError) as caught:
        artifacts.load(path, "coords")
    assert str(caught.value) == message


@pytest.mark.parametrize("case", OVERSTATED, ids=list(OVERSTATED))
def test_an_overstated_header_is_refused_by_info_in_one_line(run, tmp_path, small_peak, case):
    descr, shape, data = OVERSTATED[case]
    path = coords_file(tmp_path / "c.npz", npy(header(descr, shape), data))
    code, out, err = run("info", path)
    assert (code, out) == (1, "")
    assert err == f"error: {path} is not a valid npz file: array 'coords' {declared(descr, shape, data)}\n"


def test_a_deflated_member_is_checked_as_well(tmp_path, small_peak):
    data = b"\0" * 16
    path = coords_file(tmp_path / "c.npz", npy(header("<f8", (10**6, 10**6)), data), zipfile.ZIP_DEFLATED)
    with pytest.raises(ArtifactError, match=r"^.*c\.npz is not a valid fmtwist coords file: array 'coords' declares"):
        artifacts.load(path, "coords")


def test_a_version_2_header_is_checked_as_well(tmp_path, small_peak):
    path = coords_file(tmp_path / "c.npz", npy(header("<f8", (10**6, 10**6)), b"", version=(2, 0)))
    with pytest.raises(ArtifactError, match=r"array 'coords' declares float64 of shape \(1000000, 1000000\)"):
        artifacts.load(path, "coords")


def test_the_source_loader_refuses_it_too(tmp_path, small_peak):
    members = {
        f"{k}.npy": real(np.zeros((2, 28, 28) if k[0] == "x" else 2, np.uint8))
        for k in ("x_train", "y_train", "x_test", "y_test")
    }
    members["x_train.npy"] = npy(header("|u1", (10**9, 28, 28)), b"\0" * 1568)
    path = npz(tmp_path / "source.npz", members)
    with pytest.raises(DataError, match=r"source\.npz is not a valid npz source: array 'x_train' declares uint8"):
        sources.load_npz(path)


def test_an_object_header_is_refused_without_unpickling(tmp_path):
    path = coords_file(tmp_path / "c.npz", npy(header("|O", (1,)), b"\x80\x04K\x01."))
    with pytest.raises(ArtifactError) as caught:
        artifacts.load(path, "coords")
    assert str(caught.value) == f"{path} holds Python objects, which fmtwist never loads (pickle is unsafe)"


@pytest.mark.parametrize(
    "member, message",
    [
        (npy(header("<f4", (-1, 2))), "array 'coords' declares a negative shape (-1, 2)"),
        (npy(header("V0", (10**12,))), "array 'coords' declares 1,000,000,000,000 items of |V0, which holds nothing"),
        (
            b"\x93NUMPY\x03\x00" + b"\0" * 60,
            "array 'coords' is in .npy format version 3.0, which fmtwist does not read",
        ),
        (b"not an npy file at all", "array 'coords' has no valid .npy header (the magic string is not correct;"),
        (b"\x93NUMPY\x01\x00\x10\x00{'descr': 1}    \n", "array 'coords' has no valid .npy header ("),
    ],
    ids=["negative shape", "zero-size items", "version 3", "no magic", "bad header"],
)
def test_other_impossible_headers_are_refused(tmp_path, member, message):
    path = coords_file(tmp_path / "c.npz", member)
    with pytest.raises(ArtifactError) as caught:
        artifacts.load(path, "coords")
    assert str(caught.value).startswith(f"{path} is not a valid fmtwist coords file: {message}")
    assert "\n" not in str(caught.value)


def _set_sizes(path: Path, name: str, file_size: int, method: int | None = None) -> None:
    """Overwrite the uncompressed size (and the method) that the zip's central directory gives member ``name``."""
    raw = bytearray(path.read_bytes())
    at = raw.index(b"PK\x01\x02")
    while True:
        name_len = struct.unpack_from("<H", raw, at + 28)[0]
        if raw[at + 46 : at + 46 + name_len] == name.encode():
            break
        at = raw.index(b"PK\x01\x02", at + 4)
    struct.pack_into("<I", raw, at + 24, file_size)
    if method is not None:
        struct.pack_into("<H", raw, at + 10, method)
    path.write_bytes(bytes(raw))


def test_a_zip_entry_that_overstates_its_size_is_refused(tmp_path, small_peak):
    """The .npy header and the zip's size agree on 3.75 GiB; the stored bytes are a few hundred."""
    big = 0xF0000000
    member = npy(header("|u1", (big - 128,)), b"")
    assert len(member) == 128
    path = coords_file(tmp_path / "c.npz", member)
    _set_sizes(path, "coords.npy", big)
    with pytest.raises(ArtifactError) as caught:
        artifacts.load(path, "coords")
    assert str(caught.value) == (
        f"{path} is not a valid fmtwist coords file: array 'coords' is stored uncompressed but declares "
        f"{big:,} bytes for 128"
    )


def test_a_deflated_entry_bigger_than_deflate_allows_is_refused(tmp_path, small_peak):
    big = 0xF0000000
    path = coords_file(tmp_path / "c.npz", npy(header("|u1", (big - 128,)), b""), zipfile.ZIP_DEFLATED)
    _set_sizes(path, "coords.npy", big)
    with pytest.raises(ArtifactError, match=r"array 'coords' declares 4,026,531,840 bytes, more than its \d+ compr"):
        artifacts.load(path, "coords")


def test_a_member_that_is_no_array_is_refused(tmp_path, run):
    path = npz(tmp_path / "x.npz", {"meta.npy": real(META), "notes.txt": b"hello"})
    code, _, err = run("info", path)
    assert (code, err) == (1, f"error: {path} is not a valid npz file: its member 'notes.txt' is not an .npy array\n")


def test_files_numpy_writes_still_load(tmp_path):
    """np.savez and np.savez_compressed files pass the checks, every dtype fmtwist reads included."""
    arrays = {"coords": np.ones((3, 2), np.float32), "index": np.arange(3), "split": np.array(["test"] * 3)}
    for save in (np.savez, np.savez_compressed):
        save(tmp_path / "c.npz", **arrays, meta=META)
        loaded = artifacts.load(tmp_path / "c.npz", "coords")
        assert {k: v.tolist() for k, v in loaded.arrays.items()} == {k: v.tolist() for k, v in arrays.items()}
        assert loaded.arrays["coords"].flags.writeable
    np.savez(tmp_path / "e.npz")
    assert artifacts.read_npz(tmp_path / "e.npz") == {}
