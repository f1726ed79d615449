"""Preference pairs: identical pairs, contradictions, truncated copies, and length bias."""

from __future__ import annotations

from typing import Collection

from ...report import Report
from ..figures import report_figure
from .base import Section, SectionContent, Table, text


def _build(report: Report, formats: Collection[str] | None = None) -> SectionContent | None:
    p = report.checks.get("preference")
    if p is None:
        return None
    compared = p.pairs - p.identical_count
    if p.chosen_longer_share is None:  # only unpaired (KTO) records, or every pair identical: no lengths to compare
        length = "no pairs to compare lengths" if not compared else "no pair with a non-empty rejected"
    else:
        ratio = "n/a" if p.mean_length_ratio is None else f"{p.mean_length_ratio:.2f}"  # as the finding rounds it
        # from the unrounded share, as the condition writes it: the 4-place one rounds a second time
        # (0.74996 -> 0.75, which reads 75.0%, at the 75% bound the share is under)
        share = p.chosen_longer_share_unrounded if p.chosen_longer_share_unrounded is not None else p.chosen_longer_share
        length = f"chosen longer in {report_figure(report, 'chosen_longer_share', share)} of pairs (mean length ratio {ratio})"
    several = p.prompts_with_several_pairs
    lines = [f"{p.pairs} pairs, {p.unpaired} unpaired; {p.identical_count} with chosen = rejected; "
             f"{p.contradiction_count} contradicting groups; {p.prefix_pairs} with one reply a truncated "
             f"copy of the other; {length}" + (f"; {several} prompts with several distinct pairs" if several else "")]
    several_files = len({f for files in p.contradiction_files for f in files}) > 1
    replies = p.contradiction_replies
    rows = [[_places(group[:8], files[:8] if several_files else None), text(example, 100), _replies(shown, several_files)]
            for group, files, example, shown in zip(p.contradictions, p.contradiction_files, p.contradiction_examples, replies)]
    # report.json lists the first MAX_LISTED groups; dedup's sidecar names the members of every one it drops
    return SectionContent(lines, [Table(f"Contradictions ({p.contradiction_count})", ["lines", "prompt", "replies"], rows,
                                        total=p.contradiction_count, full_list=EVERY_GROUP)])


EVERY_GROUP = "`dataaudit dedup --drop-conflicts` lists every group's lines in its .dropped.jsonl"


# Two members' replies must fit a table cell (report.md cuts a cell at 160 characters): both sides of each shown.
REPLY_CHARS = 30


def _replies(members: list[dict], several_files: bool) -> str:
    """Each shown member's replies with its line: 'line 1: A > B; line 61: B > A'."""
    parts = []
    for m in members:
        place = f"{text(m['file'], 60)}:{m['line']}" if several_files else f"line {m['line']}"
        if "completion" in m:
            parts.append(f"{place}: {text(m['completion'], 2 * REPLY_CHARS)} ({'desirable' if m['desirable'] else 'undesirable'})")
        else:
            parts.append(f"{place}: {text(m['chosen'], REPLY_CHARS)} > {text(m['rejected'], REPLY_CHARS)}")
    return "; ".join(parts)


def _places(lines: list[int], files: list[str] | None) -> str:
    """Lines, each with its file where the groups span several files."""
    if not files:
        return ", ".join(map(str, lines))
    return ", ".join(f"{text(file, 60)}:{line}" for file, line in zip(files, lines))


SECTION = Section("preference", "Preference pairs", 55, _build)
