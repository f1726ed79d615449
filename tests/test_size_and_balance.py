"""Size (tokens, context limit) and balance figures on small data with known answers."""

from __future__ import annotations

import json
import math

import pytest

from dataaudit.config import BalanceConfig, Config, SizeConfig
from dataaudit.load.dataset import load_dataset
from dataaudit.checks.balance import measure_balance
from dataaudit.checks.format import measure_format
from dataaudit.checks.size import measure_size
from dataaudit.tokens import TokenCounter, load_token_counter
from tests.conftest import chat, write_jsonl

WORDS = TokenCounter("words", lambda texts: [len(t.split()) for t in texts])


def test_token_stats_and_context_limit(tmp_path):
    # no system prompt: the input is every turn before the target, so a system prompt would count too
    rows = [chat("one two three", "a b", system=None), chat("one", "a", system=None), chat(" ".join(["w"] * 50), "a b c", system=None)]
    ds = load_dataset(write_jsonl(tmp_path / "a.jsonl", rows), Config(task_type="generation"))
    result = measure_size(ds, WORDS, SizeConfig(context_limit=40))
    assert (result.input_tokens.min, result.input_tokens.median, result.input_tokens.max, result.input_tokens.total) == (1, 3, 50, 54)
    assert (result.target_tokens.min, result.target_tokens.max, result.target_tokens.total) == (1, 3, 6)
    assert result.over_context == 1 and result.over_context_examples[0].line == 3 and result.over_context_examples[0].tokens == 53



def test_an_input_offering_tools_counts_the_tool_definitions_in_place_of_their_digest(tmp_path):
    """The `[tools 1a2b3c4d5e6f]` turn keys the input; it was counted as words (a hash per record), while the tool
    schemas a trainer renders into the prompt were not counted at all; then they were for chat lines alone, a TRL,
    KTO or ShareGPT row's digest left out and its tools uncounted (the same conversation 3 words, not 17)."""
    tool = {"type": "function", "function": {"name": "takeoff_drone", "description": "Take off now",
                                             "parameters": {"type": "object", "properties": {}}}}
    user, reply = {"role": "user", "content": "take off please"}, {"role": "assistant", "content": "done"}
    rows = [{"messages": [user, reply], "tools": [tool]}, {"messages": [user, reply], "functions": [tool["function"]]},
            {"messages": [user, reply]},
            {"prompt": [user], "completion": [reply], "tools": [tool]},
            {"prompt": [user], "completion": [reply], "label": True, "tools": json.dumps([tool])},
            {"prompt": [user], "chosen": [reply], "rejected": [{"role": "assistant", "content": "no way"}], "tools": [tool]},
            {"conversations": [{"from": "human", "value": "take off please"}, {"from": "gpt", "value": "done"}],
             "tools": json.dumps([tool["function"]])},
            # a text that only looks like the digest turn offers no tools: every word of it is counted
            {"text": "[tools 0123456789ab]\ntake off please", "label": "x"}]
    ds = load_dataset(write_jsonl(tmp_path / "tools.jsonl", rows), Config(task_type="generation"))
    assert [r.format for r in ds.records] == ["chat", "chat", "chat", "prompt_completion", "unpaired_preference",
                                              "preference", "sharegpt", "text"]
    assert [r.input_text.startswith("[tools ") for r in ds.records] == [True] * 2 + [False] + [True] * 5
    result = measure_size(ds, WORDS, SizeConfig())
    schema_words = len(json.dumps(tool, sort_keys=True).split())
    assert schema_words == 14
    assert result.input_token_counts == [3 + schema_words] * 2 + [3] + [3 + schema_words] * 4 + [5]


def test_real_tokenizer_counts_wordpieces_offline():
    counter = load_token_counter()
    assert "WordPiece" in counter.name
    assert counter.count(["hello world", "unbelievably"]) == [2, 5]  # un ##bel ##ie ##va ##bly


