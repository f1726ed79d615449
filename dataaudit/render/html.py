"""report.html: one self-contained page a reviewer opens: verdict, conditions, plots, evidence tables.

No JavaScript, no network: CSS and inline SVG only, so it reads the same offline, printed, or as a PDF (print
opens every collapsed table: a closed <details> hides its content in a part only `::details-content` reaches;
`details { display: block }` alone printed the headings with empty bodies).
Everything a dataset contributes (texts, labels, annotator and field names) is escaped, and its right-to-left
runs isolated in <bdi> (see `inline`); tables are capped, so a 100,000-row audit stays a small page.
"""

from __future__ import annotations

import html
import re
import unicodedata
from typing import Callable, Collection, Iterable

from ..report import Report
from ..excerpt import excerpt
from ..scan.pii import masked_as_configured
from .json_report import dumps, safe_config
from .figures import regression_cells
from .markdown import command_pieces
from .sections import Table, all_sections, capped_note
from .sections.base import EXPORT_ROWS, rows_grouped

MAX_ROWS = 200
SHORT_WORD = 16  # a table cell of one word up to this long is kept on one line
CSS = """
:root { --pass:#2e7d32; --warn:#b26a00; --fail:#c62828; --unknown:#6a1b9a; --muted:#5f6b7a; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:#1d2330; margin:0; background:#f6f7f9; }
main { max-width: 1060px; margin: 0 auto; padding: 24px 20px 60px; background:#fff; }
h1 { font-size: 1.6em; margin: 0 0 4px; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #e3e6ea; padding-bottom: 4px; }
.meta { color: var(--muted); font-size: .9em; }
ul.warnings li { color: var(--warn); }
.verdict { border-left: 6px solid; padding: 10px 14px; margin: 16px 0; background: #fafbfc; font-size: 1.05em; }
.verdict.ready { border-color: var(--pass); } .verdict.not_ready { border-color: var(--fail); } .verdict.insufficient_evidence { border-color: var(--unknown); }
.badge { display:inline-block; padding: 1px 8px; border-radius: 10px; color:#fff; font-size:.85em; font-weight:600; white-space:nowrap; }
.pass { background: var(--pass); } .warn { background: var(--warn); } .fail { background: var(--fail); } .unknown { background: var(--unknown); } .skipped { background:#8a939e; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 16px; font-size: .92em; }
th, td { text-align: left; vertical-align: top; padding: 5px 8px; border-bottom: 1px solid #e8eaed; overflow-wrap: anywhere; }
th { background: #f1f3f5; overflow-wrap: normal; }
td:first-child, th:first-child { overflow-wrap: normal; white-space: nowrap; }
td.nowrap { overflow-wrap: normal; white-space: nowrap; }
details { margin: 8px 0; } summary { cursor: pointer; font-weight: 600; }
figure { margin: 12px 0; } figure svg { max-width: 100%; height: auto; }
ul.lines li { margin: 2px 0; } pre { white-space: pre-wrap; font-size: .85em; background:#f6f8fa; padding: 10px; }
@media (max-width: 640px) { body { font-size: 14px; } main { padding: 12px; } }
@media print { body { background: #fff; } main { max-width: none; padding: 0; } details { display: block; }
  details::details-content { content-visibility: visible; display: contents; }
  details > summary { list-style: none; } h2 { break-after: avoid; } figure, tr { break-inside: avoid; } }
"""


def esc(value: object, limit: int = 100_000) -> str:
    """Inert HTML text: masked, control characters visible, then HTML-escaped (quotes too, for attributes)."""
    return html.escape(excerpt(value, limit, markdown=False), quote=True)


_RTL = frozenset(("R", "AL"))
_RTL_END = frozenset(("R", "AL", "AN"))
_RTL_TAIL = frozenset(("NSM", "BN"))  # marks and joiners that belong to the letter before them
_COUNT = re.compile(r" \(\d[\d,.]*%?\)")  # how the report writes a count after a label


def inline(value: object, limit: int = 100_000, piece: Callable[[str], str] = str) -> str:
    """esc() for element content, with each right-to-left run in <bdi>. Lines and cells mix dataset text (an
    Arabic label, a Hebrew excerpt) with the report's own words and numbers: without isolation the browser's bidi
    algorithm lets "إلغاء (5)" or an excerpt before "at line 3" pull the count or line number into the
    right-to-left run and draw them on its other side. A run starts at a right-to-left letter and ends at the last
    right-to-left letter or Arabic digit before the next left-to-right letter, so the report's text around it
    keeps its order. piece: what is done to each escaped piece (line breaks for paths). Never for attributes or
    <title>, where a tag would be text."""
    return _isolated(excerpt(value, limit, markdown=False), piece)


