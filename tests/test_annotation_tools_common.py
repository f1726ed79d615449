"""The value helpers every annotation-tool reader shares (dataaudit/load/annotation_tools/common.py)."""

from __future__ import annotations

from dataaudit.load.annotation_tools.common import string_answers_kind


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
