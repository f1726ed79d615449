"""Per file: each batch's examples, agreement, duplicates and labels, when several files are audited together.

Shown only with two or more files (report.per_file is empty otherwise), so a one-file report is unchanged.
Which file is worst is the batches measurement's judgement (`alpha_grade`, `lowest_alpha`); this only shows it.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import TYPE_CHECKING, Collection

from ...excerpt import ELLIPSIS, distinct_texts, one_line_parts
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
MIDDLE_CHARS = 8  # the part where the names differ keeps at least this much, the context giving up room for it
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
    """Each file as its row names it, within FILE_WIDTH and no two alike: its short name, or past FILE_WIDTH the
    part where the names differ with a little of what they share on either side. Spark writes
    part-00000-<one uuid>-c000.json, part-00001-<the same uuid>-c000.json: cut at the start, all of them read
    "…2e3f4a5b6c7d-c000.json". Names that still read alike (masked, a phone number their only difference) are
    told apart as labels are (`distinct_texts`)."""
    short = short_names(paths)
    # Masked whole before any cut: a piece of an address cut at a separator no longer reads as one to the masker.
    # Each placeholder is one piece that no cut enters: "<EMAIL ….com #1c4b>" holds separators (" ", ".").
    names = [_Name(name) for name in short]
    if all(len(name.text) <= FILE_WIDTH for name in names):
        return _told_apart(short, [text(name.text, FILE_WIDTH) for name in names])
    head, tail = _shared_ends(names)
    shown = [_around_difference(name, head, tail) for name in names]
    if len(set(shown)) < len(shown):  # cut too close in some other way: each name's end, then as labels are
        shown = [text(name.cut_keeping_end(FILE_WIDTH), FILE_WIDTH) for name in names]
    return _told_apart(short, shown)


def _told_apart(short: list[str], shown: list[str]) -> list[str]:
    """shown, where no two read alike; else every name as `distinct_texts` tells them apart within FILE_WIDTH."""
    if len(set(shown)) == len(set(short)):
        return shown
    told = distinct_texts(short, FILE_WIDTH)
    return [told[name] for name in short]


class _Name:
    """A short name as reports show it (masked, control characters as escapes, a line break " ⏎ ": `one_line`), and
    where its placeholders stand in it."""

    def __init__(self, name: str):
        self.text, self.placeholders = one_line_parts(name)

    def whole_at(self, i: int) -> bool:
        """Whether a cut between text[i - 1] and text[i] leaves every placeholder whole."""
        return not any(start < i < end for start, end in self.placeholders)

    def tokens(self, start: int, end: int) -> list[str]:
        """text[start:end] as pieces a cut may not enter: each placeholder whole, every other character alone."""
        pieces, i = [], start
        while i < end:
            stop = next((b for a, b in self.placeholders if a == i and b <= end), i + 1)
            pieces.append(self.text[i:stop])
            i = stop
        return pieces

    def cut_keeping_end(self, width: int, start: int = 0, end: int | None = None) -> str:
        return _keep_end(self.tokens(start, len(self.text) if end is None else end), width)

    def cut_keeping_both(self, width: int, start: int, end: int) -> str:
        pieces = self.tokens(start, end)
        if sum(map(len, pieces)) <= width:
            return "".join(pieces)
        kept = max(width - 1, 0)
        head = _keep_start(pieces, kept - kept // 2)
        return head + ELLIPSIS + _keep_end(pieces[len(_fitting(pieces, kept - kept // 2)):], kept // 2 + 1)[1:]


def _fitting(pieces: list[str], width: int) -> list[str]:
    """The first pieces that fit in width."""
    taken, used = [], 0
    for piece in pieces:
        if used + len(piece) > width:
            break
        taken.append(piece)
        used += len(piece)
    return taken


def _keep_start(pieces: list[str], width: int) -> str:
    return "".join(_fitting(pieces, width))


def _keep_end(pieces: list[str], width: int) -> str:
    """The pieces' text in width, cut at the start (an ellipsis there) where it is longer."""
    if sum(map(len, pieces)) <= width:
        return "".join(pieces)
    return ELLIPSIS + "".join(reversed(_fitting(pieces[::-1], max(width - 1, 0))))


