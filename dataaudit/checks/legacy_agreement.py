"""Adapter: the agreement measurement in the Check shape until agreement.py takes its own CHECK."""

from __future__ import annotations

from ..errors import ConfigError
from .agreement import measure_agreement
from .base import AuditContext, Check
from .legacy_conditions import consistency_condition


def _measure(ctx: AuditContext):
    try:
        return measure_agreement(ctx.train.dataset, ctx.config.agreement)
    except ValueError as exc:  # labels that do not fit the configured level of measurement
        raise ConfigError(f"agreement: {exc}") from exc


CHECK = Check(id="agreement", order=40, measure=_measure, judge=lambda result, ctx: [consistency_condition(result, ctx.config)])
