"""What the report sections write from a check's result: capped lists counted, figures formatted one way."""

from __future__ import annotations

from dataaudit.api import audit
from dataaudit.config import Config, config_from_dict
from dataaudit.errors import INTERFACE
from dataaudit.render.sections.duplicates import SECTION as DUPLICATES
from tests.conftest import write_jsonl


def test_the_duplicates_summary_lines_say_how_many_conflicts_and_groups_they_leave_out(tmp_path):
    rows = [{"text": f"unrelated query number {i} about topic {i % 7}", "label": "ab"[i % 2]} for i in range(40)]
    for k in range(5):  # five exact pairs, each with two labels: five conflicts, five groups
        rows += [{"text": f"please reset password number {k} for me", "label": "a"},
                 {"text": f"please reset password number {k} for me", "label": "b"}]
    report = audit(write_jsonl(tmp_path / "d.jsonl", rows), Config(task_type="format"), embed=False)
    d = report.checks["duplicates"]
    assert (d.conflict_count, d.exact_group_count + d.near_group_count) == (5, 5)
    lines = DUPLICATES.build(report).lines
    assert sum(line.startswith("conflict: ") for line in lines) == 3
    assert sum(line.startswith("exact group, ") for line in lines) == 3
    # Where the rest is: the terminal cannot show the tables, and "... and 41 more" named no place.
    assert "... and 2 more conflicting group(s): duplicates.jsonl (written with json) lists every one" in lines
    assert "... and 2 more duplicate group(s): duplicates.jsonl (written with json) lists every one" in lines
    from rich.console import Console
    from dataaudit.render.terminal import render_terminal

    console = Console(record=True, width=300)
    render_terminal(report, console, files=["out/report.md"], out_given=True)
    assert "note: duplicates.jsonl, named above, is not written by this run: add json to --format" in console.export_text()
    console = Console(record=True, width=300)
    render_terminal(report, console, files=["out/report.json", "out/duplicates.jsonl"], out_given=True)
    assert "duplicates.jsonl, named above" not in console.export_text()


def test_the_duplicates_summary_adds_no_more_line_when_every_conflict_and_group_is_shown(tmp_path):
    rows = [{"text": f"unrelated query number {i} about topic {i % 7}", "label": "ab"[i % 2]} for i in range(40)]
    rows += [{"text": "please reset my password", "label": "a"}, {"text": "please reset my password", "label": "b"}]
    report = audit(write_jsonl(tmp_path / "d.jsonl", rows), Config(task_type="format"), embed=False)
    lines = DUPLICATES.build(report).lines
    assert sum(line.startswith("conflict: ") for line in lines) == 1
    assert not any(line.startswith("... and") for line in lines)


def test_a_token_figure_is_written_to_the_hundredth_report_json_holds_without_trailing_zeros():
    from dataaudit.render.sections.size import token_figure

    assert [token_figure(v) for v in (78.05, 45.0, 45, 12.5, 5_242_880, 1234.25, 0.0)] == \
        ["78.05", "45", "45", "12.5", "5,242,880", "1,234.25", "0"]


def test_size_and_tokens_sections_write_p95_and_the_imbalance_ratio_one_way(tmp_path):
    from dataaudit.render.sections.size import SECTION as SIZE
    from dataaudit.render.sections.tokens import SECTION as TOKENS

    # 20 inputs of 1..20 words: numpy's p95 of the counts falls between two of them
    rows = [{"text": " ".join(["word"] * n), "label": "a" if n <= 9 else "b"} for n in range(1, 21)]
    config = config_from_dict({"task_type": "classification", "tokens": {"target_model": "gpt-4o-mini"}})
    report = audit(write_jsonl(tmp_path / "d.jsonl", rows), config, embed=False)
    size, balance = report.checks["size"], report.checks["balance"]
    assert not float(size.input_tokens.p95).is_integer()
    lines = SIZE.build(report).lines
    input_line = next(line for line in lines if line.startswith("input tokens: "))
    assert f"p95 {round(size.input_tokens.p95, 2):g}," in input_line
    # 11 of one label, 9 of the other: 1.2222 read to the three places of digits.value_text, as the bound is
    assert balance.imbalance_ratio == 1.2222
    assert "labels, imbalance ratio 1.222, normalised entropy" in next(line for line in lines if "imbalance ratio" in line)
    spread = report.checks["tokens"].per_example
    assert not float(spread.p95).is_integer()
    assert f"median {round(spread.median, 2):g}, p95 {round(spread.p95, 2):g}," in TOKENS.build(report).lines[0]


