"""compare.json: the dataset text the two report.json files hold is masked as in report.json."""

from __future__ import annotations

import json

from dataaudit.config import Config
from dataaudit.history.compare import compare_reports
from dataaudit.render.compare import comparison_json
from dataaudit.render.json_report import dumps, render_json

from conftest import write_jsonl

HOSTILE = ("\x1b]52;c;cHduZWQ=\x07<img src=x onerror=alert(1)> carol@example.com AKIAIOSFODNN7EXAMPLE \u202e"
           "\x1b[2J")


def test_compare_json_masks_a_forged_dataset_name_and_its_control_characters_as_compare_md_does(tmp_path):
    from dataaudit.api import audit

    rows = [{"text": f"ticket number {i} about my card", "label": "card" if i % 2 else "fx"} for i in range(20)]
    before = json.loads(render_json(audit(write_jsonl(tmp_path / "a.jsonl", rows), Config(), embed=False)))
    after = dict(before, dataset=HOSTILE, generated_at="later")
    result = compare_reports(before, after)
    assert result["datasets"]["after"] == HOSTILE  # what compare computes holds it raw: the JSON writer must not
    written = dumps(comparison_json(result), indent=2)
    for raw in ("carol@example.com", "AKIAIOSFODNN7EXAMPLE", "\x1b", "\x07", "\u202e"):
        assert raw not in written
    safe = json.loads(written)
    # decoded, as `jq -r .note` prints it: the controls only as visible escapes, none live
    assert not any(c in text for text in (safe["note"], safe["datasets"]["after"]) for c in "\x1b\x07\u202e")
    assert "\\x1b]52" in safe["note"]
    assert "<EMAIL" in safe["datasets"]["after"] and "<SECRET …MPLE>" in safe["datasets"]["after"]
    assert safe["datasets"]["after"] in safe["note"]
    assert safe["datasets"]["before"] == "a" and safe["changes"] == result["changes"]


def test_the_compare_json_file_written_holds_the_masked_name_not_the_forged_one(tmp_path):
    from dataaudit.api import audit, write_comparison

    rows = [{"text": f"ticket number {i} about my card", "label": "card" if i % 2 else "fx"} for i in range(20)]
    before = json.loads(render_json(audit(write_jsonl(tmp_path / "a.jsonl", rows), Config(), embed=False)))
    after = dict(before, dataset=HOSTILE, generated_at="later")
    written = (tmp_path / "out")
    write_comparison(compare_reports(before, after), written)
    text = (written / "compare.json").read_text(encoding="utf-8")
    assert "carol@example.com" not in text and "AKIAIOSFODNN7EXAMPLE" not in text and "\x1b" not in text
    assert "<EMAIL" in json.loads(text)["datasets"]["after"]