def test_balance_figures(tmp_path):
    rows = [{"text": f"t{i}", "label": label} for i, label in enumerate(["a"] * 6 + ["b"] * 3 + ["c"])]
    result = measure_balance(load_dataset(write_jsonl(tmp_path / "a.jsonl", rows), Config()), BalanceConfig(min_label_count=2))
    assert result.counts == {"a": 6, "b": 3, "c": 1} and result.shares == {"a": 0.6, "b": 0.3, "c": 0.1}
    assert result.imbalance_ratio == 6.0 and result.rare_labels == ["c"]
    entropy = -(0.6 * math.log(0.6) + 0.3 * math.log(0.3) + 0.1 * math.log(0.1)) / math.log(3)
    assert result.normalized_entropy == pytest.approx(entropy, abs=1e-6)


def test_balance_is_absent_without_labels(tmp_path):
    ds = load_dataset(write_jsonl(tmp_path / "a.jsonl", [chat("q", "a long free-form answer")]), Config(task_type="generation"))
    assert measure_balance(ds, BalanceConfig()) is None


def test_format_counts_formats_and_errors_by_field(tmp_path):
    rows = [chat("q", "a"), {"prompt": "p", "completion": "c"}, {"text": "t", "label": "l"}, "{bad", {"text": "", "label": "x"}]
    result = measure_format(load_dataset(write_jsonl(tmp_path / "a.jsonl", rows), Config()))
    assert result.formats == {"chat": 1, "prompt_completion": 1, "text": 1}
    assert (result.records, result.valid, result.invalid) == (5, 3, 2) and result.invalid_share == 0.4
    assert result.errors_by_field == {"(json)": 1, "text": 1}


def test_scale_warns_on_imbalance_over_the_configured_ratio(tmp_path):
    from dataaudit.checks.size import scale_finding as scale_condition

    rows = [{"text": f"t{i}", "label": "a" if i < 96 else "b"} for i in range(100)]
    ds = load_dataset(write_jsonl(tmp_path / "a.jsonl", rows), Config(task_type="format"))
    config = Config(task_type="format")
    config.balance.min_label_count = 1
    balance = measure_balance(ds, config.balance)
    size = measure_size(ds, WORDS, config.size)
    condition = scale_condition(size, balance, None, config)
    assert condition.status == "warn" and condition.evidence["imbalance_ratio"] == 24.0
    assert "the largest label has 24x the examples of the smallest (warn above 20x)" in condition.summary
    config.balance.warn_imbalance_ratio = 24.0
    assert scale_condition(size, balance, None, config).status == "pass"


def test_the_imbalance_ratio_reads_the_same_in_the_condition_and_the_size_section(tmp_path):
    """The summary read "32.3333x", the size section "32.333": one rounding (digits.value_text) for both."""
    from dataaudit.api import audit
    from dataaudit.render.sections.size import SECTION as SIZE

    rows = [{"text": f"text number {i}", "label": "a" if i < 97 else "b"} for i in range(100)]
    config = Config(task_type="format")
    config.balance.min_label_count = 1
    report = audit(write_jsonl(tmp_path / "a.jsonl", rows), config, embed=False)
    scale = next(c for c in report.verdict.conditions if c.id == "scale")
    assert "the largest label has 32.333x the examples of the smallest" in scale.summary
    assert any("imbalance ratio 32.333," in line for line in SIZE.build(report).lines)


def test_scale_says_when_no_example_has_an_input_text(tmp_path):
    from dataaudit.api import audit

    # An agreement export of item ids and labels only (Snow et al.'s RTE file is laid out like this)
    rows = [{"item": f"i{i}", "worker": w, "response": str((i + (w == "c")) % 2)} for i in range(30) for w in "abc"]
    path = write_jsonl(tmp_path / "labels.jsonl", rows)
    config = Config()
    config.fields.annotator, config.fields.id, config.fields.label = "worker", "item", "response"
    scale = next(c for c in audit(path, config, embed=False).verdict.conditions if c.id == "scale")
    assert scale.status.value == "fail"
    assert scale.summary == "none of the 30 examples has an input text, so none is usable for a classification task (needs 500)"
    assert "--text-field" in scale.action