def test_the_imbalance_ratio_keeps_the_places_that_put_it_on_its_side_of_the_bound():
    from types import SimpleNamespace

    from dataaudit.render.sections.size import SECTION as SIZE

    balance = SimpleNamespace(labels=2, imbalance_ratio=20.0004, normalized_entropy=0.5, rare_labels=[], counts={"a": 1, "b": 1},
                              shares={"a": 0.5, "b": 0.5}, min_label_count=1)
    report = SimpleNamespace(checks={"balance": balance, "size": None}, config={"balance": {"warn_imbalance_ratio": 20.0}},
                             usable=2, usable_after_deduplication=True)
    assert SIZE.build(report) is None  # no size result: no section
    size = SimpleNamespace(examples=2, tokenizer="t", recounted=0, input_tokens=None, target_tokens=None, over_context=0, usable=2)
    report.checks = {"balance": balance, "size": size}
    (_, line) = SIZE.build(report).lines
    assert "imbalance ratio 20.0004," in line
    report.config = {"balance": {"warn_imbalance_ratio": 44.0}}
    balance.imbalance_ratio = 44.0
    assert "imbalance ratio 44," in SIZE.build(report).lines[1]


def _crowd_report(tmp_path):
    """45 annotators on 30 items: w00-w19 label every item as the truth, w20-w39 four items each as the truth,
    w40-w44 three items each against it (the least agreeing, so first in the annotators' order after the flagged)."""
    rows = []
    for n in range(45):
        items = range(30) if n < 20 else range(n % 10, n % 10 + (4 if n < 40 else 3))
        wrong = n >= 40
        rows += [{"item_id": str(i), "annotator": f"w{n:02d}", "text": f"item {i} text",
                  "label": ("ba" if wrong else "ab")[i % 2]} for i in items]
    config = config_from_dict({"fields": {"annotator": "annotator", "id": "item_id"}, "agreement": {"bootstrap_resamples": 0}})
    return audit(write_jsonl(tmp_path / "crowd.jsonl", rows), config, embed=False)


def test_the_per_annotator_plot_shows_the_most_active_annotators_and_both_captions_state_the_cap(tmp_path, monkeypatch):
    from dataaudit.render import plots
    from dataaudit.render.sections.agreement import SECTION as AGREEMENT

    report = _crowd_report(tmp_path)
    a = report.checks["agreement"]
    assert len(a.annotators) == 45 and len(a.cohen_kappa) == 40
    assert {s.annotator for s in a.annotators[:5]} == {f"w{n}" for n in range(40, 45)}  # the first five in its order
    plotted: list[list[str]] = []
    monkeypatch.setattr(plots, "annotator_bars", lambda names, agreement, flagged: plotted.append(names) or "<svg/>")
    monkeypatch.setattr(plots, "agreement_heatmap", lambda matrix: "<svg/>")
    bars, heatmap = AGREEMENT.figures(report)
    assert set(plotted[0]) == {f"w{n:02d}" for n in range(40)} == set(a.cohen_kappa)
    assert bars.caption == "Per-annotator agreement for the 40 most active of 45 annotators"
    assert heatmap.caption == "Annotator x annotator agreement (Cohen's kappa) for the 40 most active of 45 annotators"


