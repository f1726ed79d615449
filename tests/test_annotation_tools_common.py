"""The value helpers every annotation-tool reader shares (dataaudit/load/annotation_tools/common.py)."""

from __future__ import annotations

from dataaudit.load.annotation_tools.common import anonymous_note, json_document, string_answers_kind


def test_a_label_set_is_told_by_repetition_not_by_how_many_labels_it_has():
    # 77 intents, each given by three annotators to one or more items: a label set, past any fixed label count
    intents = [f"intent_{n:02d}" for n in range(77)]
    assert string_answers_kind([intent for intent in intents for _ in range(3)]) == "choices"
    # the same number of values, each written once: free text
    assert string_answers_kind([f"note {n}" for n in range(231)]) == "textarea"


def test_one_offs_long_values_and_line_breaks_make_free_text():
    labelled = ["billing", "refund", "billing", "refund", "billing", "refund"] * 5
    assert string_answers_kind(labelled) == "choices"
    # a few repeated answers among many written once (more than a fifth of the answers)
    assert string_answers_kind(labelled + [f"unique remark {n}" for n in range(10)]) == "textarea"
    # repeated, but sentences: the typical value is longer than a label's name
    sentence = "the customer wants a refund for the duplicated charge"
    assert string_answers_kind([sentence, sentence + " again"] * 10) == "textarea"
    assert string_answers_kind(["line one\nline two", "billing"] * 10) == "textarea"
    assert string_answers_kind([]) == "textarea"
    # two answers, two values: too few to tell, read as the label question they most often are
    assert string_answers_kind(["a", "b"]) == "choices"


def test_a_document_that_is_not_an_array_says_its_json_error_position_once():
    errors: list = []
    assert json_document("tasks.json", b'{"tasks": "unterminated', errors) == (None, 0)
    assert [(e.line, e.field, e.message) for e in errors] == [
        (0, "(json)", "invalid JSON: Unterminated string at line 1 column 11")]


def test_an_array_is_read_up_to_its_break_and_counts_the_broken_element():
    errors: list = []
    assert json_document("rows.json", b'\xef\xbb\xbf [{"a": 1}, {"a": 2}, {"a": "th', errors) == ([{"a": 1}, {"a": 2}], 3)
    assert [(e.line, e.message) for e in errors] == [
        (3, "invalid JSON in element 3: Unterminated string; the elements after it were not read")]
    errors = []
    assert json_document("rows.json", b'[{"a": 1}] x', errors) == ([{"a": 1}], 1)
    assert [(e.line, e.message) for e in errors] == [(0, "extra data after the closing ]")]


def test_the_anonymous_note_counts_in_the_right_number():
    assert anonymous_note("e.json", 0, "label_studio") == []
    assert anonymous_note("e.json", 1, "label_studio")[0].startswith("e.json: 1 annotation carries no completed_by, so")
    assert anonymous_note("p.jsonl", 3, "prodigy")[0].startswith(
        "p.jsonl: 3 answers carry neither _annotator_id nor _session_id, so each is read as its own anonymous annotator")
