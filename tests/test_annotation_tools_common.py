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
    # sentences each given twice (a comment copied to the item's other answer): longer than a label's name
    sentence = "the customer wants a refund for the duplicated charge"
    assert string_answers_kind([f"{sentence} ({n})" for n in range(8)] * 2) == "textarea"
    # two long values given ten times each are chosen, not written (the old rule read them so too)
    assert string_answers_kind([sentence, sentence + " again"] * 10) == "choices"
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


def test_long_label_names_and_small_exports_stay_label_questions():
    # a rubric's statements are long, but each is given again and again: a label set
    rubric = ["The response is helpful and fully correct here", "The response is partly correct but misses a step",
              "The response is wrong or unsafe for the user"]
    assert string_answers_kind([rubric[n % 3] for n in range(30)]) == "choices"
    # a rating "1"-"5" on 5 items by 2 annotators: 3 of the 10 answers given once, too few answers to judge one-offs
    assert string_answers_kind(["1", "1", "2", "3", "3", "4", "5", "5", "2", "2"]) == "choices"
    # long values each given once or twice are written, not chosen
    assert string_answers_kind([f"the customer asks about order {n} and seems annoyed" for n in range(10)] * 2) == "textarea"
    # short free text among stock replies, in a small export too
    assert string_answers_kind(["yes", "no", "yes", "no", "yes", "no", "maybe later", "not sure", "call me back"]) == "textarea"


def test_a_small_rubric_of_several_word_options_each_chosen_again_is_a_label_set():
    # 5 options of three or more words, each chosen twice on 10 answers: no value is written once, so their words
    # say nothing of writing (read as free text since the prose test ran on every value)
    rubric = ["not helpful at all", "slightly helpful overall", "helpful with minor gaps", "very helpful and correct",
              "fully correct and complete"]
    answers = [rubric[n] for n in (0, 3, 1, 4, 2, 2, 0, 4, 1, 3)]
    assert string_answers_kind(answers) == "choices"
    # the same options each written once beside one chosen twice: mostly one-offs that read as written
    assert string_answers_kind(rubric + [rubric[0]]) == "textarea"


def _banking77(column: int) -> list[str]:
    import csv
    import random

    from tests.conftest import shared_dataset

    with (shared_dataset("banking77") / "train.csv").open(newline="", encoding="utf-8") as handle:
        values = [row[column] for row in list(csv.reader(handle))[1:]]
    random.Random(0).shuffle(values)  # an export's answers come in task order, not grouped by intent
    return values


def test_a_small_sample_of_a_real_label_set_is_read_by_the_labels_shape():
    # 100 shuffled Banking77 answers hold 60 of the 77 intents, mostly once: too few for repetition to tell,
    # but every value is a snake_case name
    intents = _banking77(1)
    assert len(set(intents[:100])) == 60
    for size in (3, 10, 50, 100, 149, 150, 300):
        assert string_answers_kind(intents[:size]) == "choices", size
    assert string_answers_kind(["positive", "negative", "neutral"]) == "choices"
    assert string_answers_kind(["positive", "negative", "neutral", "positive"]) == "choices"


def test_a_small_sample_of_real_free_text_stays_free_text():
    queries = _banking77(0)  # the customers' own words
    for size in (2, 10, 50, 100, 300):
        assert string_answers_kind(queries[:size]) == "textarea", size
    # two comments, each written once: sentences, not names
    assert string_answers_kind(["great product, works", "broken on arrival"]) == "textarea"


def test_an_annotator_name_is_spelt_as_a_label_is_and_a_blank_one_names_nobody():
    from dataaudit.load.annotation_tools.common import UNKNOWN_ANNOTATOR, annotator_name

    assert [annotator_name(v) for v in (" alice ", "bob  smith", 7, {"id": 3, "email": "x@y.z"}, {"email": " x@y.z "})] == [
        "alice", "bob smith", "7", "3", "x@y.z"]
    assert [annotator_name(v) for v in (None, "", "  ", {"id": None, "email": " "})] == [UNKNOWN_ANNOTATOR] * 4
