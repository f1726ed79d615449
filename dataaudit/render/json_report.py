"""report.json: the machine-readable contract (see README, 'Report JSON').

Every string that reaches the file passes the excerpt masking and control-character rules (no limit on
length here), so a value found by the PII check can never appear in it, whichever field carries it.
"""

from __future__ import annotations

import json
from typing import Any

from ..excerpt import mask, visible_controls
from ..report import Report
from .sections.decision import cost_sentence


def _safe(value: Any, seen: dict[str, str] | None = None) -> Any:
    """`value` with every string masked and control-free. `seen` (string -> its safe form) lets a caller
    writing many lines mask each distinct string once: duplicates.jsonl names the same file in every member."""
    if isinstance(value, str):
        if seen is not None:
            done = seen.get(value)
            if done is None:
                done = seen[value] = _safe(value)
            return done
        masked = mask(value)
        return visible_controls(masked) if masked != value or not value.isprintable() else value
    if isinstance(value, dict):
        return {_safe(k, seen): _safe(v, seen) for k, v in value.items()}
    if isinstance(value, list):
        return [_safe(v, seen) for v in value]
    return value


def report_json(report: Report) -> dict[str, Any]:
    data = report.to_dict()
    economics = report.checks.get("economics")
    if economics is not None and economics.cost is not None:
        data["checks"]["economics"]["cost"]["message"] = cost_sentence(economics.cost)
    return _safe(data)


def render_json(report: Report) -> str:
    return json.dumps(report_json(report), indent=2, ensure_ascii=False, sort_keys=False) + "\n"