def test_a_flagged_annotator_outside_the_most_active_is_in_both_figures(tmp_path, monkeypatch):
    """The section picked its own 'most active' for the bars, and a flagged annotator outside them vanished from
    the plots while the text flagged them: now both figures show the check's plotted_annotators."""
    from dataaudit.render import plots
    from dataaudit.render.sections.agreement import SECTION as AGREEMENT

    rows = [{"item_id": str(i), "annotator": f"w{n:02d}", "text": f"item {i} text", "label": "ab"[i % 2]}
            for n in range(41) for i in range(30)]
    rows += [{"item_id": str(i), "annotator": "w41", "text": f"item {i} text", "label": "ba"[i % 2]} for i in range(12)]
    config = config_from_dict({"fields": {"annotator": "annotator", "id": "item_id"}, "agreement": {"bootstrap_resamples": 0}})
    report = audit(write_jsonl(tmp_path / "crowd.jsonl", rows), config, embed=False)
    a = report.checks["agreement"]
    assert [s.annotator for s in a.annotators if s.flagged] == ["w41"]
    assert a.plotted_annotators == [f"w{n:02d}" for n in range(40)] + ["w41"] and list(a.cohen_kappa) == a.plotted_annotators
    assert ("Cohen's kappa matrix and alpha-without shown for the 40 most active of 42 annotators; the matrix also shows "
            "the 1 flagged annotator outside them") in a.notes
    plotted: list[list[str]] = []
    monkeypatch.setattr(plots, "annotator_bars", lambda names, agreement, flagged: plotted.append(names) or "<svg/>")
    monkeypatch.setattr(plots, "agreement_heatmap", lambda matrix: "<svg/>")
    bars, heatmap = AGREEMENT.figures(report)
    assert plotted[0][0] == "w41" and sorted(plotted[0]) == a.plotted_annotators  # w40, as active as w00-w39, is not
    assert bars.caption == "Per-annotator agreement for 41 of 42 annotators: the most active and every flagged one"
    assert heatmap.caption == "Annotator x annotator agreement (Cohen's kappa) for 41 of 42 annotators: the most active and every flagged one"
    assert any(line.startswith("annotator w41 is far below the others") for line in AGREEMENT.build(report).lines)


def test_agreement_captions_state_no_cap_when_every_annotator_is_shown(tmp_path, monkeypatch):
    from dataaudit.render import plots
    from dataaudit.render.sections.agreement import SECTION as AGREEMENT

    rows = [{"item_id": str(i), "annotator": f"w{n}", "text": f"item {i}", "label": "ab"[(i + (n == 2)) % 2]}
            for i in range(12) for n in range(3)]
    config = config_from_dict({"fields": {"annotator": "annotator", "id": "item_id"}, "agreement": {"bootstrap_resamples": 0}})
    report = audit(write_jsonl(tmp_path / "three.jsonl", rows), config, embed=False)
    monkeypatch.setattr(plots, "annotator_bars", lambda names, agreement, flagged: "<svg/>")
    monkeypatch.setattr(plots, "agreement_heatmap", lambda matrix: "<svg/>")
    assert [f.caption for f in AGREEMENT.figures(report)] == ["Per-annotator agreement", "Annotator x annotator agreement (Cohen's kappa)"]


def test_the_format_lines_say_the_error_list_capped_is_report_jsons(tmp_path, monkeypatch):
    """'first 1000 errors listed' stood above tables that show 5 (terminal), 50 (report.md) or 200 (report.html)."""
    from dataaudit.checks import format as format_check
    from dataaudit.render.sections.format import SECTION as FORMAT

    monkeypatch.setattr(format_check, "MAX_ERRORS_LISTED", 3)
    good = [{"text": f"how do I reset password number {i}", "label": "ab"[i % 2]} for i in range(30)]
    train = write_jsonl(tmp_path / "train.jsonl", good + ['{"text": "cut'] * 5)
    production = write_jsonl(tmp_path / "prod.jsonl", [{"text": f"question {i}"} for i in range(10)] + ["{oops"] * 4)
    report = audit(train, Config(task_type="format"), production=production, embed=False)
    lines = FORMAT.build(report).lines
    assert "report.json lists the first 3 of 5 errors" in lines
    assert [line for line in lines if line.startswith("production:")] == [
        "production: 14 rows read: 10 valid, 4 invalid; report.json lists the first 3 of 4 errors"]
    assert not any("errors listed" in line for line in lines)