def _shared_ends(names: list[_Name]) -> tuple[int, int]:
    """How many characters every name shares at its start and at its end, each ending at a separator (outside
    every placeholder) so that the part between them is whole pieces (part-00000, not 0)."""
    texts = [name.text for name in names]
    shortest = min(len(t) for t in texts)
    head = 0
    while head < shortest and len({t[head] for t in texts}) == 1:
        head += 1
    while head > 0 and (texts[0][head - 1] not in SEPARATORS or not all(n.whole_at(head) for n in names)):
        head -= 1
    tail = 0
    while tail < shortest - head and len({t[-1 - tail] for t in texts}) == 1:
        tail += 1
    while tail > 0 and (texts[0][-tail] not in SEPARATORS or not all(n.whole_at(len(n.text) - tail) for n in names)):
        tail -= 1
    return head, tail


def _around_difference(name: _Name, head: int, tail: int) -> str:
    """The part of name between the shared start and end, with the shared start's last CONTEXT_CHARS characters
    and the shared end's last piece (all of it where short), all within FILE_WIDTH: the context shrinks where the
    part that differs needs the room (it keeps at least MIDDLE_CHARS)."""
    full = name.text
    end = len(full) - tail
    after = full[end:]
    last_piece = max(after.rfind(mark) for mark in SEPARATORS[:2] + "/") if len(after) > CONTEXT_CHARS else 0
    after_start = end + max(last_piece, 0)
    while not name.whole_at(after_start):
        after_start += 1

    def shown_after(width: int) -> str:
        if not after:
            return ""
        shown = name.cut_keeping_end(width, after_start)
        return ELLIPSIS + shown.lstrip(ELLIPSIS) if last_piece > 0 and len(shown) < width else shown

    def shown_before(width: int) -> str:
        return name.cut_keeping_end(width, 0, head) if head else ""

    before_shown, after_shown = shown_before(CONTEXT_CHARS), shown_after(CONTEXT_CHARS)
    room = max(FILE_WIDTH - len(before_shown) - len(after_shown), MIDDLE_CHARS)
    middle_shown = name.cut_keeping_both(room, head, end)
    left = FILE_WIDTH - len(middle_shown)
    if len(before_shown) + len(after_shown) > left:
        after_shown = shown_after(min(len(after_shown), left - left // 2))
        before_shown = shown_before(left - len(after_shown))
    return text(before_shown + middle_shown + after_shown, FILE_WIDTH)


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


LABEL_CHARS = 16  # a label in the compact labels column


def label_names(files: list) -> dict[str, str]:
    """Every file's labels as the labels column names them, within LABEL_CHARS and told apart over all the files
    (`distinct_texts`): cut at the start, balance_not_updated_after_bank_transfer and
    balance_not_updated_after_cheque_or_cash_deposit both read 'balance_not_upd…'."""
    return distinct_texts([label for f in files for label in f.label_shares], LABEL_CHARS)


def _label_shares(shares: dict[str, float], names: dict[str, str]) -> str:
    """The largest shares first, compactly: 'entail 69%, no 31%'."""
    ranked = sorted(shares.items(), key=lambda item: -item[1])
    shown = ", ".join(f"{names[label]} {share:.0%}" for label, share in ranked[:LABELS_SHOWN])
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
    labels = label_names(files)
    rows = [[name, _examples(f, grouped), _alpha(report, f), _duplicates(f), _label_shares(f.label_shares, labels)]
            for name, f in zip(names, files)]
    headers = ["file", "examples", "alpha", "duplicates", "labels"]
    return SectionContent(lines, [Table(f"Files ({len(files)})", headers, rows, collapsed=False, terminal=True)])


SECTION = Section("per_file", "Per file", 15, _build)
