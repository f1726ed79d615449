"""render/figures: a figure judged against bounds reads the same in every view, from its unrounded value."""

from __future__ import annotations

from types import SimpleNamespace

from rich.console import Console

from dataaudit.api import audit
from dataaudit.config import Config
from dataaudit.render.compare import render_comparison_markdown
from dataaudit.render.figures import figure_bounds, judged_text, shown_value
from dataaudit.render.history import render_history
from tests.conftest import write_jsonl
from tests.test_render_sections import _with_result


def test_a_judged_figure_keeps_the_places_that_put_it_on_its_side_of_its_bounds():
    assert judged_text("krippendorff_alpha", 0.79996) == "0.79996"
    assert judged_text("covered_share", 0.89996) == "89.996%"
    assert judged_text("duplicate_share", 30_001 / 300_009) == "10.00003%"
    assert judged_text("chosen_longer_share", 0.74996) == "74.996%"
    # away from a bound, three places as before (a share to a tenth of a percent)
    assert judged_text("krippendorff_alpha", 0.55151) == "0.552"
    assert judged_text("duplicate_share", 0.045) == "4.5%"


def test_the_bounds_are_the_reports_config_or_the_defaults():
    assert figure_bounds("krippendorff_alpha") == (0.8, 0.667)
    assert figure_bounds("krippendorff_alpha:b2.jsonl") == (0.8, 0.667)  # a file's alpha, as the history names it
    assert figure_bounds("covered_share_unrounded", {"coverage": {"min_covered_share": 0.95}}) == (0.95,)
    assert figure_bounds("chosen_longer_share", {"preference": {"max_chosen_longer_share": 0.7}}) == (0.7, 0.3)
    assert figure_bounds("label_share:yes") == ()
    # a looser bound moves the places: 0.79996 is on the same side of 0.7 as 0.800
    assert judged_text("krippendorff_alpha", 0.79996, {"agreement": {"reliable_alpha": 0.7, "tentative_alpha": 0.6}}) == "0.800"


def test_the_history_table_writes_alpha_and_shares_against_their_bounds():
    """alpha 0.79996 read 0.800 in the history beside the agreement section's 0.79996."""
    runs = [{"id": 1, "generated_at": "2026-12-01T00:00:00+00:00", "dataset": "nightly", "verdict": "not_ready",
             "figures": {"usable": 9, "krippendorff_alpha": 0.8, "krippendorff_alpha_unrounded": 0.79996,
                         "covered_share": 0.8999, "duplicate_share": 0.100003}, "regressions": []}]
    console = Console(width=200, record=True, color_system=None)
    render_history(runs, "h.db", console)
    row = next(line for line in console.export_text().splitlines() if line.split()[:1] == ["1"])
    assert row.split()[-4:] == ["0.79996", "89.99%", "10.0003%", "-"]


def test_compare_writes_a_figure_as_the_report_does():
    result = {"before": "t0", "after": "t1", "changes": [
        {"figure": "duplicate_share", "before": 0.02, "after": 0.1001},
        {"figure": "krippendorff_alpha", "before": 0.9, "after": 0.8},
        {"figure": "label_share:yes", "before": 0.5, "after": 0.52}], "regressions": []}
    text = render_comparison_markdown(result)
    assert "| duplicate\\_share | 2.0% | 10.01% |" in text  # 10.0% read as at the 10% bound, which it is over
    assert "| krippendorff\\_alpha | 0.900 | 0.800 |" in text
    assert "| label\\_share:yes | 50.0% | 52.0% |" in text
    assert shown_value("krippendorff_alpha_unrounded", 0.79996) == "0.79996"


def test_each_section_writes_its_judged_figure_as_its_condition_does(tmp_path):
    """The duplicates line read 10.0% where the hygiene condition said 10.00003%; the preference line 70% for 70.004%."""
    from dataaudit.render.sections.duplicates import SECTION as DUPLICATES
    from dataaudit.render.sections.preference import SECTION as PREFERENCE

    rows = [{"prompt": f"question {i}", "chosen": "a much longer answer " * (2 if i % 3 else 1), "rejected": f"short {i}"}
            for i in range(30)]
    report = audit(write_jsonl(tmp_path / "p.jsonl", rows), Config(task_type="generation"), embed=False)
    near = _with_result(report, "duplicates", records=300_009, duplicate_records=30_001, duplicate_share=0.1)
    assert DUPLICATES.build(near).lines[0].startswith("30001 of 300009 records are duplicates (10.00003%)")
    longer = _with_result(report, "preference", chosen_longer_share=0.75, chosen_longer_share_unrounded=0.74996)
    assert "chosen longer in 74.996% of pairs" in PREFERENCE.build(longer).lines[0]
    # away from the bounds (75%, 25%) a tenth of a percent, as the condition writes it
    middle = _with_result(report, "preference", chosen_longer_share=0.375, chosen_longer_share_unrounded=0.37496)
    assert "chosen longer in 37.5% of pairs" in PREFERENCE.build(middle).lines[0]


def test_a_files_alpha_and_the_agreement_alpha_are_written_by_one_rule():
    from dataaudit.render.sections.per_file import SECTION as PER_FILE

    files = [SimpleNamespace(file=f"/d/b{n}.jsonl", alpha_exact=alpha, alpha_grade=grade, lowest_alpha=lowest, items=10, records=10,
                             invalid=0, duplicate_share=0.0, cross_batch_duplicates=0, label_shares={"x": 1.0})
             for n, (alpha, grade, lowest) in enumerate(((0.79996, "tentative", True), (0.9, "reliable", False)), 1)]
    report = SimpleNamespace(per_file=files, config={"agreement": {"reliable_alpha": 0.8, "tentative_alpha": 0.667}})
    content = PER_FILE.build(report)
    assert "lowest alpha: b1.jsonl 0.79996 (tentative)" in content.lines
    assert [row[2] for row in content.tables[0].rows] == ["0.79996 (tentative, LOWEST)", "0.900"]


def test_the_coverage_section_writes_both_estimates_against_the_bound():
    """The sample-wide estimate read 90.0% where the condition, against the 90% bound, said 90.01%."""
    from dataaudit.render.sections.coverage import SECTION as COVERAGE

    coverage = SimpleNamespace(covered_share=0.9, covered_share_unrounded=0.89996, aggregate_covered_share=0.9001, domain_auc=0.61,
                               production_inputs=400, rule="P(covered) >= 0.5", scenarios=[], uncovered=[], unused_training=[],
                               covered_lines=359, embeddings={"computed": 3, "from_cache": 397}, model="m")
    report = SimpleNamespace(checks={"coverage": coverage}, config={"coverage": {"min_covered_share": 0.9}})
    lines = COVERAGE.build(report).lines
    assert lines[0].startswith("89.996% of 400 production inputs covered")
    assert lines[2].endswith("(the sample-wide estimate read 90.01%)")
