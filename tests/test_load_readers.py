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
