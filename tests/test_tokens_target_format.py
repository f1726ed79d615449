"""The tokens check's format findings: whose limit an example is held to, and records a chat model cannot be trained on."""

from __future__ import annotations

from dataaudit.checks.base import Status
from dataaudit.checks.tokens import TokensConfig, judge, measure_tokens, resolve_target
from dataaudit.config import config_from_dict
from dataaudit.load.dataset import load_dataset
from tests.conftest import chat, write_jsonl


def _dataset(tmp_path, rows):
    return load_dataset(write_jsonl(tmp_path / "train.jsonl", rows), config_from_dict({"task_type": "generation"}))


def test_a_limit_set_in_the_config_is_named_as_the_users_not_the_models(tmp_path):
    """With [tokens] example_limit = 170 the finding said "gpt-4o-mini's 170-token training limit": a figure
    OpenAI never published."""
    ds = _dataset(tmp_path, [chat(f"question {i}", "answer " * (5 + 300 * (i == 2)), system=None) for i in range(4)])
    config = TokensConfig(target_model="gpt-4o-mini", example_limit=170)
    (finding,) = judge(measure_tokens(ds.records, resolve_target(config), config), None)
    assert finding.status == Status.FAIL
    assert finding.summary.startswith("1 example(s) exceed the 170-token limit set in [tokens] example_limit, so the trainer would cut them")
    assert "gpt-4o-mini's" not in finding.summary
    table = TokensConfig(target_model="gpt-4o-mini")
    (passing,) = judge(measure_tokens(ds.records, resolve_target(table), table), None)
    assert passing.status == Status.PASS and "every example fits gpt-4o-mini's 65,536-token training limit" in passing.summary


def test_prompt_completion_records_for_a_chat_model_warn_naming_the_model_and_the_format_it_needs(tmp_path):
    rows = [{"prompt": f"Why is refund {i} missing?\n\n###\n\n", "completion": " refund_missing\n"} for i in range(6)]
    rows += [chat("hello there", "hi")]
    ds = _dataset(tmp_path, rows)
    config = TokensConfig(target_model="gpt-4o-mini")
    findings = judge(measure_tokens(ds.records, resolve_target(config), config), None)
    assert [(f.condition, f.status) for f in findings] == [("format", Status.PASS), ("format", Status.WARN)]
    warning = findings[1]
    assert warning.summary == ("6 of 7 records are prompt_completion, but gpt-4o-mini is fine-tuned on the chat format "
                               "only ({\"messages\": [...]} per line)")
    assert "convert" in warning.action.lower() and "gpt-4o-mini" in warning.action
    assert warning.evidence["formats_not_accepted"] == {"prompt_completion": 6}


def test_chat_and_openai_preference_records_and_an_open_models_tokenizer_raise_no_format_warning(tmp_path):
    ds = _dataset(tmp_path, [chat(f"question {i}", "answer") for i in range(5)])
    config = TokensConfig(target_model="gpt-4o-mini")
    assert [f.status for f in judge(measure_tokens(ds.records, resolve_target(config), config), None)] == [Status.PASS]
    dpo = {"input": {"messages": [{"role": "user", "content": "hi"}]},
           "preferred_output": [{"role": "assistant", "content": "Hello!"}],
           "non_preferred_output": [{"role": "assistant", "content": "No."}]}
    pairs = _dataset(tmp_path, [dpo])
    assert [f.status for f in judge(measure_tokens(pairs.records, resolve_target(config), config), None)] == [Status.PASS]


