"""What the audit embedded: the model, and how many distinct texts were computed or read from the cache."""

from __future__ import annotations

from dataclasses import dataclass

from ..vocabulary import Unreadable, summarize
from .base import AuditContext, Check, Need


@dataclass(frozen=True)
class EmbeddingSummary:
    model: str
    computed: int
    from_cache: int
    unreadable: Unreadable | None = None  # inputs the model reads mostly as its unknown token (vocabulary.py)


def _measure(ctx: AuditContext) -> EmbeddingSummary:
    return EmbeddingSummary(ctx.embedding_model, int(ctx.embedding_stats.get("computed", 0)),
                            int(ctx.embedding_stats.get("from_cache", 0)),
                            summarize(ctx.train, ctx.production, ctx.eval, ctx.config.embeddings.model))


CHECK = Check(id="embeddings", order=5, measure=_measure, needs=frozenset({Need.EMBEDDINGS}), reusable=False)
