"""Rows and lines shared by the terminal, Markdown and HTML renderers: what each section shows.

Values stay raw (unescaped) here; each renderer escapes for its own medium.
"""

from __future__ import annotations

from ..report import Report

STATUS_MARK = {"pass": "✅", "warn": "⚠️", "fail": "❌", "unknown": "❔",
               "ready": "✅", "not_ready": "❌", "insufficient_evidence": "❔"}


def _clip(text: str, limit: int = 120) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def format_rows(report: Report) -> tuple[list[str], list[list[object]]]:
    f = report.checks["format"]
    lines = [f"{f.records} records read: {f.valid} valid, {f.invalid} invalid ({f.invalid_share:.1%}); formats: "
             + (", ".join(f"{k} {v}" for k, v in f.formats.items()) or "none")]
    if f.blank_lines:
        lines.append(f"{f.blank_lines} blank lines skipped")
    if f.errors_listed < f.invalid:
        lines.append(f"first {f.errors_listed} errors listed")
    return lines, [[e.file, e.line, e.field, e.message] for e in f.errors]


def size_rows(report: Report) -> list[str]:
    s = report.checks["size"]
    lines = [f"{s.examples} examples, {report.checks['duplicates'].usable if report.checks.get('duplicates') else s.usable} usable after de-duplication; tokens counted with {s.tokenizer}"]
    if s.input_tokens:
        t = s.input_tokens
        lines.append(f"input tokens: min {t.min}, median {t.median:g}, p95 {t.p95:g}, max {t.max}, total {t.total}")
    if s.target_tokens:
        t = s.target_tokens
        lines.append(f"target tokens: min {t.min}, median {t.median:g}, p95 {t.p95:g}, max {t.max}, total {t.total}")
    if s.over_context:
        lines.append(f"{s.over_context} examples exceed the {s.context_limit}-token context limit (first: line "
                     + ", ".join(str(o.line) for o in s.over_context_examples[:5]) + ")")
    b = report.checks.get("balance")
    if b is not None:
        entropy = "n/a" if b.normalized_entropy is None else f"{b.normalized_entropy:.2f}"
        lines.append(f"{b.labels} labels, imbalance ratio {b.imbalance_ratio:g}, normalised entropy {entropy}"
                     + (f"; under {b.min_label_count} examples: " + ", ".join(f"{k} ({b.counts[k]})" for k in b.rare_labels) if b.rare_labels else ""))
    return lines


def agreement_rows(report: Report) -> tuple[list[str], list[list[object]], list[list[object]]]:
    a = report.checks.get("agreement")
    if a is None:
        return [], [], []

    def fmt(value):
        return "n/a" if value is None else f"{value:.3f}"

    ci = f" (95% CI {a.alpha_ci[0]:.3f}-{a.alpha_ci[1]:.3f})" if a.alpha_ci else ""
    lines = [f"Krippendorff's alpha ({a.level}) {fmt(a.krippendorff_alpha)}{ci}; percent agreement {fmt(a.percent_agreement)}; "
             f"Fleiss' kappa {fmt(a.fleiss_kappa)}; Gwet's AC1 {fmt(a.gwet_ac1)}",
             f"{a.items} items, {a.items_multi} with two or more labels ({a.share_multi:.0%}), {len(a.annotators)} annotators, layout {a.layout}; "
             f"training label: {a.label_source}" + (f", {a.ties} ties (resolved to the first label alphabetically)" if a.ties else "")]
    if a.note:
        lines.append(a.note)
    for annotator in a.annotators:
        if annotator.flagged:
            lines.append(f"annotator {annotator.annotator} is far below the others: agrees with their majority on "
                         f"{annotator.agreement_with_others:.0%} of {annotator.items} items"
                         + (f"; alpha without them {annotator.alpha_without:.3f}" if annotator.alpha_without is not None else ""))
    if a.confused_pairs:
        lines.append("most confused labels: " + ", ".join(f"{p.labels[0]} / {p.labels[1]}" for p in a.confused_pairs[:3]))
    annotators = [[s.annotator, s.items, fmt(s.agreement_with_others), fmt(s.alpha_without),
                   "careless?" if s.flagged else ("one label only" if s.constant_label else "")] for s in a.annotators]
    disputed = [[d.item_id or "", ", ".join(map(str, d.lines[:6])), _clip(d.text), ", ".join(f"{k}: {v}" for k, v in d.labels.items())]
                for d in a.disputed]
    return lines, annotators, disputed


