"""render/history: the table of past runs shows each verdict in the words the headline uses."""

from __future__ import annotations

from rich.console import Console

from dataaudit.report import shown_verdict
from dataaudit.render.history import render_history


def test_shown_verdict_reads_each_status_in_the_readmes_words():
    assert [shown_verdict(s) for s in ("ready", "not_ready", "insufficient_evidence")] == ["ready", "not ready", "not enough evidence"]
    assert shown_verdict("some_new_status") == "some new status"


def test_the_history_table_shows_each_verdict_as_the_headline_words_it():
    runs = [{"id": n, "generated_at": f"2026-12-0{n}T00:00:00+00:00", "dataset": "nightly", "verdict": status, "figures": {},
             "regressions": []} for n, status in enumerate(("ready", "not_ready", "insufficient_evidence"), 1)]
    console = Console(width=200, record=True, color_system=None)
    render_history(runs, "h.db", console)
    rows = [line for line in console.export_text().splitlines() if line.split()[:1] in (["1"], ["2"], ["3"])]
    assert [row.split("nightly", 1)[1].strip().split("  ")[0] for row in rows] == ["ready", "not ready", "not enough evidence"]


def test_the_history_table_shows_each_figure_as_the_report_does():
    """4.5% duplicates read 4% at whole percents; the report says 4.5%, alpha to three places."""
    runs = [{"id": 1, "generated_at": "2026-12-01T00:00:00+00:00", "dataset": "nightly", "verdict": "not_ready",
             "figures": {"usable": 955, "krippendorff_alpha": 0.3063, "covered_share": 0.9049, "duplicate_share": 0.045},
             "regressions": []}]
    console = Console(width=200, record=True, color_system=None)
    render_history(runs, "h.db", console)
    row = next(line for line in console.export_text().splitlines() if line.split()[:1] == ["1"])
    assert row.split()[-5:] == ["955", "0.306", "90.5%", "4.5%", "-"]


def test_the_history_table_shows_alpha_from_the_unrounded_figure_where_the_run_kept_it():
    """0.55151 is 0.5515 at four places, which reads 0.551 at three; the report's headline says 0.552."""
    runs = [{"id": 1, "generated_at": "2026-12-01T00:00:00+00:00", "dataset": "nightly", "verdict": "not_ready",
             "figures": {"krippendorff_alpha": 0.5515, "krippendorff_alpha_unrounded": 0.55151}, "regressions": []},
            {"id": 2, "generated_at": "2026-12-02T00:00:00+00:00", "dataset": "nightly", "verdict": "not_ready",
             "figures": {"krippendorff_alpha": 0.5515}, "regressions": []}]  # recorded before the unrounded one was kept
    console = Console(width=200, record=True, color_system=None)
    render_history(runs, "h.db", console)
    rows = [line.split() for line in console.export_text().splitlines() if line.split()[:1] in (["1"], ["2"])]
    assert [row[-4] for row in rows] == ["0.552", "0.551"]
