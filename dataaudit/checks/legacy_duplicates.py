"""Adapter: the duplicates measurement in the Check shape until duplicates.py takes its own CHECK."""

from __future__ import annotations

from .base import AuditContext, Check
from .duplicates import measure_duplicates
from .legacy_conditions import hygiene_condition


def _measure(ctx: AuditContext):
    train, ev, prod = ctx.train, ctx.eval, ctx.production
    train_vectors = train.vectors if train.embedded else None
    return measure_duplicates(
        train.dataset, train.keys, train_vectors, ctx.config.duplicates,
        eval_set=(ev.dataset, ev.keys, ev.vectors) if ev is not None else None,
        production=(prod.dataset, prod.keys) if prod is not None else None)


CHECK = Check(id="duplicates", order=50, measure=_measure, judge=lambda result, ctx: [hygiene_condition(result, ctx.config)])