def test_trl_preference_pairs_for_a_chat_model_warn_while_openai_preference_lines_do_not(tmp_path):
    """Both layouts are read as "preference"; OpenAI fine-tunes on its {"input", "preferred_output", ...} lines only."""
    rows = [{"prompt": f"Summarise ticket {i}", "chosen": "Refund issued.", "rejected": "No idea."} for i in range(4)]
    ds = _dataset(tmp_path, rows)
    config = TokensConfig(target_model="gpt-4o-mini")
    findings = judge(measure_tokens(ds.records, resolve_target(config), config), None)
    (warning,) = [f for f in findings if f.status == Status.WARN]
    # Keyed by a format name, as README documents formats_not_accepted; not told it is "chat format only" (OpenAI
    # takes its own preference lines) nor to convert to chat lines (which drops the rejected reply).
    assert warning.evidence["formats_not_accepted"] == {"preference_trl": 4}
    # Not "for gpt-4o-mini": OpenAI preference-tunes only some models (gpt-3.5-turbo is a target here, and not one).
    assert warning.summary == ("4 of 4 records are preference pairs in the prompt/chosen/rejected layout (preference_trl), "
                               "but OpenAI takes preference pairs only as {\"input\", \"preferred_output\", "
                               "\"non_preferred_output\"} lines, and preference-tunes only some of its models")
    assert warning.action == ("Check that OpenAI offers preference fine-tuning for gpt-4o-mini (its DPO guide lists the "
                              "models), then convert the preference_trl records to that layout (the prompt as input's user "
                              "message, chosen as preferred_output, rejected as non_preferred_output); or name an open "
                              "model's tokenizer (--tokenizer).")
    assert "chat lines" not in warning.action and "chat format only" not in warning.summary


def test_trl_preference_pairs_beside_prompt_completion_lines_get_a_finding_each(tmp_path):
    rows = [{"prompt": f"Summarise ticket {i}", "chosen": "Refund issued.", "rejected": "No idea."} for i in range(3)]
    rows += [{"prompt": f"Why is refund {i} missing?", "completion": " refund_missing"} for i in range(2)]
    config = TokensConfig(target_model="gpt-4o-mini")
    findings = judge(measure_tokens(_dataset(tmp_path, rows).records, resolve_target(config), config), None)
    warnings = [f for f in findings if f.status == Status.WARN]
    assert [w.evidence["formats_not_accepted"] for w in warnings] == [{"prompt_completion": 2}, {"preference_trl": 3}]
    assert warnings[0].summary.startswith("2 of 5 records are prompt_completion, but gpt-4o-mini is fine-tuned on the chat format")
    assert "preference" not in warnings[0].action and warnings[1].summary.startswith("3 of 5 records are preference pairs")


