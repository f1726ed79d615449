"""report.md: the report readable on its own in a pull request, under MARKDOWN_MAX_CHARS so that it fits in a
comment; what it cuts for that (a long table's later rows, then whole sections from the end) it says is in
report.json and report.html, naming only those of them the run writes. The verdict, its conditions and the next
actions are never cut.

Dataset text is untrusted: GitHub renders inline HTML and live links in Markdown, so every cell is
HTML-escaped and its Markdown characters (links, images, emphasis, code, pipes) neutralised.
"""

from __future__ import annotations

import re
import shlex
from typing import Collection, Iterable

from ..excerpt import excerpt, neutralise_markdown, one_line
from ..report import Report
from ..scan.pii import masked_as_configured
from .figures import regression_cells
from .sections import Table, all_sections, capped_note
from .sections.base import EXPORT_ROWS, add_json, rerun_for_full_lists, rows_grouped

# The formats a run writes beside report.md unless told otherwise: the cut notes name only files that exist.
ALL_FORMATS = ("json", "md", "html")

STATUS_MARK = {"pass": "✅", "warn": "⚠️", "fail": "❌", "unknown": "❔",
               "ready": "✅", "not_ready": "❌", "insufficient_evidence": "❔"}


# The report's own sentences (a section's lines, warnings, notes, titles, the verdict and its actions) are never cut:
# report.json, report.html and the terminal show them whole, and a coverage line cut at 600 characters lost its
# AUC. The dataset excerpts inside them were cut when the check wrote them. The limit only bounds a pathological
# text, as report.html's does.
WHOLE = 100_000


def cell(value: object, limit: int = WHOLE, *, starts_block: bool = True) -> str:
    """One inert Markdown cell or line: masked, single-line, Markdown neutralised ('&', '<' and '>' as
    HTML references, so it is inert in an HTML block too: excerpt.neutralise_markdown). starts_block=False for a
    table cell, where a leading "-" or "1." is text (the "-" of a missing value stays "-")."""
    return neutralise_markdown(excerpt(value, limit, markdown=False), starts_block=starts_block)


COMMAND_START = "`dataaudit "
# What a command an action names may hold (checks write `dataaudit redact 'data/x.jsonl' --out CLEAN`, `dataaudit
# dedup FILES... --out FOLDER`): a subcommand of the CLI, options, upper-case placeholders, and the audit's own input
# paths, shell-quoted. Actions are single strings that also carry dataset text (a path, a label), so a span shaped
# like a command may be dataset text; held to this grammar, the most such a span can show as code is a command
# dataaudit could have written for this audit, never a file, URL or markup of the dataset's choosing.
SUBCOMMANDS = frozenset(("audit", "init", "dedup", "redact", "history", "compare"))
_OPTION = re.compile(r"--[a-z][a-z-]*")
_PLACEHOLDER = re.compile(r"[A-Z][A-Z_]*(?:\.\.\.)?")


def command_pieces(shown: str, paths: Iterable[str] = ()) -> list[tuple[str, bool]]:
    """An action's text (excerpted already) cut into (text, is_command) pieces: the dataaudit commands it names
    (`dataaudit redact ...`), without their backticks, and the text between them. The one rule report.md and
    report.html both show commands by: a span opening with "`dataaudit ", ending at the first backtick outside
    shell quotes (see `_command_end`), is a command only when it is written as the checks write one (`_written_command`:
    every file it names is one of `paths`, the audit's inputs); any other backtick is text."""
    known = _as_shown(paths)
    pieces, position, search = [], 0, 0
    while (start := shown.find(COMMAND_START, search)) >= 0:
        end = _command_end(shown, start)
        if end < 0 or not _written_command(shown[start + 1:end], known):
            search = start + 1
            continue
        pieces += [(shown[position:start], False), (shown[start + 1:end], True)]
        position = search = end + 1
    return pieces + [(shown[position:], False)]


