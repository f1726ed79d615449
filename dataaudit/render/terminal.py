"""The terminal summary (rich): the verdict, the conditions table, each section's key lines, next actions.

Dataset text goes in as rich Text, never as markup, so '[bold]' in a record prints as itself; every string
passes the excerpt sanitiser (`plain`): masked, control characters visible. The history table and the compare
note print through `plain` too.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Collection

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..excerpt import ELLIPSIS, LINE_BREAK, one_line
from ..report import Report
from ..scan.pii import masked_as_configured
from .figures import regression_line
from .outputs import FILE_NAMES, LINE_FILES
from .sections import Table as SectionTable, all_sections, capped_note
from .sections.base import EXPORT_ROWS, json_lists_all, json_rest, rows_grouped

STYLE = {"pass": "green", "warn": "yellow", "fail": "red", "unknown": "magenta",
         "ready": "bold green", "not_ready": "bold red", "insufficient_evidence": "bold magenta"}
LONGEST_UNSPLIT = 20  # a section table's column of single words up to this long is never wrapped
NARROW = 60  # columns: below this the tables are printed as stacked lines (a 10-column summary splits words)


def plain(value: object, style: str = "", *, ascii_marks: bool = False) -> Text:
    """Any string as inert terminal text: personal data masked (a dataset name, a hostile key named in an
    action, a history row), no markup, no escape sequences. ascii_marks: an excerpt's truncation mark as "..." and
    a line break's as "\\n" (as stderr's one-line messages write one), for a console that shows ASCII only
    (`ascii_only`): its output escapes "⏎" as "\\u23ce", which read as a hidden character the data holds. A line
    break in a name or path reads " ⏎ ", as in report.md and report.html (`one_line`)."""
    shown = one_line("" if value is None else str(value))
    if ascii_marks:
        shown = shown.replace(ELLIPSIS, "...").replace(LINE_BREAK, " \\n ")
    return Text(shown, style=style)


def one_word_each(texts: list[Text]) -> bool:
    return all(len(t.plain.split()) <= 1 and len(t.plain) <= LONGEST_UNSPLIT for t in texts)


def ascii_only(console: Console) -> bool:
    """Whether the console shows ASCII only: a terminal that declares it cannot draw (TERM=dumb), whose box
    characters and "…" print as junk, or an output encoding that is not UTF."""
    return console.is_dumb_terminal or console.options.ascii_only


def _box(console: Console):
    return box.ASCII if ascii_only(console) else box.HEAVY_HEAD


def section_table(table: SectionTable, console: Console | None = None) -> Table:
    """A section's table for the console: every cell inert text, narrowed to the console's width. A column of
    single words (a file name, a count) is never wrapped: a figure split over two lines reads as two figures."""
    ascii_marks = console is not None and ascii_only(console)
    cells = [[plain(value, ascii_marks=ascii_marks) for value in row] for row in _shown_rows(table)]
    shown = Table(title=table.title, title_justify="left", show_header=True, header_style="bold", expand=False,
                  box=_box(console) if console is not None else box.HEAVY_HEAD, caption=_capped(table), caption_justify="left")
    for column, header in enumerate(table.headers):
        shown.add_column(header, overflow="fold", no_wrap=one_word_each([Text(header)] + [row[column] for row in cells]))
    for row in cells:
        shown.add_row(*row)
    return shown


def _shown_rows(table: SectionTable) -> list[list[object]]:
    return table.rows if table.terminal_rows is None else table.rows[:table.terminal_rows]


def _capped(table: SectionTable) -> str | None:
    # Names report.json for the rest as if written: the summary's last note says when this run does not write it.
    return capped_note(table, len(_shown_rows(table)), json_written=True) or None


class _Indented:
    """Text wrapped at word boundaries (a word longer than a line folded) with every line indented, the
    continuation lines too, and no padding after the last word."""

    def __init__(self, text: Text, indent: int = 2):
        self.text, self.indent = text, indent

    def __rich_console__(self, console: Console, options):
        width = max(options.max_width - self.indent, 16)
        for line in self.text.wrap(console, width, overflow="fold"):
            line.rstrip()
            yield Text(" " * self.indent) + line


def _indented(text: Text, indent: int = 2) -> _Indented:
    return _Indented(text, indent)


def _stacked_table(table: SectionTable, console: Console) -> None:
    """A table as lines on a narrow terminal: a row per item, each cell named by its header. A table squeezed
    into 40 columns splits words ("credential" over "s") and spends a screen on a few rows."""
    ascii_marks = ascii_only(console)
    console.print(_indented(plain(table.title, "bold", ascii_marks=ascii_marks)))
    for row in _shown_rows(table):
        cells = list(zip(table.headers, row))
        place = ""
        if table.headers[:2] == ["file", "line"]:  # file:line, as an editor or grep takes it
            place, cells = f"{row[0]}:{row[1]} ", cells[2:]
        console.print(_indented(Text("- ") + plain(place + "; ".join(f"{h}: {v}" for h, v in cells), ascii_marks=ascii_marks), 4))
    if note := _capped(table):
        console.print(_indented(plain(note, "dim", ascii_marks=ascii_marks), 4))


def _print_section(section, report: Report, console: Console, say, printed: list[str], shown_tables: list[SectionTable], narrow: bool,
                   ascii_marks: bool) -> None:
    """A section's key lines (the sufficient conditions under the heading "decision") and its terminal tables."""
    content = section.content(report)
    if content is None or not content.lines:
        return
    console.print(Text(section.id if section.id != "sufficient" else "decision", "bold underline"))
    for line in content.lines:
        say(_indented(plain(line, ascii_marks=ascii_marks)), line)
    for table in content.tables:
        if table.terminal:
            printed.append(_capped(table) or "")
            shown_tables.append(table)
            if narrow:
                _stacked_table(table, console)
            else:
                console.print(section_table(table, console))


