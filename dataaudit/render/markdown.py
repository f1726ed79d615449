"""report.md: the same content as report.json, readable on its own in a pull request.

Dataset text is untrusted: GitHub renders inline HTML and live links in Markdown, so every cell is
HTML-escaped and its Markdown characters (links, images, emphasis, code, pipes) neutralised.
"""

from __future__ import annotations

import html
import re
import shlex
from typing import Iterable

from ..excerpt import excerpt, neutralise_markdown, sanitise
from ..report import Report
from ..scan.pii import masked_as_configured
from .figures import regression_cells
from .sections import Table, all_sections, capped_note

STATUS_MARK = {"pass": "✅", "warn": "⚠️", "fail": "❌", "unknown": "❔",
               "ready": "✅", "not_ready": "❌", "insufficient_evidence": "❔"}


def cell(value: object, limit: int = 160) -> str:
    """One inert Markdown cell or line: masked, single-line, truncated, HTML-escaped, Markdown neutralised."""
    return neutralise_markdown(html.escape(excerpt(value, limit, markdown=False), quote=False))


COMMAND_START = "`dataaudit "
# What a command an action names may hold (checks write `dataaudit redact 'data/x.jsonl' --out CLEAN`, `dataaudit
# dedup FILES... --out FOLDER`): a subcommand of the CLI, options, upper-case placeholders, and the audit's own input
# paths, shell-quoted. Actions are single strings that also carry dataset text (a path, a label), so a span shaped
# like a command may be dataset text; held to this grammar, the most such a span can show as code is a command
# dataaudit could have written for this audit, never a file, URL or markup of the dataset's choosing.
SUBCOMMANDS = frozenset(("audit", "init", "dedup", "redact", "history", "compare"))
_OPTION = re.compile(r"--[a-z][a-z-]*")
_PLACEHOLDER = re.compile(r"[A-Z][A-Z_]*(?:\.\.\.)?")
_SPACES = re.compile(r"\s+")


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
    """Each path as it reads inside an excerpted action: masked and control characters escaped (sanitise), its
    whitespace collapsed as excerpt() collapses the action's."""
    return frozenset(_SPACES.sub(" ", sanitise(str(path))) for path in paths)


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


def action_line(action: str, limit: int = 600, paths: Iterable[str] = ()) -> str:
    """A next action for report.md: the dataaudit commands the report names (`dataaudit redact ...`) as code, as
    report.html shows them (`command_pieces`; `paths` are the audit's input paths, the only files a command may
    name); everything else, dataset excerpts included, as inert text (`cell`). A command's text has been masked
    like the rest."""
    pieces = command_pieces(excerpt(action, limit, markdown=False), paths)
    return "".join(code_span(text) if command else _inert(text) for text, command in pieces)


def _inert(shown: str) -> str:
    return neutralise_markdown(html.escape(shown, quote=False))


def _table(headers: list[str], rows: list[list[object]]) -> list[str]:
    if not rows:
        return []
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return lines + [""]


def _details(summary: str, body: list[str]) -> list[str]:
    if not body:
        return []
    return ["<details>", f"<summary>{cell(summary, 200)}</summary>", "", *body, "</details>", ""]


def _section_table(table: Table) -> list[str]:
    body = _table(table.headers, table.rows)
    note = capped_note(table, len(table.rows))
    if body and note:
        body += [f"_{cell(note, 400)}_", ""]
    return _details(table.title, body) if table.collapsed else ([f"**{cell(table.title, 200)}**", ""] + body if body else [])


@masked_as_configured
def render_markdown(report: Report) -> str:
    v = report.verdict
    out = [f"# Dataset readiness: {cell(report.dataset)}", "",
           f"**{STATUS_MARK[report.headline_status]} {cell(report.headline)}** — "
           f"{cell(report.sentence, 2000)}", ""]
    out += ["| condition | status | summary |", "|---|---|---|"]
    out += [f"| {c.id} | {STATUS_MARK[c.status]} {c.status} | {cell(c.summary, 400)} |" for c in v.conditions]
    out.append("")
    if v.not_judged:
        out += ["**Not judged:** " + "; ".join(f"`{n.id}` — {cell(n.reason, 300)}" for n in v.not_judged), ""]
    sections = [(s, s.build(report)) for s in all_sections()]
    for section, content in sections:
        if section.id == "sufficient" and content is not None:
            out += [f"## {section.title}", ""] + [f"- {cell(line, 600)}" for line in content.lines] + [""]
    if v.actions:
        paths = [i.path for i in report.inputs]
        out += ["## Next actions", ""] + [f"{n}. {action_line(a, paths=paths)}" for n, a in enumerate(v.actions, 1)] + [""]
    if report.regressions:
        out += ["## Regressions against the previous run", "", f"Compared with the run of {cell(report.compared_with or '?')}.", ""] + _table(["what", "before", "now", "detail"],
                                                                         [regression_cells(r) for r in report.regressions])
    out += ["## Inputs", ""] + _table(["role", "path", "records", "sha256"],
                                      [[i.role, i.path, i.records, i.sha256[:16]] for i in report.inputs])
    for section, content in sections:
        if section.id == "sufficient" or content is None:
            continue
        out += [f"## {section.title}", "", *[f"- {cell(line, 600)}" for line in content.lines], ""]
        for table in content.tables:
            out += _section_table(table)
    out += [f"> warning: {cell(w, 400)}" for w in report.warnings] + ([""] if report.warnings else [])
    out += ["---", f"dataaudit {report.dataaudit_version}, report schema {report.schema_version}, generated {report.generated_at}", ""]
    return "\n".join(out)
