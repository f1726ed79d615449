"""Size and balance: usable examples, token lengths, label counts."""

from __future__ import annotations

from typing import Collection, Iterable

from ...checks.size import counted, ratio_text, unrounded_ratio
from ...excerpt import LABEL_WIDTH, distinct_texts
from ...load.values import MAX_TEXT_CHARS
from ...report import Report
from .base import Figure, Section, SectionContent, Table, add_json, json_written


TOKEN_PLACES = 2  # a median or percentile of counts falls between two of them: 78.05, 12.5
# Rare labels named in the balance line: 40,000 labels of two examples each made it 7,224 terminal lines, and
# report.md cut it mid-name; report.json holds every label's count (checks.balance.counts, rare_labels).
RARE_LABELS_NAMED = 10
LABEL_TABLE_WIDTH = 60  # the label-count table has room for more than a line or figure's LABEL_WIDTH


def label_names(report: Report, more: Iterable[str] = (), limit: int = LABEL_WIDTH) -> dict[str, str]:
    """Every label's shown name, told apart over all of them (the balance check's, then `more`, labels other
    sections name that the training labels lack), so that one label reads the same in every section: told apart
    within a few, two labels that share their first characters read as one elsewhere."""
    b = report.checks.get("balance")
    return distinct_texts(list(b.counts if b is not None else ()) + list(more), limit)


def token_figure(value: float) -> str:
    """A token count or a figure of their spread, in every section that shows one: 5,242,880 not 5.24288e+06,
    and a median or p95 between two counts to the hundredth report.json holds it to (78.05, not 78.0), with no
    trailing zeros (45, 12.5)."""
    shown = f"{value:,.{TOKEN_PLACES}f}".rstrip("0").rstrip(".")
    return "0" if shown == "-0" else shown


def _ratio_figure(ratio: float, bound: float | None) -> str:
    """A ratio as the scale condition writes it (checks.size.ratio_text): 41, 32.333, or as many places as keep it
    on its side of the bound it is judged by."""
    return ratio_text(ratio, bound)


def _rare_labels(report: Report, balance, formats: Collection[str] | None) -> str:
    """The rare labels in the check's order (most examples first, then name), the first RARE_LABELS_NAMED
    named with their counts and the rest counted, with where to find them: report.json where the run writes it,
    else what to add (report.md or report.html written alone must not send the reader to it)."""
    named = balance.rare_labels[:RARE_LABELS_NAMED]
    rest = len(balance.rare_labels) - len(named)
    where = ("report.json lists every label count under checks.balance" if json_written(formats)
             else f"{add_json()} for every label count")
    names = label_names(report)
    return (f"; under {counted(balance.min_label_count, 'example')}: " + ", ".join(f"{names[k]} ({balance.counts[k]:,})" for k in named)
            + (f" and {rest:,} more ({where})" if rest else ""))


def _build(report: Report, formats: Collection[str] | None = None) -> SectionContent | None:
    s = report.checks.get("size")
    if s is None:
        return None
    usable = ""
    if report.usable is not None:
        usable = f", {report.usable:,} usable " + ("after de-duplication" if report.usable_after_deduplication
                                                 else "(not de-duplicated: the duplicates check did not run)")
    # checks.size.usable, by what it holds, where it is not every example: else the usable count after
    # de-duplication read as duplicates alone dropped what lacked an input text.
    with_input = f" ({s.usable:,} with an input text)" if s.usable != s.examples else ""
    lines = [f"{counted(s.examples, 'example')}{with_input}{usable}; tokens counted with {s.tokenizer}"
             + (f" (o200k_base's count, where larger, for {counted(s.recounted, 'text')} it cannot read)" if getattr(s, "recounted", 0) else "")]
    for name, stats in (("input", s.input_tokens), ("target", s.target_tokens)):
        if stats:
            lines.append(f"{name} tokens: min {token_figure(stats.min)}, median {token_figure(stats.median)}, p95 {token_figure(stats.p95)}, "
                         f"max {token_figure(stats.max)}, total {token_figure(stats.total)}")
    cut = getattr(s, "cut_examples", 0)
    if cut:
        floors = getattr(s, "cut_counted", 0)
        lines.append(f"{cut:,} example{' was' if cut == 1 else 's were'} longer than the {MAX_TEXT_CHARS:,} characters the loader keeps for "
                     + ("comparison; counted whole" if not floors else
                        f"comparison; {floors:,} of them counted on the cut text, so these figures are floors"))
    if s.over_context:
        lines.append(f"{counted(s.over_context, 'example')} {'exceeds' if s.over_context == 1 else 'exceed'} the {s.context_limit:,}-token context limit (first: line "
                     + ", ".join(str(o.line) for o in s.over_context_examples[:5]) + ")")
    tables = []
    b = report.checks.get("balance")
    if b is not None:
        entropy = "n/a" if b.normalized_entropy is None else f"{b.normalized_entropy:.2f}"
        bound = ((getattr(report, "config", None) or {}).get("balance") or {}).get("warn_imbalance_ratio")
        lines.append(f"{counted(b.labels, 'label')}, imbalance ratio {_ratio_figure(unrounded_ratio(b), bound)}, normalised entropy {entropy}"
                     + (_rare_labels(report, b, formats) if b.rare_labels else ""))
        names = label_names(report, limit=LABEL_TABLE_WIDTH)
        tables.append(Table(f"Label counts ({b.labels})", ["label", "count", "share"],
                            [[names[k], n, f"{b.shares[k]:.1%}"] for k, n in b.counts.items()], collapsed=b.labels > 12))
    return SectionContent(lines, tables)


def _figures(report: Report) -> list[Figure]:
    from .. import plots

    figures = []
    s = report.checks.get("size")
    if s is not None and s.input_token_counts:
        limit = None if getattr(s, "length_judged_by", None) else s.context_limit  # the model's limit judges length
        figures.append(Figure(plots.token_histograms(s.input_token_counts, s.target_token_counts, limit),
                              f"Token lengths ({s.tokenizer})"))
    b = report.checks.get("balance")
    if b is not None:
        names = label_names(report)  # keyed by the label: two labels whose excerpts read alike were one bar
        figures.append(Figure(plots.label_distribution({names[k]: v for k, v in b.counts.items()}, [names[k] for k in b.rare_labels]),
                              "Label distribution"))
    return figures


SECTION = Section("size", "Size and balance", 20, _build, _figures)
