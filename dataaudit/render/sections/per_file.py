"""Per file: each batch's examples, agreement, duplicates and labels, when several files are audited together.

Shown only with two or more files (report.per_file is empty otherwise), so a one-file report is unchanged.
Which file is worst is the batches measurement's judgement (`alpha_grade`, `lowest_alpha`); this only shows it.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import TYPE_CHECKING, Collection

from ...report import Report
from ..figures import report_figure
from .base import EXPORT_ROWS, Section, SectionContent, Table, text

if TYPE_CHECKING:
    from ...checks.batches import BatchSummary

FILE_WIDTH = 32  # a file name longer than this keeps its end, where batch names differ
LABELS_SHOWN = 3


def short_names(paths: list[str]) -> list[str]:
    """Each path without the folders all of them share: batch1.jsonl, not /data/exports/batch1.jsonl; files of
    one name in different folders keep the folders that tell them apart (a/data.jsonl, b/data.jsonl)."""
    parents = [PurePath(path).parent.parts for path in paths]
    shared = 0
    while all(len(parts) > shared for parts in parents) and len({parts[shared] for parts in parents}) == 1:
        shared += 1
    return [str(PurePath(*PurePath(path).parts[shared:])) for path in paths]


def _alpha(report: Report, summary: BatchSummary) -> str:
    """The file's alpha with the measured marks: its grade when below reliable, and whether it is the lowest."""
    if summary.alpha_exact is None:
        return "-"
    marks = ([summary.alpha_grade] if summary.alpha_grade not in (None, "reliable") else []) + (["LOWEST"] if summary.lowest_alpha else [])
    return report_figure(report, "krippendorff_alpha", summary.alpha_exact) + (f" ({', '.join(marks)})" if marks else "")


def _examples(summary: BatchSummary) -> str:
    """The examples (items) the file made, with its invalid rows and, where they differ (a long layout's rows
    are ratings), the rows read."""
    notes = ([f"{summary.invalid} invalid rows"] if summary.invalid else []) + \
        ([f"{summary.records} {EXPORT_ROWS}"] if summary.records != summary.items else [])
    return f"{summary.items}" + (f" ({', '.join(notes)})" if notes else "")


def _duplicates(summary: BatchSummary) -> str:
    """The file's duplicate share, and how many of its duplicates repeat an input of an earlier file."""
    earlier = f", {summary.cross_batch_duplicates} from earlier files" if summary.cross_batch_duplicates else ""
    return f"{summary.duplicate_share:.1%}{earlier}"


def _label_shares(shares: dict[str, float]) -> str:
    """The largest shares first, compactly: 'entail 69%, no 31%'."""
    ranked = sorted(shares.items(), key=lambda item: -item[1])
    shown = ", ".join(f"{text(label, 16)} {share:.0%}" for label, share in ranked[:LABELS_SHOWN])
    return shown + (f", +{len(ranked) - LABELS_SHOWN} more" if len(ranked) > LABELS_SHOWN else "")


def _build(report: Report, formats: Collection[str] | None = None) -> SectionContent | None:
    files = report.per_file
    if len(files) < 2:
        return None
    names = [text(name, FILE_WIDTH, keep_end=True) for name in short_names([f.file for f in files])]
    thresholds = report.config["agreement"]
    lines = [f"{len(files)} files audited together; each file's Krippendorff's alpha is read as reliable from "
             f"{thresholds['reliable_alpha']:.3f}, tentative from {thresholds['tentative_alpha']:.3f}"]
    lowest = [(name, f) for name, f in zip(names, files) if f.lowest_alpha]
    if lowest:
        lines.append("lowest alpha: " + ", ".join(f"{name} {report_figure(report, 'krippendorff_alpha', f.alpha_exact)} ({f.alpha_grade})" for name, f in lowest))
    repeated = sum(f.cross_batch_duplicates for f in files)
    if repeated:
        lines.append(f"{repeated} record(s) repeat an input first seen in an earlier file")
    rows = [[name, _examples(f), _alpha(report, f), _duplicates(f), _label_shares(f.label_shares)] for name, f in zip(names, files)]
    headers = ["file", "examples", "alpha", "duplicates", "labels"]
    return SectionContent(lines, [Table(f"Files ({len(files)})", headers, rows, collapsed=False, terminal=True)])


SECTION = Section("per_file", "Per file", 15, _build)
