"""One reply given to many prompts in generation data: measured, listed, and a hygiene warning above a share."""

from __future__ import annotations

import pytest

from dataaudit.api import audit
from dataaudit.config import Config, ConfigError, config_from_dict
from tests.conftest import write_jsonl

CANNED = "I'm sorry, I can't help with that."


def _rows(canned: int, n: int = 100, reply: str = CANNED) -> list[dict]:
    return [{"prompt": f"Request {i}: tell me about topic {i}.",
             "completion": reply if i < canned else f"Topic {i} is explained here at length, with example {i} and its context."}
            for i in range(n)]


def _hygiene(report: dict) -> list[tuple[str, str]]:
    return [(c["status"], c["summary"]) for c in report["verdict"]["conditions"] if c["id"] == "hygiene"]


def test_a_canned_reply_in_30_percent_of_sft_rows_warns_hygiene_with_its_count(tmp_path):
    path = write_jsonl(tmp_path / "sft.jsonl", _rows(30) + [{"prompt": "one more", "completion": "  i'm SORRY, i can't help with that. "}])
    report = audit(path, Config(task_type="generation"), embed=False).to_dict()
    result = report["checks"]["repeated_targets"]
    assert (result["records"], result["repeated_records"], result["repeated_targets"]) == (101, 31, 1)  # normalised as duplicates are
    assert result["top"] == [{"excerpt": CANNED, "count": 31, "share": pytest.approx(31 / 101), "file": str(path), "line": 1}]
    status, summary = _hygiene(report)[0]
    assert status == "warn" and "31 of 101 training targets (30.7%) are a reply given by at least 5 records to different prompts" in summary
    assert f'"{CANNED}" x31' in summary


def test_under_the_bound_passes_and_no_repeat_says_nothing(tmp_path):
    few = audit(write_jsonl(tmp_path / "few.jsonl", _rows(6)), Config(task_type="generation"), embed=False).to_dict()
    assert few["checks"]["repeated_targets"]["repeated_records"] == 6
    assert "(under the 10% bound)" in _hygiene(few)[0][1] and _hygiene(few)[0][0] == "pass"
    none = audit(write_jsonl(tmp_path / "none.jsonl", _rows(4)), Config(task_type="generation"), embed=False).to_dict()
    assert none["checks"]["repeated_targets"]["repeated_records"] == 0  # 4 copies: under min_copies
    assert "training targets" not in _hygiene(none)[0][1]


def test_the_bound_and_copies_are_configurable_and_checked():
    config = config_from_dict({"task_type": "generation", "repeated_targets": {"warn_share": 0.5, "min_copies": 3}})
    assert (config.section("repeated_targets").warn_share, config.section("repeated_targets").min_copies) == (0.5, 3)
    with pytest.raises(ConfigError, match="repeated_targets.min_copies"):
        config_from_dict({"repeated_targets": {"min_copies": 1}})
    with pytest.raises(ConfigError, match="repeated_targets.warn_share"):
        config_from_dict({"repeated_targets": {"warn_share": 0.0}})


def test_labels_are_not_judged_and_an_undesirable_completion_is_not_taught(tmp_path):
    labels = write_jsonl(tmp_path / "labels.jsonl", [{"text": f"t{i}", "label": "a" if i % 2 else "b"} for i in range(40)])
    assert audit(labels, Config(), embed=False).to_dict()["checks"]["repeated_targets"] is None
    kto = [{"prompt": f"q{i}", "completion": CANNED if i < 20 else f"A full answer to question {i}.", "label": i >= 20}
           for i in range(40)]
    report = audit(write_jsonl(tmp_path / "kto.jsonl", kto), Config(task_type="generation"), embed=False).to_dict()
    assert report["checks"]["repeated_targets"]["records"] == 20 and report["checks"]["repeated_targets"]["repeated_records"] == 0


def test_one_prompts_several_pairs_sharing_their_best_reply_are_no_canned_reply(tmp_path):
    # UltraFeedback's layout: each prompt's best reply against several rejected ones. Each reply answers one
    # prompt; counted by records it read as "100% of targets a reply given by at least 5 records".
    rows = [{"prompt": f"Question {p} about subject {p}?", "chosen": f"A careful answer to question {p}, with detail {p}.",
             "rejected": f"A weaker answer {r} to question {p}."} for p in range(40) for r in range(5)]
    report = audit(write_jsonl(tmp_path / "uf.jsonl", rows), Config(task_type="generation"), embed=False).to_dict()
    assert report["checks"]["repeated_targets"]["repeated_records"] == 0
    hygiene = next(c for c in report["verdict"]["conditions"] if c["id"] == "hygiene")
    assert "reply given by at least" not in hygiene["summary"]
    # and the condition's evidence keeps this check's figures apart from the pii check's records/share
    canned = audit(write_jsonl(tmp_path / "sft.jsonl", _rows(30)), Config(task_type="generation"), embed=False).to_dict()
    evidence = next(c for c in canned["verdict"]["conditions"] if c["id"] == "hygiene")["evidence"]
    assert evidence["repeated_target_share"] == pytest.approx(0.3) and evidence["targets_judged"] == 100
