"""report.md: the same content as report.json, readable on its own in a pull request.

Dataset text is untrusted: GitHub renders inline HTML and live links in Markdown, so every cell is
HTML-escaped and its Markdown characters (links, images, emphasis, code, pipes) neutralised.
"""

from __future__ import annotations

import html

from ..excerpt import excerpt, neutralise_markdown
from ..report import Report
from ..scan.pii import masked_as_configured
from .figures import regression_cells
from .sections import Table, all_sections, capped_note

STATUS_MARK = {"pass": "✅", "warn": "⚠️", "fail": "❌", "unknown": "❔",
               "ready": "✅", "not_ready": "❌", "insufficient_evidence": "❔"}


def cell(value: object, limit: int = 160) -> str:
    """One inert Markdown cell or line: masked, single-line, truncated, HTML-escaped, Markdown neutralised."""
    return neutralise_markdown(html.escape(excerpt(value, limit, markdown=False), quote=False))


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
           f"**{STATUS_MARK[v.status]} {v.status.replace('_', ' ')}** — {cell(v.sentence, 2000)}", ""]
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
        out += ["## Next actions", ""] + [f"{i}. {cell(a, 600)}" for i, a in enumerate(v.actions, 1)] + [""]
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
