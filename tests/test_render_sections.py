"""What the report sections write from a check's result: capped lists counted, figures formatted one way."""

from __future__ import annotations

from dataaudit.api import audit
from dataaudit.config import Config
from dataaudit.render.sections.duplicates import SECTION as DUPLICATES
from tests.conftest import write_jsonl


def test_the_duplicates_summary_lines_say_how_many_conflicts_and_groups_they_leave_out(tmp_path):
    rows = [{"text": f"unrelated query number {i} about topic {i % 7}", "label": "ab"[i % 2]} for i in range(40)]
    for k in range(5):  # five exact pairs, each with two labels: five conflicts, five groups
        rows += [{"text": f"please reset password number {k} for me", "label": "a"},
                 {"text": f"please reset password number {k} for me", "label": "b"}]
    report = audit(write_jsonl(tmp_path / "d.jsonl", rows), Config(task_type="format"), embed=False)
    d = report.checks["duplicates"]
    assert (d.conflict_count, d.exact_group_count + d.near_group_count) == (5, 5)
    lines = DUPLICATES.build(report).lines
    assert sum(line.startswith("conflict: ") for line in lines) == 3
    assert sum(line.startswith("exact group, ") for line in lines) == 3
    assert "... and 2 more conflicting group(s)" in lines and "... and 2 more duplicate group(s)" in lines


def test_the_duplicates_summary_adds_no_more_line_when_every_conflict_and_group_is_shown(tmp_path):
    rows = [{"text": f"unrelated query number {i} about topic {i % 7}", "label": "ab"[i % 2]} for i in range(40)]
    rows += [{"text": "please reset my password", "label": "a"}, {"text": "please reset my password", "label": "b"}]
    report = audit(write_jsonl(tmp_path / "d.jsonl", rows), Config(task_type="format"), embed=False)
    lines = DUPLICATES.build(report).lines
    assert sum(line.startswith("conflict: ") for line in lines) == 1
    assert not any(line.startswith("... and") for line in lines)
