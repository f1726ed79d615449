"""Personal data and credentials: counts by kind and role, and each finding's place, masked."""

from __future__ import annotations

from typing import Collection

from ...report import Report
from ...scan.pii import kind_count
from .base import Section, SectionContent, Table, text, unit


def _build(report: Report, formats: Collection[str] | None = None) -> SectionContent | None:
    p = report.checks.get("pii")
    if p is None:
        return None
    kinds = ", ".join(kind_count(n, k) for k, n in p.by_kind.items()) or "none"
    # by_kind counts the malformed rows' values too: "0 of 100 records hold ...: 1 email" read as a contradiction
    within = " (in the records and the malformed rows below)" if p.malformed_rows_with_findings else ""
    lines = [f"{p.records_with_findings} of {p.records} {unit(report)} hold personal data or credentials ({p.share:.1%}): "
             f"{kinds}{within}; {p.secret_records} with a secret"]
    if p.malformed_rows_with_findings:
        lines.append(f"{p.malformed_rows_with_findings} malformed row{'s' if p.malformed_rows_with_findings != 1 else ''} "
                     f"(kept as format errors) hold{'s' if p.malformed_rows_with_findings == 1 else ''} personal data or "
                     f"credentials, {p.malformed_secret_rows} with a secret")
    # `masked` only, never the value; a file read in another role than training says which
    rows = [[f.file if f.role == "train" else f"{f.file} ({f.role})", f.line, text(f.field, 40), f.kind, text(f.masked, 60)]
            for f in p.findings]
    return SectionContent(lines, [Table(f"Findings ({p.findings_total})", ["file", "line", "field", "kind", "masked"], rows,
                                        total=p.findings_total, full_list="raise pii.max_listed to list more",
                                        collapsed=len(rows) > 20)])


SECTION = Section("pii", "Personal data and credentials", 35, _build)
