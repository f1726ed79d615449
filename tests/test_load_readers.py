"""The readers' inputs, queries and targets: a record read from one shape gets what the same record in another
shape gets (Anthropic HH strings as TRL's explicit prompt or its message lists; Alpaca's history as a chat)."""

from __future__ import annotations

from dataaudit.config import Config
from dataaudit.load.dataset import load_dataset
from tests.conftest import write_jsonl

OPENING = "Regarding your request about tire change: I have looked into it."


def read(tmp_path, name: str, rows: list[dict]):
    return load_dataset(write_jsonl(tmp_path / name, rows), Config(task_type="generation")).records


def seen(record) -> tuple:
    return record.format, record.input_text, record.query_text, record.context, record.target, record.rejected


def test_an_hh_pair_whose_replies_open_alike_is_split_where_the_assistant_starts(tmp_path):
    question = "let me know when should i get my tires changed next"
    long_reply, short_reply = OPENING + " Here are the detailed steps you can follow.", OPENING
    hh = read(tmp_path, "hh.jsonl", [{"chosen": f"\n\nHuman: {question}\n\nAssistant: {long_reply}",
                                      "rejected": f"\n\nHuman: {question}\n\nAssistant: {short_reply}"}])
    explicit = read(tmp_path, "trl.jsonl", [{"prompt": question, "chosen": long_reply, "rejected": short_reply}])
    assert seen(hh[0]) == seen(explicit[0]) == ("preference", question, question, None, long_reply, short_reply)


def test_an_hh_conversation_is_read_as_the_same_turns_given_as_messages(tmp_path):
    first, earlier, second = "Can you help with my car?", "Sure, what is wrong with it?", "The tires are worn."
    shared = f"\n\nHuman: {first}\n\nAssistant: {earlier}\n\nHuman: {second}\n\nAssistant:"
    hh = read(tmp_path, "hh.jsonl", [{"chosen": f"{shared} {OPENING} Replace them soon.", "rejected": f"{shared} {OPENING}"}])
    turns = [{"role": "user", "content": first}, {"role": "assistant", "content": earlier}, {"role": "user", "content": second}]
    messages = read(tmp_path, "msgs.jsonl", [{"prompt": turns, "chosen": [{"role": "assistant", "content": f"{OPENING} Replace them soon."}],
                                              "rejected": [{"role": "assistant", "content": OPENING}]}])
    assert seen(hh[0]) == seen(messages[0])
    assert (hh[0].input_text, hh[0].query_text, hh[0].context) == (f"{first}\n{earlier}\n{second}", f"{first}\n{second}", earlier)
    assert hh[0].target == f"{OPENING} Replace them soon."


def test_other_implicit_prompts_still_end_where_the_two_sides_part_at_a_word(tmp_path):
    records = read(tmp_path, "plain.jsonl", [{"chosen": "Q: what is two plus two? A: four", "rejected": "Q: what is two plus two? A: five"}])
    assert (records[0].input_text, records[0].target, records[0].rejected) == ("Q: what is two plus two? A:", "four", "five")


def test_an_alpaca_history_keeps_its_replies_out_of_the_query_as_a_sharegpt_conversation_does(tmp_path):
    system, greeting, reply = "You are a banking assistant.", "hello", "Hi! How can I help?"
    question, answer = "do you remember my last oil change", "Your last oil change was in May."
    alpaca = read(tmp_path, "alpaca.jsonl", [{"system": system, "history": [[greeting, reply]], "instruction": question,
                                              "input": "", "output": answer}])
    sharegpt = read(tmp_path, "sharegpt.jsonl", [{"system": system, "conversations": [
        {"from": "human", "value": greeting}, {"from": "gpt", "value": reply},
        {"from": "human", "value": question}, {"from": "gpt", "value": answer}]}])
    assert seen(alpaca[0])[1:] == seen(sharegpt[0])[1:]
    assert (alpaca[0].input_text, alpaca[0].query_text, alpaca[0].context) == (
        f"{system}\n{greeting}\n{reply}\n{question}", f"{greeting}\n{question}", f"{system}\n{reply}")
    assert alpaca[0].preamble_chars == len(system)


def test_an_alpaca_record_without_history_asks_its_instruction_and_input(tmp_path):
    records = read(tmp_path, "alpaca.jsonl", [{"system": "You summarise.", "instruction": "Summarise the text.",
                                               "input": "The cat sat on the mat.", "output": "A cat sat."}])
    assert (records[0].query_text, records[0].query, records[0].context) == ("Summarise the text.\nThe cat sat on the mat.", None, None)


def test_an_hh_pair_whose_human_turn_is_blank_has_no_prompt(tmp_path):
    dataset = load_dataset(write_jsonl(tmp_path / "hh.jsonl", [{"chosen": "\n\nHuman: \n\nAssistant: Yes, gladly.",
                                                                "rejected": "\n\nHuman: \n\nAssistant: No."}]),
                           Config(task_type="generation"))
    assert dataset.records == []
    assert [(e.line, e.field, e.message) for e in dataset.errors] == [
        (1, "prompt", "missing, and chosen and rejected share no human turn to take as the prompt")]


