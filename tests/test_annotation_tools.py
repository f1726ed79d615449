"""Annotation-tool exports read into records: every kind, against the `krippendorff` package on the same labels.

The reference alphas are computed here straight from the fixture files (a second, independent reading of the
export), so a reader that drops, invents or mislabels an answer shows as a different alpha.
"""

from __future__ import annotations

import csv
import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path

import krippendorff
import numpy as np
import pytest

from dataaudit.checks.agreement import measure_agreement
from dataaudit.checks.batches import items_span_files
from dataaudit.config import Config, FieldsConfig
from dataaudit.errors import ConfigError, InputError
from dataaudit.load import load_dataset
from dataaudit.load.annotation_tools import detect_export, read_export
from tests.conftest import SAMPLE

FIXTURES = Path(__file__).parent / "fixtures" / "annotation_tools"
RANDOM_LS, RANDOM_PRODIGY, RANDOM_ARGILLA = "14", "support-ann14", "00000000-0000-0000-0000-000000000014"
LEVEL = {"nominal": "nominal", "ordinal": "ordinal", "interval": "interval"}


def jaccard_metric(values: list[frozenset]):
    def metric(v1, v2, i1, i2, n_v, dtype=np.float64):
        out = np.zeros(np.broadcast(v1, v2).shape, dtype=dtype)
        for index in np.ndindex(out.shape):
            a, b = values[int(np.broadcast_to(v1, out.shape)[index])], values[int(np.broadcast_to(v2, out.shape)[index])]
            out[index] = 1 - len(a & b) / len(a | b) if a | b else 0.0
        return out
    return metric


def reference_alpha(answers: dict[tuple[str, str], object], level: str) -> float:
    """krippendorff.alpha on a units x coders table of the raw answers {(item, annotator): value}."""
    items = sorted({i for i, _ in answers})
    coders = sorted({c for _, c in answers})
    if level == "set":
        domain = sorted({v for v in answers.values()}, key=lambda s: sorted(s))
        code = {v: k for k, v in enumerate(domain)}
        data = np.full((len(coders), len(items)), np.nan)
        for (item, coder), value in answers.items():
            data[coders.index(coder), items.index(item)] = code[value]
        return float(krippendorff.alpha(reliability_data=data, value_domain=np.arange(len(domain)),
                                        level_of_measurement=jaccard_metric(domain)))
    if level == "nominal":
        domain = sorted({str(v) for v in answers.values()})
        data = np.full((len(coders), len(items)), np.nan)
        for (item, coder), value in answers.items():
            data[coders.index(coder), items.index(item)] = domain.index(str(value))
        return float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))
    data = np.full((len(coders), len(items)), np.nan)
    for (item, coder), value in answers.items():
        data[coders.index(coder), items.index(item)] = float(value)
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement=level))


def ls_json_answers(question: str) -> dict:
    answers = {}
    for task in json.loads((FIXTURES / "label_studio.json").read_text()):
        for annotation in task["annotations"]:
            if annotation["was_cancelled"] or annotation["ground_truth"]:
                continue
            for result in annotation["result"]:
                if result["from_name"] != question:
                    continue
                value = result["value"]
                answers[(str(task["id"]), str(annotation["completed_by"]))] = (
                    frozenset(value["choices"]) if question == "tags" else value["choices"][0] if "choices" in value
                    else value.get("rating", value.get("number")) if "taxonomy" not in value else "/".join(value["taxonomy"][0]))
    return answers


def flat_answers(rows: list[dict], question: str) -> dict:
    answers = {}
    for row in rows:
        value = row.get(question)
        if value in (None, ""):
            continue
        if isinstance(value, str) and value[:1] in "[{":
            value = json.loads(value)
        if question == "tags":
            value = frozenset(value["choices"]) if isinstance(value, dict) else frozenset([value])
        elif question in ("quality", "urgency"):
            value = value[0]["rating" if question == "quality" else "number"]
        answers[(str(row["id"]), str(row["annotator"]))] = value
    return answers


def alpha_of(dataset, question: str) -> float:
    result = measure_agreement(dataset, Config().agreement)
    return next(q.krippendorff_alpha for q in result.questions if q.question == question)


def flagged(dataset) -> list[str]:
    return [a.annotator for a in measure_agreement(dataset, Config().agreement).per_annotator if a.flagged]


QUESTIONS = [("intent", "nominal"), ("tags", "set"), ("quality", "ordinal"), ("urgency", "interval"), ("topic", "nominal")]


@pytest.mark.parametrize("question,level", QUESTIONS)
def test_label_studio_json_alpha_per_question_equals_the_package(question, level):
    dataset = load_dataset(FIXTURES / "label_studio.json", Config())
    assert round(alpha_of(dataset, question), 3) == round(reference_alpha(ls_json_answers(question), level), 3)


def test_label_studio_json_reads_what_the_export_holds():
    dataset = load_dataset(FIXTURES / "label_studio.json", Config())
    export = dataset.annotation_export
    assert (export.tool, export.kind, export.headline) == ("label_studio", "json", "intent")
    assert export.questions == {"intent": "choices", "tags": "choices-multiple", "quality": "rating", "urgency": "number",
                                "topic": "taxonomy", "reply": "textarea", "entities": "labels"}
    # 3 planted cancelled annotations skipped; 10 ground-truth annotations are gold, not an annotator; predictions never raters
    assert (export.cancelled, export.gold, export.predictions) == (3, 10, 30)
    assert export.spans == 30 * 4 - 3 + 10  # one span in every kept annotation: counted, not judged
    assert len(dataset.records) == 30 and not dataset.errors
    first = dataset.records[0]
    assert first.input_text == "my card was charged twice (ticket 1)\nchat"  # every string field of `data`, in order
    assert first.gold == first.label and {a.annotator for a in first.annotations} == {"11", "12", "13", "14"}
    assert first.target == "gold reply 0"  # the free-text answer, the gold one first
    assert all(not a.is_gold for r in dataset.records for a in r.annotations)
    result = measure_agreement(dataset, Config().agreement)
    assert result.question == "intent" and result.layout == "label_studio_json"
    by_name = {a.annotator: a for a in result.per_annotator}
    assert flagged(dataset) == [RANDOM_LS]
    assert by_name[RANDOM_LS].gold_agreement < 0.5 < min(by_name[a].gold_agreement for a in ("11", "12", "13"))
    assert by_name[RANDOM_LS].median_seconds < 7 < min(by_name[a].median_seconds for a in ("11", "12", "13"))
    assert sum(a.items for a in result.per_annotator) == result.ratings


@pytest.mark.parametrize("name", ["label_studio_min.json", "label_studio.csv"])
@pytest.mark.parametrize("question,level", QUESTIONS)
def test_label_studio_flat_exports_alpha_equals_the_package(name, question, level):
    path = FIXTURES / name
    if name.endswith(".json"):
        rows = json.loads(path.read_text())
    else:
        with path.open(encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    dataset = load_dataset(path, Config())
    assert round(alpha_of(dataset, question), 3) == round(reference_alpha(flat_answers(rows, question), level), 3)
    assert flagged(dataset) == [RANDOM_LS]


def test_flat_exports_say_what_they_lose_and_latest_only_cannot_give_agreement():
    flat = load_dataset(FIXTURES / "label_studio_min.json", Config()).annotation_export
    assert flat.cancelled == 0 and flat.gold == 0 and any("drop cancelled" in n for n in flat.notes)
    config = Config(fields=FieldsConfig(text_fields=["text"]))
    latest = load_dataset(FIXTURES / "label_studio_latest.csv", config)
    assert latest.annotation_export.latest_only and any("full JSON" in n for n in latest.annotation_export.notes)
    assert all(len(r.annotations) <= 1 for r in latest.records)
    assert latest.records[0].input_text == "my card was charged twice (ticket 1)"
    assert measure_agreement(latest, config.agreement).items_multi == 0


@pytest.mark.parametrize("question,level", [("accept", "nominal"), ("URGENT", "nominal")])
def test_prodigy_alpha_equals_the_package(question, level):
    answers = {}
    for line in (FIXTURES / "prodigy.jsonl").read_text().splitlines():
        obj = json.loads(line)
        if obj["answer"] == "ignore":
            continue
        if question == "accept" and "accept" in obj:
            answers[(obj["_input_hash"], obj["_annotator_id"])] = obj["accept"][0]
        elif question == "URGENT" and obj.get("label") == "URGENT":
            answers[(obj["_input_hash"], obj["_annotator_id"])] = obj["answer"]
    dataset = load_dataset(FIXTURES / "prodigy.jsonl", Config())
    assert round(alpha_of(dataset, question), 3) == round(reference_alpha(answers, level), 3)
    assert dataset.annotation_export.cancelled == 3  # planted 'ignore' answers
    assert dataset.annotation_export.headline == "accept" and flagged(dataset) == [RANDOM_PRODIGY]


@pytest.mark.parametrize("question,level", [("intent", "nominal"), ("tags", "set"), ("quality", "ordinal")])
def test_argilla_alpha_equals_the_package(question, level):
    answers = {}
    for record in json.loads((FIXTURES / "argilla" / "records.json").read_text()):
        for response in record["responses"][question]:
            if response["status"] == "submitted":
                value = response["value"]
                answers[(record["id"], response["user_id"])] = frozenset(value) if question == "tags" else value
    dataset = load_dataset(FIXTURES / "argilla", Config())
    assert round(alpha_of(dataset, question), 3) == round(reference_alpha(answers, level), 3)
    export = dataset.annotation_export
    assert (export.cancelled, export.drafts, export.predictions) == (3, 2, 30)  # discarded, draft, suggestions
    assert export.questions["comment"] == "textarea" and flagged(dataset) == [RANDOM_ARGILLA]


def test_argilla_without_settings_infers_question_types(tmp_path):
    (tmp_path / "records.json").write_bytes((FIXTURES / "argilla" / "records.json").read_bytes())
    export = load_dataset(tmp_path / "records.json", Config()).annotation_export
    assert export.questions == {"intent": "choices", "tags": "choices-multiple", "quality": "rating", "comment": "textarea"}


def test_headline_question_from_config_and_unknown_question_is_a_config_error():
    config = Config(fields=FieldsConfig(question="quality"))
    dataset = load_dataset(FIXTURES / "label_studio.json", config)
    result = measure_agreement(dataset, config.agreement)
    assert result.question == "quality" and result.level == "ordinal"
    assert result.krippendorff_alpha == next(q.krippendorff_alpha for q in result.questions if q.question == "quality")
    with pytest.raises(ConfigError, match="fields.question: 'nope' is not a question"):
        load_dataset(FIXTURES / "label_studio.json", Config(fields=FieldsConfig(question="nope")))


def test_since_keeps_only_the_new_batch():
    tasks = json.loads((FIXTURES / "label_studio.json").read_text())
    since = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)  # fixture tasks 11-30 were annotated on later days
    dataset = read_export([FIXTURES / "label_studio.json"], Config(), since=since)
    kept = [t for t in tasks if any(a["created_at"] > "2026-11-02T09:00:00Z" for a in t["annotations"])]
    assert len(dataset.records) == len(kept) == 20
    assert dataset.annotation_export.since == since.isoformat()
    # the earlier day's answers (not the cancelled ones, which are never read, nor gold, which stays the reference)
    assert dataset.annotation_export.before_since == sum(not a["ground_truth"] and not a["was_cancelled"]
                                                         for t in tasks[:10] for a in t["annotations"]) == 38
    assert all(a.created_at > "2026-11-02T09" for r in dataset.records for a in r.annotations)


