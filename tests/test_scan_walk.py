"""scan.walk: every string of a parsed line, named as the reports name it, read as redact and the pii check read it."""

from __future__ import annotations

from dataaudit.scan.pii import ScanOptions
from dataaudit.scan.walk import distinct_names, findings_in, scan_in_context, walk_texts

CHAT_LINE = {
    "messages": [
        {"role": "user", "content": "where is it?", "name": "jo@example.com"},
        {"role": "assistant", "content": "", "refusal": "no",
         "tool_calls": [{"id": "c1", "function": {"name": "find", "arguments": '{"order": 7}'}}]},
    ],
    "tools": [{"type": "function", "function": {"name": "find", "parameters": {"required": ["order"]}}}],
    "weight": 1,
    "phone": 4155552671,
    "flag": True,
}


def test_every_string_of_a_chat_line_is_walked_keys_first_with_its_field_and_key():
    walked = [(t.field, t.key, t.text, t.is_key) for t in walk_texts(CHAT_LINE)]
    keys = [(field, text) for field, _, text, is_key in walked if is_key]
    values = [(field, key, text) for field, key, text, is_key in walked if not is_key]
    assert keys[:5] == [("(key)", k) for k in ("messages", "tools", "weight", "phone", "flag")]
    assert ("messages[1].tool_calls[0].function.(key)", "arguments") in keys and len(keys) == 21
    assert values == [
        ("messages[0].role", "role", "user"), ("messages[0].content", "content", "where is it?"),
        ("messages[0].name", "name", "jo@example.com"),
        ("messages[1].role", "role", "assistant"), ("messages[1].content", "content", ""),
        ("messages[1].refusal", "refusal", "no"),
        ("messages[1].tool_calls[0].id", "id", "c1"), ("messages[1].tool_calls[0].function.name", "name", "find"),
        ("messages[1].tool_calls[0].function.arguments", "arguments", '{"order": 7}'),
        ("tools[0].type", "type", "function"), ("tools[0].function.name", "name", "find"),
        ("tools[0].function.parameters.required[0]", "required", "order"),
        ("phone", "phone", "4155552671"),  # a long number is read as its digits; 1 and True are not read
    ]
    # Each text's place leads back to it in the line.
    for t in walk_texts(CHAT_LINE):
        node = CHAT_LINE
        for step in t.place[:-1] if t.is_key else t.place:
            node = node[step]
        assert (t.place[-1] in node) if t.is_key else (str(node) == t.text)


def test_without_numbers_or_keys_only_the_string_values_are_walked_and_paths_use_the_given_names():
    walked = [(t.field, t.text) for t in walk_texts({"a@x.org": "hi", "n": 4155552671}, numbers=False, keys=False,
                                                     key_names=lambda m: {k: k.upper() for k in m})]
    assert walked == [("A@X.ORG", "hi")]


def test_two_keys_renamed_alike_stay_apart_and_unrenamed_keys_keep_their_names():
    names = distinct_names({"a@x.org": 1, "b@x.org": 2, "<EMAIL>": 3, 4: 5}, lambda k: "<EMAIL>" if "@" in k else None)
    assert names == {"a@x.org": "<EMAIL> (2)", "b@x.org": "<EMAIL> (3)", "<EMAIL>": "<EMAIL>", 4: 4}


def test_a_key_is_read_as_the_context_of_its_value():
    assert [f.kind for f in scan_in_context("4155552671", "phone", ScanOptions())] == ["phone"]
    assert scan_in_context("4155552671", "", ScanOptions()) == ()
    (finding,) = scan_in_context("mail jo@example.com", "note", ScanOptions())
    assert (finding.start, finding.end) == (5, 19)  # offsets in the text, not in "note: ..."


def test_findings_are_named_by_the_redacted_key_and_each_text_is_scanned_once():
    line = {"system": "mail ops@example.com", "jo@example.com": {"tel": "call +44 20 7946 0958"},
            "turns": ["mail ops@example.com", "mail ops@example.com"]}
    memo: dict = {}
    found = [(t.field, f.kind) for t, findings in findings_in(line, ScanOptions(), memo) for f in findings]
    assert found == [("(key)", "email"), ("system", "email"), ("<EMAIL>.tel", "phone"),
                     ("turns[0]", "email"), ("turns[1]", "email")]
    assert ("system", "mail ops@example.com") in memo and ("turns", "mail ops@example.com") in memo
    assert len(memo) == 7  # 4 keys and 3 values: the repeated turn was looked up, not scanned


def test_a_value_nested_deeper_than_the_recursion_limit_is_walked_to_its_leaf():
    value = ["jo@example.com"]
    for _ in range(3000):
        value = {"a": value}
    walked = [(t.field, t.text) for t in walk_texts(value, keys=False)]
    assert walked == [(".".join(["a"] * 3000) + "[0]", "jo@example.com")]
