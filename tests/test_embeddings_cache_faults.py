"""Embedding cache faults found in operation: damaged vectors in a sound database, damaged pages seen only when
read, and a cache this user may read but not write."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from dataaudit.embeddings import EmbeddingCache, Embedder, text_hash

ROOT = Path(__file__).resolve().parent.parent
TEXTS = [f"where is my parcel number {n}" for n in range(5)]


def _unit_vectors(texts: list[str]) -> np.ndarray:
    """Stand-in for the model: a fixed unit vector per text, so these tests need no model load."""
    rows = [np.frombuffer(hashlib.sha256(t.encode()).digest() * 2, dtype=np.uint8)[:16].astype(np.float32) + 1 for t in texts]
    return np.stack([r / np.linalg.norm(r) for r in rows]).astype(np.float32)


@pytest.fixture
def no_model(monkeypatch):
    computed: list[str] = []

    def compute(self, texts):
        computed.extend(texts)
        return _unit_vectors(list(texts))

    monkeypatch.setattr(Embedder, "compute", compute)
    return computed


def test_damaged_bytes_inside_stored_vectors_are_embedded_again_with_a_warning(tmp_path, no_model):
    Embedder(cache_dir=tmp_path).embed(TEXTS)
    with sqlite3.connect(tmp_path / "embeddings.sqlite3") as connection:
        garbage = np.random.default_rng(0).standard_normal(16).astype(np.float32).tobytes()
        not_finite = np.full(16, np.nan, dtype=np.float32).tobytes()
        for text, blob in ((TEXTS[1], garbage), (TEXTS[3], not_finite)):
            connection.execute("UPDATE vectors SET vector = ? WHERE text_hash = ?", (blob, text_hash(text)))
    no_model.clear()
    second = Embedder(cache_dir=tmp_path)
    with pytest.warns(UserWarning, match="2 of 5 stored vectors were damaged"):
        vectors = second.embed(TEXTS)
    assert sorted(no_model) == [TEXTS[1], TEXTS[3]]
    assert (second.stats.computed, second.stats.from_cache) == (2, 3)
    assert np.array_equal(vectors, _unit_vectors(TEXTS))
    third = Embedder(cache_dir=tmp_path)  # the re-embedded rows were written over the damaged ones
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        third.embed(TEXTS)
    assert (third.stats.computed, third.stats.from_cache) == (0, 5)


def _damage_pages_after_the_schema(path: Path) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = connection.execute("PRAGMA page_size").fetchone()[0]
    data = bytearray(path.read_bytes())
    noise = np.random.default_rng(1).integers(0, 256, len(data) - page_size, dtype=np.uint8).tobytes()
    data[page_size:] = noise  # page 1 (the schema) intact: the cache opens, its rows do not read
    path.write_bytes(bytes(data))


def test_pages_found_damaged_only_when_read_are_moved_aside_and_rebuilt_once(tmp_path):
    cache = EmbeddingCache(tmp_path)
    hashes = [text_hash(f"text {i}") for i in range(2000)]
    cache.put_many("m", [(h, v) for h, v in zip(hashes, _unit_vectors([str(i) for i in range(2000)]))])
    _damage_pages_after_the_schema(cache.path)
    with sqlite3.connect(cache.path) as connection:  # damage that does not show at open
        connection.execute("SELECT name FROM sqlite_master").fetchall()
    with pytest.warns(UserWarning, match="was corrupt"):
        assert cache.get_many("m", hashes) == {}
    aside = tmp_path / f"embeddings.sqlite3.corrupt-{os.getpid()}"
    assert aside.is_file() and aside.stat().st_size > 2000 * 16 * 4
    cache.put_many("m", [(hashes[0], _unit_vectors(["0"])[0])])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the new cache is sound: no warning, no second move
        assert list(EmbeddingCache(tmp_path).get_many("m", hashes)) == [hashes[0]]


_READ_ONLY_RUN = """
import sys, warnings
import numpy as np
from dataaudit.embeddings import Embedder
from tests.test_embeddings_cache_faults import TEXTS, _unit_vectors
Embedder.compute = lambda self, texts: _unit_vectors(list(texts))
embedder = Embedder(cache_dir=sys.argv[1])
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    vectors = embedder.embed(TEXTS + ["a new text", "another new text"])
    embedder.embed(["a third new text"])
