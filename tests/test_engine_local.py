from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import pytest

from dataaudit.api import audit
from dataaudit.cli import main
from dataaudit.config import Config, FieldsConfig, config_from_dict
from dataaudit.engine import EngineConfig, make_engine
from dataaudit.load.inputs import expand_inputs
from dataaudit.engine.local import LocalEngine
from dataaudit.errors import ConfigError, DataAuditError
from dataaudit.load.dataset import load_dataset
from tests.conftest import write_jsonl
from tests.engine_data import (ANNOTATION_CONFIG, annotation_shards, clinc_shards, keys_and_process, label_counts, normalised_input,
                               PREFERENCE_CONFIG, preference_shards, process_and_size)


@pytest.fixture(scope="module")
def shards(tmp_path_factory):
    return clinc_shards(tmp_path_factory.mktemp("shards"))


def test_local_engine_reads_shards_as_one_dataset_with_every_line_named(shards):
    dataset = LocalEngine().read(shards.train, Config())
    files = expand_inputs(shards.train)
    assert dataset.records == load_dataset(files, Config()).records
    assert dataset.total == shards.train_rows and dataset.invalid == len(shards.malformed)
    assert [(Path(e.source).name, e.line) for e in dataset.errors] == shards.malformed
    assert {Path(r.source).name for r in dataset.records} == {"train_0.jsonl", "train_1.csv", "train_2.parquet"}
    # A record's line is its line in its own file: the CSV's first data row is line 1.
    first_csv = next(r for r in dataset.records if r.source.endswith(".csv"))
    assert first_csv.line == 1
    jsonl = [r for r in dataset.records if r.source.endswith(".jsonl")]
    assert [r.line for r in jsonl][:6] == [1, 2, 3, 4, 6, 7]  # line 5 is the first malformed one


def test_audit_of_a_directory_equals_audit_of_its_files_and_names_the_engine(shards):
    config = Config()
    config.embeddings.cache = False  # both audits measure: the second may not reuse the first's results
    by_folder = audit(shards.train, config, embed=False).to_dict()
    by_files = audit(expand_inputs(shards.train), config, embed=False).to_dict()
    for report in (by_folder, by_files):
        report.pop("generated_at")
    # the folder's skipped README.md is said; the files named have nothing to skip
    assert by_folder.pop("warnings") == [f"{shards.train}: skipped 1 file in the folder that is not a data file (README.md); "
                                         "name a file to have it read"]
    assert by_files.pop("warnings") == []
    assert by_folder == by_files
    engine = by_folder["engine"]
    assert (engine["name"], engine["nodes"]) == ("local", 1) and engine["cpus"] >= 1
    exact = by_folder["checks"]["duplicates"]
    assert by_folder["checks"]["format"] is not None and exact is not None


def test_engine_section_is_read_from_the_config_and_checked():
    config = config_from_dict({"engine": {"name": "ray", "address": "10.0.0.5:6379", "embed_actors": 4, "gpus_per_actor": 0.5}})
    assert config.engine == EngineConfig("ray", "10.0.0.5:6379", 4, 0.5)
    with pytest.raises(ConfigError, match="unknown key engine.'actors'"):
        config_from_dict({"engine": {"actors": 2}})
    with pytest.raises(ConfigError, match="engine.name"):
        make_engine(EngineConfig(name="spark"))
    assert isinstance(make_engine(EngineConfig()), LocalEngine)


