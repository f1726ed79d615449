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


def test_the_history_table_shows_shares_near_their_bound_from_the_unrounded_figures():
    """0.89996 kept as 0.9 read 90.0% in the history beside the coverage section's 89.996% (under the 90% bound);
    30,001 duplicates of 300,009 records read 10.0% beside the hygiene condition's 10.00003% (over its 10%)."""
    runs = [{"id": 1, "generated_at": "2026-12-01T00:00:00+00:00", "dataset": "nightly", "verdict": "not_ready",
             "figures": {"covered_share": 0.9, "covered_share_unrounded": 0.89996, "duplicate_share": 0.1,
                         "duplicate_share_unrounded": 30_001 / 300_009}, "regressions": []}]
    console = Console(width=200, record=True, color_system=None)
    render_history(runs, "h.db", console)
    row = next(line for line in console.export_text().splitlines() if line.split()[:1] == ["1"])
    assert row.split()[-3:-1] == ["89.996%", "10.00003%"]


def test_compare_shows_a_figure_near_its_bound_as_the_reports_computed_it():
    from dataaudit.history.compare import compare_reports
    from dataaudit.render.compare import render_comparison_markdown

    def report(alpha: float, covered: float) -> dict:
        return {"schema_version": 1, "dataset": "d", "generated_at": "t", "verdict": {"status": "ready", "conditions": []},
                "checks": {"agreement": {"krippendorff_alpha": round(alpha, 4), "krippendorff_alpha_unrounded": alpha},
                           "coverage": {"covered_share": round(covered, 4), "covered_share_unrounded": covered}}}

    result = compare_reports(report(0.81, 0.99), report(0.79996, 0.89996))  # down past the 6-point coverage bound
    alpha = next(c for c in result["changes"] if c["figure"] == "krippendorff_alpha")
    assert (alpha["before"], alpha["after"], alpha["after_unrounded"]) == (0.81, 0.8, 0.79996)
    markdown = render_comparison_markdown(result)
    assert "| krippendorff\\_alpha | 0.810 | 0.79996 |" in markdown and "| covered\\_share | 99.0% | 89.996% |" in markdown
    assert "- covered\\_share: 99.0% → 89.996%" in markdown  # the regression line too
