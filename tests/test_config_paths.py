"""A path in a config file is relative to that file's folder; a flag's or override's to the current directory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dataaudit.config import Config, config_with_overrides, load_config
from dataaudit.config_paths import PATH_KEYS, config_folder, config_path, with_resolved_paths

TOML = """
[tokens]
target_model = "team-model"
models_file = "mymodels.toml"
tokenizer = "tok"
[maintenance]
owner = "me"
eval_set = "data/eval.jsonl"
[embeddings]
cache_dir = "audit-cache"
model = "models/enc"
"""


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project whose config lies at its root, read from a subfolder (as find_config_file finds it)."""
    (tmp_path / "dataaudit.toml").write_text(TOML, encoding="utf-8")
    (tmp_path / "models" / "enc").mkdir(parents=True)
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    return tmp_path


def test_every_path_key_in_a_config_file_is_relative_to_the_file_from_any_folder(project):
    config = load_config(None)  # found upward from sub/
    assert Path(config.source).resolve() == project / "dataaudit.toml"
    assert {key: config_path(config, key) for key in PATH_KEYS} == {
        "embeddings.model": str(project / "models" / "enc"),
        "embeddings.cache_dir": str(project / "audit-cache"),
        "tokens.models_file": str(project / "mymodels.toml"),
        "tokens.tokenizer": str(project / "tok"),
        "maintenance.eval_set": str(project / "data" / "eval.jsonl"),
    }


def test_a_relative_config_source_is_read_against_the_folder_it_was_given_in(project, monkeypatch):
    monkeypatch.chdir(project)
    config = load_config("dataaudit.toml")
    monkeypatch.chdir(project / "sub")  # after loading: the file's folder was taken when it was read
    assert config.source == "dataaudit.toml"  # as given, for messages
    assert config_folder(config, "tokens.models_file") == project
    assert config_path(config, "tokens.models_file") == str(project / "mymodels.toml")
    assert with_resolved_paths(config).maintenance.eval_set == str(project / "data" / "eval.jsonl")
    overridden = config_with_overrides(config, {"tokens.tokenizer": "t"})  # an override keeps the file's folder
    assert config_path(overridden, "tokens.models_file") == str(project / "mymodels.toml")
    assert config_path(overridden, "tokens.tokenizer") == str(project / "sub" / "t")


def test_a_path_set_by_a_flag_or_override_stays_relative_to_the_current_folder(project):
    config = config_with_overrides(load_config(None), {"tokens.tokenizer": "mine/tok", "maintenance.eval_set": "e.jsonl"},
                                   names={"tokens.tokenizer": "--tokenizer"})
    assert config_folder(config, "tokens.tokenizer") == project / "sub"
    assert config_path(config, "tokens.tokenizer") == str(project / "sub" / "mine" / "tok")
    assert config_path(config, "maintenance.eval_set") == str(project / "sub" / "e.jsonl")
    assert config_path(config, "tokens.models_file") == str(project / "mymodels.toml")  # not overridden: the file's


def test_a_config_built_in_code_reads_paths_from_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = config_with_overrides(Config(), {"tokens.models_file": "m.toml"})
    assert config_path(config, "tokens.models_file") == str(tmp_path / "m.toml")
    assert config_folder(Config(), "maintenance.eval_set") == tmp_path


def test_unset_absolute_home_and_uri_values_are_kept(project):
    home = Path("~").expanduser()
    config = config_with_overrides(load_config(None), {
        "tokens.models_file": "", "tokens.tokenizer": str(project / "abs"), "maintenance.eval_set": "~/eval.jsonl",
        "embeddings.cache_dir": "s3://bucket/cache"})
    assert config_path(config, "tokens.models_file") == ""
    assert config_path(config, "tokens.tokenizer") == str(project / "abs")
    assert config_path(config, "maintenance.eval_set") == str(home / "eval.jsonl")
    assert config_path(config, "embeddings.cache_dir") == "s3://bucket/cache"


def test_a_model_name_with_nothing_by_that_name_beside_the_config_stays_a_name(project):
    (project / "dataaudit.toml").write_text('[embeddings]\nmodel = "sentence-transformers/all-MiniLM-L6-v2"\n', encoding="utf-8")
    assert config_path(load_config(None), "embeddings.model") == "sentence-transformers/all-MiniLM-L6-v2"


def test_without_a_maintenance_section_its_eval_set_is_unset(project):
    (project / "dataaudit.toml").write_text('[tokens]\nmodels_file = "m.toml"\n', encoding="utf-8")
    config = load_config(None)
    assert config_path(config, "maintenance.eval_set") == ""
    assert with_resolved_paths(config).maintenance is None


def test_with_resolved_paths_changes_the_path_keys_only(project):
    config = load_config(None)
    resolved = with_resolved_paths(config)
    assert resolved.section("tokens").models_file == str(project / "mymodels.toml")
    assert resolved.section("tokens").tokenizer == str(project / "tok")
    assert resolved.maintenance.eval_set == str(project / "data" / "eval.jsonl")
    assert resolved.embeddings.cache_dir == str(project / "audit-cache")
    assert resolved.embeddings.model == str(project / "models" / "enc")
    assert (resolved.source, resolved.set_by) == (config.source, config.set_by)
    before, after = config.to_dict(), resolved.to_dict()
    changed = {(section, key) for section in before if isinstance(before[section], dict)
               for key in before[section] if before[section][key] != after[section][key]}
    assert changed == {tuple(key.split(".")) for key in PATH_KEYS}
    assert config.section("tokens").models_file == "mymodels.toml"  # the original is left as it was
    assert with_resolved_paths(resolved).to_dict() == after  # resolving twice changes nothing