def test_every_output_says_usable_after_de_duplication_and_size_keeps_the_count_before(tmp_path):
    # checks.size.usable (a JSON contract) counts examples before de-duplication; the scale condition judges
    # checks.duplicates.usable, and the Report carries that figure (and whether it is after de-duplication) to
    # the rendered reports, which say when no de-duplication ran.
    from dataclasses import replace

    from dataaudit.api import audit
    from dataaudit.render.markdown import render_markdown
    from dataaudit.render.sections.size import SECTION

    rows = [{"text": "the same ticket", "label": "a"}] * 3 + [{"text": f"ticket {i}", "label": "b"} for i in range(3)]
    report = audit(write_jsonl(tmp_path / "a.jsonl", rows), Config(), embed=False)
    assert (report.checks["size"].usable, report.checks["duplicates"].usable) == (6, 4)
    scale = next(c for c in report.verdict.conditions if c.id == "scale")
    assert scale.evidence["usable"] == 4 and scale.evidence["after_deduplication"] and scale.summary.startswith("4 usable")
    assert (report.usable, report.usable_after_deduplication) == (4, True)
    assert "6 examples, 4 usable after de-duplication" in render_markdown(report)
    lines = SECTION.build(replace(report, usable=6, usable_after_deduplication=False)).lines
    assert lines[0].startswith("6 examples, 6 usable (not de-duplicated: the duplicates check did not run)")
    assert SECTION.build(replace(report, usable=None)).lines[0].startswith("6 examples; tokens counted with ")


def test_the_size_line_names_each_count_by_what_it_holds(tmp_path):
    """QA read checks.size.usable (608) against the printed "576 usable after de-duplication": two keys, two counts.
    The line names size's own count, examples with an input text, where it is not every example, so a count
    left out for having no input is not read as duplicates dropped."""
    from dataaudit.api import audit
    from dataaudit.render.markdown import render_markdown
    from dataaudit.render.sections.size import SECTION

    rows = [{"item": f"i{i}", "worker": w, "response": str((i + (w == "c")) % 2),
             **({"text": f"ticket number {i} about thing {i * 7}"} if i < 20 else {})} for i in range(30) for w in "abc"]
    rows += [{"item": "i30", "worker": w, "response": "1", "text": "ticket number 0 about thing 0"} for w in "abc"]
    config = Config()
    config.fields.annotator, config.fields.id, config.fields.label = "worker", "item", "response"
    report = audit(write_jsonl(tmp_path / "labels.jsonl", rows), config, embed=False)
    assert (report.checks["size"].examples, report.checks["size"].usable, report.checks["duplicates"].usable) == (31, 21, 20)
    line = "31 examples (21 with an input text), 20 usable after de-duplication; tokens counted with "
    assert SECTION.build(report).lines[0].startswith(line) and line in render_markdown(report)
    every = [{"text": f"ticket {i}", "label": "ab"[i % 2]} for i in range(4)]
    whole = audit(write_jsonl(tmp_path / "every.jsonl", every), Config(), embed=False)
    assert SECTION.build(whole).lines[0].startswith("4 examples, 4 usable after de-duplication; ")


def test_a_word_wordpiece_cannot_read_counts_against_the_context_limit_and_is_said_recounted(tmp_path):
    # A 40,000-character hex dump is one [UNK] to WordPiece: the size check counted it as a few tokens and
    # passed the context limit while the tokens check counted 22,000+ for the same text.
    from dataaudit.api import audit
    from dataaudit.tokens import OpenAIEncoding

    hex_dump = "attached dump: " + "5f7a3afc00231f4bc4177ca2c8b19acf" * 1250
    rows = [{"text": f"where is my card number {i}", "label": "card"} for i in range(20)] + [{"text": hex_dump, "label": "card"}]
    size = audit(write_jsonl(tmp_path / "a.jsonl", rows), Config(), embed=False).checks["size"]
    assert size.input_tokens.max == OpenAIEncoding("o200k_base").count(hex_dump) > 20_000
    assert size.over_context == 1 and size.over_context_examples[0].line == 21
    assert size.recounted == 1


