"""A re-run of unchanged inputs reuses measured results; any change to inputs, config or code measures again."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import pickle
from pathlib import Path

import pytest

from dataaudit.api import audit
from dataaudit.config import load_config
from dataaudit.result_cache import (TOKENIZER_FILES, ResultCache, code_identity, fingerprint, referenced_file_states,
                                    refresh_run_state)
from tests.conftest import noted_reuse

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
# tokens is not among them: without a target model it does not run (not_run, with why), so nothing is reused
EXPENSIVE = ("label_noise", "duplicates", "coverage", "agreement")


def _config(folder: Path, **embeddings):
    config = load_config(None)
    return dataclasses.replace(config, embeddings=dataclasses.replace(config.embeddings, cache_dir=str(folder), **embeddings))


def _comparable(report) -> dict:
    data = json.loads(json.dumps(report.to_dict()))
    data.pop("generated_at")
    data["checks"].pop("embeddings")
    data["checks"]["coverage"].pop("embeddings")
    for run in data["check_runs"].values():
        run.pop("reused")
    return data


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    cache = tmp_path_factory.mktemp("cache")
    config = _config(cache)
    args = (SAMPLE / "support_tickets.jsonl", config)
    first = audit(*args, production=SAMPLE / "production.jsonl")
    second = audit(*args, production=SAMPLE / "production.jsonl")
    return cache, config, first, second


def test_unchanged_inputs_reuse_every_measured_result_and_give_the_same_report(two_runs):
    cache, _, first, second = two_runs
    assert not any(run.reused for run in first.checks.runs.values())
    reused = {name for name, run in second.checks.runs.items() if run.reused}
    assert set(EXPENSIVE) <= reused
    assert "embeddings" not in reused  # its counts describe this run: everything came from the cache
    assert second.checks["embeddings"].computed == 0 and second.checks["embeddings"].from_cache == first.checks["embeddings"].computed
    assert second.checks["coverage"].embeddings["computed"] == 0  # a reused result shows this run's cache counts
    assert _comparable(first) == _comparable(second)
    assert second.to_dict()["check_runs"]["label_noise"]["reused"] is True
    assert len(list((cache / "results").glob("*.pickle"))) == 1


def test_a_changed_byte_or_config_value_measures_again(two_runs, tmp_path):
    cache, config, first, _ = two_runs
    changed = tmp_path / "support_tickets.jsonl"
    changed.write_bytes((SAMPLE / "support_tickets.jsonl").read_bytes() + b"\n")  # one more (blank) byte
    after_edit = audit(changed, config, production=SAMPLE / "production.jsonl")
    assert not any(run.reused for run in after_edit.checks.runs.values())
    stricter = dataclasses.replace(config, duplicates=dataclasses.replace(config.duplicates, near_cosine=0.80))
    after_config = audit(SAMPLE / "support_tickets.jsonl", stricter, production=SAMPLE / "production.jsonl")
    assert not any(run.reused for run in after_config.checks.runs.values())
    assert after_config.checks["duplicates"] != first.checks["duplicates"]


def test_no_cache_reads_and_writes_no_results(tmp_path):
    config = _config(tmp_path / "cache", cache=False)
    report = audit(SAMPLE / "support_tickets.jsonl", config, embed=False)
    again = audit(SAMPLE / "support_tickets.jsonl", config, embed=False)
    assert not any(run.reused for run in again.checks.runs.values())
    assert not (tmp_path / "cache" / "results").exists()
    assert report.verdict.status == again.verdict.status


def test_a_corrupt_entry_is_measured_again_and_rewritten(tmp_path):
    config = _config(tmp_path / "cache")
    audit(SAMPLE / "support_tickets.jsonl", config, embed=False)
    (entry,) = (tmp_path / "cache" / "results").glob("*.pickle")
    entry.write_bytes(b"not a pickle")
    again = audit(SAMPLE / "support_tickets.jsonl", config, embed=False)
    assert not any(run.reused for run in again.checks.runs.values())
    assert isinstance(pickle.loads(entry.read_bytes()), dict)
    third = audit(SAMPLE / "support_tickets.jsonl", config, embed=False)
    assert third.checks.runs["duplicates"].reused


def test_fingerprint_changes_with_every_input_it_names():
    base = dict(inputs=[("train", "a.jsonl", "ab" * 32, 10)], config={"x": 1}, model="m")
    key = fingerprint(**base)
    assert key == fingerprint(**base)
    assert key != fingerprint(**{**base, "inputs": [("train", "a.jsonl", "cd" * 32, 10)]})
    assert key != fingerprint(**{**base, "inputs": [("train", "b.jsonl", "ab" * 32, 10)]})
    assert key != fingerprint(**{**base, "config": {"x": 2}})
    assert key != fingerprint(**{**base, "model": "other"})
    assert key != fingerprint(**base, extra=["prompt log sha"])
    assert fingerprint(**{**base, "inputs": [("train", "a.jsonl", "", 10)]}) is None  # nothing to key on
    assert len(code_identity()) == 64


def test_cache_keeps_the_newest_entries(tmp_path, monkeypatch):
    monkeypatch.setattr("dataaudit.result_cache.KEEP_ENTRIES", 3)
    cache = ResultCache(tmp_path)
    for k in range(5):
        cache.put(f"k{k}", {"n": k})
    assert sorted(p.stem for p in tmp_path.glob("*.pickle")) == ["k2", "k3", "k4"]
    assert cache.get("k4") == {"n": 4} and cache.get("k0") is None


def test_refresh_run_state_replaces_only_named_fields():
    @dataclasses.dataclass(frozen=True)
    class Result:
        embeddings: dict
        share: float

    fresh = refresh_run_state(Result({"computed": 5}, 0.5), {"embeddings": {"computed": 0}})
    assert fresh == Result({"computed": 0}, 0.5)
    assert refresh_run_state(None, {"embeddings": {}}) is None


def test_a_parquet_embedding_cache_keeps_results_beside_it_and_embeds_nothing_twice(tmp_path):
    config = _config(tmp_path / "shared", cache_format="parquet")
    first = audit(SAMPLE / "support_eval.jsonl", config)
    assert list((tmp_path / "shared").glob("model=*/part-*.parquet"))
    assert not (tmp_path / "shared" / "embeddings.sqlite3").exists()
    again = audit(SAMPLE / "support_eval.jsonl", config)
    assert (again.checks["embeddings"].computed, again.checks["embeddings"].from_cache) == (0, first.checks["embeddings"].computed)
    assert again.checks.runs["duplicates"].reused and list((tmp_path / "shared" / "results").glob("*.pickle"))


def test_an_entry_pruned_between_read_and_touch_is_still_returned(tmp_path, monkeypatch):
    cache = ResultCache(tmp_path)
    cache.put("k", {"x": 1})
    real_open = Path.open

    def open_then_pruned(self, *args, **kwargs):
        handle = real_open(self, *args, **kwargs)
        self.unlink()  # another audit's prune removes the entry after this one opened it
        return handle

    monkeypatch.setattr(Path, "open", open_then_pruned)
    assert cache.get("k") == {"x": 1}


def test_prune_tolerates_entries_removed_while_it_sorts(tmp_path, monkeypatch):
    monkeypatch.setattr("dataaudit.result_cache.KEEP_ENTRIES", 2)
    cache = ResultCache(tmp_path)
    for age, key in enumerate(("k2", "k1", "k0")):
        (tmp_path / f"{key}.pickle").write_bytes(pickle.dumps({"key": key}))
        os.utime(tmp_path / f"{key}.pickle", (1_000_000 - age, 1_000_000 - age))
    real_stat = Path.stat

    def stat_after_other_prune(self, *args, **kwargs):
        if self.name == "k0.pickle" and os.path.exists(self):
            os.unlink(self)  # another audit pruned it between this one's glob and its stat
        return real_stat(self, *args, **kwargs)

    monkeypatch.setattr(Path, "stat", stat_after_other_prune)
    cache.put("k3", {"key": "k3"})
    assert sorted(p.name for p in tmp_path.glob("*.pickle")) == ["k2.pickle", "k3.pickle"]


def _hammer(folder: str, worker: int, rounds: int) -> list[str]:
    cache = ResultCache(Path(folder))
    failures = []
    for i in range(rounds):
        try:
            cache.put(f"{worker}-{i}", {"i": i})
            got = cache.get(f"{worker}-{i}")
            if got not in (None, {"i": i}):
                failures.append(f"wrong entry {got}")
            cache.get(f"{(worker + 1) % 3}-{i}")
        except Exception as exc:  # any exception is a lost race the cache should have absorbed
            failures.append(f"{type(exc).__name__}: {exc}")
    return failures


def test_processes_putting_getting_and_pruning_at_once_never_raise(tmp_path, monkeypatch):
    import multiprocessing

    monkeypatch.setattr("dataaudit.result_cache.KEEP_ENTRIES", 4)  # a small cache: every put prunes
    context = multiprocessing.get_context("fork")
    with context.Pool(3) as pool:
        failures = pool.starmap(_hammer, [(str(tmp_path), worker, 150) for worker in range(3)])
    assert failures == [[], [], []]
    assert len(list(tmp_path.glob("*.pickle"))) <= 4 + 3  # each writer may add one after the others pruned


def test_a_batch_added_to_a_cached_set_reports_what_a_cold_audit_of_the_grown_set_reports(tmp_path, monkeypatch):
    """Everything kept between runs (duplicates' lexical features and reworded-copy verdicts, coverage's scenario
    clustering and its neighbour lists, which the batch extends) gives back only what a fresh computation gives: a
    run over the grown training set with the cache of the smaller one reports exactly what a run with no kept
    results reports (the same embeddings in both)."""
    import shutil

    reused = noted_reuse(monkeypatch)

    lines = (SAMPLE / "support_tickets.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    before, grown = tmp_path / "before.jsonl", tmp_path / "grown.jsonl"
    before.write_text("".join(lines[:200]), encoding="utf-8")
    grown.write_text("".join(lines), encoding="utf-8")
    warm = _config(tmp_path / "warm")
    first = audit(before, warm, production=SAMPLE / "production.jsonl")
    assert reused and not any(reused)  # kept, nothing to extend yet
    reused.clear()
    batch = audit(grown, warm, production=SAMPLE / "production.jsonl")
    assert any(reused), reused  # the batch extended the first run's lists
    kept = {path.parent.name for path in (tmp_path / "warm" / "results").rglob("*.pickle")}
    assert {"results", "duplicates", "coverage"} <= kept  # whole audits', duplicates' and coverage's entries
    (tmp_path / "cold").mkdir()
    shutil.copy(tmp_path / "warm" / "embeddings.sqlite3", tmp_path / "cold" / "embeddings.sqlite3")
    reused.clear()
    cold = audit(grown, _config(tmp_path / "cold"), production=SAMPLE / "production.jsonl")
    assert reused and not any(reused)  # searched whole
    assert not any(run.reused for run in batch.checks.runs.values())
    mine, theirs = _comparable(batch), _comparable(cold)
    for data in (mine, theirs):
        data["config"]["embeddings"].pop("cache_dir")
    assert mine == theirs
    assert batch.checks["duplicates"].records > first.checks["duplicates"].records  # the batch was measured, not reused


def test_the_tokens_count_for_a_target_model_is_reused_on_an_unchanged_rerun(tmp_path):
    config = _config(tmp_path)
    config = dataclasses.replace(config, sections={**config.sections, "tokens": dataclasses.replace(
        config.section("tokens"), target_model="gpt-4o-mini")})
    first = audit(SAMPLE / "support_tickets.jsonl", config, embed=False)
    second = audit(SAMPLE / "support_tickets.jsonl", config, embed=False)
    assert first.checks.runs["tokens"].status == "ran" and not first.checks.runs["tokens"].reused
    assert second.checks.runs["tokens"].reused and second.checks["tokens"] == first.checks["tokens"]


# Files a config names, read by a check besides the inputs: part of the key (referenced_file_states)

PLAN = '[maintenance]\nowner = "me"\nretraining_cadence = "monthly"\neval_set = "eval.jsonl"\nmonitoring = "dash"\n'


def _project(folder: Path, extra: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "eval.jsonl").write_text('{"text": "x"}\n', encoding="utf-8")
    (folder / "models.toml").write_text('[models.team-model]\nencoding = "o200k_base"\nexample_limit = 65536\n', encoding="utf-8")
    (folder / "dataaudit.toml").write_text(PLAN + '[tokens]\nmodels_file = "models.toml"\n' + extra, encoding="utf-8")
    return folder / "dataaudit.toml"


def _states(config_file: Path) -> dict[str, list]:
    return {json.loads(state)[0]: json.loads(state)[1:] for state in referenced_file_states(load_config(config_file))}


def test_each_file_the_config_names_is_keyed_by_its_absolute_path_and_state(tmp_path):
    config_file = _project(tmp_path / "p")
    states = _states(config_file)
    assert set(states) == {"tokens.models_file", "maintenance.eval_set"}  # no tokenizer named: nothing to key
    models = tmp_path / "p" / "models.toml"
    sha = hashlib.sha256(models.read_bytes()).hexdigest()
    assert states["tokens.models_file"] == [str(models), [[str(models), f"sha256:{sha}"]]]
    eval_stat = (tmp_path / "p" / "eval.jsonl").stat()
    assert states["maintenance.eval_set"][1][0][1] == f"stat:{eval_stat.st_size}:{eval_stat.st_mtime_ns}:{eval_stat.st_ino}"


def test_an_edited_or_deleted_models_file_is_another_key(tmp_path):
    config_file = _project(tmp_path / "p")
    models = tmp_path / "p" / "models.toml"
    before = _states(config_file)["tokens.models_file"]
    models.write_text(models.read_text(encoding="utf-8").replace("65536", "10"), encoding="utf-8")
    edited = _states(config_file)["tokens.models_file"]
    models.unlink()
    deleted = _states(config_file)["tokens.models_file"]
    assert len({json.dumps(before), json.dumps(edited), json.dumps(deleted)}) == 3
    assert deleted[1][0][1] == "missing"


def test_a_deleted_emptied_or_rewritten_eval_set_is_another_key(tmp_path):
    config_file = _project(tmp_path / "p")
    eval_set = tmp_path / "p" / "eval.jsonl"
    seen = [_states(config_file)["maintenance.eval_set"]]
    eval_set.write_text("", encoding="utf-8")
    seen.append(_states(config_file)["maintenance.eval_set"])
    eval_set.unlink()
    seen.append(_states(config_file)["maintenance.eval_set"])
    eval_set.mkdir()
    seen.append(_states(config_file)["maintenance.eval_set"])
    assert [state[1][0][1].split(":")[0] for state in seen] == ["stat", "stat", "missing", "folder"]
    assert len({json.dumps(state) for state in seen}) == 4


def test_the_files_of_a_tokenizer_folder_it_reads_are_keyed_and_no_other(tmp_path):
    config_file = _project(tmp_path / "p", 'tokenizer = "tok"\n')
    tok = tmp_path / "p" / "tok"
    tok.mkdir()
    (tok / "tokenizer.json").write_text("{}", encoding="utf-8")
    (tok / "model.safetensors").write_bytes(b"weights")
    before = _states(config_file)["tokens.tokenizer"]
    assert [name for name, _ in before[1]] == [str(tok / name) for name in TOKENIZER_FILES]
    (tok / "model.safetensors").write_bytes(b"other weights")  # not read by the tokenizer: same key
    assert _states(config_file)["tokens.tokenizer"] == before
    (tok / "chat_template.jinja").write_text("{{ messages }}", encoding="utf-8")  # a template added: another key
    with_template = _states(config_file)["tokens.tokenizer"]
    assert with_template != before
    (tok / "tokenizer.json").write_text('{"x": 1}', encoding="utf-8")
    assert _states(config_file)["tokens.tokenizer"] != with_template


def test_a_tokenizer_json_named_alone_keys_it_and_the_files_beside_it(tmp_path):
    config_file = _project(tmp_path / "p", 'tokenizer = "tok/tokenizer.json"\n')
    (tmp_path / "p" / "tok").mkdir()
    (tmp_path / "p" / "tok" / "tokenizer.json").write_text("{}", encoding="utf-8")
    location, files = _states(config_file)["tokens.tokenizer"]
    assert location == str(tmp_path / "p" / "tok" / "tokenizer.json")
    assert [name for name, _ in files] == [str(tmp_path / "p" / "tok" / name) for name in TOKENIZER_FILES]
    assert [state.split(":")[0] for _, state in files] == ["sha256", "missing", "missing", "missing"]


def test_the_same_config_and_files_copied_to_another_folder_is_another_key(tmp_path):
    here, there = _project(tmp_path / "a"), _project(tmp_path / "b")
    assert load_config(here).to_dict() == load_config(there).to_dict()
    keys = [fingerprint(inputs=[("train", "t.jsonl", "ab" * 32, 1)], config=load_config(c).to_dict(), model="",
                        extra=referenced_file_states(load_config(c))) for c in (here, there)]
    assert keys[0] != keys[1]


# Through audit(): api._result_cache keys on referenced_file_states of the config with its paths resolved.


def _small(folder: Path) -> Path:
    path = folder / "small.jsonl"
    path.write_text("".join(json.dumps({"text": f"ticket number {i} about billing", "label": "billing" if i % 2 else "tech"}) + "\n"
                            for i in range(40)), encoding="utf-8")
    return path


def test_a_deleted_eval_set_fails_maintenance_on_a_cached_rerun(tmp_path):
    config_file = _project(tmp_path / "p", '[embeddings]\ncache_dir = "' + str(tmp_path / "cache") + '"\n')
    data = _small(tmp_path)
    first = audit(data, config_path=config_file, embed=False)
    (tmp_path / "p" / "eval.jsonl").unlink()
    second = audit(data, config_path=config_file, embed=False)
    assert first.checks["maintenance"].missing == [] and second.checks["maintenance"].missing == ["eval_set"]
    assert not second.checks.runs["maintenance"].reused


def test_an_edited_models_file_is_read_on_a_cached_rerun(tmp_path):
    config_file = _project(tmp_path / "p", 'target_model = "team-model"\n[embeddings]\ncache_dir = "' + str(tmp_path / "cache") + '"\n')
    data = _small(tmp_path)
    first = audit(data, config_path=config_file, embed=False)
    models = tmp_path / "p" / "models.toml"
    models.write_text(models.read_text(encoding="utf-8").replace("65536", "5"), encoding="utf-8")
    second = audit(data, config_path=config_file, embed=False)
    assert (first.checks["tokens"].example_limit, second.checks["tokens"].example_limit) == (65536, 5)
    assert second.checks["tokens"].over_limit_count == 40


def test_a_config_copied_to_another_folder_reads_its_own_eval_set_on_a_cached_rerun(tmp_path):
    here = _project(tmp_path / "a", '[embeddings]\ncache_dir = "' + str(tmp_path / "cache") + '"\n')
    there = tmp_path / "b" / "dataaudit.toml"
    there.parent.mkdir()
    there.write_text(here.read_text(encoding="utf-8"), encoding="utf-8")  # no eval.jsonl beside it
    # the models file it names goes with it: one named and missing is refused before the audit
    (there.parent / "models.toml").write_bytes((here.parent / "models.toml").read_bytes())
    data = _small(tmp_path)
    assert audit(data, config_path=here, embed=False).checks["maintenance"].missing == []
    assert audit(data, config_path=there, embed=False).checks["maintenance"].missing == ["eval_set"]


def test_a_level_named_on_the_command_line_is_part_of_what_a_kept_result_is_keyed_by(tmp_path, monkeypatch):
    """QA: a rating headline run without --level (ordinal) and then with --level nominal read the first run's kept
    result: the named nominal level equals the default, so the two configs were keyed alike."""
    import json

    from dataaudit.cli import main
    from tests.test_batches import _label_studio_ratings

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    export = _label_studio_ratings(tmp_path / "ls.json", range(12))
    levels = []
    for flags in ([], ["--level", "nominal"], []):
        out = tmp_path / f"out{len(levels)}"
        main(["audit", str(export), "--no-embeddings", "--format", "json", "--out", str(out), *flags])
        agreement = json.loads((out / "report.json").read_text())["checks"]["agreement"]
        levels.append((agreement["level"], agreement["krippendorff_alpha"]))
    assert levels == [("ordinal", 0.8154), ("nominal", 0.7434), ("ordinal", 0.8154)]  # Krippendorff 2011's values