def test_the_balance_line_names_ten_rare_labels_and_says_how_many_more_and_where_they_are(tmp_path):
    from dataaudit.render.json_report import report_json
    from dataaudit.render.markdown import render_markdown
    from dataaudit.render.sections.size import SECTION as SIZE

    # 40 labels of two examples and one of 30: 40 labels under the 10 examples of the default bound
    rows = [{"text": f"ticket number {i} about order {i * 7}", "label": f"lab{i // 2:02d}"} for i in range(80)]
    rows += [{"text": f"common question {i} on payment {i * 3}", "label": "common"} for i in range(30)]
    report = audit(write_jsonl(tmp_path / "d.jsonl", rows), config_from_dict({"task_type": "classification"}), embed=False)
    balance = report.checks["balance"]
    assert len(balance.rare_labels) == 40 and balance.min_label_count == 10
    line = next(line for line in SIZE.build(report).lines if "imbalance ratio" in line)
    named = ", ".join(f"lab{k:02d} (2)" for k in range(10))
    assert line.endswith(f"; under 10 examples: {named} and 30 more (report.json lists every label count under checks.balance)")
    assert "lab10" not in line
    # what the line sends the reader to: every label's count, and every rare label
    written = report_json(report)["checks"]["balance"]
    assert len(written["counts"]) == 41 and written["counts"]["lab39"] == 2 and len(written["rare_labels"]) == 40
    assert f"{named} and 30 more (report.json" in render_markdown(report)
    # report.md or report.html written alone: report.json is not there to read, so the line says what to add
    from dataaudit.render.html import render_html

    for alone in (render_markdown(report, formats=("md",)).replace("\\_", "_"), render_html(report, formats=("html",))):
        assert f"{named} and 30 more (add json to write_reports(formats=...) for every label count)" in alone
        assert "report.json lists every label count" not in alone


def test_the_balance_line_adds_no_more_when_every_rare_label_is_named():
    from types import SimpleNamespace

    from dataaudit.render.sections.size import RARE_LABELS_NAMED, SECTION as SIZE

    counts = {f"r{k}": 1 for k in range(RARE_LABELS_NAMED)}
    balance = SimpleNamespace(labels=RARE_LABELS_NAMED, imbalance_ratio=1.0, normalized_entropy=1.0, rare_labels=list(counts),
                              counts=counts, shares={k: 0.1 for k in counts}, min_label_count=3)
    size = SimpleNamespace(examples=10, usable=10, tokenizer="t", recounted=0, input_tokens=None, target_tokens=None, over_context=0)
    report = SimpleNamespace(checks={"balance": balance, "size": size}, config={}, usable=10, usable_after_deduplication=True)
    line = SIZE.build(report).lines[1]
    assert line.endswith("; under 3 examples: " + ", ".join(f"r{k} (1)" for k in range(RARE_LABELS_NAMED)))
    assert "more" not in line


def test_a_cost_at_a_price_without_a_date_says_so_and_where_to_give_one(tmp_path):
    """'about $0.72 at the price of an undated price' with price_per_million set and no price_date."""
    from dataaudit.render.sections.tokens import _dollars
    from dataaudit.render.sections.tokens import SECTION as TOKENS

    rows = [{"text": f"how do I reset password number {i}", "label": "ab"[i % 2]} for i in range(20)]
    path = write_jsonl(tmp_path / "d.jsonl", rows)
    undated = audit(path, config_from_dict({"task_type": "classification",
                                            "tokens": {"target_model": "gpt-4o-mini", "price_per_million": 3.5}}), embed=False)
    cost = undated.checks["tokens"].estimated_cost_usd
    line = TOKENS.build(undated).lines[1]
    assert line.endswith(f", about ${_dollars(cost)} at the price tokens.price_per_million sets, with no date given "
                         "(set tokens.price_date to say when it was taken)")
    assert "undated price" not in line
    dated = audit(path, config_from_dict({"task_type": "classification", "tokens": {
        "target_model": "gpt-4o-mini", "price_per_million": 3.5, "price_date": "2026-01-05"}}), embed=False)
    assert TOKENS.build(dated).lines[1].endswith(f", about ${_dollars(cost)} at the price of 2026-01-05")


def _with_result(report, check: str, **changes):
    """The report with one check's result changed: a figure set where it rounds twice."""
    import dataclasses

    from dataaudit.report import CheckResults

    results = {name: report.checks[name] for name in report.checks}
    results[check] = dataclasses.replace(results[check], **changes)
    return dataclasses.replace(report, checks=CheckResults(results, report.checks.runs))


