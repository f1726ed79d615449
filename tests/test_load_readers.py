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