# Each file the summary may name, and the --format that writes it (the line files come with json).
FORMAT_OF_FILE = {**{name: fmt for fmt, name in FILE_NAMES.items()}, **dict.fromkeys(LINE_FILES, "json")}


@masked_as_configured
def render_terminal(report: Report, console: Console | None = None, files: Collection[str | PurePath] | None = None,
                    out_given: bool = False) -> None:
    """The summary. files: the report files this run writes (None: not known, as for a caller that writes them
    itself); with it, a file the summary names that is not among them is said to be unwritten. out_given: the run
    has a folder for report files (--out), so what is missing for an unwritten one is its format in --format."""
    console = console or Console()
    ascii_marks = ascii_only(console)
    narrow = console.width < NARROW
    v = report.verdict
    printed: list[str] = []  # what the summary says, to find the files it names
    shown_tables: list[SectionTable] = []  # the section tables it prints, to say what report.json lists of them

    def say(renderable, words: str = "") -> None:
        printed.append(words)
        console.print(renderable)

    records = sum(i.records for i in report.inputs if i.role == "train")
    # An annotation tool's export rows are not the items audited: a batch of 150 items read "(300 records)".
    counted = f"{report.checks['format'].items} items from {records} {EXPORT_ROWS}" if rows_grouped(report) else f"{records} records"
    console.print(Text.assemble(("dataaudit ", "bold"), plain(report.dataset, "bold cyan", ascii_marks=ascii_marks), f"  ({counted})"))
    style = STYLE[report.headline_status]
    say(Text.assemble((report.headline.upper(), style), "  ", plain(report.sentence, ascii_marks=ascii_marks)), report.sentence)
    if narrow:
        for c in v.conditions:
            say(Text.assemble((c.id, "bold"), ": ", (c.status, STYLE[c.status])))
            say(_indented(plain(c.summary, ascii_marks=ascii_marks)), c.summary)
        for n in v.not_judged:
            say(Text.assemble((n.id, "bold"), ": ", ("not judged", "dim")))
            say(_indented(plain(n.reason, "dim", ascii_marks=ascii_marks)), n.reason)
    else:
        table = Table(show_header=True, header_style="bold", expand=False, box=_box(console))
        table.add_column("condition")
        table.add_column("status")
        table.add_column("summary", overflow="fold")
        for c in v.conditions:
            table.add_row(c.id, Text(c.status, STYLE[c.status]), plain(c.summary, ascii_marks=ascii_marks))
            printed.append(c.summary)
        for n in v.not_judged:
            table.add_row(n.id, Text("not judged", "dim"), plain(n.reason, "dim", ascii_marks=ascii_marks))
            printed.append(n.reason)
        console.print(table)
    # One order in every format: the verdict and its conditions, the sufficient conditions, the next actions,
    # regressions, warnings, then the sections' evidence (report.md and report.html read the same way).
    sections = [s for s in all_sections() if s.terminal]
    for section in sections:
        if section.id == "sufficient":
            _print_section(section, report, console, say, printed, shown_tables, narrow, ascii_marks)
    if v.actions:
        console.print(Text("next actions", "bold underline"))
        for i, action in enumerate(v.actions, 1):
            say(_indented(Text(f"{i}. ") + plain(action, ascii_marks=ascii_marks)), action)
    if report.regressions:
        console.print(Text(f"regressions against the run of {report.compared_with or 'the previous run'} ({len(report.regressions)})", "bold red"))
        for r in report.regressions:
            console.print(_indented(plain(regression_line(r, getattr(report, "config", None) or None), ascii_marks=ascii_marks)))
    for warning in report.warnings:
        say(plain(f"warning: {warning}", "yellow", ascii_marks=ascii_marks), warning)
    for section in sections:
        if section.id != "sufficient":
            _print_section(section, report, console, say, printed, shown_tables, narrow, ascii_marks)
    if files is not None:
        written = {PurePath(f).name for f in files}
        said = " ".join(printed)
        unwritten = [name for name in FORMAT_OF_FILE if name in said and name not in written]
        if unwritten:
            formats = [fmt for fmt in FILE_NAMES if fmt in {FORMAT_OF_FILE[name] for name in unwritten}]
            fix = (f"add {','.join(formats)} to --format" if out_given
                   else "add --out FOLDER (with --format json,md,html)")
            console.print(plain(f"note: {', '.join(unwritten)}, named above, {'is' if len(unwritten) == 1 else 'are'} not written "
                                f"by this run: {fix} {_what_they_give(shown_tables, unwritten)}", "dim",
                                ascii_marks=ascii_marks))


def _what_they_give(tables: list[SectionTable], unwritten: list[str]) -> str:
    """What the unwritten files add: "the full lists" unless report.json, too, lists only some rows of a table the
    summary cut (1,000 of 1,334 format errors), and then how many more it lists (`json_rest`)."""
    cut = [(table, len(_shown_rows(table))) for table in tables]
    capped = [(table, shown) for table, shown in cut if shown < len(table.rows) and not json_lists_all(table)]
    if not capped:
        return "to have the full lists"
    them = "it" if len(unwritten) == 1 else "them"
    if "report.json" not in unwritten:
        return f"to have {them}"
    return (f"to have {them}, though report.json too caps {'a list' if len(capped) == 1 else 'lists'} ("
            + "; ".join(f"{table.title}: {json_rest(table, shown, json_written=True)}" for table, shown in capped) + ")")
