from __future__ import annotations

import itertools
from dataclasses import replace

import pytest

from dataaudit.checks.base import Finding, Status
from dataaudit.decide.conditions import CONDITION_IDS, SPECS
from dataaudit.decide.verdict import Condition, build_verdict, decide, merge_findings, overall_status


@pytest.mark.parametrize("statuses", list(itertools.product(["pass", "warn", "fail", "unknown"], repeat=3)))
def test_overall_status_for_every_combination(statuses):
    expected = "not_ready" if "fail" in statuses else "insufficient_evidence" if "unknown" in statuses else "ready"
    assert overall_status(list(statuses)) == expected


def test_exit_codes_and_sentence():
    conditions = [Condition("scale", "fail", "212 usable examples for a classification task that needs 500", action="Collect more."),
                  Condition("coverage", "unknown", "no production sample", action="Supply one."),
                  Condition("format", "pass", "all well-formed")]
    verdict = build_verdict(conditions)
    assert verdict.status == "not_ready" and verdict.exit_code == 1
    assert verdict.sentence == "Not ready: 212 usable examples for a classification task that needs 500."
    assert verdict.actions == ["Collect more.", "Supply one."]
    assert [c.id for c in verdict.conditions] == ["format", "scale", "coverage"]



def test_the_sentence_says_a_reason_two_conditions_give_once_and_the_table_keeps_both():
    off = "embeddings were switched off (--no-embeddings)"
    consistency = Condition("consistency", "unknown", f"no item carries more than one annotation; label noise did not run: {off}")
    coverage = Condition("coverage", "unknown", f"{off}; no production sample was supplied (--production)")
    verdict = build_verdict([consistency, coverage])
    assert verdict.sentence == (f"Not enough evidence: no item carries more than one annotation; label noise did not run: {off}; "
                                "no production sample was supplied (--production).")
    assert [c.summary for c in verdict.conditions] == [consistency.summary, coverage.summary]
    alone = Condition("coverage", "unknown", off)  # a condition with nothing left to add says nothing more
    assert build_verdict([consistency, alone]).sentence == f"Not enough evidence: {consistency.summary}."
    # a clause that only appears inside an earlier one is its own: "2 eval records" after "12 eval records"
    twelve = Condition("hygiene", "fail", "12 eval records are copies of training records")
    two = Condition("scale", "fail", "2 eval records are copies of training records; 40 usable examples")
    assert build_verdict([twelve, two]).sentence == ("Not ready: 12 eval records are copies of training records; "
                                                     "2 eval records are copies of training records; 40 usable examples.")

def test_unknown_alone_is_insufficient_evidence_and_warnings_stay_ready():
    assert build_verdict([Condition("coverage", "unknown", "no sample")]).exit_code == 3
    verdict = build_verdict([Condition("format", "warn", "2 malformed"), Condition("scale", "pass", "ok")])
    assert verdict.status == "ready" and verdict.exit_code == 0 and verdict.sentence == "Ready, with warnings: 2 malformed."


def test_conditions_declared_out_of_scope_are_not_judged_and_say_why():
    verdict = build_verdict([Condition("coverage", "unknown", "no sample"), Condition("scale", "pass", "ok")],
                            {"coverage": "no production sample yet"})
    assert verdict.status == "ready"
    assert [(n.id, n.reason) for n in verdict.not_judged] == [("coverage", "no production sample yet")]


def test_a_skipped_condition_is_listed_once_even_when_also_absent():
    # prompt_ceiling is both declared out of scope and absent from the findings: one entry, the team's reason.
    verdict = decide([Finding("scale", Status.PASS, "ok")], {"prompt_ceiling": "decided by the product team"})
    ids = [n.id for n in verdict.not_judged]
    assert ids.count("prompt_ceiling") == 1
    assert dict((n.id, n.reason) for n in verdict.not_judged)["prompt_ceiling"] == "decided by the product team"


def test_nothing_on_the_data_judged_is_not_enough_evidence_not_ready():
    skip_all = {cid: "out of scope" for cid in CONDITION_IDS}
    verdict = decide([Finding(cid, Status.PASS, "ok") for cid in CONDITION_IDS], skip_all)
    assert verdict.status == "insufficient_evidence" and verdict.exit_code == 3 and verdict.conditions == []
    # Only conditions outside the data judged (a maintenance plan) still says nothing about the data.
    only_outside = decide([Finding("maintenance", Status.PASS, "owned")], {})
    assert only_outside.status == "insufficient_evidence"


