"""`dataaudit dedup`: a de-duplicated copy of a dataset, and a sidecar naming every dropped line and why.

The first record of each duplicate group is kept (the one the report names as `keep`); conflicting
groups are dropped whole only when asked. Malformed lines are dropped and listed too. The input file is
read, never written: the output must be another path.
"""

from __future__ import annotations

import dataclasses
import io
import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .config import Config
from .io import write_atomic
from .errors import InputError


@dataclass
class DedupSummary:
    records: int
    kept: int
    dropped: int
    sidecar: Path


def _drop_reasons(report, drop_conflicts: bool) -> dict[int, dict]:
    duplicates = report.checks["duplicates"]
    reasons: dict[int, dict] = {}
    for group in duplicates.exact_groups + duplicates.near_groups:
        for line in group.lines:
            if line != group.keep and line not in reasons:
                reasons[line] = {"line": line, "reason": f"{group.kind} duplicate", "kept_line": group.keep}
    if drop_conflicts:
        for conflict in duplicates.conflicts:
            for line in conflict.lines:
                reasons[line] = {"line": line, "reason": "conflicting labels", "group_lines": conflict.lines, "labels": conflict.labels}
    for error in report.checks["format"].errors:
        if error.line > 0:
            reasons.setdefault(error.line, {"line": error.line, "reason": f"invalid: {error.field}: {error.message}"})
    return reasons


def deduplicate(input_path: str | Path, out_path: str | Path, config: Config, *, drop_conflicts: bool = False, embed: bool = True,
                embedder=None) -> DedupSummary:
    from .api import audit

    source, target = Path(input_path), Path(out_path)
    if target.exists() and target.resolve() == source.resolve():
        raise InputError(f"{target}: the output would overwrite the input; choose another path")
    config = dataclasses.replace(config, duplicates=dataclasses.replace(config.duplicates, max_groups_listed=10**12))
    report = audit(source, config, embed=embed, embedder=embedder)
    if report.checks["format"].errors_listed < report.checks["format"].invalid:
        raise InputError(f"{source}: too many malformed lines to list; fix the file first")
    reasons = _drop_reasons(report, drop_conflicts)
    records = report.checks["format"].records
    if source.suffix.lower() in (".csv", ".tsv"):
        sep = "\t" if source.suffix.lower() == ".tsv" else ","
        frame = pd.read_csv(source, dtype=str, keep_default_na=False, sep=sep)
        keep_rows = [i for i in range(len(frame)) if (i + 1) not in reasons]
        buffer = io.StringIO()
        frame.iloc[keep_rows].to_csv(buffer, index=False, sep=sep)
        write_atomic(target, buffer.getvalue())
        kept = len(keep_rows)
    else:
        raw_lines = source.read_bytes().split(b"\n")
        kept_lines = [line for number, line in enumerate(raw_lines, 1) if line.strip() and number not in reasons]
        write_atomic(target, b"\n".join(kept_lines) + b"\n")
        kept = len(kept_lines)
    sidecar = target.with_name(target.name + ".dropped.jsonl")
    write_atomic(sidecar, "".join(json.dumps({"file": str(source), **reasons[line]}, ensure_ascii=False) + "\n" for line in sorted(reasons)))
    return DedupSummary(records, kept, len(reasons), sidecar)