def test_the_same_config_copied_to_another_folder_names_other_files(project, tmp_path_factory):
    """Each copy reads its own folder's eval set, and both reports hold the same config, as written: a project
    that moves (a CI workspace) is not a config change to the history, and no absolute path is shown."""
    from dataaudit.api import audit

    elsewhere = tmp_path_factory.mktemp("elsewhere")
    toml = '[maintenance]\nowner = "me"\nretraining_cadence = "monthly"\nmonitoring = "alerts"\neval_set = "data/eval.jsonl"\n'
    (project / "data").mkdir()
    (project / "data" / "eval.jsonl").write_text('{"text": "x"}\n', encoding="utf-8")
    data = project / "t.jsonl"
    data.write_text("".join(f'{{"text": "ticket {i} about billing", "label": "{"ab"[i % 2]}"}}\n' for i in range(30)), encoding="utf-8")
    reports = []
    for folder in (project, elsewhere):
        (folder / "dataaudit.toml").write_text(toml + '[embeddings]\ncache = false\n', encoding="utf-8")
        reports.append(audit(data, config_path=folder / "dataaudit.toml", embed=False))
    here, there = reports
    assert (here.checks["maintenance"].missing, there.checks["maintenance"].missing) == ([], ["eval_set"])
    assert there.checks["maintenance"].eval_note == " (data/eval.jsonl does not exist)"
    assert here.config == there.config and here.config["maintenance"]["eval_set"] == "data/eval.jsonl"
    assert str(project) not in json.dumps(here.config) and str(elsewhere) not in json.dumps(there.config)


def test_an_audit_from_a_subfolder_keeps_its_results_in_the_cache_folder_beside_the_config(tmp_path, monkeypatch):
    from dataaudit.api import audit

    (tmp_path / "dataaudit.toml").write_text('[embeddings]\ncache_dir = "audit-cache"\n', encoding="utf-8")
    (tmp_path / "sub").mkdir()
    data = tmp_path / "t.jsonl"
    data.write_text("".join(f'{{"text": "ticket {i} about billing", "label": "{"ab"[i % 2]}"}}\n' for i in range(30)), encoding="utf-8")
    monkeypatch.chdir(tmp_path / "sub")
    audit(data, config_path=None, embed=False)
    assert list((tmp_path / "audit-cache" / "results").glob("*.pickle"))
    assert not (tmp_path / "sub" / "audit-cache").exists()


def test_a_models_file_that_is_not_there_is_refused_before_the_audit_even_without_a_target_model(tmp_path, capsys, monkeypatch):
    """A tokenizer set without a model was refused while a misspelt models_file passed unnoticed."""
    from dataaudit.cli import main

    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps({"text": f"question {i}", "label": "ab"[i % 2]}) + "\n" for i in range(20)))
    config = tmp_path / "cfg" / "dataaudit.toml"
    config.parent.mkdir()
    config.write_text('[tokens]\nmodels_file = "nope.toml"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["audit", str(data), "--no-embeddings", "--format", "json", "--config", str(config)]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        f"dataaudit: error: {config}: tokens.models_file: 'nope.toml': no such file (looked for {tmp_path / 'cfg' / 'nope.toml'}, "
        "relative to the config file's folder); name the TOML file that describes the extra models, or remove the key"]
    (tmp_path / "cfg" / "nope.toml").mkdir()
    assert main(["audit", str(data), "--no-embeddings", "--format", "json", "--config", str(config)]) == 2
    assert "tokens.models_file: 'nope.toml': a folder, not a file" in capsys.readouterr().err
    (tmp_path / "cfg" / "nope.toml").rmdir()
    (tmp_path / "cfg" / "nope.toml").write_text('[models.team-model]\nencoding = "o200k_base"\n', encoding="utf-8")
    assert main(["audit", str(data), "--no-embeddings", "--format", "json", "--config", str(config)]) in (0, 1, 3)
    report = json.loads(capsys.readouterr().out)
    assert report["config"]["tokens"]["models_file"] == "nope.toml"


def test_the_python_api_refuses_a_missing_models_file_too(tmp_path):
    """Only the command line checked it: audit() from a notebook ran on with a misspelt models_file."""
    from dataaudit.api import audit
    from dataaudit.config import load_config
    from dataaudit.errors import ConfigError

    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps({"text": f"question {i}", "label": "ab"[i % 2]}) + "\n" for i in range(20)))
    config = tmp_path / "cfg" / "dataaudit.toml"
    config.parent.mkdir()
    config.write_text('[tokens]\nmodels_file = "nope.toml"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        audit(data, load_config(config), embed=False)
    assert str(raised.value) == (f"{config}: tokens.models_file: 'nope.toml': no such file (looked for "
                                 f"{tmp_path / 'cfg' / 'nope.toml'}, relative to the config file's folder); name the TOML "
                                 "file that describes the extra models, or remove the key")
