from __future__ import annotations

import itertools

import pytest

from dataaudit.config import Config
from dataaudit.decide.verdict import Condition, build_verdict, overall_status


@pytest.mark.parametrize("statuses", list(itertools.product(["pass", "warn", "fail", "unknown"], repeat=3)))
def test_overall_status_for_every_combination(statuses):
    expected = "not_ready" if "fail" in statuses else "insufficient_evidence" if "unknown" in statuses else "ready"
    assert overall_status(list(statuses)) == expected


def test_exit_codes_and_sentence():
    conditions = [Condition("scale", "fail", "212 usable examples for a classification task that needs 500", action="Collect more."),
                  Condition("coverage", "unknown", "no production sample", action="Supply one."),
                  Condition("format", "pass", "all well-formed")]
    verdict = build_verdict(conditions, Config())
    assert verdict.status == "not_ready" and verdict.exit_code == 1
    assert verdict.sentence == "Not ready: 212 usable examples for a classification task that needs 500."
    assert verdict.actions == ["Collect more.", "Supply one."]
    assert [c.id for c in verdict.conditions] == ["format", "scale", "coverage"]


def test_unknown_alone_is_insufficient_evidence_and_warnings_stay_ready():
    assert build_verdict([Condition("coverage", "unknown", "no sample")], Config()).exit_code == 3
    verdict = build_verdict([Condition("format", "warn", "2 malformed"), Condition("scale", "pass", "ok")], Config())
    assert verdict.status == "ready" and verdict.exit_code == 0 and verdict.sentence == "Ready, with warnings: 2 malformed."


def test_conditions_declared_out_of_scope_are_not_judged_and_say_why():
    config = Config()
    config.conditions.skip = {"coverage": "no production sample yet"}
    verdict = build_verdict([Condition("coverage", "unknown", "no sample"), Condition("scale", "pass", "ok")], config)
    assert verdict.status == "ready"
    assert [(n.id, n.reason) for n in verdict.not_judged] == [("coverage", "no production sample yet")]
