"""The Ray engine on a simulated two-node cluster (head + one node, one CPU each) gives the local engine's
report on the same shards: every count, group and line, the verdict; floats within 0.005."""

from __future__ import annotations

import json
import math
import os
import socket
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'dataaudit[ray]'); the Ray engine is not tested")
pytest.importorskip("ray.data", reason="Ray is installed without its data extra (pip install 'dataaudit[ray]')")

from ray import cloudpickle  # noqa: E402
from ray.cluster_utils import Cluster  # noqa: E402

import tests.engine_data as engine_data  # noqa: E402
from dataaudit.api import audit  # noqa: E402
from dataaudit import search_memo  # noqa: E402
from dataaudit.cli import main  # noqa: E402
from dataaudit.config import Config, config_from_dict  # noqa: E402
from dataaudit.engine.base import EngineError, SerialSteps  # noqa: E402
from dataaudit.errors import ConfigError, ModelNotFoundError  # noqa: E402
from dataaudit.engine.local import LocalEngine  # noqa: E402
from dataaudit.engine.ray_engine import RayEngine  # noqa: E402
from dataaudit.render.outputs import write_reports  # noqa: E402
from tests.conftest import noted_reuse  # noqa: E402
from tests.engine_data import (ANNOTATION_CONFIG, CharGramEmbedder, annotation_shards, block_and_process, clinc_shards,  # noqa: E402
                               copies_and_templates, keys_and_process, label_counts, normalised_input, PREFERENCE_CONFIG, preference_shards, process_and_line, process_and_size,
                               rejects_the_config, typo_shards)

# Workers cannot import the tests package: the stand-in model travels by value.
cloudpickle.register_pickle_by_value(engine_data)
TOLERANCE = 0.005
# Ray Data's own config deprecations, raised inside Ray on first use: not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def cluster():
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    cluster.add_node(num_cpus=1)
    cluster.wait_for_nodes()
    yield cluster
    if ray.is_initialized():
        ray.shutdown()
    cluster.shutdown()


# The shards hold 12 rows a label, under coverage's per-label minimum (28): judged with the minimum off, so the
# engines' coverage searches and per-line files are compared.
SHARDS_CONFIG = config_from_dict({"coverage": {"min_training_inputs_per_label": 0}})


@pytest.fixture(scope="module")
def shards(tmp_path_factory):
    return clinc_shards(tmp_path_factory.mktemp("ray-shards"))


def assert_same(local, remote, where="report"):
    """Equal JSON, floats within TOLERANCE; `generated_at` and `engine` are the only fields allowed to differ."""
    if isinstance(local, dict):
        keys = set(local) | set(remote)
        assert set(local) == set(remote), f"{where}: keys differ: {sorted(keys - (set(local) & set(remote)))}"
        for key in keys - {"generated_at", "engine"}:
            assert_same(local[key], remote[key], f"{where}.{key}")
    elif isinstance(local, list):
        assert len(local) == len(remote), f"{where}: {len(local)} items locally, {len(remote)} on Ray"
        for i, (a, b) in enumerate(zip(local, remote)):
            assert_same(a, b, f"{where}[{i}]")
    elif isinstance(local, float) and isinstance(remote, (int, float)):
        assert math.isclose(local, remote, abs_tol=TOLERANCE), f"{where}: {local} locally, {remote} on Ray"
    else:
        assert local == remote, f"{where}: {local!r} locally, {remote!r} on Ray"


def reports(report, folder: Path) -> dict[str, str]:
    """Every file the renderers write (report.json, report.md, and any per-line .jsonl beside them)."""
    write_reports(report, folder, ["json", "md"])
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.iterdir())}


def assert_same_files(local: dict[str, str], remote: dict[str, str], local_report, remote_report):
    assert set(local) == set(remote)
    for name in local:
        if name.endswith(".json"):
            assert_same(json.loads(local[name]), json.loads(remote[name]), name)
        elif name.endswith(".jsonl"):
            for i, (a, b) in enumerate(zip(local[name].splitlines(), remote[name].splitlines(), strict=True)):
                assert_same(json.loads(a), json.loads(b), f"{name}:{i + 1}")
        else:  # Markdown: the same text once the timestamp is the same
            assert local[name].replace(local_report.generated_at, "T") == remote[name].replace(remote_report.generated_at, "T"), name