def _as_shown(paths: Iterable[str]) -> frozenset[str]:
    """Each path as it reads inside an excerpted action: masked, control characters escaped, a line break " ⏎ " and
    other whitespace collapsed, as excerpt() shows the action (`one_line`)."""
    return frozenset(one_line(str(path)) for path in paths)


def _written_command(command: str, paths: frozenset[str]) -> bool:
    """Whether `command` (a span's text, without its backticks) is a dataaudit command line as dataaudit writes one:
    shell-quoted exactly as shlex.quote quotes each word, naming no file but the audit's inputs."""
    try:
        words = shlex.split(command)
    except ValueError:
        return False
    if len(words) < 2 or words[0] != "dataaudit" or words[1] not in SUBCOMMANDS:
        return False
    if " ".join(shlex.quote(word) for word in words) != command:
        return False
    return all(word in paths or _OPTION.fullmatch(word) or _PLACEHOLDER.fullmatch(word) for word in words[2:])


def _command_end(text: str, start: int) -> int:
    """Index of the backtick closing the command span opened at `start`, or -1. The command's file names are
    shell-quoted (shlex.quote: single quotes, a quote inside as '"'"'), so a backtick inside quotes is part of
    a path, not the end."""
    i = start + 1
    while i < len(text):
        char = text[i]
        if char in "'\"":
            close = text.find(char, i + 1)
            if close < 0:
                return -1
            i = close
        elif char == "`":
            return i
        i += 1
    return -1


def code_span(command: str) -> str:
    """A Markdown code span showing `command` exactly: fenced by more backticks than any run inside it, padded
    where it starts or ends with one. Inside a code span nothing is a link, emphasis or HTML."""
    longest = max((len(run) for run in re.findall("`+", command)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if command.startswith(("`", " ")) or command.endswith(("`", " ")) else ""
    return f"{fence}{pad}{command}{pad}{fence}"


def action_line(action: str, limit: int = WHOLE, paths: Iterable[str] = ()) -> str:
    """A next action for report.md: the dataaudit commands the report names (`dataaudit redact ...`) as code, as
    report.html shows them (`command_pieces`; `paths` are the audit's input paths, the only files a command may
    name); everything else, dataset excerpts included, as inert text (`cell`). A command's text has been masked
    like the rest."""
    pieces = command_pieces(excerpt(action, limit, markdown=False), paths)
    # only the first piece starts the line ("1. {action}"); one after a command goes on the line
    return "".join(code_span(text) if command else neutralise_markdown(text, starts_block=not i) for i, (text, command) in enumerate(pieces))


def _table(headers: list[str], rows: list[list[object]], limit: int = WHOLE) -> list[str]:
    if not rows:
        return []
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(v, limit, starts_block=False) for v in row) + " |" for row in rows]
    return lines + [""]


def _details(summary: str, body: list[str]) -> list[str]:
    if not body:
        return []
    return ["<details>", f"<summary>{cell(summary, WHOLE)}</summary>", "", *body, "</details>", ""]


def _section_table(table: Table, max_rows: int | None = None, formats: Collection[str] = ALL_FORMATS) -> list[str]:
    shown = table.rows if max_rows is None else table.rows[:max_rows]
    body = _table(table.headers, shown)
    note = rows_note(table, len(shown), formats)
    if body and note:
        body += [f"_{cell(note, WHOLE)}_", ""]
    return _details(table.title, body) if table.collapsed else ([f"**{cell(table.title, WHOLE)}**", ""] + body if body else [])


# GitHub refuses a pull-request comment over 65,536 characters; the rest is room for a CI job's own wrapper.
MARKDOWN_MAX_CHARS = 60_000
# Rows per table (and warnings) tried in turn until report.md fits: whole tables first, so a report that fits
# reads as before; only past the last is a section left out.
ROW_CAPS = (None, 50, 10)


