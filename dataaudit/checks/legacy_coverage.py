"""Adapter: the coverage measurement in the Check shape until coverage.py takes its own CHECK."""

from __future__ import annotations

from .base import NEED_MISSING, AuditContext, Check, Need
from .coverage import measure_coverage
from .legacy_conditions import coverage_condition


def _measure(ctx: AuditContext):
    if not ctx.production.records:
        return None
    return measure_coverage(ctx.train.records, ctx.train.keys, ctx.train.vectors, ctx.production.records, ctx.production.keys,
                            ctx.production.vectors, ctx.config.coverage, model=ctx.embedding_model,
                            embeddings=dict(ctx.embedding_stats))


def _judge(result, ctx: AuditContext):
    if result is None and ctx.production is not None and ctx.train.embedded:
        reason = "the production sample holds no valid inputs"
    elif result is None and ctx.production is not None:
        reason = "embeddings were switched off, so coverage cannot be judged"
    else:
        reason = ""
    return [coverage_condition(result, ctx.config, reason)]


CHECK = Check(id="coverage", order=60, measure=_measure, judge=_judge, needs=frozenset({Need.PRODUCTION, Need.EMBEDDINGS}))
