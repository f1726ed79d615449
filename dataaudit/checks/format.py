"""Format check: how many records are valid, which formats were seen, and every error with its place."""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass, field

from ..engine.base import DataSteps, SerialSteps
from ..load.records import Dataset, Record
from ..load.values import MAX_TEXT_CHARS
from .base import AuditContext, Check, Finding, Status

MAX_ERRORS_LISTED = 1000  # the counts stay exact; the list is capped so a broken million-row file stays readable
MINORITY_LINES_LISTED = 20
MAX_FILES_NAMED = 3  # in the format summary; the report's file_errors lists them all


@dataclass(frozen=True)
class FormatErrorEntry:
    file: str
    line: int
    field: str
    message: str


@dataclass(frozen=True)
class FormatResult:
    records: int  # rows read
    valid: int
    invalid: int
    invalid_share: float
    items: int  # usable records after grouping annotation rows into items
    blank_lines: int
    formats: dict[str, int]  # format name -> valid records read as it
    errors: list[FormatErrorEntry]
    errors_listed: int
    errors_by_field: dict[str, int]
    file_errors: list[FormatErrorEntry]  # problems with a whole file (empty, not UTF-8, unparsable)
    minority_format: str | None = None  # in a file mixing formats, the least common one (likely the stray rows)
    minority_lines: list[tuple[str, int]] = field(default_factory=list)  # (file, line) of the first records in that format
    truncated: int = 0  # records whose input or target was cut to load.values.MAX_TEXT_CHARS
    # The production and eval inputs, by role ("production", "eval"): the rows they lost are counted and listed
    # here, because coverage and leakage were measured without them. Only the roles supplied appear.
    other_inputs: dict[str, RoleFormat] = field(default_factory=dict)
    # Where a `--since-last` window started ("" for a run of every annotation): kept here, whose check always
    # runs, because the regression check must know the run audited one batch even where agreement had nothing
    # to measure (no item annotated twice).
    since: str = ""

    @property
    def grouped(self) -> bool:
        """Whether the rows read were grouped into items (an annotation tool's export, a row per annotator): the
        rows are then "export rows" and the items what every other measurement counts, in every view."""
        return self.items != self.valid


@dataclass(frozen=True)
class RoleFormat:
    """The rows of a production or eval input: how many were read, how many could not be used, and where."""

    records: int  # rows read
    valid: int
    invalid: int
    errors: list[FormatErrorEntry]  # the first MAX_ERRORS_LISTED, file-level errors (line 0) among them
    errors_total: int
    file_errors: list[FormatErrorEntry] = field(default_factory=list)  # problems with a whole file

    @property
    def unread(self) -> bool:
        return bool(self.invalid or self.file_errors)


def file_formats(records: list[Record]) -> tuple[str | None, Counter, int]:
    """The map step, run where a file's records lie: (its file, records per format, records truncated)."""
    return (records[0].source if records else None), Counter(r.format for r in records), sum(1 for r in records if r.truncated)


def _minority(dataset: Dataset, per_file: dict[str, Counter]) -> tuple[str | None, list[tuple[str, int]]]:
    mixed = {source: counts for source, counts in per_file.items() if len(counts) > 1}
    if not mixed:
        return None, []
    # The least common format of the file that mixes them most evenly names the stray rows best: ties by name.
    minority_counts = Counter()
    for counts in mixed.values():
        smallest = min(counts.items(), key=lambda kv: (kv[1], kv[0]))
        minority_counts[smallest[0]] += smallest[1]
    name = min(minority_counts, key=lambda n: (minority_counts[n], n))
    lines = []
    for r in dataset.records:  # stops at the first few: the stray rows are named, not all of them
        if r.format == name and r.source in mixed:
            lines.append((r.source, r.line))
            if len(lines) == MINORITY_LINES_LISTED:
                break
    return name, lines


