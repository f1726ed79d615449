"""Per file: each batch's examples, agreement, duplicates and labels, when several files are audited together.

Shown only with two or more files (report.per_file is empty otherwise), so a one-file report is unchanged.
Which file is worst is the batches measurement's judgement (`alpha_grade`, `lowest_alpha`); this only shows it.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import TYPE_CHECKING, Collection

from ...excerpt import mask
from ...report import Report
from ..figures import report_figure
from .base import EXPORT_ROWS, Section, SectionContent, Table, rows_grouped, text

if TYPE_CHECKING:
    from ...checks.batches import BatchSummary

FILE_WIDTH = 32  # a file name longer than this shows the part where the files' names differ
LABELS_SHOWN = 3
# Of what all the names share, each shows at most this much on either side of the part that differs: the shard's
# kind ("part-", "shard_") before it, its last piece ("-c000.json") after it.
CONTEXT_CHARS = 16
SEPARATORS = "-_./ "


def short_names(paths: list[str]) -> list[str]:
    """Each path without the folders all of them share: batch1.jsonl, not /data/exports/batch1.jsonl; files of
    one name in different folders keep the folders that tell them apart (a/data.jsonl, b/data.jsonl)."""
    parents = [PurePath(path).parent.parts for path in paths]
    shared = 0
    while all(len(parts) > shared for parts in parents) and len({parts[shared] for parts in parents}) == 1:
        shared += 1
    return [str(PurePath(*PurePath(path).parts[shared:])) for path in paths]


def shown_names(paths: list[str]) -> list[str]:
    """Each file as its row names it: its short name, or past FILE_WIDTH the part where the names differ with a
    little of what they share on either side. Spark writes part-00000-<one uuid>-c000.json,
    part-00001-<the same uuid>-c000.json: cut at the start, all of them read "…2e3f4a5b6c7d-c000.json"."""
    # Masked whole before any cut: a piece of an address cut at a separator no longer reads as one to the masker.
    names = [mask(name) for name in short_names(paths)]
    if all(len(name) <= FILE_WIDTH for name in names):
        return [text(name, FILE_WIDTH) for name in names]
    head, tail = _shared_ends(names)
    shown = [_around_difference(name, head, tail) for name in names]
    if len(set(shown)) < len(shown):  # cut too close in some other way: each name's end, then its whole name
        shown = [text(name, FILE_WIDTH, keep_end=True) for name in names]
    if len(set(shown)) < len(shown):
        shown = [text(name, 1000, keep_end=True) for name in names]
    return shown


def _shared_ends(names: list[str]) -> tuple[int, int]:
    """How many characters every name shares at its start and at its end, each ending at a separator so that
    the part between them is whole pieces (part-00000, not 0)."""
    shortest = min(len(name) for name in names)
    head = 0
    while head < shortest and len({name[head] for name in names}) == 1:
        head += 1
    while head > 0 and names[0][head - 1] not in SEPARATORS:
        head -= 1
    tail = 0
    while tail < shortest - head and len({name[-1 - tail] for name in names}) == 1:
        tail += 1
    while tail > 0 and names[0][-tail] not in SEPARATORS:
        tail -= 1
    return head, tail


def _around_difference(name: str, head: int, tail: int) -> str:
    """The part of name between the shared start and end, with the shared start's last CONTEXT_CHARS characters
    and the shared end's last piece (all of it where short), within FILE_WIDTH."""
    before, middle, after = name[:head], name[head:len(name) - tail], name[len(name) - tail:]
    last_piece = max(after.rfind(mark) for mark in SEPARATORS[:2] + "/") if len(after) > CONTEXT_CHARS else 0
    after_shown = text(after[max(last_piece, 0):], CONTEXT_CHARS, keep_end=True) if after else ""
    if after_shown and last_piece > 0:
        after_shown = "…" + after_shown.lstrip("…")
    before_shown = text(before, CONTEXT_CHARS, keep_end=True) if before else ""
    room = max(FILE_WIDTH - len(before_shown) - len(after_shown), 8)
    return before_shown + text(middle, room, keep_both=True) + after_shown


def _alpha(report: Report, summary: BatchSummary) -> str:
    """The file's alpha with the measured marks: its grade when below reliable, and whether it is the lowest."""
    if summary.alpha_exact is None:
        return "-"
    marks = ([summary.alpha_grade] if summary.alpha_grade not in (None, "reliable") else []) + (["LOWEST"] if summary.lowest_alpha else [])
    return report_figure(report, "krippendorff_alpha", summary.alpha_exact) + (f" ({', '.join(marks)})" if marks else "")


def _examples(summary: BatchSummary, grouped: bool) -> str:
    """The examples (items) the file made, with its invalid rows and, where rows were grouped into items (a long
    layout's rows are ratings), the rows read: a plain JSONL file with an invalid row read "3 export rows"."""
    notes = ([f"{summary.invalid} invalid row{'' if summary.invalid == 1 else 's'}"] if summary.invalid else []) + \
        ([f"{summary.records} {EXPORT_ROWS if grouped else 'rows read'}"] if summary.items != summary.records - summary.invalid else [])
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
    names = shown_names([f.file for f in files])
    thresholds = report.config["agreement"]
    lines = [f"{len(files)} files audited together; each file's Krippendorff's alpha is read as reliable from "
             f"{thresholds['reliable_alpha']:.3f}, tentative from {thresholds['tentative_alpha']:.3f}"]
    lowest = [(name, f) for name, f in zip(names, files) if f.lowest_alpha]
    if lowest:
        lines.append("lowest alpha: " + ", ".join(f"{name} {report_figure(report, 'krippendorff_alpha', f.alpha_exact)} ({f.alpha_grade})" for name, f in lowest))
    repeated = sum(f.cross_batch_duplicates for f in files)
    if repeated:
        lines.append(f"{repeated} record(s) repeat an input first seen in an earlier file")
    grouped = rows_grouped(report)
    rows = [[name, _examples(f, grouped), _alpha(report, f), _duplicates(f), _label_shares(f.label_shares)] for name, f in zip(names, files)]
    headers = ["file", "examples", "alpha", "duplicates", "labels"]
    return SectionContent(lines, [Table(f"Files ({len(files)})", headers, rows, collapsed=False, terminal=True)])


SECTION = Section("per_file", "Per file", 15, _build)