OBJECT_CALL = {"role": "assistant", "content": None,
               "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]}
STRING_CALL = {"role": "assistant", "content": None,
               "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}]}
RESULT = {"role": "tool", "tool_call_id": "c1", "content": "21"}


def _tool_rows(calls):
    user = {"role": "user", "content": "Weather in Paris?"}
    reply = {"role": "assistant", "content": "It is 21 degrees."}
    rows = [{"messages": [user, call, RESULT, reply]} for call in calls]
    rows.append({"input": {"messages": [user]}, "preferred_output": [OBJECT_CALL],
                 "non_preferred_output": [{"role": "assistant", "content": "No idea."}]})
    return rows


def test_tool_call_arguments_given_as_an_object_fail_the_format_for_an_openai_chat_model_naming_the_lines(tmp_path):
    """They were record errors raised by the loader (so `dedup` dropped them as unreadable); they are records,
    and OpenAI's upload refuses the file, as it does one with an example over the limit."""
    ds = _dataset(tmp_path, _tool_rows([OBJECT_CALL, STRING_CALL, OBJECT_CALL]))
    assert ds.errors == [] and len(ds.records) == 4
    config = TokensConfig(target_model="gpt-4o-mini", max_listed=2)
    result = measure_tokens(ds.records, resolve_target(config), config)
    assert result.object_arguments_count == 3
    assert [(o.line, o.field) for o in result.object_arguments] == [
        (1, "messages[1].tool_calls[0].function.arguments"), (3, "messages[1].tool_calls[0].function.arguments")]
    (finding,) = [f for f in judge(result, None) if "arguments" in f.summary]
    assert finding.condition == "format" and finding.status == Status.FAIL
    assert finding.evidence == {"target_model": "gpt-4o-mini", "object_arguments": 3}
    assert finding.summary.startswith("3 of 4 records give a tool call's arguments as an object")
    assert "train.jsonl:1 (messages[1].tool_calls[0].function.arguments), train.jsonl:3" in finding.summary
    # two named of three: "and 1 more", not the count less the five a summary may name (second review)
    assert "train.jsonl:3 (messages[1].tool_calls[0].function.arguments) and 1 more" in finding.summary


def test_tool_call_arguments_as_an_object_are_no_finding_for_an_open_model_or_strings(tmp_path):
    ds = _dataset(tmp_path, _tool_rows([OBJECT_CALL]))
    from dataaudit.checks.token_models import TargetModel
    from dataaudit.checks.tokens import lines_with_object_arguments

    gpt = resolve_target(TokensConfig(target_model="gpt-4o-mini"))
    assert [o.line for o in lines_with_object_arguments(ds.records, gpt)] == [1, 2]
    # an open model's chat template takes the object; a legacy completion model is not fed chat lines at all
    assert lines_with_object_arguments(ds.records, TargetModel("my-open-model", "", 4096, None, None)) == []
    assert lines_with_object_arguments(ds.records, TargetModel("davinci-002", "cl100k_base", 2048, None, None)) == []
    strings = _dataset(tmp_path, [_tool_rows([STRING_CALL])[0]])
    config = TokensConfig(target_model="gpt-4o-mini")
    result = measure_tokens(strings.records, resolve_target(config), config)
    assert result.object_arguments_count == 0 and [f.status for f in judge(result, None)] == [Status.PASS]


def _hf_rows():
    """Hugging Face / TRL chat lines OpenAI's upload refuses: a name outside OpenAI's pattern, a final call without
    an id (and one well-formed line), plus an OpenAI DPO line whose input names its user 'bob.smith'."""
    user = {"role": "user", "content": "Weather in Paris?"}
    reply = {"role": "assistant", "content": "It is 21 degrees."}
    id_less = {"role": "assistant", "tool_calls": [{"type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}]}
    return [{"messages": [{**user, "name": "José"}, reply]},
            {"messages": [user, id_less]},
            {"messages": [{**user, "name": "bob_smith"}, reply]},
            {"messages": [{**user, "name": ""}, id_less]},
            {"input": {"messages": [{**user, "name": "bob.smith"}]}, "preferred_output": [reply],
             "non_preferred_output": [{"role": "assistant", "content": "No idea."}]}]


def test_names_and_id_less_calls_openai_refuses_fail_the_format_for_an_openai_chat_model_naming_the_lines(tmp_path):
    ds = _dataset(tmp_path, _hf_rows())
    assert ds.errors == [] and len(ds.records) == 5  # records for any model
    config = TokensConfig(target_model="gpt-4o-mini", max_listed=2)
    result = measure_tokens(ds.records, resolve_target(config), config)
    assert (result.names_not_accepted_count, result.calls_without_id_count) == (3, 2)
    assert [(o.line, o.field) for o in result.names_not_accepted] == [(1, "messages[0].name"), (4, "messages[0].name")]
    assert [(o.line, o.field) for o in result.calls_without_id] == [(2, "messages[1].tool_calls[0].id"),
                                                                    (4, "messages[1].tool_calls[0].id")]
    failures = [f for f in judge(result, None) if f.status == Status.FAIL]
    assert [f.evidence for f in failures] == [{"target_model": "gpt-4o-mini", "names_not_accepted": 3},
                                              {"target_model": "gpt-4o-mini", "calls_without_id": 2}]
    assert failures[0].summary.startswith("3 of 5 records give a message a `name` that OpenAI's fine-tuning of gpt-4o-mini "
                                          "does not take")
    assert failures[0].summary.endswith("train.jsonl:1 (messages[0].name), train.jsonl:4 (messages[0].name) and 1 more")
    assert failures[1].summary.startswith("2 of 5 records make a tool call without an `id`")
    assert "checks.tokens.calls_without_id" in failures[1].action


def test_names_and_id_less_calls_are_no_finding_for_an_open_model_or_a_completion_model(tmp_path):
    from dataaudit.checks.token_models import TargetModel
    from dataaudit.checks.tokens import lines_openai_refuses

    ds = _dataset(tmp_path, _hf_rows())
    assert lines_openai_refuses(ds.records, TargetModel("my-open-model", "", 4096, None, None)) == ([], [])
    assert lines_openai_refuses(ds.records, TargetModel("davinci-002", "cl100k_base", 2048, None, None)) == ([], [])
    names, calls = lines_openai_refuses(ds.records, resolve_target(TokensConfig(target_model="gpt-4o-mini")))
    assert [n.line for n in names] == [1, 4, 5] and [c.line for c in calls] == [2, 4]


TOOL = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {}}}}


def test_tools_given_as_a_json_string_fail_the_format_for_an_openai_chat_model_naming_the_lines(tmp_path):
    """The reader takes `tools` as the JSON string Hugging Face datasets store it as, and keys and counts it as
    the list; OpenAI's upload takes a list only (its fine-tuning input: `tools`, an array of tools)."""
    import json

    from dataaudit.checks.token_models import TargetModel
    from dataaudit.checks.tokens import lines_with_string_tools

    user = {"role": "user", "content": "Weather in Paris?"}
    reply = {"role": "assistant", "content": "It is 21 degrees."}
    rows = [{"messages": [user, reply], "tools": json.dumps([TOOL])},
            {"messages": [user, reply], "tools": [TOOL]},
            {"messages": [user, reply], "functions": json.dumps([TOOL["function"]])},
            {"messages": [user, reply]}]
    ds = _dataset(tmp_path, rows)
    assert ds.errors == [] and len(ds.records) == 4
    config = TokensConfig(target_model="gpt-4o-mini", max_listed=1)
    result = measure_tokens(ds.records, resolve_target(config), config)
    assert result.tools_as_strings_count == 2
    assert [(o.line, o.field) for o in result.tools_as_strings] == [(1, "tools")]
    (finding,) = [f for f in judge(result, None) if "tools_as_strings" in f.evidence]
    assert finding.condition == "format" and finding.status == Status.FAIL
    assert finding.evidence == {"target_model": "gpt-4o-mini", "tools_as_strings": 2}
    assert finding.summary.startswith("2 of 4 records give their tool definitions as a string holding JSON")
    assert finding.summary.endswith("train.jsonl:1 (tools) and 1 more")
    assert "checks.tokens.tools_as_strings" in finding.action
    everything = lines_with_string_tools(ds.records, resolve_target(TokensConfig(target_model="gpt-4o-mini")))
    assert [(o.line, o.field) for o in everything] == [(1, "tools"), (3, "functions")]
    # an open model's trainer parses the string (or its chat template is handed the list); a completion model
    # is not fed chat lines at all
    assert lines_with_string_tools(ds.records, TargetModel("my-open-model", "", 4096, None, None)) == []
    assert lines_with_string_tools(ds.records, TargetModel("davinci-002", "cl100k_base", 2048, None, None)) == []


def test_a_legacy_completion_model_is_a_target_that_takes_prompt_completion_lines_and_warns_on_chat_lines(tmp_path):
    """babbage-002 and davinci-002 were refused as unknown models, though the check special-cased them."""
    rows = [{"prompt": f"Why is refund {i} missing?\n\n###\n\n", "completion": " refund_missing\n"} for i in range(6)]
    legacy = _dataset(tmp_path, rows)
    for model, price in (("babbage-002", 0.40), ("davinci-002", 6.00)):
        config = TokensConfig(target_model=model)
        target = resolve_target(config)
        assert (target.encoding, target.example_limit, target.price_per_million) == ("cl100k_base", 16384, price)
        result = measure_tokens(legacy.records, target, config)
        assert result.formats_not_accepted == {}
        assert [f.status for f in judge(result, None)] == [Status.PASS]
    chats = _dataset(tmp_path, [chat(f"question {i}", "answer") for i in range(3)] + rows[:1])
    config = TokensConfig(target_model="davinci-002")
    findings = judge(measure_tokens(chats.records, resolve_target(config), config), None)
    warning = [f for f in findings if f.status == Status.WARN]
    assert len(warning) == 1 and warning[0].evidence["formats_not_accepted"] == {"chat": 3}
    assert warning[0].summary == ('3 of 4 records are chat, but davinci-002 is fine-tuned on prompt/completion lines only '
                                  '({"prompt": ..., "completion": ...} per line)')


def test_a_cost_under_a_cent_is_shown_with_its_figures_not_as_zero():
    """QA: a babbage-002 run of $0.0031 read "about $0.00" in every report."""
    from dataaudit.render.sections.tokens import _dollars

    assert [_dollars(v) for v in (0.0031, 0.0, 0.01, 1234.5)] == ["0.0031", "0.00", "0.01", "1,234.50"]