def test_alpha_is_written_from_its_unrounded_value_as_the_consistency_condition_writes_it(tmp_path):
    """0.93849 read 0.938 in the consistency row but 0.939 in the agreement section (the 4-place 0.9385 rounded again)."""
    from dataaudit.render.sections.agreement import SECTION as AGREEMENT

    rows = [{"text": f"item number {i}", "annotations": [{"annotator": "a", "label": "x" if i % 2 else "y"},
                                                         {"annotator": "b", "label": ("x" if i % 2 else "y") if i % 9 else "z"}]}
            for i in range(40)]
    report = audit(write_jsonl(tmp_path / "d.jsonl", rows), Config(task_type="classification"), embed=False)
    report = _with_result(report, "agreement", krippendorff_alpha=0.9385, krippendorff_alpha_unrounded=0.93849)
    assert AGREEMENT.build(report).lines[0].startswith("Krippendorff's alpha (nominal) 0.938 ")
    # next to a threshold it keeps the places that say which side it is on, as the condition does
    near = _with_result(report, "agreement", krippendorff_alpha=0.8, krippendorff_alpha_unrounded=0.79996)
    assert AGREEMENT.build(near).lines[0].startswith("Krippendorff's alpha (nominal) 0.79996 ")


def test_shares_with_an_unrounded_twin_are_written_from_it(tmp_path):
    from dataaudit.render.sections.preference import SECTION as PREFERENCE

    rows = [{"prompt": f"question {i}", "chosen": "a much longer answer " * (2 if i % 3 else 1), "rejected": f"short {i}"}
            for i in range(30)]
    report = audit(write_jsonl(tmp_path / "p.jsonl", rows), Config(task_type="generation"), embed=False)
    # 0.74996 is 0.75 at four places, which reads 75.0%, at the bound it is under
    report = _with_result(report, "preference", chosen_longer_share=0.75, chosen_longer_share_unrounded=0.74996)
    assert "chosen longer in 74.996% of pairs" in PREFERENCE.build(report).lines[0]
    report = _with_result(report, "duplicates", records=30, duplicate_records=1, duplicate_share=0.0333)
    from dataaudit.render.sections.duplicates import SECTION as DUPLICATES

    assert DUPLICATES.build(report).lines[0].startswith("1 of 30 records are duplicates (3.3%)")
    # 1000 of 2,000,001 is 0.049999975%: the 6-place field's 0.0005 read 0.1%
    report = _with_result(report, "duplicates", records=2_000_001, duplicate_records=1000, duplicate_share=0.0005)
    assert DUPLICATES.build(report).lines[0].startswith("1000 of 2000001 records are duplicates (0.0%)")


def test_the_covered_share_is_written_from_its_unrounded_value():
    from types import SimpleNamespace

    from dataaudit.render.sections.coverage import SECTION as COVERAGE

    coverage = SimpleNamespace(covered_share=0.9395, covered_share_unrounded=0.93949, domain_auc=0.61, production_inputs=400,
                               rule="P(covered) >= 0.5", scenarios=[], uncovered=[], unused_training=[], covered_lines=None,
                               embeddings={"computed": 3, "from_cache": 397}, model="m")
    report = SimpleNamespace(checks={"coverage": coverage}, config={"coverage": {"min_covered_share": 0.9}})
    assert COVERAGE.build(report).lines[0].startswith("93.9% of 400 production inputs covered")  # not 94.0%


def test_every_format_says_how_many_vectors_came_from_the_cache_without_production(tmp_path):
    """Without --production only report.json's checks.embeddings said it; the README says the report does."""
    import dataclasses

    from rich.console import Console

    from dataaudit.checks.embeddings import EmbeddingSummary
    from dataaudit.render.html import render_html
    from dataaudit.render.markdown import render_markdown
    from dataaudit.render.terminal import render_terminal
    from dataaudit.report import CheckResults

    rows = [{"text": f"how do I reset password number {i}", "label": "ab"[i % 2]} for i in range(20)]
    report = audit(write_jsonl(tmp_path / "d.jsonl", rows), Config(task_type="classification"), embed=False)
    assert report.checks.get("coverage") is None
    results = {name: report.checks[name] for name in report.checks}
    results["embeddings"] = EmbeddingSummary("all-MiniLM-L6-v2", 3, 17)
    report = dataclasses.replace(report, checks=CheckResults(results, report.checks.runs))
    said = "embeddings: 3 computed, 17 from cache (all-MiniLM-L6-v2)"
    console = Console(record=True, width=200)
    render_terminal(report, console)
    assert said in console.export_text()
    assert f"- {said}" in render_markdown(report)
    assert f"<li>{said}</li>" in render_html(report)


