"""terminal: a capped table's note in the summary."""

from __future__ import annotations

from rich.console import Console

from dataaudit.render.sections import Table
from dataaudit.render.terminal import section_table


def test_a_terminal_table_says_how_many_exist_and_how_many_more_report_json_lists():
    """'first 1000 errors listed' stood above a table of 5 rows whose note said only 'first 5 of 1334 listed'."""
    errors = Table("Format errors (1334)", ["file", "line"], [["a.jsonl", n] for n in range(1000)], total=1334,
                   terminal=True, terminal_rows=5)
    console = Console(record=True, width=120)
    console.print(section_table(errors, console))
    shown = console.export_text()
    assert "first 5 of 1334 listed; 995 more are in report.json" in " ".join(shown.split())  # the caption wraps
    assert [line.split()[3] for line in shown.splitlines() if "a.jsonl" in line] == ["0", "1", "2", "3", "4"]



def _footer_note(report, files, out_given=False) -> str:
    from dataaudit.render.terminal import render_terminal

    console = Console(record=True, width=400)
    render_terminal(report, console, files=files, out_given=out_given)
    return " ".join(line for line in console.export_text().splitlines() if line.startswith("note:"))


def _bad_lines_report(tmp_path, bad: int):
    from dataaudit.api import audit
    from dataaudit.config import Config
    from tests.conftest import write_jsonl

    good = [{"text": f"how do I reset password number {i}", "label": "ab"[i % 2]} for i in range(30)]
    return audit(write_jsonl(tmp_path / "d.jsonl", good + ['{"text": "cut'] * bad), Config(task_type="format"), embed=False)


def test_the_unwritten_report_json_note_says_report_json_too_caps_a_list_it_caps(tmp_path, monkeypatch):
    """'add json to --format to have the full lists' where report.json lists 1000 of 1334 format errors."""
    from dataaudit.checks import format as format_check

    monkeypatch.setattr(format_check, "MAX_ERRORS_LISTED", 8)
    report = _bad_lines_report(tmp_path, 12)
    assert _footer_note(report, ["out/report.md"], out_given=True) == (
        "note: report.json, named above, is not written by this run: add json to --format to have it, though report.json "
        "too caps a list (Format errors (12): 3 more are in report.json)")
    assert _footer_note(report, []) == (
        "note: report.json, named above, is not written by this run: add --out FOLDER (with --format json,md,html) to have it, "
        "though report.json too caps a list (Format errors (12): 3 more are in report.json)")
    assert _footer_note(report, ["out/report.json"]) == ""


def test_the_unwritten_report_json_note_promises_the_full_lists_where_report_json_has_them(tmp_path):
    report = _bad_lines_report(tmp_path, 7)
    assert _footer_note(report, ["out/report.md"], out_given=True) == (
        "note: report.json, named above, is not written by this run: add json to --format to have the full lists")


def test_the_terminal_lists_the_production_and_eval_rows_its_format_action_points_to(tmp_path):
    """'Fix or remove the 2 malformed production rows ... (listed under format errors)' with no such list printed."""
    from dataaudit.api import audit
    from dataaudit.config import Config
    from dataaudit.render.terminal import render_terminal
    from tests.conftest import write_jsonl

    train = write_jsonl(tmp_path / "train.jsonl", [{"prompt": f"question {i}", "completion": f"answer {i}"} for i in range(12)])
    production = write_jsonl(tmp_path / "prod.jsonl", [{"text": f"production input {i}"} for i in range(6)]
                             + [{"txt": "wrong field"}, "not json"])
    report = audit(train, Config(task_type="generation"), production=production, embed=False)
    assert "listed under format errors" in " ".join(report.verdict.actions)
    console = Console(record=True, width=200)
    render_terminal(report, console)
    shown = console.export_text()
    assert "Format errors, production (2)" in shown
    rows = [line for line in shown.splitlines() if "prod.jsonl" in line and ("│ 7 " in line or "│ 8 " in line)]
    assert len(rows) == 2, shown


def test_plain_shows_a_line_break_in_a_name_or_path_as_report_md_does():
    from dataaudit.render.markdown import cell
    from dataaudit.render.terminal import plain

    for name in ("carol\nsmith", "b/part\ntwo.jsonl"):
        assert plain(name).plain == cell(name) and "\u23ce" in plain(name).plain
    # CR LF and a lone CR are line breaks too, not a control shown as "\x0d"
    assert plain("carol\r\nsmith").plain == plain("carol\rsmith").plain == plain("carol\nsmith").plain
    # on an ASCII-only console the sign would print as "\u23ce", which reads as a hidden character in the data
    assert plain("carol\nsmith", ascii_marks=True).plain == "carol \\n smith"
