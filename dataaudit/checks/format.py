"""Format check: how many records are valid, which formats were seen, and every error with its place."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from ..load.records import Dataset

MAX_ERRORS_LISTED = 1000  # the counts stay exact; the list is capped so a broken million-row file stays readable


@dataclass
class FormatErrorEntry:
    file: str
    line: int
    field: str
    message: str


@dataclass
class FormatResult:
    records: int  # rows read
    valid: int
    invalid: int
    invalid_share: float
    items: int  # usable records after grouping annotation rows into items
    blank_lines: int
    formats: dict[str, int]
    errors: list[FormatErrorEntry]
    errors_listed: int
    errors_by_field: dict[str, int]
    file_errors: list[FormatErrorEntry]  # problems with a whole file (empty, not UTF-8, unparsable)


def measure_format(dataset: Dataset) -> FormatResult:
    entries = [FormatErrorEntry(e.source, e.line, e.field, e.message) for e in dataset.errors]
    formats = Counter(r.format for r in dataset.records)
    valid = dataset.total - dataset.invalid
    return FormatResult(
        records=dataset.total,
        valid=valid,
        invalid=dataset.invalid,
        invalid_share=(dataset.invalid / dataset.total) if dataset.total else 0.0,
        items=len(dataset.records),
        blank_lines=dataset.blank_lines,
        formats=dict(sorted(formats.items())),
        errors=entries[:MAX_ERRORS_LISTED],
        errors_listed=min(len(entries), MAX_ERRORS_LISTED),
        errors_by_field=dict(Counter(e.field for e in entries).most_common()),
        file_errors=[e for e in entries if e.line == 0],
    )