def _places(formats: Collection[str], listed: int = 0) -> str | None:
    """The written files that hold a list of `listed` rows in full, as a note names them; None where none does
    (report.md written alone)."""
    from .html import MAX_ROWS as HTML_MAX_ROWS  # here: html.py imports this module

    html_whole = listed <= HTML_MAX_ROWS
    if "json" in formats and "html" in formats:
        return "report.json and report.html" if html_whole else f"report.json (report.html lists the first {HTML_MAX_ROWS})"
    if "json" in formats:
        return "report.json"
    if "html" in formats:
        return "report.html" if html_whole else f"report.html (which lists the first {HTML_MAX_ROWS})"
    return None


def rows_note(table: Table, shown: int, formats: Collection[str] = ALL_FORMATS) -> str:
    """What a table report.md cut to its first `shown` rows says about the rest and where it is. Rows the
    section listed are in report.json (and in report.html up to its own cap), of those the run writes, and the
    count of them is what those files hold (report.html alone: its first MAX_ROWS); rows
    beyond those only where the section says (`capped_note`). Written alone, report.md says that report.json
    would hold them, and how many of them where the section's list is capped: not "the full lists"."""
    listed = len(table.rows)
    if shown >= listed:
        return capped_note(table, shown)
    total = max(table.total if table.total is not None else 0, listed)
    places = _places(formats, listed)
    if places is None:
        where = rerun_for_full_lists() if total == listed else f"{add_json()} for report.json, which lists {listed - shown} of them"
    else:
        from .html import MAX_ROWS as HTML_MAX_ROWS  # here: html.py imports this module

        # Without report.json the rest is only what report.html lists beyond report.md's rows, not the section's list.
        held = listed - shown if "json" in formats else min(listed, HTML_MAX_ROWS) - shown
        where = f"see {places}" if held == total - shown else f"{held} of them are in {places}"
    return f"… and {total - shown} more: {where}" + (f"; {table.full_list}" if table.full_list else "")


def _head(report: Report, sections: list) -> list[str]:
    """The verdict, its conditions, the sufficient conditions and the next actions: always whole."""
    v = report.verdict
    # Whole as the terminal, report.html and report.json show them: a condition cut at 400 characters lost the
    # eval rows' count and place that its action sends the reader to.
    out = [f"# Dataset readiness: {cell(report.dataset, WHOLE)}", "",
           f"**{STATUS_MARK[report.headline_status]} {cell(report.headline, WHOLE)}** — "
           f"{cell(report.sentence, WHOLE)}", ""]
    out += ["| condition | status | summary |", "|---|---|---|"]
    out += [f"| {c.id} | {STATUS_MARK[c.status]} {c.status} | {cell(c.summary, WHOLE, starts_block=False)} |" for c in v.conditions]
    out.append("")
    if v.not_judged:
        out += ["**Not judged:** " + "; ".join(f"`{n.id}` — {cell(n.reason, WHOLE)}" for n in v.not_judged), ""]
    for section, content in sections:
        if section.id == "sufficient" and content is not None:
            out += [f"## {section.title}", ""] + [f"- {cell(line, WHOLE)}" for line in content.lines] + [""]
    if v.actions:
        paths = [i.path for i in report.inputs]
        out += ["## Next actions", ""] + [f"{n}. {action_line(a, paths=paths)}" for n, a in enumerate(v.actions, 1)] + [""]
    return out


