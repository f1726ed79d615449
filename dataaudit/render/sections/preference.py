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
    rows = [[", ".join(map(str, g[:8])), text(e, 100)] for g, e in zip(p.contradictions, p.contradiction_examples)]
    return SectionContent(lines, [Table(f"Contradictions ({len(p.contradictions)})", ["lines", "prompt"], rows)])


SECTION = Section("preference", "Preference pairs", 55, _build)
