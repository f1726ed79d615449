"""Tokens as the target model counts them: per-example spread, the limit, epochs and what training bills."""

from __future__ import annotations

from typing import Collection

from ...report import Report
from .base import Section, SectionContent, Table
from .size import token_figure


def _priced(report: Report, price_date: str | None) -> str:
    """Which price the cost is at: its date, or, where none was given, that it has none and where to give one
    (a price without a date read 'at the price of an undated price')."""
    if price_date:
        return f"at the price of {price_date}"
    settings = (getattr(report, "config", None) or {}).get("tokens") or {}
    if settings.get("price_per_million") is not None:
        return "at the price tokens.price_per_million sets, with no date given (set tokens.price_date to say when it was taken)"
    return "at the models file's price for it, with no date given (set price_date in its entry to say when it was taken)"


def _build(report: Report, formats: Collection[str] | None = None) -> SectionContent | None:
    result = report.checks.get("tokens")
    if result is None:
        return None
    s = result.per_example
    limit = f"limit {result.example_limit:,}" if result.example_limit is not None else "no known limit"
    first = result.over_limit[0] if result.over_limit else None
    over = (f"{result.over_limit_count:,} over it (first: {first.file}:{first.line}, {first.tokens:,} tokens)"
            if result.over_limit_count and first else "none over it")
    cost = (f", about ${_dollars(result.estimated_cost_usd)} {_priced(report, result.price_date)}"
            if result.estimated_cost_usd is not None else " (no price known: set tokens.price_per_million)")
    lines = [f"Tokens as {result.target_model} counts them ({result.encoding}): {result.total:,} in all; per example min "
             f"{token_figure(s.min)}, median {token_figure(s.median)}, p95 {token_figure(s.p95)}, max {token_figure(s.max)}; {limit}, {over}",
             f"Training bills {result.epochs} epoch(s) x {result.billed_tokens_per_epoch:,} tokens = {result.billed_tokens:,} tokens{cost}"]
    rows = [[o.file, o.line, f"{o.tokens:,}"] for o in result.over_limit]
    return SectionContent(lines, [Table(f"Examples over the limit ({result.over_limit_count})", ["file", "line", "tokens"], rows,
                                        total=result.over_limit_count, full_list="raise tokens.max_listed to list more",
                                        collapsed=len(rows) > 20)])


SECTION = Section("tokens", "Tokens for the target model", 25, _build)


def _dollars(amount: float) -> str:
    """Cents, or two significant figures under one cent: a babbage-002 run of $0.0031 read "about $0.00"."""
    return f"{amount:,.2f}" if amount >= 0.01 or amount == 0 else f"{amount:.2g}"
