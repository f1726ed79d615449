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