def test_detection_leaves_other_files_to_the_ordinary_loader(tmp_path):
    assert detect_export(SAMPLE / "annotation_batch.csv") is None
    for path in SAMPLE.iterdir():
        if path.suffix in (".jsonl", ".csv", ".json"):
            assert detect_export(path) is None, path
    assert {detect_export(FIXTURES / n) for n in ("label_studio.json", "label_studio_min.json", "label_studio.csv",
                                                  "prodigy.jsonl", "argilla")} == \
        {"label_studio_json", "label_studio_min", "label_studio_csv", "prodigy", "argilla"}
    with pytest.raises(InputError, match="cannot be audited together"):
        read_export([FIXTURES / "label_studio.json", SAMPLE / "annotation_batch.csv"], Config())


def test_malformed_tasks_become_record_errors(tmp_path):
    path = tmp_path / "export.json"
    answered = [{"completed_by": 1, "result": [{"from_name": "intent", "type": "choices", "value": {"choices": ["billing"]}}]}]
    path.write_text(json.dumps([{"id": 1, "annotations": answered, "data": {"text": "fine"}},
                                {"id": 2, "annotations": "oops", "data": {"text": "x"}},
                                {"id": 3, "annotations": []}]))
    dataset = load_dataset(path, Config())
    assert [(e.line, e.field) for e in dataset.errors] == [(2, "annotations"), (3, "data")]
    assert dataset.total == 3 and dataset.invalid == 2 and len(dataset.records) == 1


def test_argilla_records_without_fields_become_record_errors_naming_the_key(tmp_path):
    records = json.loads((FIXTURES / "argilla" / "records.json").read_text())
    broken = [records[0], {"id": "x", "responses": {}}, "not a record"]
    path = tmp_path / "records.json"
    path.write_text(json.dumps(broken))
    dataset = load_dataset(path, Config())
    assert [(e.line, e.field, e.message) for e in dataset.errors] == [
        (2, "fields", "missing (an Argilla record carries its input under 'fields')"),
        (3, "(record)", "expected a record object")]
    assert dataset.invalid == 2


# ---------------------------------------------------------------------------------------------------
# QA pass: shapes and edge cases of real exports


def argilla_answers(records: list[dict], question: str) -> dict:
    """{(record, user): value} of the submitted (or status-less) answers that carry a value."""
    answers = {}
    for record in records:
        for response in record["responses"].get(question, []):
            if response.get("status", "submitted") == "submitted" and response["value"] is not None:
                value = response["value"]
                answers[(record["id"], response["user_id"])] = frozenset(value) if question == "tags" else value
    return answers


def test_argilla_v1_responses_list_reads_as_the_same_answers(tmp_path):
    records = json.loads((FIXTURES / "argilla" / "records.json").read_text())
    v1 = []
    for record in records:
        by_user: dict[str, dict] = {}
        for question, responses in record["responses"].items():
            for response in responses:
                entry = by_user.setdefault(response["user_id"], {"user_id": response["user_id"], "values": {},
                                                                 "status": response["status"]})
                entry["values"][question] = {"value": response["value"]}
        v1.append({"external_id": record["id"], "fields": record["fields"], "metadata": {}, "suggestions": [],
                   "responses": list(by_user.values())})
    (tmp_path / "v1.json").write_text(json.dumps(v1))
    assert detect_export(tmp_path / "v1.json") == "argilla"
    dataset = load_dataset(tmp_path / "v1.json", Config())
    assert not dataset.errors and len(dataset.records) == 30 and dataset.records[0].record_id == "rec-0"
    assert round(alpha_of(dataset, "intent"), 4) == round(reference_alpha(argilla_answers(records, "intent"), "nominal"), 4)
    assert round(alpha_of(dataset, "tags"), 4) == round(reference_alpha(argilla_answers(records, "tags"), "set"), 4)
    # a responses value of neither shape is one record error naming the line and the key, not a traceback
    (tmp_path / "bad.json").write_text(json.dumps([v1[0], {**v1[1], "responses": "oops"}, {**v1[2], "responses": [3]}]))
    bad = load_dataset(tmp_path / "bad.json", Config())
    assert [(e.line, e.field) for e in bad.errors] == [(2, "responses"), (3, "responses[0]")] and len(bad.records) == 1


def test_argilla_null_value_is_skipped_and_counted(tmp_path):
    records = json.loads((FIXTURES / "argilla" / "records.json").read_text())
    for record in records[:5]:
        record["responses"]["intent"][0] = {"value": None, "user_id": record["responses"]["intent"][0]["user_id"]}
    (tmp_path / "records.json").write_text(json.dumps(records))
    dataset = load_dataset(tmp_path / "records.json", Config())
    assert all(a.label != "None" for r in dataset.records for a in r.question_annotations)
    assert round(alpha_of(dataset, "intent"), 4) == round(reference_alpha(argilla_answers(records, "intent"), "nominal"), 4)
    assert any(n.startswith("5 responses with no value (null) skipped") for n in dataset.annotation_export.notes)


def test_argilla_settings_in_dot_argilla_and_responses_without_status(tmp_path):
    """Argilla 2.x `Dataset.to_disk` writes records.json and .argilla/settings.json; its responses may carry
    only value and user_id. A label question with many distinct labels is told apart from free text only by
    the settings."""
    labels = [f"topic {n}" for n in range(12)]
    records = [{"id": f"r{i}", "fields": {"text": f"message {i}"},
                "responses": {"topic": [{"value": labels[i], "user_id": "u1"}, {"value": labels[i + 6 * (i % 2)], "user_id": "u2"}]}}
               for i in range(6)]
    (tmp_path / "records.json").write_text(json.dumps(records))
    (tmp_path / ".argilla").mkdir()
    (tmp_path / ".argilla" / "settings.json").write_text(json.dumps(
        {"questions": [{"name": "topic", "settings": {"type": "label_selection", "options": [{"value": v} for v in labels]}}]}))
    dataset = load_dataset(tmp_path, Config())
    assert dataset.annotation_export.questions == {"topic": "choices"}  # without the settings: 'textarea', not judged
    assert sum(len(r.annotations) for r in dataset.records) == 12  # no status: submitted
    assert round(alpha_of(dataset, "topic"), 4) == round(reference_alpha(argilla_answers(records, "topic"), "nominal"), 4)


def test_prodigy_detected_past_a_bad_first_line_and_non_utf8_lines_are_errors(tmp_path):
    lines = (FIXTURES / "prodigy.jsonl").read_bytes().split(b"\n")
    cut = tmp_path / "cut.jsonl"
    cut.write_bytes(b"\n".join([lines[0][:40]] + lines[1:]))
    latin = tmp_path / "latin.jsonl"
    latin.write_bytes(b"\n".join([lines[0].replace(b"my card", b"caf\xe9 card")] + lines[1:4]
                                 + [lines[4].replace(b"my card", b"caf\xe9 card")] + lines[5:]))
    for path in (cut, latin):
        assert detect_export(path) == "prodigy", path
        dataset = load_dataset(path, Config())
        assert dataset.annotation_export.tool == "prodigy" and len(dataset.records) == 30
        assert all("\ufffd" not in r.input_text for r in dataset.records)
    assert [(e.line, e.field) for e in load_dataset(cut, Config()).errors] == [(1, "(json)")]
    assert [(e.line, e.field, e.message) for e in load_dataset(latin, Config()).errors] == [
        (1, "(encoding)", "line is not valid UTF-8 (byte 14)"), (5, "(encoding)", "line is not valid UTF-8 (byte 14)")]


def test_label_studio_json_with_a_first_task_past_64_kb_is_recognised(tmp_path):
    tasks = json.loads((FIXTURES / "label_studio.json").read_text())
    tasks[0] = {"data": {"text": "x" * 90_000, **{k: v for k, v in tasks[0]["data"].items() if k != "text"}},
                **{k: v for k, v in tasks[0].items() if k != "data"}}
    path = tmp_path / "long.json"
    path.write_text(json.dumps(tasks, indent=1))
    assert detect_export(path) == "label_studio_json"
    dataset = load_dataset(path, Config())
    assert len(dataset.records) == 30 and not dataset.errors
    assert round(alpha_of(dataset, "intent"), 4) == round(reference_alpha(ls_json_answers("intent"), "nominal"), 4)


def test_prodigy_without_annotator_ids_keeps_every_answer_and_says_so(tmp_path):
    rows = [json.loads(line) for line in (FIXTURES / "prodigy.jsonl").read_text().splitlines()]
    anonymous = tmp_path / "anonymous.jsonl"
    anonymous.write_text("\n".join(json.dumps({k: v for k, v in row.items() if k not in ("_annotator_id", "_session_id")})
                                   for row in rows))
    answers = {}  # the k-th answer of an item as its k-th coder: alpha depends only on the values per item
    for row in rows:
        if "accept" in row and row["answer"] == "accept":
            coder = sum(1 for item, _ in answers if item == row["_input_hash"])
            answers[(row["_input_hash"], coder)] = row["accept"][0]
    dataset = load_dataset(anonymous, Config())
    named = load_dataset(FIXTURES / "prodigy.jsonl", Config())
    assert round(alpha_of(dataset, "accept"), 4) == round(reference_alpha(answers, "nominal"), 4) == round(alpha_of(named, "accept"), 4)
    assert sum(len(r.annotations) for r in dataset.records) == 117
    assert any(n.startswith(f"{anonymous}: 237 answers carry neither _annotator_id nor _session_id") and "?session=" in n
               for n in dataset.annotation_export.notes)


def test_items_nobody_labelled_are_not_records_and_are_counted(tmp_path):
    tasks = json.loads((FIXTURES / "label_studio.json").read_text())
    cancelled = {**tasks[0], "id": 9001, "annotations": [{**tasks[0]["annotations"][0], "was_cancelled": True}]}
    tasks += [{"id": 9000, "data": {"text": "nobody looked at me"}, "annotations": [], "predictions": []}, cancelled]
    (tmp_path / "ls.json").write_text(json.dumps(tasks))
    dataset = load_dataset(tmp_path / "ls.json", Config())
    assert len(dataset.records) == 30 and dataset.total == 32 and not dataset.errors
    assert any(n.startswith("2 items nobody labelled") for n in dataset.annotation_export.notes)
    rows = (FIXTURES / "prodigy.jsonl").read_text().splitlines()
    ignored = json.loads(rows[0]) | {"_input_hash": 777, "text": "ignored by all", "answer": "ignore"}
    (tmp_path / "p.jsonl").write_text("\n".join(rows + [json.dumps(ignored), json.dumps(ignored | {"_annotator_id": "x"})]))
    prodigy = load_dataset(tmp_path / "p.jsonl", Config())
    assert len(prodigy.records) == 30 and any(n.startswith("1 item nobody labelled") for n in prodigy.annotation_export.notes)
    records = json.loads((FIXTURES / "argilla" / "records.json").read_text())
    discarded = {**records[0], "id": "gone", "responses": {q: [{**r, "status": "discarded"} for r in rs]
                                                         for q, rs in records[0]["responses"].items()}}
    (tmp_path / "records.json").write_text(json.dumps(records + [discarded]))
    argilla = load_dataset(tmp_path / "records.json", Config())
    assert len(argilla.records) == 30 and any(n.startswith("1 item nobody labelled") for n in argilla.annotation_export.notes)