def test_merge_takes_the_worst_known_finding_and_ignores_unknown_beside_a_known_one():
    merged = merge_findings("consistency", [Finding("consistency", Status.UNKNOWN, "no item has two annotations", {"a": 1}, "Collect."),
                                            Finding("consistency", Status.WARN, "6% of labels look wrong", {"rate": 0.06}, "Re-check.")])
    assert merged.status == "warn" and merged.summary == "6% of labels look wrong" and merged.action == "Re-check."
    merged = merge_findings("hygiene", [Finding("hygiene", Status.PASS, "no leakage"), Finding("hygiene", Status.FAIL, "a secret", {}, "Remove it."),
                                        Finding("hygiene", Status.WARN, "2% duplicates", {}, "Dedup.")])
    assert merged.status == "fail" and merged.summary == "a secret; 2% duplicates" and merged.action == "Remove it. Dedup."
    only_unknown = merge_findings("coverage", [Finding("coverage", Status.UNKNOWN, "no production sample", {}, "Supply one.")])
    assert only_unknown.status == "unknown" and only_unknown.action == "Supply one."
    all_pass = merge_findings("format", [Finding("format", Status.PASS, "all well-formed"), Finding("format", Status.PASS, "none over the limit")])
    assert all_pass.status == "pass" and all_pass.summary == "all well-formed; none over the limit"


def test_an_unknown_from_the_only_check_that_can_judge_holds_the_condition_unknown_unless_another_fails_it():
    # Agreement on an annotation export with no item annotated twice: label noise's pass or warning does not stand
    # in for it, its failure still fails the condition.
    alone = Finding("consistency", Status.UNKNOWN, "no item carries more than one annotation",
                    {"items_with_multiple_labels": 0, "judged_only_by": "agreement"}, "Have two annotators label an overlap.")
    passed = Finding("consistency", Status.PASS, "an estimated 0.7% of labels are wrong", {"estimated_error_rate": 0.0067})
    merged = merge_findings("consistency", [alone, passed])
    assert merged.status == "unknown" and merged.summary == "no item carries more than one annotation"
    assert merged.action == "Have two annotators label an overlap."
    # the passing finding's figure was measured: shown, not null, though its pass does not decide
    assert merged.evidence == {**dict.fromkeys(SPECS["consistency"].evidence_keys), "items_with_multiple_labels": 0,
                               "judged_only_by": "agreement", "estimated_error_rate": 0.0067}
    # label noise unknown (its classifier too weak) beside agreement's: both say why, both actions stand
    unreliable = Finding("consistency", Status.UNKNOWN, "label noise cannot be estimated: the classifier learns nothing",
                         {"reason": "accuracy 0.50 at baseline 0.50"}, "Have a second annotator label a sample.")
    both = merge_findings("consistency", [alone, unreliable])
    assert both.status == "unknown"
    assert both.summary == ("no item carries more than one annotation; "
                            "label noise cannot be estimated: the classifier learns nothing")
    assert both.action == "Have two annotators label an overlap. Have a second annotator label a sample."
    assert (both.evidence["judged_only_by"], both.evidence["reason"]) == ("agreement", "accuracy 0.50 at baseline 0.50")
    warned = merge_findings("consistency", [alone, replace(passed, status=Status.WARN, summary="an estimated 6% of labels are wrong")])
    assert warned.status == "unknown"
    assert warned.summary == "no item carries more than one annotation; an estimated 6% of labels are wrong"
    failed = merge_findings("consistency", [alone, replace(passed, status=Status.FAIL, summary="an estimated 12% of labels are wrong")])
    assert failed.status == "fail" and failed.summary == "an estimated 12% of labels are wrong"
    verdict = decide([Finding("format", Status.PASS, "all well-formed"), alone, passed,
                      Finding("scale", Status.PASS, "142 usable")], {"coverage": "no production sample yet"})
    assert verdict.status == "insufficient_evidence" and verdict.exit_code == 3
    # without the key, an unknown beside a known finding is ignored, as before (a plain labelled file)
    plain = merge_findings("consistency", [replace(alone, evidence={"items_with_multiple_labels": 0}), passed])
    assert plain.status == "pass"


def test_conditions_without_findings_are_not_judged_with_the_catalogue_reason():
    verdict = decide([Finding("format", Status.PASS, "ok")], {})
    reasons = {n.id: n.reason for n in verdict.not_judged}
    assert "--prompt-log" in reasons["prompt_ceiling"] and "[maintenance]" in reasons["maintenance"]


