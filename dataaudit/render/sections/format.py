"""Format: records read, valid and invalid, formats seen, and every error with its place."""

from __future__ import annotations

from typing import Collection

from ...report import Report
from .base import EXPORT_ROWS, Section, SectionContent, Table, add_json, json_written, rows_grouped, text


TERMINAL_ROWS = 5


def _listed(listed: int, total: int, formats) -> str:
    """Where the first `listed` of `total` errors are: report.json, or, where the run does not write it, what to add."""
    held = f"the first {listed} of {total} errors"
    return f"report.json lists {held}" if json_written(formats) else f"{add_json()} for report.json, which lists {held}"


def _build(report: Report, formats: Collection[str] | None = None) -> SectionContent | None:
    f = report.checks.get("format")
    if f is None:
        return None
    # Rows grouped into items (an annotation tool's export): the rows are what was read and judged well-formed,
    # the items what the other sections measure, and the formats count items.
    grouped = rows_grouped(report)
    lines = [f"{f.records} {EXPORT_ROWS if grouped else 'records'} read: {f.valid} valid, {f.invalid} invalid ({f.invalid_share:.1%}); "
             + (f"grouped into {f.items} items; formats, in items: " if grouped else "formats: ")
             + (", ".join(f"{k} {v}" for k, v in f.formats.items()) or "none")]
    if f.blank_lines:
        lines.append(f"{f.blank_lines} blank lines skipped")
    if f.errors_listed < f.invalid:
        # Whose cap it is: each format shows fewer rows (5, 50, 200) and says so under its table.
        lines.append(_listed(f.errors_listed, f.invalid, formats))
    rows = [[e.file, e.line, e.field, text(e.message, 300)] for e in f.errors]
    # In the terminal too (its first few): the format action sends the reader to this list.
    tables = [Table(f"Format errors ({f.invalid})", ["file", "line", "field", "message"], rows,
                    total=f.invalid, collapsed=not rows or len(rows) > 20, terminal=bool(rows), terminal_rows=TERMINAL_ROWS)]
    # Production and eval rows that could not be read: shown only when there are some, so a clean input adds nothing.
    for role, r in getattr(f, "other_inputs", {}).items():
        if not r.unread:
            continue
        lines.append(f"{role}: {r.records} rows read: {r.valid} valid, {r.invalid} invalid"
                     + (f"; {len(r.file_errors)} file{'s' if len(r.file_errors) != 1 else ''} gave no records" if r.file_errors else "")
                     + (f"; {_listed(len(r.errors), r.errors_total, formats)}" if len(r.errors) < r.errors_total else ""))
        # In the terminal too: the format action sends the reader to "format errors" for these rows.
        tables.append(Table(f"Format errors, {role} ({r.errors_total})", ["file", "line", "field", "message"],
                            [[e.file, e.line, e.field, text(e.message, 300)] for e in r.errors],
                            total=r.errors_total, collapsed=len(r.errors) > 20, terminal=bool(r.errors), terminal_rows=TERMINAL_ROWS))
    return SectionContent(lines, tables)


SECTION = Section("format", "Format", 10, _build)
