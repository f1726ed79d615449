"""Eval copies of a training query under another system prompt (or none), the hygiene summary's kinds of copies,
where the judged labels were read from, and the free-text note in every hygiene summary."""

from __future__ import annotations

from dataaudit.api import audit
from dataaudit.checks.duplicates import same_query
from dataaudit.config import Config
from dataaudit.index import build_index
from dataaudit.load.dataset import load_dataset
from dataaudit.normalize import normalize_text
from tests.conftest import chat, write_jsonl

INTENTS = ["translate", "transfer", "timer"]
QUERIES = [f"what would i say number {i} about my {INTENTS[i % 3]} today" for i in range(30)]
S1, S2 = "You are a classifier.", "You are a classifier v2, answer with one intent."


def _train(tmp_path):
    return write_jsonl(tmp_path / "train.jsonl", [chat(q, INTENTS[i % 3], system=S1) for i, q in enumerate(QUERIES)])


def _hygiene(report):
    return next(c for c in report.verdict.conditions if c.id == "hygiene")


def _leaks(report):
    return [(x.eval_line, x.train_line, x.kind) for x in report.checks["duplicates"].all_leaks]


def test_a_lexical_copy_of_a_training_query_under_another_or_no_system_prompt_is_a_lexical_leak(tmp_path):
    """"WHAT ... TODAY?" under another system prompt was no leak without embeddings and a reworded copy (a warning)
    with them, while the same text verbatim was a `query` copy and under the same prompt a lexical one."""
    eval_rows = [
        chat("a question of its own about nothing in training", "timer", system=S1),             # 1 clean
        chat(QUERIES[3].upper() + "?", "translate", system=S2),                                  # 2 case + punctuation, S2
        chat(QUERIES[4], "transfer", system=S2),                                                 # 3 verbatim, S2
        {"prompt": QUERIES[5] + "\n\n###\n\n", "completion": " timer"},                          # 4 legacy separator, no prompt
        chat("today " + QUERIES[6].removesuffix(" today"), "translate", system=S2),             # 5 one block moved, S2
        chat(QUERIES[7].replace("number 7", "number 8"), "transfer", system=S2),                # 6 another number: no copy
        chat(QUERIES[8].upper() + "!", "timer", system=S1),                                      # 7 case + punctuation, S1
    ]
    report = audit(_train(tmp_path), Config(task_type="classification"), embed=False,
                   eval_path=write_jsonl(tmp_path / "eval.jsonl", eval_rows))
    assert _leaks(report) == [(2, 4, "lexical"), (3, 5, "query"), (4, 6, "lexical"), (5, 7, "lexical"), (7, 9, "lexical")]
    hygiene = _hygiene(report)
    assert hygiene.status.value == "fail"
    assert hygiene.evidence["copied_eval_records"] == 5 and hygiene.evidence["reworded_eval_records"] == 0


def test_the_lexical_query_rule_follows_the_lexical_switch(tmp_path):
    config = Config(task_type="classification")
    config.duplicates.lexical = False
    eval_rows = [chat(QUERIES[3].upper() + "?", "translate", system=S2), chat(QUERIES[4], "transfer", system=S2)]
    report = audit(_train(tmp_path), config, embed=False, eval_path=write_jsonl(tmp_path / "eval.jsonl", eval_rows))
    assert _leaks(report) == [(2, 5, "query")]


def test_same_query_still_matches_the_query_exactly_for_coverage_and_production_overlap(tmp_path):
    config = Config(task_type="classification")
    normalise = lambda t: normalize_text(t, config.duplicates)  # noqa: E731
    train = build_index("train", load_dataset(_train(tmp_path), config, role="train"), normalise)
    production_path = write_jsonl(tmp_path / "production.jsonl", [{"text": QUERIES[4]}, {"text": QUERIES[3] + "?!"}])
    production = build_index("production", load_dataset(production_path, config, role="production"), normalise)
    assert same_query(train, production, train.positions) == {production.distinct[0]: 4}
    report = audit(_train(tmp_path), config, embed=False, production=production_path)
    assert [(o.production_line, o.train_line) for o in report.checks["duplicates"].all_overlaps] == [(1, 5)]


