"""Production coverage: the covered share, uncovered scenarios named with examples, unused training."""

from __future__ import annotations

from typing import Collection

from ...report import Report
from ..figures import report_figure
from .base import Figure, Section, SectionContent, Table, text

UNCOVERED_SHOWN = 5  # named with an example in the summary lines; the table lists every one


def _embedded(report: Report) -> list[str]:
    """What the audit embedded and how much of it the cache gave, where coverage (whose line says it) was not
    measured: without --production only report.json said it."""
    e = report.checks.get("embeddings")
    return [] if e is None else [f"embeddings: {e.computed} computed, {e.from_cache} from cache ({e.model})"]


def _aggregate(report: Report, c) -> str:
    """The estimate before that cap, where the cap lowered it (the summary says so too)."""
    aggregate = getattr(c, "aggregate_covered_share", None)
    if aggregate is None or c.covered_share is None or aggregate <= c.covered_share:  # both to 4 places, as the judge
        return ""
    return f" (the sample-wide estimate read {report_figure(report, 'covered_share', aggregate)})"


def _build(report: Report, formats: Collection[str] | None = None) -> SectionContent | None:
    c = report.checks.get("coverage")
    if c is None:
        condition = next((x for x in report.verdict.conditions if x.id == "coverage"), None)
        return SectionContent([condition.summary if condition else "coverage not measured", *_embedded(report)])
    if c.covered_share is None:  # too small a sample to estimate: the result says why
        return SectionContent([f"coverage not estimated: {getattr(c, 'not_measured', '') or 'too few inputs'}", *_embedded(report)])
    auc = "n/a" if c.domain_auc is None else f"{c.domain_auc:.2f}"
    # From the unrounded share, as the condition judges and writes it: the 4-place one rounds a second time.
    covered = c.covered_share_unrounded if getattr(c, "covered_share_unrounded", None) is not None else c.covered_share
    lines = [f"{report_figure(report, 'covered_share', covered)} of {c.production_inputs} production inputs covered ({c.rule}); "
             f"distribution shift (train vs production classifier ROC AUC, 0.5 = indistinguishable): {auc}",
             f"{len(c.scenarios)} production scenarios, {len(c.uncovered)} uncovered; embeddings: {c.embeddings.get('computed', 0)} computed, "
             f"{c.embeddings.get('from_cache', 0)} from cache ({c.model})"]
    if getattr(c, "covered_lines", None) is not None:
        lines.append(f"the per-line verdicts mark {c.covered_lines} of {c.production_inputs} non-empty lines covered (each line's "
                     f"P(covered) >= 0.5); the covered share is estimated for the sample as a whole, and is at most "
                     f"the share these lines leave covered" + _aggregate(report, c))
    for s in c.uncovered[:UNCOVERED_SHOWN]:
        example = s.uncovered_examples[0] if s.uncovered_examples else None
        if example:
            nearest = example.nearest_training[0] if example.nearest_training else None
            lines.append(f"uncovered '{text(s.label, 60)}' ({s.share:.1%} of production, mean P(covered) {s.covered_share:.0%}): "
                         f"e.g. \"{text(example.text, 80)}\" (line {example.line})"
                         + (f"; nearest training: \"{text(nearest.text, 60)}\" (cosine {nearest.similarity:.2f})" if nearest else ""))
    if len(c.uncovered) > UNCOVERED_SHOWN:
        # This section cannot know which report files the run writes, so it names none.
        lines.append(f"... and {len(c.uncovered) - UNCOVERED_SHOWN} more uncovered scenario(s)")
    uncovered = [[text(s.label, 60), f"{s.share:.1%}", s.size, " · ".join(text(e, 60) for e in s.examples[:3]),
                  " · ".join(f"{text(e.text, 60)} → nearest training: {text(e.nearest_training[0].text, 60)} "
                             f"({e.nearest_training[0].similarity:.2f})" for e in s.uncovered_examples[:2] if e.nearest_training)]
                 for s in c.uncovered]
    # A scenario holds inputs of one verdict (covered inputs and uncovered ones are clustered apart), so the
    # verdict is the scenario's; its inputs' mean probability of being covered is bounded by the estimated
    # covered share, and read as "76% covered" it made a wholly covered scenario look a quarter uncovered.
    scenarios = [[text(s.label, 60), f"{s.share:.1%}", "uncovered" if s.uncovered else "covered", f"{s.covered_share:.0%}",
                  " · ".join(text(e, 60) for e in s.examples[:3])] for s in c.scenarios]
    unused = [[text(t.label, 60), f"{t.share:.1%}", " · ".join(text(e, 60) for e in t.examples[:3])] for t in c.unused_training]
    return SectionContent(lines, [
        Table("Uncovered scenarios", ["scenario", "share of production", "inputs", "examples", "nearest training"], uncovered, collapsed=False),
        Table(f"All production scenarios ({len(c.scenarios)})", ["scenario", "share", "verdict", "mean P(covered)", "examples"], scenarios),
        Table(f"Training clusters no production input comes near ({len(unused)})", ["cluster", "share of training", "examples"], unused),
    ])


def _figures(report: Report) -> list[Figure]:
    from .. import plots

    c = report.checks.get("coverage")
    points = getattr(c, "map_points", None) if c is not None else None
    if not points:
        return []
    labels = [(text(s.label, 40), s.centroid_2d) for s in c.uncovered if getattr(s, "centroid_2d", None)]
    return [Figure(plots.coverage_map(points["train"], points["production"], points["production_uncovered"], labels),
                   "Uncovered production inputs are red crosses; labels name the largest uncovered scenarios")]


SECTION = Section("coverage", "Production coverage", 60, _build, _figures)
