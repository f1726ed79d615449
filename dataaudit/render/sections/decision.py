"""The sufficient conditions (economics, prompt log): reported beside the verdict, never blocking it."""

from __future__ import annotations

from ...report import Report
from .base import Section, SectionContent

ADVICE = {"near_target": "near the target: fine-tuning may close the rest",
          "sizeable_gap": "a sizeable gap: fine-tuning may help, but check the task definition too",
          "far_below": "far below the target: re-examine the task definition before fine-tuning"}


def cost_sentence(cost) -> str:
    """The cost model in one sentence (also report.json's `checks.economics.cost.message`)."""
    calls, band = cost.monthly_calls, cost.volume_band
    if band == "never_pays":
        return "Fine-tuning never pays off: a call to the fine-tuned model costs as much as or more than a prompted call."
    if band == "low_volume":
        # Low volume is a band, not a result: the sentence says what the cost model computed for these calls.
        if cost.break_even_month is None:
            return f"At {calls:,.0f} calls/month prompting is cheaper: training never pays back at this volume."
        if cost.payoff_volume is not None and calls >= cost.payoff_volume:
            return (f"At {calls:,.0f} calls/month, a low volume, fine-tuning still saves {cost.monthly_saving:,.2f} a month and "
                    f"breaks even in month {cost.break_even_month}.")
        return (f"At {calls:,.0f} calls/month prompting is cheaper over {cost.payback_months} months: training pays back only "
                f"in month {cost.break_even_month} (within {cost.payback_months} months above {cost.payoff_volume:,.0f} calls/month).")
    if band == "high_volume":
        return (f"At {calls:,.0f} calls/month fine-tuning saves {cost.monthly_saving:,.2f} a month and breaks even in month "
                f"{cost.break_even_month}; it pays back within {cost.payback_months} months above {cost.payoff_volume:,.0f} calls/month.")
    return (f"Fine-tuning breaks even in month {cost.break_even_month}; it pays back within {cost.payback_months} months "
            f"above {cost.payoff_volume:,.0f} calls/month.")


def _build(report: Report) -> SectionContent | None:
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
                         f"training {c.training_cost:,.2f}. {cost_sentence(c)}")
        if economics.latency_tokens_saved_share is not None and (economics.cost or economics.quality_gap):
            lines.append(f"Latency: fine-tuning removes {economics.latency_tokens_saved_share:.0%} of the prompt tokens sent per call")
        if economics.missing and (economics.cost or economics.quality_gap or log is not None):
            lines.append("For the full economics, also give: " + ", ".join(economics.missing))
    return SectionContent(lines) if lines else None


SECTION = Section("sufficient", "Sufficient conditions (reported, not blocking)", 5, _build)