def test_the_copies_summary_counts_each_kind_as_duplicates_jsonl_names_it(tmp_path):
    """"6 eval records are copies (4 exact, 2 lexical)" folded `query` into exact, where duplicates.jsonl said
    2 exact, 2 query, 2 lexical."""
    eval_rows = [chat(QUERIES[0], "translate", system=S1), chat(QUERIES[1], "transfer", system=S1),
                 chat(QUERIES[2], "timer", system=S2), chat(QUERIES[3], "translate", system=S2),
                 chat(QUERIES[4] + "!!", "transfer", system=S1), chat(QUERIES[5].upper(), "timer", system=S2)]
    report = audit(_train(tmp_path), Config(task_type="classification"), embed=False,
                   eval_path=write_jsonl(tmp_path / "eval.jsonl", eval_rows))
    kinds = sorted(x.kind for x in report.checks["duplicates"].all_leaks)
    assert kinds == ["exact", "exact", "lexical", "query", "query", "query"]
    assert "6 eval records are copies of training records (2 exact, 3 without the system prompt, 1 lexical)" in \
        _hygiene(report).summary


def test_a_copies_summary_of_exact_and_query_copies_alone_still_says_the_split(tmp_path):
    eval_rows = [chat(QUERIES[0], "translate", system=S1), chat(QUERIES[2], "timer", system=S2)]
    report = audit(_train(tmp_path), Config(task_type="classification"), embed=False,
                   eval_path=write_jsonl(tmp_path / "eval.jsonl", eval_rows))
    assert "2 eval records are copies of training records (1 exact, 1 without the system prompt)" in _hygiene(report).summary


def _label_evidence(tmp_path, rows, config=None, name="train.jsonl"):
    report = audit(write_jsonl(tmp_path / name, rows), config or Config(task_type="classification"), embed=False)
    return report.checks["duplicates"].label_field, _hygiene(report).evidence["label_field"]


def test_the_evidence_says_where_the_judged_labels_were_read_from(tmp_path):
    """`evidence.label_field: "label"` for chat records with no `label` field: the internal switch, not a field."""
    replies = [chat(q, INTENTS[i % 3], system=S1) for i, q in enumerate(QUERIES)]
    assert _label_evidence(tmp_path, replies) == ("label", "assistant reply")
    # a reply the loader normalises into its label ("transfer  money" -> "transfer money") is still the reply
    spaced = [chat(q, ["transfer  money", "set a  timer", "translate"][i % 3], system=S1) for i, q in enumerate(QUERIES)]
    assert _label_evidence(tmp_path, spaced, name="spaced.jsonl") == ("label", "assistant reply")
    completions = [{"prompt": q, "completion": INTENTS[i % 3]} for i, q in enumerate(QUERIES)]
    assert _label_evidence(tmp_path, completions, name="pc.jsonl") == ("label", "completion")
    config = Config(task_type="classification")
    config.fields.label = "intent"
    named = [{"text": q, "intent": INTENTS[i % 3]} for i, q in enumerate(QUERIES)]
    assert _label_evidence(tmp_path, named, config, "named.jsonl") == ("label", "intent")
    annotated = [{"text": q, "annotations": [{"annotator": "ann", "label": INTENTS[i % 3]},
                                              {"annotator": "bob", "label": INTENTS[i % 3]}]} for i, q in enumerate(QUERIES)]
    assert _label_evidence(tmp_path, annotated, name="annotated.jsonl") == ("label", "annotations")
    free = [chat(q, f"Reply {i}: a long free-text answer that never repeats, written for this one question alone.")
            for i, q in enumerate(QUERIES)]
    assert _label_evidence(tmp_path, free, Config(task_type="generation"), "free.jsonl") == (None, None)