def duplicates_rows(report: Report) -> tuple[list[str], list[list[object]], list[list[object]], list[list[object]]]:
    d = report.checks["duplicates"]
    lines = [f"{d.duplicate_records} of {d.records} records are duplicates ({d.duplicate_share:.1%}): {d.exact_group_count} exact groups "
             f"({d.whole_record_groups} whole-record), {d.near_group_count} near groups (cosine >= {d.near_cosine:g}"
             + (f", or edit ratio >= {d.lexical_ratio:g}" if d.lexical_ratio is not None else "") + ")",
             f"{len(d.conflicts)} group(s) of duplicate inputs with different labels/targets"]
    if d.eval_records is not None:
        lines.append(f"{len(d.leakage)} of {d.eval_records} eval records leak from training")
    if d.production_overlap is not None:
        lines.append(f"{d.production_overlap} production inputs appear verbatim in training (information)")
    for c in d.conflicts[:3]:
        lines.append(f"conflict, lines {', '.join(map(str, c.lines[:6]))}: \"{_clip(c.texts[0], 70)}\" labelled {' vs '.join(_clip(x, 30) for x in c.labels[:4])}")
    for g in (d.exact_groups + d.near_groups)[:3]:
        lines.append(f"{g.kind} group, lines {', '.join(map(str, g.lines[:6]))} (keep {g.keep}): \"{_clip(g.members[0].text, 70)}\"")
    groups = [[g.kind + (f" ({'+'.join(g.methods)})" if g.methods else ""), ", ".join(map(str, g.lines[:8])), g.keep, _clip(g.members[0].text)]
              for g in d.exact_groups + d.near_groups]
    conflicts = [[", ".join(map(str, c.lines[:8])), " vs ".join(_clip(x, 40) for x in c.labels[:4]), _clip(c.texts[0])] for c in d.conflicts]
    leaks = [[f"{x.eval_file}:{x.eval_line}", f"{x.train_file}:{x.train_line}", x.kind, f"{x.similarity:.3f}", _clip(x.eval_text)] for x in d.leakage]
    return lines, groups, conflicts, leaks


def coverage_rows(report: Report) -> tuple[list[str], list[list[object]], list[list[object]]]:
    c = report.checks.get("coverage")
    if c is None:
        condition = next((x for x in report.verdict.conditions if x.id == "coverage"), None)
        return [condition.summary if condition else "coverage not measured"], [], []
    auc = "n/a" if c.domain_auc is None else f"{c.domain_auc:.2f}"
    lines = [f"{c.covered_share:.1%} of {c.production_inputs} production inputs covered ({c.rule}); "
             f"distribution shift (train vs production classifier ROC AUC, 0.5 = indistinguishable): {auc}",
             f"{len(c.scenarios)} production scenarios, {len(c.uncovered)} uncovered; embeddings: {c.embeddings.get('computed', 0)} computed, "
             f"{c.embeddings.get('from_cache', 0)} from cache ({c.model})"]
    for s in c.uncovered[:5]:
        example = s.uncovered_examples[0] if s.uncovered_examples else None
        if example:
            nearest = example.nearest_training[0] if example.nearest_training else None
            lines.append(f"uncovered '{s.label}' ({s.share:.1%} of production, {s.covered_share:.0%} covered): e.g. \"{_clip(example.text, 80)}\" "
                         f"(line {example.line})" + (f"; nearest training: \"{_clip(nearest.text, 60)}\" (cosine {nearest.similarity:.2f})" if nearest else ""))
    uncovered = [[s.label, f"{s.share:.1%}", f"{s.covered_share:.0%}", " · ".join(_clip(e, 60) for e in s.examples[:3])] for s in c.uncovered]
    unused = [[t.label, f"{t.share:.1%}", " · ".join(_clip(e, 60) for e in t.examples[:3])] for t in c.unused_training]
    return lines, uncovered, unused


def economics_lines(report: Report) -> list[str]:
    e = report.checks.get("economics")
    log = report.checks.get("prompt_log")
    lines = []
    if log is not None:
        lines.append(f"Prompt log: {log.iterations} iterations, best {log.best_score:g} ({log.best_version}); "
                     f"plateau test over the last {log.window}: {log.status.replace('_', ' ')}")
    if e is None:
        return lines
    if e.quality_gap:
        g = e.quality_gap
        advice = {"near_target": "near the target: fine-tuning may close the rest",
                  "sizeable_gap": "a sizeable gap: fine-tuning may help, but check the task definition too",
                  "far_below": "far below the target: re-examine the task definition before fine-tuning"}[g.assessment]
        lines.append(f"Quality gap: the prompted score {g.prompted_score:g} reaches {g.share_of_target:.0%} of the target {g.target_score:g} — {advice}")
    if e.cost:
        c = e.cost
        lines.append(f"Cost: prompted {c.prompted_monthly_cost:,.2f}/month vs fine-tuned {c.finetuned_monthly_cost:,.2f}/month "
                     f"at {c.monthly_calls:,.0f} calls (prompts of {c.prompted_prompt_tokens:.0f} vs {c.finetuned_prompt_tokens:.0f} tokens), "
                     f"training {c.training_cost:,.2f}. {c.message}")
    if e.latency_tokens_saved_share is not None and (e.cost or e.quality_gap):
        lines.append(f"Latency: fine-tuning removes {e.latency_tokens_saved_share:.0%} of the prompt tokens sent per call")
    if e.missing and (e.cost or e.quality_gap or log is not None):
        lines.append("For the full economics, also give: " + ", ".join(e.missing))
    return lines