def _scale(tmp_path, rows, config):
    from dataaudit.checks.size import scale_finding

    ds = load_dataset(write_jsonl(tmp_path / "a.jsonl", rows), config)
    return scale_finding(measure_size(ds, WORDS, config.size), measure_balance(ds, config.balance), None, config)


def test_a_scale_failing_on_size_still_names_its_rare_labels_and_says_both_remedies(tmp_path):
    rows = [{"text": f"ticket {i}", "label": "billing" if i < 30 else "warranty_claim"} for i in range(35)]
    config = Config(task_type="format")  # needs 100
    finding = _scale(tmp_path, rows, config)
    assert finding.status == "fail"
    assert finding.summary == "35 usable examples for a format task that needs 100; 1 label under 10 examples: 'warranty_claim' (5)"
    assert finding.evidence["rare_labels"] == {"warranty_claim": 5}
    assert finding.action == ("Collect at least 65 more distinct examples (the format threshold is 100); "
                              "add examples for the rare labels (or merge them).")


def test_the_scale_action_names_only_the_problems_found(tmp_path):
    config = Config(task_type="format")
    rare = [{"text": f"ticket {i}", "label": "billing" if i < 60 else "shipping" if i < 110 else "warranty_claim"} for i in range(115)]
    finding = _scale(tmp_path, rare, config)
    assert finding.status == "warn" and finding.evidence["over_context"] == 0
    assert finding.action == "Add examples for the rare labels (or merge them)."
    config.size.context_limit = 3
    long = [{"text": "one two three four" if i < 5 else "one", "label": "a" if i % 2 else "b"} for i in range(120)]
    finding = _scale(tmp_path, long, config)
    assert finding.status == "warn" and finding.summary == "120 usable examples (needs 100), but 5 examples exceed the 3-token context limit"
    assert finding.action == "Shorten or drop the 5 over-long examples."


def test_an_example_of_exactly_the_context_limit_fits(tmp_path):
    # 50 input words + 3 target words = 53 tokens: over a 52-token limit, within a 53-token one
    rows = [chat("one", "a", system=None), chat(" ".join(["w"] * 50), "a b c", system=None)]
    ds = load_dataset(write_jsonl(tmp_path / "a.jsonl", rows), Config(task_type="generation"))
    assert measure_size(ds, WORDS, SizeConfig(context_limit=53)).over_context == 0
    over = measure_size(ds, WORDS, SizeConfig(context_limit=52))
    assert over.over_context == 1 and over.over_context_examples[0].tokens == 53


def test_a_share_over_the_context_limit_equal_to_the_bound_does_not_warn(tmp_path):
    # 100 examples, 2 or 3 of them 20 words long against a 10-token limit; the bound is 2 of 100
    config = Config(task_type="format")
    config.size.context_limit, config.size.max_over_context_share = 10, 0.02
    long_text = " ".join(["w"] * 20)
    at_bound = [{"text": long_text if i < 2 else f"t{i}", "label": "a" if i % 2 else "b"} for i in range(100)]
    assert _scale(tmp_path, at_bound, config).status == "pass"
    over_bound = [{"text": long_text if i < 3 else f"t{i}", "label": "a" if i % 2 else "b"} for i in range(100)]
    finding = _scale(tmp_path, over_bound, config)
    assert finding.status == "warn" and "3 examples exceed the 10-token context limit" in finding.summary