def test_an_implicit_pair_with_an_empty_reply_is_refused_as_an_explicit_one_is(tmp_path):
    rows = [{"chosen": "\n\nHuman: hi\n\nAssistant: yes", "rejected": "\n\nHuman: hi\n\nAssistant:"},
            {"chosen": "\n\nHuman: hi\n\nAssistant:  \n", "rejected": "\n\nHuman: hi\n\nAssistant: no"},
            {"prompt": "hi", "chosen": "yes", "rejected": ""},
            {"chosen": "Q: two plus two? A: four ", "rejected": "Q: two plus two? A: four five"},
            {"chosen": "\n\nHuman: hi\n\nAssistant: yes", "rejected": "\n\nHuman: hi\n\nAssistant: no"}]
    dataset = load_dataset(write_jsonl(tmp_path / "hh.jsonl", rows), Config(task_type="generation"))
    assert [(e.line, e.field, e.message) for e in dataset.errors] == [
        (1, "rejected", "is empty"), (2, "chosen", "is empty"), (3, "rejected", "is empty"), (4, "chosen", "is empty")]
    assert [(r.line, r.target, r.rejected) for r in dataset.records] == [(5, "yes", "no")]


def _hh_prompt_end_by_loop(chosen: str, rejected: str) -> int:
    """The character loop _hh_prompt_end once ran, kept as the reference its faster prefix must agree with."""
    if not all(text.startswith(("\n\nHuman:", "Human:")) for text in (chosen, rejected)):
        return 0
    shared = 0
    for a, b in zip(chosen, rejected):
        if a != b:
            break
        shared += 1
    marker = chosen.rfind("\n\nAssistant:", 0, shared)
    return 0 if marker < 0 else marker + len("\n\nAssistant:")


def test_the_hh_prompt_ends_where_the_character_loop_put_it():
    from dataaudit.load.readers import _hh_prompt_end

    turn = "\n\nHuman: hi\n\nAssistant:"
    pairs = [(f"{turn} yes", f"{turn} no"), (f"{turn} same", f"{turn} same"), (f"{turn} yes", turn),
             (f"{turn} A\n\nHuman: more", f"{turn} B"), ("Human: hi\n\nAssistant: A", "Human: hi\n\nAssistant: B"),
             (f"{turn} A{turn} x", f"{turn} A{turn} y"), ("\n\nHuman: hi", "\n\nHuman: ho"), ("", ""),
             ("plain text", "plain other"), (f"{turn} é" * 50 + "a", f"{turn} é" * 50 + "b")]
    ends = [_hh_prompt_end(c, r) for c, r in pairs]
    assert ends == [_hh_prompt_end_by_loop(c, r) for c, r in pairs]
    assert ends[:3] == [len(turn)] * 3 and ends[6:9] == [0, 0, 0]


def test_the_shared_prefix_is_where_a_character_loop_finds_the_texts_part():
    from dataaudit.load.readers import _common_length, _shared_prefix

    def by_loop(first: str, second: str) -> int:
        shared = 0
        for a, b in zip(first, second):
            if a != b:
                break
            shared += 1
        return shared

    text = "Q: what is two plus two? A: four"
    pairs = [(text, text[:cut] + "#" + text[cut + 1:]) for cut in range(len(text))]  # they part at every place
    pairs += [(text, text[:cut]) for cut in range(len(text) + 1)] + [("", ""), ("a", "b"), ("é" * 9, "é" * 8 + "e")]
    assert [_common_length(a, b) for a, b in pairs] == [by_loop(a, b) for a, b in pairs]
    assert [_common_length(a, b) for a, b in pairs[:3]] == [0, 1, 2] and _common_length(text, text) == len(text)
    assert _shared_prefix(text, "Q: what is two plus two? A: five") == len("Q: what is two plus two? A: ")


def test_a_csv_row_is_read_as_the_format_its_filled_cells_make_as_the_same_parquet_row_is(tmp_path):
    import pandas as pd

    texts = pd.DataFrame({"text": ["my card was declined", "where is my refund"], "label": ["card", "refund"]})
    pairs = pd.DataFrame({"prompt": ["say hi", "say bye", "say what"], "completion": ["hi", "", "what"]})
    union = pd.concat([texts, pairs])
    union.to_csv(tmp_path / "union.csv", index=False)
    union.to_parquet(tmp_path / "union.parquet")
    read_as = {}
    for name in ("union.csv", "union.parquet"):
        ds = load_dataset(tmp_path / name, Config())
        read_as[name] = ([(r.line, r.format, r.input_text, r.target, r.label) for r in ds.records],
                         [(e.line, e.field) for e in ds.errors])
    assert read_as["union.csv"] == read_as["union.parquet"] == (
        [(1, "text", "my card was declined", None, "card"), (2, "text", "where is my refund", None, "refund"),
         (3, "prompt_completion", "say hi", "hi", "hi"), (5, "prompt_completion", "say what", "what", "what")],
        [(4, "completion")])
    [error] = load_dataset(tmp_path / "union.csv", Config()).errors
    assert error.message == "is empty"


def test_a_missing_text_field_names_the_field_that_differs_from_it_only_in_case_or_spaces(tmp_path):
    from dataaudit.config import FieldsConfig

    ds = load_dataset(write_jsonl(tmp_path / "caps.jsonl", [{" Text  ": "my card was declined", "label": "card"}]),
                      Config(fields=FieldsConfig(text="text")))
    assert [(e.field, e.message) for e in ds.errors] == [
        ("text", "missing (the record's fields: Text, label); field 'Text' (with 1 leading space and 2 trailing "
                 "spaces) differs from 'text' only in case or surrounding spaces: name it exactly, or rename the column")]
