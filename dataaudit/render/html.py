"""report.html: one self-contained page a reviewer opens: verdict, conditions, plots, evidence tables.

No JavaScript, no network: CSS and inline SVG only, so it reads the same offline, printed, or as a PDF.
Everything a dataset contributes (texts, labels, annotator and field names) is escaped; tables are capped,
so a 100,000-row audit stays a small page.
"""

from __future__ import annotations

import html
import json

from ..report import Report, to_jsonable
from . import plots
from .summary import agreement_rows, coverage_rows, duplicates_rows, economics_lines, format_rows, size_rows

MAX_ROWS = 200
CSS = """
:root { --pass:#2e7d32; --warn:#b26a00; --fail:#c62828; --unknown:#6a1b9a; --muted:#5f6b7a; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:#1d2330; margin:0; background:#f6f7f9; }
main { max-width: 1060px; margin: 0 auto; padding: 24px 20px 60px; background:#fff; }
h1 { font-size: 1.6em; margin: 0 0 4px; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #e3e6ea; padding-bottom: 4px; }
.meta { color: var(--muted); font-size: .9em; }
.verdict { border-left: 6px solid; padding: 10px 14px; margin: 16px 0; background: #fafbfc; font-size: 1.05em; }
.verdict.ready { border-color: var(--pass); } .verdict.not_ready { border-color: var(--fail); } .verdict.insufficient_evidence { border-color: var(--unknown); }
.badge { display:inline-block; padding: 1px 8px; border-radius: 10px; color:#fff; font-size:.85em; font-weight:600; white-space:nowrap; }
.pass { background: var(--pass); } .warn { background: var(--warn); } .fail { background: var(--fail); } .unknown { background: var(--unknown); } .skipped { background:#8a939e; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 16px; font-size: .92em; }
th, td { text-align: left; vertical-align: top; padding: 5px 8px; border-bottom: 1px solid #e8eaed; overflow-wrap: anywhere; }
th { background: #f1f3f5; }
td:first-child, th:first-child { overflow-wrap: normal; white-space: nowrap; }
details { margin: 8px 0; } summary { cursor: pointer; font-weight: 600; }
figure { margin: 12px 0; } figure svg { max-width: 100%; height: auto; }
ul.lines li { margin: 2px 0; } pre { white-space: pre-wrap; font-size: .85em; background:#f6f8fa; padding: 10px; }
@media (max-width: 640px) { body { font-size: 14px; } main { padding: 12px; } }
@media print { body { background: #fff; } main { max-width: none; padding: 0; } details { display: block; }
  details > summary { list-style: none; } h2 { break-after: avoid; } figure, tr { break-inside: avoid; } }
"""


