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
    assert "86.8% of pairs" in length.summary


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


def test_contradictions_show_the_prompt_as_written_and_both_replies(tmp_path):
    rows = [{"prompt": "Explain SETS, please.", "chosen": "Sets hold unique items.", "rejected": "Sets are lists."},
            {"prompt": "explain  sets, please.", "chosen": "Sets are lists.", "rejected": "Sets hold unique items."}]
    result = CHECK.measure(context(write_jsonl(tmp_path / "a.jsonl", rows)))
    assert result.contradiction_examples == ["Explain SETS, please."]
    assert [(m["line"], m["chosen"], m["rejected"]) for m in result.contradiction_replies[0]] == [
        (1, "Sets hold unique items.", "Sets are lists."), (2, "Sets are lists.", "Sets hold unique items.")]
    assert result.all_contradictions == [((str(tmp_path / "a.jsonl"), 1), (str(tmp_path / "a.jsonl"), 2))]


def _pairs(n: int, chosen, rejected) -> list[dict]:
    return [{"prompt": f"Question {i}?", "chosen": chosen(i), "rejected": rejected(i)} for i in range(n)]


def test_a_bias_to_the_shorter_reply_warns_as_one_to_the_longer_does(tmp_path):
    rows = _pairs(30, lambda i: f"Short {i}.", lambda i: f"A much longer rejected reply, number {i}, with padding.")
    ctx = context(write_jsonl(tmp_path / "a.jsonl", rows))
    result = CHECK.measure(ctx)
    length = [f for f in CHECK.judge(result, ctx) if "chosen_longer_share" in f.evidence][0]
    assert length.status == Status.WARN and length.summary.startswith("chosen is shorter than rejected in 100.0% of pairs")
    assert length.evidence["min_chosen_longer_share"] == 0.25
    assert f"mean length ratio {result.mean_length_ratio:.2f})" in length.summary  # rounded as the report section does


def test_a_reply_that_is_a_truncated_copy_of_the_other_is_counted(tmp_path):
    rows = _pairs(30, lambda i: f"The full answer {i} with every detail spelled out.", lambda i: f"The full answer {i} with ev")
    rows[0]["rejected"] = "Something else entirely."
    ctx = context(write_jsonl(tmp_path / "a.jsonl", rows))
    result = CHECK.measure(ctx)
    assert (result.prefix_pairs, result.rejected_prefix_pairs, result.prefix_lines[:2]) == (29, 29, [2, 3])
    prefix = [f for f in CHECK.judge(result, ctx) if "prefix_pairs" in f.evidence][0]
    assert prefix.status == Status.WARN and "rejected is a truncated copy of chosen" in prefix.summary


def test_several_pairs_for_one_prompt_are_a_note(tmp_path):
    rows = [{"prompt": "Explain lists.", "chosen": f"Lists, take {i}.", "rejected": f"No idea {i}."} for i in range(3)]
    ctx = context(write_jsonl(tmp_path / "a.jsonl", rows))
    result = CHECK.measure(ctx)
    assert result.prompts_with_several_pairs == 1
    note = [f for f in CHECK.judge(result, ctx) if "prompts_with_several_pairs" in f.evidence][0]
    assert note.status == Status.PASS


def test_the_report_section_says_there_are_no_pairs_and_shows_both_replies(tmp_path):
    from types import SimpleNamespace

    from dataaudit.render.sections.preference import SECTION

    rows = [{"prompt": "Say hi.", "completion": "Hi!", "label": True}, {"prompt": "Say hi.", "completion": "Hi!", "label": False}]
    result = CHECK.measure(context(write_jsonl(tmp_path / "a.jsonl", rows)))
    content = SECTION.build(SimpleNamespace(checks={"preference": result}))
    assert "no pairs to compare lengths" in content.lines[0] and "n/a" not in content.lines[0]
    assert content.tables[0].rows[0][2] == "line 1: Hi! (desirable); line 2: Hi! (undesirable)"


def test_a_reply_that_only_shares_its_first_letters_is_no_cut_off_copy():
    from dataaudit.checks.preference import _cut_copy

    assert not _cut_copy("nothing bad happens if you are careful.", "no")  # letters, not text
    assert _cut_copy("answer is long", "answer") and _cut_copy("no, that is wrong.", "no")  # cut where a word ends
    assert _cut_copy("the function returns a list of items", "the function returns a li")  # cut mid-word, three words on
    assert not _cut_copy("a", "") and not _cut_copy("yes", "no")


def test_report_md_shows_both_replies_of_both_sides_of_a_contradiction(tmp_path):
    from dataaudit.api import audit
    from dataaudit.render.markdown import render_markdown
    from tests.conftest import write_jsonl

    long_a = "Python lists are ordered, mutable sequences that hold items of any type, and they grow as needed."
    long_b = "I don't know much about python, sorry, maybe try reading the official tutorial on lists instead."
    rows = [{"prompt": "Explain python lists to a beginner", "chosen": long_a, "rejected": long_b},
            {"prompt": "Explain python lists to a beginner", "chosen": long_b, "rejected": long_a}]
    rows += [{"prompt": f"Question {i}", "chosen": f"A good answer {i}", "rejected": f"Bad {i}"} for i in range(20)]
    report = audit(write_jsonl(tmp_path / "p.jsonl", rows), Config(task_type="generation"), embed=False)
    row = next(line for line in render_markdown(report).splitlines() if line.startswith("| 1, 2 |"))
    replies = row.split(" | ")[-1]
    assert replies.count(" &gt; ") == 2 and "line 2: I don" in replies and replies.rstrip(" |").endswith("Python lists are ordered, mut…")


