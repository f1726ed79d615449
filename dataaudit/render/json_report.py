"""report.json: the machine-readable contract (see README, 'Report JSON').

Every string that reaches the file passes the excerpt masking and control-character rules (no limit on
length here), so a value found by the PII check can never appear in it, whichever field carries it, with one
exception: a file path (the value of a key in PATH_KEYS) is written exactly as given, so that scripts and
`dataaudit dedup` can open it. A path names the user's own file; masking an e-mail-like folder name or turning
a newline in a file name into a space made it name a file that does not exist. (A path that cannot be written
as UTF-8, a lone surrogate from a non-UTF-8 file name, keeps the visible form: it cannot be written exactly.)
"""

from __future__ import annotations

import json
from typing import Any

from ..excerpt import mask, visible_controls
from ..report import Report
from .sections.decision import cost_sentence


# Keys whose values are file paths (a string, or a list, or list of lists, of strings) in report.json and the
# per-line files: the dataclass fields that hold an input's path (InputSummary.path, the checks' `file`,
# `files`, `keep_file`, `eval_file`, ...), the plain dicts the per-line files build (`file`, `files`,
# `keep.file`, `nearest.file`) and the config's `source`. tests/test_render.py checks every result field named
# like a path is here.
PATH_KEYS = frozenset({"path", "file", "files", "source", "keep_file", "eval_file", "train_file", "production_file",
                       "identical_files", "contradiction_files", "models_file", "eval_set", "line_files"})


def _as_given(value: Any) -> Any:
    """A path value exactly as given (a string, or lists of them); anything else as `_safe` would write it."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return _safe(value)
        return value
    if isinstance(value, list):
        return [_as_given(v) for v in value]
    return _safe(value)


def _safe(value: Any, seen: dict[str, str] | None = None) -> Any:
    """`value` with every string masked and control-free, file paths (PATH_KEYS) as given. `seen` (string -> its safe form) lets a caller
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
        return {_safe(k, seen): (_as_given(v) if k in PATH_KEYS else _safe(v, seen)) for k, v in value.items()}
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
