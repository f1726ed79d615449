"""report.md: the verdict's parts it shows whole."""

from __future__ import annotations

from dataaudit.checks.base import RunStatus
from dataaudit.decide.verdict import Condition, NotJudged, build_verdict
from dataaudit.render.markdown import render_markdown
from dataaudit.report import CheckResults, CheckRun, InputSummary, Report

# A format summary of the length the audit writes for malformed production and eval rows (507 characters there).
LONG_SUMMARY = ("1 of 5 records are malformed (20.0%), over the 5% bound; 2 of 202 production rows could not be read "
                + "(prod_bad.jsonl:201 (record): unrecognised record " + "x" * 300 + "); 1 of 108 eval rows could not be read "
                "(eval_bad.jsonl:7 (record): not JSON)")


def _report(conditions, not_judged=()) -> Report:
    verdict = build_verdict(conditions)
    if not_judged:
        verdict = verdict.__class__(**{**verdict.__dict__, "not_judged": list(not_judged)})
    return Report(dataaudit_version="0", generated_at="2026-01-02T00:00:00", dataset="tiny",
                  inputs=[InputSummary("train", "tiny.jsonl", "0" * 64, 5)], config={}, verdict=verdict,
                  checks=CheckResults({"format": None}, {"format": CheckRun(RunStatus.RAN)}))


def test_a_conditions_summary_is_whole_in_report_md_however_long():
    assert len(LONG_SUMMARY) > 400
    reason = "data-only audit: " + "supply a prompt log " * 20 + "to judge it"
    markdown = render_markdown(_report([Condition("format", "fail", LONG_SUMMARY)], [NotJudged("prompt_ceiling", reason)]))
    row = next(line for line in markdown.splitlines() if line.startswith("| format"))
    assert row.endswith("1 of 108 eval rows could not be read (eval\\_bad.jsonl:7 (record): not JSON) |")
    assert "…" not in row
    assert "supply a prompt log " * 20 + "to judge it" in markdown


def test_each_warning_is_its_own_paragraph_in_the_quote():
    """Consecutive "> warning:" lines are one paragraph in CommonMark: three warnings read as one run-on sentence."""
    import dataclasses

    from markdown_it import MarkdownIt

    warnings = ["history h.db could not be read", "2 rows were skipped", "the tokenizer fell back to another"]
    report = dataclasses.replace(_report([Condition("format", "pass", "fine")]), warnings=warnings)
    tokens = MarkdownIt("commonmark").parse(render_markdown(report))
    quote = [i for i, t in enumerate(tokens) if t.type == "blockquote_open"]
    assert len(quote) == 1
    end = next(i for i in range(quote[0], len(tokens)) if tokens[i].type == "blockquote_close")
    paragraphs = [t.content for t in tokens[quote[0]:end] if t.type == "inline"]
    assert paragraphs == [f"warning: {w}" for w in warnings]


# The coverage line's length and shape as an audit writes it (the AUC at its end, past 600 characters).
LONG_LINE = ("49.1% of 212 production inputs covered (" + "covered share by cross-fitted best-bin mixture-proportion "
             "estimation, " * 9 + "distribution shift (train vs production classifier ROC AUC, 0.5 = indistinguishable): 0.77")
LONG_WARNING = ("the embedding model all-MiniLM-L6-v2 cannot read 1 distinct training inputs (0.3%): "
                + "they were kept out of semantic near duplicates and leaks; " * 6
                + "e.g. b.jsonl:3 \"Family\". Use a multilingual sentence-transformers model (--model PATH)")


def _with_section(monkeypatch, lines, tables=()):
    """A report whose only section says `lines` and shows `tables`."""
    import dataclasses

    from dataaudit.render import markdown
    from dataaudit.render.sections import Section, SectionContent

    section = Section("coverage", "Coverage", 1, lambda report, formats: SectionContent(list(lines), list(tables)))
    monkeypatch.setattr(markdown, "all_sections", lambda: [section])
    return dataclasses.replace(_report([Condition("format", "pass", "fine")]), warnings=[LONG_WARNING])


def test_a_sections_line_and_a_warning_are_whole_in_report_md(monkeypatch):
    assert len(LONG_LINE) > 600 and len(LONG_WARNING) > 400
    markdown = render_markdown(_with_section(monkeypatch, [LONG_LINE]))
    line = next(line for line in markdown.splitlines() if line.startswith("- 49.1%"))
    assert line.endswith("0.5 = indistinguishable): 0.77")
    assert "…" not in line
    warning = next(line for line in markdown.splitlines() if line.startswith("> warning:"))
    assert warning.endswith("Use a multilingual sentence-transformers model (--model PATH)")
    assert "…" not in warning


def test_a_tables_title_note_and_cells_are_whole_in_report_md(monkeypatch):
    from dataaudit.render.sections import Table

    title = "Uncovered production scenarios " + "(largest first, each with its nearest training input) " * 5 + "end"
    cell_text = "a detail the section wrote whole " * 8 + "tail"
    table = Table(title, ["what", "detail"], [["x", cell_text]], total=3, full_list="all are in coverage.jsonl")
    markdown = render_markdown(_with_section(monkeypatch, ["one line"], [table]))
    assert f"<summary>{title}</summary>" in markdown
    assert f"| x | {cell_text} |" in markdown
