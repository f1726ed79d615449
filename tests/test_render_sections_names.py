"""Labels and annotators whose excerpts read alike stay apart in every table and figure (sections.base.distinct_texts)."""

from __future__ import annotations

import hashlib

from dataaudit.api import audit
from dataaudit.config import config_from_dict
from dataaudit.excerpt import distinct_texts
from tests.conftest import write_jsonl

HIGH = "customer_request_category_refund_and_billing_dispute_high"
LOW = "customer_request_category_refund_and_billing_dispute_low"
ALPHA = "annotation_vendor_team_north_region_member_alpha"
BRAVO = "annotation_vendor_team_north_region_member_bravo"


def test_names_that_share_their_head_are_shown_with_their_ends():
    shown = distinct_texts([HIGH, LOW, "shipping"], 40)
    assert shown == {HIGH: "customer_request_cat…illing_dispute_high", LOW: "customer_request_cat…billing_dispute_low",
                     "shipping": "shipping"}


def test_names_that_differ_only_in_the_middle_get_a_tag_of_their_digest():
    one, two = "a" * 40 + "one" + "z" * 40, "a" * 40 + "two" + "z" * 40
    shown = distinct_texts([one, two], 40)
    for name in (one, two):
        assert shown[name].endswith(" #" + hashlib.sha256(name.encode()).hexdigest()[:6])
        assert len(shown[name]) <= 40
    assert shown[one] != shown[two]
    assert distinct_texts([two, one], 40) == shown  # the same name reads the same whatever comes with it


def test_names_that_fit_are_shown_as_they_are_even_beside_a_collision():
    assert distinct_texts(["a" * 50 + "x", "a" * 50 + "y", "b" * 50], 40)["b" * 50] == "b" * 39 + "…"


def _collide_report(tmp_path):
    labels = [HIGH, LOW, "shipping"]
    rows = []
    for i in range(60):
        truth = labels[0] if i % 5 < 3 else labels[1 + i % 2]
        for n, annotator in enumerate((ALPHA, BRAVO, "carol")):
            label = labels[(labels.index(truth) + 1) % 3] if (i + n) % 7 == 0 else truth
            rows.append({"item_id": f"I{i:03d}", "annotator": annotator, "label": label, "text": f"ticket {i} about {i * 7}"})
    config = config_from_dict({"task_type": "format", "fields": {"annotator": "annotator", "id": "item_id"},
                               "agreement": {"bootstrap_resamples": 0}})
    return audit(write_jsonl(tmp_path / "ann.jsonl", rows), config, embed=False)


def test_every_label_is_a_bar_and_a_row_when_two_read_alike_at_40_characters(tmp_path, monkeypatch):
    from dataaudit.render import plots
    from dataaudit.render.sections.size import SECTION as SIZE

    report = _collide_report(tmp_path)
    counts = report.checks["balance"].counts
    assert set(counts) == {HIGH, LOW, "shipping"}
    drawn: list[dict] = []
    monkeypatch.setattr(plots, "label_distribution", lambda bars, rare: drawn.append(bars) or "<svg/>")
    monkeypatch.setattr(plots, "token_histograms", lambda *args: "<svg/>")
    SIZE.figures(report)
    assert len(drawn[0]) == 3 and sorted(drawn[0].values()) == sorted(counts.values())
    table = SIZE.build(report).tables[0]
    assert len({row[0] for row in table.rows}) == 3


def test_every_annotator_is_a_bar_a_row_and_a_heatmap_line_when_two_read_alike(tmp_path, monkeypatch):
    from dataaudit.render import plots
    from dataaudit.render.sections.agreement import SECTION as AGREEMENT

    report = _collide_report(tmp_path)
    bars: list[list[str]] = []
    matrices: list[dict] = []
    monkeypatch.setattr(plots, "annotator_bars", lambda names, agreement, flagged: bars.append(names) or "<svg/>")
    monkeypatch.setattr(plots, "agreement_heatmap", lambda matrix: matrices.append(matrix) or "<svg/>")
    AGREEMENT.figures(report)
    expected = {"annotation_vendor_te…region_member_alpha", "annotation_vendor_te…region_member_bravo", "carol"}
    assert set(bars[0]) == expected and len(bars[0]) == 3
    assert set(matrices[0]) == expected and all(set(row) == expected for row in matrices[0].values())
    annotators = next(t for t in AGREEMENT.build(report).tables if t.title == "Annotators")
    assert {row[0] for row in annotators.rows} == expected


