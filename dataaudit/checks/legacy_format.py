"""Adapter: the format measurement in the Check shape until format.py takes its own CHECK."""

from __future__ import annotations

from .base import AuditContext, Check
from .format import measure_format
from .legacy_conditions import format_condition

CHECK = Check(id="format", order=10, measure=lambda ctx: measure_format(ctx.train.dataset),
              judge=lambda result, ctx: [format_condition(result, ctx.config)])