def esc(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _table(headers: list[str], rows: list[list[object]], total: int | None = None) -> str:
    if not rows:
        return ""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{esc(v)}</td>" for v in row) + "</tr>" for row in rows[:MAX_ROWS])
    note = f"<p class='meta'>first {MAX_ROWS} of {total or len(rows)} shown; all are in report.json</p>" if (total or len(rows)) > MAX_ROWS else ""
    return f"<div class='table-wrap'><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>{note}"


def _details(summary: str, body: str, open_: bool = False) -> str:
    if not body:
        return ""
    return f"<details{' open' if open_ else ''}><summary>{esc(summary)}</summary>{body}</details>"


def _lines(lines: list[str]) -> str:
    return "<ul class='lines'>" + "".join(f"<li>{esc(line)}</li>" for line in lines) + "</ul>" if lines else ""


def _figure(svg: str, caption: str) -> str:
    return f"<figure>{svg}<figcaption class='meta'>{esc(caption)}</figcaption></figure>"


def _header(report: Report) -> str:
    v = report.verdict
    train = [i for i in report.inputs if i.role == "train"]
    hashes = ", ".join(f"{i.path} (sha256 {i.sha256[:12]}…)" for i in train)
    rows = "".join(f"<tr><td>{esc(c.id)}</td><td><span class='badge {esc(c.status)}'>{esc(c.status)}</span></td><td>{esc(c.summary)}</td></tr>"
                   for c in v.conditions)
    rows += "".join(f"<tr><td>{esc(n.id)}</td><td><span class='badge skipped'>not judged</span></td><td>{esc(n.reason)}</td></tr>"
                    for n in v.not_judged)
    return (f"<header><h1>Dataset readiness: {esc(report.dataset)}</h1>"
            f"<p class='meta'>{esc(hashes)} · generated {esc(report.generated_at)} · dataaudit {esc(report.dataaudit_version)}</p></header>"
            f"<section id='verdict'><div class='verdict {esc(v.status)}' data-status='{esc(v.status)}'><strong>{esc(v.status.replace('_', ' ').upper())}</strong> — "
            f"<span id='verdict-sentence'>{esc(v.sentence)}</span></div>"
            f"<div class='table-wrap'><table><thead><tr><th>condition</th><th>status</th><th>summary</th></tr></thead><tbody>{rows}</tbody></table></div></section>")


def _decision(report: Report) -> str:
    parts = []
    econ = economics_lines(report)
    if econ:
        parts.append(f"<section id='sufficient'><h2>Sufficient conditions (reported, not blocking)</h2>{_lines(econ)}</section>")
    if report.verdict.actions:
        items = "".join(f"<li>{esc(a)}</li>" for a in report.verdict.actions)
        parts.append(f"<section id='actions'><h2>Next actions</h2><ol>{items}</ol></section>")
    if report.regressions:
        parts.append("<section id='regressions'><h2>Regressions against the previous run</h2>"
                     + _table(["what", "before", "now", "detail"], [[r["what"], r["before"], r["now"], r["detail"]] for r in report.regressions]) + "</section>")
    return "".join(parts)


def _format_and_size(report: Report) -> str:
    summary, errors = format_rows(report)
    out = [f"<section id='format'><h2>Format</h2>{_lines(summary)}",
           _details(f"Format errors ({report.checks['format'].invalid})", _table(["file", "line", "field", "message"], errors),
                    open_=bool(errors) and len(errors) <= 20), "</section>"]
    size = report.checks["size"]
    out.append(f"<section id='size'><h2>Size and balance</h2>{_lines(size_rows(report))}")
    if size.input_token_counts:
        out.append(_figure(plots.token_histograms(size.input_token_counts, size.target_token_counts, size.context_limit),
                           f"Token lengths ({size.tokenizer})"))
    balance = report.checks.get("balance")
    if balance is not None:
        out.append(_figure(plots.label_distribution(balance.counts, balance.rare_labels), "Label distribution"))
        out.append(_details(f"Label counts ({balance.labels})", _table(["label", "count", "share"],
                                                                       [[k, n, f"{balance.shares[k]:.1%}"] for k, n in balance.counts.items()])))
    out.append("</section>")
    return "".join(out)


def _agreement(report: Report) -> str:
    agreement = report.checks.get("agreement")
    lines, annotators, disputed = agreement_rows(report)
    if agreement is None:
        return ""
    out = [f"<section id='agreement'><h2>Agreement</h2>{_lines(lines)}"]
    scored = [a for a in agreement.annotators if a.agreement_with_others is not None][:40]
    if scored:
        out.append(_figure(plots.annotator_bars([a.annotator for a in scored], [a.agreement_with_others for a in scored],
                                                [a.flagged for a in scored]), "Per-annotator agreement"))
    if len(agreement.cohen_kappa) > 1:
        out.append(_figure(plots.agreement_heatmap(agreement.cohen_kappa), "Annotator x annotator agreement (Cohen's kappa)"))
    out.append(_table(["annotator", "items", "agreement with others", "alpha without", "flag"], annotators))
    out.append(_details(f"Disputed items ({len(disputed)})", _table(["item", "lines", "text", "labels"], disputed)))
    out.append("</section>")
    return "".join(out)


def _duplicates(report: Report) -> str:
    d = report.checks["duplicates"]
    lines, groups, conflicts, leaks = duplicates_rows(report)
    out = [f"<section id='duplicates'><h2>Duplicates, conflicts and leakage</h2>{_lines(lines)}"]
    if d.group_sizes:
        out.append(_figure(plots.group_sizes(d.group_sizes), "Duplicate group sizes"))
    out.append(_details(f"Conflicting labels ({len(conflicts)})", _table(["lines", "labels", "text"], conflicts), open_=bool(conflicts)))
    out.append(_details(f"Eval leakage ({len(leaks)})", _table(["eval record", "training record", "kind", "similarity", "text"], leaks), open_=bool(leaks)))
    out.append(_details(f"Duplicate groups ({d.exact_group_count + d.near_group_count})", _table(["kind", "lines", "keep", "text"], groups),
                        ))
    out.append("</section>")
    return "".join(out)


def _coverage(report: Report) -> str:
    c = report.checks.get("coverage")
    lines, uncovered, unused = coverage_rows(report)
    out = [f"<section id='coverage'><h2>Production coverage</h2>{_lines(lines)}"]
    if c is not None:
        if c.map_points:
            labels = [(s.label, s.centroid_2d) for s in c.uncovered if s.centroid_2d]
            out.append(_figure(plots.coverage_map(c.map_points["train"], c.map_points["production"], c.map_points["production_uncovered"], labels),
                               "Uncovered production inputs are red crosses; labels name the largest uncovered scenarios"))
        rows = [[s.label, f"{s.share:.1%}", s.size, " · ".join(s.examples[:3]),
                 " · ".join(f"{e.text} → nearest training: {e.nearest_training[0].text} ({e.nearest_training[0].similarity:.2f})"
                            for e in s.uncovered_examples[:2] if e.nearest_training)] for s in c.uncovered]
        out.append("<h3>Uncovered scenarios</h3>" + (_table(["scenario", "share of production", "inputs", "examples", "nearest training"], rows)
                                                      or "<p>None.</p>"))
        out.append(_details(f"All production scenarios ({len(c.scenarios)})", _table(
            ["scenario", "share", "covered", "examples"], [[s.label, f"{s.share:.1%}", f"{s.covered_share:.0%}", " · ".join(s.examples[:3])] for s in c.scenarios])))
        out.append(_details(f"Training clusters no production input comes near ({len(unused)})", _table(["cluster", "share of training", "examples"], unused)))
    out.append("</section>")
    return "".join(out)


def _inputs(report: Report) -> str:
    rows = [[i.role, i.path, i.records, i.sha256] for i in report.inputs]
    config = json.dumps(to_jsonable(report.config), indent=2, ensure_ascii=False)
    return (f"<section id='inputs'><h2>Inputs and configuration</h2>{_table(['role', 'path', 'records', 'sha256'], rows)}"
            f"{_details('Effective configuration', f'<pre>{esc(config)}</pre>')}</section>")


def render_html(report: Report) -> str:
    body = "".join([_header(report), _decision(report), _format_and_size(report), _agreement(report), _duplicates(report),
                    _coverage(report), _inputs(report)])
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>dataaudit: {esc(report.dataset)} — {esc(report.verdict.status)}</title><style>{CSS}</style></head>"
            f"<body><main>{body}<footer class='meta'>dataaudit {esc(report.dataaudit_version)} · report schema {report.schema_version}</footer></main></body></html>\n")
