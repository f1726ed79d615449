"""The maintenance check as the runner sees it: not asked for without a [maintenance] section."""

from __future__ import annotations

from dataaudit.api import run_checks
from dataaudit.checks.base import AuditContext, RunStatus, Status
from dataaudit.checks.maintenance import CHECK
from dataaudit.config import Config, MaintenanceConfig, config_with_overrides, load_config
from dataaudit.index import build_index
from dataaudit.load.records import Dataset, InputFile, Record
from dataaudit.report import run_entry


def _context(config: Config) -> AuditContext:
    records = [Record("t.jsonl", 1, "text_label", "hello there", None, "a")]
    dataset = Dataset("t", [InputFile("t.jsonl", "0" * 64, 1)], records, [], 1, 0)
    return AuditContext(config=config, train=build_index("train", dataset, str.casefold))


def test_without_a_maintenance_section_the_check_is_not_run_and_says_which_section(tmp_path):
    results, findings, _ = run_checks(_context(Config()), (CHECK,))
    entry = run_entry(results.runs["maintenance"], results["maintenance"])
    assert entry["status"] == "not_run" and "[maintenance]" in entry["reason"]
    assert findings == []  # no condition judged unless the full decision is asked for


def test_the_full_decision_still_judges_maintenance_unknown_when_the_section_is_missing():
    config = Config()
    config.conditions.full_decision = True
    results, findings, _ = run_checks(_context(config), (CHECK,))
    assert results.runs["maintenance"].status == RunStatus.NOT_RUN
    assert [(f.condition, f.status) for f in findings] == [("maintenance", Status.UNKNOWN)]


def test_with_a_maintenance_section_the_check_runs(tmp_path):
    config = Config(maintenance=MaintenanceConfig(owner="Dana"))
    config.source = str(tmp_path / "dataaudit.toml")
    results, findings, _ = run_checks(_context(config), (CHECK,))
    assert run_entry(results.runs["maintenance"], results["maintenance"])["status"] == "ran"
    assert results["maintenance"].missing == ["retraining_cadence", "monitoring", "eval_set"]
    assert [(f.condition, f.status) for f in findings] == [("maintenance", Status.FAIL)]


def _plan_config(folder, eval_set: str):
    (folder / "dataaudit.toml").write_text(
        f'[maintenance]\nowner = "Dana"\nretraining_cadence = "monthly"\neval_set = "{eval_set}"\nmonitoring = "drift alerts"\n',
        encoding="utf-8")
    return load_config(None)


def test_the_eval_set_is_relative_to_the_config_file_when_run_from_a_subfolder(tmp_path, monkeypatch):
    (tmp_path / "sub").mkdir()
    (tmp_path / "eval.jsonl").write_text('{"text": "x"}\n', encoding="utf-8")
    (tmp_path / "sub" / "eval.jsonl").write_text("", encoding="utf-8")  # the current folder's: empty, not the one named
    monkeypatch.chdir(tmp_path / "sub")
    config = _plan_config(tmp_path, "eval.jsonl")
    results, findings, _ = run_checks(_context(config), (CHECK,))
    assert results["maintenance"].missing == []
    assert [(f.condition, f.status) for f in findings] == [("maintenance", Status.PASS)]


def test_an_eval_set_given_as_an_override_is_relative_to_the_current_folder(tmp_path, monkeypatch):
    (tmp_path / "sub").mkdir()
    (tmp_path / "eval.jsonl").write_text('{"text": "x"}\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path / "sub")
    config = config_with_overrides(_plan_config(tmp_path, "eval.jsonl"), {"maintenance.eval_set": "eval.jsonl"})
    results, findings, _ = run_checks(_context(config), (CHECK,))
    assert results["maintenance"].missing == ["eval_set"] and results["maintenance"].eval_note == " (eval.jsonl does not exist)"
    (tmp_path / "sub" / "eval.jsonl").write_text('{"text": "y"}\n', encoding="utf-8")
    results, _, _ = run_checks(_context(config), (CHECK,))
    assert results["maintenance"].missing == []
