"""render/outputs.py: the report files and line files of --out, masked as the report's config says, as a set."""

from __future__ import annotations

import pytest

from dataaudit.api import audit
from dataaudit.config import config_from_dict
from dataaudit.render.outputs import line_files, write_reports
from tests.conftest import write_jsonl

GERMAN_NUMBERS = ("030 22610445", "030 22610446")  # national form: found only where [pii] phone_regions names DE


def _german_rows() -> list[dict]:
    rows = [{"text": f"Kunde {i} meldet sich wegen Rechnung {i}", "label": "keine"} for i in range(30)]
    # one text labelled with two numbers: a conflict whose labels duplicates.jsonl lists
    return rows + [{"text": "Bitte rufen Sie mich zurück, Nummer im Ticket", "label": number} for number in GERMAN_NUMBERS]


@pytest.fixture(scope="module")
def german_report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("de")
    data = write_jsonl(folder / "train.jsonl", _german_rows())
    config = config_from_dict({"task_type": "classification", "pii": {"phone_regions": ["DE"]}})
    return audit(str(data), config, embed=False)


def test_a_number_of_a_configured_region_is_masked_in_every_file_written_after_the_audit(german_report, tmp_path):
    """duplicates.jsonl listed the conflict's labels in clear while report.json masked them: the line files
    were rendered outside the audit's masking block and without the report's own regions."""
    written = write_reports(german_report, tmp_path, ["json", "md", "html"])
    assert sorted(p.name for p in written) == ["duplicates.jsonl", "report.html", "report.json", "report.md"]
    for path in written:
        assert "22610445" not in path.read_text(encoding="utf-8"), path.name
    conflict = next(line for line in (tmp_path / "duplicates.jsonl").read_text(encoding="utf-8").splitlines() if '"conflict"' in line)
    assert '"labels": ["<PHONE …445>", "<PHONE …446>"]' in conflict


def test_line_files_called_on_their_own_mask_with_the_report_s_regions(german_report, tmp_path):
    ((path, text),) = line_files(german_report, tmp_path)
    assert path == tmp_path / "duplicates.jsonl"
    assert "<PHONE …446>" in text and "22610446" not in text


def test_coverage_not_measured_writes_no_coverage_file_and_removes_an_earlier_one(tmp_path, embedder):
    """Two production rows are too few to estimate coverage: README says coverage.jsonl is then removed; it
    was written empty (0 bytes), which a script reads as 'no production line'."""
    data = write_jsonl(tmp_path / "train.jsonl", _german_rows())
    production = write_jsonl(tmp_path / "prod.jsonl", [{"text": "Bitte rufen Sie mich zurück"}, {"text": "Kunde 3 meldet sich"}])
    report = audit(str(data), config_from_dict({"task_type": "classification"}), production=str(production), embedder=embedder)
    assert report.checks["coverage"] is not None and report.checks["coverage"].not_measured
    out = tmp_path / "out"
    out.mkdir()
    (out / "coverage.jsonl").write_text('{"file": "old"}\n', encoding="utf-8")  # an earlier run's
    written = write_reports(report, out, ["json"])
    assert sorted(p.name for p in written) == ["duplicates.jsonl", "report.json"]
    assert sorted(p.name for p in out.iterdir()) == ["duplicates.jsonl", "report.json"]