class StepRecordingRayEngine(RayEngine):
    """The Ray engine, noting every step it ran on the cluster (its tasks, actors), by name."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.ran: list[str] = []

    def _run(self, step, fn):
        self.ran.append(step)
        return super()._run(step, fn)


def searched_in_tasks(engine: StepRecordingRayEngine) -> list[str]:
    return [step for step in engine.ran if step.startswith("query_block")]


def search_on_the_driver(*args):
    raise AssertionError("a search block ran on the driver")


def small_search_blocks(monkeypatch):
    """Searches of 40 queries or more split into blocks (of 20 or more, one per CPU), however small the index."""
    from dataaudit.engine import ray_engine

    monkeypatch.setattr(ray_engine, "SEARCH_BLOCK_QUERIES", 20)
    monkeypatch.setattr(ray_engine, "_faiss_query_tile", lambda: 20)
    monkeypatch.setattr(ray_engine, "SEARCH_ON_DRIVER_BELOW", 0)
    # The driver's own block search is broken: a block that ran here, not in a worker, would fail the audit.
    monkeypatch.setattr(ray_engine, "query_index", search_on_the_driver)


@pytest.fixture(scope="module")
def stand_in_run(cluster, shards, tmp_path_factory):
    """The shards audited locally and on the two-node cluster, with the stand-in embedder; on Ray every
    neighbour search of 40 queries or more ran in blocks, as Ray tasks. (local, Ray, the Ray engine)"""
    config = SHARDS_CONFIG
    local = audit(shards.train, config, production=shards.production, embedder=CharGramEmbedder(), engine=LocalEngine())
    engine = StepRecordingRayEngine(address=cluster.address)
    try:
        with pytest.MonkeyPatch.context() as patch:
            small_search_blocks(patch)
            # Every search whole, in tasks: the local run's kept lists (search_memo.py) would leave nothing to search.
            patch.setattr(search_memo.SearchMemo, "open", classmethod(lambda cls, config, purpose: None))
            remote = audit(shards.train, config, production=shards.production, embedder=CharGramEmbedder(), engine=engine)
    finally:
        engine.close()
    return local, remote, engine


@pytest.fixture(scope="module")
def stand_in_pair(stand_in_run):
    return stand_in_run[:2]


def test_ray_report_and_files_match_the_local_engine(stand_in_run, tmp_path):
    local, remote, engine = stand_in_run
    assert_same_files(reports(local, tmp_path / "local"), reports(remote, tmp_path / "ray"), local, remote)
    assert remote.verdict.status == local.verdict.status
    assert remote.to_dict()["engine"] == {"name": "ray", "version": ray.__version__, "nodes": 2, "cpus": 2.0, "gpus": 0.0}
    # coverage's two pooled searches (production, the training reference) and the duplicates' semantic search
    assert len(searched_in_tasks(engine)) >= 3, engine.ran


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def test_the_search_step_runs_its_blocks_in_tasks_and_gives_the_local_neighbours(cluster, monkeypatch):
    """Seeded clustered vectors: a query, a self-query, k beyond the indexed rows and the inverted-file path
    (its exact limit lowered) give top_k's neighbours, every block searched in a worker; an empty or small
    search is answered on the driver. Similarities within 1e-6: a worker's BLAS runs on one thread, the
    driver's on every core, which can change the last bits (docs/distributed.md)."""
    from dataaudit import neighbours

    rng = np.random.default_rng(5)
    centres = rng.normal(size=(30, 24))
    data = unit(np.repeat(centres, 30, axis=0) + 0.3 * rng.normal(size=(900, 24)))
    queries = unit(np.repeat(centres, 10, axis=0) + 0.3 * rng.normal(size=(300, 24)))
    few = data[:5]
    searches = [(data, queries, 10), (data, data, 10), (few, queries, 8)]
    expected = [neighbours.top_k(*search) for search in searches]
    with monkeypatch.context() as inverted:
        inverted.setattr(neighbours, "EXACT_LIMIT", 100)
        expected += [neighbours.top_k(data, queries, 10), neighbours.top_k(data, data, 10)]
    engine = StepRecordingRayEngine(address=cluster.address)
    try:
        small_search_blocks(monkeypatch)
        found = [engine.search(*search) for search in searches]
        monkeypatch.setattr(neighbours, "EXACT_LIMIT", 100)  # the inverted file is built on the driver, once
        found += [engine.search(data, queries, 10), engine.search(data, data, 10)]
        empty = engine.search(data, queries[:0], 4)
        small = engine.search(data, queries[:39], 3)  # one block: searched here
    finally:
        engine.close()
    for (sims, idx), (want_sims, want_idx) in zip(found, expected, strict=True):
        assert np.array_equal(idx, want_idx) and np.allclose(sims, want_sims, rtol=0, atol=1e-6)
    assert (found[2][1][:, 5:] == -1).all() and np.isneginf(found[2][0][:, 5:]).all()
    assert empty[0].shape == empty[1].shape == (0, 4)
    assert np.array_equal(small[1], neighbours.top_k(data, queries[:39], 3)[1])
    assert searched_in_tasks(engine) == ["query_block over 2 block(s)"] * 5


