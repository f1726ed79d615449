"""report.md: the same content as report.json, readable on its own in a pull request.

Dataset text is untrusted: GitHub renders inline HTML in Markdown, so cells are HTML-escaped and pipes,
backticks and newlines neutralised.
"""

from __future__ import annotations

import html

from ..report import Report
from .summary import (STATUS_MARK, agreement_rows, coverage_rows, duplicates_rows, economics_lines, format_rows,
                      size_rows)


def cell(value: object, limit: int = 160) -> str:
    text = "" if value is None else str(value)
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return html.escape(text, quote=False).replace("|", "\\|").replace("`", "\\`").replace("*", "\\*").replace("_", "\\_")


def _table(headers: list[str], rows: list[list[object]]) -> list[str]:
    if not rows:
        return []
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return lines + [""]


def _details(summary: str, body: list[str]) -> list[str]:
    if not body:
        return []
    return ["<details>", f"<summary>{html.escape(summary)}</summary>", "", *body, "</details>", ""]


def render_markdown(report: Report) -> str:
    v = report.verdict
    out = [f"# Dataset readiness: {cell(report.dataset)}", "",
           f"**{STATUS_MARK[v.status]} {v.status.replace('_', ' ')}** — {cell(v.sentence, 2000)}", ""]
    out += ["| condition | status | summary |", "|---|---|---|"]
    out += [f"| {c.id} | {STATUS_MARK[c.status]} {c.status} | {cell(c.summary, 400)} |" for c in v.conditions]
    out.append("")
    if v.not_judged:
        out += ["**Not judged:** " + "; ".join(f"`{n.id}` — {cell(n.reason, 300)}" for n in v.not_judged), ""]
    econ = economics_lines(report)
    if econ:
        out += ["## Sufficient conditions (reported, not blocking)", ""] + [f"- {cell(line, 600)}" for line in econ] + [""]
    if v.actions:
        out += ["## Next actions", ""] + [f"{i}. {cell(a, 600)}" for i, a in enumerate(v.actions, 1)] + [""]
    if report.regressions:
        out += ["## Regressions against the previous run", ""] + _table(["what", "before", "now", "detail"],
                                                                         [[r["what"], r["before"], r["now"], r["detail"]] for r in report.regressions])

    out += ["## Inputs", ""] + _table(["role", "path", "records", "sha256"],
                                      [[i.role, i.path, i.records, i.sha256[:16]] for i in report.inputs])
    fmt_summary, fmt_errors = format_rows(report)
    out += ["## Format", "", *[f"- {cell(s, 400)}" for s in fmt_summary], ""]
    out += _details(f"{len(fmt_errors)} format errors listed", _table(["file", "line", "field", "message"], fmt_errors))
    out += ["## Size and balance", "", *[f"- {cell(s, 400)}" for s in size_rows(report)], ""]
    balance = report.checks.get("balance")
    if balance is not None:
        out += _table(["label", "count", "share"], [[k, n, f"{balance.shares[k]:.1%}"] for k, n in balance.counts.items()])
    agreement_summary, annotators, disputed = agreement_rows(report)
    if agreement_summary:
        out += ["## Agreement", "", *[f"- {cell(s, 400)}" for s in agreement_summary], ""]
        out += _table(["annotator", "items", "agreement with others", "alpha without", "flag"], annotators)
        out += _details(f"{len(disputed)} most disputed items", _table(["item", "lines", "text", "labels"], disputed))
    dup_summary, groups, conflicts, leaks = duplicates_rows(report)
    out += ["## Duplicates and leakage", "", *[f"- {cell(s, 400)}" for s in dup_summary], ""]
    out += _details(f"conflicting labels ({len(conflicts)} groups)", _table(["lines", "labels", "text"], conflicts))
    out += _details(f"leakage ({len(leaks)} eval records)", _table(["eval line", "train line", "kind", "similarity", "text"], leaks))
    out += _details(f"duplicate groups ({len(groups)} listed)", _table(["kind", "lines", "keep", "text"], groups))
    cov_summary, uncovered, unused = coverage_rows(report)
    out += ["## Production coverage", "", *[f"- {cell(s, 600)}" for s in cov_summary], ""]
    out += _table(["uncovered scenario", "share of production", "covered", "examples"], uncovered)
    out += _details(f"training clusters no production input comes near ({len(unused)})", _table(["cluster", "share of training", "examples"], unused))
    out += [f"> warning: {cell(w, 400)}" for w in report.warnings] + ([""] if report.warnings else [])
    out += ["---", f"dataaudit {report.dataaudit_version}, report schema {report.schema_version}, generated {report.generated_at}", ""]
    return "\n".join(out)