def test_report_md_or_html_written_without_json_names_neither_duplicates_jsonl_nor_report_json(tmp_path, monkeypatch):
    """--format md wrote report.md alone, which said 'duplicates.jsonl (written with json) lists every one' and
    'report.json lists the first 1000 of ... errors'."""
    from dataaudit.checks import format as format_check
    from dataaudit.render.html import render_html
    from dataaudit.render.markdown import render_markdown

    monkeypatch.setattr(format_check, "MAX_ERRORS_LISTED", 2)
    rows = [{"text": f"unrelated query number {i} about topic {i % 7}", "label": "ab"[i % 2]} for i in range(40)]
    for k in range(5):
        rows += [{"text": f"please reset password number {k} for me", "label": "a"},
                 {"text": f"please reset password number {k} for me", "label": "b"}]
    report = audit(write_jsonl(tmp_path / "d.jsonl", rows + ['{"text": "cut'] * 3), Config(task_type="format"), embed=False)
    for alone in (render_markdown(report, formats=("md",)), render_html(report, formats=("html",)),
                  render_html(report, formats=("md", "html"))):
        assert "duplicates.jsonl" not in alone
        assert "report.json lists" not in alone
        # from Python, what to pass: a notebook has no --format to add json to (report.md escapes the _)
        alone = alone.replace("\\_", "_")
        assert "... and 2 more duplicate group(s): add json to write_reports(formats=...) for the full lists" in alone
        assert "add json to write_reports(formats=...) for report.json, which lists the first 2 of 3 errors" in alone
        assert "--format" not in alone
    token = INTERFACE.set("cli")  # the command line names its flag
    try:
        alone = render_markdown(report, formats=("md",))
    finally:
        INTERFACE.reset(token)
    assert "... and 2 more duplicate group(s): add json to --format for the full lists" in alone
    assert "add json to --format for report.json, which lists the first 2 of 3 errors" in alone
    with_json = render_markdown(report, formats=("json", "md"))
    assert "... and 2 more duplicate group(s): duplicates.jsonl lists every one" in with_json
    assert "report.json lists the first 2 of 3 errors" in with_json
    assert "... and 2 more conflicting group(s): duplicates.jsonl lists every one" in render_html(report, formats=("json", "html"))


def test_an_annotation_tools_export_rows_and_its_items_are_each_named_for_what_they_count():
    """Prodigy's '240 records read ... formats: prodigy 80' beside 'N of 80 records are duplicates', and a
    headline '(240 records)' over an audit of 80 items."""
    from pathlib import Path

    from rich.console import Console

    from dataaudit.render.sections.format import SECTION as FORMAT
    from dataaudit.render.sections.pii import SECTION as PII
    from dataaudit.render.terminal import render_terminal

    fixture = Path(__file__).parent / "fixtures" / "annotation_tools" / "prodigy.jsonl"
    report = audit(fixture, Config(task_type="classification"), embed=False)
    f = report.checks["format"]
    assert f.records == 240 and f.items < f.valid
    assert f.grouped
    assert FORMAT.build(report).lines[0] == (f"240 export rows read: 240 valid, 0 invalid (0.0%); grouped into {f.items} items; "
                                             f"formats, in items: prodigy {f.items}")
    # the format condition names them as the section does
    condition = next(c for c in report.verdict.conditions if c.id == "format")
    assert f"all 240 export rows ({f.items} items audited)" in condition.summary
    d = report.checks["duplicates"]
    assert DUPLICATES.build(report).lines[0].startswith(f"{d.duplicate_records} of {f.items} items are duplicates")
    assert PII.build(report).lines[0].startswith(f"0 of {f.items} items hold personal data")
    console = Console(record=True, width=200)
    render_terminal(report, console)
    assert console.export_text().splitlines()[0].endswith(f"({f.items} items from 240 export rows)")
    from dataaudit.render.html import render_html
    from dataaudit.render.markdown import render_markdown

    assert "| role | path | export rows | sha256 |" in render_markdown(report)
    assert "<th>role</th><th>path</th><th>export rows</th><th>sha256</th>" in render_html(report)


