"""The maintenance check as the runner sees it: not asked for without a [maintenance] section."""

from __future__ import annotations

from dataaudit.api import run_checks
from dataaudit.checks.base import AuditContext, RunStatus, Status
from dataaudit.checks.maintenance import CHECK
from dataaudit.config import Config, MaintenanceConfig
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
