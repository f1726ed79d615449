"""Every format a trainer reads, in every file kind: exact counts and the input/target each record gets.

The fixtures in tests/fixtures/formats were written for this project (see tests/fixtures/make_fixtures.py);
each holds good records and planted bad ones.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dataaudit.checks import Status, all_checks
from dataaudit.checks.base import AuditContext
from dataaudit.checks.format import CHECK as FORMAT_CHECK
from dataaudit.checks.format import measure_format
from dataaudit.config import Config, FieldsConfig
from dataaudit.errors import ConfigError
from dataaudit.index import build_index
from dataaudit.load import FORMAT_NAMES, load_dataset
from dataaudit.load import files as load_files
from dataaudit.load.values import MAX_TEXT_CHARS
from dataaudit.normalize import normalize_text
from tests.conftest import write_jsonl

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "formats"
WEATHER_CALL = '[{"function": {"arguments": "{\\"city\\": \\"Paris\\", \\"unit\\": \\"c\\"}", "name": "get_weather"}, "type": "function"}]'

CHAT = [(1, "You route tickets.\nMy card was charged twice", "billing"),
        (2, "Hi\nHello, how can I help?\nWhere is my parcel?", "shipping"),
        (4, "Weather in Paris?", WEATHER_CALL), (5, "Weather in Paris?", WEATHER_CALL)]  # call ids differ
# line 3 ends with an assistant turn of weight 0 after the trained reply: never learned, as a trailing user turn is not
CHAT_ERRORS = [(3, "messages[3].weight"), (6, "messages[0].mood"), (7, "messages[1].weight"), (8, "messages")]
ALPACA = [(1, "Summarise the text.\nThe cat sat on the mat all day.", "A cat rested."), (2, "Name a primary colour.", "Red"),
          (3, "You teach art.\nName a primary colour.\nRed\nAnd another?", "Blue")]
SHAREGPT = [(1, "What is 2+2?", "4"),
            # the function_call's object arguments are written as a string of JSON, as OpenAI spells them
            (2, 'You are a weather bot.\nWeather in Oslo?\n{"arguments": "{\\"city\\": \\"Oslo\\"}", "name": "weather"}\n{"temp": -3}',
             "It is -3 degrees in Oslo.")]
TEXT = [(1, "Refund my order, please", None), (2, "Where is my parcel?", None), (4, "Card declined", None)]

# file -> (format, rows read, invalid, [(line, input, target)], [(error line, error field)])
CASES = {
    "chat.jsonl": ("chat", 8, 4, CHAT, CHAT_ERRORS),
    "chat.jsonl.gz": ("chat", 8, 4, CHAT, CHAT_ERRORS),
    "chat.parquet": ("chat", 4, 1, CHAT[:2] + [(3, "Weather in Paris?", WEATHER_CALL)], [(4, "messages")]),
    "prompt_completion.jsonl": ("prompt_completion", 3, 1, [(1, "Translate to French: cat", "chat"),
                                                            (2, "Be terse.\nCapital of Peru?", "Lima")], [(3, "completion")]),
    "alpaca.json": ("alpaca", 4, 1, ALPACA, [(4, "output")]),
    "alpaca.jsonl": ("alpaca", 4, 1, ALPACA, [(4, "output")]),
    "sharegpt.jsonl": ("sharegpt", 4, 2, SHAREGPT, [(3, "conversations[1].from"), (4, "conversations[2]")]),
    "sharegpt_hf": ("sharegpt", 3, 1, SHAREGPT, [(3, "conversations[2]")]),
    "preference.jsonl": ("preference", 4, 1, [(1, "Is the sky blue?", "Yes, on a clear day."), (2, "Say hi", "Hi there!"),
                                              (3, "Question: capital of France? Answer:", "Paris")], [(4, "rejected")]),
    "unpaired_preference.jsonl": ("unpaired_preference", 3, 1, [(1, "Tell me a joke", "Why did the chicken cross the road?"),
                                                                (2, "Tell me a joke", "No.")], [(3, "completion")]),
    "text.csv": ("text", 4, 1, TEXT, [(3, "text")]),
    "text_semicolon.csv": ("text", 4, 1, TEXT, [(3, "text")]),
    "text_pair.tsv": ("text", 3, 1, [(1, "A man plays a guitar.\nA person makes music.", None),
                                     (2, "A dog sleeps.\nThe dog runs.", None)], [(3, "hypothesis")]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_format_and_file_kind_reads_with_exact_counts_inputs_and_targets(name):
    fmt, rows, invalid, records, errors = CASES[name]
    ds = load_dataset(FIXTURES / name, Config(task_type="generation"))
    assert (ds.total, ds.invalid) == (rows, invalid)
    assert {r.format for r in ds.records} == {fmt}
    assert [(r.line, r.input_text, r.target) for r in ds.records] == records
    assert [(e.line, e.field) for e in ds.errors] == errors
    result = measure_format(ds)
    assert result.formats == {fmt: rows - invalid} and result.minority_format is None


def test_every_format_in_the_table_has_a_fixture():
    assert {case[0] for case in CASES.values()} == set(FORMAT_NAMES)


def test_openai_checks_name_unknown_keys_and_weights():
    errors = {e.line: e for e in load_dataset(FIXTURES / "chat.jsonl", Config()).errors}
    assert errors[6].message.startswith("unknown message key 'mood'")
    assert errors[7].message == "weight must be 0 or 1, got 2"


def test_preference_and_kto_keep_rejected_and_desirability_but_no_class_label():
    pairs = load_dataset(FIXTURES / "preference.jsonl", Config()).records
    assert [r.rejected for r in pairs] == ["No.", "Go away.", "Lyon"] and {r.label for r in pairs} == {None}
    kto = load_dataset(FIXTURES / "unpaired_preference.jsonl", Config()).records
    assert [r.desirable for r in kto] == [True, False] and {r.label for r in kto} == {None}


def test_classification_takes_the_reply_as_the_class_and_labels_are_normalised():
    records = load_dataset(FIXTURES / "text.csv", Config()).records
    assert [r.label for r in records] == ["billing", "shipping", "1"]  # 1.0 in the file
    chat = load_dataset(FIXTURES / "chat.jsonl", Config()).records
    assert [r.label for r in chat[:2]] == ["billing", "shipping"]


def test_system_prompt_is_the_preamble_and_query_text_leaves_it_out():
    first = load_dataset(FIXTURES / "chat.jsonl", Config()).records[0]
    assert first.preamble_chars == len("You route tickets.") and first.query_text == "My card was charged twice"
    alpaca = load_dataset(FIXTURES / "alpaca.json", Config()).records[2]
    # the history's earlier reply ("Red") is in the input, not the query: what the user asks
    assert alpaca.query_text == "Name a primary colour.\nAnd another?"


def test_field_names_are_mapped_in_config(tmp_path):
    rows = [{"dialog": [{"speaker": "customer", "text": "Where is my refund?"}, {"speaker": "agent", "text": "billing"}]},
            {"question": "Capital of Peru?", "answer": "Lima"}]
    config = Config(fields=FieldsConfig(messages="dialog", role_tag="speaker", content_tag="text", user_tag="customer",
                                        assistant_tag="agent", instruction="question", output="answer"))
    ds = load_dataset(write_jsonl(tmp_path / "mapped.jsonl", rows), config)
    assert [(r.format, r.input_text, r.target) for r in ds.records] == [
        ("sharegpt", "Where is my refund?", "billing"), ("alpaca", "Capital of Peru?", "Lima")]


def test_a_forced_format_reads_every_record_as_it_and_an_unknown_one_is_a_config_error(tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", [{"messages": [{"from": "human", "value": "q"}, {"from": "gpt", "value": "a"}]}])
    (r,) = load_dataset(path, Config(fields=FieldsConfig(format="sharegpt"))).records
    assert (r.format, r.input_text, r.target) == ("sharegpt", "q", "a")
    with pytest.raises(ConfigError, match="fields.format: 'dpo'"):
        load_dataset(path, Config(fields=FieldsConfig(format="dpo")))


def test_plain_text_without_a_label_is_a_generation_example_only(tmp_path):
    path = write_jsonl(tmp_path / "lm.jsonl", [{"text": "Once upon a time"}])
    assert len(load_dataset(path, Config(task_type="generation")).records) == 1
    assert load_dataset(path, Config()).errors[0].field == "label"


def test_json_array_is_streamed_across_reads_of_any_size(tmp_path, monkeypatch):
    rows = [{"text": f"row {i} " + "x" * (i % 7) * 10, "label": i} for i in range(200)]
    rows[100]["text"] = "long " * 5000  # one element many times the read size
    path = tmp_path / "big.json"
    path.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    monkeypatch.setattr(load_files, "_READ_CHUNK", 64)  # elements, numbers and strings cut at every boundary
    ds = load_dataset(path, Config())
    assert not ds.errors and [r.label for r in ds.records] == [str(i) for i in range(200)]
    assert ds.records[100].input_text == rows[100]["text"]


def test_a_huge_line_is_capped_and_says_so(tmp_path):
    path = write_jsonl(tmp_path / "huge.jsonl", [{"text": "word " * (MAX_TEXT_CHARS // 2), "label": "x"}, {"text": "ok", "label": "x"}])
    ds = load_dataset(path, Config())
    big, small = ds.records
    assert len(big.input_text) == MAX_TEXT_CHARS and big.truncated and not small.truncated
    assert measure_format(ds).truncated == 1


def test_a_line_over_the_byte_limit_is_skipped_with_an_error(tmp_path, monkeypatch):
    monkeypatch.setattr(load_files, "MAX_LINE_BYTES", 1024)
    path = write_jsonl(tmp_path / "a.jsonl", [{"text": "y" * 5000, "label": "x"}, {"text": "ok", "label": "x"}])
    ds = load_dataset(path, Config())
    assert [r.line for r in ds.records] == [2] and [(e.line, e.field) for e in ds.errors] == [(1, "(line)")]


def _context(ds, config=None) -> AuditContext:
    config = config or Config()
    return AuditContext(config=config, train=build_index("train", ds, lambda t: normalize_text(t, config.duplicates)))


def test_format_is_a_registered_check_whose_judge_ports_the_format_condition():
    assert FORMAT_CHECK in all_checks() and FORMAT_CHECK.order == 10
    ds = load_dataset(FIXTURES / "chat.jsonl", Config())
    ctx = _context(ds)
    result = FORMAT_CHECK.measure(ctx)
    (finding,) = FORMAT_CHECK.judge(result, ctx)
    assert (finding.condition, finding.status) == ("format", Status.FAIL)  # 4 of 8 invalid, over 5%
    assert finding.summary == "4 of 8 records are malformed (50.0%), over the 5% bound"
    assert finding.evidence["first_errors"][1].endswith(":6 messages[0].mood: unknown message key 'mood' "
                                                        "(known: content, function_call, name, refusal, role, tool_call_id, "
                                                        "tool_calls, weight)")
    (lenient,) = FORMAT_CHECK.judge(result, _context(ds, Config(format=type(Config().format)(max_invalid_share=0.5))))
    assert lenient.status == Status.WARN


def test_a_mixed_file_names_its_minority_format(tmp_path):
    rows = [{"messages": [{"role": "user", "content": f"q{i}"}, {"role": "assistant", "content": "a"}]} for i in range(5)]
    rows.insert(3, {"prompt": "stray", "completion": "row"})
    ds = load_dataset(write_jsonl(tmp_path / "mixed.jsonl", rows), Config(task_type="generation"))
    ctx = _context(ds, Config(task_type="generation"))
    result = FORMAT_CHECK.measure(ctx)
    assert result.formats == {"chat": 5, "prompt_completion": 1}
    assert result.minority_format == "prompt_completion" and result.minority_lines == [(str(tmp_path / "mixed.jsonl"), 4)]
    (finding,) = FORMAT_CHECK.judge(result, ctx)
    assert finding.status == Status.WARN and "1 prompt_completion records" in finding.summary


def test_a_file_that_gives_no_records_beside_others_makes_format_warn_naming_it(tmp_path):
    # Every record read was well-formed, so no record count showed the lost batch: the format condition passed.
    good = write_jsonl(tmp_path / "batch1.jsonl", [{"text": f"t{i}", "label": "x"} for i in range(3)])
    (tmp_path / "empty.jsonl").write_bytes(b"")
    (tmp_path / "none.json").write_text("[]\n", encoding="utf-8")  # no reader error names an empty array
    header_only = tmp_path / "header.csv"
    header_only.write_text("text,label\n", encoding="utf-8")
    ds = load_dataset([good, tmp_path / "empty.jsonl", tmp_path / "none.json", header_only], Config())
    ctx = _context(ds)
    result = FORMAT_CHECK.measure(ctx)
    assert [(Path(e.file).name, e.message) for e in result.file_errors] == [
        ("empty.jsonl", "file is empty: no records"), ("header.csv", "file has a header but no records"),
        ("none.json", "file holds no records")]
    (finding,) = FORMAT_CHECK.judge(result, ctx)
    assert finding.status == Status.WARN
    assert finding.summary.startswith("all 3 records read are well-formed, but 3 files could not be read as records (")
    assert f"{tmp_path / 'empty.jsonl'}: file is empty: no records" in finding.summary
    assert len(finding.evidence["file_errors"]) == 3


def _roles_context(tmp_path, production_rows, eval_rows=None) -> AuditContext:
    config = Config()
    key = lambda t: normalize_text(t, config.duplicates)  # noqa: E731
    train = load_dataset(write_jsonl(tmp_path / "train.jsonl", [{"text": f"train {i}", "label": "a"} for i in range(20)]), config)
    production = load_dataset(write_jsonl(tmp_path / "production.jsonl", production_rows), config, role="production")
    evaluation = load_dataset(write_jsonl(tmp_path / "eval.jsonl", eval_rows), config, role="eval") if eval_rows is not None else None
    return AuditContext(config=config, train=build_index("train", train, key), production=build_index("production", production, key),
                        eval=build_index("eval", evaluation, key) if evaluation is not None else None)


PRODUCTION_ROWS = [{"text": f"production {i}"} for i in range(6)] + ['{"text": broken', {"nottext": "x"}] + [{"text": "late"}]
EVAL_ROWS = [{"text": "eval 1", "label": "a"}, {"messages": [{"role": "customer", "content": "x"}]}, "not json at all"]


def test_bad_production_and_eval_rows_are_counted_with_their_lines_and_fields_and_make_format_warn(tmp_path):
    # Coverage and leakage read only the valid rows: the rows they lost were dropped without a trace.
    ctx = _roles_context(tmp_path, PRODUCTION_ROWS, EVAL_ROWS)
    result = FORMAT_CHECK.measure(ctx)
    assert (result.records, result.invalid) == (20, 0)  # the training figures stay where they are
    production, evaluation = result.other_inputs["production"], result.other_inputs["eval"]
    assert (production.records, production.valid, production.invalid, production.errors_total) == (9, 7, 2, 2)
    assert [(Path(e.file).name, e.line, e.field) for e in production.errors] == [("production.jsonl", 7, "(json)"),
                                                                                ("production.jsonl", 8, "(record)")]
    assert (evaluation.records, evaluation.invalid) == (3, 2) and [e.line for e in evaluation.errors] == [2, 3]
    (train_finding, finding) = FORMAT_CHECK.judge(result, ctx)
    assert train_finding.status == Status.PASS and finding.status == Status.WARN and finding.condition == "format"
    assert finding.summary.startswith(f"2 of 9 production rows could not be read ({tmp_path / 'production.jsonl'}:7 (json): ")
    assert "; 2 of 3 eval rows could not be read (" in finding.summary
    assert finding.action.startswith(f"Fix or remove the 2 malformed production rows in {tmp_path / 'production.jsonl'} (listed under "
                                     "format errors): coverage was measured without them.")
    assert f"the 2 malformed eval rows in {tmp_path / 'eval.jsonl'}" in finding.action
    assert finding.evidence["other_inputs"]["production"]["invalid"] == 2


def test_bad_production_rows_join_a_failing_training_finding_without_changing_it(tmp_path):
    ctx = _roles_context(tmp_path, PRODUCTION_ROWS)
    broken = load_dataset(FIXTURES / "chat.jsonl", Config())
    ctx = AuditContext(config=ctx.config, train=build_index("train", broken, lambda t: normalize_text(t, ctx.config.duplicates)),
                       production=ctx.production)
    findings = FORMAT_CHECK.judge(FORMAT_CHECK.measure(ctx), ctx)
    assert [f.status for f in findings] == [Status.FAIL, Status.WARN]
    assert findings[0].summary == "4 of 8 records are malformed (50.0%), over the 5% bound"
    assert "eval" not in FORMAT_CHECK.measure(ctx).other_inputs


def test_a_clean_production_file_changes_nothing_in_the_format_condition(tmp_path):
    ctx = _roles_context(tmp_path, [{"text": f"production {i}"} for i in range(5)], [{"text": "eval", "label": "a"}])
    result = FORMAT_CHECK.measure(ctx)
    assert result.other_inputs["production"].invalid == 0 and not result.other_inputs["production"].errors
    (finding,) = FORMAT_CHECK.judge(result, ctx)
    assert (finding.status, finding.summary) == (Status.PASS, "all 20 records are well-formed")
    alone = _context(ctx.train.dataset)
    assert FORMAT_CHECK.judge(FORMAT_CHECK.measure(alone), alone) == [finding]


def test_bad_production_and_eval_rows_reach_report_json_and_every_renderer(tmp_path):
    from rich.console import Console

    from dataaudit.api import audit
    from dataaudit.render.html import render_html
    from dataaudit.render.json_report import report_json
    from dataaudit.render.markdown import render_markdown
    from dataaudit.render.terminal import render_terminal

    train = write_jsonl(tmp_path / "train.jsonl", [{"text": f"train {i}", "label": "ab"[i % 2]} for i in range(20)])
    report = audit(train, Config(), production=write_jsonl(tmp_path / "production.jsonl", PRODUCTION_ROWS),
                   eval_path=write_jsonl(tmp_path / "eval.jsonl", EVAL_ROWS), embed=False)
    data = report_json(report)["checks"]["format"]
    assert (data["records"], data["invalid"], data["errors"]) == (20, 0, [])
    production = data["other_inputs"]["production"]
    assert {k: production[k] for k in ("records", "valid", "invalid", "errors_total")} == {"records": 9, "valid": 7, "invalid": 2, "errors_total": 2}
    assert [(e["line"], e["field"]) for e in production["errors"]] == [(7, "(json)"), (8, "(record)")]
    assert data["other_inputs"]["eval"]["invalid"] == 2
    (condition,) = [c for c in report.verdict.conditions if c.id == "format"]
    assert condition.status == Status.WARN and condition.summary.startswith("2 of 9 production rows could not be read")
    markdown, page = render_markdown(report), render_html(report)
    for rendered in (markdown, page):
        assert "production: 9 rows read: 7 valid, 2 invalid" in rendered and "eval: 3 rows read: 1 valid, 2 invalid" in rendered
        assert "Format errors, production (2)" in rendered and "Format errors, eval (2)" in rendered
    console = Console(record=True, width=200)
    render_terminal(report, console)
    assert "production: 9 rows read: 7 valid, 2 invalid" in console.export_text()


def test_an_empty_production_file_beside_a_good_one_is_named_in_the_format_condition(tmp_path):
    config = Config()
    key = lambda t: normalize_text(t, config.duplicates)  # noqa: E731
    train = load_dataset(write_jsonl(tmp_path / "train.jsonl", [{"text": f"t{i}", "label": "a"} for i in range(3)]), config)
    (tmp_path / "empty.jsonl").write_bytes(b"")
    production = load_dataset([write_jsonl(tmp_path / "p.jsonl", [{"text": "p"}]), tmp_path / "empty.jsonl"], config, role="production")
    ctx = AuditContext(config=config, train=build_index("train", train, key), production=build_index("production", production, key))
    result = FORMAT_CHECK.measure(ctx)
    assert [(Path(e.file).name, e.line) for e in result.other_inputs["production"].file_errors] == [("empty.jsonl", 0)]
    (_, finding) = FORMAT_CHECK.judge(result, ctx)
    assert finding.status == Status.WARN
    assert finding.summary == f"1 production file could not be read as records ({tmp_path / 'empty.jsonl'} (file): file is empty: no records)"


def test_a_pass_under_a_loosened_bound_does_not_say_all_records_are_well_formed(tmp_path):
    from dataaudit.api import audit
    from dataaudit.config import config_from_dict

    rows = [{"text": f"ticket {i}", "label": "a" if i % 2 else "b"} for i in range(99)] + ["{broken"]
    config = config_from_dict({"format": {"warn_invalid_share": 0.05, "max_invalid_share": 0.1}})
    fmt = next(c for c in audit(write_jsonl(tmp_path / "t.jsonl", rows), config, embed=False).verdict.conditions if c.id == "format")
    assert fmt.status == "pass" and fmt.summary == "99 of 100 records (1 malformed, 1.0%, within the 5% bound) are well-formed"


def test_openai_content_parts_image_only_turns_and_refusals_are_valid_and_tools_must_be_a_list_or_its_json(tmp_path):
    image = {"type": "image_url", "image_url": {"url": "https://example.com/a.png", "detail": "low"}}
    other = {"type": "image_url", "image_url": {"url": "https://example.com/b.png"}}
    digest = lambda url: __import__("hashlib").sha256(url.encode()).hexdigest()[:12]  # noqa: E731
    path = write_jsonl(tmp_path / "parts.jsonl", [
        {"messages": [{"role": "user", "content": [image]}, {"role": "assistant", "content": "a cat"}]},
        {"messages": [{"role": "user", "content": [{"type": "text", "text": "What is it?"}, other]},
                      {"role": "assistant", "content": [{"type": "refusal", "refusal": "I can't help with that."}]}]},
        {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": None, "refusal": "No."}]},
        {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "x"}], "tools": "notalist"},
        {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "x"}], "tools": ["route"]},
        {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "x"}],
         "tools": [{"type": "function", "function": {"name": "route"}}]}])
    ds = load_dataset(path, Config())
    assert [(r.line, r.input_text, r.target) for r in ds.records] == [
        (1, f"[image {digest('https://example.com/a.png')}]", "a cat"),
        (2, f"What is it?\n[image {digest('https://example.com/b.png')}]", "I can't help with that."),
        (3, "hi", "No."), (6, f"[tools {digest(json.dumps({'function': {'name': 'route'}, 'type': 'function'}))}]\nhi", "x")]
    assert [(e.line, e.field, e.message) for e in ds.errors] == [
        (4, "tools", "is not valid JSON (expected a list of tool definitions, or a string holding one)"),
        (5, "tools[0]", "expected a tool definition (an object), got a string")]


def test_openai_dpo_lines_are_preference_pairs_prompt_from_input_messages(tmp_path):
    def line(prompt, preferred, non_preferred, **extra):
        return {"input": {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": prompt}],
                          "tools": [], "parallel_tool_calls": True},
                "preferred_output": [{"role": "assistant", "content": preferred}],
                "non_preferred_output": [{"role": "assistant", "content": non_preferred}], **extra}

    path = write_jsonl(tmp_path / "dpo.jsonl", [
        line("How cold is Paris?", "About 5 C today.", "I don't know."),
        line("Say hi", "Hi!", "Hi!"),
        {"input": {"messages": [{"role": "user", "content": "q"}]}, "preferred_output": [{"role": "assistant", "content": "a"}]},
        line("q", "a", "b") | {"input": {"messages": [{"role": "user", "content": "q"}], "tools": "notalist"}},
        {"input": "q", "preferred_output": [{"role": "assistant", "content": "a"}], "non_preferred_output": []},
        {"input": {"messages": [{"role": "user", "content": "q"}]}, "preferred_output": [{"role": "tool", "content": "a"}],
         "non_preferred_output": [{"role": "assistant", "content": "b"}]}])
    ds = load_dataset(path, Config())
    assert [(r.line, r.format, r.input_text, r.target, r.rejected, r.label, r.preamble_chars) for r in ds.records] == [
        (1, "preference", "Be brief.\nHow cold is Paris?", "About 5 C today.", "I don't know.", None, len("Be brief.")),
        (2, "preference", "Be brief.\nSay hi", "Hi!", "Hi!", None, len("Be brief."))]
    assert [(e.line, e.field, e.message) for e in ds.errors] == [
        (3, "non_preferred_output", "missing (or null)"), (4, "input.tools", "expected a list of tool definitions, got a string"),
        (5, "input", "expected an object holding messages, got a string"), (6, "preferred_output", "holds no assistant message")]
    from dataaudit.checks.preference import preference_facts
    from dataaudit.config import DuplicatesConfig

    assert [f.identical for f in preference_facts(ds.records, DuplicatesConfig())] == [False, True]  # the check sees the pairs


def test_a_preference_reply_holds_the_assistant_turns_only_and_both_sides_answer_one_conversation(tmp_path):
    def m(role, content):
        return {"role": role, "content": content}

    path = write_jsonl(tmp_path / "pairs.jsonl", [
        # 1 a shared system prompt, then two different questions: no common conversation to compare replies to
        {"chosen": [m("system", "Be kind."), m("user", "What is a list?"), m("assistant", "An ordered sequence.")],
         "rejected": [m("system", "Be kind."), m("user", "Tell me a joke."), m("assistant", "No.")]},
        # 2 explicit prompt, and a user turn inside chosen
        {"prompt": [m("user", "Hi")], "chosen": [m("assistant", "Hello!"), m("user", "and?"), m("assistant", "More.")],
         "rejected": [m("assistant", "Go away.")]},
        # 3 chosen carries the conversation on past the reply rejected gives
        {"chosen": [m("user", "Hi"), m("assistant", "Hello!"), m("user", "and?"), m("assistant", "More.")],
         "rejected": [m("user", "Hi"), m("assistant", "Go away.")]},
        # 4 valid: a tool call and its result before the answer, and a shared multi-turn conversation
        {"prompt": [m("user", "Weather?")], "rejected": [m("assistant", "Sunny, surely.")],
         "chosen": [{"role": "assistant", "content": None, "tool_calls": [{"type": "function", "function": {"name": "w", "arguments": "{}"}}]},
                    m("tool", "12 C, rain"), m("assistant", "12 C and rain.")]},
        {"chosen": [m("user", "Hi"), m("assistant", "Hello!"), m("user", "and?"), m("assistant", "More.")],
         "rejected": [m("user", "Hi"), m("assistant", "Hello!"), m("user", "and?"), m("assistant", "Nothing.")]},
        # 6, 7 OpenAI: two assistant messages in one output; a user message inside one
        {"input": {"messages": [m("user", "x")]}, "preferred_output": [m("assistant", "a"), m("assistant", "a2")],
         "non_preferred_output": [m("assistant", "b")]},
        {"input": {"messages": [m("user", "x")]}, "preferred_output": [m("user", "sneaky"), m("assistant", "a")],
         "non_preferred_output": [m("assistant", "b")]},
        # 8 OpenAI: an input that ends with an assistant turn is read as it is (the outputs continue that reply)
        {"input": {"messages": [m("user", "x"), m("assistant", "y")]}, "preferred_output": [m("assistant", "a")],
         "non_preferred_output": [m("assistant", "b")]}])
    ds = load_dataset(path, Config(task_type="generation"))
    assert [(r.line, r.input_text, r.target, r.rejected) for r in ds.records] == [
        (4, "Weather?", '[{"function": {"arguments": "{}", "name": "w"}, "type": "function"}]\n12 C, rain\n12 C and rain.',
         "Sunny, surely."),
        (5, "Hi\nHello!\nand?", "More.", "Nothing."), (8, "x\ny", "a", "b")]
    assert [(e.line, e.field, e.message.split(":")[0]) for e in ds.errors] == [
        (1, "chosen[1]", "chosen and rejected differ before the final assistant reply (from turn 1)"),
        (2, "chosen[1].role", "a 'user' turn inside the reply"),
        (3, "chosen[2]", "chosen and rejected differ before the final assistant reply (from turn 1)"),
        (6, "preferred_output", "holds 2 assistant messages"),
        (7, "preferred_output[0].role", "a 'user' message")]


def test_content_given_as_a_list_of_plain_strings_names_the_parts_it_should_hold(tmp_path):
    path = write_jsonl(tmp_path / "strings.jsonl", [
        {"messages": [{"role": "system", "content": ["not", "parts"]}, {"role": "user", "content": "q"},
                      {"role": "assistant", "content": "a"}]},
        {"messages": [{"role": "user", "content": [{"type": "text", "text": "q"}]}, {"role": "assistant", "content": "a"}]}])
    ds = load_dataset(path, Config())
    assert [r.line for r in ds.records] == [2]
    assert [(e.line, e.field, e.message) for e in ds.errors] == [
        (1, "messages[0].content", 'a list must hold content parts ({"type": "text", "text": ...}), not plain strings')]


def test_a_number_or_boolean_where_a_text_belongs_is_invalid_in_every_format_and_a_csv_digit_is_a_text(tmp_path):
    rows = [{"text": 5, "label": "x"}, {"text": True, "label": "x"}, {"text": 1.5e3, "label": "x"},
            {"prompt": 7, "completion": "x"}, {"messages": [{"role": "user", "content": 5}, {"role": "assistant", "content": "x"}]},
            {"instruction": "do", "output": 3}, {"prompt": "p", "chosen": 1, "rejected": "r"}]
    ds = load_dataset(write_jsonl(tmp_path / "t.jsonl", rows), Config())
    assert ds.records == [] and [(e.line, e.field, e.message) for e in ds.errors] == [
        (1, "text", "expected a string, got a number"), (2, "text", "expected a string, got a boolean"),
        (3, "text", "expected a string, got a number"), (4, "prompt", "expected a string, got a number"),
        (5, "messages[0].content", "expected a string, got a number"), (6, "output", "expected a string, got a number"),
        (7, "chosen", "expected a string, got a number")]
    labels = load_dataset(write_jsonl(tmp_path / "l.jsonl", [{"text": "t", "label": 7, "id": 12}]), Config(fields=FieldsConfig(id="id")))
    assert [(r.input_text, r.label, r.record_id) for r in labels.records] == [("t", "7", "12")]  # a label or id may be a number
    (tmp_path / "d.csv").write_text("text,label\n5,x\ntrue,y\n", encoding="utf-8")
    assert [r.input_text for r in load_dataset(tmp_path / "d.csv", Config()).records] == ["5", "true"]


def test_an_annotation_layout_says_rows_are_well_formed_and_how_many_items_were_audited(tmp_path):
    """QA: "all 300 records are well-formed" counted export rows where the audit counted 150 items, and said so
    too on a run with no new items at all."""
    from dataaudit.api import audit
    from dataaudit.config import config_from_dict

    rows = [{"item_id": f"q{i}", "annotator": who, "text": f"question {i}", "label": "ab"[(i + k) % 2 if who == "c" else i % 2]}
            for i in range(20) for k, who in enumerate("abc")]
    path = tmp_path / "batch.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    config = config_from_dict({"task_type": "format", "fields": {"annotator": "annotator", "id": "item_id"}})
    condition = next(c for c in audit(path, config, embed=False).verdict.conditions if c.id == "format")
    assert condition.summary == "all 60 export rows (20 items audited) are well-formed"
    plain = tmp_path / "plain.jsonl"
    plain.write_text("".join(json.dumps({"text": f"q {i}", "label": "ab"[i % 2]}) + "\n" for i in range(20)), encoding="utf-8")
    condition = next(c for c in audit(plain, Config(), embed=False).verdict.conditions if c.id == "format")
    assert condition.summary == "all 20 records are well-formed"


def test_a_format_result_says_whether_its_rows_were_grouped_into_items():
    """The rows-vs-items rule was written twice (the format condition and the renderers): one flag now."""
    from dataaudit.checks.format import FormatResult

    def result(valid: int, items: int) -> FormatResult:
        return FormatResult(records=valid, valid=valid, invalid=0, invalid_share=0.0, items=items, blank_lines=0,
                            formats={}, errors=[], errors_listed=0, errors_by_field={}, file_errors=[])

    assert result(240, 80).grouped
    assert not result(240, 240).grouped
