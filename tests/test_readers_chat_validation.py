"""Chat lines OpenAI's fine-tuning format refuses are record errors naming file, line and field; the rest of
the file is still read."""

from __future__ import annotations

import json

import pytest

from dataaudit.config import Config
from dataaudit.load.dataset import load_dataset
from tests.conftest import write_jsonl


def _call(function: dict) -> dict:
    return {"role": "assistant", "tool_calls": [{"id": "c1", "type": "function", "function": function}]}


USER = {"role": "user", "content": "weather in Paris?"}
REPLY = {"role": "assistant", "content": "It is 21 degrees in Paris."}
GOOD_CALL = _call({"name": "get_weather", "arguments": json.dumps({"city": "Paris"})})
RESULT = {"role": "tool", "tool_call_id": "c1", "content": "{\"temp\": 21}"}

REFUSED = [  # (line, the field named, what the message says)
    ({"messages": [USER, _call({"name": "get_weather", "arguments": ["Paris"]})]},
     "messages[1].tool_calls[0].function.arguments", "expected an object or a string holding JSON, got a list"),
    ({"messages": [USER, _call({"name": "get_weather", "arguments": "{not json"})]},
     "messages[1].tool_calls[0].function.arguments", "is not valid JSON"),
    ({"messages": [USER, _call({"arguments": "{}"})]}, "messages[1].tool_calls[0].function.name", "missing"),
    ({"messages": [USER, _call({"name": "", "arguments": "{}"})]}, "messages[1].tool_calls[0].function.name", "is empty"),
    ({"messages": [USER, {"role": "assistant", "content": None, "function_call": {"name": "get_weather"}}]},
     "messages[1].function_call.arguments", "missing"),
    ({"messages": [USER, GOOD_CALL, {"role": "tool", "content": "{\"temp\": 21}"}, REPLY]}, "messages[2].tool_call_id", "missing"),
    ({"messages": [USER, REPLY], "parallel_tool_calls": "yes"}, "parallel_tool_calls", "expected true or false, got a string"),
    ({"messages": [USER, REPLY, {"role": "assistant", "content": "draft", "weight": 0}]}, "messages[2].weight",
     "ends with an assistant turn of weight 0"),
    ({"messages": [USER, GOOD_CALL, {**RESULT, "tool_call_id": "zzz"}, REPLY]}, "messages[2].tool_call_id",
     "'zzz' answers no earlier tool call (ids called: 'c1')"),
    ({"messages": [{"role": "tool", "tool_call_id": "c1", "content": "21"}, USER, REPLY]}, "messages[0].role",
     "does not follow an assistant tool call"),
    ({"messages": [USER, {**REPLY, "name": 123}]}, "messages[1].name", "expected the name as a string, got a number"),
    ({"messages": [USER, {"role": "assistant", "content": None, "function_call": {"name": "w", "arguments": "{}"}},
                   {"role": "function", "content": "21"}, REPLY]}, "messages[2].name", "missing: a function message names"),
    ({"messages": [USER, {"role": "assistant", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]},
     "messages[1].content[0].type", "part of type 'image_url' in an assistant message"),
    # content parts: each one an object of a known type holding what that type holds (they were dropped unread)
    ({"messages": [{"role": "user", "content": [{"type": "text", "text": "what is in this clip"},
                                                {"type": "video_url", "video_url": {"url": "https://x/clip.mp4"}}]}, REPLY]},
     "messages[0].content[1].type",
     "unknown part type 'video_url' (expected text, image_url, input_audio, file, refusal, image, audio, video)"),
    ({"messages": [{"role": "user", "content": [{"type": "picture", "url": "x"}]}, REPLY]},
     "messages[0].content[0].type", "unknown part type 'picture'"),
    ({"messages": [{"role": "user", "content": [{"text": "hi"}]}, REPLY]}, "messages[0].content[0].type", "missing"),
    ({"messages": [{"role": "user", "content": [{"type": "text"}]}, REPLY]}, "messages[0].content[0].text", "missing"),
    ({"messages": [{"role": "user", "content": [1, 2]}, REPLY]},
     "messages[0].content[0]", "expected a content part object, got a number"),
    ({"messages": [{"role": "user", "content": [{"type": "text", "text": "hello"}, 5, None, ["x"]]}, REPLY]},
     "messages[0].content[1]", "expected a content part object, got a number"),
    ({"messages": [{"role": "user", "content": [{"type": "text", "text": "hello"}, None]}, REPLY]},
     "messages[0].content[1]", "expected a content part object, got null"),
    ({"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}, REPLY]},
     "messages[0].content[0].image_url.url", "missing"),
    ({"messages": [{"role": "user", "content": [{"type": "image_url"}]}, REPLY]},
     "messages[0].content[0].image_url", "missing"),
    # Shapes every trainer needs: a call's id (where given) a string, its type function, arguments an object
    # (OpenAI's own name pattern and a call's id are checked for an OpenAI target only, by the tokens check)
    ({"messages": [USER, {"role": "assistant", "tool_calls": [{"id": 7, "type": "function", "function": {"name": "f", "arguments": "{}"}}]}]},
     "messages[1].tool_calls[0].id", "expected the call's id as a string, got a number"),
    ({"messages": [USER, {"role": "assistant", "tool_calls": [{"id": "c1", "type": "code", "function": {"name": "f", "arguments": "{}"}}]}]},
     "messages[1].tool_calls[0].type", "expected 'function', got 'code'"),
    ({"messages": [USER, _call({"name": "f", "arguments": "[1,2]"})]},
     "messages[1].tool_calls[0].function.arguments", "holds a list, not a JSON object"),
    ({"messages": [USER, _call({"name": "f", "arguments": "null"})]},
     "messages[1].tool_calls[0].function.arguments", "holds null, not a JSON object"),
    ({"messages": [USER, {"role": "assistant", "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}],
                          "function_call": {"name": "f", "arguments": "{}"}}]},
     "messages[1].function_call", "tool_calls and a function_call on one message"),
]


@pytest.mark.parametrize("line, field, message", REFUSED, ids=[f for _, f, _ in REFUSED])
def test_a_line_openai_refuses_is_a_record_error_naming_its_field_and_the_file_reads_on(tmp_path, line, field, message):
    good = {"messages": [USER, GOOD_CALL, RESULT, REPLY], "parallel_tool_calls": False}
    path = write_jsonl(tmp_path / "chat.jsonl", [line, good])
    ds = load_dataset(path, Config(task_type="generation"))
    assert [(e.source, e.line, e.field) for e in ds.errors] == [(str(path), 1, field)]
    assert message in ds.errors[0].message
    assert [(r.line, r.target) for r in ds.records] == [(2, "It is 21 degrees in Paris.")]


OBJECT_CALL = _call({"name": "get_weather", "arguments": {"city": "Paris"}})  # Hugging Face / TRL spelling
# Arguments in one spelling whichever way they came: the object written as a string of sorted JSON.
OBJECT_CALL_TEXT = '[{"function": {"arguments": "{\\"city\\": \\"Paris\\"}", "name": "get_weather"}, "type": "function"}]'


def test_an_object_as_arguments_is_accepted_in_messages_trl_prompts_and_preference_outputs(tmp_path):
    rows = [
        {"messages": [USER, OBJECT_CALL, RESULT, REPLY]},
        {"messages": [USER, {"role": "assistant", "content": None, "function_call": {"name": "get_weather", "arguments": {"city": "Paris"}}},
                      {"role": "function", "name": "get_weather", "content": "21"}, REPLY]},
        {"prompt": [USER, OBJECT_CALL, {"role": "tool", "content": "21"}], "completion": [REPLY]},
        {"prompt": [USER], "chosen": [OBJECT_CALL, {"role": "tool", "content": "21"}, REPLY], "rejected": [{"role": "assistant", "content": "No idea."}]},
        {"input": {"messages": [USER]}, "preferred_output": [OBJECT_CALL], "non_preferred_output": [{"role": "assistant", "content": "No idea."}]},
    ]
    ds = load_dataset(write_jsonl(tmp_path / "trl.jsonl", rows), Config(task_type="generation"))
    assert ds.errors == []
    assert [r.line for r in ds.records] == [1, 2, 3, 4, 5]
    assert ds.records[0].input_text == f"weather in Paris?\n{OBJECT_CALL_TEXT}\n{{\"temp\": 21}}"
    assert ds.records[2].input_text == f"weather in Paris?\n{OBJECT_CALL_TEXT}\n21"
    assert ds.records[4].target == OBJECT_CALL_TEXT


def test_a_call_with_arguments_as_a_json_string_or_as_an_object_is_one_input_and_one_target(tmp_path):
    # An OpenAI export and a Hugging Face / TRL export of one conversation must be exact duplicates.
    string_call = _call({"name": "get_weather", "arguments": '{"city":   "Paris"}'})
    rows = [{"messages": [USER, string_call, RESULT, REPLY]},
            {"messages": [USER, OBJECT_CALL, RESULT, REPLY]},
            {"messages": [USER, string_call]},
            {"messages": [USER, OBJECT_CALL]},
            {"messages": [USER, {"role": "assistant", "content": None, "function_call": {"name": "get_weather", "arguments": '{"city":"Paris"}'}}]},
            {"messages": [USER, {"role": "assistant", "content": None, "function_call": {"name": "get_weather", "arguments": {"city": "Paris"}}}]}]
    ds = load_dataset(write_jsonl(tmp_path / "both.jsonl", rows), Config(task_type="generation"))
    assert ds.errors == []
    first, second, string_target, object_target, legacy_string, legacy_object = ds.records
    assert first.input_text == second.input_text == f"weather in Paris?\n{OBJECT_CALL_TEXT}\n{{\"temp\": 21}}"
    assert (first.query, first.context) == (second.query, second.context) == ("weather in Paris?", f'{OBJECT_CALL_TEXT}\n{{"temp": 21}}')
    assert string_target.target == object_target.target == OBJECT_CALL_TEXT
    assert legacy_string.target == legacy_object.target == '{"arguments": "{\\"city\\": \\"Paris\\"}", "name": "get_weather"}'


def test_an_object_call_still_needs_a_name_and_a_string_still_needs_json(tmp_path):
    rows = [{"prompt": [USER, _call({"arguments": {"city": "Paris"}}), {"role": "tool", "content": "21"}], "completion": [REPLY]},
            {"prompt": [USER, _call({"name": "w", "arguments": "{oops"}), {"role": "tool", "content": "21"}], "completion": [REPLY]}]
    ds = load_dataset(write_jsonl(tmp_path / "trl.jsonl", rows), Config(task_type="generation"))
    assert [(e.line, e.field) for e in ds.errors] == [(1, "prompt[1].tool_calls[0].function.name"),
                                                      (2, "prompt[1].tool_calls[0].function.arguments")]
    assert "is not valid JSON" in ds.errors[1].message


def test_a_weight_0_turn_before_the_trained_reply_and_well_formed_calls_are_accepted(tmp_path):
    rows = [{"messages": [USER, {"role": "assistant", "content": "draft", "weight": 0}, {"role": "assistant", "content": "final", "weight": 1}]},
            {"messages": [USER, GOOD_CALL, RESULT, REPLY], "tools": [], "parallel_tool_calls": True}]
    ds = load_dataset(write_jsonl(tmp_path / "chat.jsonl", rows), Config(task_type="generation"))
    assert ds.errors == [] and [r.target for r in ds.records] == ["final", "It is 21 degrees in Paris."]


def test_parquet_call_arguments_json_has_no_type_for_are_written_as_json_values_and_the_file_is_read(tmp_path):
    from decimal import Decimal

    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from dataaudit.load.readers import calls_text

    def conversation(arguments):
        return {"messages": [{"role": "user", "content": "pay 1.5"},
                             {"role": "assistant", "content": None, "tool_calls": [
                                 {"id": "c1", "type": "function", "function": {"name": "pay", "arguments": arguments}}]},
                             {"role": "tool", "content": "ok", "tool_call_id": "c1"},
                             {"role": "assistant", "content": "Paid."}]}

    # a decimal128 column reads back as Decimal, which json cannot write: the whole file failed on it
    pq.write_table(pa.Table.from_pylist([conversation({"amount": Decimal("1.50")})] * 3), tmp_path / "calls.parquet")
    by_parquet = load_dataset([str(tmp_path / "calls.parquet")], Config(task_type="generation"))
    by_json = load_dataset(write_jsonl(tmp_path / "calls.jsonl", [conversation('{"amount": 1.5}')]),
                           Config(task_type="generation"))
    assert by_parquet.errors == [] and len(by_parquet.records) == 3
    # the amount that is 1.5 to a float is that number, as a JSON export of the same call writes it
    assert by_parquet.records[0].input_text == by_json.records[0].input_text == (
        'pay 1.5\n[{"function": {"arguments": "{\\"amount\\": 1.5}", "name": "pay"}, "type": "function"}]\nok')
    exact = "12345678901234567890.12"  # more digits than a float holds: its text, not a nearby number
    assert [calls_text([{"function": {"name": "f", "arguments": arguments}}], "tool_calls") for arguments in
            ({"x": Decimal(exact)}, {"x": np.array([1, 2])}, {"x": np.float32(0.5)})] == [
        '[{"function": {"arguments": "{\\"x\\": \\"%s\\"}", "name": "f"}}]' % exact,
        '[{"function": {"arguments": "{\\"x\\": [1, 2]}", "name": "f"}}]',
        '[{"function": {"arguments": "{\\"x\\": 0.5}", "name": "f"}}]']


def _openai_target(**fields) -> Config:
    from dataaudit.config import config_with_overrides

    return config_with_overrides(Config(task_type="generation", **fields), {"tokens.target_model": "gpt-4o-mini"})


def test_arguments_given_as_an_object_stay_records_for_an_openai_target_model(tmp_path):
    """The loader judged them for an OpenAI target (a record error), so they left every check and `dedup` dropped
    them as unreadable; the tokens check reports them now (test_tokens_target_format.py)."""
    legacy = {"role": "assistant", "content": None, "function_call": {"name": "get_weather", "arguments": {"city": "Paris"}}}
    rows = [{"messages": [USER, OBJECT_CALL, RESULT, REPLY]},
            {"messages": [USER, legacy, {"role": "function", "name": "get_weather", "content": "21"}, REPLY]},
            {"input": {"messages": [USER]}, "preferred_output": [OBJECT_CALL],
             "non_preferred_output": [{"role": "assistant", "content": "No idea."}]},
            {"messages": [USER, GOOD_CALL, RESULT, REPLY]}]
    path = write_jsonl(tmp_path / "hf.jsonl", rows)
    openai = load_dataset(path, _openai_target())
    assert openai.errors == [] and [r.line for r in openai.records] == [1, 2, 3, 4]
    assert [r.format for r in openai.records] == ["chat", "chat", "preference", "chat"]


def test_a_trl_completion_holding_a_user_message_is_named_at_its_role(tmp_path):
    system = {"role": "system", "content": "You are a classifier."}
    rows = [{"prompt": [system, USER], "completion": [{"role": "user", "content": "not an assistant"}]},
            {"prompt": [system, USER], "completion": [GOOD_CALL, {"role": "tool", "content": "21"}, {"role": "user", "content": "and?"}]},
            {"prompt": [system, USER], "completion": [GOOD_CALL, {"role": "tool", "content": "21"}]},
            {"prompt": [system, USER], "completion": [GOOD_CALL, {"role": "tool", "content": "21"}, REPLY]},
            {"prompt": [USER], "completion": [{"role": "user", "content": "x"}], "label": True}]
    for task in ("generation", "classification"):
        ds = load_dataset(write_jsonl(tmp_path / "pc.jsonl", rows), Config(task_type=task))
        assert [(e.line, e.field, e.message) for e in ds.errors] == [
            (1, "completion[0].role", "a completion holds the assistant's reply, got 'user'"),
            (2, "completion[2].role", "a completion holds the assistant's reply, got 'user'"),
            (3, "completion[1].role", "the completion ends with a 'tool' turn, not the assistant's answer"),
            (5, "completion[0].role", "a completion holds the assistant's reply, got 'user'")]
        assert [r.line for r in ds.records] == [4]


def test_tool_calls_without_an_id_stay_valid_in_trl_message_lists(tmp_path):
    """Hugging Face chat templates write calls without ids; only OpenAI's `messages` needs them (a tool message
    there answers one by its id)."""
    call = {"role": "assistant", "tool_calls": [{"type": "function", "function": {"name": "f", "arguments": {"x": 1}}}]}
    rows = [{"prompt": [USER, call, {"role": "tool", "content": "21"}], "completion": [REPLY]}]
    ds = load_dataset(write_jsonl(tmp_path / "trl.jsonl", rows), Config(task_type="generation"))
    assert ds.errors == [] and [r.target for r in ds.records] == ["It is 21 degrees in Paris."]


def test_hugging_face_names_and_id_less_calls_are_records_without_a_target_model(tmp_path):
    """OpenAI's name pattern and call ids are OpenAI's upload rules: Hugging Face / TRL `messages` data (a final
    call with no id, a name OpenAI's pattern refuses) bound for an open model is read as it is."""
    id_less = {"role": "assistant", "tool_calls": [{"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]}
    rows = [{"messages": [USER, id_less]},
            {"messages": [{**USER, "name": "José"}, REPLY]},
            {"messages": [{**USER, "name": "bob.smith"}, REPLY]},
            {"messages": [{**USER, "name": ""}, REPLY]}]
    ds = load_dataset(write_jsonl(tmp_path / "hf.jsonl", rows), Config(task_type="generation"))
    assert ds.errors == []
    assert [(r.input_text, r.target) for r in ds.records] == [
        ("weather in Paris?", '[{"function": {"arguments": "{\\"city\\": \\"Paris\\"}", "name": "get_weather"}, "type": "function"}]'),
        ("José: weather in Paris?", REPLY["content"]), ("bob.smith: weather in Paris?", REPLY["content"]),
        ("weather in Paris?", REPLY["content"])]


def _llava(question: str, images: list | None) -> dict:
    """A row as TRL's llava-instruct-mix holds it: the image part points into the row's `images` by index."""
    row = {"messages": [{"role": "user", "content": [{"type": "image", "text": None, "index": 0},
                                                     {"type": "text", "text": question, "index": None}]},
                        {"role": "assistant", "content": [{"type": "text", "text": "A cat on a sofa.", "index": None}]}]}
    return row if images is None else {**row, "images": images}


def test_hugging_face_media_parts_stand_as_placeholders_keyed_by_what_they_point_to(tmp_path):
    cat, dog = [{"bytes": "cat.jpg bytes", "path": "cat.jpg"}], [{"bytes": "dog.jpg bytes", "path": "dog.jpg"}]
    rows = [_llava("What is shown?", cat), _llava("What is shown?", dog), _llava("What is shown?", cat),
            _llava("What is shown?", None),
            {"messages": [{"role": "user", "content": [{"type": "video", "path": "clip.mp4"}, {"type": "audio", "url": "https://x/a.wav"},
                                                       {"type": "image", "image": "https://x/cat.png"}]}, REPLY]}]
    ds = load_dataset(write_jsonl(tmp_path / "vlm.jsonl", rows), Config(task_type="generation"))
    assert ds.errors == []
    inputs = [r.input_text for r in ds.records]
    assert all(text.startswith("[image ") and text.endswith("]\nWhat is shown?") for text in inputs[:4])
    # another image is another input; the same image twice one input (an exact duplicate)
    assert inputs[0] == inputs[2] and len({inputs[0], inputs[1], inputs[3]}) == 3
    assert [r.query_text for r in ds.records[:2]] == [inputs[0], inputs[1]]
    assert [line.split(" ")[0] for line in inputs[4].split("\n")] == ["[video", "[audio", "[image"]
    assert ds.records[0].target == "A cat on a sofa."


def test_a_media_part_in_an_assistant_reply_is_still_refused(tmp_path):
    row = {"messages": [USER, {"role": "assistant", "content": [{"type": "image", "index": 0}]}]}
    ds = load_dataset(write_jsonl(tmp_path / "vlm.jsonl", [row]), Config(task_type="generation"))
    assert [(e.field, e.message.split(":")[0]) for e in ds.errors] == [
        ("messages[1].content[0].type", "part of type 'image' in an assistant message")]
