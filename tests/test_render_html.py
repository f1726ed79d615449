"""report.html: the report's own sentences shown whole."""

from __future__ import annotations

import dataclasses

from dataaudit.render import html
from dataaudit.render.html import render_html
from dataaudit.render.sections import Section, SectionContent
from tests.test_render_markdown import LONG_LINE, LONG_WARNING, Condition, _report


def test_a_sections_line_and_a_warning_are_whole_in_report_html(monkeypatch):
    section = Section("coverage", "Coverage", 1, lambda report, formats: SectionContent([LONG_LINE]))
    monkeypatch.setattr(html, "all_sections", lambda: [section])
    page = render_html(dataclasses.replace(_report([Condition("format", "pass", "fine")]), warnings=[LONG_WARNING]))
    assert f"<li>{LONG_LINE}</li>" in page
    assert f"<li>{LONG_WARNING.replace(chr(34), '&quot;')}</li>" in page