def test_a_kept_search_is_extended_in_ray_tasks_as_locally(cluster, monkeypatch, tmp_path):
    """search_memo on the Ray engine's steps: a batch's added rows and new queries are searched in blocks, as
    tasks, and the merged lists are the whole search's (the audits above run without kept searches)."""
    from dataaudit.result_cache import ResultCache

    rng = np.random.default_rng(11)
    old = unit(rng.normal(size=(600, 24)))
    grown = np.vstack([old[:300], unit(rng.normal(size=(60, 24))), old[300:]])
    memo = search_memo.SearchMemo(ResultCache(tmp_path), "ray-test")
    engine = StepRecordingRayEngine(address=cluster.address)
    try:
        small_search_blocks(monkeypatch)
        memo.search(engine, old, old, 9)
        before = len(searched_in_tasks(engine))
        found = memo.search(engine, grown, grown, 9)
    finally:
        engine.close()
    assert memo.reused == 600 and before == 1
    # the 600 old queries against the 60 added rows, and the 60 new queries against every row: both in blocks
    assert searched_in_tasks(engine)[before:] == ["query_block over 2 block(s)"] * 2, engine.ran
    whole = SerialSteps().search(grown, grown, 9)
    assert np.array_equal(found[1], whole[1]) and np.allclose(found[0], whole[0], rtol=0, atol=1e-6)


def test_a_ray_batch_audit_with_the_last_runs_results_matches_a_cold_local_audit(cluster, shards, monkeypatch, tmp_path):
    """A batch (one more training shard) audited on Ray with the results the first Ray audit kept (lexical
    features, reworded-copy verdicts, clusterings, and coverage's neighbour lists, which it extends in Ray
    tasks) reports what a local audit of the same files from an empty cache reports: its report and per-line
    files."""
    import shutil

    batch = tmp_path / "train"
    shutil.copytree(shards.train, batch)
    labels = {json.loads(line).get("label") for line in (batch / "train_0.jsonl").read_text(encoding="utf-8").splitlines()
              if line.startswith("{") and line.endswith("}")} - {None}
    data = json.loads((engine_data.shared_dataset("clinc150") / "data_full.json").read_text(encoding="utf-8"))
    added = [{"text": text, "label": intent} for text, intent in data["val"] if intent in labels][:48]
    engine_data.write_jsonl(batch / "train_3.jsonl", added)

    def cached(folder: Path) -> Config:
        return config_from_dict({"embeddings": {"cache_dir": str(folder)}, "coverage": {"min_training_inputs_per_label": 0}})

    reused = noted_reuse(monkeypatch)
    engine = StepRecordingRayEngine(address=cluster.address)
    try:
        small_search_blocks(monkeypatch)
        audit(shards.train, cached(tmp_path / "ray-cache"), production=shards.production, embedder=CharGramEmbedder(), engine=engine)
        assert reused and not any(reused)  # the first audit keeps its searches; nothing to reuse yet
        reused.clear()
        remote = audit(batch, cached(tmp_path / "ray-cache"), production=shards.production, embedder=CharGramEmbedder(), engine=engine)
    finally:
        engine.close()
    assert any(reused), reused
    monkeypatch.undo()
    local = audit(batch, cached(tmp_path / "local-cache"), production=shards.production, embedder=CharGramEmbedder(), engine=LocalEngine())
    local_files, remote_files = reports(local, tmp_path / "local"), reports(remote, tmp_path / "ray")
    for files in (local_files, remote_files):  # the cache folders differ, by design
        report = json.loads(files["report.json"])
        report["config"]["embeddings"].pop("cache_dir")
        files["report.json"] = json.dumps(report)
    assert_same_files(local_files, remote_files, local, remote)


def test_ray_finds_the_planted_problems_with_their_files_and_lines(stand_in_pair, shards):
    _, remote = stand_in_pair
    data = remote.to_dict()
    assert sum(i["records"] for i in data["inputs"] if i["role"] == "train") == shards.train_rows
    assert sum(i["records"] for i in data["inputs"] if i["role"] == "production") == shards.in_scope + shards.out_of_scope
    assert [(Path(e["file"]).name, e["line"]) for e in data["checks"]["format"]["errors"]] == shards.malformed
    groups = [[(Path(m["file"]).name, m["line"], m["text"]) for m in g["members"]] for g in data["checks"]["duplicates"]["exact_groups"]]
    texts = [{t.strip().casefold() for _, _, t in g} for g in groups]
    for copy, original in shards.copies:  # each planted copy is grouped with its original, across files too
        assert {original.casefold()} in texts
    conflict = next(g for g in groups if g[0][2] == shards.conflict)
    assert len({name for name, _, _ in conflict}) == 2  # the conflicting copy sits in another file
    assert any(len({name for name, _, _ in g}) == 2 for g in groups if g is not conflict)


class RayEngineReader:
    """The Ray engine's read step alone, on the module's cluster (connects once)."""

    address = ""

    @classmethod
    def read(cls, paths):
        engine = RayEngine(address=cls.address)
        try:
            return engine.read(paths, Config())
        finally:
            engine.close()


@pytest.fixture(autouse=True)
def _reader_address(cluster):
    RayEngineReader.address = cluster.address


def test_read_step_gives_the_local_dataset(cluster, shards):
    local = LocalEngine().read(shards.train, Config())
    remote = RayEngineReader.read(shards.train)
    assert remote.records == local.records and remote.errors == local.errors
    assert (remote.name, remote.files, remote.total, remote.invalid, remote.blank_lines) == (
        local.name, local.files, local.total, local.invalid, local.blank_lines)