def test_label_studio_task_in_two_files_is_one_item_and_different_questions_are_said(tmp_path):
    tasks = json.loads((FIXTURES / "label_studio.json").read_text())
    (tmp_path / "a.json").write_text(json.dumps(tasks[:20]))
    (tmp_path / "b.json").write_text(json.dumps(tasks[10:]))  # tasks 11-20 in both files (an overlapping re-export)
    dataset = read_export([tmp_path / "a.json", tmp_path / "b.json"], Config())
    assert len(dataset.records) == 30
    assert round(alpha_of(dataset, "intent"), 4) == round(reference_alpha(ls_json_answers("intent"), "nominal"), 4)
    assert "10 task ids found in more than one file (up to 2 files): each read as one task, its answers joined" in \
        dataset.annotation_export.notes
    other = [{**t, "id": t["id"] + 1000, "annotations": [{**a, "result": [{**r, "from_name": "sentiment"} if r["from_name"] == "intent" else r
                                                                         for r in a["result"]]} for a in t["annotations"]]}
             for t in tasks[:10]]
    (tmp_path / "other.json").write_text(json.dumps(other))
    merged = read_export([tmp_path / "a.json", tmp_path / "other.json"], Config())
    note = next(n for n in merged.annotation_export.notes if n.startswith("the files ask different questions"))
    assert f"{tmp_path / 'a.json'}: intent" in note and f"{tmp_path / 'other.json'}: sentiment" in note


def test_prodigy_choice_reject_is_neither_a_rating_nor_a_label(tmp_path):
    rows = [json.loads(line) for line in (FIXTURES / "prodigy.jsonl").read_text().splitlines()]
    choice = [i for i, row in enumerate(rows) if "accept" in row and row["answer"] == "accept"]
    for i in choice[:12:3]:
        rows[i]["answer"] = "reject"
    item = rows[choice[0]]["_input_hash"]
    for row in rows:  # every answer on one item rejected: nobody gave it a class
        if row["_input_hash"] == item and "accept" in row and row["answer"] == "accept":
            row["answer"] = "reject"
    (tmp_path / "p.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    answers = {(r["_input_hash"], r["_annotator_id"]): r["accept"][0] for r in rows if "accept" in r and r["answer"] == "accept"}
    dataset = load_dataset(tmp_path / "p.jsonl", Config())
    assert all("(rejected)" not in (a.label or "") for r in dataset.records for a in r.question_annotations)
    assert all(r.label != "(rejected)" for r in dataset.records)
    assert round(alpha_of(dataset, "accept"), 4) == round(reference_alpha(answers, "nominal"), 4)
    rejected = sum("accept" in r and r["answer"] == "reject" for r in rows)
    assert any(n.startswith(f"{rejected} Prodigy choice answers rejected") for n in dataset.annotation_export.notes)
    labelled = next(r for r in dataset.records if r.record_id == str(item))  # its URGENT answers still label it
    assert all(a.question == "URGENT" for a in labelled.question_annotations)


def test_a_task_in_the_second_and_third_file_counts_its_files(tmp_path):
    tasks = json.loads((FIXTURES / "label_studio.json").read_text())
    for name, part in (("a.json", tasks[:10]), ("b.json", tasks[10:25]), ("c.json", tasks[20:])):
        (tmp_path / name).write_text(json.dumps(part))
    dataset = read_export([tmp_path / n for n in ("a.json", "b.json", "c.json")], Config())
    assert len(dataset.records) == 30 and "5 task ids found in more than one file (up to 2 files): each read as one task, " \
        "its answers joined" in dataset.annotation_export.notes
    assert round(alpha_of(dataset, "intent"), 4) == round(reference_alpha(ls_json_answers("intent"), "nominal"), 4)


def test_prodigy_files_one_per_annotator_join_on_the_input_hash(tmp_path):
    rows = [json.loads(line) for line in (FIXTURES / "prodigy.jsonl").read_text().splitlines()]
    paths = []
    for annotator in sorted({r["_annotator_id"] for r in rows}):
        paths.append(tmp_path / f"{annotator}.jsonl")
        paths[-1].write_text("\n".join(json.dumps(r) for r in rows if r["_annotator_id"] == annotator))
    dataset = read_export(paths, Config())
    whole = load_dataset(FIXTURES / "prodigy.jsonl", Config())
    assert len(dataset.records) == len(whole.records) == 30
    assert alpha_of(dataset, "accept") == alpha_of(whole, "accept")
    assert items_span_files(dataset)  # so no per-file breakdown splits the joined items
    assert {a.source for r in dataset.records for a in r.annotations} == {""} | {str(p) for p in paths[1:]}
    assert "30 item ids found in more than one file (up to 4 files): each read as one item, its answers joined" in \
        dataset.annotation_export.notes


def test_an_id_shared_by_different_inputs_in_two_files_is_not_joined(tmp_path):
    records = json.loads((FIXTURES / "argilla" / "records.json").read_text())
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "records.json").write_text(json.dumps(records[:15]))
    renamed = [{**r, "id": records[i]["id"]} for i, r in enumerate(records[15:])]  # ids rec-0.. again, other texts
    (tmp_path / "b" / "records.json").write_text(json.dumps(renamed))
    dataset = read_export([tmp_path / "a", tmp_path / "b"], Config())
    assert len(dataset.records) == 30 and not any("found in more than one file" in n for n in dataset.annotation_export.notes)


def test_anonymous_raters_are_never_flagged_and_the_reading_notes_reach_the_report(tmp_path):
    """'(unknown #2)' is every item's second answer, not a person: flagging it would send a lead to review nobody."""
    from dataaudit.api import audit
    from dataaudit.render.markdown import render_markdown

    rows = [json.loads(line) for line in (FIXTURES / "prodigy.jsonl").read_text().splitlines()]
    anonymous = tmp_path / "anonymous.jsonl"
    anonymous.write_text("\n".join(json.dumps({k: v for k, v in row.items() if k not in ("_annotator_id", "_session_id")})
                                   for row in rows))
    report = audit(anonymous, Config(task_type="format"), embed=False)
    agreement = report.checks["agreement"]
    named = audit(FIXTURES / "prodigy.jsonl", Config(task_type="format"), embed=False).checks["agreement"]
    assert agreement.krippendorff_alpha == named.krippendorff_alpha and agreement.items == named.items
    # No per-annotator figures for answers nobody is named for: no table, no kappa, no one flagged.
    assert agreement.annotators == [] and agreement.per_annotator == [] and agreement.cohen_kappa == {}
    assert not agreement.annotators_named and named.annotators_named and len(named.annotators) >= 2
    assert any(n.startswith("the export names no annotator, so no per-annotator figures") for n in agreement.notes)
    markdown = render_markdown(report)
    assert "annotators not named in the export" in markdown
    assert "237 answers carry neither \\_annotator\\_id nor \\_session\\_id" in markdown or \
        "237 answers carry neither _annotator_id nor _session_id" in markdown


def test_a_gold_label_on_some_items_is_said_as_such_not_as_gold_for_all():
    from dataaudit.api import audit
    from dataaudit.render.markdown import render_markdown

    report = audit(FIXTURES / "label_studio.json", Config(task_type="format"), embed=False)
    agreement = report.checks["agreement"]
    gold = sum(1 for r in load_dataset(FIXTURES / "label_studio.json", Config()).records if r.gold is not None)
    assert (agreement.label_source, agreement.gold_items, agreement.items) == ("gold", gold, 30) and 0 < gold < 30
    assert f"training label: gold on {gold} of 30 items, the majority on the rest" in render_markdown(report)


def test_the_exports_notes_reach_the_report_when_no_item_is_rated_twice(tmp_path):
    """With one answer per task there is no agreement section to hold the notes: 31 rows read as 30 examples
    must still say why."""
    from dataaudit.api import audit

    tasks = json.loads((FIXTURES / "label_studio.json").read_text())
    single = [{**t, "annotations": [a for a in t["annotations"] if not a.get("was_cancelled")][:1]} for t in tasks]
    single.append({"id": 9000, "data": {"text": "nobody looked at me"}, "annotations": [], "predictions": []})
    path = tmp_path / "ls.json"
    path.write_text(json.dumps(single))
    report = audit(path, Config(task_type="format"), embed=False)
    assert report.checks.get("agreement") is None and report.checks["size"].examples == 30
    assert [w for w in report.warnings if w.startswith("1 item nobody labelled")]


def test_a_task_split_across_files_counts_its_predictions_cancelled_and_gold_once(tmp_path):
    tasks = json.loads((FIXTURES / "label_studio.json").read_text())
    whole = read_export([FIXTURES / "label_studio.json"], Config()).annotation_export
    assert (whole.cancelled, whole.gold, whole.predictions) == (3, 10, 30)
    # one export split by annotation: every task (and its predictions) in both files, each annotation in one
    (tmp_path / "a.json").write_text(json.dumps([{**t, "annotations": t["annotations"][:1]} for t in tasks]))
    (tmp_path / "b.json").write_text(json.dumps([{**t, "annotations": t["annotations"][1:]} for t in tasks]))
    split = read_export([tmp_path / "a.json", tmp_path / "b.json"], Config())
    assert len(split.records) == 30
    assert (split.annotation_export.cancelled, split.annotation_export.gold, split.annotation_export.predictions) == (3, 10, 30)
    # an overlapping re-export: tasks 11-20 (their annotations and predictions) in both files
    (tmp_path / "c.json").write_text(json.dumps(tasks[:20]))
    (tmp_path / "d.json").write_text(json.dumps(tasks[10:]))
    overlap = read_export([tmp_path / "c.json", tmp_path / "d.json"], Config()).annotation_export
    assert (overlap.cancelled, overlap.gold, overlap.predictions) == (3, 10, 30)
    # two different predictions of one task, one per file, are two
    extra = [{**tasks[0], "predictions": [{"id": 99, "model_version": "v2", "result": []}]}]
    (tmp_path / "e.json").write_text(json.dumps(extra))
    both = read_export([FIXTURES / "label_studio.json", tmp_path / "e.json"], Config()).annotation_export
    assert both.predictions == 31


