"""Preference pairs: identical pairs, contradictions, and length bias."""

from __future__ import annotations

from ...report import Report
from .base import Section, SectionContent, Table, text


def _build(report: Report) -> SectionContent | None:
    p = report.checks.get("preference")
    if p is None:
        return None
    longer = "n/a" if p.chosen_longer_share is None else f"{p.chosen_longer_share:.0%}"
    ratio = "n/a" if p.mean_length_ratio is None else f"{p.mean_length_ratio:.2f}"
    lines = [f"{p.pairs} pairs, {p.unpaired} unpaired; {p.identical_count} with chosen = rejected; "
             f"{len(p.contradictions)} contradicting groups; chosen longer in {longer} of pairs (mean length ratio {ratio})"]
    several_files = len({f for files in p.contradiction_files for f in files}) > 1
    rows = [[_places(group[:8], files[:8] if several_files else None), text(example, 100)]
            for group, files, example in zip(p.contradictions, p.contradiction_files, p.contradiction_examples)]
    return SectionContent(lines, [Table(f"Contradictions ({len(p.contradictions)})", ["lines", "prompt"], rows)])


def _places(lines: list[int], files: list[str] | None) -> str:
    """Lines, each with its file where the groups span several files."""
    if not files:
        return ", ".join(map(str, lines))
    return ", ".join(f"{text(file, 60)}:{line}" for file, line in zip(files, lines))


SECTION = Section("preference", "Preference pairs", 55, _build)