def test_real_model_through_the_cli_matches_local_and_reuses_the_cache(cluster, tmp_path):
    shards = clinc_shards(tmp_path / "data", intents=6, per_intent=8, production_per_intent=3, out_of_scope=6)
    common = [str(shards.train), "--production", str(shards.production), "--format", "json,md"]
    assert main(["audit", *common, "--out", str(tmp_path / "local"), "--cache-dir", str(tmp_path / "cache-local")]) in (0, 1, 3)
    ray_run = ["audit", *common, "--engine", "ray", "--ray-address", cluster.address, "--cache-dir", str(tmp_path / "cache-ray")]
    assert main([*ray_run, "--out", str(tmp_path / "ray")]) in (0, 1, 3)
    local = json.loads((tmp_path / "local" / "report.json").read_text())
    remote = json.loads((tmp_path / "ray" / "report.json").read_text())
    for report in (local, remote):  # each run had its own cache folder, so both embed everything
        report["config"]["embeddings"].pop("cache_dir")
    assert_same(local, remote)
    assert remote["engine"]["nodes"] == 2 and local["engine"]["name"] == "local"
    computed = remote["checks"]["embeddings"]["computed"]
    assert computed > 0 and remote["checks"]["embeddings"]["from_cache"] == 0
    # Second run: the cache is consulted before any embedding task, so nothing is sent to the actors.
    assert main([*ray_run, "--out", str(tmp_path / "again")]) in (0, 1, 3)
    again = json.loads((tmp_path / "again" / "report.json").read_text())
    assert (again["checks"]["embeddings"]["computed"], again["checks"]["embeddings"]["from_cache"]) == (0, computed)


def test_a_worker_that_dies_is_retried_and_the_report_is_complete(cluster, shards, stand_in_pair, tmp_path):
    local, _ = stand_in_pair
    engine = RayEngine(address=cluster.address)
    try:
        remote = audit(shards.train, SHARDS_CONFIG, production=shards.production, engine=engine,
                       embedder=CharGramEmbedder(fail="die_once", marker=str(tmp_path / "died")))
    finally:
        engine.close()
    assert (tmp_path / "died").exists()  # an actor process did die
    assert_same(local.to_dict(), remote.to_dict())


def test_an_embedding_step_that_cannot_finish_stops_the_audit_naming_what_the_model_raised(cluster, shards, capfd):
    """Ray Data's text of the failure is the worker's traceback, ~720 characters of header and stack frames before
    the exception: the error line names the exception itself, the terminal shows nothing else of Ray Data's, and
    Ray Data's log file keeps its own record of the failure."""
    from ray.data._internal.logging import get_log_directory

    engine = RayEngine(address=cluster.address)
    try:
        capfd.readouterr()
        with pytest.raises(EngineError) as raised:
            audit(shards.train, SHARDS_CONFIG, production=shards.production, engine=engine, embedder=CharGramEmbedder(fail="raise"))
        logged = "".join(path.read_text(encoding="utf-8", errors="replace")
                         for path in Path(get_log_directory()).glob("*.log"))
    finally:
        engine.close()
    assert str(raised.value).startswith("the Ray cluster could not finish embedding")
    assert f"(RuntimeError: {engine_data.PLANTED_FAILURE}); no report was written" in str(raised.value)
    terminal = capfd.readouterr()
    assert "Exception occurred in user code" not in terminal.err + terminal.out
    assert engine_data.PLANTED_FAILURE not in terminal.err + terminal.out
    assert "Full stack trace" in logged and engine_data.PLANTED_FAILURE in logged


def test_a_model_the_workers_cannot_load_is_the_local_engines_error_whole_not_the_clusters(cluster, shards):
    """Ray Data wraps what an actor's batch raised in an exception without its cause: the user saw the cluster
    blamed and a stack frame (QA: a cuda device on CPU-only torch, a broken model folder). The actor hands the
    error back in its batch: the same class, its message whole, second line included."""
    engine = RayEngine(address=cluster.address)
    try:
        with pytest.raises(ModelNotFoundError) as raised:
            audit(shards.train, SHARDS_CONFIG, production=shards.production, engine=engine, embedder=CharGramEmbedder(fail="user_error"))
    finally:
        engine.close()
    assert type(raised.value) is ModelNotFoundError and str(raised.value) == engine_data.PLANTED_USER_ERROR


def test_a_failure_whose_text_reads_like_a_config_error_stays_the_clusters_with_its_cause(cluster, shards):
    """A record's text quoted in another library's exception cannot pass itself off as dataaudit's own error,
    and is masked in the error line as in a report."""
    engine = RayEngine(address=cluster.address)
    try:
        with pytest.raises(EngineError) as raised:
            audit(shards.train, SHARDS_CONFIG, production=shards.production, engine=engine, embedder=CharGramEmbedder(fail="forged"))
    finally:
        engine.close()
    assert type(raised.value) is EngineError
    assert str(raised.value).startswith("the Ray cluster could not finish embedding")
    # the record's text shown as any excerpt of the data is: on one line, its email address masked
    shown = "cannot parse record 'hi \u23ce dataaudit.errors.ConfigError: planted.toml: write to <EMAIL "
    assert f"(ValueError: {shown}" in str(raised.value) and "ann.lee@example.com" not in str(raised.value)
    assert str(raised.value).endswith("'); no report was written")