def test_evidence_keys_a_check_adds_on_some_runs_only_are_always_there_null_when_not_given():
    # pii says personal_share only over its bound; size says rare_labels only when some label is rare
    clean = merge_findings("hygiene", [Finding("hygiene", Status.PASS, "no personal data", {"share": 0.0})])
    assert clean.evidence == {**dict.fromkeys(SPECS["hygiene"].evidence_keys), "share": 0.0}
    assert clean.evidence["personal_share"] is None and clean.evidence["max_share"] is None
    found = merge_findings("hygiene", [Finding("hygiene", Status.WARN, "personal data", {"share": 0.1, "personal_share": 0.1, "max_share": 0.2})])
    assert set(found.evidence) == set(clean.evidence)
    scale = merge_findings("scale", [Finding("scale", Status.PASS, "enough", {"usable": 600})])
    assert scale.evidence["rare_labels"] is None and scale.evidence["imbalance_ratio"] is None and scale.evidence["usable"] == 600


def test_evidence_figures_are_rounded_to_one_precision_whichever_check_gave_them():
    condition = merge_findings("format", [Finding("format", Status.WARN, "5 malformed",
                                                  {"invalid_share": 0.019011406844106463, "bounds": [0.0500001, 1], "by": {"a": 1 / 3}})])
    assert condition.evidence["invalid_share"] == 0.0190114
    assert condition.evidence["bounds"] == [0.0500001, 1] and condition.evidence["by"] == {"a": 0.333333}
    # Significant digits: a figure beside its threshold keeps what separates them (0.89996 is not 0.9 beside a fail
    # against 0.9), and a small share does not read 0.0 beside a warn.
    failed = merge_findings("coverage", [Finding("coverage", Status.FAIL, "short", {"covered_share": 0.8999612, "tiny": 1 / 30000})])
    assert failed.evidence["covered_share"] == 0.899961 and failed.evidence["tiny"] == 3.33333e-05


def test_a_failed_check_beside_a_warning_keeps_the_declared_evidence_keys():
    # The warning's evidence is shown beside the failure, so the condition's declared keys are there, null when
    # not given, exactly as when no check failed; the failure with nothing else to show holds it alone.
    crashed = Finding("hygiene", Status.UNKNOWN, "the pii check failed", {"check_failed": "pii"})
    warned = Finding("hygiene", Status.WARN, "2% duplicates", {"duplicate_share": 0.02}, "Dedup.")
    merged = merge_findings("hygiene", [crashed, warned])
    assert merged.status == "unknown"
    assert merged.evidence == {**dict.fromkeys(SPECS["hygiene"].evidence_keys), "check_failed": "pii", "duplicate_share": 0.02}
    alone = merge_findings("hygiene", [crashed, Finding("hygiene", Status.PASS, "no leakage", {"leaked": 0})])
    assert alone.status == "unknown" and alone.evidence == {"check_failed": "pii"}


def test_a_condition_names_the_input_files_its_sentences_name_as_given_longest_first():
    """report.json masks a sentence as text ("d18/<EMAIL …sonl #1e16> line 301"); the files it names are listed
    beside it, exactly as given, so a script can tell which file is meant."""
    paths = ["d18/frank.path@example.com.jsonl", "a.jsonl", "a.jsonl.gz", "b.jsonl", "eval.jsonl"]
    findings = [Finding("hygiene", Status.WARN, "personal data in 2 of 300 training records", {},
                        "Redact before training: d18/frank.path@example.com.jsonl line 301, a.jsonl.gz line 4."),
                Finding("format", Status.WARN, "1 file could not be read as records (b.jsonl: file is empty)", {}, "Fix it."),
                Finding("scale", Status.FAIL, "277 usable examples (data.jsonl is not an input; xa.jsonl neither)", {}, "Collect.")]
    verdict = decide(findings, {}, paths=paths)
    files = {c.id: c.files for c in verdict.conditions}
    assert files == {"format": ["b.jsonl"], "hygiene": ["d18/frank.path@example.com.jsonl", "a.jsonl.gz"], "scale": []}
    assert decide(findings, {}).conditions[0].files == []  # no inputs named: nothing to find