def test_ray_engine_without_ray_installed_exits_2_with_the_install_command(shards, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray now raises ImportError, as when it is absent
    with pytest.raises(DataAuditError, match=r"pip install 'dataaudit\[ray\]'"):
        make_engine(EngineConfig(name="ray"))
    assert main(["audit", str(shards.train), "--engine", "ray", "--no-embeddings"]) == 2
    err = capsys.readouterr().err
    assert "pip install 'dataaudit[ray]'" in err and "Traceback" not in err


def file_uri(path) -> str:
    return Path(path).resolve().as_uri()


def test_both_engines_read_uris_through_pyarrow_and_name_every_record_by_uri_and_line(shards):
    by_path = LocalEngine().read(shards.train, Config())
    by_uri = LocalEngine().read(file_uri(shards.train), Config())
    rename = {str(p): file_uri(p) for p in expand_inputs(shards.train)}
    assert [(rename[r.source], r.line, r.input_text, r.label) for r in by_path.records] == [
        (r.source, r.line, r.input_text, r.label) for r in by_uri.records]
    assert [(Path(e.source).name, e.line) for e in by_uri.errors] == shards.malformed
    assert all(e.source.startswith("file:///") for e in by_uri.errors)
    assert [(rename[f.path], f.sha256, f.records) for f in by_path.files] == [(f.path, f.sha256, f.records) for f in by_uri.files]
    assert (by_uri.name, by_uri.total, by_uri.invalid) == (by_path.name, by_path.total, by_path.invalid)


def test_an_audit_of_uris_is_the_audit_of_the_paths_with_uris_for_names(shards, tmp_path):
    out = tmp_path / "out"
    code = main(["audit", file_uri(shards.train), "--production", file_uri(shards.production) + "/prod_*.jsonl",
                 "--no-embeddings", "--format", "json", "--out", str(out)])
    by_uri = json.loads((out / "report.json").read_text(encoding="utf-8"))
    by_path = audit(shards.train, Config(), production=shards.production, embed=False).to_dict()
    assert code in (0, 1, 3) and by_uri["verdict"]["status"] == by_path["verdict"]["status"]
    assert [i["path"] for i in by_uri["inputs"]] == [file_uri(i["path"]) for i in by_path["inputs"]]
    groups = by_uri["checks"]["duplicates"]["exact_groups"]
    assert len(groups) == len(by_path["checks"]["duplicates"]["exact_groups"]) > 0
    assert all(m["file"].startswith("file:///") for g in groups for m in g["members"])


@pytest.mark.parametrize("uri, message", [
    ("foo://bucket/train.jsonl", "foo://bucket/train.jsonl: cannot open this URI (Unrecognized filesystem type"),
    ("file:///no/such/folder/train.jsonl", "file:///no/such/folder/train.jsonl: no such file or directory"),
    ("file:///no/such/folder/", "file:///no/such/folder/: no such file or directory"),
])
def test_a_bad_uri_exits_2_with_one_line_naming_it(uri, message, tmp_path, capsys):
    assert main(["audit", uri, "--no-embeddings", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and not (tmp_path / "out").exists()


def test_data_steps_group_by_key_and_count_give_the_index_and_whole_dataset_counts(shards):
    engine = LocalEngine()
    dataset = engine.read(shards.train, Config())
    index = engine.index("train", dataset, Config())
    groups = engine.group_by_key(dataset, normalised_input)
    assert groups == index.positions and list(groups) == index.distinct  # positions and first-appearance order
    assert sum(len(p) > 1 for p in groups.values()) == len(shards.copies) + 1  # the planted copies and the conflict
    assert engine.count(dataset, label_counts) == Counter(r.label for r in dataset.records)
    assert [n for _, n in engine.map_partitions(dataset, process_and_size)] == [49, 50, 50]  # one call per file
    assert engine.map_merge(dataset, process_and_size, lambda a, b: (a[0], a[1] + b[1]))[1] == len(dataset.records)
    assert [k for keys in engine.map_keys(index, list) for k in keys] == index.keys  # each file's keys, in record order
    # plain text: a record's query is its input, so the queries mapped are the keys
    assert engine.map_keys(index, list, queries=True) == engine.map_keys(index, list)
    assert [n for _, n in engine.map_keys(index, keys_and_process)] == [49, 50, 50]


def test_map_records_gives_one_value_per_record_in_dataset_order_however_files_interleave():
    from dataaudit.engine.base import SerialSteps
    from dataaudit.load.records import Dataset, InputFile, Record

    records = [Record("a.jsonl", 1, "text_label", "x"), Record("b.jsonl", 1, "text_label", "y"),
               Record("a.jsonl", 2, "text_label", "z")]  # annotation items grouped across files interleave
    dataset = Dataset("d", [InputFile("a.jsonl", "", 2), InputFile("b.jsonl", "", 1)], records, [], 3, 0)
    assert SerialSteps().map_records(dataset, lambda part: [r.input_text for r in part]) == ["x", "y", "z"]
    with pytest.raises(ValueError, match="returned 1 values for 2 records"):
        SerialSteps().map_records(dataset, lambda part: part[:1])


def test_the_checks_per_record_work_goes_through_the_engine_steps(tmp_path):
    """Format, size, balance, tokens and PII run their per-file work through the steps the engine supplies (on
    Ray: tasks where the files were read), and give what they give without an engine."""
    from dataaudit.engine.base import SerialSteps

    class Recording(SerialSteps):
        def __init__(self):
            self.ran: list[str] = []

        def map_partitions(self, dataset, fn, *args):
            self.ran.append(args[0].__name__ if fn.__name__ == "_per_record" else fn.__name__)
            return super().map_partitions(dataset, fn, *args)

    sample = Path(__file__).resolve().parent.parent / "sample_data"
    steps = Recording()
    engine = LocalEngine()
    engine.map_partitions = steps.map_partitions
    # No result reuse: the second audit must measure again.
    config = config_from_dict({"tokens": {"target_model": "gpt-4o-mini-2024-07-18"}, "embeddings": {"cache": False}})
    report = audit(sample / "support_tickets.jsonl", config, production=sample / "production.jsonl", embed=False, engine=engine)
    plain = audit(sample / "support_tickets.jsonl", config, production=sample / "production.jsonl", embed=False)
    assert {"file_formats", "file_token_lengths", "label_counts", "token_counts", "scan_records"} <= set(steps.ran)
    assert steps.ran.count("scan_records") == 2  # train and production
    for check in ("format", "size", "balance", "tokens", "pii"):
        assert report.checks[check] == plain.checks[check]


def test_per_file_counts_rows_as_records_valid_and_invalid_and_items_apart(tmp_path):
    # A long layout's row is one rating: valid counted the file's items (3) beside records and invalid in rows.
    config = Config(fields=FieldsConfig(annotator="annotator", id="item_id"))
    paths = []
    for batch in (1, 2):
        rows = [{"item_id": f"{batch}-{i}", "annotator": who, "text": f"batch {batch} item {i}", "label": "x"}
                for i in range(3) for who in ("a", "b")]
        paths.append(write_jsonl(tmp_path / f"b{batch}.jsonl", rows + ([{"item_id": "2-0", "annotator": "a", "label": "y"}] * (batch == 2))))
    report = audit(paths, config, embed=False)
    assert [(f.records, f.valid, f.invalid, f.items) for f in report.per_file] == [(6, 6, 0, 3), (7, 6, 1, 3)]


def test_agreement_preference_and_batches_run_their_per_file_work_through_the_engine_steps(tmp_path):
    """Their per-record work goes through the steps the engine supplies (on Ray: tasks where the files were
    read), file by file, and gives what a measurement without an engine gives."""
    from dataaudit.checks import preference
    from dataaudit.checks.agreement import measure_agreement
    from dataaudit.checks.base import AuditContext
    from dataaudit.engine.base import SerialSteps

    ran: list[str] = []

    class Recording(LocalEngine):
        def map_partitions(self, dataset, fn, *args):
            ran.append(args[0].__name__ if fn.__name__ == "_per_record" else fn.__name__)
            return super().map_partitions(dataset, fn, *args)

    ratings = annotation_shards(tmp_path / "ratings", spanning=False)
    config = config_from_dict(ANNOTATION_CONFIG)
    report = audit(ratings, config, embed=False, engine=Recording())
    dataset = load_dataset(sorted(str(p) for p in ratings.iterdir()), config)
    assert report.checks["agreement"] == measure_agreement(dataset, config.agreement)
    assert [f.file for f in report.per_file] == [f.path for f in dataset.files]
    assert ran.count("rating_vocabulary") == ran.count("coded_items") == 1 and ran.count("file_batch") == 1

    pairs = preference_shards(tmp_path / "pairs")
    config = config_from_dict(PREFERENCE_CONFIG)
    report = audit(pairs, config, embed=False, engine=Recording())
    plain = AuditContext(config=config, train=LocalEngine().index("train", LocalEngine().read(pairs, config), config))
    assert isinstance(plain.steps, SerialSteps) and report.checks["preference"] == preference.measure(plain)
    assert "preference_facts" in ran


def test_coverage_and_duplicates_search_their_neighbours_through_the_engine_steps(shards):
    """Coverage's pooled searches and the duplicates' semantic search go through the steps the engine supplies
    (on Ray: blocks of queries in tasks), with the results of a measurement without an engine."""
    import numpy as np

    from dataaudit.checks.coverage import estimate_coverage
    from dataaudit.checks.duplicates import measure_index
    from tests.engine_data import CharGramEmbedder

    searched: list[tuple[int, int, bool]] = []  # (indexed rows, queries, a self-query)

    class Recording(LocalEngine):
        def search(self, indexed, queries, k):
            searched.append((len(indexed), len(queries), queries is indexed))
            return super().search(indexed, queries, k)

    config = config_from_dict({"embeddings": {"cache": False}, "coverage": {"min_training_inputs_per_label": 0}})  # the shards hold 12 rows a label
    engine = Recording()
    report = audit(shards.train, config, production=shards.production, embedder=CharGramEmbedder(), engine=engine)
    train, production = report.checks["coverage"].training_inputs, report.checks["coverage"].production_inputs
    assert train > 0 and production > 0
    pooled = [(rows, queries) for rows, queries, itself in searched if not itself]
    assert len(pooled) >= 2 and all(rows == pooled[0][0] for rows, _ in pooled[:2])  # production, then the reference
    assert any(itself for _, _, itself in searched)  # the semantic duplicates search queries its own index

    local = LocalEngine()
    index = local.embed([local.index("train", local.read(shards.train, config), config)], CharGramEmbedder())[0][0]
    searched.clear()
    assert measure_index(index, config, steps=engine) == measure_index(index, config)
    assert searched and searched[0][2]
    searched.clear()
    vectors, counts = index.vectors, np.ones(20)
    stepped = estimate_coverage(vectors, None, vectors[:20], counts, config.section("coverage"), steps=engine)
    plain = estimate_coverage(vectors, None, vectors[:20], counts, config.section("coverage"))
    assert len(searched) >= 2 and stepped.covered_share == plain.covered_share
    assert np.array_equal(stepped.score, plain.score) and np.array_equal(stepped.nearest_index, plain.nearest_index)


def test_the_local_engines_version_is_dataaudits_as_the_readme_says(tmp_path):
    import dataaudit

    data = write_jsonl(tmp_path / "d.jsonl", [{"prompt": f"question number {i} about topic {i % 7}", "completion": f"answer {i}"}
                                              for i in range(30)])
    report = audit(str(data), Config(), embed=False).to_dict()
    assert report["engine"]["name"] == "local"
    assert report["engine"]["version"] == report["dataaudit_version"] == dataaudit.__version__