def _isolated(shown: str, piece: Callable[[str], str] = str) -> str:
    """inline() of text excerpted already."""
    if shown.isascii():
        return piece(html.escape(shown, quote=True))
    out, position, i, n = [], 0, 0, len(shown)
    kinds = [unicodedata.bidirectional(ch) for ch in shown]
    for match in _COUNT.finditer(shown):  # "ביטול (1), إلغاء (1)": each label its own run, its count outside
        kinds[match.start():match.end()] = ["L"] * (match.end() - match.start())
    while i < n:
        if kinds[i] not in _RTL:
            i += 1
            continue
        last = j = i
        while j < n and kinds[j] != "L":
            if kinds[j] in _RTL_END:
                last = j
            j += 1
        end = last + 1
        while end < n and kinds[end] in _RTL_TAIL:
            end += 1
        out.append(piece(html.escape(shown[position:i], quote=True)))
        out.append(f"<bdi>{piece(html.escape(shown[i:end], quote=True))}</bdi>")
        position = i = end
    out.append(piece(html.escape(shown[position:], quote=True)))
    return "".join(out)


def action_item(action: str, paths: Iterable[str] = ()) -> str:
    """A next action: the dataaudit commands it names as <code> (read as literal backticks otherwise), by the
    rule report.md uses (`command_pieces`, `paths` the audit's inputs); the rest, dataset excerpts included,
    escaped as any text."""
    pieces = command_pieces(excerpt(action, 100_000, markdown=False), paths)
    return "".join(f"<code>{_isolated(text)}</code>" if command else _isolated(text) for text, command in pieces)


def _table(headers: list[str], rows: list[list[object]], table: Table | None = None, json_written: bool = True) -> str:
    """A capped table, whose note says how many rows exist and where the rest are (`capped_note`): report.json's
    list (all of a report's own lists, inputs and regressions; a section's list, itself capped where the section
    says), and wherever a section's `table` says all of them are. json_written: whether this run writes
    report.json, else the note says to add it."""
    if not rows:
        return ""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    shown = rows[:MAX_ROWS]
    body = "".join("<tr>" + "".join(_cell(v) for v in row) + "</tr>" for row in shown)
    note = capped_note(table if table is not None else Table("", headers, rows), len(shown), json_written)
    note = f"<p class='meta'>{inline(note)}</p>" if note else ""
    return f"<div class='table-wrap'><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>{note}"


_BREAK_AFTER = re.compile(r"([./\]_])(?=\S)")


def _break_after(escaped: str) -> str:
    return _BREAK_AFTER.sub(r"\1<wbr>", escaped)


def _cell(value: object) -> str:
    # Cells may break anywhere so that a long unbroken text cannot widen the table, but a line number or a
    # count split over two lines ("11" above "3") reads as two numbers, and a short word ("exac" over "t") as two.
    numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
    word = isinstance(value, str) and len(value) <= SHORT_WORD and not any(c.isspace() for c in value)
    if numeric or word:
        return f"<td class='nowrap'>{inline(value)}</td>"
    if isinstance(value, str) and not any(c.isspace() for c in value):
        # A path or field name ("messages[0].content") breaks after its separators first, not mid-name.
        return f"<td>{inline(value, piece=_break_after)}</td>"
    return f"<td>{inline(value)}</td>"


def _details(summary: str, body: str, open_: bool = False) -> str:
    if not body:
        return ""
    return f"<details{' open' if open_ else ''}><summary>{inline(summary)}</summary>{body}</details>"


def _lines(lines: list[str]) -> str:
    return "<ul class='lines'>" + "".join(f"<li>{inline(line)}</li>" for line in lines) + "</ul>" if lines else ""


HASH_PREFIX_CHARS = 16
_SVG_OPEN = re.compile(r"<svg\b([^>]*)>")


def _figure(svg: str, caption: str, scope: str) -> str:
    """A plot with its caption; the <svg> named as one image by the caption (role, aria-label and <title>), so that a
    screen reader says what it shows instead of reading out every tick label. scope: a name no other figure of the
    page has, put before each of the figure's ids."""
    from .plots import scoped_ids

    name = esc(caption)
    named = _SVG_OPEN.sub(lambda m: f"<svg role='img' aria-label='{name}'{m.group(1)}><title>{name}</title>",
                          scoped_ids(svg, scope), count=1)
    return f"<figure>{named}<figcaption class='meta'>{inline(caption)}</figcaption></figure>"


