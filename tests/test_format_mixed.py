"""The format condition says every problem it finds: malformed records and mixed formats together."""

from __future__ import annotations

import json

from dataaudit.checks.base import AuditContext, Status
from dataaudit.checks.format import CHECK as FORMAT_CHECK
from dataaudit.config import Config
from dataaudit.index import build_index
from dataaudit.load.dataset import load_dataset
from dataaudit.normalize import normalize_text
from tests.conftest import write_jsonl


def _judged(tmp_path, rows, config: Config):
    path = tmp_path / "mixed.jsonl"
    if any(isinstance(r, str) for r in rows):
        path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8")
    else:
        write_jsonl(path, rows)
    ds = load_dataset(path, config)
    ctx = AuditContext(config=config, train=build_index("train", ds, lambda t: normalize_text(t, config.duplicates)))
    result = FORMAT_CHECK.measure(ctx)
    return result, FORMAT_CHECK.judge(result, ctx)


def _chat(i):
    return {"messages": [{"role": "user", "content": f"question {i}"}, {"role": "assistant", "content": f"answer {i}"}]}


def test_malformed_records_do_not_hide_mixed_formats(tmp_path):
    """mixed.jsonl (301 chat, 20 prompt_completion, 3 bad rows) said only "3 of 324 records are malformed";
    without the bad rows it said the formats are mixed. Both are said, each with its remedy."""
    rows = [_chat(i) for i in range(60)] + [{"prompt": f"p{i}", "completion": f"c{i}"} for i in range(5)] + ["{not json"] * 2
    config = Config(task_type="generation")
    result, (finding,) = _judged(tmp_path, rows, config)
    assert result.minority_format == "prompt_completion" and result.invalid == 2
    assert finding.status == Status.WARN  # 2 of 67: over the 1% warn bound, under the 5% fail bound
    assert finding.summary.startswith("2 of 67 records are malformed (3.0%); formats are mixed: 5 prompt_completion records (first ")
    assert finding.summary.endswith(") among 60 chat")
    assert "Fix or remove the 2 malformed records" in finding.action
    assert "Check that the prompt_completion records belong in this file" in finding.action


def test_mixed_formats_are_said_beside_a_failing_share_of_malformed_records(tmp_path):
    rows = [_chat(i) for i in range(30)] + [{"prompt": "p", "completion": "c"}] + ["{not json"] * 4
    result, (finding,) = _judged(tmp_path, rows, Config(task_type="generation"))
    assert finding.status == Status.FAIL
    assert "over the 5% bound" in finding.summary and "formats are mixed: 1 prompt_completion records" in finding.summary
    assert finding.action.count("Check that the prompt_completion records") == 1
