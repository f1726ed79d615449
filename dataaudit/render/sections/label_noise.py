"""Label noise: confident learning's estimate, how reliable it is, and the lines to re-check first."""

from __future__ import annotations

from typing import Collection

from ...checks.label_noise import left_out, plural
from ...digits import percent_text
from ...report import Report
from .base import Section, SectionContent, Table, json_written, text
from .duplicates import several_training_files


def _build(report: Report, formats: Collection[str] | None = None) -> SectionContent | None:
    n = report.checks.get("label_noise")
    if n is None:
        return None
    if n.estimated_error_rate is None:
        return SectionContent([f"label noise not estimated: {n.reason}"])
    ci = f" (95% CI {n.error_rate_ci[0]:.1%}-{n.error_rate_ci[1]:.1%})" if n.error_rate_ci else ""
    settings = (getattr(report, "config", None) or {}).get("label_noise") or {}
    minimum = settings.get("min_examples_per_label")
    scope = left_out(n, minimum)
    if not n.reliable:
        # A classifier that cannot learn the labels disagrees with a large share of them at random: listed as
        # suspects, those lines would send a reviewer to re-check data the estimate says nothing about. The
        # accuracy is said as a figure, not as the cause: the reason may be the left-out labels, with a
        # classifier that learnt the rest perfectly.
        lines = [f"label noise not estimated reliably: {n.reason}"]
        if n.cv_accuracy is not None:
            lines.append(("over the labels it could learn, " if scope else "") + f"the classifier ({n.classifier}) reached {n.cv_accuracy:.1%} "
                         f"cross-validated accuracy against a majority baseline of {n.baseline_accuracy:.1%}"
                         + (f"; its {n.suspects_total} disagreements with the labels are not listed as suspects"
                            if n.suspects_total else "; it disagreed with none of their labels"))
        return SectionContent(lines + ([scope] if scope else []))
    several = several_training_files(report)  # a bare line number would name a line of any training file
    bounds = [b for b in (settings.get("warn_error_rate"), settings.get("fail_error_rate")) if isinstance(b, (int, float))]
    rate = n.judged_rate(*bounds)
    # Written as the verdict writes it: with the places that put it on its side of the bounds (4.9996%, not 5.0%).
    lines = [f"an estimated {percent_text(rate, *bounds)} of labels are wrong{ci}; classifier ({n.classifier}) cross-validated "
             f"accuracy {n.cv_accuracy:.1%} against a majority baseline of {n.baseline_accuracy:.1%}",
             _flagged(n, several, formats)]
    if scope:
        lines.append(scope)
    if n.confused_pairs:
        lines.append("most confused: " + ", ".join(f"{text(p['given'], 30)} -> {text(p['suggested'], 30)} ({p['count']})"
                                                   for p in n.confused_pairs[:3]))
    rows = [[s["file"], s["line"], text(s["label"], 40), f"{s['label_quality']:.2f}" if s.get("label_quality") is not None else "-",
             text(s["suggested"], 40), f"{s['confidence']:.2f}"] for s in n.suspects]
    return SectionContent(lines, [Table(f"Suspected wrong labels ({n.suspects_total}, least believed label first)",
                                        ["file", "line", "label", "p(label)", "suggested", "p(suggested)"],
                                        rows, total=n.suspects_total, full_list="--suspects FILE.csv writes all of them")])


LINES_LISTED = 10  # flagged lines the section's line names; the table below lists the result's suspects


def _flagged(n, several: bool, formats: Collection[str] | None) -> str:
    """How many lines are flagged and the first of them, saying where the rest are when it names only some: "24 lines
    flagged: 393, 392, ..." listing ten read as the whole list."""
    flagged = f"{plural(n.suspects_total, 'line')} flagged"
    if not n.suspects:
        return flagged
    listed = n.suspects[:LINES_LISTED]
    places = ", ".join(f"{s['file']}:{s['line']}" if several else str(s["line"]) for s in listed)
    if len(listed) >= n.suspects_total:
        return f"{flagged}: {places}"
    if not json_written(formats):
        where = "all of them in --suspects FILE.csv"
    elif len(n.suspects) >= n.suspects_total:
        where = "all of them in report.json and --suspects FILE.csv"
    else:  # the result lists suspects_limit of them; the suspects file has every one
        where = f"the first {len(n.suspects)} in report.json, all of them in --suspects FILE.csv"
    return f"{flagged}, the first {len(listed)} of them (least believed label first): {places}; {where}"


SECTION = Section("label_noise", "Label noise", 45, _build)
