"""report.json: dataset text masked, and no two keys that mask alike folded into one."""

from __future__ import annotations

import json

from dataaudit.config import Config
from dataaudit.render.json_report import _safe, render_json

from conftest import write_jsonl

# Labels used as classes that the masking reads alike: two AWS-key-shaped ids and two phone numbers.
LABEL_COUNTS = {"AKIAIOSFODNN7EXAMPLE": 7, "AKIAABCDEFGHIJKLMPLE": 6, "+1 415 555 2671": 5, "+1 212 555 2671": 4, "short": 3}


def test_labels_that_mask_alike_stay_distinct_keys_numbered_as_report_md_numbers_them(tmp_path):
    from dataaudit.api import audit

    rows = [{"text": f"ticket {label[-4:]} number {i} about my account", "label": label}
            for label, n in LABEL_COUNTS.items() for i in range(n)]
    report = audit(write_jsonl(tmp_path / "secretlabels.jsonl", rows), Config(), embed=False)
    balance = json.loads(render_json(report))["checks"]["balance"]
    assert balance["labels"] == 5
    assert balance["counts"] == {"<SECRET …MPLE> #1": 7, "<SECRET …MPLE> #2": 6, "<PHONE …671> #3": 5,
                                 "<PHONE …671> #4": 4, "short": 3}
    assert sum(balance["counts"].values()) == 25
    assert list(balance["shares"]) == list(balance["counts"])
    assert "AKIAIOSFODNN7EXAMPLE" not in render_json(report)


def test_keys_masked_apart_by_their_digest_keep_their_masked_form_untagged():
    assert _safe({"a@example.com": 1, "plain": 2, "b@example.com": 3}) == {
        "<EMAIL …com #0816>": 1, "plain": 2, "<EMAIL …com #e8f3>": 3}
