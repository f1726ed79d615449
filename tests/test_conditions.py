"""Each necessary condition at its thresholds (pass / warn / fail / unknown), through the checks that judge it,
on small datasets written for this test (embeddings off: the lexical and label-count rules decide)."""

from __future__ import annotations

import pytest

from dataaudit.api import audit
from dataaudit.config import Config
from tests.conftest import write_jsonl

WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet", "kilo", "lima"]


def _text(i: int) -> str:
    # Distinct texts that share no template: no two are near duplicates of each other.
    return f"{WORDS[i % 12]} {WORDS[(i // 12) % 12]} {WORDS[(i // 144) % 12]} request number {i * 7919 % 100003}"


def _rows(n: int, labels=("a", "b")) -> list[dict]:
    return [{"text": _text(i), "label": labels[i % len(labels)]} for i in range(n)]


def _status(tmp_path, rows, condition, config=None, **kwargs) -> str:
    report = audit(write_jsonl(tmp_path / "train.jsonl", rows), config or Config(), embed=False, **kwargs)
    return {c.id: c.status for c in report.verdict.conditions}.get(condition, "not judged")


@pytest.mark.parametrize("invalid,expected", [(0, "pass"), (1, "warn"), (5, "warn"), (6, "fail")])
def test_format_at_its_bounds(tmp_path, invalid, expected):
    # 100 rows: warn above 0% invalid, fail above 5%.
    rows = _rows(100 - invalid) + ['{"text": "broken' for _ in range(invalid)]
    assert _status(tmp_path, rows, "format") == expected


@pytest.mark.parametrize("usable,expected", [(99, "fail"), (100, "pass")])
def test_scale_at_the_format_task_threshold(tmp_path, usable, expected):
    config = Config(task_type="format")
    assert _status(tmp_path, _rows(usable), "scale", config) == expected


def test_scale_warns_on_a_rare_label(tmp_path):
    config = Config(task_type="format")
    rows = _rows(120) + [{"text": _text(500 + i), "label": "rare"} for i in range(3)]
    assert _status(tmp_path, rows, "scale", config) == "warn"


@pytest.mark.parametrize("copies,expected", [(0, "pass"), (2, "pass"), (3, "warn"), (10, "warn"), (11, "fail")])
def test_hygiene_duplicate_share_bounds(tmp_path, copies, expected):
    # 100 rows with `copies` exact copies of earlier rows (same label): warn above 2%, fail above 10%.
    rows = _rows(100 - copies) + [{"text": _text(i * 2), "label": "a"} for i in range(copies)]
    assert _status(tmp_path, rows, "hygiene") == expected


def test_hygiene_fails_on_one_conflict_or_one_leak(tmp_path):
    rows = _rows(100) + [{"text": _text(0), "label": "b"}]  # row 1 again, other label
    assert _status(tmp_path, rows, "hygiene") == "fail"
    eval_path = write_jsonl(tmp_path / "eval.jsonl", [{"text": _text(3)}, {"text": "something else entirely"}])
    assert _status(tmp_path, _rows(100), "hygiene", eval_path=eval_path) == "fail"


def _annotated(n_items: int, agree_every: int) -> list[dict]:
    # Three annotators; on every `agree_every`-th item the third disagrees.
    rows = []
    for i in range(n_items):
        label = "a" if i % 2 else "b"
        third = ("b" if label == "a" else "a") if agree_every and i % agree_every == 0 else label
        rows.append({"text": _text(i), "annotations": [{"annotator": "x", "label": label}, {"annotator": "y", "label": label},
                                                         {"annotator": "z", "label": third}]})
    return rows


@pytest.mark.parametrize("agree_every,expected", [(0, "pass"), (7, "pass"), (6, "warn"), (5, "warn"), (4, "fail")])
def test_consistency_from_agreement(tmp_path, agree_every, expected):
    # krippendorff gives alpha 1.0, 0.8006 (every 7th item disputed), 0.7756 (6th), 0.7341 (5th), 0.6581 (4th).
    assert _status(tmp_path, _annotated(120, agree_every), "consistency") == expected


def test_consistency_unknown_with_one_label_and_no_embeddings(tmp_path):
    assert _status(tmp_path, _rows(120), "consistency") == "unknown"


def test_coverage_unknown_without_production_and_without_embeddings(tmp_path):
    assert _status(tmp_path, _rows(120), "coverage") == "unknown"
    production = write_jsonl(tmp_path / "prod.jsonl", [{"text": _text(i)} for i in range(50)])
    assert _status(tmp_path, _rows(120), "coverage", production=production) == "unknown"
