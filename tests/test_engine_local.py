from __future__ import annotations

import sys
from pathlib import Path

import pytest

from dataaudit.api import audit
from dataaudit.cli import main
from dataaudit.config import Config, config_from_dict
from dataaudit.engine import EngineConfig, make_engine
from dataaudit.engine.base import expand_inputs
from dataaudit.engine.local import LocalEngine
from dataaudit.errors import ConfigError, DataAuditError, InputError
from dataaudit.load.dataset import load_dataset
from tests.engine_data import clinc_shards


@pytest.fixture(scope="module")
def shards(tmp_path_factory):
    return clinc_shards(tmp_path_factory.mktemp("shards"))


def test_a_directory_is_its_data_files_sorted_and_a_glob_its_matches(shards):
    names = [Path(p).name for p in expand_inputs(shards.train)]
    assert names == ["train_0.jsonl", "train_1.csv", "train_2.parquet"]  # README.md left out
    assert [Path(p).name for p in expand_inputs(str(shards.production / "prod_*.jsonl"))] == ["prod_0.jsonl", "prod_1.jsonl"]
    both = expand_inputs([shards.train, str(shards.train / "train_1.csv")])
    assert len(both) == 3  # a file named twice is read once


def test_an_empty_directory_is_an_input_error(tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(InputError, match="no data files"):
        expand_inputs(tmp_path)


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
