"""Every file format fmtwist writes or reads, in one package, a module per job.

- :mod:`.atomic`: atomic writes, folder checks, JSON reading and writing;
- :mod:`.formats`: the ``.npz`` kinds (arrays, dtypes, shapes), validation, save and load;
- :mod:`.npzcheck`: every ``.npz`` member's header checked against the bytes the file holds, before it is read;
- :mod:`.meta`: each ``.npz`` kind's metadata as a typed record (``art.record``);
- :mod:`.jsonfiles`: the JSON kinds: the answer key (and its digit encoding) and training histories;
- :mod:`.rows`: do an artifact's row indices point at real images;
- :mod:`.provenance`: the SHA-256 of every input, and the checks that compare them;
- :mod:`.info`: what any artifact is, for ``fmtwist info``.

Everyone imports the package (``from fmtwist_cli import artifacts; artifacts.save(...)``);
the names below are its public interface.
"""

from fmtwist_cli.artifacts.atomic import atomic_path, check_writable, load_json, save_json, write_bytes, write_text
from fmtwist_cli.artifacts.formats import FORMATS, Artifact, Field, Format, load, read_npz, save, validate
from fmtwist_cli.artifacts.info import describe
from fmtwist_cli.artifacts.jsonfiles import (
    ANSWER_KEY,
    HISTORY,
    HISTORY_KEYS,
    JsonKind,
    encode_digits,
    load_answer_key,
    load_history,
    save_answer_key,
)
from fmtwist_cli.artifacts.meta import RECORDS, ClustersMeta, CoordsMeta, DataMeta, EmbeddingsMeta, Meta
from fmtwist_cli.artifacts.provenance import (
    LIBRARIES,
    ROLE_NOUNS,
    check_made_from,
    check_same_input,
    file_sha256,
    input_entry,
    input_mismatch,
    provenance,
    provenance_of,
    recorded_input,
    versions,
)
from fmtwist_cli.artifacts.rows import check_rows, check_same_rows, split_sizes

__all__ = [
    "ANSWER_KEY",
    "FORMATS",
    "HISTORY",
    "HISTORY_KEYS",
    "LIBRARIES",
    "RECORDS",
    "ROLE_NOUNS",
    "Artifact",
    "ClustersMeta",
    "CoordsMeta",
    "DataMeta",
    "EmbeddingsMeta",
    "Field",
    "Format",
    "JsonKind",
    "Meta",
    "atomic_path",
    "check_made_from",
    "check_rows",
    "check_same_rows",
    "check_same_input",
    "check_writable",
    "describe",
    "encode_digits",
    "file_sha256",
    "input_entry",
    "input_mismatch",
    "load",
    "load_answer_key",
    "load_history",
    "load_json",
    "provenance",
    "provenance_of",
    "read_npz",
    "recorded_input",
    "save",
    "save_answer_key",
    "save_json",
    "split_sizes",
    "validate",
    "versions",
    "write_bytes",
    "write_text",
]
