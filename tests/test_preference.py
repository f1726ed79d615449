"""Preference data: planted identical pairs, contradictions and a length bias are each found and judged.

tests/fixtures/preference/pairs.jsonl (written for this project): 40 pairs, chosen longer in 36 of the 38
non-identical ones; lines 12 and 13 are identical pairs (one differs only in case); lines 5 and 6 prefer
opposite responses to one prompt (spelt differently only in case and spacing).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dataaudit.checks import Status, all_checks
from dataaudit.checks.base import AuditContext
from dataaudit.checks.preference import CHECK, PreferenceConfig
from dataaudit.config import Config, config_from_dict
from dataaudit.index import build_index
from dataaudit.load import load_dataset
from dataaudit.normalize import normalize_text
from tests.conftest import write_jsonl

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "preference"


def context(path: Path, config: Config | None = None) -> AuditContext:
    config = config or Config(task_type="generation")
    ds = load_dataset(path, config)
    return AuditContext(config=config, train=build_index("train", ds, lambda t: normalize_text(t, config.duplicates)))


@pytest.fixture(scope="module")
def pairs():
    ctx = context(FIXTURES / "pairs.jsonl")
    return ctx, CHECK.measure(ctx)


def test_planted_identical_pairs_contradictions_and_length_bias_are_measured(pairs):
    _, result = pairs
    assert result.pairs == 40 and result.unpaired == 0
    assert result.identical_pairs == [12, 13] and result.identical_count == 2
    assert result.contradictions == [[5, 6]] and result.contradiction_records == 2
    # 38 compared pairs: chosen longer in all but the 4 with i % 10 == 0 (lines 1, 11, 21, 31) and line 6
    assert result.chosen_longer_share == round(33 / 38, 4)
    assert result.mean_length_ratio is not None and result.mean_length_ratio > 1


def test_judge_turns_each_problem_into_a_hygiene_finding(pairs):
    ctx, result = pairs
    findings = CHECK.judge(result, ctx)
    # 2 of 40 identical is 5%: at format.max_invalid_share, not over it, so a warning
    assert [(f.condition, f.status) for f in findings] == [("hygiene", Status.WARN), ("hygiene", Status.FAIL), ("hygiene", Status.WARN)]
    identical, contradiction, length = findings
    strict = Config(task_type="generation", format=type(Config().format)(max_invalid_share=0.01))
    assert CHECK.judge(result, AuditContext(config=strict, train=ctx.train))[0].status == Status.FAIL
    assert identical.summary.startswith("2 of 40 preference pairs have chosen identical to rejected (e.g. line 12)")
    assert contradiction.evidence["contradiction_share"] == 0.05  # over hygiene.max_conflict_share 0.01
    assert "87% of pairs" in length.summary


def test_length_bias_bound_and_minimum_come_from_the_preference_section(pairs):
    _, result = pairs
    relaxed = config_from_dict({"task_type": "generation", "preference": {"max_chosen_longer_share": 0.9}})
    assert relaxed.section("preference") == PreferenceConfig(max_chosen_longer_share=0.9)
    ctx = context(FIXTURES / "pairs.jsonl", relaxed)
    assert CHECK.judge(result, ctx)[-1].status == Status.PASS
    few = config_from_dict({"task_type": "generation", "preference": {"min_pairs_for_length_bias": 100}})
    assert len(CHECK.judge(result, context(FIXTURES / "pairs.jsonl", few))) == 2  # too few pairs to judge length


def test_unpaired_records_marked_both_desirable_and_not_contradict():
    ctx = context(FIXTURES / "unpaired.jsonl")
    result = CHECK.measure(ctx)
    assert (result.pairs, result.unpaired, result.contradictions) == (0, 3, [[1, 2]])
    assert result.chosen_longer_share is None


def test_no_preference_records_means_no_result(tmp_path):
    ctx = context(write_jsonl(tmp_path / "a.jsonl", [{"text": "a", "label": "x"}]), Config())
    assert CHECK.measure(ctx) is None and CHECK.judge(None, ctx) == []


def test_registered_after_duplicates():
    assert CHECK in all_checks() and CHECK.order == 55 and CHECK.config_section == ("preference", PreferenceConfig)


def test_contradictions_across_files_name_each_lines_file(tmp_path):
    from tests.engine_data import preference_shards

    folder = preference_shards(tmp_path / "pairs")
    files = sorted(str(p) for p in folder.iterdir())
    config = Config(task_type="generation")
    ds = load_dataset(files, config)
    result = CHECK.measure(AuditContext(config=config, train=build_index("train", ds, lambda t: normalize_text(t, config.duplicates))))
    places = [list(zip(f, lines)) for f, lines in zip(result.contradiction_files, result.contradictions)]
    # pairs 3-5 of pref_0 are reversed on lines 11-13 of pref_1 (pair 4 also repeated as is on line 14); the
    # unpaired "Greet me" / "Hello!" is desirable in pref_2 and not in pref_3.
    assert places == [[(files[0], 4), (files[1], 11)], [(files[0], 5), (files[1], 12), (files[1], 14)],
                      [(files[0], 6), (files[1], 13)], [(files[2], 1), (files[3], 1)]]
    assert result.identical_files == [files[0]] and result.identical_pairs == [21]
