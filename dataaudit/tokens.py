"""Token counting with a real tokenizer that works offline.

tiktoken's encodings are fetched from the network on first use, which fails offline, so the default is
the WordPiece tokenizer shipped with the bundled embedding model (it loads in well under a second without
the model weights). Its counts approximate those of GPT-style BPE tokenizers; the report names it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable


@dataclass
class TokenCounter:
    name: str
    count: Callable[[list[str]], list[int]]


def _whitespace_counter() -> TokenCounter:
    return TokenCounter("whitespace words (no tokenizer could be loaded)", lambda texts: [len(t.split()) for t in texts])


def load_token_counter(model_path: str | None = None) -> TokenCounter:
    from .embeddings import bundled_model_path

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    path = model_path or bundled_model_path()
    if path is None:
        return _whitespace_counter()
    try:
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(str(path))
    except Exception:  # any failure to load a tokenizer offline: fall back, and the report says so
        return _whitespace_counter()
    # The model's own length limit is irrelevant for counting; silence the long-sequence warning.
    tokenizer.model_max_length = 10**9

    def count(texts: list[str]) -> list[int]:
        if not texts:
            return []
        encoded = tokenizer(texts, add_special_tokens=False, return_attention_mask=False, return_token_type_ids=False)
        return [len(ids) for ids in encoded["input_ids"]]

    label = "all-MiniLM-L6-v2 WordPiece" if model_path is None else f"tokenizer of {model_path}"
    return TokenCounter(label, count)
