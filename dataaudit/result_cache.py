"""Measured results reused when nothing they were measured from has changed.

A scheduled audit often re-reads an export that did not change since the last run. The expensive checks
(cross-validated label noise, the coverage estimate, the semantic duplicate search) are pure functions of
the inputs, the config, the files the config names (`referenced_file_states`: a models file, a tokenizer, the
eval set), the embedding model and the code, so their results are stored under a fingerprint of exactly those,
and a later run with the same fingerprint reads them instead of measuring again. Any change (a byte of an input
file, a config value, an edited or deleted file the config names, the same config in another folder, another
model, an edited module of dataaudit, another version of a library that measures) gives another fingerprint,
so a stale result is never reused.

A step measured on arrays alone is keyed by those arrays' bytes instead (`array_fingerprint`), so a run whose
other inputs changed still reuses it: the coverage check's clustering of production inputs into scenarios,
which a batch of new training records leaves as it was.

Entries are pickles in the user's own cache folder (as joblib.Memory stores its results); an entry that does
not load is ignored and measured again. The newest `KEEP_ENTRIES` are kept.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import pickle
import tempfile
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any, Iterable

from . import __version__

KEEP_ENTRIES = 32
# Libraries whose version can change a measured figure.
MEASURING_LIBRARIES = ("numpy", "scipy", "scikit-learn", "cleanlab", "faiss-cpu", "rapidfuzz", "krippendorff", "bpe-openai",
                       "phonenumbers", "python-stdnum", "detect-secrets", "pandas")


@lru_cache(maxsize=1)
def code_identity() -> str:
    """A hash of dataaudit's own source and templates, and of the measuring libraries' versions."""
    digest = hashlib.sha256(__version__.encode())
    package = Path(__file__).resolve().parent
    for path in sorted(package.rglob("*")):
        if path.suffix in (".py", ".toml", ".json") and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(package)).encode())
            digest.update(path.read_bytes())
    for name in MEASURING_LIBRARIES:
        try:
            digest.update(f"{name}={metadata.version(name)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name}=absent".encode())
    return digest.hexdigest()


def fingerprint(*, inputs: Iterable[tuple[str, str, str, int]], config: dict[str, Any], model: str, extra: Iterable[str] = ()) -> str | None:
    """The identity of what the checks measure: (role, path, sha256, records) per input file, the whole
    config, the embedding model's identity. None when an input has no content hash (nothing to key on)."""
    digest = hashlib.sha256(code_identity().encode())
    for role, path, sha256, records in inputs:
        if not sha256:
            return None
        digest.update(json.dumps([role, path, sha256, records]).encode())
    digest.update(json.dumps(config, sort_keys=True, default=str).encode())
    digest.update(model.encode())
    for item in extra:
        digest.update(item.encode())
    return digest.hexdigest()


# The files of a Hugging Face tokenizer that dataaudit.tokens.HFTokenizer reads: a tokenizer folder may also hold
# the model's weights, gigabytes that no count depends on.
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja")


def _file_state(path: Path, content: bool) -> str:
    """A file's identity: its bytes' sha256 (content), else its size, mtime and inode; 'missing', 'folder'."""
    try:
        stat = path.stat()
    except OSError:
        return "missing"
    if path.is_dir():
        return "folder"
    if not content:
        return f"stat:{stat.st_size}:{stat.st_mtime_ns}:{stat.st_ino}"
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        return f"unreadable:{exc.errno}"
    return f"sha256:{digest.hexdigest()}"


def _tokenizer_files(location: Path) -> list[Path]:
    folder = location if location.is_dir() else location.parent
    given = [] if location.is_dir() else [location]
    return given + [folder / name for name in TOKENIZER_FILES if folder / name != location]