def measure_format(dataset: Dataset, steps: DataSteps | None = None) -> FormatResult:
    entries = [FormatErrorEntry(e.source, e.line, e.field, e.message) for e in dataset.errors]
    per_file: dict[str, Counter] = {}
    truncated = 0
    for source, counts, cut in (steps or SerialSteps()).map_partitions(dataset, file_formats):
        if source is not None:
            per_file[source] = counts
        truncated += cut
    formats = sum(per_file.values(), Counter())
    valid = dataset.total - dataset.invalid
    minority, minority_lines = _minority(dataset, per_file)
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
        minority_format=minority,
        minority_lines=minority_lines,
        truncated=truncated,
        since=dataset.annotation_export.since if dataset.annotation_export is not None else "",
    )


def measure_role(dataset: Dataset) -> RoleFormat:
    """A production or eval input's counts and errors: read from the loaded dataset, no per-record work."""
    entries = [FormatErrorEntry(e.source, e.line, e.field, e.message) for e in dataset.errors]
    return RoleFormat(records=dataset.total, valid=dataset.total - dataset.invalid, invalid=dataset.invalid,
                      errors=entries[:MAX_ERRORS_LISTED], errors_total=len(entries),
                      file_errors=[e for e in entries if e.line == 0])


def measure(ctx: AuditContext) -> FormatResult:
    result = measure_format(ctx.train.dataset, ctx.steps)
    others = {role: measure_role(index.dataset) for role, index in (("production", ctx.production), ("eval", ctx.eval))
              if index is not None}
    return dataclasses.replace(result, other_inputs=others) if others else result


def judge(result: FormatResult | None, ctx: AuditContext) -> list[Finding]:
    if result is None:
        return []
    return _judge_train(result, ctx) + _judge_other_inputs(result)


def _place(e: FormatErrorEntry) -> str:
    """One way to name where an error is, for every role: file:line (an editor opens it there), field, message."""
    return f"{e.file}:{e.line} {e.field}: {e.message}" if e.line else f"{e.file} {e.field}: {e.message}"


def _judge_other_inputs(result: FormatResult) -> list[Finding]:
    """Rows of the production or eval input that could not be read: coverage and leakage were measured without
    them, so the format condition warns at least, naming the role, the count and the first place."""
    unread = {role: r for role, r in result.other_inputs.items() if r.unread}
    if not unread:
        return []
    parts, actions, evidence = [], [], {}
    for role, r in unread.items():
        first = r.errors[0] if r.errors else None
        if r.invalid:
            part = f"{r.invalid} of {r.records} {role} rows could not be read"
        else:
            noun = "file" if len(r.file_errors) == 1 else "files"
            part = f"{len(r.file_errors)} {role} {noun} could not be read as records"
        parts.append(part + (f" ({_place(first)})" if first else ""))
        files = sorted({e.file for e in r.errors})
        what = f"the {r.invalid} malformed {role} rows" if r.invalid else f"the unreadable {role} input"
        actions.append(f"Fix or remove {what} in {', '.join(files[:MAX_FILES_NAMED])}"
                       f"{f' and {len(files) - MAX_FILES_NAMED} more' if len(files) > MAX_FILES_NAMED else ''} (listed under "
                       f"format errors): {'coverage' if role == 'production' else 'leakage'} was measured without them.")
        evidence[role] = {"records": r.records, "valid": r.valid, "invalid": r.invalid,
                          "first_errors": [_place(e) for e in r.errors[:5]]}
    return [Finding("format", Status.WARN, "; ".join(parts), {"other_inputs": evidence}, " ".join(actions))]