def test_a_disputed_items_labels_are_excerpts_told_apart(tmp_path):
    """The disputed table wrote each annotator's label as it came (unmasked, uncut); now as an excerpt that tells
    labels sharing their first 30 characters apart."""
    from dataaudit.render.sections.agreement import SECTION as AGREEMENT

    report = _collide_report(tmp_path)
    disputed = next(t for t in AGREEMENT.build(report).tables if t.title.startswith("Most disputed"))
    assert disputed.rows
    shown = {part.rsplit(": ", 1)[1] for row in disputed.rows for part in row[3].split(", ")}
    assert shown <= {"customer_request_cat…illing_dispute_high", "customer_request_cat…billing_dispute_low", "shipping"}
    assert len(shown & {"customer_request_cat…illing_dispute_high", "customer_request_cat…billing_dispute_low"}) == 2


def test_a_label_reads_in_the_agreement_section_as_in_the_size_section_whatever_few_it_lists(tmp_path, monkeypatch):
    """Told apart over only the labels listed, a disputed item labelled HIGH (and never LOW) read
    "customer_request_category_ref…", which LOW would read too."""
    from dataclasses import replace

    from dataaudit.render.sections.agreement import SECTION as AGREEMENT
    from dataaudit.render.sections.size import SECTION as SIZE
    from dataaudit.report import CheckResults

    report = _collide_report(tmp_path)
    agreement = report.checks["agreement"]
    only_high = [d for d in agreement.disputed if set(d.labels.values()) == {HIGH, "shipping"}][:1]
    assert only_high
    results = {**report.checks, "agreement": replace(agreement, confused_pairs=[], disputed=only_high)}
    report = replace(report, checks=CheckResults(results, report.checks.runs))
    disputed = next(t for t in AGREEMENT.build(report).tables if t.title.startswith("Most disputed"))
    shown = {part.rsplit(": ", 1)[1] for part in disputed.rows[0][3].split(", ")}
    assert shown == {"customer_request_cat…illing_dispute_high", "shipping"}
    from dataaudit.render import plots

    drawn: list[dict] = []
    monkeypatch.setattr(plots, "label_distribution", lambda bars, rare: drawn.append(bars) or "<svg/>")
    monkeypatch.setattr(plots, "token_histograms", lambda *args: "<svg/>")
    SIZE.figures(report)
    assert "customer_request_cat…illing_dispute_high" in drawn[0]


def test_names_told_apart_only_by_a_masked_value_are_numbered_not_hashed():
    """A digest of "refund request from +1 415 555 0958" is one of a million numbers to try: it gave the number
    back. Such names are tagged by their place, in the order they came."""
    one, two = "refund request from +1 415 555 0958", "refund request from +1 416 555 0958"
    shown = distinct_texts([one, "shipping", two], 40)
    assert shown == {one: "refund request from <PHONE …958> #1", "shipping": "shipping",
                     two: "refund request from <PHONE …958> #2"}
    digests = {hashlib.sha256(name.encode()).hexdigest()[:k] for name in (one, two) for k in (4, 6, 8)}
    assert not any(d in reads for d in digests for reads in shown.values())


def test_a_place_number_is_never_one_another_name_already_reads():
    one, two = "ticket from +1 415 555 0958", "ticket from +1 416 555 0958"
    taken = "ticket from <PHONE …958> #1"  # a label that reads, as typed, like the first place number
    shown = distinct_texts([taken, one, two], 40)
    assert shown[taken] == taken
    assert len(set(shown.values())) == 3 and all(len(reads) <= 40 for reads in shown.values())
    assert {shown[one], shown[two]} == {"ticket from <PHONE …958> #2", "ticket from <PHONE …958> #3"}
