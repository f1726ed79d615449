"""The traced embedding model: written after a cold run, equal to sentence-transformers, refused when not."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from dataaudit import traced_model
from dataaudit.embeddings import Embedder
from dataaudit.traced_model import PROBE_TEXTS, load_traced, save_traced, trace_folder

ROOT = Path(__file__).resolve().parent.parent
FIRST = [f"where is my parcel number {n}, it was due on monday" for n in range(12)] + ["reset my password", "hi"]
BATCH = ["Crème brûlée for two at 7pm?", "¿Dónde está mi tarjeta?", "the app crashes when I open settings " * 40,
         "", "🙂", "transfer 500 dollars from savings to checking"]


@pytest.fixture(scope="module")
def model():
    return Embedder(use_cache=False)._load()


def _reference(texts: list[str]) -> np.ndarray:
    return Embedder(use_cache=False).compute(texts)  # no cache, so no trace: sentence-transformers itself


def _folder(cache: Path) -> Path:
    return trace_folder(cache, Embedder(cache_dir=cache).ref.identity)


def test_a_cold_run_leaves_a_trace_and_the_next_run_embeds_with_it_without_sentence_transformers(tmp_path):
    Embedder(cache_dir=tmp_path, trace_min_texts=1).embed(FIRST)
    meta = json.loads((_folder(tmp_path) / "meta.json").read_text())
    assert meta["usable"] and meta["input_names"] == ["input_ids", "attention_mask", "token_type_ids"]
    script = ("import json, sys; from dataaudit.embeddings import Embedder; "
              f"e = Embedder(cache_dir={str(tmp_path)!r}); v = e.embed(json.loads(sys.argv[1])); "
              "print(json.dumps({'st': 'sentence_transformers' in sys.modules, 'computed': e.stats.computed, "
              "'vectors': v.tolist()}))")
    run = subprocess.run([sys.executable, "-c", script, json.dumps(FIRST + BATCH)], capture_output=True, text=True,
                         cwd=ROOT, check=True)
    batch = json.loads(run.stdout)
    assert batch["st"] is False and batch["computed"] == len(BATCH)
    vectors = np.array(batch["vectors"], dtype=np.float32)
    assert np.abs(vectors[len(FIRST):] - _reference(BATCH)).max() <= traced_model.VERIFY_TOLERANCE
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)


def test_a_new_trace_removes_the_same_models_traces_from_other_library_versions(tmp_path, model):
    traced = tmp_path / "traced"
    for name, identity in (("old-torch", "model-a"), ("other-model", "model-b")):
        (traced / name).mkdir(parents=True)
        (traced / name / "meta.json").write_text(json.dumps({"usable": True, "model": identity}))
    assert save_traced(model, traced / "new", list(PROBE_TEXTS), batch_size=4, model_identity="model-a") == ""
    assert sorted(p.name for p in traced.iterdir()) == ["new", "other-model"]
    assert json.loads((traced / "new" / "meta.json").read_text())["model"] == "model-a"


def test_a_run_below_the_minimum_leaves_no_trace(tmp_path):
    Embedder(cache_dir=tmp_path, trace_min_texts=len(FIRST) + 1).embed(FIRST)
    assert not (tmp_path / "traced").exists()


def test_a_trace_that_tokenises_otherwise_is_marked_unusable_and_never_loaded(tmp_path, model, monkeypatch):
    original = traced_model._replica_tokenizer

    def truncating_early(st_model):
        tokenizer = original(st_model)
        tokenizer.enable_truncation(max_length=8)
        return tokenizer

    monkeypatch.setattr(traced_model, "_replica_tokenizer", truncating_early)
    folder = tmp_path / "trace"
    reason = save_traced(model, folder, list(PROBE_TEXTS), batch_size=4)
    assert "input_ids differ" in reason
    assert json.loads((folder / "meta.json").read_text())["usable"] is False
    assert not (folder / "model.pt").exists() and load_traced(folder) is None


def test_a_damaged_trace_warns_embeds_with_sentence_transformers_and_is_traced_again(tmp_path):
    Embedder(cache_dir=tmp_path, trace_min_texts=1).embed(FIRST)
    folder = _folder(tmp_path)
    (folder / "model.pt").write_bytes(b"truncated by a full disk")
    embedder = Embedder(cache_dir=tmp_path, trace_min_texts=1)
    with pytest.warns(UserWarning, match="traced model .* is unusable"):
        vectors = embedder.embed(BATCH)
    assert np.abs(vectors - _reference(BATCH)).max() <= traced_model.VERIFY_TOLERANCE
    assert np.abs(load_traced(folder).encode(BATCH, 4) - vectors).max() <= traced_model.VERIFY_TOLERANCE


def test_the_trace_folder_changes_with_the_model_and_the_libraries(tmp_path, monkeypatch):
    first = trace_folder(tmp_path, "model-a")
    assert trace_folder(tmp_path, "model-b") != first
    monkeypatch.setattr(traced_model, "_version", lambda package: "9.9" if package == "torch" else "1.0")
    assert trace_folder(tmp_path, "model-a") != first


def test_a_traced_folder_that_cannot_be_written_warns_and_the_run_goes_on(tmp_path):
    (tmp_path / "traced").write_text("another user's, or a read-only mount: mkdir under it fails as it would there")
    embedder = Embedder(cache_dir=tmp_path, trace_min_texts=1)
    with pytest.warns(UserWarning, match=r"traced model was not saved in .*traced .*load sentence-transformers"):
        vectors = embedder.embed(FIRST)
    assert vectors.shape == (len(FIRST), 384) and embedder.stats.computed == len(FIRST)
    assert (tmp_path / "traced").is_file() and (tmp_path / "embeddings.sqlite3").is_file()


def test_tracing_quiets_transformers_logger_and_restores_every_level(tmp_path, monkeypatch):
    """transformers logged "`loss_type=None` was set in the config but it is unrecognized" to stderr while the
    tracer read the model's properties: audit() printed on a cold run. Only sentence-transformers' was quieted."""
    import logging

    heard = []

    class Heard(logging.Handler):
        def emit(self, record):
            heard.append(record.getMessage())

    listener = Heard()
    for name in ("transformers", "sentence_transformers"):  # transformers' own handler: it does not propagate to root
        logging.getLogger(name).addHandler(listener)

    def loud_trace(module, inputs, check_trace):
        logging.getLogger("transformers.modeling_utils").warning("`loss_type=None` was set in the config")
        logging.getLogger("sentence_transformers.models").warning("a deprecated attribute")
        raise RuntimeError("no trace here")

    import torch

    monkeypatch.setattr(torch.jit, "trace", loud_trace)
    model = Embedder(use_cache=False)._load()  # first: importing transformers sets its logger's level
    library = logging.getLogger("transformers")
    before = library.level
    library.setLevel(logging.INFO)  # a caller's own choice, to be given back
    try:
        reason = save_traced(model, tmp_path / "traced", ["hello"], 8)
        logging.getLogger("transformers.modeling_utils").warning("after tracing")
    finally:
        for name in ("transformers", "sentence_transformers"):
            logging.getLogger(name).removeHandler(listener)
        restored = library.level
        library.setLevel(before)
    assert reason == "it does not trace (RuntimeError: no trace here)"
    assert heard == ["after tracing"]
    assert restored == logging.INFO
