"""Size and balance: usable examples, token lengths, label counts."""

from __future__ import annotations

from ...checks.size import usable_examples
from ...report import Report
from .base import Figure, Section, SectionContent, Table, text


def number(value: float) -> str:
    """Token figures as people read them: 5,242,880 not 5.24288e+06; one decimal only where it says something."""
    return f"{value:,.0f}" if float(value).is_integer() or abs(value) >= 100 else f"{value:,.1f}"


def _build(report: Report) -> SectionContent | None:
    s = report.checks.get("size")
    if s is None:
        return None
    duplicates = report.checks.get("duplicates")
    when = "after de-duplication" if duplicates is not None else "(not de-duplicated: the duplicates check did not run)"
    lines = [f"{s.examples} examples, {usable_examples(s, duplicates)} usable {when}; tokens counted with {s.tokenizer}"
             + (f" (o200k_base for {s.recounted} texts it cannot read)" if getattr(s, "recounted", 0) else "")]
    for name, stats in (("input", s.input_tokens), ("target", s.target_tokens)):
        if stats:
            lines.append(f"{name} tokens: min {number(stats.min)}, median {number(stats.median)}, p95 {number(stats.p95)}, "
                         f"max {number(stats.max)}, total {number(stats.total)}")
    if s.over_context:
        lines.append(f"{s.over_context} example{' exceeds' if s.over_context == 1 else 's exceed'} the {s.context_limit}-token context limit (first: line "
                     + ", ".join(str(o.line) for o in s.over_context_examples[:5]) + ")")
    tables = []
    b = report.checks.get("balance")
    if b is not None:
        entropy = "n/a" if b.normalized_entropy is None else f"{b.normalized_entropy:.2f}"
        lines.append(f"{b.labels} labels, imbalance ratio {b.imbalance_ratio:g}, normalised entropy {entropy}"
                     + (f"; under {b.min_label_count} examples: " + ", ".join(f"{text(k, 40)} ({b.counts[k]})" for k in b.rare_labels)
                        if b.rare_labels else ""))
        tables.append(Table(f"Label counts ({b.labels})", ["label", "count", "share"],
                            [[text(k, 60), n, f"{b.shares[k]:.1%}"] for k, n in b.counts.items()], collapsed=b.labels > 12))
    return SectionContent(lines, tables)


def _figures(report: Report) -> list[Figure]:
    from .. import plots

    figures = []
    s = report.checks.get("size")
    if s is not None and s.input_token_counts:
        figures.append(Figure(plots.token_histograms(s.input_token_counts, s.target_token_counts, s.context_limit),
                              f"Token lengths ({s.tokenizer})"))
    b = report.checks.get("balance")
    if b is not None:
        figures.append(Figure(plots.label_distribution({text(k, 40): v for k, v in b.counts.items()}, [text(k, 40) for k in b.rare_labels]),
                              "Label distribution"))
    return figures


SECTION = Section("size", "Size and balance", 20, _build, _figures)