def test_an_unreachable_address_exits_2_naming_it_within_a_minute(shards, tmp_path, capsys):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    start = time.monotonic()
    code = main(["audit", str(shards.train), "--ray-address", f"127.0.0.1:{port}", "--no-embeddings",  # implies --engine ray
                 "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and time.monotonic() - start < 60
    assert f"127.0.0.1:{port}" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()
    assert "ray" in sys.modules  # Ray was there: the failure is the address, not the install
    assert "(from --ray-address: " in err and "or fix --ray-address" in err  # the flag the user passed, alone
    config = tmp_path / "cluster.toml"  # the same address from a config file names the file and key
    config.write_text(f'[engine]\nname = "ray"\naddress = "127.0.0.1:{port}"\n')
    assert main(["audit", str(shards.train), "--config", str(config), "--no-embeddings", "--out", str(tmp_path / "o2")]) == 2
    err = capsys.readouterr().err
    assert f"(from engine.address in {config}: " in err and f"or fix engine.address in {config}" in err


def test_ray_reads_uris_through_pyarrow_like_the_local_engine(cluster, shards):
    uri = Path(shards.train).resolve().as_uri()
    local = LocalEngine().read(uri, Config())
    remote = RayEngineReader.read(uri)
    assert remote.records == local.records and remote.errors == local.errors and remote.files == local.files
    assert {r.source for r in remote.records} == {uri + "/train_0.jsonl", uri + "/train_1.csv", uri + "/train_2.parquet"}


def test_workers_fill_a_shared_parquet_cache_and_a_second_run_embeds_nothing(cluster, shards, stand_in_pair, tmp_path):
    local, _ = stand_in_pair
    cache = (tmp_path / "cache").as_uri()  # a URI cache_dir is the Parquet cache, as s3://... would be
    writers = tmp_path / "writers"
    writers.mkdir()

    def run():
        engine = RayEngine(address=cluster.address)
        try:
            return audit(shards.train, SHARDS_CONFIG, production=shards.production, engine=engine,
                         embedder=CharGramEmbedder(cache_dir=cache, writers=str(writers))).to_dict()
        finally:
            engine.close()

    first = run()
    computed = first["checks"]["embeddings"]["computed"]
    assert computed > 0 and first["checks"]["embeddings"]["from_cache"] == 0
    wrote = {p.name: int(p.read_text()) for p in writers.iterdir()}
    assert wrote and all(not name.endswith(f"-{os.getpid()}") for name in wrote)  # the actors wrote it, not the driver
    files = list((tmp_path / "cache").rglob("part-*.parquet"))
    assert len(files) >= len(wrote) and sum(wrote.values()) == computed
    second = run()
    assert (second["checks"]["embeddings"]["computed"], second["checks"]["embeddings"]["from_cache"]) == (0, computed)
    assert len(list((tmp_path / "cache").rglob("part-*.parquet"))) == len(files)  # nothing new was written
    expected = without_embedding_counts(local.to_dict())
    for report in (first, second):  # the same report as the local engine's, but for where the vectors came from
        assert_same(expected, without_embedding_counts(report))


def without_embedding_counts(value):
    """A report with its `{computed, from_cache}` embedding counts (wherever a section repeats them) left out."""
    if isinstance(value, dict):
        return {k: without_embedding_counts(v) for k, v in value.items()
                if not (k in ("computed", "from_cache") and {"computed", "from_cache"} <= set(value))}
    if isinstance(value, list):
        return [without_embedding_counts(v) for v in value]
    return value


def test_chat_records_with_a_system_prompt_index_as_locally(cluster, tmp_path):
    """The index embeds each chat's query without its system prompt: the read tasks normalise that text too."""
    system = {"role": "system", "content": "You are the support assistant of a bank. Answer briefly."}
    chats = [("Where is my card?", "It ships within a week."), ("Reset my PIN", "Use the app's security tab."),
             ("  where is my CARD? ", "It ships within a week.")]
    path = tmp_path / "chat.jsonl"
    path.write_text("".join(json.dumps({"messages": [system, {"role": "user", "content": q}, {"role": "assistant", "content": a}]}) + "\n"
                            for q, a in chats), encoding="utf-8")
    local = LocalEngine().index("train", LocalEngine().read(path, Config()), Config())
    engine = RayEngine(address=cluster.address)
    try:
        remote = engine.index("train", engine.read(path, Config()), Config())
        # the lexical pass's map step reads each file's queries where the read task left them
        mapped_queries = engine.map_keys(remote, list, queries=True)
    finally:
        engine.close()
    assert remote.keys == local.keys and remote.positions == local.positions and remote.embed_texts == local.embed_texts
    assert remote.embed_texts == ["where is my card?", "reset my pin"]  # the system prompt left out, the copy grouped
    assert mapped_queries == LocalEngine().map_keys(local, list, queries=True) == [["where is my card?", "reset my pin", "where is my card?"]]


def test_data_steps_run_as_tasks_on_the_read_files_and_merge_to_the_local_results(cluster, shards):
    local_engine = LocalEngine()
    local = local_engine.read(shards.train, Config())
    engine = RayEngine(address=cluster.address)
    try:
        dataset = engine.read(shards.train, Config())
        groups = engine.group_by_key(dataset, normalised_input)
        counts = engine.count(dataset, label_counts)
        ran = engine.map_partitions(dataset, process_and_size)
        shipped = engine.map_partitions(local, process_and_size)  # a Dataset read elsewhere goes out by file
        per_record = engine.map_records(dataset, process_and_line)
        with pytest.raises(ConfigError, match="rejected in a task"):  # what a task raises about the input, not a cluster failure
            engine.map_records(dataset, rejects_the_config)
    finally:
        engine.close()
    assert [(source, line) for _, source, line in per_record] == [(r.source, r.line) for r in local.records]
    assert os.getpid() not in {pid for pid, _, _ in per_record}
    assert groups == local_engine.group_by_key(local, normalised_input) == local_engine.index("train", local, Config()).positions
    assert list(groups) == list(local_engine.group_by_key(local, normalised_input))
    assert counts == local_engine.count(local, label_counts)
    assert [n for _, n in ran] == [n for _, n in shipped] == [49, 50, 50]
    assert os.getpid() not in {pid for pid, _ in ran + shipped}  # tasks in worker processes, not on the driver


def test_the_lexical_duplicates_pass_runs_in_tasks_and_finds_the_local_groups(cluster, tmp_path, monkeypatch):
    """Typo copies across files, copies repeated across files, a filler typo known only from every file's
    counts: the duplicates the Ray engine finds, its per-file lexical work done in tasks, are the local ones."""
    from dataaudit.checks.duplicates import duplicates_lines, measure_index

    folder = typo_shards(tmp_path / "typos")
    config = Config()
    local_engine = LocalEngine()
    local_index = local_engine.index("train", local_engine.read(folder, config), config)
    local = measure_index(local_index, config, steps=local_engine)
    engine = RayEngine(address=cluster.address)
    try:
        index = engine.index("train", engine.read(folder, config), config)
        # Each file's keys are already where its read task left them: nothing is shipped from the driver,
        # also once the index holds vectors.
        monkeypatch.setattr(engine.ray, "put", None)
        remote = measure_index(index, config, steps=engine)
        ran = engine.map_keys(index.with_vectors(dict.fromkeys(index.distinct, np.zeros(2)), 2), keys_and_process)
        monkeypatch.undo()
    finally:
        engine.close()
    assert list(duplicates_lines(remote)) == list(duplicates_lines(local))
    assert remote == local and remote.near_kinds["typo"] >= 5
    assert [n for _, n in ran] == [len(keys) for keys in local_engine.map_keys(local_index, list)]
    assert os.getpid() not in {pid for pid, _ in ran}


def test_blocks_run_as_tasks_in_order_with_the_shared_values_and_one_block_stays_on_the_driver(cluster):
    engine = RayEngine(address=cluster.address)
    try:
        ran = engine.map_blocks(block_and_process, ["a", "b", "c"], np.arange(3))
        alone = engine.map_blocks(block_and_process, ["a"], 7)
    finally:
        engine.close()
    assert [block for _, block, _ in ran] == ["a", "b", "c"] and all(np.array_equal(s, np.arange(3)) for _, _, s in ran)
    assert os.getpid() not in {pid for pid, _, _ in ran}  # tasks in worker processes
    assert alone == [(os.getpid(), "a", 7)]  # a single block is not worth a task's round trip


def test_lexical_banding_and_verification_run_in_tasks_and_give_the_serial_pairs(cluster, monkeypatch):
    """Typo copies among templated texts: the LSH banding and the candidate verification, split into blocks
    that run as Ray tasks (a block on the driver fails the test), give the serial candidates, distances and
    copies."""
    from dataaudit import neighbours
    from dataaudit.checks import near_pairs
    from dataaudit.engine.base import DataSteps

    texts = copies_and_templates()
    ratio = Config().duplicates.lexical_ratio
    signatures = neighbours.minhash_signatures(texts)
    serial_candidates = neighbours.band_candidates(signatures)
    left, right = [texts[i] for i in serial_candidates[0].tolist()], [texts[j] for j in serial_candidates[1].tolist()]
    serial_distances = near_pairs.verified_distances(left, right, 4)
    serial_pairs = near_pairs.lexical_pairs(texts, ratio)
    monkeypatch.setattr(neighbours, "MIN_BLOCK_BAND_KEYS", 4 * len(texts))
    monkeypatch.setattr(near_pairs, "MIN_BLOCK_PAIRS", len(left) // 3 + 1)
    engine = RayEngine(address=cluster.address)

    def on_the_driver(self, fn, blocks, *shared):
        raise AssertionError(f"{fn.__name__} ran on the driver")

    try:
        monkeypatch.setattr(DataSteps, "map_blocks", on_the_driver)  # Ray's one-block path, and the serial steps
        candidates = neighbours.band_candidates(signatures, steps=engine)
        distances = near_pairs.verified_distances(left, right, 4, engine)
        monkeypatch.setattr(near_pairs, "MIN_BLOCK_PAIRS", 1000)  # lexical_pairs verifies far fewer pairs (6,400: 7 blocks)
        pairs = near_pairs.lexical_pairs(texts, ratio, steps=engine)
    finally:
        monkeypatch.undo()
        engine.close()
    assert all(np.array_equal(a, b) for a, b in zip(candidates, serial_candidates)) and len(candidates[0]) > 1000
    assert np.array_equal(distances, serial_distances) and len(distances) == len(left)
    assert pairs == serial_pairs and pairs.kind.count("typo") >= 50


class RecordingRayEngine(RayEngine):
    """The Ray engine, noting the map step each of its per-file task rounds ran."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.mapped: list[str] = []

    def map_partitions(self, dataset, fn, *args):
        self.mapped.append(args[0].__name__ if fn.__name__ == "_per_record" else fn.__name__)
        return super().map_partitions(dataset, fn, *args)


def audited_on_both_engines(cluster, monkeypatch, folder, config):
    """(local report, Ray report, the map steps the Ray engine ran in tasks); while the Ray audit runs, a
    per-file map on the driver (the serial steps) fails the test."""
    from dataaudit.engine.base import SerialSteps

    local = audit(folder, config, embed=False, engine=LocalEngine())
    engine = RecordingRayEngine(address=cluster.address)

    def on_the_driver(self, dataset, fn, *args):
        raise AssertionError(f"{fn.__name__} ran on the driver")

    try:
        monkeypatch.setattr(SerialSteps, "map_partitions", on_the_driver)
        remote = audit(folder, config, embed=False, engine=engine)
    finally:
        monkeypatch.undo()
        engine.close()
    return local, remote, engine.mapped


def test_agreement_and_batches_run_their_per_file_work_in_tasks_and_give_the_local_results(cluster, tmp_path, monkeypatch):
    """Long-layout ratings in three files: the agreement result and the per-file breakdown equal the local
    engine's, every figure, and their per-record work ran in Ray tasks. With some items' ratings split between
    two files (one item across files, read in one task on both engines) the item is whole on both engines
    and neither gives a per-file breakdown."""
    config = config_from_dict(ANNOTATION_CONFIG)
    local, remote, mapped = audited_on_both_engines(cluster, monkeypatch, annotation_shards(tmp_path / "whole", spanning=False), config)
    assert remote.checks["agreement"] == local.checks["agreement"]
    assert local.checks["agreement"].krippendorff_alpha is not None and local.checks["agreement"].ties > 0
    assert [a.annotator for a in local.checks["agreement"].annotators if a.flagged] == ["ann_d"]
    assert remote.per_file == local.per_file and len(local.per_file) == 3
    assert all(f.krippendorff_alpha is not None for f in local.per_file)
    assert sum(f.cross_batch_duplicates for f in local.per_file) > 0
    assert_same(local.to_dict(), remote.to_dict())
    assert {"rating_vocabulary", "coded_items", "file_batch"} <= set(mapped)

    folder = annotation_shards(tmp_path / "spanning")
    local, remote, _ = audited_on_both_engines(cluster, monkeypatch, folder, config)
    by_file = {p.name: {r["item"] for r in map(json.loads, p.read_text().splitlines())} for p in folder.glob("*.jsonl")}
    assert by_file["ann_0.jsonl"] & by_file["ann_1.jsonl"]  # item ids rated in both files
    assert remote.checks["agreement"] == local.checks["agreement"]
    assert local.checks["agreement"].items == 40 + 15 + 40 + 30 + 6  # each spanning item once
    assert remote.per_file == local.per_file == [] and remote.warnings == local.warnings
    assert_same(local.to_dict(), remote.to_dict())


def test_preference_conflicts_across_files_are_found_in_tasks_as_locally(cluster, tmp_path, monkeypatch):
    """Pairs whose reverse sits in another file, an identical pair, an unpaired completion marked both ways in
    two files: the preference result equals the local engine's, its pairs normalised and compared in tasks."""
    folder = preference_shards(tmp_path / "pairs")
    local, remote, mapped = audited_on_both_engines(cluster, monkeypatch, folder, config_from_dict(PREFERENCE_CONFIG))
    result = local.checks["preference"]
    assert remote.checks["preference"] == result
    assert (result.pairs, result.unpaired, result.identical_count) == (35, 3, 1)
    # Three pairs reversed in another file (one of them also copied there), one completion marked both ways across files.
    assert len(result.contradictions) == 4 and result.contradiction_records == 9
    assert_same(local.to_dict(), remote.to_dict())
    assert "preference_facts" in mapped


def test_a_node_lost_mid_embedding_is_survived_and_the_report_is_complete(cluster, shards, stand_in_pair, tmp_path):
    """A third node joins while the first two are held busy, so the read tasks and the one embedding actor run
    there; the actor stalls on its batch and the node is removed; once the other nodes are free Ray restarts
    the actor there and resends the batch, and the report is the local one. Runs last: it changes the cluster."""
    import threading

    local, _ = stand_in_pair
    ray.init(address=cluster.address, logging_level="ERROR", log_to_driver=False)

    @ray.remote(num_cpus=1)
    class Hold:
        def node(self):
            return ray.get_runtime_context().get_node_id()

    holders = [Hold.remote() for _ in range(2)]
    assert len(set(ray.get([h.node.remote() for h in holders]))) == 2  # one on each node: no CPU left there
    doomed = cluster.add_node(num_cpus=1)
    cluster.wait_for_nodes()
    (tmp_path / "doomed").write_text(doomed.node_id)
    engine = RayEngine(address=cluster.address, embed_actors=1)
    outcome: dict = {}

    def run():
        try:
            outcome["report"] = audit(shards.train, SHARDS_CONFIG, production=shards.production, engine=engine,
                                      embedder=CharGramEmbedder(fail="stall_on_doomed_node", marker=str(tmp_path)))
        except BaseException as exc:  # noqa: BLE001  handed to the test thread
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    try:
        thread.start()
        deadline = time.monotonic() + 120
        while not (tmp_path / f"embedding-on-{doomed.node_id}").exists():
            assert time.monotonic() < deadline and thread.is_alive(), f"the batch did not reach the third node: {outcome}"
            time.sleep(0.2)
        cluster.remove_node(doomed, allow_graceful=False)
        for holder in holders:
            ray.kill(holder)
        thread.join(180)
        assert not thread.is_alive(), "the audit did not finish after the node was lost"
    finally:
        engine.close()
        ray.shutdown()
    assert "error" not in outcome, outcome.get("error")
    assert len(list(tmp_path.glob("embedding-on-*"))) == 2  # the batch ran again, on a node that was left
    assert_same(local.to_dict(), outcome["report"].to_dict())


def test_an_annotation_export_in_several_files_reads_as_locally(cluster, tmp_path):
    """Its questions, headline and skipped answers are decided over every file, so Ray reads its files in one
    task: the records, their annotations and the export's summary are the local engine's."""
    tasks = json.loads((Path(__file__).parent / "fixtures" / "annotation_tools" / "label_studio.json").read_text())
    half = len(tasks) // 2
    for i, part in enumerate((tasks[:half], tasks[half:])):
        (tmp_path / f"export_{i}.json").write_text(json.dumps(part), encoding="utf-8")
    local = LocalEngine().read(tmp_path, Config())
    engine = RayEngine(address=cluster.address)
    try:
        remote = engine.read(tmp_path, Config())
        labels = engine.count(remote, label_counts)
    finally:
        engine.close()
    assert local.annotation_export is not None and len(local.files) == 2
    assert remote.annotation_export == local.annotation_export and remote.name == local.name
    assert remote.records == local.records and remote.errors == local.errors and remote.files == local.files
    assert labels == Counter(r.label for r in local.records if r.label is not None)


def test_long_layout_ratings_given_as_uris_are_grouped_across_files_in_one_task_as_locally(cluster, tmp_path):
    folder = annotation_shards(tmp_path / "ann")
    config = config_from_dict(ANNOTATION_CONFIG)
    local = LocalEngine().read(str(folder), config)
    engine = RayEngine(address=cluster.address)
    try:
        remote = engine.read(folder.resolve().as_uri(), config)
    finally:
        engine.close()
    assert len(remote.records) == len(local.records) == 40 + 15 + 40 + 30 + 6  # a spanning item is one record
    assert [(r.line, r.label, r.input_text) for r in remote.records] == [(r.line, r.label, r.input_text) for r in local.records]
    assert [f.path for f in remote.files] == [Path(f.path).resolve().as_uri() for f in local.files]


def _handler_address(signum: int) -> int:
    """The handler the kernel runs for `signum` (struct sigaction's first field), read with sigaction(2)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    action = ctypes.create_string_buffer(256)  # larger than struct sigaction on every Linux ABI
    assert libc.sigaction(signum, None, action) == 0
    return ctypes.c_void_p.from_buffer(action).value or 0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads struct sigaction as Linux lays it out")
def test_after_joining_python_handles_sigterm_not_rays_stack_dumping_failure_handler(cluster):
    import signal

    engine = RayEngine(address=cluster.address)
    try:
        # Python's own C handler serves every signal it handles (SIGINT from the start): SIGTERM is handled there
        assert _handler_address(signal.SIGTERM) == _handler_address(signal.SIGINT) != 0
        assert _handler_address(signal.SIGSEGV) != _handler_address(signal.SIGINT)  # a crash keeps Ray's dump
    finally:
        engine.close()