def test_a_plain_files_records_are_still_called_records(tmp_path):
    from dataaudit.render.sections.format import SECTION as FORMAT

    rows = [{"text": f"how do I reset password number {i}", "label": "ab"[i % 2]} for i in range(20)]
    report = audit(write_jsonl(tmp_path / "d.jsonl", rows + ['{"text": "cut']), Config(task_type="classification"), embed=False)
    assert FORMAT.build(report).lines[0] == "21 records read: 20 valid, 1 invalid (4.8%); formats: text 20"
    assert DUPLICATES.build(report).lines[0].startswith("0 of 20 records are duplicates")
    from dataaudit.render.markdown import render_markdown

    assert "| role | path | records | sha256 |" in render_markdown(report)


def test_every_section_is_built_with_the_formats_the_run_writes(tmp_path):
    """Two build signatures (with and without formats) let the terminal call build(report) past content(): every
    section now takes them, and builds the same through content() as directly."""
    from dataaudit.render.sections import all_sections

    rows = [{"text": f"ticket number {i} about order {i * 7}", "label": "ab"[i % 2]} for i in range(30)]
    report = audit(write_jsonl(tmp_path / "d.jsonl", rows), Config(task_type="classification"), embed=False)
    built = 0
    for section in all_sections():
        for formats in (None, ("md",), ("json", "md")):
            content = section.build(report, formats)
            assert content == section.content(report, formats)
            built += content is not None
    assert built >= 9  # format, size, duplicates and the decision at least, under each of the three


def test_the_leakage_table_names_each_leaks_similarity_measure(tmp_path):
    """A lexical copy's similarity is a character edit similarity (0.690 for a certain filler copy), a reworded
    one's a cosine (0.955): one bare "similarity" column ranked the certain copies below the reworded ones."""
    from dataaudit.checks.duplicates import Leak

    rows = [{"text": f"unrelated query number {i} about topic {i % 7}", "label": "ab"[i % 2]} for i in range(40)]
    rows.append({"text": "Could you activate my card", "label": "a"})
    evals = [{"text": "unrelated query number 3 about topic 3", "label": "b"},  # exact
             {"text": "Could you please activate my card", "label": "a"}]  # filler: lexical
    report = audit(write_jsonl(tmp_path / "d.jsonl", rows), Config(task_type="format"), embed=False,
                   eval_path=write_jsonl(tmp_path / "e.jsonl", evals))
    d = report.checks["duplicates"]
    reworded = Leak(str(tmp_path / "e.jsonl"), 3, str(tmp_path / "d.jsonl"), 9, "semantic", 0.9551, "x", "y")
    report = _with_result(report, "duplicates", leakage=[*d.leakage, reworded], leak_count=3)
    table = next(t for t in DUPLICATES.build(report).tables if t.title.startswith("Eval leakage"))
    assert table.headers[3] == "similarity"
    lexical_ratio = [x.similarity for x in d.leakage if x.kind == "lexical"][0]
    assert [(row[2], row[3]) for row in table.rows] == [
        ("exact", "equal"), ("lexical", f"edit similarity {lexical_ratio:.3f}"), ("semantic", "cosine 0.955")]
    assert 0.5 < lexical_ratio < 0.95  # on the edit scale a certain copy reads low: why the measure is named


def test_exact_groups_are_counted_by_what_their_members_share_the_label_not_whole_records(tmp_path):
    """"11 exact groups (11 whole-record)" counted groups whose labels agree, though every copy had another id."""
    rows = [{"id": i, "text": f"unrelated query number {i} about topic {i % 7}", "label": "ab"[i % 2]} for i in range(40)]
    rows += [{"id": 100, "text": "please reset my password", "label": "a"},
             {"id": 101, "text": "please reset my password", "label": "a"},  # same label, another id
             {"id": 102, "text": "where is my parcel", "label": "a"}, {"id": 103, "text": "where is my parcel", "label": "b"}]
    report = audit(write_jsonl(tmp_path / "d.jsonl", rows), Config(task_type="classification"), embed=False)
    assert report.checks["duplicates"].whole_record_groups == 1
    assert "2 exact groups (1 with the same label), 0 near groups" in DUPLICATES.build(report).lines[0]
    generation = [{"prompt": "write a haiku about rain", "completion": "drops"}] * 2 + \
        [{"prompt": f"question {i}", "completion": f"answer {i}"} for i in range(30)]
    report = audit(write_jsonl(tmp_path / "g.jsonl", generation), Config(task_type="generation"), embed=False)
    assert "1 exact groups (1 with the same target)" in DUPLICATES.build(report).lines[0]


