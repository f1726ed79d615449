"""The sufficient conditions (economics, prompt log): reported beside the verdict, never blocking it."""

from __future__ import annotations

from typing import Collection

from ...report import Report
from .base import Section, SectionContent

ADVICE = {"near_target": "near the target: fine-tuning may close the rest",
          "sizeable_gap": "a sizeable gap: fine-tuning may help, but check the task definition too",
          "far_below": "far below the target: re-examine the task definition before fine-tuning"}


def _build(report: Report, formats: Collection[str] | None = None) -> SectionContent | None:
    economics = report.checks.get("economics")
    log = report.checks.get("prompt_log")
    lines = []
    if log is not None:
        lines.append(f"Prompt log: {log.iterations} iterations, best {log.best_score:g} ({log.best_version}); "
                     f"plateau test over the last {log.window}: {log.status.replace('_', ' ')}")
    if economics is not None:
        if economics.quality_gap:
            g = economics.quality_gap
            lines.append(f"Quality gap: the prompted score {g.prompted_score:g} reaches {g.share_of_target:.0%} of the target "
                         f"{g.target_score:g} — {ADVICE[g.assessment]}")
        if economics.cost:
            c = economics.cost
            lines.append(f"Cost: prompted {c.prompted_monthly_cost:,.2f}/month vs fine-tuned {c.finetuned_monthly_cost:,.2f}/month "
                         f"at {c.monthly_calls:,.0f} calls (prompts of {c.prompted_prompt_tokens:.0f} vs {c.finetuned_prompt_tokens:.0f} tokens), "
                         f"training {c.training_cost:,.2f}. {c.message}")
        if economics.latency_tokens_saved_share is not None and (economics.cost or economics.quality_gap):
            lines.append(f"Latency: fine-tuning removes {economics.latency_tokens_saved_share:.0%} of the prompt tokens sent per call")
        if economics.missing and (economics.cost or economics.quality_gap or log is not None):
            lines.append("For the full economics, also give: " + ", ".join(economics.missing))
    return SectionContent(lines) if lines else None


SECTION = Section("sufficient", "Sufficient conditions (reported, not blocking)", 5, _build)