def _judge_train(result: FormatResult, ctx: AuditContext) -> list[Finding]:
    config = ctx.config.format
    bound = config.max_invalid_share
    first = [_place(e) for e in result.errors[:5]]
    evidence = {"records": result.records, "valid": result.valid, "invalid": result.invalid,
                "invalid_share": round(result.invalid_share, 4), "max_invalid_share": bound, "first_errors": first,
                "formats": result.formats}
    notes = _notes(result)
    if notes:
        evidence["notes"] = notes
    if result.file_errors:
        evidence["file_errors"] = [f"{e.file}: {e.message}" for e in result.file_errors]
    if result.valid == 0:
        return [Finding("format", Status.FAIL, "no valid records could be read", evidence,
                        "Fix the input: " + (first[0] if first else "the file holds no records") + ".")]
    unread = _unread_files(result)
    # Every problem is said with its remedy: malformed rows beside a stray format must not hide the stray format.
    mixed, mixed_action = _mixed_formats(result)
    share = f"{result.invalid} of {result.records} records are malformed ({result.invalid_share:.1%})" + (f"; {unread}" if unread else "")
    action = f"Fix or remove the {result.invalid} malformed records listed under format errors (first: {first[0] if first else '-'})."
    also = (f"; {mixed}" if mixed else "", f" {mixed_action}" if mixed else "")
    if result.invalid_share > bound:
        return [Finding("format", Status.FAIL, f"{share}, over the {bound:.0%} bound{also[0]}", evidence, action + also[1])]
    if result.invalid_share > config.warn_invalid_share:
        return [Finding("format", Status.WARN, share + also[0], evidence, action + also[1])]
    # Under a loosened bound some records may be malformed and still pass: the summary says how many, never "all".
    # An annotation tool's export groups rows into items (one per task, several annotators' rows each): the rows
    # are what is well-formed, and the items what the audit counts everywhere else, so both are named.
    grouped = result.grouped
    unit = "export rows" if grouped else "records"
    items = (f" ({result.items} item{'' if result.items == 1 else 's'} audited)" if result.items
             else " (no items to audit: none were new or complete)") if grouped else ""

    def well_formed(records: str = unit) -> str:
        return (f"all {result.records} {records}{items}" if not result.invalid else
                f"{result.valid} of {result.records} {records}{items} ({result.invalid} malformed, {result.invalid_share:.1%}, "
                f"within the {config.warn_invalid_share:.0%} bound)")
    if unread:
        # No record count shows a file that gave no records (or broke off): a batch lost on export would pass unseen.
        return [Finding("format", Status.WARN, f"{well_formed(unit + ' read')} are well-formed, but {unread}{also[0]}",
                        evidence, f"Export {result.file_errors[0].file} again or leave it out of the audit.{also[1]}")]
    if mixed:
        return [Finding("format", Status.WARN, f"{well_formed()} are well-formed, but {mixed}", evidence, mixed_action)]
    return [Finding("format", Status.PASS, f"{well_formed()} are well-formed", evidence)]


def _mixed_formats(result: FormatResult) -> tuple[str, str]:
    """The clause and the remedy for a file mixing formats; ("", "") when none does."""
    if result.minority_format is None:
        return "", ""
    file, line = result.minority_lines[0]
    others = ", ".join(f"{n} {k}" for k, n in result.formats.items() if k != result.minority_format)
    return (f"formats are mixed: {result.formats.get(result.minority_format, 0)} {result.minority_format} records "
            f"(first {file}:{line}) among {others}",
            f"Check that the {result.minority_format} records belong in this file; a trainer reads one format per file.")


def _unread_files(result: FormatResult) -> str:
    """The input files whose records could not be read, all of them or those after a break, and why; "" when
    there are none."""
    if not result.file_errors:
        return ""
    shown = "; ".join(f"{e.file}: {e.message}" for e in result.file_errors[:MAX_FILES_NAMED])
    more = len(result.file_errors) - MAX_FILES_NAMED
    noun = "file" if len(result.file_errors) == 1 else "files"
    return f"{len(result.file_errors)} {noun} could not be read as records ({shown}" + (f"; and {more} more" if more > 0 else "") + ")"


def _notes(result: FormatResult) -> list[str]:
    notes = []
    if result.truncated:
        notes.append(f"{result.truncated} records have an input or target longer than {MAX_TEXT_CHARS:,} characters; "
                     f"only their first {MAX_TEXT_CHARS:,} characters are embedded and compared")
    return notes


CHECK = Check(id="format", order=10, measure=measure, judge=judge, conditions=frozenset({"format"}))