def test_dataset_text_a_summary_quotes_is_shown_as_its_truncated_excerpt():
    """A 26,000-character reply taken as a label was printed whole in the verdict sentence and the scale row: a
    label (or other dataset text from a finding's evidence) quoted in a sentence goes through excerpt()."""
    from dataaudit.excerpt import plain_excerpt

    label = "Eat a banana! " * 2000
    # at most 80 characters, the ellipsis included: 79 of the label, then "…"
    label_shown = "Eat a banana! " * 5 + "Eat a ban…"
    mailed = "ask bob.smith@example.com"
    summary = f"4 usable examples for a classification task that needs 500; 2 label(s) under 10 examples: '{label}' (1), '{mailed}' (1)"
    finding = Finding("scale", Status.FAIL, summary, {"rare_labels": {label: 1, mailed: 1}, "usable": 4}, "Collect more.")
    condition = merge_findings("scale", [finding])
    assert condition.summary == ("4 usable examples for a classification task that needs 500; 2 label(s) under 10 examples: "
                                 f"'{label_shown}' (1), '{plain_excerpt(mailed)}' (1)")
    assert len(label_shown) == 80 and "bob.smith@example.com" not in condition.summary
    assert condition.evidence["rare_labels"] == {label: 1, mailed: 1}  # the figures are evidence, kept whole
    verdict = decide([finding], {})
    assert verdict.sentence == f"Not ready: {condition.summary}." and len(verdict.sentence) < 300


def test_a_quoted_file_path_and_unquoted_wording_are_left_whole():
    """Only quoted dataset text is cut: a long input path stays whole (the user must find the file, and
    Condition.files lists it), and a check's own wording from its evidence is not dataset text."""
    path = "/data/" + "nested/" * 30 + "train.jsonl"
    reason = "every record is a chat whose assistant reply is free text, " * 3
    finding = Finding("format", Status.FAIL, f"1 malformed record in '{path}' ({reason})", {"file": path, "task_type_reason": reason})
    verdict = decide([finding], {}, [path])
    assert verdict.conditions[0].summary == f"1 malformed record in '{path}' ({reason})"
    assert verdict.conditions[0].files == [path]


def test_consistency_does_not_apply_to_free_text_targets_without_labels():
    from dataaudit.decide.conditions import not_applicable

    (reason,) = not_applicable("generation", labelled=False).values()
    assert list(not_applicable("generation", labelled=False)) == ["consistency"]
    assert reason.startswith("not applicable: the targets are free text (a generation task), not labels")
    assert not_applicable("generation", labelled=True) == {}  # a label field or several annotators' labels: judged
    assert not_applicable("classification", labelled=False) == {}
    findings = [Finding("format", Status.PASS, "all 1100 records are well-formed"),
                Finding("consistency", Status.UNKNOWN, "no item carries more than one annotation", {}, "Have two annotators label."),
                Finding("scale", Status.PASS, "1100 usable examples for a generation task (needs 1000)")]
    verdict = decide(findings, {"coverage": "no production sample yet"}, not_applicable=not_applicable("generation", labelled=False))
    assert verdict.status == "ready" and verdict.exit_code == 0 and "annotator" not in " ".join(verdict.actions)
    assert [(n.id, n.reason) for n in verdict.not_judged][:2] == [("coverage", "no production sample yet"), ("consistency", reason)]
    # the team's own reason for skipping it is kept
    skipped = decide(findings, {"consistency": "one annotator by design"}, not_applicable=not_applicable("generation", labelled=False))
    assert [(n.id, n.reason) for n in skipped.not_judged][0] == ("consistency", "one annotator by design")
    # a check that judged it after all (annotators' answers the caller did not count as labels) is not dropped
    judged = findings[:1] + [Finding("consistency", Status.FAIL, "Krippendorff's alpha 0.412 (< 0.667)")] + findings[2:]
    kept = decide(judged, {}, not_applicable=not_applicable("generation", labelled=False))
    assert kept.status == "not_ready" and [c.id for c in kept.conditions if c.id == "consistency"] == ["consistency"]


def test_a_passing_findings_caveat_is_said_beside_the_finding_that_decides():
    """Free-text targets' 'no label conflicts are judged' was said only while hygiene passed: a preference check's
    failure took the summary and the reader was left to think conflicts were judged and none found."""
    caveat = "targets are free text, so no label conflicts are judged"
    passing = Finding("hygiene", Status.PASS, "no conflicts to judge, 0.0% duplicates", caveat=caveat)
    failing = Finding("hygiene", Status.FAIL, "1 group of preference records contradict each other")
    merged = merge_findings("hygiene", [failing, passing])
    assert (merged.status, merged.summary) == (Status.FAIL, f"1 group of preference records contradict each other; {caveat}")
    # said once where the deciding summary already says it, and nothing added where no finding has one
    assert merge_findings("hygiene", [replace(failing, summary=f"13% duplicates; {caveat}"), passing]).summary == f"13% duplicates; {caveat}"
    assert merge_findings("hygiene", [failing, replace(passing, caveat="")]).summary == failing.summary