def test_an_export_with_every_item_set_aside_says_so_not_that_its_fields_are_misnamed(tmp_path):
    from dataaudit.api import require_rows

    tasks = json.loads((FIXTURES / "label_studio.json").read_text())
    cancelled = [{**t, "annotations": [{**a, "was_cancelled": True} for a in t["annotations"]]} for t in tasks]
    (tmp_path / "ls.json").write_text(json.dumps(cancelled))
    dataset = load_dataset(tmp_path / "ls.json", Config())
    assert not dataset.records and dataset.total == 30
    with pytest.raises(InputError) as caught:
        require_rows("training", dataset, Config())
    assert str(caught.value) == (f"{tmp_path / 'ls.json'}: all 30 tasks have no submitted answer (none, or only cancelled or "
                                 "skipped annotations); nothing labelled to audit (label them, or export after labelling)")
    assert "--text-field" not in str(caught.value)
    # beside rows that are broken, the broken rows lead and the set-aside ones are counted
    (tmp_path / "mixed.json").write_text(json.dumps(cancelled[:29] + [{"id": 1, "annotations": []}]))
    with pytest.raises(InputError) as caught:
        require_rows("training", load_dataset(tmp_path / "mixed.json", Config()), Config())
    assert "none of the 30 training records is valid (1 x data: missing" in str(caught.value)
    assert "; 29 more nobody labelled (only cancelled or skipped annotations))" in str(caught.value)
    rows = [json.loads(line) | {"answer": "ignore"} for line in (FIXTURES / "prodigy.jsonl").read_text().splitlines()]
    (tmp_path / "p.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    with pytest.raises(InputError, match=r": all 30 items have no submitted answer \(none, or only 'ignore' answers or rejected "
                                         r"choice answers\); nothing labelled to audit"):
        require_rows("training", load_dataset(tmp_path / "p.jsonl", Config()), Config())


def test_the_notes_name_what_each_tool_set_aside_and_what_cancelled_counts(tmp_path):
    records = json.loads((FIXTURES / "argilla" / "records.json").read_text())
    draft = {**records[0], "id": "draft-only", "responses": {q: [{**r, "status": "draft"} for r in rs]
                                                           for q, rs in records[0]["responses"].items()}}
    (tmp_path / "records.json").write_text(json.dumps(records + [draft]))
    argilla = load_dataset(tmp_path / "records.json", Config()).annotation_export
    users = len({r["user_id"] for rs in records[0]["responses"].values() for r in rs})
    assert argilla.drafts == 2 + users and argilla.cancelled == 3  # the fixture's 2 drafts and 3 discarded, and this record's
    assert "1 item nobody labelled (no submitted answer: none, or only discarded or draft responses) left out of the " \
           "records: not training examples" in argilla.notes
    assert (f"export counts: cancelled = 3 discarded responses (one per record and user); drafts = {2 + users} draft "
            "(unsubmitted) responses (one per record and user); skipped, never read as labels") in argilla.notes
    prodigy = load_dataset(FIXTURES / "prodigy.jsonl", Config()).annotation_export
    assert "export counts: cancelled = 3 'ignore' answers; skipped, never read as labels" in prodigy.notes
    ls = load_dataset(FIXTURES / "label_studio.json", Config()).annotation_export
    assert "export counts: cancelled = 3 cancelled or skipped annotations (was_cancelled / skipped); skipped, never read " \
           "as labels" in ls.notes


def test_each_annotators_agreement_with_gold_is_shown_with_its_sample_size():
    """0.0 against gold reads differently on 1 item and on 40: the table gives both, from per_annotator."""
    from dataaudit.api import audit
    from dataaudit.render.markdown import render_markdown

    report = audit(FIXTURES / "label_studio.json", Config(task_type="format"), embed=False)
    summaries = {s.annotator: s for s in report.checks["agreement"].per_annotator}
    assert all(s.gold_items > 0 for s in summaries.values())
    markdown = render_markdown(report)
    assert "| annotator | items | shared with others | agreement with others | alpha without | agreement with gold | flag |" in markdown
    for name, s in summaries.items():
        assert f"| {s.gold_agreement:.3f} of {s.gold_items} |" in markdown


def ls_task(task_id: int, text: str, answers: list[tuple], *, question: str = "label") -> dict:
    """A Label Studio task; answers: (completed_by, choices, annotation id, updated_at) with choices a list."""
    return {"id": task_id, "data": {"text": text}, "predictions": [], "annotations": [
        {"id": ann_id, "completed_by": user, "was_cancelled": False, "ground_truth": False,
         "created_at": "2026-12-01T10:00:00Z", "updated_at": updated,
         "result": [] if choices is None else [{"from_name": question, "to_name": "text", "type": "choices",
                                                "value": {"choices": choices}}]}
        for user, choices, ann_id, updated in answers]}


def nominal_answers(tasks: list[dict]) -> dict:
    return {(str(t["id"]), str(a["completed_by"])): a["result"][0]["value"]["choices"][0].strip()
            for t in tasks for a in t["annotations"] if a["result"]}


def test_spaces_around_labels_are_stripped_in_every_tool_as_in_the_long_layout(tmp_path):
    import random
    rng = random.Random(3)
    tasks = []
    for i in range(40):
        truth = rng.choice(["Entailment", "Not entailment"])
        answers = []
        for user in (1, 2, 3):
            label = truth if rng.random() < 0.8 else ("Not entailment" if truth == "Entailment" else "Entailment")
            answers.append((user, [label + " " if user == 2 else label], i * 10 + user, "2026-12-01T10:00:00Z"))
        tasks.append(ls_task(i, f"premise {i}", answers))
    (tmp_path / "ws.json").write_text(json.dumps(tasks))
    dataset = read_export([tmp_path / "ws.json"], Config())
    assert {a.label for r in dataset.records for a in r.annotations} == {"Entailment", "Not entailment"}
    assert alpha_of(dataset, "label") == pytest.approx(reference_alpha(nominal_answers(tasks), "nominal"), abs=1e-4)
    assert flagged(dataset) == []
    rows = [{"text": t["data"]["text"], "_input_hash": t["id"], "_annotator_id": f"ann{a['completed_by']}",
             "label": "ENTAILMENT " if a["completed_by"] == 2 else "ENTAILMENT",
             "answer": "accept" if a["result"][0]["value"]["choices"][0].strip() == "Entailment" else "reject"}
            for t in tasks for a in t["annotations"]]
    (tmp_path / "b.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    binary = load_dataset(tmp_path / "b.jsonl", Config())
    assert binary.annotation_export.questions == {"ENTAILMENT": "answer"}
    assert sum(len(r.annotations) for r in binary.records) == 120  # the spaced label's answers stay on the headline


def test_one_multi_choice_answer_leaves_single_choices_their_plain_names(tmp_path):
    tasks = [ls_task(i, f"text {i}", [(1, ["Entailment"], 2 * i, ""), (2, ["Entailment" if i % 3 else "Not entailment"], 2 * i + 1, "")])
             for i in range(12)]
    (tmp_path / "single.json").write_text(json.dumps(tasks))
    single = read_export([tmp_path / "single.json"], Config())
    tasks[0]["annotations"][0]["result"][0]["value"]["choices"] = ["Not entailment", "Entailment"]
    tasks[1]["annotations"][0]["result"][0]["value"]["choices"] = ["Entailment"]
    (tmp_path / "multi.json").write_text(json.dumps(tasks))
    multi = read_export([tmp_path / "multi.json"], Config())
    assert multi.annotation_export.questions == {"label": "choices-multiple"}
    labels = [a.label for r in multi.records for a in r.annotations]
    assert labels.count('["Entailment", "Not entailment"]') == 1
    assert set(labels) == {"Entailment", "Not entailment", '["Entailment", "Not entailment"]'}
    assert [r.label for r in multi.records][1:] == [r.label for r in single.records][1:]
    # the set answer against a single choice is a partial (Jaccard) disagreement; single choices compare nominally
    answers = {(str(t["id"]), str(a["completed_by"])): frozenset(a["result"][0]["value"]["choices"])
               for t in tasks for a in t["annotations"]}
    assert alpha_of(multi, "label") == pytest.approx(reference_alpha(answers, "set"), abs=1e-4)


def test_prodigy_choice_style_multiple_makes_a_set_question_even_when_each_picked_one(tmp_path):
    rows = [{"text": f"t{i}", "_input_hash": i, "_annotator_id": f"a{k}", "answer": "accept", "accept": ["X" if (i + k) % 4 else "Y"],
             "config": {"choice_style": "multiple"}} for i in range(6) for k in range(2)]
    (tmp_path / "p.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    dataset = load_dataset(tmp_path / "p.jsonl", Config())
    assert dataset.annotation_export.questions == {"accept": "choices-multiple"}
    assert {a.label for r in dataset.records for a in r.annotations} == {"X", "Y"}


def test_the_newest_answer_wins_by_its_time_not_its_place_and_is_counted(tmp_path):
    tasks = [ls_task(i, f"text {i}", [(1, ["A"], 10 * i, "2026-12-02T10:00:00Z"), (2, ["A"], 10 * i + 1, "2026-12-01T10:00:00Z")])
             for i in range(4)]
    older = [ls_task(i, f"text {i}", [(1, ["B"], 10 * i + 5, "2026-12-01T09:00:00Z")]) for i in range(2)]
    (tmp_path / "latest.json").write_text(json.dumps(tasks))
    (tmp_path / "old-backup.json").write_text(json.dumps(older))
    dataset = read_export([tmp_path / "latest.json", tmp_path / "old-backup.json"], Config())
    assert [sorted((a.annotator, a.label) for a in r.annotations) for r in dataset.records][:2] == [[("1", "A"), ("2", "A")]] * 2
    assert "2 earlier answers replaced by the same annotator's newer answer to the same question of an item (the later " \
           "updated_at / _timestamp where both carry one, else the later in file order): only the newest counts" in \
        dataset.annotation_export.notes
    redo = [{"text": "t", "_input_hash": 1, "_annotator_id": "a1", "answer": "accept", "accept": ["NEW"], "_timestamp": 200},
            {"text": "t", "_input_hash": 1, "_annotator_id": "a1", "answer": "accept", "accept": ["OLD"], "_timestamp": 100},
            {"text": "t", "_input_hash": 1, "_annotator_id": "a2", "answer": "accept", "accept": ["NEW"], "_timestamp": 150}]
    (tmp_path / "redo.jsonl").write_text("\n".join(json.dumps(r) for r in redo))
    prodigy = load_dataset(tmp_path / "redo.jsonl", Config())
    assert sorted((a.annotator, a.label) for a in prodigy.records[0].annotations) == [("a1", "NEW"), ("a2", "NEW")]
    assert any(n.startswith("1 earlier answer replaced") for n in prodigy.annotation_export.notes)


def test_a_user_written_as_an_id_or_expanded_is_one_annotator_and_one_annotation_id_is_one_answer(tmp_path):
    plain = [ls_task(i, f"text {i}", [(1, ["A"], 10 * i, "2026-12-01T10:00:00Z"), (2, ["B" if i % 2 else "A"], 10 * i + 1, "2026-12-01T10:00:00Z")])
             for i in range(4)]
    expanded = json.loads(json.dumps(plain))
    for task in expanded:
        for annotation in task["annotations"]:
            annotation["completed_by"] = {"id": annotation["completed_by"], "email": f"user{annotation['completed_by']}@example.com"}
    (tmp_path / "a.json").write_text(json.dumps(plain))
    (tmp_path / "b.json").write_text(json.dumps(expanded))
    dataset = read_export([tmp_path / "a.json", tmp_path / "b.json"], Config())
    assert sorted({a.annotator for r in dataset.records for a in r.annotations}) == ["1", "2"]
    assert all(len(r.annotations) == 2 for r in dataset.records)
    assert not any("replaced" in n for n in dataset.annotation_export.notes)


def test_submitted_answers_with_nothing_chosen_are_counted(tmp_path):
    tasks = [ls_task(i, f"text {i}", [(1, ["A"], 10 * i, ""), (2, None if i < 3 else ["A"], 10 * i + 1, "")]) for i in range(5)]
    (tmp_path / "e.json").write_text(json.dumps(tasks))
    dataset = read_export([tmp_path / "e.json"], Config())
    assert "3 submitted answers with nothing chosen (Label Studio `result: []` or a result with no value, Prodigy " \
           "`accept: []`, an empty Argilla selection) skipped: not an answer" in dataset.annotation_export.notes
    rows = [{"text": "t", "_input_hash": 1, "_annotator_id": "a1", "answer": "accept", "accept": []},
            {"text": "t", "_input_hash": 1, "_annotator_id": "a2", "answer": "accept", "accept": ["X"]}]
    (tmp_path / "p.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    prodigy = load_dataset(tmp_path / "p.jsonl", Config())
    assert any(n.startswith("1 submitted answer with nothing chosen") for n in prodigy.annotation_export.notes)
    assert [a.annotator for a in prodigy.records[0].annotations] == ["a2"]


def test_annotators_known_only_by_e_mail_are_masked_apart_in_every_report_and_derivable(tmp_path):
    from dataaudit.api import audit
    from dataaudit.render.html import render_html
    from dataaudit.render.json_report import render_json
    from dataaudit.render.markdown import render_markdown
    from dataaudit.scan.pii import masked_form

    rows = json.loads((FIXTURES / "label_studio_min.json").read_text())
    for row in rows:
        row["annotator"] = f"Reviewer{row['annotator']}@Example.com"
    (tmp_path / "min.json").write_text(json.dumps(rows))
    report = audit(tmp_path / "min.json", Config(task_type="format"), embed=False)
    rendered = {"json": render_json(report), "md": render_markdown(report), "html": render_html(report)}
    for form, text in rendered.items():
        assert "@example.com" not in text.lower(), form
    names = sorted({row["annotator"] for row in rows})
    pseudonyms = {masked_form("email", name) for name in names}
    assert len(pseudonyms) == len(names)  # told apart
    # what a lead computes locally from an address is what the report names
    tag = hashlib.sha256(f"reviewer{RANDOM_LS}@example.com".encode()).hexdigest()[:4]
    flagged_names = json.loads(rendered["json"])["checks"]["agreement"]["annotators"]
    assert [a["annotator"] for a in flagged_names if a["flagged"]] == [f"<EMAIL ….com #{tag}>"]
    review = next(line for line in rendered["md"].splitlines() if line.startswith("1. Review annotator"))
    assert tag in review and "EMAIL" in review  # Markdown escapes the brackets; the pseudonym is the same


def test_one_annotation_in_an_old_and_a_new_export_reads_as_its_last_saved_version(tmp_path):
    new = [ls_task(i, f"text {i}", [(1, ["A"], 10 * i, "2026-12-03T09:00:00Z"), (2, ["A"], 10 * i + 1, "2026-12-01T10:00:00Z")])
           for i in range(3)]
    old = [ls_task(i, f"text {i}", [(1, ["B"], 10 * i, "2026-12-01T10:00:00Z"), (2, ["A"], 10 * i + 1, "2026-12-01T10:00:00Z")])
           for i in range(3)]
    (tmp_path / "a-old.json").write_text(json.dumps(old))  # the old backup first in file order
    (tmp_path / "b-new.json").write_text(json.dumps(new))
    dataset = read_export([tmp_path / "a-old.json", tmp_path / "b-new.json"], Config())
    assert [sorted((a.annotator, a.label) for a in r.annotations) for r in dataset.records] == [[("1", "A"), ("2", "A")]] * 3
    assert not any("replaced" in n for n in dataset.annotation_export.notes)  # an edit of one annotation, not a second answer


def test_nothing_chosen_on_a_multi_label_question_is_the_answer_none_apply(tmp_path):
    """Where several labels may be chosen (someone chose two), an empty selection says "none apply": a label,
    [], not an empty answer; where one is asked for it is no answer, counted."""
    tasks = [ls_task(i, f"text {i}", [(1, ["A", "B"] if i == 0 else ["A"], 10 * i, ""), (2, None if i < 2 else ["A"], 10 * i + 1, "")])
             for i in range(4)]
    (tmp_path / "m.json").write_text(json.dumps(tasks))
    dataset = read_export([tmp_path / "m.json"], Config())
    assert dataset.annotation_export.questions == {"label": "choices-multiple"}
    assert [sorted((a.annotator, a.label) for a in r.annotations) for r in dataset.records][:2] == [
        [("1", '["A", "B"]'), ("2", "[]")], [("1", "A"), ("2", "[]")]]
    assert not any("nothing chosen" in n for n in dataset.annotation_export.notes)
    rows = [{"text": "t", "_input_hash": 1, "_annotator_id": f"a{k}", "answer": "accept", "accept": [] if k == 1 else ["X"],
             "config": {"choice_style": "multiple"}} for k in (1, 2)]
    (tmp_path / "p.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    prodigy = load_dataset(tmp_path / "p.jsonl", Config())
    assert sorted((a.annotator, a.label) for a in prodigy.records[0].annotations) == [("a1", "[]"), ("a2", "X")]
    assert not any("nothing chosen" in n for n in prodigy.annotation_export.notes)


def test_a_label_studio_ner_annotation_with_no_entities_is_not_nothing_chosen(tmp_path):
    def ner(task_id: int, entities: list[list]) -> dict:
        return {"id": task_id, "data": {"text": f"text {task_id}"}, "annotations": [
            {"id": 10 * task_id + user, "completed_by": user, "result": [
                {"from_name": "ner", "to_name": "text", "type": "labels", "value": {"start": s, "end": e, "labels": ["PER"]}}
                for s, e in spans]} for user, spans in enumerate(entities, start=1)]}

    tasks = [ner(0, [[(0, 4)], []]), ner(1, [[], []]), ner(2, [[(0, 4)], [(0, 4)]])]
    (tmp_path / "ner.json").write_text(json.dumps(tasks))
    dataset = read_export([tmp_path / "ner.json"], Config(task_type="format"))
    assert dataset.annotation_export.questions == {"ner": "labels"}
    assert not any("nothing chosen" in n for n in dataset.annotation_export.notes)


def test_a_copied_file_counts_each_redo_and_each_empty_answer_once(tmp_path):
    """Three tasks each answered twice by annotator 1 (a redo), read from a file and its copy: 3 answers replaced,
    not 6; a Prodigy line with nothing chosen, in a file and its copy: 1 empty answer, not 2."""
    tasks = [ls_task(i, f"text {i}", [(1, ["B"], 10 * i, "2026-12-01T10:00:00Z"), (1, ["A"], 10 * i + 1, "2026-12-02T10:00:00Z"),
                                      (2, ["A"], 10 * i + 2, "2026-12-01T10:00:00Z")]) for i in range(3)]
    for name in ("a.json", "copy.json"):
        (tmp_path / name).write_text(json.dumps(tasks))
    dataset = read_export([tmp_path / "a.json", tmp_path / "copy.json"], Config())
    assert [sorted((a.annotator, a.label) for a in r.annotations) for r in dataset.records] == [[("1", "A"), ("2", "A")]] * 3
    assert [n.split(" earlier")[0] for n in dataset.annotation_export.notes if "earlier answer" in n] == ["3"]
    rows = [{"text": "t", "_input_hash": 1, "_annotator_id": "a1", "answer": "accept", "accept": []},
            {"text": "t", "_input_hash": 1, "_annotator_id": "a2", "answer": "accept", "accept": ["X"]},
            {"text": "t", "_input_hash": 1, "_annotator_id": "a3", "answer": "accept", "accept": ["X"]}]
    for name in ("p.jsonl", "p-copy.jsonl"):
        (tmp_path / name).write_text("\n".join(json.dumps(r) for r in rows))
    prodigy = read_export([tmp_path / "p.jsonl", tmp_path / "p-copy.jsonl"], Config())
    assert [n.split(" submitted")[0] for n in prodigy.annotation_export.notes if "nothing chosen" in n] == ["1"]


def test_the_question_asked_for_is_spelt_as_the_question_names_are(tmp_path):
    """Prodigy names a binary question by its label, normalised: --question "CONTRADICTION " asks for it."""
    rows = [{"text": f"t{i}", "_input_hash": i, "_annotator_id": f"a{k}", "answer": "accept" if (i + k) % 3 else "reject",
             "label": label} for i in range(4) for k in range(2) for label in ("ENTAILMENT", "CONTRADICTION ")]
    (tmp_path / "p.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    dataset = load_dataset(tmp_path / "p.jsonl", Config(fields=FieldsConfig(question="CONTRADICTION ")))
    assert dataset.annotation_export.questions == {"ENTAILMENT": "answer", "CONTRADICTION": "answer"}
    assert dataset.annotation_export.headline == "CONTRADICTION"
    assert {a.question for r in dataset.records for a in r.annotations} == {"CONTRADICTION"}
    with pytest.raises(ConfigError, match="'NEUTRAL' is not a question of this export"):
        load_dataset(tmp_path / "p.jsonl", Config(fields=FieldsConfig(question="NEUTRAL")))


def test_a_line_nested_too_deeply_is_that_lines_error_not_a_crash_of_export_detection(tmp_path):
    """Sniffing for a Prodigy export parses the first lines with json.loads, whose recursion a 3,000-deep line
    exhausts: it is the reader's to list (as "nested too deeply"), not a RecursionError out of the audit."""
    path = tmp_path / "deep.jsonl"
    path.write_text('{"text": "x", "label": "y", "meta": ' + '{"a": ' * 3000 + "null" + "}" * 3000 + "}\n"
                    + '{"text": "z", "label": "y"}\n', encoding="utf-8")
    assert detect_export(path) is None
    dataset = load_dataset(path, Config())
    assert [(e.line, e.message) for e in dataset.errors] == [(1, "JSON nested too deeply to read")]
    assert [r.line for r in dataset.records] == [2]


def test_a_json_array_whose_first_element_nests_past_pythons_limit_is_no_export(tmp_path):
    deep = tmp_path / "deep.json"
    # past the 64 KB head, so the first element is decoded on its own
    deep.write_text('[{"text": "x", "meta": ' + '{"a": ' * 3000 + "null" + "}" * 3000 + '}, {"text": "' + "y" * 70000 + '"}]\n')
    assert detect_export(deep) is None
    labelled = tmp_path / "labelled.json"
    labelled.write_text(json.dumps([{"data": {"text": "y" * 70000}, "annotations": []}]))
    assert detect_export(labelled) == "label_studio_json"  # the same path, an element that decodes


def test_an_argilla_export_in_the_current_folder_is_named_by_that_folder(tmp_path, monkeypatch):
    # Path("records.json").parent.name is "": the dataset was named "", so its history matched no earlier run.
    (tmp_path / "records.json").write_bytes((FIXTURES / "argilla" / "records.json").read_bytes())
    monkeypatch.chdir(tmp_path)
    assert load_dataset("records.json", Config()).name == tmp_path.name


def _many_intents(items: int = 120, labels: int = 60) -> list[tuple[str, str, str, str]]:
    """(item id, text, annotator, intent): `labels` intents, each item answered by three annotators who agree
    but on every fifth item, where the third picks the next intent."""
    rows = []
    for item in range(items):
        intent = f"intent_{item % labels:02d}"
        for annotator in ("u1", "u2", "u3"):
            chosen = f"intent_{(item + 1) % labels:02d}" if annotator == "u3" and item % 5 == 0 else intent
            rows.append((str(item + 1), f"customer message number {item}", annotator, chosen))
    return rows


def _nominal_alpha(rows: list[tuple[str, str, str, str]]) -> float:
    return reference_alpha({(item, annotator): intent for item, _, annotator, intent in rows}, "nominal")


def test_more_than_50_labels_without_settings_stay_a_label_question(tmp_path):
    rows = _many_intents()
    records: dict[str, dict] = {}
    for item, text, annotator, intent in rows:
        record = records.setdefault(item, {"fields": {"text": text}, "responses": [], "external_id": item})
        record["responses"].append({"user_id": annotator, "values": {"intent": {"value": intent}}, "status": "submitted"})
    argilla = tmp_path / "argilla_v1.json"
    argilla.write_text(json.dumps(list(records.values())))
    minimal = tmp_path / "ls_min.json"
    minimal.write_text(json.dumps([{"text": text, "id": int(item), "intent": intent, "annotator": f"{annotator}@x.example",
                                    "annotation_id": number, "created_at": "2026-12-01T10:00:00Z", "lead_time": 2.0}
                                   for number, (item, text, annotator, intent) in enumerate(rows, start=1)]))
    expected = _nominal_alpha(rows)
    assert 0.7 < expected < 0.9
    for path in (argilla, minimal):
        dataset = load_dataset(path, Config())
        assert dataset.annotation_export.questions == {"intent": "choices"}, path
        assert len({r.label for r in dataset.records}) == 60
        assert round(alpha_of(dataset, "intent"), 3) == round(expected, 3), path


def test_free_text_answers_stay_free_text_however_they_repeat(tmp_path):
    # a stock reply given by most annotators does not make free text a label set: the rest are sentences
    records = [{"fields": {"text": f"message {n}"}, "external_id": str(n), "responses": [
        {"user_id": annotator, "status": "submitted", "values": {"comment": {"value":
            "ok" if (n + index) % 3 else f"the customer asks about order {n} and seems annoyed by the delay"}}}
        for index, annotator in enumerate(("u1", "u2", "u3"))]} for n in range(30)]
    path = tmp_path / "records.json"
    path.write_text(json.dumps(records))
    assert load_dataset(path, Config()).annotation_export.questions == {"comment": "textarea"}


def _ls_tasks(count: int) -> list[dict]:
    return [{"id": n, "data": {"text": f"message number {n}"}, "annotations": [
        {"id": 10 * n + k, "completed_by": k, "result": [{"from_name": "intent", "to_name": "text", "type": "choices",
                                                          "value": {"choices": ["billing" if n % 2 else "refund"]}}]}
        for k in (1, 2)]} for n in range(1, count + 1)]


def test_an_export_cut_off_mid_way_keeps_the_elements_before_the_break(tmp_path):
    whole = json.dumps(_ls_tasks(12)).encode()
    path = tmp_path / "cut.json"
    path.write_bytes(whole[:whole.index(b'"message number 9"') + 10])  # cut inside task 9's text
    dataset = load_dataset(path, Config())
    assert [r.record_id for r in dataset.records] == [str(n) for n in range(1, 9)]
    assert [(e.line, e.field, e.message) for e in dataset.errors] == [
        (9, "(json)", "invalid JSON in element 9: Unterminated string; the elements after it were not read")]
    assert (dataset.total, dataset.invalid) == (9, 1)
    rows = [{"text": f"message number {t['id']}", "id": t["id"], "intent": a["result"][0]["value"]["choices"][0],
             "annotator": f"a{a['completed_by']}@x.example", "annotation_id": a["id"]} for t in _ls_tasks(12)
            for a in t["annotations"]]
    whole = json.dumps(rows).encode()
    path.write_bytes(whole[:whole.index(b'"message number 7"') + 10])  # rows 13 and 14 hold task 7
    dataset = load_dataset(path, Config())
    assert [r.record_id for r in dataset.records] == [str(n) for n in range(1, 7)]
    assert [(e.line, e.field) for e in dataset.errors] == [(13, "(json)")] and dataset.total == 13


def test_a_prodigy_json_error_says_its_position_once(tmp_path):
    prodigy = tmp_path / "answers.jsonl"
    line = {"text": "hello", "_input_hash": 1, "answer": "accept", "label": "GREETING", "_annotator_id": "a"}
    prodigy.write_text(json.dumps(line) + '\n{"text": "cut\n')
    dataset = load_dataset(prodigy, Config())
    assert [(e.line, e.message) for e in dataset.errors] == [(2, "invalid JSON: Unterminated string at column 10")]


def test_a_json_min_export_with_sorted_keys_reads_its_input_by_the_values(tmp_path):
    rows = json.loads((FIXTURES / "label_studio_min.json").read_text())
    real = load_dataset(FIXTURES / "label_studio_min.json", Config())
    path = tmp_path / "sorted.json"
    path.write_text(json.dumps(rows, sort_keys=True))  # as jq -S writes it: annotation_id, annotator, ... first
    dataset = load_dataset(path, Config())
    # the task data are the fields the same in every row of a task: text and channel, never the annotator
    # (in the sorted keys' order: the order Label Studio wrote them in is lost)
    assert [sorted(r.input_text.split("\n")) for r in dataset.records] == [sorted(r.input_text.split("\n")) for r in real.records]
    assert dataset.records[0].input_text == "chat\nmy card was charged twice (ticket 1)"
    assert dataset.annotation_export.questions == {q: real.annotation_export.questions[q]
                                                    for q in dataset.annotation_export.questions}
    assert set(dataset.annotation_export.questions) == set(real.annotation_export.questions)
    assert round(alpha_of(dataset, "intent"), 6) == round(alpha_of(real, "intent"), 6)
    assert not any("fields.text_fields" in n for n in dataset.annotation_export.notes)


def test_a_re_serialised_json_min_with_one_row_per_task_says_which_input_it_guessed(tmp_path):
    rows = [{"annotation_id": n, "annotator": "a@x.example", "id": n, "intent": "billing" if n % 2 else "refund",
             "text": f"message number {n}"} for n in range(1, 11)]
    path = tmp_path / "sorted.json"
    path.write_text(json.dumps(rows))
    dataset = load_dataset(path, Config())
    assert dataset.records[0].input_text == "message number 1"
    assert [n for n in dataset.annotation_export.notes if "fields.text_fields" in n] == [
        f"{path}: the input fields were told from the values, and no task has several rows to tell task data from "
        "answers: read text as the input; name the input fields with fields.text_fields to be exact"]


def test_a_prodigy_accept_not_a_list_is_a_record_error_and_an_option_not_offered_is_counted(tmp_path):
    options = [{"id": "card_arrival", "text": "card arrival"}, {"id": "pin_blocked", "text": "pin blocked"}]

    def line(n: int, annotator: str, accept) -> str:
        return json.dumps({"text": f"message {n}", "_input_hash": n, "options": options, "accept": accept,
                           "answer": "accept", "config": {"choice_style": "single"}, "_annotator_id": annotator})

    path = tmp_path / "answers.jsonl"
    path.write_text("\n".join([line(1, "a", ["card_arrival"]), line(1, "b", "card_arrival"),
                               line(2, "a", ["pin_blocked"]), line(2, "b", ["not_an_option"])]) + "\n")
    dataset = load_dataset(path, Config())
    assert [(e.source, e.line, e.field) for e in dataset.errors] == [(str(path), 2, "accept")]
    assert dataset.errors[0].message.startswith("expected a list of the chosen option ids, got 'card_arrival'")
    export = dataset.annotation_export
    assert export.questions == {"accept": "choices"}  # no phantom question "answer"
    assert [(a.annotator, a.label) for r in dataset.records for a in r.annotations] == [
        ("a", "card_arrival"), ("a", "pin_blocked"), ("b", "not_an_option")]
    assert [n for n in export.notes if "options" in n] == [
        "1 Prodigy choice answer with an option the task's `options` do not offer: kept as given; check the "
        "recipe's options (or the export)"]


def test_a_label_studio_result_with_no_value_is_counted_and_an_annotation_without_its_user_is_anonymous(tmp_path):
    def annotation(number: int, user, value: dict) -> dict:
        annotation = {"id": number, "result": [{"from_name": "intent", "to_name": "text", "type": "choices", "value": value}]}
        if user is not None:
            annotation["completed_by"] = user
        return annotation

    tasks = [{"id": 1, "data": {"text": "one"}, "annotations": [annotation(1, 7, {"choices": [None]}),
                                                                annotation(2, 8, {"choices": ["billing"]})]},
             {"id": 2, "data": {"text": "two"}, "annotations": [annotation(3, 7, {}), annotation(4, 8, {"choices": ["refund"]})]},
             {"id": 3, "data": {"text": "three"}, "annotations": [annotation(5, None, {"choices": ["refund"]}),
                                                                  annotation(6, None, {"choices": ["billing"]}),
                                                                  annotation(7, 8, {"choices": ["refund"]})]}]
    path = tmp_path / "export.json"
    path.write_text(json.dumps(tasks))
    dataset = load_dataset(path, Config())
    labels = [[(a.annotator, a.label) for a in r.annotations] for r in dataset.records]
    assert labels == [[("8", "billing")], [("8", "refund")],
                      [("(unknown #1)", "refund"), ("(unknown #2)", "billing"), ("8", "refund")]]
    notes = dataset.annotation_export.notes
    assert any(n.startswith("2 submitted answers with nothing chosen") for n in notes)
    assert f"{path}: 2 annotations carry no completed_by, so each is read as its own anonymous annotator " \
           "('(unknown #n)'): alpha counts every answer, and they get no per-annotator figures of their own (named " \
           "annotators' figures count them among the others); export from the server " \
           "(or --label-studio), which names every annotation's user" in notes


def test_a_value_quoted_in_an_error_is_masked_before_it_is_cut(tmp_path):
    # the address sits past the 60th character: cut first, "bob.smith@exam" was left for no masker to recognise
    accept = "x" * 44 + " bob.smith@example.org"
    prodigy = tmp_path / "answers.jsonl"
    prodigy.write_text(json.dumps({"text": "hello", "_input_hash": 1, "answer": "accept", "accept": accept,
                                   "_annotator_id": "a"}) + "\n")
    minimal = tmp_path / "ls_min.json"
    minimal.write_text(json.dumps([{"text": "hello", "id": 1, "intent": {"note": accept}, "annotator": 1,
                                    "annotation_id": 1}]))
    for path, field, said in ((prodigy, "accept", "expected a list of the chosen option ids, got 'xxxx"),
                              (minimal, "intent", "unrecognised answer value {'note': 'xxxx")):
        [error] = load_dataset(path, Config()).errors
        assert error.field == field and error.message.startswith(said), path
        assert "<EMAIL" in error.message and "bob" not in error.message and "example" not in error.message, path


def _min_rows_that_agree(tasks: int = 8) -> list[dict]:
    return [{"text": f"review number {n}", "id": n, "sentiment": "Positive" if n % 2 else "Negative",
             "annotator": annotator, "annotation_id": 10 * n + annotator, "created_at": "2024-01-01T00:00:00Z",
             "updated_at": "2024-01-01T00:00:00Z", "lead_time": 3.0} for n in range(1, tasks + 1) for annotator in (1, 2)]


def test_a_json_min_export_with_sorted_keys_where_annotators_always_agree_keeps_its_answer(tmp_path):
    # the agreed answer is the same in every row of a task, as task data is: a label set is still the answer
    path = tmp_path / "sorted.json"
    path.write_text(json.dumps(_min_rows_that_agree(), sort_keys=True))
    dataset = load_dataset(path, Config())
    assert [r.input_text for r in dataset.records] == [f"review number {n}" for n in range(1, 9)]
    assert [r.label for r in dataset.records] == ["Positive" if n % 2 else "Negative" for n in range(1, 9)]
    assert dataset.annotation_export.questions == {"sentiment": "choices"}
    assert alpha_of(dataset, "sentiment") == 1.0
    # one column only, the same in every row of a task: it must be the answer, the input then unknown and said
    path.write_text(json.dumps([{"annotation_id": row["annotation_id"], "annotator": row["annotator"], "id": row["id"],
                                 "sentiment": row["sentiment"]} for row in _min_rows_that_agree()]))
    dataset = load_dataset(path, Config())
    assert dataset.annotation_export.questions == {"sentiment": "choices"}


def test_a_user_with_neither_id_nor_email_is_anonymous_numbered_and_counted(tmp_path):
    tasks = [{"id": n, "data": {"text": f"message {n}"}, "annotations": [
        {"id": 10 * n + k, "completed_by": {"first_name": f"name{k}"},
         "result": [{"from_name": "intent", "to_name": "text", "type": "choices", "value": {"choices": ["billing"]}}]}
        for k in (1, 2)]} for n in (1, 2)]
    path = tmp_path / "export.json"
    path.write_text(json.dumps(tasks))
    dataset = load_dataset(path, Config())
    assert [[a.annotator for a in r.annotations] for r in dataset.records] == [["(unknown #1)", "(unknown #2)"]] * 2
    assert any(n.startswith(f"{path}: 4 annotations carry no completed_by") for n in dataset.annotation_export.notes)


def test_the_guessed_input_note_names_fields_as_field_names_are_shown(tmp_path):
    # a field name is the dataset's: an address or an escape in it is masked and shown, as in every message
    rows = [{"annotation_id": n, "annotator": 1, "id": n, "intent": "billing" if n % 2 else "refund",
             "mail bob.smith@example.org\x1b[31m": f"message number {n}"} for n in range(1, 11)]
    path = tmp_path / "sorted.json"
    path.write_text(json.dumps(rows))
    [note] = [n for n in load_dataset(path, Config()).annotation_export.notes if "fields.text_fields" in n]
    assert "bob" not in note and "\x1b" not in note and "<EMAIL" in note


def test_a_rating_that_is_no_number_is_its_rows_error_with_the_value_masked(tmp_path):
    # Python's own words quote the value: they pass through the excerpt too (JSON-MIN stopped on a traceback)
    address = "bob.smith@example.org"
    full = tmp_path / "export.json"
    full.write_text(json.dumps([{"id": n, "data": {"text": f"message {n}"}, "annotations": [{"id": n, "completed_by": 1, "result": [
        {"from_name": "quality", "to_name": "text", "type": "rating", "value": {"rating": address if n == 1 else 3}}]}]}
        for n in (1, 2)]))
    minimal = tmp_path / "ls_min.json"
    minimal.write_text(json.dumps([{"text": f"message {n}", "id": n, "quality": [{"rating": address if n == 1 else 3}],
                                    "annotator": 1, "annotation_id": n} for n in (1, 2)]))
    for path, field in ((full, "annotations[0].result"), (minimal, "quality")):
        dataset = load_dataset(path, Config())
        assert [(e.line, e.field) for e in dataset.errors] == [(1, field)], path
        assert dataset.errors[0].message.startswith("unreadable value (could not convert string to float: '<EMAIL")
        assert "bob" not in dataset.errors[0].message and [r.record_id for r in dataset.records] == ["2"]


def test_question_names_a_message_lists_are_shown_as_field_names(tmp_path):
    # a question is named by the export (a Prodigy label, an Argilla question): the dataset's words, masked
    path = tmp_path / "answers.jsonl"
    path.write_text("".join(json.dumps({"text": f"message {n}", "_input_hash": n, "answer": "accept",
                                        "label": "ask bob.smith@example.org", "_annotator_id": a}) + "\n"
                            for n in (1, 2) for a in ("a", "b")))
    with pytest.raises(ConfigError) as raised:
        load_dataset(path, Config(fields=FieldsConfig(question="nope")))
    assert str(raised.value).startswith("fields.question: 'nope' is not a question of this export (questions: ask <EMAIL")
    assert "bob" not in str(raised.value)


def _anonymous_task(task_id: int, text: str, answers: list[tuple[int, str, str]]) -> dict:
    """A Label Studio task whose annotations name no user; answers: (annotation id, choice, updated_at)."""
    return {"id": task_id, "data": {"text": text}, "predictions": [], "annotations": [
        {"id": ann_id, "created_at": updated, "updated_at": updated,
         "result": [{"from_name": "sentiment", "to_name": "text", "type": "choices", "value": {"choices": [choice]}}]}
        for ann_id, choice, updated in answers]}


def test_anonymous_answers_to_one_task_in_two_files_are_two_answers_not_a_redo(tmp_path):
    """Each file numbers its task's unnamed answers from '(unknown #1)': joined, the second file's is another
    answer, not the first one's redo (it was read as superseded, and 4 answers loaded as 2)."""
    first = [_anonymous_task(1, "good stuff", [(11, "pos", "2024-01-01T00:00:00Z")]),
             _anonymous_task(2, "bad stuff", [(21, "neg", "2024-01-01T00:00:00Z")])]
    second = [_anonymous_task(1, "good stuff", [(12, "neg", "2024-01-02T00:00:00Z")]),
              _anonymous_task(2, "bad stuff", [(22, "neg", "2024-01-02T00:00:00Z")])]
    whole = [_anonymous_task(t["id"], t["data"]["text"], [(a["id"], a["result"][0]["value"]["choices"][0], a["updated_at"])
                                                          for a in t["annotations"] + u["annotations"]])
             for t, u in zip(first, second)]
    for name, tasks in (("a.json", first), ("b.json", second), ("whole.json", whole)):
        (tmp_path / name).write_text(json.dumps(tasks))
    split = read_export([tmp_path / "a.json", tmp_path / "b.json"], Config())
    one = read_export([tmp_path / "whole.json"], Config())
    expected = [[("(unknown #1)", "pos"), ("(unknown #2)", "neg")], [("(unknown #1)", "neg"), ("(unknown #2)", "neg")]]
    assert [sorted((a.annotator, a.label) for a in r.annotations) for r in split.records] == expected
    assert [sorted((a.annotator, a.label) for a in r.annotations) for r in one.records] == expected
    assert not any("replaced" in n for n in split.annotation_export.notes)
    # the second file read again (a copy, or an older export holding an answer already met) adds nothing
    (tmp_path / "b-copy.json").write_text(json.dumps(second))
    (tmp_path / "old.json").write_text(json.dumps([_anonymous_task(1, "good stuff", [(12, "neg", "2024-01-02T00:00:00Z")])]))
    again = read_export([tmp_path / "whole.json", tmp_path / "b-copy.json", tmp_path / "old.json"], Config())
    assert [sorted((a.annotator, a.label) for a in r.annotations) for r in again.records] == expected
    assert not any("replaced" in n for n in again.annotation_export.notes)


def test_anonymous_prodigy_answers_in_two_files_are_each_counted(tmp_path):
    def line(stamp: int, choice: str) -> str:
        return json.dumps({"text": "t", "_input_hash": 1, "_timestamp": stamp, "answer": "accept", "accept": [choice]})

    (tmp_path / "a.jsonl").write_text(line(100, "X"))
    (tmp_path / "b.jsonl").write_text(line(200, "Y"))
    dataset = read_export([tmp_path / "a.jsonl", tmp_path / "b.jsonl"], Config())
    assert sorted((a.annotator, a.label) for a in dataset.records[0].annotations) == [("(unknown #1)", "X"), ("(unknown #2)", "Y")]
    assert not any("replaced" in n for n in dataset.annotation_export.notes)
    copied = read_export([tmp_path / "a.jsonl", tmp_path / "a.jsonl"], Config())
    assert [(a.annotator, a.label) for a in copied.records[0].annotations] == [("(unknown #1)", "X")]


def test_anonymous_answers_from_two_files_are_the_same_whatever_the_file_order(tmp_path):
    """File b holds two unnamed answers ('(unknown #1)', '(unknown #2)', both Y at one time): read after file a,
    its #1 was renumbered #2 and then met b's own #2, which read as its copy and was dropped (2 answers one
    way, 3 the other). Each file's numbers map to names of their own."""
    def line(stamp: int, choice: str) -> str:
        return json.dumps({"text": "t", "_input_hash": 1, "_timestamp": stamp, "answer": "accept", "accept": [choice]})

    (tmp_path / "a.jsonl").write_text(line(100, "X") + "\n")
    (tmp_path / "b.jsonl").write_text(line(200, "Y") + "\n" + line(200, "Y") + "\n")
    for files in (["a.jsonl", "b.jsonl"], ["b.jsonl", "a.jsonl"]):
        dataset = read_export([tmp_path / name for name in files], Config())
        answers = dataset.records[0].annotations
        assert sorted(a.label for a in answers) == ["X", "Y", "Y"], files
        assert len({a.annotator for a in answers}) == 3, files
        assert not any("replaced" in n for n in dataset.annotation_export.notes), files
    # a copy of b beside both: each of its numbers meets the answer it copies, so nothing is added
    (tmp_path / "b-copy.jsonl").write_text((tmp_path / "b.jsonl").read_text())
    again = read_export([tmp_path / "a.jsonl", tmp_path / "b.jsonl", tmp_path / "b-copy.jsonl"], Config())
    assert sorted(a.label for a in again.records[0].annotations) == ["X", "Y", "Y"]
    assert not any("replaced" in n for n in again.annotation_export.notes)


def test_argilla_responses_without_a_user_are_each_an_anonymous_answer(tmp_path):
    records = [{"id": f"r{n}", "fields": {"text": f"text {n}"}, "responses": {"label": [
        {"value": value, "status": "submitted"} for value in values]}} for n, values in enumerate((["A", "B"], ["A", "A"]))]
    (tmp_path / "records.json").write_text(json.dumps(records))
    dataset = read_export([tmp_path], Config())
    assert [sorted((a.annotator, a.label) for a in r.annotations) for r in dataset.records] == [
        [("(unknown #1)", "A"), ("(unknown #2)", "B")], [("(unknown #1)", "A"), ("(unknown #2)", "A")]]
    assert not any("replaced" in n for n in dataset.annotation_export.notes)
    assert any(n.startswith(f"{tmp_path / 'records.json'}: 4 responses carry no user_id") for n in dataset.annotation_export.notes)


def test_prodigy_annotator_ids_are_spelt_as_labels_and_a_blank_one_is_anonymous(tmp_path):
    rows = [{"text": "refund please", "_input_hash": 1, "_task_hash": 11, "answer": "accept", "_annotator_id": "ann-b"},
            {"text": "refund please", "_input_hash": 1, "_task_hash": 11, "answer": "reject", "_annotator_id": " ann-b "},
            {"text": "refund please", "_input_hash": 1, "_task_hash": 11, "answer": "reject", "_annotator_id": "  "},
            {"text": "refund please", "_input_hash": 1, "_task_hash": 11, "answer": "accept", "_annotator_id": "  "}]
    path = tmp_path / "p.jsonl"
    path.write_text("\n".join(json.dumps(row) for row in rows), encoding="utf-8")
    dataset = load_dataset(path, Config())
    # ann-b's second answer replaces the first (one annotator); the blank ids are two anonymous answers
    assert sorted((a.annotator, a.label) for a in dataset.records[0].annotations) == [
        ("(unknown #1)", "reject"), ("(unknown #2)", "accept"), ("ann-b", "reject")]


def test_a_tied_rating_takes_the_lower_median_answer_and_a_tied_choice_the_first_label(tmp_path):
    # QA (probe41): a tie among numeric answers went to the string-smallest ("10" before "9")
    def task(task_id: int, ratings: list[int], choices: list[str]) -> dict:
        return {"id": task_id, "data": {"text": f"message {task_id}"}, "annotations": [
            {"id": 10 * task_id + user, "completed_by": user, "result": [
                {"from_name": "quality", "to_name": "text", "type": "rating", "value": {"rating": rating}},
                {"from_name": "intent", "to_name": "text", "type": "choices", "value": {"choices": [choice]}}]}
            for user, (rating, choice) in enumerate(zip(ratings, choices), 1)]}

    path = tmp_path / "export.json"
    path.write_text(json.dumps([task(1, [9, 10, 2], ["b", "c", "a"]), task(2, [4, 4, 10], ["b", "b", "a"])]))
    ratings = load_dataset(path, Config(fields=FieldsConfig(question="quality")))
    assert [r.label for r in ratings.records] == ["9", "4"]
    choices = load_dataset(path, Config(fields=FieldsConfig(question="intent")))
    assert [r.label for r in choices.records] == ["a", "b"]
    likert = Config(fields=FieldsConfig(question="intent"))
    likert.agreement.level, likert.agreement.ordinal_order = "ordinal", ["c", "b", "a"]
    assert [r.label for r in load_dataset(path, likert).records] == ["b", "b"]  # a b c tied: the middle one on the scale


def test_a_plain_file_beside_an_export_is_refused_whatever_their_order_naming_a_file_of_each_kind(tmp_path):
    """QA: a plain file sorted first read a Prodigy export as plain records (accept / reject dropped, every line a
    training example labelled ENTAILMENT); the other order was refused naming the first file only."""
    from dataaudit.config import Config
    from dataaudit.errors import InputError
    from dataaudit.load.dataset import load_dataset

    plain = tmp_path / "a_plain.jsonl"
    plain.write_text('{"text": "hello", "label": "a"}\n', encoding="utf-8")
    prodigy = tmp_path / "b_prodigy.jsonl"
    prodigy.write_text("".join(json.dumps({"text": f"premise {i}", "label": "ENTAILMENT", "answer": "accept" if i % 2 else "reject",
                                           "_input_hash": i, "_task_hash": i, "_annotator_id": "ann-1", "_session_id": "s"}) + "\n"
                               for i in range(4)), encoding="utf-8")
    for order in ([plain, prodigy], [prodigy, plain]):
        with pytest.raises(InputError) as info:
            load_dataset(order, Config())
        message = str(info.value)
        assert f"{plain} (not an annotation-tool export)" in message and f"{prodigy} (a Prodigy export)" in message


def test_a_prodigy_hash_shared_by_two_texts_is_two_items_in_one_file_as_in_two(tmp_path):
    """A hash of a shared premise keys two texts: within one file the second text was dropped and its answers
    counted as the first text's annotators' redo."""
    lines = [{"text": text, "label": "POS", "_input_hash": key, "answer": answer, "_annotator_id": annotator}
             for text, key, answers in (("The bank is closed on Sunday.", 42, ("accept", "accept")),
                                        ("My card never arrived.", 42, ("reject", "reject")),
                                        ("Rates went up again.", 7, ("accept", "reject")))
             for annotator, answer in zip(("ann-a", "ann-b"), answers)]
    (tmp_path / "one.jsonl").write_text("\n".join(json.dumps(line) for line in lines))
    (tmp_path / "f1.jsonl").write_text("\n".join(json.dumps(line) for line in lines[:2]))
    (tmp_path / "f2.jsonl").write_text("\n".join(json.dumps(line) for line in lines[2:]))
    one = read_export([tmp_path / "one.jsonl"], Config())
    two = read_export([tmp_path / "f1.jsonl", tmp_path / "f2.jsonl"], Config())
    shared = ("1 item id carries different input texts (the first: item '42', 2 texts): each text is read as an item "
              "of its own, its answers kept apart")
    for dataset in (one, two):
        assert [(r.record_id, r.input_text, r.label) for r in dataset.records] == [
            ("42", "The bank is closed on Sunday.", "accept"), ("42", "My card never arrived.", "reject"),
            ("7", "Rates went up again.", "accept")]
        assert [len(r.annotations) for r in dataset.records] == [2, 2, 2]
        assert shared in dataset.annotation_export.notes
        assert not any("replaced" in note for note in dataset.annotation_export.notes)
    # a third file holding the second text again joins that text's item, not the first text's
    (tmp_path / "f3.jsonl").write_text(json.dumps({**lines[2], "_annotator_id": "ann-c"}))
    three = read_export([tmp_path / "one.jsonl", tmp_path / "f3.jsonl"], Config())
    assert [(r.input_text, len(r.annotations)) for r in three.records] == [
        ("The bank is closed on Sunday.", 2), ("My card never arrived.", 3), ("Rates went up again.", 2)]


def test_a_csv_export_cut_off_mid_row_says_so_as_a_json_export_does(tmp_path):
    """A download stopped inside the last row's text: its missing cells were read as empty and its answer counted."""
    whole = (FIXTURES / "label_studio.csv").read_bytes()
    last_text = whole.rindex(b'"the refund is still pending (ticket 30)"')
    path = tmp_path / "cut.csv"
    path.write_bytes(whole[:last_text + 8])  # cut inside the last row's `text` cell, quoted
    complete = load_dataset(FIXTURES / "label_studio.csv", Config())
    dataset = load_dataset(path, Config())
    assert (dataset.total, dataset.invalid) == (complete.total, 1) == (127, 1)
    assert [(e.line, e.field, e.message) for e in dataset.errors] == [
        (127, "(csv)", "the file ends inside this row (12 of the header's 15 cells): the export was cut off mid-way (a "
                       "download stopped early?), so this row was not read and any rows after it are missing; export it again")]
    assert sum(len(r.annotations) for r in dataset.records) == sum(len(r.annotations) for r in complete.records) - 1
    header = ["annotation_id", "annotator", "created_at", "id", "lead_time", "sentiment", "text", "updated_at"]
    rows = [[str(n), f"a{k}", "2026-11-01T09:00:00Z", str(n // 2), "3.0", "pos" if n % 3 else "neg",
             f"message {n // 2}", "2026-11-01T09:00:00Z"] for n, k in zip(range(12), (1, 2) * 6)]
    rows[4] = rows[4][:6]  # a short row inside the file, and the last one cut in its text, unquoted
    rows[-1] = rows[-1][:6] + ["messa"]
    path.write_text(",".join(header) + "\n" + "\n".join(",".join(row) for row in rows))
    dataset = load_dataset(path, Config(fields=FieldsConfig(text_fields=["text"])))
    assert [(e.line, e.message.split(":")[0]) for e in dataset.errors] == [
        (5, "row has 6 of the header's 8 cells (cut short?); not read"),
        (12, "the file ends inside this row (7 of the header's 8 cells)")]
    assert (dataset.total, dataset.invalid) == (12, 2)
    assert [(r.record_id, len(r.annotations)) for r in dataset.records] == [("0", 2), ("1", 2), ("2", 1), ("3", 2),
                                                                           ("4", 2), ("5", 1)]


def test_items_answered_only_on_other_questions_than_the_headline_are_said_to_carry_no_label(tmp_path):
    """Answered on another question only, an item has no training label: it passed as a labelled example unsaid."""
    tasks = json.loads((FIXTURES / "label_studio.json").read_text())
    for task in tasks[:4]:
        for annotation in task["annotations"]:
            annotation["result"] = [r for r in annotation["result"] if r["from_name"] != "intent"]
    (tmp_path / "ls.json").write_text(json.dumps(tasks))
    dataset = load_dataset(tmp_path / "ls.json", Config(fields=FieldsConfig(question="intent")))
    assert [r.record_id for r in dataset.records if r.label is None] == ["1", "2", "3", "4"]
    assert ("4 items have no answer to the headline question intent (answered on other questions: quality, tags, "
            "topic, urgency): no training label (name the label's question with --question if it is another)"
            in dataset.annotation_export.notes)
    lines = [{"text": f"message {n}", "label": "POSITIVE" if n < 3 else "NEGATIVE", "_input_hash": n,
              "answer": "accept" if n % 2 else "reject", "_annotator_id": annotator}
             for n in range(5) for annotator in ("a", "b")]
    (tmp_path / "teach.jsonl").write_text("\n".join(json.dumps(line) for line in lines))
    teach = load_dataset(tmp_path / "teach.jsonl", Config())
    assert [r.label for r in teach.records] == ["reject", "accept", "reject", None, None]
    assert [n for n in teach.annotation_export.notes if "headline" in n] == [
        "2 items have no answer to the headline question POSITIVE (answered on other questions: NEGATIVE): no "
        "training label (name the label's question with --question if it is another)"]
    # every item answered on the headline: nothing to say
    assert not any("headline" in n for n in load_dataset(FIXTURES / "label_studio.json", Config()).annotation_export.notes)
