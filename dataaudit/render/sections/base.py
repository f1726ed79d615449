"""The shape of a report section: lines, tables and (HTML only) figures built from one check's result."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Collection

from ...errors import said
from ...excerpt import excerpt

if TYPE_CHECKING:
    from ...report import Report


def text(value: object, limit: int = 120, *, keep_end: bool = False, keep_both: bool = False) -> str:
    """Dataset text for a section: masked, control characters visible, truncated (at the start with keep_end,
    for file paths; in the middle with keep_both, for names that differ at either end). Markdown characters
    are left for the Markdown renderer to neutralise, so HTML and the terminal show them as typed."""
    return excerpt(value, limit, markdown=False, keep_end=keep_end, keep_both=keep_both)


@dataclass(frozen=True)
class Table:
    title: str
    headers: list[str]
    rows: list[list[object]]
    total: int | None = None  # rows that exist, when `rows` is capped
    full_list: str = ""  # where every row is when `rows` is capped ("all are in duplicates.jsonl ..."); "" when nowhere
    collapsed: bool = True  # shown folded (Markdown/HTML details) unless it is the section's main table
    terminal: bool = False  # also shown in the terminal summary, whose sections are otherwise lines only
    terminal_rows: int | None = None  # the terminal shows only the first this many rows (None: all)


def add_json() -> str:
    """How the caller adds report.json to a run, in its own terms: the command line's --format, or from Python the
    formats write_reports takes (a notebook user has no flag to add)."""
    return said("add json to --format", "add json to write_reports(formats=...)")


def rerun_for_full_lists() -> str:
    """What a note says where report.json would hold every row but the run does not write it."""
    return f"{add_json()} for the full lists"


def json_lists_all(table: Table) -> bool:
    """Whether report.json lists every row of `table`: it lists the section's rows, which are all of them unless
    the section capped its list (`total` over them)."""
    return len(table.rows) >= (table.total or 0)


def json_rest(table: Table, shown: int, json_written: bool) -> str:
    """Where report.json has the rows of `table` after its first `shown`: it lists the section's rows, which are all
    of them unless the section capped its list (`total` over them). "" when it holds none beyond `shown`. A run
    that does not write report.json is told to add it, and, for a capped list, that it too lists only some."""
    listed = len(table.rows)
    if listed <= shown:
        return ""
    if json_lists_all(table):
        return "all are in report.json" if json_written else rerun_for_full_lists()
    more = f"{listed - shown} more are in report.json"
    return more if json_written else f"{more} ({add_json()})"


def capped_note(table: Table, shown: int, json_written: bool | None = None) -> str:
    """What a table showing its first `shown` rows says about the rest: how many exist, how many more report.json
    lists (`json_rest`; not said where json_written is None, for a renderer that names its places itself) and,
    only where the section declares it, where all of them are; "" when nothing is left out."""
    total = max(table.total if table.total is not None else 0, len(table.rows))
    if shown >= total:
        return ""
    rest = "" if json_written is None else json_rest(table, shown, json_written)
    return "; ".join(part for part in (f"first {shown} of {total} listed", rest, table.full_list) if part)


@dataclass(frozen=True)
class Figure:
    svg: str
    caption: str


@dataclass(frozen=True)
class SectionContent:
    lines: list[str]
    tables: list[Table] = field(default_factory=list)


@dataclass(frozen=True)
class Section:
    id: str  # HTML anchor
    title: str
    order: int
    # (report, formats) -> what the section shows, None where nothing; formats as content() takes them, for the
    # lines that name a file only some formats write (duplicates.jsonl and report.json come with json), which
    # report.md or report.html written alone must not send the reader to.
    build: Callable[[Report, Collection[str] | None], SectionContent | None]
    figures: Callable[[Report], list[Figure]] = lambda report: []  # HTML only; matplotlib is slow to import
    terminal: bool = True  # shown in the terminal summary

    def content(self, report: Report, formats: Collection[str] | None = None) -> SectionContent | None:
        """What the section shows for `report`. formats: the report formats this run writes ("json", "md", "html");
        None where not known (the terminal, which notes itself the files it names that the run does not write)."""
        return self.build(report, formats)


# What the rows read are called where they were grouped into items (FormatResult.grouped), in every view and in
# the format condition: "1200 records read ... prodigy 400" beside "9 of 200 records are duplicates" read as one unit.
EXPORT_ROWS = "export rows"


def rows_grouped(report: Report) -> bool:
    """Whether the training rows read were grouped into items: the format result's `grouped`."""
    checks = getattr(report, "checks", None) or {}
    f = checks.get("format")
    return f is not None and f.grouped


def unit(report: Report) -> str:
    """What the measured records are called: items where rows were grouped into them, records otherwise."""
    return "items" if rows_grouped(report) else "records"


def json_written(formats: Collection[str] | None) -> bool:
    """Whether report.json and the line files beside it are written, as far as a section knows (None: not known,
    and the renderer says so where it matters)."""
    return formats is None or "json" in formats