def test_every_hygiene_summary_of_free_text_targets_says_no_label_conflicts_are_judged(tmp_path):
    """The README says the hygiene summary says so; it did only when hygiene passed (pc_dup.jsonl failed on its
    duplicates without a word of it)."""
    answer = "Answer {}: a long free-text completion about the question, written uniquely for this record alone."
    rows = [{"prompt": q, "completion": answer.format(i)} for i, q in enumerate(QUERIES)]
    rows += [{"prompt": QUERIES[i], "completion": answer.format(i)} for i in range(6)]  # 6 of 36 duplicates: fail
    report = audit(write_jsonl(tmp_path / "pc_dup.jsonl", rows), Config(), embed=False)
    hygiene = _hygiene(report)
    assert report.checks["duplicates"].label_field is None and hygiene.status.value == "fail"
    assert hygiene.summary == ("16.7% of records are duplicates (6 exact and 0 near groups); "
                               "targets are free text, so no label conflicts are judged")
    clean = audit(write_jsonl(tmp_path / "pc.jsonl", rows[:30]), Config(), embed=False)
    assert _hygiene(clean).summary.endswith("; targets are free text, so no label conflicts are judged, 0.0% duplicates; "
                                            "no eval set supplied (--eval), so leakage was not checked")


# Typo copies of a training query under another system prompt (or none): the lexical pass bands texts within one
# prompt class, so these were no leak; a second banding over the queries alone finds them (issue 21).
TYPO_QUERIES = ["please turn on the lights in the kitchen", "send 20 dollars to john from my checking account",
                "how many vacation days do i have left this year"]


def _typo_train(tmp_path, extra=()):
    rows = [chat(q, INTENTS[i % 3], system=S1) for i, q in enumerate(QUERIES)]               # lines 1-30
    rows += [chat(q, INTENTS[i % 3], system=S1) for i, q in enumerate(TYPO_QUERIES)]         # lines 31-33
    return write_jsonl(tmp_path / "train.jsonl", rows + list(extra))


def test_a_typo_copy_of_a_training_query_under_another_system_prompt_is_a_lexical_leak_against_the_earliest(tmp_path):
    """"send 20 dollars to jhon ..." under S2 was no leak against line 32 under S1; and an eval record that is a
    typo copy of line 33 (S1) and of line 34 (S2, its own prompt) was named against line 34, not the earliest."""
    vacaton = TYPO_QUERIES[2].replace("vacation", "vacaton")
    train = _typo_train(tmp_path, [chat(vacaton, "timer", system=S2)])                         # line 34
    eval_rows = [
        chat("a question of its own about nothing in training", "timer", system=S2),              # 1 clean
        chat(TYPO_QUERIES[1].replace("john", "jhon"), "transfer", system=S2),                   # 2 typo of line 32
        chat(vacaton.replace("left", "lfet"), "timer", system=S2),                               # 3 typo of 33 and 34
        chat(QUERIES[9].replace("would", "wuold"), "translate", system=S2),                     # 4 typo of line 10
    ]
    report = audit(train, Config(task_type="classification"), embed=False,
                   eval_path=write_jsonl(tmp_path / "eval.jsonl", eval_rows))
    leaks = report.checks["duplicates"].all_leaks
    assert [(x.eval_line, x.train_line, x.kind) for x in leaks] == [(2, 32, "lexical"), (3, 33, "lexical"), (4, 10, "lexical")]
    # character edits over the longer content words: 1/48, 2/47 (vacaton, lfet), 1/50
    assert [x.similarity for x in leaks] == [0.9792, 0.9574, 0.98]
    hygiene = _hygiene(report)
    assert hygiene.status.value == "fail" and hygiene.evidence["copied_eval_records"] == 3
    assert "3 eval records are copies of training records (3 lexical)" in hygiene.summary


