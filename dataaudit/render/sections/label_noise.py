"""Label noise: confident learning's estimate, how reliable it is, and the lines to re-check first."""

from __future__ import annotations

from ...report import Report
from .base import Section, SectionContent, Table, text
from .duplicates import several_training_files


def _build(report: Report) -> SectionContent | None:
    n = report.checks.get("label_noise")
    if n is None:
        return None
    if n.estimated_error_rate is None:
        return SectionContent([f"label noise not estimated: {n.reason}"])
    ci = f" (95% CI {n.error_rate_ci[0]:.1%}-{n.error_rate_ci[1]:.1%})" if n.error_rate_ci else ""
    if not n.reliable:
        # A classifier that cannot learn the labels disagrees with a large share of them at random: listed as
        # suspects, those lines would send a reviewer to re-check data the estimate says nothing about.
        return SectionContent([f"label noise not estimated reliably: {n.reason}",
                               f"the classifier ({n.classifier}) reached {n.cv_accuracy:.1%} cross-validated accuracy against a "
                               f"majority baseline of {n.baseline_accuracy:.1%}; its {n.suspects_total} disagreements with the labels "
                               f"are not listed as suspects (report.json keeps them under checks.label_noise)"])
    several = several_training_files(report)  # a bare line number would name a line of any training file
    lines = [f"an estimated {n.estimated_error_rate:.1%} of labels are wrong{ci}; classifier ({n.classifier}) cross-validated "
             f"accuracy {n.cv_accuracy:.1%} against a majority baseline of {n.baseline_accuracy:.1%}",
             f"{n.suspects_total} lines flagged" + (": " + ", ".join(f"{s['file']}:{s['line']}" if several else str(s["line"])
                                                                 for s in n.suspects[:10]) if n.suspects else "")]
    if n.confused_pairs:
        lines.append("most confused: " + ", ".join(f"{text(p['given'], 30)} -> {text(p['suggested'], 30)} ({p['count']})"
                                                   for p in n.confused_pairs[:3]))
    rows = [[s["file"], s["line"], text(s["label"], 40), f"{s['label_quality']:.2f}" if s.get("label_quality") is not None else "-",
             text(s["suggested"], 40), f"{s['confidence']:.2f}"] for s in n.suspects]
    return SectionContent(lines, [Table(f"Suspected wrong labels ({n.suspects_total}, least believed label first)",
                                        ["file", "line", "label", "p(label)", "suggested", "p(suggested)"],
                                        rows, total=n.suspects_total, full_list="--suspects FILE.csv writes all of them")])


SECTION = Section("label_noise", "Label noise", 45, _build)
