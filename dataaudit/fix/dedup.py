"""`dataaudit dedup`: a de-duplicated copy of a dataset, and a sidecar naming every dropped line and why.

The first record of each duplicate group is kept (the one the report names as `keep`); conflicting
groups are dropped whole only when asked. Malformed lines are dropped and listed too. The copy is written
in the input's own format (JSONL, gzip JSONL, CSV, TSV, Parquet) with every kept row as it was; in a long
annotation layout (one row per annotator) an item is kept or dropped with all its rows. The input file is
read, never written: the output must be another path.
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..config import Config
from ..errors import InputError
from ..io import write_atomic
from .writers import DROP, check_target, local_paths, read_plain, rewrite


INVALID = "invalid"  # the reason a malformed row was dropped, as the sidecar names it


@dataclass
class DedupSummary:
    records: int
    kept: int  # rows written
    dropped: int  # rows left out
    sidecar: Path
    conflicts_kept: int  # groups with conflicting labels of which one record was kept (without --drop-conflicts)
    invalid: int = 0  # of the dropped rows, those left out because they could not be read as records


def _drop_reasons(report, drop_conflicts: bool) -> dict[int, dict]:
    duplicates = report.checks["duplicates"]
    reasons: dict[int, dict] = {}
    for group in duplicates.exact_groups + duplicates.near_groups:
        for line in group.lines:
            if line != group.keep and line not in reasons:
                reasons[line] = {"line": line, "reason": f"{group.kind} duplicate", "kept_line": group.keep}
    for conflict in duplicates.conflicts:
        for line in conflict.lines:
            if drop_conflicts:
                reasons[line] = {"line": line, "reason": "conflicting labels", "group_lines": conflict.lines, "labels": conflict.labels}
            elif line in reasons:  # a copy dropped while the record kept carries another label: say so
                reasons[line]["conflicting_labels"] = conflict.labels
    for error in report.checks["format"].errors:
        if error.line > 0:
            reasons.setdefault(error.line, {"line": error.line, "reason": f"{INVALID}: {error.field}: {error.message}"})
    return reasons


def _whole_items(reasons: dict[int, dict], source: Path, config: Config) -> dict[int, dict]:
    """Long annotation layout: a record is named by its first row; every row of a dropped item goes too."""
    from ..load.dataset import load_dataset

    rows_of = {r.line: r.all_lines for r in load_dataset(source, config, role="train").records}
    expanded = dict(reasons)
    for line, reason in reasons.items():
        for row in rows_of.get(line, ()):
            if row != line:
                expanded.setdefault(row, {**reason, "line": row, "item_first_line": line})
    return expanded


def deduplicate(input_path: str | Path, out_path: str | Path, config: Config, *, drop_conflicts: bool = False, embed: bool = True,
                embedder=None) -> DedupSummary:
    from ..api import audit

    source, target = local_paths(input_path, out_path)
    fmt = check_target(source, target)
    config = dataclasses.replace(config, duplicates=dataclasses.replace(config.duplicates, max_groups_listed=10**12))
    with tempfile.TemporaryDirectory(prefix="dataaudit-dedup-") as scratch:
        audited = source
        if fmt.gzip:  # audit the decompressed rows; the line numbers are the same
            audited = Path(scratch) / source.name.removesuffix(source.suffix)
            audited.write_bytes(read_plain(source, fmt))
        report = audit(audited, config, embed=embed, embedder=embedder)
        if report.checks["format"].errors_listed < report.checks["format"].invalid:
            raise InputError(f"{source}: too many malformed lines to list; fix the file first")
        reasons = _drop_reasons(report, drop_conflicts)
        if config.fields.annotator:
            reasons = _whole_items(reasons, audited, config)
    stats = rewrite(source, target, lambda number, row: DROP if number in reasons else row, drop_blank=True)
    sidecar = target.with_name(target.name + ".dropped.jsonl")
    write_atomic(sidecar, "".join(json.dumps({"file": str(source), **reasons[line]}, ensure_ascii=False) + "\n" for line in sorted(reasons)))
    conflicts_kept = 0 if drop_conflicts else len(report.checks["duplicates"].conflicts)
    invalid = sum(reason["reason"].startswith(INVALID) for reason in reasons.values())
    return DedupSummary(stats.rows, stats.kept, stats.rows - stats.kept, sidecar, conflicts_kept, invalid)