def test_the_length_bias_is_judged_on_the_counts_not_the_four_place_share(pairs):
    import dataclasses

    ctx, result = pairs
    assert (result.chosen_longer_pairs, result.chosen_longer_share_unrounded) == (33, 33 / 38)
    # 3,751 of 5,001 = 0.75005, stored as 0.75 (4 places): judged rounded it passed at max_chosen_longer_share 0.75
    over = dataclasses.replace(result, pairs=5001, identical_count=0, chosen_longer_pairs=3751, chosen_longer_share=0.75,
                               chosen_longer_share_unrounded=3751 / 5001)
    length = [f for f in CHECK.judge(over, ctx) if "chosen_longer_share" in f.evidence][0]
    assert length.status == Status.WARN and length.summary.startswith("chosen is longer than rejected in 75.005% of pairs")
    assert length.evidence["chosen_longer_share"] == 0.75 and length.evidence["chosen_longer_share_unrounded"] == 3751 / 5001
    at = dataclasses.replace(over, pairs=4000, chosen_longer_pairs=3000, chosen_longer_share_unrounded=0.75)
    length = [f for f in CHECK.judge(at, ctx) if "chosen_longer_share" in f.evidence][0]
    assert length.status == Status.PASS and length.summary == "chosen is longer than rejected in 75.0% of pairs"
    # 1,249 of 5,001 = 0.24975 is at or below 1 - 0.75 however it rounds (0.2498)
    short = dataclasses.replace(over, chosen_longer_pairs=1249, chosen_longer_share=0.2498, chosen_longer_share_unrounded=1249 / 5001)
    length = [f for f in CHECK.judge(short, ctx) if "chosen_longer_share" in f.evidence][0]
    assert length.status == Status.WARN and "(chosen longer in 24.98%" in length.summary


def test_more_contradicting_groups_than_listed_are_counted_whole_everywhere(tmp_path):
    import json

    from dataaudit.api import audit
    from dataaudit.checks.preference import MAX_LISTED
    from dataaudit.render.json_report import render_json
    from dataaudit.render.markdown import render_markdown
    from dataaudit.render.sections.preference import SECTION

    groups = MAX_LISTED + 50
    rows = []
    for i in range(groups):  # each prompt once with A over B, once with B over A
        rows.append({"prompt": f"Question number {i} about topic {i * 7}", "chosen": f"Good answer {i}", "rejected": f"Poor reply {i}"})
        rows.append({"prompt": f"Question number {i} about topic {i * 7}", "chosen": f"Poor reply {i}", "rejected": f"Good answer {i}"})
    report = audit(write_jsonl(tmp_path / "c.jsonl", rows), Config(task_type="generation"), embed=False)
    result = report.checks["preference"]
    assert (len(result.contradictions), result.contradiction_count, result.contradiction_records) == (MAX_LISTED, groups, 2 * groups)
    hygiene = next(c for c in report.verdict.conditions if c.id == "hygiene")
    assert hygiene.summary.startswith(f"{groups} groups of preference records contradict")
    ctx = AuditContext(config=Config(task_type="generation"), train=None)
    finding = [f for f in CHECK.judge(result, ctx) if "contradiction_groups" in f.evidence][0]
    assert finding.evidence["contradiction_groups"] == groups and f"Adjudicate the {groups} contradicting groups" in finding.action
    content = SECTION.build(report)
    assert f"{groups} contradicting groups" in content.lines[0]
    table = content.tables[0]
    assert table.title == f"Contradictions ({groups})" and table.total == groups and len(table.rows) == MAX_LISTED
    written = json.loads(render_json(report))["checks"]["preference"]
    assert written["contradiction_count"] == groups and len(written["contradictions"]) == MAX_LISTED
    whole = render_markdown(report)
    assert f"<summary>Contradictions ({groups})</summary>" in whole
    assert f"_first {MAX_LISTED} of {groups} listed; \\`dataaudit dedup --drop-conflicts\\` lists every group's lines" in whole
    # cut to 50 rows to fit: the rest is more groups than report.json and report.html list
    cut = render_markdown(report, max_chars=20_000)
    assert (f"_… and {groups - 50} more: {MAX_LISTED - 50} of them are in report.json and report.html; "
            f"\\`dataaudit dedup --drop-conflicts\\` lists every group's lines in its .dropped.jsonl_") in cut


def test_an_openai_dpo_contradiction_shows_what_is_asked_not_the_tools_digest(tmp_path):
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]
    system = {"role": "system", "content": "You are a weather bot."}

    def line(preferred: str, other: str) -> dict:
        return {"input": {"messages": [system, {"role": "user", "content": "Weather in Paris?"}], "tools": tools},
                "preferred_output": [{"role": "assistant", "content": preferred}],
                "non_preferred_output": [{"role": "assistant", "content": other}]}

    ctx = context(write_jsonl(tmp_path / "dpo.jsonl", [line("It is 21C.", "No idea."), line("No idea.", "It is 21C.")]))
    assert ctx.train.records[0].input_text.startswith("[tools ")
    result = CHECK.measure(ctx)
    assert result.contradiction_count == 1 and result.contradiction_examples == ["Weather in Paris?"]