def test_a_typo_copy_without_a_system_prompt_leaks_against_a_chat_file_and_the_other_way_round(tmp_path):
    eval_rows = [{"text": TYPO_QUERIES[0].replace("kitchen", "kitchn")},                          # 1 typo of line 31
                 {"text": "what is the weather like in a town nobody has heard of"},                # 2 clean
                 {"text": QUERIES[12].replace("number", "nubmer") + "?"}]                          # 3 typo of line 13
    report = audit(_typo_train(tmp_path), Config(task_type="classification"), embed=False,
                   eval_path=write_jsonl(tmp_path / "eval.jsonl", eval_rows))
    assert _leaks(report) == [(1, 31, "lexical"), (3, 13, "lexical")]
    # a plain-text training file beside a chat eval file
    plain = write_jsonl(tmp_path / "plain.jsonl", [{"text": q, "label": INTENTS[i % 3]} for i, q in enumerate(TYPO_QUERIES)])
    chat_eval = [chat("a question of its own about nothing in training", "timer", system=S2),
                 chat(TYPO_QUERIES[2].replace("left", "lfet"), "timer", system=S2)]
    report = audit(plain, Config(task_type="classification"), embed=False,
                   eval_path=write_jsonl(tmp_path / "chat_eval.jsonl", chat_eval))
    assert _leaks(report) == [(2, 3, "lexical")]


def test_a_hard_negative_under_another_system_prompt_is_no_leak(tmp_path):
    """Another number, name or on / off is within the character edits of a typo copy: the word rule
    (normalize.copy_kind) keeps them apart across prompts as it does under one."""
    eval_rows = [chat(TYPO_QUERIES[0].replace(" on ", " off "), "translate", system=S2),           # 1 opposite
                 chat(TYPO_QUERIES[1].replace("20", "30"), "transfer", system=S2),                 # 2 another number
                 chat(TYPO_QUERIES[1].replace("john", "joan"), "transfer", system=S2),             # 3 another name
                 {"text": QUERIES[7].replace("number 7", "number 8")},                             # 4 another number, no prompt
                 chat(TYPO_QUERIES[1].replace("checking", "chekcing"), "transfer", system=S2)]    # 5 a typo: a leak
    report = audit(_typo_train(tmp_path), Config(task_type="classification"), embed=False,
                   eval_path=write_jsonl(tmp_path / "eval.jsonl", eval_rows))
    assert _leaks(report) == [(5, 32, "lexical")]


def test_no_second_banding_when_no_query_is_set_apart_or_all_share_one_prompt(tmp_path, monkeypatch):
    """The typo copies of plain-text files (and of files under one system prompt) are the lexical pass's own:
    the leaks are the same, and the second banding is not run."""
    from dataaudit.checks import duplicates

    def refused(*args, **kwargs):
        raise AssertionError("the second banding ran")

    monkeypatch.setattr(duplicates, "typo_pairs_between", refused)
    plain = write_jsonl(tmp_path / "plain.jsonl", [{"text": q, "label": INTENTS[i % 3]} for i, q in enumerate(TYPO_QUERIES)])
    plain_eval = [{"text": TYPO_QUERIES[1].replace("john", "jhon")}, {"text": TYPO_QUERIES[0].replace(" on ", " off ")}]
    report = audit(plain, Config(task_type="classification"), embed=False,
                   eval_path=write_jsonl(tmp_path / "eval.jsonl", plain_eval))
    assert _leaks(report) == [(1, 2, "lexical")]
    one_prompt = [chat(TYPO_QUERIES[1].replace("john", "jhon"), "transfer", system=S1),
                  chat(QUERIES[9].replace("would", "wuold"), "translate", system=S1)]
    report = audit(_typo_train(tmp_path), Config(task_type="classification"), embed=False,
                   eval_path=write_jsonl(tmp_path / "eval.jsonl", one_prompt))
    assert _leaks(report) == [(1, 32, "lexical"), (2, 10, "lexical")]