def referenced_file_states(config) -> list[str]:
    """The identity of every file the config names that a check reads besides the inputs, by its absolute path
    (config_paths: a config file's paths are relative to it): the same config copied to another folder, a file
    edited or deleted, is another key. A file read whole is keyed by its bytes; the eval set, of which the
    maintenance check reads only whether it is there and holds something, by its size, mtime and inode, so a
    large eval set is not read to key a check that does not read it. The embedding model is keyed by the
    embedder's identity (fingerprint's model) and the cache folder holds results rather than feeding them."""
    from .config_paths import config_path

    states = []
    for key, content in (("tokens.models_file", True), ("tokens.tokenizer", True), ("maintenance.eval_set", False)):
        value = config_path(config, key)
        if not value:
            continue
        location = Path(value).absolute()
        files = _tokenizer_files(location) if key == "tokens.tokenizer" else [location]
        states.append(json.dumps([key, str(location), [[str(f), _file_state(f, content)] for f in files]]))
    return states


def results_folder(embeddings) -> Path | None:
    """Where results are kept under these embedding settings (config.embeddings); None when caching is off.
    Kept on this machine even when the embedding cache is a shared URI: they are small and read once."""
    from .embeddings import default_cache_dir
    from .load.files import is_uri

    if not embeddings.cache:
        return None
    local = embeddings.cache_dir and not is_uri(embeddings.cache_dir)
    return Path(embeddings.cache_dir) / "results" if local else default_cache_dir().parent / "results"


def array_fingerprint(purpose: str, arrays: Iterable[Any], settings: dict[str, Any]) -> str:
    """The identity of a step measured on arrays alone: the code, the arrays' exact bytes, dtypes and shapes,
    and the settings the step reads."""
    digest = hashlib.sha256(code_identity().encode())
    digest.update(purpose.encode())
    for array in arrays:
        digest.update(f"{array.dtype.str}{array.shape}".encode())
        digest.update(memoryview(array).cast("B") if array.flags.c_contiguous else array.tobytes())
    digest.update(json.dumps(settings, sort_keys=True, default=str).encode())
    return digest.hexdigest()


class ResultCache:
    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def _entry(self, key: str) -> Path:
        return self.folder / f"{key}.pickle"

    def get(self, key: str) -> dict[str, Any] | None:
        path = self._entry(key)
        try:
            with path.open("rb") as handle:
                results = pickle.load(handle)
        except FileNotFoundError:
            return None
        except Exception:  # a truncated or foreign entry: measure again, it will be rewritten
            return None
        if not isinstance(results, dict):
            return None
        try:
            os.utime(path)  # keep recently used entries when pruning
        except OSError:
            pass  # another audit pruned it since it was read, or the folder is read-only: the result stands
        return results

    def put(self, key: str, results: dict[str, Any]) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".tmp-", suffix=".pickle")
            with os.fdopen(fd, "wb") as handle:
                pickle.dump(results, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self._entry(key))
        except (OSError, pickle.PicklingError, TypeError, AttributeError):
            # A cache that cannot be written only costs the next run its speed-up.
            try:
                os.unlink(tmp)
            except (OSError, UnboundLocalError):
                pass
            return
        self._prune()

    def _prune(self) -> None:
        """Another audit may prune the same folder at once: an entry it removed first is simply gone."""
        dated: list[tuple[float, Path]] = []
        try:
            for path in self.folder.glob("*.pickle"):
                try:
                    dated.append((path.stat().st_mtime, path))
                except OSError:
                    continue
        except OSError:
            return
        dated.sort(key=lambda entry: entry[0], reverse=True)
        for _, stale in dated[KEEP_ENTRIES:]:
            try:
                stale.unlink()
            except OSError:
                pass


def refresh_run_state(result: Any, run_state: dict[str, Any]) -> Any:
    """A reused result with fields that describe this run (the embedding cache counts) gets this run's values."""
    if not dataclasses.is_dataclass(result):
        return result
    names = {f.name for f in dataclasses.fields(result)}
    changes = {name: value for name, value in run_state.items() if name in names}
    return dataclasses.replace(result, **changes) if changes else result