def test_the_agreement_section_gives_every_judged_questions_alpha_one_line_each(tmp_path):
    """A Label Studio export asking the 2011 data three ways: the alphas of the rating and the number questions
    were only in report.json."""
    from dataclasses import replace

    from dataaudit.render.sections.agreement import SECTION as AGREEMENT
    from tests.test_agreement import _label_studio_k2011

    config = config_from_dict({"agreement": {"bootstrap_resamples": 0}})
    report = audit(_label_studio_k2011(tmp_path / "ls.json"), config, embed=False)
    lines = AGREEMENT.build(report).lines
    assert [line for line in lines if line.startswith("question '")] == [
        "question 'intent' (choices, nominal, headline): 11 of 12 items with two or more answers; Krippendorff's alpha 0.743",
        "question 'quality' (rating, ordinal): 11 of 12 items with two or more answers; Krippendorff's alpha 0.815",
        "question 'urgency' (number, interval): 11 of 12 items with two or more answers; Krippendorff's alpha 0.849"]
    # what the result holds, nothing else: one judged question gets no such line
    a = report.checks["agreement"]
    from dataaudit.report import CheckResults

    one = replace(report, checks=CheckResults({**report.checks, "agreement": replace(a, questions=a.questions[:1])}, report.checks.runs))
    assert not any(line.startswith("question '") for line in AGREEMENT.build(one).lines)


def test_the_per_file_labels_column_tells_apart_labels_that_share_their_first_16_characters():
    """Banking77's balance_not_updated_after_bank_transfer and ..._cheque_or_cash_deposit both read 'balance_not_upd…'."""
    from types import SimpleNamespace

    from dataaudit.checks.batches import BatchSummary
    from dataaudit.render.sections.per_file import SECTION as PER_FILE

    transfer, deposit = "balance_not_updated_after_bank_transfer", "balance_not_updated_after_cheque_or_cash_deposit"
    files = [BatchSummary("a.csv", 100, 100, 0, 100, None, {transfer: 0.5, "card_payment_wrong_exchange_rate": 0.3, deposit: 0.2},
                          0.0, 0),
             BatchSummary("b.csv", 100, 100, 0, 100, None, {deposit: 0.6, "short": 0.4}, 0.0, 0)]
    report = SimpleNamespace(per_file=files, config={"agreement": {"reliable_alpha": 0.8, "tentative_alpha": 0.667}},
                             checks={}, rows_grouped=None)
    labels = [row[4] for row in PER_FILE.build(report).tables[0].rows]
    assert labels == ["balance_…ransfer 50%, card_payment_wr… 30%, balance_…deposit 20%", "balance_…deposit 60%, short 40%"]


def test_the_agreement_section_says_how_ties_were_broken_at_the_headlines_level(tmp_path):
    """A tie of scores goes to the lower median answer (load.dataset.majority_label); the section said "the first
    label alphabetically" at every level."""
    from dataaudit.render.sections.agreement import SECTION as AGREEMENT

    path = tmp_path / "scores.csv"
    path.write_text("id,text,r1,r2\n" + "".join(f"{i},essay number {i},{50 + i},{60 + i}\n" for i in range(30)), encoding="utf-8")
    for level, rule in (("interval", "the lower median answer"), ("nominal", "the first label alphabetically")):
        config = config_from_dict({"fields": {"annotator_columns": ["r1", "r2"]}, "task_type": "format",
                                   "agreement": {"level": level, "bootstrap_resamples": 0}})
        report = audit(path, config, embed=False)
        assert report.checks["agreement"].ties == 30
        assert f"30 ties (resolved to {rule})" in AGREEMENT.build(report).lines[1]