def _size_and_scale(tmp_path, rows, tokens: dict):
    from dataaudit.checks.base import AuditContext
    from dataaudit.checks.size import CHECK, scale_finding
    from dataaudit.config import config_from_dict
    from dataaudit.index import build_index

    config = config_from_dict({"task_type": "format", "size": {"context_limit": 3}, "tokens": tokens})
    ds = load_dataset(write_jsonl(tmp_path / "a.jsonl", rows), config)
    size = CHECK.measure(AuditContext(config=config, train=build_index("train", ds, str.casefold)))
    return size, scale_finding(size, None, None, config)


LONG_AT_5 = [{"text": "one two three four" if i < 5 else "one", "label": "a" if i % 2 else "b"} for i in range(120)]


def test_a_named_target_model_judges_length_so_the_wordpiece_context_limit_is_not_applied(tmp_path):
    size, finding = _size_and_scale(tmp_path, LONG_AT_5, {"target_model": "gpt-4o-mini"})
    assert (size.over_context, size.over_context_examples, size.length_judged_by) == (None, [], "gpt-4o-mini")
    assert finding.status == "pass" and "context limit" not in finding.summary and finding.evidence["over_context"] is None


def test_without_a_target_model_or_without_its_limit_the_context_limit_still_applies(tmp_path):
    for tokens in ({}, {"target_model": "my-open-model", "tokenizer": str(tmp_path / "tok")}):  # no table entry: no limit
        size, finding = _size_and_scale(tmp_path, LONG_AT_5, tokens)
        assert (size.over_context, size.length_judged_by) == (5, "")
        assert finding.status == "warn" and finding.summary.endswith("but 5 examples exceed the 3-token context limit")


@pytest.mark.parametrize("task_type, said", [("extraction", "an extraction task"), ("classification", "a classification task"),
                                             ("generation", "a generation task"), ("format", "a format task")])
def test_the_scale_summary_puts_the_article_the_task_type_takes(tmp_path, task_type, said):
    """'149 usable examples for a extraction task' (QA fu39)."""
    rows = [{"text": f"ticket {i}", "label": "billing" if i % 2 else "shipping"} for i in range(40)]
    config = Config(task_type=task_type)
    setattr(config.size, f"min_examples_{task_type}", 30)
    passing = _scale(tmp_path, rows, config)
    assert passing.summary == f"40 usable examples for {said} (needs 30)"
    setattr(config.size, f"min_examples_{task_type}", 50)
    failing = _scale(tmp_path, rows, config)
    assert failing.summary == f"40 usable examples for {said} that needs 50"


def test_one_usable_example_is_said_in_the_singular():
    from dataaudit.checks.size import _usable

    assert _usable(1) == "1 usable example" and _usable(2) == "2 usable examples"


def test_a_models_file_named_by_a_config_above_the_current_folder_judges_length_through_run_checks(tmp_path, monkeypatch):
    """size read tokens.models_file against the current folder, tokens against the config's: from sub/ size failed
    with 'mymodels.toml: cannot read the models file' while tokens ran (QA rev39 6)."""
    from dataaudit.api import run_checks
    from dataaudit.checks.base import AuditContext, RunStatus
    from dataaudit.checks.size import CHECK as SIZE
    from dataaudit.checks.tokens import CHECK as TOKENS
    from dataaudit.config import load_config
    from dataaudit.index import build_index

    (tmp_path / "dataaudit.toml").write_text('task_type = "format"\n[size]\ncontext_limit = 3\n'
                                             '[tokens]\ntarget_model = "team-model"\nmodels_file = "mymodels.toml"\n', encoding="utf-8")
    (tmp_path / "mymodels.toml").write_text('[models.team-model]\nencoding = "o200k_base"\nexample_limit = 30\n', encoding="utf-8")
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    config = load_config(None)
    ds = load_dataset(write_jsonl(tmp_path / "a.jsonl", LONG_AT_5), config)
    results, _, warnings = run_checks(AuditContext(config=config, train=build_index("train", ds, str.casefold)), (TOKENS, SIZE))
    assert warnings == []
    assert [results.runs[c].status for c in ("tokens", "size")] == [RunStatus.RAN, RunStatus.RAN]
    assert (results["size"].length_judged_by, results["size"].over_context) == ("team-model", None)
    assert results["tokens"].example_limit == 30


