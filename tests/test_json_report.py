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
    from dataaudit.render.sections.size import SECTION as SIZE

    rows = [{"text": f"ticket {label[-4:]} number {i} about my account", "label": label}
            for label, n in LABEL_COUNTS.items() for i in range(n)]
    report = audit(write_jsonl(tmp_path / "secretlabels.jsonl", rows), Config(), embed=False)
    balance = json.loads(render_json(report))["checks"]["balance"]
    assert balance["labels"] == 5
    # Numbered by the raw labels' order among those that read alike (AKIAABCD... before AKIAIOSF...), not by count.
    assert balance["counts"] == {"<SECRET …MPLE> #2": 7, "<SECRET …MPLE> #1": 6, "<PHONE …671> #2": 5,
                                 "<PHONE …671> #1": 4, "short": 3}
    assert sum(balance["counts"].values()) == 25
    assert list(balance["shares"]) == list(balance["counts"])
    assert [row[0] for row in SIZE.build(report).tables[0].rows] == list(balance["counts"])
    assert "AKIAIOSFODNN7EXAMPLE" not in render_json(report)


def test_a_label_that_masks_like_another_has_one_name_in_every_dict_and_every_run():
    """Numbered dict by dict in the order the keys came, A was #1 in checks.balance (ordered by count) and #2 in
    file x's shares, unnumbered in file y, and #2 in a run where it had fallen behind B: compare read no change."""
    a, b = "AKIAIOSFODNN7EXAMPLE", "AKIAABCDEFGHIJKLMPLE"  # b sorts first: #1
    run1 = _safe({"checks": {"balance": {"shares": {a: 0.6, b: 0.4}}},
                  "per_file": [{"file": "x", "label_shares": {b: 0.7, a: 0.3}}, {"file": "y", "label_shares": {b: 1.0}}]})
    run2 = _safe({"checks": {"balance": {"shares": {b: 0.6, a: 0.4}}}})
    assert run1 == {"checks": {"balance": {"shares": {"<SECRET …MPLE> #2": 0.6, "<SECRET …MPLE> #1": 0.4}}},
                    "per_file": [{"file": "x", "label_shares": {"<SECRET …MPLE> #1": 0.7, "<SECRET …MPLE> #2": 0.3}},
                                 {"file": "y", "label_shares": {"<SECRET …MPLE> #1": 1.0}}]}
    assert run2 == {"checks": {"balance": {"shares": {"<SECRET …MPLE> #1": 0.6, "<SECRET …MPLE> #2": 0.4}}}}


def test_labels_that_mask_alike_read_the_same_in_report_json_and_report_md_across_files(tmp_path):
    from dataaudit.api import audit
    from dataaudit.render.sections.size import SECTION as SIZE

    rows = [{"text": f"ticket {label[-4:]} number {i} about my account", "label": label}
            for label, n in LABEL_COUNTS.items() for i in range(n)]
    # each file holds one of the two phone labels: alone in its file, it is still numbered as in the whole report
    first = write_jsonl(tmp_path / "a.jsonl", rows[:18])
    second = write_jsonl(tmp_path / "b.jsonl", rows[18:])
    report = audit([first, second], Config(), embed=False)
    written = json.loads(render_json(report))
    names = {"AKIAABCDEFGHIJKLMPLE": "<SECRET …MPLE> #1", "AKIAIOSFODNN7EXAMPLE": "<SECRET …MPLE> #2",
             "+1 212 555 2671": "<PHONE …671> #1", "+1 415 555 2671": "<PHONE …671> #2", "short": "short"}
    assert written["checks"]["balance"]["counts"] == {names[label]: n for label, n in LABEL_COUNTS.items()}
    assert [list(f["label_shares"]) for f in written["per_file"]] == [[names[label] for label in f.label_shares]
                                                                      for f in report.per_file]
    assert "<PHONE …671> #2" in written["per_file"][0]["label_shares"]
    assert list(written["per_file"][1]["label_shares"]) == ["<PHONE …671> #1", "short"]
    assert {row[0]: row[1] for row in SIZE.build(report).tables[0].rows} == written["checks"]["balance"]["counts"]


def test_keys_masked_apart_by_their_digest_keep_their_masked_form_untagged():
    assert _safe({"a@example.com": 1, "plain": 2, "b@example.com": 3}) == {
        "<EMAIL …com #0816>": 1, "plain": 2, "<EMAIL …com #e8f3>": 3}