def _blocks(report: Report, sections: list, max_rows: int | None,
            formats: Collection[str] = ALL_FORMATS) -> list[tuple[str, list[str]]]:
    """Everything after the next actions, as (title, lines) blocks in reading order (the one report.html keeps
    too: regressions, warnings, inputs, the sections; the terminal, which lists no inputs, reads regressions,
    warnings, the sections): the units report.md leaves out, from the end, when even capped tables do not fit."""
    blocks = []
    if report.regressions:
        title = "Regressions against the previous run"
        regressions = Table(title, ["what", "before", "now", "detail"], [regression_cells(r, getattr(report, "config", None) or None) for r in report.regressions])
        # A regression's detail is shown whole, as everywhere else: it says why the figure moved.
        blocks.append((title, [f"## {title}", "", f"Compared with the run of {cell(report.compared_with or '?', WHOLE)}.", "",
                               *_capped_table(regressions, max_rows, formats, limit=WHOLE)]))
    if report.warnings:
        blocks.append(("Warnings", _warnings(report, max_rows, formats)))
    # an annotation tool's export rows are not the items the sections count; the hash whole, as report.html's
    # inputs table and report.json write it: it is what a reader compares with sha256sum
    inputs = Table("Inputs", ["role", "path", EXPORT_ROWS if rows_grouped(report) else "records", "sha256"],
                   [[i.role, i.path, i.records, i.sha256 or "(not read)"] for i in report.inputs])
    blocks.append(("Inputs", ["## Inputs", "", *_capped_table(inputs, max_rows, formats)]))
    for section, content in sections:
        if section.id == "sufficient" or content is None:
            continue
        lines = [f"## {section.title}", "", *[f"- {cell(line, WHOLE)}" for line in content.lines], ""]
        for table in content.tables:
            lines += _section_table(table, max_rows, formats)
        blocks.append((section.title, lines))
    return blocks


def _capped_table(table: Table, max_rows: int | None, formats: Collection[str] = ALL_FORMATS, limit: int = WHOLE) -> list[str]:
    """A table of the report's own lists (inputs, regressions), shown without a title, cut as sections' are."""
    shown = table.rows if max_rows is None else table.rows[:max_rows]
    note = rows_note(table, len(shown), formats)
    return _table(table.headers, shown, limit) + ([f"_{cell(note, WHOLE)}_", ""] if note else [])


def _warnings(report: Report, max_rows: int | None, formats: Collection[str] = ALL_FORMATS) -> list[str]:
    shown = report.warnings if max_rows is None else report.warnings[:max_rows]
    items = [f"> warning: {cell(w, WHOLE)}" for w in shown]
    if len(shown) < len(report.warnings):
        places = _places(formats)
        items.append(f"> … and {len(report.warnings) - len(shown)} more warnings: "
                     + (f"see {places}" if places else rerun_for_full_lists()))
    # A blank quoted line between them: consecutive "> " lines are one paragraph in CommonMark, and every
    # warning read as one run-on sentence.
    out = [line for item in items for line in (">", item)][1:]
    return out + ([""] if report.warnings else [])


def _length(lines: list[str]) -> int:
    return len("\n".join(lines))


def _left_out_note(titles: list[str], max_chars: int, formats: Collection[str] = ALL_FORMATS) -> list[str]:
    places = _places(formats)
    return [f"_report.md stops here to stay under {max_chars:,} characters; left out: "
            + "; ".join(cell(t, WHOLE) for t in titles)
            + (f". They are in {places}._" if places else f"; {rerun_for_full_lists()}._"), ""]


@masked_as_configured
def render_markdown(report: Report, max_chars: int = MARKDOWN_MAX_CHARS, formats: Collection[str] = ALL_FORMATS) -> str:
    """report.md, under `max_chars` characters where the verdict, conditions and actions leave room (they are
    always whole): long tables are cut to their first rows, then whole blocks from the end, each cut saying
    where the rest is. formats: the report formats the run writes ("json", "md", "html"); a cut names only
    their files."""
    sections = [(s, s.content(report, formats)) for s in all_sections()]
    head = _head(report, sections)
    footer = ["---", f"dataaudit {report.dataaudit_version}, report schema {report.schema_version}, generated {report.generated_at}", ""]
    for max_rows in ROW_CAPS:
        blocks = _blocks(report, sections, max_rows, formats)
        tail = footer
        lines = head + [line for _, block in blocks for line in block] + tail
        if _length(lines) <= max_chars:
            return "\n".join(lines)
    kept, left_out = list(blocks), []
    while kept:
        left_out.insert(0, kept.pop()[0])
        lines = head + [line for _, block in kept for line in block] + _left_out_note(left_out, max_chars, formats) + tail
        if _length(lines) <= max_chars:
            break
    return "\n".join(lines)