@pytest.mark.parametrize("stem, ends", [
    ("cancel_international_order_and_refund_prepaid_amount_", ("1", "2")),  # issue intl40: both read '…refund_p…'
    ("طلب_إلغاء_الاشتراك_الشهري_واسترداد_المبلغ_", ("1", "2")),
])
def test_long_rare_labels_that_share_a_head_are_named_apart_and_as_the_size_section_names_them(tmp_path, stem, ends):
    from dataaudit.render.sections.size import LABEL_WIDTH

    rows = [{"text": f"ticket {i}", "label": "billing"} for i in range(60)]
    rows += [{"text": f"ticket {end} {i}", "label": stem + end} for end in ends for i in range(3)]
    finding = _scale(tmp_path, rows, Config(task_type="format"))
    listed = finding.summary.split("under 10 examples: ", 1)[1]
    first, second = listed.split(", ")
    assert first != second and first.endswith(f"_{ends[0]}' (3)") and second.endswith(f"_{ends[1]}' (3)")
    assert first.startswith(f"'{stem[:10]}") and "…" in first
    assert all(len(name.rsplit("' ", 1)[0]) - 1 <= LABEL_WIDTH for name in (first, second))


def test_the_size_check_imports_nothing_from_the_render_layer_and_names_labels_at_the_sections_width():
    # Review of intl40: checks/size.py took distinct_texts from render/sections/base.py and kept its own copy of
    # LABEL_WIDTH; both now live in dataaudit/excerpt.py, which checks and renderers may import alike.
    import ast
    from pathlib import Path

    import dataaudit.checks.size as size_check
    import dataaudit.excerpt as excerpt_rules
    import dataaudit.render.sections.base as sections_base
    import dataaudit.render.sections.size as size_section

    tree = ast.parse(Path(size_check.__file__).read_text(encoding="utf-8"))
    imported = [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    imported += [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
    assert not [m for m in imported if m.startswith(("render", "dataaudit.render"))], imported
    assert size_check.distinct_texts is excerpt_rules.distinct_texts and not hasattr(sections_base, "distinct_texts")
    assert "LABEL_WIDTH" not in vars(size_check) or size_check.LABEL_WIDTH is excerpt_rules.LABEL_WIDTH
    assert size_section.LABEL_WIDTH == excerpt_rules.LABEL_WIDTH == 40


@pytest.mark.parametrize("row", [
    chat(" ".join(["word"] * 30_000), "a b", system=None),  # a chat line: the loader keeps its source, not an uncut copy
    {"prompt": " ".join(["word"] * 30_000), "completion": "a b"},  # the loader keeps the uncut texts (Record.uncut)
])
def test_an_input_the_loader_cut_to_100000_characters_is_counted_whole(tmp_path, row):
    from dataaudit.render.sections.size import _build

    rows = [chat("one two three", "a b", system=None), row]
    ds = load_dataset(write_jsonl(tmp_path / "a.jsonl", rows), Config(task_type="generation"))
    assert ds.records[1].truncated and len(ds.records[1].input_text) == 100_000
    result = measure_size(ds, WORDS, SizeConfig(context_limit=4096))
    # 30,000 words, not the 20,000 of its first 100,000 characters
    assert (result.input_tokens.max, result.input_tokens.total) == (30_000, 30_003)
    assert result.over_context_examples[0].tokens == 30_002
    assert (result.cut_examples, result.cut_counted) == (1, 0)

    class _Report:
        checks = {"size": result}
        usable = None
        usable_after_deduplication = False

    lines = _build(_Report()).lines
    assert "1 example was longer than the 100,000 characters the loader keeps for comparison; counted whole" in lines



def test_a_text_past_the_counted_limit_is_counted_on_its_first_part_as_a_floor(tmp_path, monkeypatch):
    """Review: one 80 MB example counted whole took 160 s and 11 GB; past MAX_COUNTED_CHARS a count is a floor."""
    from dataaudit.checks import size

    monkeypatch.setattr(size, "MAX_COUNTED_CHARS", 150_000)
    rows = [chat("one two three", "a b", system=None), {"text": "w " * 100_000, "label": "x"}]  # 200,000 characters
    ds = load_dataset(write_jsonl(tmp_path / "a.jsonl", rows), Config(task_type="generation"))
    result = measure_size(ds, WORDS, SizeConfig(context_limit=4096))
    assert result.input_tokens.max == 75_000 and (result.cut_examples, result.cut_counted) == (1, 1)

def test_an_imbalance_ratio_above_a_bound_its_rounding_reaches_warns_and_reads_above_it(tmp_path):
    """100 / 30 = 3.33333... was stored as 3.3333 and compared so: equal to a bound of 3.3333, it passed."""
    from dataaudit.api import audit
    from dataaudit.checks.size import scale_finding as scale_condition
    from dataaudit.render.sections.size import SECTION as SIZE

    rows = [{"text": f"text number {i}", "label": "a" if i < 100 else ("b" if i < 130 else "c")} for i in range(160)]
    config = Config(task_type="format")
    config.balance.warn_imbalance_ratio = 3.3333
    ds = load_dataset(write_jsonl(tmp_path / "a.jsonl", rows), config)
    balance = measure_balance(ds, config.balance)
    assert balance.imbalance_ratio == 3.3333 and balance.imbalance_ratio_unrounded == 100 / 30
    condition = scale_condition(measure_size(ds, WORDS, config.size), balance, None, config)
    assert condition.status == "warn" and condition.evidence["imbalance_ratio_unrounded"] == 100 / 30
    assert "the largest label has 3.33333x the examples of the smallest (warn above 3.3333x)" in condition.summary
    report = audit(tmp_path / "a.jsonl", config, embed=False)
    assert any("imbalance ratio 3.33333," in line for line in SIZE.build(report).lines)


def test_counts_in_the_scale_summary_and_the_size_section_take_their_number_and_the_reports_number_format(tmp_path):
    """"1 examples exceed the 4096-token context limit", "needs 1000", "1 labels", "41.000x (warn above 20.000)"."""
    from dataaudit.render.sections.size import _build

    config = Config(task_type="generation")  # needs 1,000
    rows = [{"prompt": " ".join(["w"] * 5000) if i == 2 else f"question {i}", "completion": "a"} for i in range(99)]
    ds = load_dataset(write_jsonl(tmp_path / "a.jsonl", rows), config)
    from dataaudit.checks.size import scale_finding

    finding = scale_finding(measure_size(ds, WORDS, config.size), None, None, config)
    assert finding.summary == ("99 usable examples for a generation task that needs 1,000; "
                               "1 example exceeds the 4,096-token context limit")
    assert finding.action == ("Collect at least 901 more distinct examples (the generation threshold is 1,000); "
                              "shorten or drop the over-long example.")
    one_label = [{"text": f"ticket {i}", "label": "x"} for i in range(101)]
    ds = load_dataset(write_jsonl(tmp_path / "b.jsonl", one_label), Config(task_type="format"))

    one_label_checks = {"size": measure_size(ds, WORDS, config.size), "balance": measure_balance(ds, BalanceConfig())}

    class _Report:
        checks = one_label_checks
        usable = None
        usable_after_deduplication = False
        config = {"balance": {"warn_imbalance_ratio": 20.0}}

    assert _build(_Report()).lines[-1] == "1 label, imbalance ratio 1, normalised entropy n/a"
    rows = [{"text": f"ticket {i}", "label": "a" if i < 410 else "b"} for i in range(420)]
    finding = _scale(tmp_path, rows, Config(task_type="format"))
    assert finding.summary.endswith("the largest label has 41x the examples of the smallest (warn above 20x)")
