"""A conversation's query (Record.query_text) is what the user asks: tool calls and tool results stay in the
input (the key) but out of the query that coverage, production overlap and the eval leak by query compare."""

from __future__ import annotations

import json

from dataaudit.checks.duplicates import measure_index
from dataaudit.config import Config
from dataaudit.index import build_index
from dataaudit.load.dataset import load_dataset
from dataaudit.normalize import normalize_text
from tests.conftest import write_jsonl

SYSTEM = "You are Acme's support agent."
TOPICS = ["my refund", "a password reset", "my parcel", "my subscription", "a damaged item"]


def _tool_chat(i: int, updated: str = "2026-11-15", system: str | None = SYSTEM) -> dict:
    """A support conversation: the user asks, the assistant calls a tool, the tool answers, the assistant replies."""
    question = f"Can you check {TOPICS[i % 5]} on order {10000 + i}?"
    arguments = json.dumps({"order_id": 10000 + i, "topic": TOPICS[i % 5]})
    messages = ([{"role": "system", "content": system}] if system else []) + [
        {"role": "user", "content": question},
        {"role": "assistant", "tool_calls": [{"id": f"c{i}", "type": "function", "function": {"name": "lookup_order", "arguments": arguments}}]},
        {"role": "tool", "tool_call_id": f"c{i}", "content": json.dumps({"status": "open", "updated": updated, "ref": 500000 + i})},
        {"role": "assistant", "content": f"I checked order {10000 + i}: it is being handled."}]
    return {"messages": messages}


def _index(role: str, path, config: Config):
    return build_index(role, load_dataset(path, config, role=role, name=role), lambda text: normalize_text(text, config.duplicates))


def test_a_tool_using_conversation_queries_its_user_turns_and_keys_everything_the_model_sees(tmp_path):
    path = write_jsonl(tmp_path / "t.jsonl", [_tool_chat(0), _tool_chat(1, system=None)])
    first, second = load_dataset(path, Config(task_type="generation")).records
    assert first.query_text == "Can you check my refund on order 10000?"
    # Without a system prompt too: what is asked, apart from the call and the tool's output.
    assert second.query_text == "Can you check a password reset on order 10001?" and second.input_text.startswith(second.query_text + "\n")
    # The input still holds the call and the tool's output: they tell two conversations apart as duplicates.
    assert '"name": "lookup_order"' in first.input_text and '"updated": "2026-11-15"' in first.input_text
    assert first.target == "I checked order 10000: it is being handled."


def test_a_multi_turn_query_is_every_user_turn_and_a_plain_chat_keeps_no_second_copy(tmp_path):
    path = write_jsonl(tmp_path / "t.jsonl", [
        {"messages": [{"role": "system", "content": "Route tickets."},
                      {"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello, how can I help?"},
                      {"role": "user", "content": [{"type": "text", "text": "my card"}, {"type": "text", "text": "was charged twice"}]},
                      {"role": "assistant", "content": "billing"}]},
        {"messages": [{"role": "system", "content": "Route tickets."}, {"role": "user", "content": "parcel late"},
                      {"role": "assistant", "content": "shipping"}]}])
    multi, plain = load_dataset(path, Config()).records
    assert multi.query_text == "hi\nmy card\nwas charged twice"
    assert plain.query_text == "parcel late" and plain.query is None


def test_production_questions_copied_from_tool_conversations_are_verbatim_overlaps(tmp_path):
    config = Config(task_type="generation")
    train = write_jsonl(tmp_path / "train.jsonl", [_tool_chat(i) for i in range(30)])
    production = write_jsonl(tmp_path / "prod.jsonl", [{"text": f"Can you check {TOPICS[i % 5]} on order {10000 + i}?"} for i in range(12)]
                             + [{"text": "How do I change my delivery address?"}])
    result = measure_index(_index("train", train, config), config, production_index=_index("production", production, config))
    assert result.production_overlap == 12
    assert [(o.production_line, o.train_line) for o in result.all_overlaps] == [(i + 1, i + 1) for i in range(12)]


