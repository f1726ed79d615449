"""Text normalisation for exact-duplicate keys and embedding (each distinct normalised text once)."""

from __future__ import annotations

import re
import unicodedata

from .config import DuplicatesConfig

_SPACE = re.compile(r"\s+")


def normalize_text(text: str, config: DuplicatesConfig) -> str:
    if config.normalize_nfkc:
        text = unicodedata.normalize("NFKC", text)
    if config.normalize_casefold:
        text = text.casefold()
    if config.normalize_whitespace:
        text = _SPACE.sub(" ", text).strip()
    return text
