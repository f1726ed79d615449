"""Repeated targets: one reply given to many prompts in generation data."""

from __future__ import annotations

from typing import Collection

from ...report import Report
from .base import Section, SectionContent, Table, text, unit


def _build(report: Report, formats: Collection[str] | None = None) -> SectionContent | None:
    r = report.checks.get("repeated_targets")
    if r is None:
        return None
    lines = [f"{r.repeated_records} of {r.records} targets ({r.share:.1%}) are a reply given by at least {r.min_copies} {unit(report)} to different prompts "
             f"({r.repeated_targets} such {'reply' if r.repeated_targets == 1 else 'replies'}); warns from {r.warn_share:.0%}"]
    rows = [[text(t.excerpt, 80), t.count, f"{t.share:.1%}", t.file, t.line] for t in r.top]  # excerpts are masked already
    tables = [Table(f"Repeated targets ({r.repeated_targets})", ["target", "records", "share", "first file", "line"], rows,
                    total=r.repeated_targets, full_list="raise repeated_targets.max_listed to list more", collapsed=False)] if rows else []
    return SectionContent(lines, tables)


SECTION = Section("repeated_targets", "Repeated targets", 52, _build)
