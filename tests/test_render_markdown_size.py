"""report.md stays under its character budget (a pull-request comment) and says where whatever it cuts is."""

from __future__ import annotations

import os
import re

import pytest

from dataaudit.api import audit
from dataaudit.config import Config
from dataaudit.errors import INTERFACE
from dataaudit.render.markdown import MARKDOWN_MAX_CHARS, render_markdown, rows_note
from dataaudit.render.sections import Table
from tests.conftest import write_jsonl

UNLIMITED = 10**9
FILES = 100


def _batch(number: int) -> list:
    """Twenty rows: two malformed (broken JSON, empty text), one conflicting copy, the rest with an e-mail and
    a phone number and one of 400 long labels."""
    rows = []
    for i in range(20):
        n = number * 20 + i
        if i % 10 == 0:
            rows.append('{"text": "broken json %d' % n)
        elif i % 10 == 1:
            rows.append({"text": "", "label": f"label_{n % 400}_" + "x" * 30})
        elif i % 10 == 2:
            rows.append({"text": f"same text conflict {number}", "label": f"c{n % 3}"})
        else:
            rows.append({"text": f"Customer {n} says the widget {n * 7} broke, email me at user{n}@example.com "
                                 f"or call +1 415 555 {1000 + n % 9000:04d}", "label": f"label_{n % 400}_" + "x" * 30})
    return rows


@pytest.fixture(scope="module")
def large_report(tmp_path_factory):
    # Read by names relative to their folder: every table cell names a file, and a path as long as the machine's
    # temporary folder made the report too long for 50 rows a table on one machine and not on another.
    folder = tmp_path_factory.mktemp("large")
    names = [write_jsonl(folder / f"b{b:03d}.jsonl", _batch(b)).name for b in range(FILES)]
    here = os.getcwd()
    os.chdir(folder)
    try:
        return audit(names, Config(), embed=False)
    finally:
        os.chdir(here)


def _head(markdown: str) -> str:
    """Everything before the inputs: title, verdict, conditions, next actions."""
    return markdown.split("\n## Inputs\n")[0]


def _table_rows(markdown: str, section: str) -> list[str]:
    body = markdown.split(f"\n## {section}\n")[1].split("\n## ")[0]
    return [line for line in body.splitlines() if line.startswith("| ") and not line.startswith("| file |")]


def test_a_large_report_md_stays_under_the_budget_with_the_verdict_and_actions_whole(large_report):
    whole = render_markdown(large_report, max_chars=UNLIMITED)
    markdown = render_markdown(large_report)
    assert len(whole) > MARKDOWN_MAX_CHARS  # the dataset is large enough for the budget to matter
    assert len(markdown) <= MARKDOWN_MAX_CHARS
    assert markdown == render_markdown(large_report)
    head = _head(markdown)
    assert head == _head(whole)
    verdict = large_report.verdict
    assert [line.split(" | ")[0] for line in head.splitlines() if line.startswith("| ") and "condition" not in line] == \
        [f"| {c.id}" for c in verdict.conditions]
    numbered = [line for line in head.split("## Next actions")[1].splitlines() if re.match(r"\d+\. ", line)]
    assert len(numbered) == len(verdict.actions) >= 3
    assert markdown.endswith(f"generated {large_report.generated_at}\n")


def test_long_tables_keep_their_first_rows_and_say_how_many_more_and_where(large_report):
    markdown = render_markdown(large_report)
    fmt = large_report.checks["format"]
    assert fmt.invalid == FILES * 4 and len(fmt.errors) == fmt.invalid
    assert f"_… and {fmt.invalid - 50} more: see report.json (report.html lists the first 200)_" in markdown
    assert len(_table_rows(markdown, "Format")) == 50
    assert len(_table_rows(markdown, "Per file")) == 50
    assert f"_… and {FILES - 50} more: see report.json and report.html_" in markdown  # inputs and per-file rows
    duplicates = large_report.checks["duplicates"]
    assert duplicates.conflict_count == FILES
    # from Python the file is write_reports' to write (the command line's --out: below)
    assert (f"_… and {FILES - 50} more: see report.json and report.html; all are in duplicates.jsonl, which write\\_reports "
            f"writes beside report.json (the json format)_") in markdown
    pii = large_report.checks["pii"]
    assert pii.findings_total > len(pii.findings) > 50  # listed beyond the cut, and more found than listed
    assert (f"_… and {pii.findings_total - 50} more: {len(pii.findings) - 50} of them are in report.json and report.html; "
            f"raise pii.max\\_listed to list more_") in markdown
    notes = [line for line in markdown.splitlines() if "… and " in line and " more" in line]
    assert len(notes) >= 6 and all("report.json" in note for note in notes)


def test_when_capped_tables_do_not_fit_whole_sections_are_left_out_from_the_end_and_named(large_report):
    # Over the head (~2,900 characters: the redact action names 5 of the 100 files) and under the tables cut to
    # 10 rows (~11,300): only leaving sections out fits it.
    budget = 8_000
    whole = render_markdown(large_report, max_chars=UNLIMITED)
    markdown = render_markdown(large_report, max_chars=budget)
    assert len(markdown) <= budget
    assert _head(markdown) == _head(whole)
    headings = [line[3:] for line in whole.splitlines() if line.startswith("## ")]
    kept = [line[3:] for line in markdown.splitlines() if line.startswith("## ")]
    assert kept == headings[:len(kept)] and len(kept) < len(headings)
    left_out = headings[len(kept):]
    assert "Production coverage" in left_out or "Duplicates, conflicts and leakage" in left_out
    note = next(line for line in markdown.splitlines() if line.startswith("_report.md stops here"))
    assert note == (f"_report.md stops here to stay under {budget:,} characters; left out: " + "; ".join(left_out)
                    + ". They are in report.json and report.html._")
    assert markdown.endswith(f"generated {large_report.generated_at}\n")


