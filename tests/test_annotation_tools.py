"""Annotation-tool exports read into records: every kind, against the `krippendorff` package on the same labels.

The reference alphas are computed here straight from the fixture files (a second, independent reading of the
export), so a reader that drops, invents or mislabels an answer shows as a different alpha.
"""

from __future__ import annotations

import csv
import json
from datetime import datetime, timezone
from pathlib import Path

import krippendorff
import numpy as np
import pytest

from dataaudit.checks.agreement import measure_agreement
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
    path.write_text(json.dumps([{"id": 1, "annotations": [], "data": {"text": "fine"}},
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
