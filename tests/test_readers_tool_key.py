"""The tools a chat record offers (`tools`, legacy `functions`) are part of its input: two conversations whose
messages are equal but whose tool sets differ are two inputs, neither exact copies nor conflicts. The key
holds a digest of the tool set, not its JSON, so excerpts, queries and embeddings stay the conversation's."""

from __future__ import annotations

import hashlib
import json

from dataaudit.config import Config
from dataaudit.fix.dedup import deduplicate
from dataaudit.load.dataset import load_dataset
from tests.conftest import write_jsonl

SYSTEM = {"role": "system", "content": "You control a weather bot."}
USER = {"role": "user", "content": "weather in paris?"}
CALL = {"role": "assistant", "tool_calls": [{"id": "c1", "type": "function",
                                             "function": {"name": "get_weather", "arguments": '{"city": "paris"}'}}]}
CELSIUS = {"type": "function", "function": {"name": "get_weather", "description": "Get weather",
                                            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}
FAHRENHEIT = {"type": "function", "function": {**CELSIUS["function"], "description": "Get weather in Fahrenheit only"}}
TIME = {"type": "function", "function": {"name": "get_time", "parameters": {"type": "object", "properties": {}}}}


def _digest(*tools: dict) -> str:
    texts = sorted(json.dumps(t, sort_keys=True, ensure_ascii=False) for t in tools)
    return hashlib.sha256("\n".join(texts).encode("utf-8")).hexdigest()[:12]


def _load(tmp_path, rows):
    return load_dataset(write_jsonl(tmp_path / "tools.jsonl", rows), Config(task_type="generation"))


def test_equal_messages_under_other_tool_definitions_are_other_inputs(tmp_path):
    rows = [{"messages": [SYSTEM, USER, CALL], "tools": [CELSIUS]},
            {"messages": [SYSTEM, USER, CALL], "tools": [FAHRENHEIT]},
            {"messages": [SYSTEM, USER, CALL], "tools": [CELSIUS], "parallel_tool_calls": False},
            {"messages": [SYSTEM, USER, CALL]}]
    ds = _load(tmp_path, rows)
    assert ds.errors == []
    celsius, fahrenheit, same, bare = (r.input_text for r in ds.records)
    assert celsius == f"[tools {_digest(CELSIUS)}]\nYou control a weather bot.\nweather in paris?"
    assert fahrenheit == f"[tools {_digest(FAHRENHEIT)}]\nYou control a weather bot.\nweather in paris?"
    assert same == celsius and bare == "You control a weather bot.\nweather in paris?"
    # the digest stands with the system prompt, outside what is asked (coverage and the embedding read the query)
    assert [r.query_text for r in ds.records] == ["weather in paris?"] * 4
    assert ds.records[0].preamble_chars == len(f"[tools {_digest(CELSIUS)}]\nYou control a weather bot.")


def test_a_tool_set_is_one_input_in_any_order_and_in_either_spelling(tmp_path):
    legacy = [CELSIUS["function"], TIME["function"]]
    rows = [{"messages": [USER, CALL], "tools": [CELSIUS, TIME]},
            {"messages": [USER, CALL], "tools": [TIME, CELSIUS]},
            {"messages": [USER, CALL], "functions": legacy},
            {"messages": [USER, CALL], "functions": legacy[:1]},
            {"messages": [USER, CALL], "tools": []}]
    ds = _load(tmp_path, rows)
    assert ds.errors == []
    both, reordered, spelt_legacy, one, none = (r.input_text for r in ds.records)
    assert both == reordered == spelt_legacy == f"[tools {_digest(CELSIUS, TIME)}]\nweather in paris?"
    assert one == f"[tools {_digest(CELSIUS)}]\nweather in paris?" and none == "weather in paris?"


def test_an_openai_preference_line_keys_its_input_tools(tmp_path):
    reply = [{"role": "assistant", "content": "It is 20C."}]
    other = [{"role": "assistant", "content": "No idea."}]
    rows = [{"input": {"messages": [USER], "tools": [CELSIUS]}, "preferred_output": reply, "non_preferred_output": other},
            {"input": {"messages": [USER]}, "preferred_output": reply, "non_preferred_output": other}]
    ds = _load(tmp_path, rows)
    assert ds.errors == []
    assert [r.input_text for r in ds.records] == [f"[tools {_digest(CELSIUS)}]\nweather in paris?", "weather in paris?"]


def test_functions_that_are_not_a_list_of_objects_are_a_record_error(tmp_path):
    rows = [{"messages": [USER, CALL], "functions": {"name": "get_weather"}},
            {"messages": [USER, CALL], "functions": ["get_weather"]}]
    ds = _load(tmp_path, rows)
    assert [(e.line, e.field) for e in ds.errors] == [(1, "functions"), (2, "functions[0]")]


def test_dedup_keeps_a_reply_given_under_another_tool_set(tmp_path):
    """The drone example: the same question answered with reject_request where that is the only tool offered is
    no conflict with the takeoff call made where takeoff is offered; the same line twice still is a copy."""
    takeoff = {"type": "function", "function": {"name": "takeoff_drone", "parameters": {"type": "object"}}}
    reject = {"type": "function", "function": {"name": "reject_request", "parameters": {"type": "object"}}}

    def line(name: str, tools: list) -> dict:
        call = {"role": "assistant", "tool_calls": [{"id": "c", "type": "function", "function": {"name": name, "arguments": "{}"}}]}
        return {"messages": [SYSTEM, {"role": "user", "content": "take off"}, call], "tools": tools}

    source = write_jsonl(tmp_path / "drone.jsonl", [line("takeoff_drone", [takeoff, reject]), line("reject_request", [reject]),
                                                    line("takeoff_drone", [takeoff, reject])])
    summary = deduplicate(source, tmp_path / "clean.jsonl", Config(task_type="generation"), embed=False)
    assert (summary.records, summary.kept, summary.dropped, summary.run_conflicts_kept) == (3, 2, 1, 0)
    kept = [json.loads(x) for x in (tmp_path / "clean.jsonl").read_text().splitlines()]
    assert [k["messages"][2]["tool_calls"][0]["function"]["name"] for k in kept] == ["takeoff_drone", "reject_request"]


def test_one_conversation_with_its_tools_is_one_input_in_every_shape_that_offers_tools(tmp_path):
    """A chat line, a TRL conversational prompt/completion row (its `tools` a list or, as Hugging Face datasets store
    it, a JSON string), a LLaMA-Factory ShareGPT row (bare functions in a JSON string), a TRL preference row and an
    OpenAI DPO line in the legacy `input.functions` spelling: the same question under the same tools is one input."""
    reply = {"role": "assistant", "content": "It is 20C."}
    rows = [{"messages": [USER, reply], "tools": [CELSIUS]},
            {"prompt": [USER], "completion": [reply], "tools": [CELSIUS]},
            {"prompt": [USER], "completion": [reply], "tools": json.dumps([CELSIUS])},
            {"conversations": [{"from": "human", "value": USER["content"]}, {"from": "gpt", "value": "It is 20C."}],
             "tools": json.dumps([CELSIUS["function"]])},
            {"prompt": [USER], "chosen": [reply], "rejected": [{"role": "assistant", "content": "No idea."}], "tools": [CELSIUS]},
            {"input": {"messages": [USER], "functions": [CELSIUS["function"]]}, "preferred_output": [reply],
             "non_preferred_output": [{"role": "assistant", "content": "No idea."}]},
            {"prompt": "weather in paris?", "completion": "It is 20C.", "tools": [FAHRENHEIT]},
            {"prompt": [USER], "completion": [reply]}]
    ds = _load(tmp_path, rows)
    assert ds.errors == []
    keyed = f"[tools {_digest(CELSIUS)}]\nweather in paris?"
    assert [r.input_text for r in ds.records] == [keyed] * 6 + [f"[tools {_digest(FAHRENHEIT)}]\nweather in paris?",
                                                                "weather in paris?"]
    assert [r.query_text for r in ds.records] == ["weather in paris?"] * 8
    # the tool set as canonical JSON rides on each record that offers one (its source line is kept for chat and
    # OpenAI DPO lines only): one string for the records sharing a set, None where none is offered
    celsius = json.dumps(CELSIUS, sort_keys=True, ensure_ascii=False)
    assert [r.tools for r in ds.records] == [celsius] * 6 + [json.dumps(FAHRENHEIT, sort_keys=True), None]
    assert all(r.tools is ds.records[0].tools for r in ds.records[:6])
    assert [r.raw is not None for r in ds.records] == [True, False, False, False, False, True, False, False]


def test_tools_a_row_cannot_offer_are_a_record_error_naming_the_field(tmp_path):
    reply = [{"role": "assistant", "content": "ok"}]
    rows = [{"prompt": [USER], "completion": reply, "tools": "[{not json"},
            {"conversations": [{"from": "human", "value": "hi"}, {"from": "gpt", "value": "ok"}], "tools": '{"name": "f"}'},
            {"input": {"messages": [USER], "functions": ["get_weather"]}, "preferred_output": reply,
             "non_preferred_output": [{"role": "assistant", "content": "no"}]}]
    ds = _load(tmp_path, rows)
    assert [(e.line, e.field) for e in ds.errors] == [(1, "tools"), (2, "tools"), (3, "input.functions[0]")]


def test_a_chat_and_a_string_preference_row_read_their_tools_as_a_trl_row_does(tmp_path):
    """A chat row's `tools` as the JSON string Hugging Face datasets store it, and the tools of an HH or
    shared-prefix string pair, key the input as a TRL prompt/completion row's do."""
    reply = {"role": "assistant", "content": "It is 20C."}
    hh = {"chosen": "\n\nHuman: weather in paris?\n\nAssistant: It is 20C.",
          "rejected": "\n\nHuman: weather in paris?\n\nAssistant: No idea."}
    rows = [{"messages": [USER, reply], "tools": json.dumps([CELSIUS])},
            {"prompt": [USER], "completion": [reply], "tools": json.dumps([CELSIUS])},
            {**hh, "tools": [CELSIUS]},
            {**hh, "tools": json.dumps([CELSIUS])},
            {"chosen": "weather in paris? It is 20C.", "rejected": "weather in paris? No idea.", "tools": [CELSIUS]},
            {"chosen": "weather in paris? It is 20C.", "rejected": "weather in paris? No idea.", "functions": [CELSIUS["function"]]},
            {**hh, "tools": "{bad"},
            {"chosen": "weather in paris? It is 20C.", "rejected": "weather in paris? No idea.", "tools": ["get_weather"]},
            {"messages": [USER, reply], "functions": "{bad"}]
    ds = _load(tmp_path, rows)
    keyed = f"[tools {_digest(CELSIUS)}]\nweather in paris?"
    assert [(r.line, r.input_text, r.query_text) for r in ds.records] == [(line, keyed, "weather in paris?") for line in range(1, 7)]
    assert [r.preamble_chars for r in ds.records] == [len(f"[tools {_digest(CELSIUS)}]")] * 6
    assert [r.tools for r in ds.records] == [json.dumps(CELSIUS, sort_keys=True)] * 6
    assert [(e.line, e.field) for e in ds.errors] == [(7, "tools"), (8, "tools[0]"), (9, "functions")]