def test_the_verdict_and_actions_are_kept_whole_even_over_the_budget(large_report):
    markdown = render_markdown(large_report, max_chars=100)
    head = _head(render_markdown(large_report, max_chars=UNLIMITED))
    assert markdown.startswith(head + "\n_report.md stops here to stay under 100 characters; left out: Inputs; Format; Per file;")
    assert "## Inputs" not in markdown and len(markdown) > 100


def test_a_report_that_fits_is_rendered_whole(tmp_path):
    rows = [{"text": f"question {i} about the invoice", "label": "billing" if i % 2 else "refund"} for i in range(40)]
    rows += ['{"text": "broken %d' % i for i in range(60)]
    report = audit(write_jsonl(tmp_path / "d.jsonl", rows), Config(), embed=False)
    markdown = render_markdown(report)
    assert len(markdown) < MARKDOWN_MAX_CHARS
    assert len(_table_rows(markdown, "Format")) == 60 and "… and" not in markdown and "stops here" not in markdown


def test_a_cut_of_listed_rows_names_report_json_and_the_sections_own_place_for_the_rest():
    rows = [["a.jsonl", i, "x"] for i in range(100)]
    told = Table("Suspected wrong labels (170)", ["file", "line", "label"], rows, total=170, full_list="--suspects FILE.csv writes all")
    assert rows_note(told, 50) == "… and 120 more: 50 of them are in report.json and report.html; --suspects FILE.csv writes all"
    assert rows_note(told, 100) == "first 100 of 170 listed; --suspects FILE.csv writes all"  # no cut of report.md's own
    many = Table("Label counts (300)", ["label"], [["a"]] * 300)
    assert rows_note(many, 10) == "… and 290 more: see report.json (report.html lists the first 200)"
    assert rows_note(many, 300) == ""



@pytest.fixture
def cli_interface():
    """Rendered as the command line renders: its notes name its flags (--format, --out)."""
    token = INTERFACE.set("cli")
    yield
    INTERFACE.reset(token)


def test_cut_notes_name_only_the_report_files_the_run_writes(large_report, tmp_path, cli_interface):
    # report.md named report.json and report.html under --format md alone, and report.html under the README's
    # cron recipe (--format json,md), which writes none.
    budget = 8_000  # only leaving sections out fits it (see the test above)
    json_md = render_markdown(large_report, formats=["json", "md"])
    md_only = render_markdown(large_report, formats=["md"])
    assert "report.html" not in json_md and "report.html" not in md_only
    assert f"_… and {FILES - 50} more: see report.json_" in json_md
    assert "which --out writes beside report.json" in json_md
    assert f"_… and {FILES - 50} more: add json to --format for the full lists_" in md_only
    fmt = large_report.checks["format"]
    assert f"_… and {fmt.invalid - 50} more: see report.json_" in json_md  # no "(report.html lists the first 200)"
    cut_notes = [line for line in md_only.splitlines() if "… and " in line and " more" in line]
    assert len(cut_notes) >= 6 and all("add json to --format" in note for note in cut_notes)
    # report.json lists only the first pii.max_listed findings: not "the full lists"
    pii = large_report.checks["pii"]
    assert (f"_… and {pii.findings_total - 50} more: add json to --format for report.json, which lists "
            f"{len(pii.findings) - 50} of them; raise pii.max\\_listed to list more_") in md_only
    json_md = render_markdown(large_report, max_chars=budget, formats=["json", "md"])
    md_only = render_markdown(large_report, max_chars=budget, formats=["md"])
    assert next(line for line in md_only.splitlines() if line.startswith("_report.md stops here")).endswith(
        "; add json to --format for the full lists._")
    assert next(line for line in json_md.splitlines() if line.startswith("_report.md stops here")).endswith(
        ". They are in report.json._")
    assert render_markdown(large_report, max_chars=budget) == render_markdown(large_report, max_chars=budget,
                                                                              formats=["json", "md", "html"])
    # The file write_reports writes is the one rendered with its own formats.
    from dataaudit.render.outputs import write_reports

    write_reports(large_report, tmp_path, ["json", "md"])
    assert (tmp_path / "report.md").read_text() == render_markdown(large_report, formats=["json", "md"])
    assert "report.html" not in (tmp_path / "report.md").read_text() and not (tmp_path / "report.html").exists()


def test_a_next_action_is_whole_in_report_md_however_long(large_report):
    """report.md cut an action at 600 characters (mid-sentence) while report.json, report.html and the terminal
    showed it whole."""
    import dataclasses

    action = ("Fix or remove the malformed records: " + ", ".join(f"b{n:03d}.jsonl line {n}" for n in range(120))
              + ". Then audit again and compare the runs.")
    report = dataclasses.replace(large_report, verdict=dataclasses.replace(large_report.verdict, actions=[action, "Second."]))
    markdown = render_markdown(report)
    assert len(action) > 2_000 and f"\n1. {action}\n2. Second.\n" in markdown
    assert len(markdown) <= MARKDOWN_MAX_CHARS
