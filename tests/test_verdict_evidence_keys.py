"""A condition's evidence has the same keys on every run, null where no finding gave one (README, report JSON):
a script comparing two runs, or reading one key, must not meet a key that comes and goes with the data's shape."""

from __future__ import annotations

import json

import pytest

from dataaudit.api import audit
from dataaudit.checks import coverage, label_noise
from dataaudit.checks.base import AuditContext
from dataaudit.config import Config
from dataaudit.decide.conditions import CONDITION_IDS, SPECS
from dataaudit.decide.verdict import decide
from tests.test_label_noise import _reliable

WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet", "kilo", "lima"]


def _text(i: int) -> str:
    return f"{WORDS[i % 12]} {WORDS[(i // 12) % 12]} {WORDS[(i // 144) % 12]} request number {i * 7919 % 100003}"


SHAPES = {
    "single_label": [{"text": _text(i), "label": "ab"[i % 2]} for i in range(60)],
    "annotated": [{"id": f"u{i}", "text": _text(i), "annotations": [{"annotator": "A", "label": "ab"[i % 2]},
                                                                     {"annotator": "B", "label": "ab"[(i // 3) % 2]}]}
                  for i in range(60)],
    "preference": [{"prompt": _text(i), "chosen": _text(i) + " yes indeed", "rejected": _text(i + 1000)} for i in range(60)],
    "generation": [{"messages": [{"role": "user", "content": _text(i)},
                                 {"role": "assistant", "content": "I cannot help with that." if i % 3 == 0 else _text(i + 500)}]}
                   for i in range(60)],
}


def _keys_by_condition(tmp_path, shape: str) -> dict[str, set[str]]:
    path = tmp_path / f"{shape}.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in SHAPES[shape]), encoding="utf-8")
    report = audit(path, Config(), embed=False)
    return {c.id: set(c.evidence) for c in report.verdict.conditions}


def test_every_condition_carries_every_declared_key_whatever_the_datas_shape(tmp_path):
    runs = {shape: _keys_by_condition(tmp_path, shape) for shape in SHAPES}
    # the shapes differ in what they give: agreement figures only on annotated data, preference figures only on
    # pairs, repeated-target figures only on generation data, coverage none of them (no --production)
    assert {shape: sorted(keys) for shape, keys in runs.items()} == {
        "single_label": ["consistency", "coverage", "format", "hygiene", "scale"],
        "annotated": ["consistency", "coverage", "format", "hygiene", "scale"],
        "preference": ["coverage", "format", "hygiene", "scale"],
        "generation": ["coverage", "format", "hygiene", "scale"]}
    for shape, keys in runs.items():
        for cid, found in keys.items():
            assert found == set(SPECS[cid].evidence_keys), (shape, cid, found ^ set(SPECS[cid].evidence_keys))


def _coverage_result(**kwargs) -> coverage.CoverageResult:
    fields = dict(model="m", rule="r", neighbours=10, production_inputs=400, training_inputs=900, covered_share=0.99,
                  scenarios=[], uncovered=[], unused_training=[], domain_auc=None, embeddings={}, covered_share_unrounded=0.99)
    return coverage.CoverageResult(**{**fields, **kwargs})


def test_coverage_keys_are_the_same_unmeasured_too_small_and_measured():
    ctx = AuditContext(config=Config(), train=None)
    absent = coverage.judge(None, ctx)  # no --production: its finding gives no figure at all
    small = coverage.judge(_coverage_result(not_measured="12 production inputs, needs 50"), ctx)
    measured = coverage.judge(_coverage_result(), ctx)
    assert [f.status for f in absent + small + measured] == ["unknown", "unknown", "pass"]
    conditions = [decide(found, {}).conditions[0] for found in (absent, small, measured)]
    assert [set(c.evidence) for c in conditions] == [set(SPECS["coverage"].evidence_keys)] * 3
    assert conditions[0].evidence["covered_share"] is None and conditions[2].evidence["covered_share"] == 0.99


def test_consistency_keys_are_the_same_from_label_noise_and_from_agreement(tmp_path):
    noise = label_noise.judge(_reliable(), AuditContext(config=Config(), train=None))
    from_noise = decide(noise, {}).conditions[0]
    from_agreement = _keys_by_condition(tmp_path, "annotated")["consistency"]
    assert set(from_noise.evidence) == from_agreement == set(SPECS["consistency"].evidence_keys)
    assert from_noise.evidence["estimated_error_rate"] == 0.0016 and from_noise.evidence["krippendorff_alpha"] is None


@pytest.mark.parametrize("cid", CONDITION_IDS)
def test_each_declared_key_is_declared_once(cid):
    keys = SPECS[cid].evidence_keys
    assert keys and len(keys) == len(set(keys))


def _tool_chat(i: int, arguments) -> dict:
    call = {"id": "c1", "type": "function", "function": {"name": "lookup", "arguments": arguments}}
    return {"messages": [{"role": "user", "content": _text(i)}, {"role": "assistant", "content": None, "tool_calls": [call]},
                         {"role": "tool", "tool_call_id": "c1", "content": "found"},
                         {"role": "assistant", "content": _text(i + 500)}]}


def _format_keys(tmp_path, rows, tokens: dict) -> set[str]:
    from dataaudit.config import config_from_dict

    path = tmp_path / "train.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    report = audit(path, config_from_dict({"task_type": "generation", "tokens": tokens}), embed=False)
    (condition,) = [c for c in report.verdict.conditions if c.id == "format"]
    return condition.evidence


def test_the_format_keys_are_the_declared_ones_with_a_target_model_and_its_failures(tmp_path):
    """The tokens check's findings put not_renderable (a refusing chat template) and object_arguments (an OpenAI
    target, arguments as an object) in the format evidence; a key not declared there came and went with the data."""
    from tests.test_tokens import _refusing_tokenizer

    openai = _format_keys(tmp_path, [_tool_chat(i, {"q": i} if i % 4 == 0 else json.dumps({"q": i})) for i in range(40)],
                         {"target_model": "gpt-4o-mini"})
    refusing = [{"messages": [{"role": "system", "content": "Be brief"}] * (i % 5 == 0)
                 + SHAPES["generation"][i]["messages"]} for i in range(40)]
    template = _format_keys(tmp_path, refusing, {"target_model": "my-open-model", "tokenizer": str(_refusing_tokenizer(tmp_path))})
    declared = set(SPECS["format"].evidence_keys)
    assert set(openai) == declared and set(template) == declared
    assert (openai["object_arguments"], openai["not_renderable"]) == (10, None)
    assert (template["not_renderable"], template["object_arguments"]) == (8, None)