def test_an_eval_conversation_differing_from_training_only_in_its_tool_output_is_a_leak(tmp_path):
    config = Config(task_type="generation")
    train = write_jsonl(tmp_path / "train.jsonl", [_tool_chat(i) for i in range(30)])
    eval_path = write_jsonl(tmp_path / "eval.jsonl", [_tool_chat(i, updated="2026-12-01") for i in range(5)]
                            + [_tool_chat(40)])
    result = measure_index(_index("train", train, config), config, eval_index=_index("eval", eval_path, config))
    assert sorted((leak.eval_line, leak.train_line, leak.kind) for leak in result.all_leaks) == [
        (i + 1, i + 1, "query") for i in range(5)]


def test_the_same_question_under_other_tool_outputs_is_not_a_near_copy_but_still_leaks(tmp_path):
    """Near copies compare a tool conversation whole (index._prompt): the same question answered from other tool
    outputs is two examples, not one to drop; the eval leak by query still finds it, with or without a prompt."""
    for system in (SYSTEM, None):
        train = [_tool_chat(i, system=system) for i in range(5)]
        train += [_tool_chat(0, updated="2026-12-01", system=system)]  # the same question, another tool output
        folder = tmp_path / str(bool(system))
        folder.mkdir()
        config = Config(task_type="generation")
        train_path = write_jsonl(folder / "train.jsonl", train)
        eval_path = write_jsonl(folder / "eval.jsonl", [_tool_chat(2, updated="2027-01-01", system=system)])
        result = measure_index(_index("train", train_path, config), config, eval_index=_index("eval", eval_path, config))
        assert result.near_groups == [] and result.exact_groups == [], system
        assert [(leak.eval_line, leak.train_line) for leak in result.all_leaks] == [(1, 3)], system


def _typo(row: dict, old: str, new: str) -> dict:
    return {"messages": [{**m, "content": m["content"].replace(old, new)} if m["role"] == "user" else m for m in row["messages"]]}


def test_a_typo_in_a_tool_conversations_user_turn_is_a_near_copy_and_another_tool_output_is_not(tmp_path):
    """A conversation whose query is kept apart is compared under its other turns (calls, tool outputs, replies)
    by equality: the same transcript with a mistyped question is a copy; the same question answered from
    another tool output is a second example."""
    config = Config(task_type="generation")
    rows = [_tool_chat(i) for i in range(8)]
    rows += [_typo(_tool_chat(0), "check", "chekc"), _typo(_tool_chat(1, updated="2026-12-01"), "check", "chekc")]
    result = measure_index(_index("train", write_jsonl(tmp_path / "t.jsonl", rows), config), config)
    assert [g.lines for g in result.near_groups] == [[1, 9]]
    assert result.near_kinds == {"typo": 1}


def test_a_multi_turn_chat_with_the_same_replies_and_a_reworded_user_turn_is_a_near_copy(tmp_path):
    def multi(first: str, second: str, reply: str = "hello, how can I help?") -> dict:
        return {"messages": [{"role": "user", "content": first}, {"role": "assistant", "content": reply},
                             {"role": "user", "content": second}, {"role": "assistant", "content": "billing"}]}

    config = Config(task_type="generation")
    rows = [multi("hi there", "my card was charged twice this morning"),
            multi("hi there", "my card was chraged twice this morning"),  # a typo under the same reply: a copy
            multi("hi there", "this morning my card was charged twice"),  # the words in another order: a copy
            multi("hi there", "my card was charged twice this morning", reply="hello! what is wrong?"),  # another reply
            multi("hello", "where is my parcel")]
    result = measure_index(_index("train", write_jsonl(tmp_path / "t.jsonl", rows), config), config)
    assert [(g.lines, sorted(g.methods)) for g in result.near_groups] == [([1, 2, 3], ["lexical"])]
    assert result.near_kinds == {"typo": 1, "word order": 1}
