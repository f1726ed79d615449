"""The sufficient conditions: quality gap, cost crossover and latency of fine-tuning versus prompting.

Token counts come from the audited data itself: a prompted approach carries instructions and a few
worked examples in every call; a fine-tuned model needs only a short instruction and the input.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from ..config import DEFAULT_TRAINING_EPOCHS, EconomicsConfig
from .base import AuditContext, Check

LOW_VOLUME = 100_000  # calls/month under which prompting is almost always cheaper
HIGH_VOLUME = 1_000_000


@dataclass(frozen=True)
class QualityGap:
    prompted_score: float
    target_score: float
    share_of_target: float
    assessment: str  # near_target | sizeable_gap | far_below


@dataclass(frozen=True)
class CostModel:
    monthly_calls: float
    prompted_prompt_tokens: float
    finetuned_prompt_tokens: float
    output_tokens: float
    prompted_monthly_cost: float
    finetuned_monthly_cost: float
    monthly_saving: float
    training_cost: float
    break_even_month: int | None  # first month by whose end cumulative savings cover training; None if never
    payoff_volume: float | None  # calls/month at which training pays back within payback_months
    payback_months: int
    volume_band: str  # never_pays | low_volume | middle | high_volume
    message: str = ""  # what the model computed for these calls, in one sentence (report.json's cost.message)


@dataclass(frozen=True)
class EconomicsResult:
    quality_gap: QualityGap | None
    cost: CostModel | None
    latency_tokens_saved_share: float | None  # share of the prompted prompt no longer sent per call
    missing: list[str]  # inputs that would complete the picture


def quality_gap(prompted: float, target: float, config: EconomicsConfig, higher_is_better: bool = True) -> QualityGap:
    """How close prompting comes to the target, as a share of it: prompted / target for a score, target /
    prompted for a loss (the prompt log's higher_is_better), so 1 or more means the target is reached either way."""
    if higher_is_better:
        share = prompted / target if target else 0.0
    else:
        share = target / prompted if prompted > 0 else 1.0
    if share >= config.near_target_share:
        assessment = "near_target"
    elif share < config.far_target_share:
        assessment = "far_below"
    else:
        assessment = "sizeable_gap"
    return QualityGap(prompted, target, round(share, 4), assessment)


def prompt_tokens(mean_input: float, mean_output: float, config: EconomicsConfig) -> tuple[float, float]:
    """Tokens per call of the prompted and the fine-tuned approach."""
    prompted = config.instruction_tokens + config.few_shot_examples * (mean_input + mean_output) + mean_input
    finetuned = config.finetuned_instruction_tokens + mean_input
    return prompted, finetuned


def cost_model(mean_input: float, mean_output: float, training_tokens: float, config: EconomicsConfig) -> CostModel:
    prompted_tokens, finetuned_tokens = prompt_tokens(mean_input, mean_output, config)
    calls = float(config.monthly_calls)
    per_call_prompted = (prompted_tokens * config.prompted_input_price_per_1k + mean_output * config.prompted_output_price_per_1k) / 1000
    per_call_finetuned = (finetuned_tokens * config.finetuned_input_price_per_1k + mean_output * config.finetuned_output_price_per_1k) / 1000
    if config.training_cost is not None:
        training = float(config.training_cost)
    else:
        epochs = DEFAULT_TRAINING_EPOCHS if config.epochs is None else config.epochs
        training = training_tokens * epochs * float(config.training_price_per_1k or 0) / 1000
    saving_per_call = per_call_prompted - per_call_finetuned
    monthly_saving = calls * saving_per_call
    break_even = math.ceil(training / monthly_saving) if monthly_saving > 0 else None
    if break_even == 0:
        break_even = 1
    payoff = training / (config.payback_months * saving_per_call) if saving_per_call > 0 else None
    if saving_per_call <= 0:
        band = "never_pays"
    elif calls < LOW_VOLUME:
        band = "low_volume"
    elif calls > HIGH_VOLUME:
        band = "high_volume"
    else:
        band = "middle"
    cost = CostModel(calls, round(prompted_tokens, 2), round(finetuned_tokens, 2), round(mean_output, 2),
                     round(calls * per_call_prompted, 4), round(calls * per_call_finetuned, 4), round(monthly_saving, 4),
                     round(training, 4), break_even, None if payoff is None else round(payoff, 2), config.payback_months, band)
    return dataclasses.replace(cost, message=cost_message(cost))


def cost_message(cost: CostModel) -> str:
    """The cost model's outcome in one sentence: which approach is cheaper at these calls, and from what volume
    training pays back. Written from the rounded figures the report shows."""
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


COST_KEYS = ("monthly_calls", "prompted_input_price_per_1k", "prompted_output_price_per_1k",
             "finetuned_input_price_per_1k", "finetuned_output_price_per_1k")


def measure_economics(config: EconomicsConfig, *, mean_input: float, mean_output: float, training_tokens: float,
                      prompted_score: float | None, higher_is_better: bool = True) -> EconomicsResult:
    missing = []
    gap = None
    prompted = config.prompted_score if config.prompted_score is not None else prompted_score
    if prompted is not None and config.target_score:
        gap = quality_gap(prompted, config.target_score, config, higher_is_better)
    else:
        missing.append("economics.target_score" if prompted is not None else "economics.prompted_score (or a prompt log) and economics.target_score")
    cost = None
    absent = [k for k in COST_KEYS if getattr(config, k) is None]
    if config.training_cost is None and config.training_price_per_1k is None:
        absent.append("training_cost (or training_price_per_1k)")
    if absent:
        missing.extend(f"economics.{k}" for k in absent)
    else:
        cost = cost_model(mean_input, mean_output, training_tokens, config)
    prompted_tokens, finetuned_tokens = prompt_tokens(mean_input, mean_output, config)
    latency = round((prompted_tokens - finetuned_tokens) / prompted_tokens, 4) if prompted_tokens else None
    return EconomicsResult(gap, cost, latency, missing)


def _measure(ctx: AuditContext) -> EconomicsResult:
    # Sufficient conditions: reported beside the verdict, never blocking it. Token figures come from the
    # target model's own count when the tokens check ran, else from the size check's WordPiece count.
    log = ctx.results.get("prompt_log")
    prompted = log.best_score if log else None
    direction = ctx.config.prompt_log.higher_is_better  # the prompt log's score: a score, or a loss
    config = ctx.config.economics
    tokens = ctx.results.get("tokens")
    if tokens is not None:
        # The tokens check resolved the epochs once for the report (tokens.epochs, else economics.epochs, else the
        # trainer's default): billing others here gave one report two training costs.
        config = dataclasses.replace(config, epochs=tokens.epochs)
        if config.training_cost is None and config.training_price_per_1k is None and tokens.estimated_cost_usd is not None:
            config = dataclasses.replace(config, training_cost=tokens.estimated_cost_usd)
        return measure_economics(config, mean_input=tokens.mean_prompt_tokens, mean_output=tokens.mean_completion_tokens,
                                 training_tokens=tokens.billed_tokens_per_epoch, prompted_score=prompted, higher_is_better=direction)
    # Without a target model the tokens check does not run: the epochs are still the one figure either key sets
    # (tokens.epochs, else economics.epochs, else DEFAULT_TRAINING_EPOCHS in measure_economics).
    tokens_epochs = getattr(ctx.config.section("tokens"), "epochs", None)
    if config.epochs is None and tokens_epochs is not None:
        config = dataclasses.replace(config, epochs=tokens_epochs)
    size = ctx.results.get("size")
    mean_input = size.input_tokens.mean if size and size.input_tokens else 0.0
    mean_output = size.target_tokens.mean if size and size.target_tokens else 1.0
    training_tokens = ((size.input_tokens.total if size and size.input_tokens else 0)
                       + (size.target_tokens.total if size and size.target_tokens else 0))
    return measure_economics(config, mean_input=mean_input, mean_output=mean_output,
                             training_tokens=training_tokens, prompted_score=prompted, higher_is_better=direction)


CHECK = Check(id="economics", order=90, measure=_measure)