assert np.array_equal(vectors, _unit_vectors(TEXTS + ["a new text", "another new text"]))
print(embedder.stats.from_cache, embedder.stats.computed)
for w in caught:
    print(str(w.message))
"""


def _as_a_user_who_cannot_write(folder: Path) -> subprocess.CompletedProcess:
    """Root writes anyway; root without capabilities (setpriv) stands in for the other user."""
    command = [sys.executable, "-c", _READ_ONLY_RUN, str(folder)]
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv: cannot take write permission away")
        command = ["setpriv", "--bounding-set=-all", "--inh-caps=-all", *command]
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=environment, timeout=120)


@pytest.mark.parametrize("folder_writable", [False, True], ids=["read-only folder", "read-only file"])
def test_a_cache_this_user_cannot_write_is_read_and_new_vectors_are_not_stored(tmp_path, no_model, folder_writable):
    folder = tmp_path / "shared"
    Embedder(cache_dir=folder).embed(TEXTS)
    with sqlite3.connect(folder / "embeddings.sqlite3") as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for leftover in folder.glob("embeddings.sqlite3-*"):
        leftover.unlink()
    before = (folder / "embeddings.sqlite3").read_bytes()
    (folder / "embeddings.sqlite3").chmod(0o444)
    folder.chmod(0o777 if folder_writable else 0o555)
    try:
        run = _as_a_user_who_cannot_write(folder)
    finally:
        folder.chmod(0o755)
        (folder / "embeddings.sqlite3").chmod(0o644)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == "5 3"
    assert len(lines) == 2 and "is read-only: its vectors are used, but the ones this run embeds are not stored" in lines[1]
    assert (folder / "embeddings.sqlite3").read_bytes() == before


def _bf16_like(texts: list[str]) -> np.ndarray:
    """A custom model in bfloat16: normalised in bf16, so each row's norm is off 1 by up to a few 1e-3; and one
    text the model embeds to all zeros."""
    rows = _unit_vectors(texts).astype(np.float64)
    rows *= 1 + np.array([(hashlib.sha256(t.encode()).digest()[0] / 255 - 0.5) * 7.2e-3 for t in texts])[:, None]
    rows[[i for i, t in enumerate(texts) if t == ""]] = 0.0
    return rows.astype(np.float32)


def test_a_model_normalising_loosely_or_embedding_a_text_to_zero_is_read_from_the_cache_on_the_next_run(tmp_path, monkeypatch):
    # 1375 of 2000 bf16 vectors were rejected as damaged at every run, and a zero vector was flagged every run.
    computed: list[str] = []

    def compute(self, texts):
        computed.extend(texts)
        return _bf16_like(list(texts))

    monkeypatch.setattr(Embedder, "compute", compute)
    texts = TEXTS + [""]
    first = Embedder(cache_dir=tmp_path).embed(texts)
    raw = np.linalg.norm(_bf16_like(TEXTS).astype(np.float64), axis=1)
    assert np.abs(raw - 1).max() > 1e-3  # as loose as the checks refused
    norms = np.linalg.norm(first.astype(np.float64), axis=1)
    assert np.abs(norms[:-1] - 1).max() < 1e-6 and norms[-1] == 0  # stored and returned unit, the zero row as given
    computed.clear()
    second = Embedder(cache_dir=tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = second.embed(texts)
    assert computed == [] and (second.stats.computed, second.stats.from_cache) == (0, 6)
    assert np.array_equal(again, first)
    # Rows computed on an engine's workers and stored by them are normalised the same way.
    worker = Embedder(cache_dir=tmp_path / "shared")
    assert worker.store(texts, _bf16_like(texts))
    computed.clear()
    read = Embedder(cache_dir=tmp_path / "shared")
    assert np.array_equal(read.embed(texts), first) and computed == []


class _OpensNot:
    """mode=ro on a WAL database whose -shm is gone, in a folder this user cannot write: fails at the first query."""

    def __init__(self, connection):
        self.connection = connection

    def execute(self, sql, *args):
        raise sqlite3.OperationalError("unable to open database file")

    def close(self):
        self.connection.close()


class _ReadBreaks:
    """A connection whose rows cannot be read: what an immutable read meets when the owner writes meanwhile."""

    def __init__(self, connection):
        self.connection = connection

    def execute(self, sql, *args):
        if sql.startswith("SELECT text_hash"):
            raise sqlite3.DatabaseError("database disk image is malformed")
        return self.connection.execute(sql, *args)

    def close(self):
        self.connection.close()


@pytest.mark.parametrize("owner_still_writing", [True, False])
def test_a_read_only_cache_its_owner_writes_while_it_is_read_is_tried_again_with_mode_ro_then_named_as_such(
        tmp_path, no_model, monkeypatch, owner_still_writing):
    # The warning said the cache was "unusable (database disk image is malformed)": a cache another user is filling.
    Embedder(cache_dir=tmp_path).embed(TEXTS)
    opened: list[str] = []
    connect = sqlite3.connect

    def read_only_connect(target, *args, **kwargs):
        if not kwargs.get("uri"):  # the writable open: this user may not write the cache
            raise sqlite3.OperationalError("attempt to write a readonly database")
        query = str(target).rsplit("?", 1)[1]
        opened.append(query)
        connection = connect(target, *args, **kwargs)
        if query == "mode=ro" and len(opened) == 1:  # no -shm yet: SQLite reads it only as immutable
            return _OpensNot(connection)
        if query == "mode=ro" and owner_still_writing:  # the owner's write moved the file, and still no -shm to share
            cache_file = tmp_path / "embeddings.sqlite3"
            os.utime(cache_file, ns=(cache_file.stat().st_atime_ns, cache_file.stat().st_mtime_ns + 10**9))
            return _OpensNot(connection)
        return _ReadBreaks(connection) if query == "immutable=1" else connection

    monkeypatch.setattr(sqlite3, "connect", read_only_connect)
    no_model.clear()
    embedder = Embedder(cache_dir=tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        embedder.embed(TEXTS)
    said = [str(w.message) for w in caught]
    assert opened == ["mode=ro", "immutable=1", "mode=ro"]
    if owner_still_writing:
        assert said[0] == f"embedding cache {tmp_path / 'embeddings.sqlite3'} was read while its owner was writing; embedding without it"
        assert not any("malformed" in s or "unusable" in s for s in said) and sorted(no_model) == sorted(TEXTS)
    else:  # mode=ro shares the owner's -shm now: a consistent read
        assert embedder.stats.from_cache == 5 and no_model == [] and not any("owner" in s for s in said)


def test_a_read_only_cache_whose_read_fails_unmoved_is_damage_not_a_write(tmp_path, no_model, monkeypatch):
    """Read as immutable, the read fails, mode=ro still cannot open, and the file has not moved since it was opened:
    nobody was writing it, so its error is said as the damage it is, not as an owner's write."""
    Embedder(cache_dir=tmp_path).embed(TEXTS)
    connect = sqlite3.connect

    def read_only_connect(target, *args, **kwargs):
        if not kwargs.get("uri"):
            raise sqlite3.OperationalError("attempt to write a readonly database")
        connection = connect(target, *args, **kwargs)
        return _ReadBreaks(connection) if str(target).endswith("immutable=1") else _OpensNot(connection)

    monkeypatch.setattr(sqlite3, "connect", read_only_connect)
    no_model.clear()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Embedder(cache_dir=tmp_path).embed(TEXTS)
    said = [str(w.message) for w in caught]
    assert any("unusable" in s for s in said) and not any("owner" in s for s in said), said
