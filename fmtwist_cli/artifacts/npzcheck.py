"""An ``.npz``'s members checked before any byte of an array is read.

An ``.npz`` is a zip of ``.npy`` files, each a small header (dtype, shape)
then the array's bytes. numpy allocates what the header declares before it
reads, so a header that overstates its array by a factor of a million turns a
tiny crafted file into a MemoryError (or a machine that swaps). Here every
member's sizes in the zip and its header are read first, and the file is
refused unless each array's declared bytes are exactly the bytes it holds.
"""

from __future__ import annotations

import math
import zipfile
from pathlib import Path
from typing import IO

import numpy as np

from fmtwist_cli.errors import ArtifactError

# Deflate cannot expand one byte into more than 1032 (zlib's technical details), so a compressed member that
# declares more than this is lying about its size.
DEFLATE_MAX_RATIO = 1032
READ_HEADERS = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}


def check_members(zf: zipfile.ZipFile, path: Path, what: str, file_bytes: int) -> dict[str, zipfile.ZipInfo]:
    """Each array's name (as np.load gives it) and zip member, once every member is checked: an .npy array whose
    header fits the bytes it holds, none holding Python objects. Raises ArtifactError naming the file and the
    array."""
    members: dict[str, zipfile.ZipInfo] = {}
    for info in zf.infolist():
        name = info.filename
        if not name.endswith(".npy"):
            raise ArtifactError(f"{path} is not a valid {what}: its member '{name}' is not an .npy array")
        key = name[: -len(".npy")]
        if key in members:
            raise ArtifactError(f"{path} is not a valid {what}: it holds two arrays named '{key}'")
        _check_zip_sizes(info, path, what, key, file_bytes)
        with zf.open(info) as npy:
            _check_header(npy, info.file_size, path, what, key)
        members[key] = info
    return members


def _check_zip_sizes(info: zipfile.ZipInfo, path: Path, what: str, key: str, file_bytes: int) -> None:
    """The member's sizes in the zip directory are possible for a file of ``file_bytes`` bytes."""
    where = f"{path} is not a valid {what}: array '{key}'"
    if info.compress_size > file_bytes:
        raise ArtifactError(f"{where} declares {info.compress_size:,} bytes in a file of {file_bytes:,}")
    if info.compress_type == zipfile.ZIP_STORED:
        if info.file_size != info.compress_size:
            raise ArtifactError(
                f"{where} is stored uncompressed but declares {info.file_size:,} bytes for {info.compress_size:,}"
            )
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        if info.file_size > DEFLATE_MAX_RATIO * info.compress_size + 64:
            raise ArtifactError(
                f"{where} declares {info.file_size:,} bytes, more than its {info.compress_size:,} compressed "
                "bytes can hold"
            )
    else:
        raise ArtifactError(
            f"{where} is compressed with zip method {info.compress_type}, which fmtwist does not read "
            "(np.savez and np.savez_compressed store or deflate)"
        )


def _check_header(npy: IO[bytes], member_bytes: int, path: Path, what: str, key: str) -> None:
    """The .npy header of one member: a version numpy writes, no Python objects, and exactly as many bytes of data
    as its dtype and shape declare."""
    where = f"{path} is not a valid {what}: array '{key}'"
    try:
        version = np.lib.format.read_magic(npy)
        if version not in READ_HEADERS:
            raise ArtifactError(
                f"{where} is in .npy format version {version[0]}.{version[1]}, which fmtwist does not read"
            )
        shape, _, dtype = READ_HEADERS[version](npy)
    except ValueError as exc:
        raise ArtifactError(f"{where} has no valid .npy header ({' '.join(str(exc).split())})") from None
    if dtype.hasobject:
        raise ArtifactError(f"{path} holds Python objects, which fmtwist never loads (pickle is unsafe)")
    if any(d < 0 for d in shape):
        raise ArtifactError(f"{where} declares a negative shape {shape}")
    count = math.prod(shape)
    if dtype.itemsize == 0 and count:
        raise ArtifactError(f"{where} declares {count:,} items of {dtype}, which holds nothing")
    declared, held = count * dtype.itemsize, member_bytes - npy.tell()
    if declared != held:
        raise ArtifactError(
            f"{where} declares {dtype} of shape {shape} ({declared:,} bytes), but the file holds {held:,} bytes of it"
        )