def _header(report: Report) -> str:
    v = report.verdict
    train = [i for i in report.inputs if i.role == "train"]
    # A prefix to tell runs apart at a glance; the inputs table below writes each hash whole, as report.md does.
    hashes = ", ".join(f"{i.path} (sha256 {i.sha256[:HASH_PREFIX_CHARS]}…)" if i.sha256 else f"{i.path} (not read)" for i in train)
    rows = "".join(f"<tr><td>{esc(c.id)}</td><td><span class='badge {esc(c.status)}'>{esc(c.status)}</span></td><td>{inline(c.summary)}</td></tr>"
                   for c in v.conditions)
    rows += "".join(f"<tr><td>{esc(n.id)}</td><td><span class='badge skipped'>not judged</span></td><td>{inline(n.reason)}</td></tr>"
                    for n in v.not_judged)
    return (f"<header><h1>Dataset readiness: {inline(report.dataset)}</h1>"
            f"<p class='meta'>{inline(hashes)} · generated {esc(report.generated_at)} · dataaudit {esc(report.dataaudit_version)}</p></header>"
            f"<section id='verdict'><div class='verdict {esc(report.headline_status)}' data-status='{esc(report.headline_status)}'><strong>{esc(report.headline.upper())}</strong> — "
            f"<span id='verdict-sentence'>{inline(report.sentence)}</span></div>"
            f"<div class='table-wrap'><table><thead><tr><th>condition</th><th>status</th><th>summary</th></tr></thead><tbody>{rows}</tbody></table></div></section>")


def _decision(report: Report, formats: Collection[str]) -> str:
    json_written = "json" in formats
    parts = []
    sufficient = next((s for s in all_sections() if s.id == "sufficient"), None)
    if sufficient is not None:
        parts.append(_section(sufficient, report, formats))
    if report.verdict.actions:
        paths = [i.path for i in report.inputs]
        items = "".join(f"<li>{action_item(a, paths)}</li>" for a in report.verdict.actions)
        parts.append(f"<section id='actions'><h2>Next actions</h2><ol>{items}</ol></section>")
    # Regressions, then warnings: the order the terminal and report.md keep too.
    if report.regressions:
        parts.append("<section id='regressions'><h2>Regressions against the previous run</h2>"
                     f"<p>Compared with the run of {inline(report.compared_with or '?')}.</p>"
                     + _table(["what", "before", "now", "detail"], [regression_cells(r, getattr(report, "config", None) or None) for r in report.regressions],
                              json_written=json_written) + "</section>")
    if report.warnings:
        # What the run could not do or set aside (a per-file table left out, a check that failed, a broken
        # cache): said here too, as in the terminal and report.md, or a missing table reads as nothing to show.
        items = "".join(f"<li>{inline(w)}</li>" for w in report.warnings)
        parts.append(f"<section id='warnings'><h2>Warnings ({len(report.warnings)})</h2><ul class='warnings'>{items}</ul></section>")
    return "".join(parts)


def _section(section, report: Report, formats: Collection[str] = ("json", "md", "html")) -> str:
    json_written = "json" in formats
    content = section.content(report, formats)
    if content is None:
        return ""
    out = [f"<section id='{esc(section.id)}'><h2>{esc(section.title)}</h2>{_lines(content.lines)}"]
    out += [_figure(f.svg, f.caption, f"figure-{section.id}-{n}") for n, f in enumerate(section.figures(report), 1)]
    for table in content.tables:
        body = _table(table.headers, table.rows, table, json_written)
        out.append(_details(table.title, body) if table.collapsed else (f"<h3>{inline(table.title)}</h3>" + (body or "<p>None.</p>")))
    out.append("</section>")
    return "".join(out)


def _inputs(report: Report, json_written: bool) -> str:
    rows = [[i.role, i.path, i.records, i.sha256 or "(not read)"] for i in report.inputs]
    config = dumps(safe_config(report), indent=2)  # the configuration report.json writes: masked, controls escaped
    counted = EXPORT_ROWS if rows_grouped(report) else "records"  # an annotation tool's export rows are not the items counted
    return (f"<section id='inputs'><h2>Inputs and configuration</h2>{_table(['role', 'path', counted, 'sha256'], rows, json_written=json_written)}"
            f"{_details('Effective configuration', f'<pre>{html.escape(config)}</pre>')}</section>")


@masked_as_configured
def render_html(report: Report, formats: Collection[str] = ("json", "md", "html")) -> str:
    """report.html; formats: what this run writes beside it (a capped list names report.json only if written)."""
    json_written = "json" in formats
    sections = "".join(_section(s, report, formats) for s in all_sections() if s.id != "sufficient")
    # The inputs before the sections, as report.md reads (markdown._blocks): the files the evidence is about first.
    body = "".join([_header(report), _decision(report, formats), _inputs(report, json_written), sections])
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>dataaudit: {esc(report.dataset)} — {esc(report.headline)}</title><style>{CSS}</style></head>"
            f"<body><main>{body}<footer class='meta'>dataaudit {esc(report.dataaudit_version)} · report schema {report.schema_version}</footer></main></body></html>\n")
