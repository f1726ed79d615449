"""Agreement: Krippendorff's alpha and friends, annotators, disputed items."""

from __future__ import annotations

from typing import Collection

from ...checks.agreement import ci_text, flag_figures, flagged_by_alpha, flagged_by_gold, gold_figure, undefined_text
from ...load.dataset import ORDERED_LEVELS
from ...report import Report
from ..figures import report_figure
from ...excerpt import distinct_texts
from .base import Figure, Section, SectionContent, Table, text
from .size import label_names


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def alpha_text(a, report: Report) -> str:
    """Alpha as the consistency condition writes it: from the unrounded value (the result's krippendorff_alpha is
    rounded to 4 places, and 0.93849 rounded twice read 0.939 beside the condition's 0.938), with the places that
    keep it on its side of the thresholds."""
    alpha = a.krippendorff_alpha_unrounded if a.krippendorff_alpha_unrounded is not None else a.krippendorff_alpha
    return "n/a" if alpha is None else report_figure(report, "krippendorff_alpha", alpha)


def _tie_rule(level: str) -> str:
    """How load.dataset.majority_label broke the headline's ties: on an ordered scale the lower median answer."""
    return "the lower median answer" if level in ORDERED_LEVELS else "the first label alphabetically"


def _build(report: Report, formats: Collection[str] | None = None) -> SectionContent | None:
    a = report.checks.get("agreement")
    if a is None:
        return None
    ci = f" (95% CI {ci_text(a.alpha_ci)}{undefined_text(a)})" if a.alpha_ci else ""
    annotators = f"{len(a.annotators)} annotators" if a.annotators_named else "annotators not named in the export"
    source = a.label_source
    if a.label_source == "gold" and 0 < a.gold_items < a.items:
        source = f"gold on {a.gold_items} of {a.items} items, the majority on the rest"
    # Fleiss' kappa and Gwet's AC1 count exact matches: the check gives them at nominal level only, and a bare
    # "n/a" beside ten ratings an item read as the unequal counts that also leave Fleiss' kappa undefined.
    exact_only = "" if a.level == "nominal" else f" (nominal statistics; the question is judged at {a.level} level)"
    lines = [f"Krippendorff's alpha ({a.level}) {alpha_text(a, report)}{ci}; percent agreement {_fmt(a.percent_agreement)}; "
             + (f"Fleiss' kappa {_fmt(a.fleiss_kappa)}; Gwet's AC1 {_fmt(a.gwet_ac1)}" if not exact_only else
                f"Fleiss' kappa and Gwet's AC1 n/a{exact_only}"),
             f"{a.items} items, {a.items_multi} with two or more labels ({a.share_multi:.0%}), {annotators}, layout {a.layout}; "
             f"training label: {source}" + (f", {a.ties} ties (resolved to {_tie_rule(a.level)})" if a.ties else "")]
    # Every judged question of an export, one line each: the headline's alpha decides consistency, but a lead
    # reads here that the rating question is reliable while the choice question is only tentative.
    judged = [q for q in a.questions if q.level is not None]
    if len(judged) > 1:
        lines.extend(question_line(q, a, report) for q in judged)
    if a.note:
        lines.append(a.note)
    # What the reading set aside or joined (unlabelled items, rejects, missing annotator ids, one task in two
    # files): the figures above are over what is left, so the reviewer reads how they were made.
    lines.extend(text(note, 400) for note in a.notes)
    names = annotator_names(a)
    for annotator in a.annotators:
        if annotator.flagged:
            # The figures that flagged them, then their agreement with gold wherever it was measured, as the
            # consistency action gives it: a lead weighs an annotator the others flag by how they did on gold.
            figures = flag_figures(annotator, alpha=a.krippendorff_alpha_unrounded)
            if annotator.gold_agreement is not None and not flagged_by_gold(annotator):
                figures.append(gold_figure(annotator))
            lines.append(f"annotator {names[annotator.annotator]} is far below the others"
                         + (": " + "; ".join(figures) if figures else "") + f" ({annotator.items} labelled)"
                         + (f"; alpha without them {annotator.alpha_without:.3f}"
                            if annotator.alpha_without is not None and not flagged_by_alpha(annotator) else ""))
    # Told apart over every label, as the size section names them: told apart over only the labels listed here,
    # one label read differently from the size section, and two sharing their head could read as one.
    labels = label_names(report, [s.label for s in a.labels] + [label for p in a.confused_pairs[:3] for label in p.labels]
                         + [label for d in a.disputed for label in d.labels.values()])
    if a.confused_pairs:
        lines.append("most confused labels: " + ", ".join(f"{labels[p.labels[0]]} / {labels[p.labels[1]]}" for p in a.confused_pairs[:3]))
    annotators = [[names[s.annotator], s.items, s.items_compared, _fmt(s.agreement_with_others), _fmt(s.alpha_without),
                   "careless?" if s.flagged else ("one label only" if s.constant_label else "")] for s in a.annotators]
    headers = ["annotator", "items", "shared with others", "agreement with others", "alpha without", "flag"]
    if any(s.own_alpha is not None for s in a.annotators):
        # at a scaled level what flags them: exact agreement with the majority says little on a scale
        headers.insert(4, "alpha on their ratings")
        for row, s in zip(annotators, a.annotators):
            row.insert(4, _fmt(s.own_alpha))
    gold_of = {s.annotator: s for s in a.per_annotator if s.gold_items}
    if gold_of:  # with gold answers in the export: each annotator against them, and on how many items
        headers.insert(len(headers) - 1, "agreement with gold")  # before the flag
        for row, s in zip(annotators, a.annotators):
            g = gold_of.get(s.annotator)
            row.insert(len(row) - 1, f"{_fmt(g.gold_agreement)} of {g.gold_items}" if g is not None else "-")
    # Records without an id field left the item column empty on every row: there, each item is named by its file
    # (the lines beside it place it), and where only some have an id, the others by their file and first line.
    named = any(d.item_id for d in a.disputed)
    disputed = [[text(d.item_id, 40) if d.item_id else text(f"{d.file}:{d.lines[0]}" if named and d.lines else d.file, 60, keep_end=True),
                 ", ".join(map(str, d.lines[:6])), text(d.text),
                 ", ".join(f"{names[annotator]}: {labels[label]}" for annotator, label in d.labels.items())] for d in a.disputed]
    return SectionContent(lines, [Table("Annotators", headers, annotators, collapsed=False),
                                  Table(f"Most disputed items ({a.disputed_total})", ["item" if named else "file", "lines", "text", "labels"], disputed,
                                        total=a.disputed_total, full_list="raise agreement.disputed_limit to list more")])


def question_line(q, a, report: Report) -> str:
    """"question 'quality' (rating, ordinal): 11 of 12 items with two or more answers; Krippendorff's alpha 0.815";
    the headline's alpha written as the condition writes it."""
    if q.headline:
        alpha = alpha_text(a, report)
    else:
        alpha = _fmt(q.krippendorff_alpha)
    return (f"question '{text(q.question, 60)}' ({text(q.type, 30)}, {q.level}{', headline' if q.headline else ''}): "
            f"{q.items_multi} of {q.items} items with two or more answers; Krippendorff's alpha {alpha}")


def annotator_names(a) -> dict[str, str]:
    """Every annotator's shown name, the same in the lines, the table and the figures, no two alike."""
    return distinct_texts([s.annotator for s in a.annotators] + [k for row in a.cohen_kappa.values() for k in row]
                          + list(a.cohen_kappa) + list(a.plotted_annotators) + [k for d in a.disputed for k in d.labels], 40)


def _cap_words(shown: list[str], total: int, whom: str, flagged: set[str]) -> str:
    """' for the 40 most active of 127 annotators' where a figure shows only some (' for 42 of 127 annotators: the
    most active and every flagged one' where flagged ones are among them); "" where it shows all."""
    if len(shown) >= total:
        return ""
    if flagged & set(shown):
        return f" for {len(shown)} of {total} {whom}: the most active and every flagged one"
    return f" for the {len(shown)} most active of {total} {whom}"


def _figures(report: Report) -> list[Figure]:
    from .. import plots

    a = report.checks.get("agreement")
    if a is None:
        return []
    figures = []
    names = annotator_names(a)
    # Exactly the annotators the check chose (the kappa matrix's: the most active and every flagged one), in
    # `a.annotators` order (the flagged and least agreeing first); a bar needs an agreement figure.
    chosen = set(a.plotted_annotators)
    flagged = {s.annotator for s in a.annotators if s.flagged}
    plotted = [s for s in a.annotators if s.annotator in chosen and s.agreement_with_others is not None]
    scored = [s for s in a.annotators if s.agreement_with_others is not None]
    if plotted:
        figures.append(Figure(plots.annotator_bars([names[s.annotator] for s in plotted], [s.agreement_with_others for s in plotted],
                                                   [s.flagged for s in plotted]),
                              "Per-annotator agreement" + _cap_words([s.annotator for s in plotted], len(scored),
                                                                     "annotators" if len(scored) == len(a.annotators)
                                                                     else "annotators who share items with others", flagged)))
    if len(a.cohen_kappa) > 1:
        matrix = {names[k]: {names[k2]: v for k2, v in row.items()} for k, row in a.cohen_kappa.items()}
        figures.append(Figure(plots.agreement_heatmap(matrix), "Annotator x annotator agreement (Cohen's kappa)"
                              + _cap_words(list(a.cohen_kappa), len(a.annotators), "annotators", flagged)))
    return figures


SECTION = Section("agreement", "Agreement", 40, _build, _figures)
