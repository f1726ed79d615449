"""Tokens as the target model counts them: which examples exceed its per-example training limit (the trainer
cuts them), how many tokens one epoch bills, how many epochs the trainer picks by default, and the cost.

OpenAI models are counted in their own encoding with the OpenAI cookbook's rule for chat messages
(`num_tokens_from_messages`: 3 tokens per message, 1 more for a `name`, 3 priming the reply) plus what that
rule leaves out but a trainer sees: tool-call names and arguments, content given as a list of parts, and
`tools` / `functions` definitions (counted with the cookbook's `num_tokens_for_tools` rule). Open models are
counted with their own Hugging Face tokenizer, through their chat template when they have one.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from ..errors import ConfigError
from ..excerpt import plain_excerpt
from ..load.readers import object_arguments, offered_tools, openai_shape_errors, tool_definitions, without_tools_turn
from ..load.records import Record
from ..tokens import HFTokenizer, OpenAIEncoding
from .base import AuditContext, Check, Finding, Need, Status
from .token_models import TargetModel, base_model_name, find_model, unknown_model_error

# OpenAI cookbook, How_to_count_tokens_with_tiktoken: num_tokens_from_messages (gpt-3.5-turbo-0125 onwards,
# gpt-4, gpt-4o, gpt-4o-mini); its published check against the API: 129 tokens (cl100k) / 124 (o200k).
TOKENS_PER_MESSAGE = 3
TOKENS_PER_NAME = 1
REPLY_PRIMING = 3  # every reply is primed with <|start|>assistant<|message|>

# OpenAI's default epochs (cookbook Chat_finetuning_data_prep): 3, raised or lowered so that epochs x examples
# stays within 100..25,000, clamped to 1..25.
TARGET_EPOCHS = 3
MIN_TARGET_EXAMPLES = 100
MAX_TARGET_EXAMPLES = 25_000
MIN_DEFAULT_EPOCHS = 1
MAX_DEFAULT_EPOCHS = 25

MAX_LINES_NAMED = 5  # over-limit lines named in the finding's summary
REFUSAL_CHARS = 160  # of a chat template's refusal message, as a result keeps it


@dataclass(frozen=True)
class ToolCosts:
    """Constants of the cookbook's num_tokens_for_tools (checked there against the API: 101 / 105 tokens)."""

    func_init: int
    prop_init: int = 3
    prop_key: int = 3
    enum_init: int = -3
    enum_item: int = 3
    func_end: int = 12


# gpt-4o / gpt-4o-mini use 7 per function, gpt-3.5-turbo / gpt-4 use 10; the gpt-4.1 family shares the
# o200k_base encoding and is given gpt-4o's constants (the cookbook gives none for it).
TOOL_COSTS = {"o200k_base": ToolCosts(func_init=7), "cl100k_base": ToolCosts(func_init=10)}


@dataclass
class TokensConfig:
    target_model: str = ""  # "" = not set: the tokens check does not run
    tokenizer: str = ""  # a Hugging Face tokenizer folder or tokenizer.json (open models)
    example_limit: int | None = None  # overrides the model table's per-example training limit
    price_per_million: float | None = None  # overrides the table's training price, USD per 1M tokens
    price_date: str = ""  # when that price was taken
    epochs: int | None = None  # epochs the job will run; unset = economics.epochs, else the trainer's default for the size
    models_file: str = ""  # more models, same layout as dataaudit/templates/token_models.toml
    max_listed: int = 100  # over-limit examples listed in the report (the count is always complete)


@dataclass(frozen=True)
class TokenSpread:
    min: int
    median: float
    p95: float
    max: int


@dataclass(frozen=True)
class OverLimit:
    file: str
    line: int
    tokens: int


@dataclass(frozen=True)
class NotRenderable:
    file: str
    line: int
    reason: str  # the chat template's own message (its raise_exception), excerpted


@dataclass(frozen=True)
class ObjectArguments:
    file: str
    line: int
    field: str  # the first call of the line whose arguments are an object (`messages[1].tool_calls[0].function.arguments`)


@dataclass(frozen=True)
class RefusedField:
    file: str
    line: int
    field: str  # the first place in the line OpenAI's upload refuses (`messages[0].name`, `messages[1].tool_calls[0].id`)


@dataclass(frozen=True)
class TokensResult:
    target_model: str
    encoding: str  # the OpenAI encoding, or the tokenizer that counted
    example_limit: int | None
    total: int  # tokens of every example, uncut (a preference pair's two sequences both)
    per_example: TokenSpread  # of each example's longest sequence (a pair's longer one): what the limit is held to
    over_limit: list[OverLimit]  # the first `max_listed`
    over_limit_count: int  # all of them
    epochs: int
    billed_tokens_per_epoch: int  # each example counted up to the limit
    billed_tokens: int
    estimated_cost_usd: float | None  # None without a price
    price_date: str | None
    # For the economics section: what one call sends (prompt) and gets back (completion), in this encoding
    mean_prompt_tokens: float
    mean_completion_tokens: float
    # Preference pairs counted as two sequences (prompt + chosen, prompt + rejected), both in total and billing
    pair_sequences: int = 0
    limit_set_in_config: bool = False  # [tokens] example_limit, not the model table, gave example_limit
    records: int = 0
    # Records in a format OpenAI's fine-tuning does not take for this chat model, per format (empty for an open model)
    formats_not_accepted: dict[str, int] = field(default_factory=dict)
    # Conversations the open model's chat template refuses (the first `max_listed`, and all of them counted): its
    # trainer cannot tokenise them. Their tokens above are their message texts alone, as without a template.
    not_renderable: list[NotRenderable] = field(default_factory=list)
    not_renderable_count: int = 0
    # Chat and OpenAI DPO lines whose tool-call arguments are an object, not a string holding JSON (the first
    # `max_listed`, and all of them counted): read and measured as every record, but OpenAI's upload refuses them.
    object_arguments: list[ObjectArguments] = field(default_factory=list)
    object_arguments_count: int = 0
    # Chat and OpenAI DPO lines with a message `name` OpenAI does not take (not 1 to 64 letters, digits, '_' or '-':
    # "José", "bob.smith", "") and lines with a tool call without an `id`, as Hugging Face and TRL write them: records
    # for any model, refused by OpenAI's upload (the first `max_listed` of each, and all of them counted).
    names_not_accepted: list[RefusedField] = field(default_factory=list)
    names_not_accepted_count: int = 0
    calls_without_id: list[RefusedField] = field(default_factory=list)
    calls_without_id_count: int = 0
    # Chat lines whose `tools` / `functions` are a string holding the JSON list, as Hugging Face datasets store them:
    # read, keyed and counted as the list, but OpenAI's upload takes a list only (the first `max_listed`, all counted).
    tools_as_strings: list[RefusedField] = field(default_factory=list)
    tools_as_strings_count: int = 0


def default_epochs(n_examples: int) -> int:
    """The epochs OpenAI's trainer picks when none are given, for a training file of n examples."""
    if n_examples < 1:
        raise ValueError("a training file needs at least one example")
    if n_examples * TARGET_EPOCHS < MIN_TARGET_EXAMPLES:
        return min(MAX_DEFAULT_EPOCHS, MIN_TARGET_EXAMPLES // n_examples)
    if n_examples * TARGET_EPOCHS > MAX_TARGET_EXAMPLES:
        return max(MIN_DEFAULT_EPOCHS, MAX_TARGET_EXAMPLES // n_examples)
    return TARGET_EPOCHS


def _json_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False)


def _part_texts(parts: list) -> Iterable[str]:
    """Text of content given as a list of parts; images and audio are billed another way and not counted."""
    for part in parts:
        if isinstance(part, Mapping) and isinstance(part.get("text"), str):
            yield part["text"]
        elif isinstance(part, str):
            yield part


def _call_texts(message: Mapping) -> Iterable[str]:
    """Function name and arguments of each tool call (and of a legacy function_call) in a message."""
    calls = message.get("tool_calls")
    for call in calls if isinstance(calls, list) else ():
        function = call.get("function") if isinstance(call, Mapping) else None
        if isinstance(function, Mapping):
            yield _json_text(function.get("name"))
            yield _json_text(function.get("arguments"))
    legacy = message.get("function_call")
    if isinstance(legacy, Mapping):
        yield _json_text(legacy.get("name"))
        yield _json_text(legacy.get("arguments"))


def _template_tools(obj: Mapping) -> list | None:
    """The definitions a trainer hands an open model's chat template: the row's own, in its order and spelling (a
    JSON string as a dataset loader parses it back; the legacy `functions` as tools); None where it offers none."""
    tools, functions = (_parsed(obj.get(key)) for key in ("tools", "functions"))
    if isinstance(tools, list) and tools:
        return tools
    return [{"type": "function", "function": f} for f in functions] if isinstance(functions, list) and functions else None


def _parsed(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except (ValueError, RecursionError):  # a blank string offers none; a malformed one made the line a record error
        return None


def _string_tools(obj: Mapping) -> str | None:
    """The field of a chat line whose tool definitions are a string holding JSON (as Hugging Face datasets store
    them), which the reader takes but OpenAI's upload does not: it expects a list."""
    return next((key for key in ("tools", "functions") if isinstance(obj.get(key), str)), None)


class OpenAIExampleCounter:
    """Tokens of whole training examples in one of OpenAI's encodings."""

    # Roles, names, system prompts, class labels and tool definitions repeat across a file: each short text is
    # counted once (a dictionary lookup costs a small part of a count), up to this many distinct texts.
    MAX_REMEMBERED = 500_000
    REMEMBERED_LENGTH = 200

    def __init__(self, encoding: str):
        self.encoding = OpenAIEncoding(encoding)
        self.label = encoding
        self.tool_costs = TOOL_COSTS[encoding]
        self._remembered: dict[str, int] = {}
        self._tool_sets: dict[str, int] = {}  # a tool set (load.readers.tools_text) -> its tokens

    def _count(self, text: str) -> int:
        n = self._remembered.get(text)
        if n is None:
            n = self.encoding.count(text)
            if len(text) <= self.REMEMBERED_LENGTH and len(self._remembered) < self.MAX_REMEMBERED:
                self._remembered[text] = n
        return n

    def message_tokens(self, message: Mapping) -> tuple[int, int]:
        """(tokens of the message, tokens of what it says: content and tool calls, without framing and role)."""
        count = self._count
        framing = TOKENS_PER_MESSAGE
        said = 0
        for key, value in message.items():
            if value.__class__ is str:
                if key == "role":
                    framing += count(value)
                elif key == "name":
                    framing += count(value) + TOKENS_PER_NAME
                else:  # content, and any other string field: the cookbook counts every string value
                    said += count(value)
            elif key == "content" and isinstance(value, list):
                said += sum(count(text) for text in _part_texts(value))
        if "tool_calls" in message or "function_call" in message:
            said += sum(count(text) for text in _call_texts(message))
        return framing + said, said

    def tool_tokens(self, tools: str) -> int:
        """The cookbook's num_tokens_for_tools, for the definitions alone, of a tool set as load.readers.tools_text
        writes it (Record.tools): a chat line's `tools` given as a JSON string is counted as its list is, and a TRL or
        ShareGPT row's as a chat line's (its source line is not kept)."""
        if not tools:
            return 0
        cached = self._tool_sets.get(tools)
        if cached is not None:
            return cached
        c = self.tool_costs
        count = self._count
        n = 0
        for tool in tool_definitions(tools):
            function = tool.get("function", tool) if isinstance(tool, Mapping) else {}
            function = function if isinstance(function, Mapping) else {}
            n += c.func_init
            description = str(function.get("description") or "").removesuffix(".")
            n += count(f"{function.get('name', '')}:{description}")
            parameters = function.get("parameters")
            properties = parameters.get("properties") if isinstance(parameters, Mapping) else None
            if isinstance(properties, Mapping) and properties:
                n += c.prop_init
                for name, spec in properties.items():
                    spec = spec if isinstance(spec, Mapping) else {}
                    n += c.prop_key
                    enum = spec.get("enum")
                    if isinstance(enum, list):
                        n += c.enum_init
                        for item in enum:
                            n += c.enum_item + count(str(item))
                    p_description = str(spec.get("description") or "").removesuffix(".")
                    n += count(f"{name}:{spec.get('type', '')}:{p_description}")
        n += c.func_end
        if len(self._tool_sets) < self.MAX_REMEMBERED:
            self._tool_sets[tools] = n
        return n

    def chat_tokens(self, obj: Mapping, tools: str | None = None) -> tuple[int, int, int]:
        """(tokens of a chat example; of the call that asks for its final assistant turn: everything before that
        turn, tools and priming; of what that turn says: content and tool calls). tools: the line's tool set as
        its record holds it (Record.tools, "" for none); None: read from the line."""
        total = REPLY_PRIMING
        last_turn = said_last = 0
        for message in obj.get("messages") or ():
            if message.__class__ is not dict and not isinstance(message, Mapping):
                continue
            n, said = self.message_tokens(message)
            total += n
            if message.get("role") == "assistant":
                last_turn, said_last = n, said
        total += self.tool_tokens(offered_tools(obj) if tools is None else tools)
        return total, total - last_turn, said_last

    def output_tokens(self, messages: Any) -> tuple[int, int]:
        """(tokens, said tokens) of an OpenAI DPO output: its messages, each framed as a chat's are."""
        total = said = 0
        for message in messages if isinstance(messages, list) else ():
            if isinstance(message, Mapping):
                n, s = self.message_tokens(message)
                total, said = total + n, said + (s if message.get("role") == "assistant" else 0)
        return total, said

    def openai_preference_tokens(self, obj: Mapping, tools: str | None = None) -> tuple[int, int, int, int]:
        """(prompt + preferred, prompt, what the preferred reply says, prompt + non-preferred) of an OpenAI DPO
        line. Its `input` is counted as a chat's turns before the reply are (messages, tools, reply priming).
        tools: as chat_tokens'."""
        given = obj.get("input") if isinstance(obj.get("input"), Mapping) else {}
        prompt = REPLY_PRIMING + self.tool_tokens(offered_tools(obj) if tools is None else tools)
        for message in given.get("messages") or ():
            if isinstance(message, Mapping):
                prompt += self.message_tokens(message)[0]
        chosen, said = self.output_tokens(obj.get("preferred_output"))
        rejected, _ = self.output_tokens(obj.get("non_preferred_output"))
        return prompt + chosen, prompt, said, prompt + rejected

    def count_records(self, records: Sequence[Record]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str]]:
        """Per record: (tokens of its sequence, prompt tokens, completion tokens, tokens of its second sequence),
        and why a record could not be rendered ("" for each here: an OpenAI encoding renders every record).

        A preference pair is two sequences to a DPO trainer, prompt + chosen and prompt + rejected: it runs the
        model (and the reference model) over both, and each is held to the context length, so the first is
        prompt + chosen and the second prompt + rejected. OpenAI's DPO guide
        (https://developers.openai.com/api/docs/guides/direct-preference-optimization) gives a line as `input`
        plus `preferred_output` and `non_preferred_output`; both outputs are trained on, so both sequences are
        billed. Every other record has one sequence, and 0 for the second.
        Texts the loader cut to MAX_TEXT_CHARS are counted whole (`Record.full_texts`); each part is counted on
        its own and the parts added, so no joined copy of a huge text is made.
        """
        counts = np.zeros((4, len(records)), dtype=np.int64)
        count = self._count
        for i, record in enumerate(records):
            raw = record.raw
            if raw is not None and "messages" in raw:
                counts[:3, i] = self.chat_tokens(raw, record.tools or "")
            elif raw is not None and record.format == "preference" and isinstance(raw.get("input"), Mapping):
                counts[:, i] = self.openai_preference_tokens(raw, record.tools or "")
            else:
                text, target, rejected = record.full_texts
                # the label as written, not as normalised: "cafe" + a combining accent is 3 o200k tokens, "café" 2
                answer = target if target is not None else record.written_answer
                # the tools digest is the loader's key, no text a trainer sees: the definitions are counted in its
                # place as a chat line's are, so one conversation costs alike as a chat line and a TRL row
                prompt = (count(without_tools_turn(text)) + self.tool_tokens(record.tools) if record.tools is not None
                          else count(text))
                completion = count(answer) if answer else 0
                counts[:3, i] = prompt + completion, prompt, completion
                if rejected is not None:
                    counts[3, i] = prompt + count(rejected)
        return counts[0], counts[1], counts[2], counts[3], [""] * len(records)


class HFExampleCounter:
    """Tokens of whole training examples with an open model's own tokenizer and chat template."""

    def __init__(self, path: str):
        if not Path(path).exists():
            raise ConfigError(f"tokens.tokenizer: {path}: no such file or folder")
        self.tokenizer = HFTokenizer(path)
        template = "its chat template" if self.tokenizer.has_chat_template else "no chat template: message texts only"
        self.label = f"tokenizer {path} ({template})"

    def _render(self, record: Record, messages: list, *, prompt: bool) -> str:
        return self.tokenizer.render_chat(messages, _template_tools(record.raw), add_generation_prompt=prompt)

    def count_records(self, records: Sequence[Record]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str]]:
        """Per record: (example tokens, prompt tokens, completion tokens, tokens of its second sequence), as
        OpenAIExampleCounter.count_records: a text record's uncut texts, a preference pair's prompt + rejected;
        and why the chat template refused a conversation ("" where it rendered). A template may refuse one
        conversation (raise_exception: roles that do not alternate, a system turn it does not take): that is a
        finding about the record, the others are still counted, and it is counted by its message texts alone."""
        from jinja2 import TemplateError

        tok = self.tokenizer
        totals, prompts_n, completions, second = (np.zeros(len(records), dtype=np.int64) for _ in range(4))
        refused = [""] * len(records)
        chats = [i for i, r in enumerate(records) if r.raw is not None and isinstance(r.raw.get("messages"), list)]
        plain = [i for i, r in enumerate(records) if r.raw is None or not isinstance(r.raw.get("messages"), list)]
        untemplated = chats
        if chats and tok.has_chat_template:
            rendered, whole, prompts = [], [], []
            for i in chats:
                messages = records[i].raw["messages"]
                last = max((k for k, m in enumerate(messages) if isinstance(m, Mapping) and m.get("role") == "assistant"), default=None)
                try:
                    text = self._render(records[i], messages, prompt=False)
                    prompt = self._render(records[i], messages[:last], prompt=True) if last else ""
                except TemplateError as exc:
                    refused[i] = plain_excerpt(str(exc) or type(exc).__name__, REFUSAL_CHARS)
                    continue
                rendered.append(i)
                whole.append(text)
                prompts.append(prompt)
            for i, n, p in zip(rendered, tok.count(whole), tok.count(prompts)):
                totals[i], prompts_n[i], completions[i] = n, min(p, n), max(n - p, 0)
            untemplated = [i for i in chats if refused[i]]
        for i in untemplated:
            said = [[*(_part_texts(m["content"]) if isinstance(m.get("content"), list) else [_json_text(m.get("content"))]),
                     *_call_texts(m)] for m in records[i].raw["messages"] if isinstance(m, Mapping)]
            counts = [sum(tok.count(texts)) for texts in said]
            totals[i] = sum(counts)
            completions[i] = counts[-1] if counts else 0
            prompts_n[i] = totals[i] - completions[i]
        if plain:
            full = [records[i].full_texts for i in plain]
            inputs = tok.count([without_tools_turn(text) if records[i].tools is not None else text
                                for i, (text, _, _) in zip(plain, full)], add_special_tokens=True)
            # the definitions in the digest's place, as JSON (as a chat template writes them), each set counted once
            tool_sets = list(dict.fromkeys(records[i].tools for i in plain if records[i].tools is not None))
            tool_counts = dict(zip(tool_sets, tok.count(tool_sets) if tool_sets else []))
            inputs = [n + tool_counts.get(records[i].tools, 0) for i, n in zip(plain, inputs)]
            answers = tok.count([(target if target is not None else records[i].written_answer) or "" for i, (_, target, _) in zip(plain, full)])
            for i, n, a in zip(plain, inputs, answers):
                totals[i], prompts_n[i], completions[i] = n + a, n, a
            paired = [(i, n, rejected) for i, n, (_, _, rejected) in zip(plain, inputs, full) if rejected is not None]
            for (i, n, _), r in zip(paired, tok.count([rejected for _, _, rejected in paired]) if paired else []):
                second[i] = n + r
        return totals, prompts_n, completions, second, refused


def resolve_target(config: TokensConfig) -> TargetModel | None:
    """The model the audit prices, with the config's overrides; None when no target model is set.

    Raises ConfigError for an unknown model without a tokenizer, or a tokenizer without a model. Call it
    before the audit starts so that a misspelt model fails at once.
    """
    if not config.target_model:
        if config.tokenizer:
            raise ConfigError("tokens.tokenizer is set but tokens.target_model is not: name the model you fine-tune "
                              "(--target-model)")
        return None
    known = find_model(config.target_model, config.models_file)
    if known is None and not config.tokenizer:
        raise unknown_model_error(config.target_model, config.models_file)
    limit = config.example_limit if config.example_limit is not None else (known.example_limit if known else None)
    if limit is not None and limit < 1:
        raise ConfigError(f"tokens.example_limit: expected a positive integer, got {limit}")
    if config.price_per_million is not None:
        price, date = config.price_per_million, config.price_date or None
    else:
        price, date = (known.price_per_million, known.price_date) if known else (None, None)
    encoding = "" if config.tokenizer else known.encoding
    return TargetModel(config.target_model, encoding, limit, price, date)


@functools.lru_cache(maxsize=2)
def example_counter(tokenizer: str, encoding: str) -> OpenAIExampleCounter | HFExampleCounter:
    """One counter per process and target: loading a tokenizer costs more than counting a file's examples."""
    return HFExampleCounter(tokenizer) if tokenizer else OpenAIExampleCounter(encoding)


def token_counts(records: Sequence[Record], tokenizer: str, encoding: str) -> list[tuple[int, int, int, int, str]]:
    """The map step, run where a file's records lie: (sequence, prompt, completion, second sequence) tokens of
    each record and why its chat template refused it, "" where it did not (see HFExampleCounter.count_records)."""
    first, prompts, completions, second, refused = example_counter(tokenizer, encoding).count_records(records)
    return list(zip(first.tolist(), prompts.tolist(), completions.tolist(), second.tolist(), refused))


# OpenAI fine-tunes its chat models on chat lines ({"messages": [...]}) and, for preference tuning, on
# {"input", "preferred_output", "non_preferred_output"} lines; only the legacy completion models take
# prompt/completion. An open model's trainer (its own tokenizer) reads the other formats too.
COMPLETION_MODELS = frozenset({"babbage-002", "davinci-002"})
# TRL's prompt/chosen/rejected pairs: read as "preference" too, but not OpenAI's layout; named as a format of its own
# in formats_not_accepted, which is keyed by format name.
TRL_PREFERENCE = "preference_trl"


def _openai_layout(record: Record) -> str | None:
    """None for a record in a layout OpenAI's chat models are fine-tuned on, else the name of its layout. Both
    preference layouts are read as "preference"; OpenAI's is the one whose parsed line (kept) has an `input` object."""
    if record.format == "chat":
        return None
    if record.format == "preference":
        return None if isinstance(record.raw, dict) and isinstance(record.raw.get("input"), dict) else TRL_PREFERENCE
    return record.format


def openai_chat_target(target: TargetModel) -> bool:
    """Whether the target is one of OpenAI's chat models, fine-tuned through OpenAI's upload and its formats
    (counted in an OpenAI encoding, no tokenizer given); not a legacy completion model."""
    return bool(target.encoding) and base_model_name(target.name) not in COMPLETION_MODELS


def completion_target(target: TargetModel) -> bool:
    """Whether the target is one of OpenAI's legacy completion models, fine-tuned on prompt/completion lines only."""
    return bool(target.encoding) and base_model_name(target.name) in COMPLETION_MODELS


def formats_not_accepted(records: Sequence[Record], target: TargetModel) -> dict[str, int]:
    """Records per format that an OpenAI model cannot be fine-tuned on (a chat model: other than chat and OpenAI's
    preference lines; a legacy completion model: other than prompt/completion); {} for an open model."""
    if completion_target(target):
        counts = Counter(r.format for r in records if r.format != "prompt_completion")
    elif openai_chat_target(target):
        counts = Counter(layout for layout in map(_openai_layout, records) if layout is not None)
    else:
        return {}
    return dict(sorted(counts.items()))


def lines_with_object_arguments(records: Sequence[Record], target: TargetModel) -> list[ObjectArguments]:
    """Chat and OpenAI DPO lines that give a call's arguments as an object, for an OpenAI chat target; the readers
    take them (Hugging Face and TRL write them so), OpenAI's upload takes a string holding JSON only."""
    if not openai_chat_target(target):
        return []
    found = []
    for record in records:
        where = object_arguments(record.raw) if record.raw is not None else None
        if where is not None:
            found.append(ObjectArguments(record.source, record.line, where))
    return found


def lines_openai_refuses(records: Sequence[Record], target: TargetModel) -> tuple[list[RefusedField], list[RefusedField]]:
    """(lines with a message name OpenAI does not take, lines with a tool call without an id), for an OpenAI chat
    target; the readers take both (Hugging Face and TRL data has them), OpenAI's upload refuses them."""
    if not openai_chat_target(target):
        return [], []
    names, calls = [], []
    for record in records:
        if record.raw is None:
            continue
        name, call = openai_shape_errors(record.raw)
        if name is not None:
            names.append(RefusedField(record.source, record.line, name))
        if call is not None:
            calls.append(RefusedField(record.source, record.line, call))
    return names, calls


def lines_with_string_tools(records: Sequence[Record], target: TargetModel) -> list[RefusedField]:
    """Chat lines whose tool definitions are a string holding JSON, for an OpenAI chat target (an OpenAI DPO line's
    `input.tools` is a list or a record error; other shapes OpenAI does not take at all: formats_not_accepted)."""
    if not openai_chat_target(target):
        return []
    found = []
    for record in records:
        where = _string_tools(record.raw) if record.raw is not None and "messages" in record.raw else None
        if where is not None:
            found.append(RefusedField(record.source, record.line, where))
    return found


def measure_tokens(records: Sequence[Record], target: TargetModel, config: TokensConfig,
                   counter: OpenAIExampleCounter | HFExampleCounter | None = None,
                   counts: tuple[np.ndarray, ...] | None = None, refused: Sequence[str] | None = None) -> TokensResult | None:
    """counts: (sequence, prompt, completion, second sequence) tokens per record, and refused: why the chat
    template refused each record ("" where it did not), when an engine already counted them."""
    if not records:
        return None
    counter = counter or example_counter(config.tokenizer, target.encoding)
    if counts is None:
        *counts, refused = counter.count_records(records)
    first, prompts, completions, second = counts
    refused_at = [i for i, why in enumerate(refused or ()) if why]
    # A pair's two sequences are each held to the limit, so the longer decides whether it fits; both are billed.
    totals = np.maximum(first, second)
    limit = target.example_limit
    over = np.flatnonzero(totals > limit) if limit is not None else np.zeros(0, dtype=np.int64)
    billed_per_epoch = (int(np.minimum(first, limit).sum() + np.minimum(second, limit).sum()) if limit is not None
                        else int(first.sum() + second.sum()))
    epochs = config.epochs if config.epochs is not None else default_epochs(len(records))
    billed = billed_per_epoch * epochs
    cost = None if target.price_per_million is None else round(billed * target.price_per_million / 1_000_000, 4)
    object_lines = lines_with_object_arguments(records, target)
    name_lines, id_lines = lines_openai_refuses(records, target)
    string_tool_lines = lines_with_string_tools(records, target)
    return TokensResult(
        target_model=target.name,
        encoding=counter.label,
        example_limit=limit,
        total=int(first.sum() + second.sum()),
        per_example=TokenSpread(int(totals.min()), float(np.median(totals)), float(np.percentile(totals, 95)), int(totals.max())),
        over_limit=[OverLimit(records[i].source, records[i].line, int(totals[i])) for i in over[:config.max_listed]],
        over_limit_count=int(over.size),
        epochs=epochs,
        billed_tokens_per_epoch=billed_per_epoch,
        billed_tokens=billed,
        estimated_cost_usd=cost,
        price_date=target.price_date,
        mean_prompt_tokens=round(float(prompts.mean()), 2),
        mean_completion_tokens=round(float(completions.mean()), 2),
        pair_sequences=int(np.count_nonzero(second)),
        limit_set_in_config=config.example_limit is not None,
        records=len(records),
        formats_not_accepted=formats_not_accepted(records, target),
        not_renderable=[NotRenderable(records[i].source, records[i].line, refused[i]) for i in refused_at[:config.max_listed]],
        not_renderable_count=len(refused_at),
        object_arguments=object_lines[:config.max_listed],
        object_arguments_count=len(object_lines),
        names_not_accepted=name_lines[:config.max_listed],
        names_not_accepted_count=len(name_lines),
        calls_without_id=id_lines[:config.max_listed],
        calls_without_id_count=len(id_lines),
        tools_as_strings=string_tool_lines[:config.max_listed],
        tools_as_strings_count=len(string_tool_lines),
    )


def measure(ctx: AuditContext) -> TokensResult | None:
    config: TokensConfig = ctx.config.section("tokens")  # its paths resolved where the context was (api.run_checks)
    target = resolve_target(config)
    if target is None or not ctx.train.records:
        return None
    economics_epochs = ctx.config.economics.epochs
    if config.epochs is None and economics_epochs is not None:
        # The epochs are resolved here once for the report: the economics check bills this result's epochs.
        # Config.validate refuses the two keys set to different figures.
        config = dataclasses.replace(config, epochs=economics_epochs)
    written = ctx.config.paths_as_written.get("tokens.tokenizer")
    try:
        example_counter(config.tokenizer, target.encoding)  # a bad tokenizer path is a config error, raised here
    except ConfigError as exc:
        if config.tokenizer and written:  # named as the user wrote it, not as resolved against the config's folder
            raise ConfigError(str(exc).replace(config.tokenizer, written, 1)) from exc
        raise
    rows = ctx.steps.map_records(ctx.train.dataset, token_counts, config.tokenizer, target.encoding)
    counts = np.asarray([row[:4] for row in rows], dtype=np.int64).reshape(-1, 4).T
    result = measure_tokens(ctx.train.records, target, config, counts=(counts[0], counts[1], counts[2], counts[3]),
                            refused=[row[4] for row in rows])
    if result is not None and config.tokenizer and written:
        # The report names the tokenizer as the config wrote it: an absolute path would read as a settings change
        # in the history each time the project folder moves, and show the user's folders.
        result = dataclasses.replace(result, encoding=result.encoding.replace(config.tokenizer, written, 1))
    return result


def _where(item: OverLimit) -> str:
    return f"{Path(item.file).name}:{item.line}"


def judge(result: TokensResult | None, ctx: AuditContext) -> list[Finding]:
    if result is None:
        return []
    return (_limit_findings(result) + _format_findings(result) + _refusal_findings(result) + _object_argument_findings(result)
            + _upload_shape_findings(result))


def _named_lines(named: list[str], count: int) -> tuple[str, str]:
    """The places a summary names and its " and N more": N is the count less the places named, which may be fewer
    than MAX_LINES_NAMED where max_listed kept fewer (10 lines, 1 listed read "and 5 more")."""
    more = count - len(named)
    return ", ".join(named), (f" and {more:,} more" if more > 0 else "")


def _limit_findings(result: TokensResult) -> list[Finding]:
    if result.example_limit is None:
        return []
    evidence = {"target_model": result.target_model, "example_limit": result.example_limit,
                "over_limit": result.over_limit_count, "longest": result.per_example.max}
    # An override is the user's figure, not one the model's publisher gave: the sentence says whose it is.
    limit = (f"the {result.example_limit:,}-token limit set in [tokens] example_limit" if result.limit_set_in_config
             else f"{result.target_model}'s {result.example_limit:,}-token training limit")
    if result.over_limit_count:
        named, more = _named_lines([f"{_where(o)} ({o.tokens:,} tokens)" for o in result.over_limit[:MAX_LINES_NAMED]],
                                   result.over_limit_count)
        return [Finding("format", Status.FAIL,
                        f"{result.over_limit_count:,} example(s) exceed {limit}, so the trainer would cut them: {named}{more}",
                        evidence, "Shorten, split or drop the examples over the limit (listed under checks.tokens.over_limit).")]
    return [Finding("format", Status.PASS,
                    f"every example fits {limit} (longest {result.per_example.max:,} tokens)", evidence)]


def _refusal_findings(result: TokensResult) -> list[Finding]:
    """A failure where the open model's chat template refuses conversations: its trainer stops on them."""
    if not result.not_renderable_count:
        return []
    named, more = _named_lines([f"{_where(r)} ({r.reason})" for r in result.not_renderable[:MAX_LINES_NAMED]],
                               result.not_renderable_count)
    return [Finding(
        "format", Status.FAIL,
        f"{result.not_renderable_count:,} of {result.records:,} records are conversations the chat template of "
        f"{result.target_model}'s tokenizer refuses, so its trainer cannot tokenise them: {named}{more}",
        {"target_model": result.target_model, "not_renderable": result.not_renderable_count},
        "Fix those conversations as the template's message asks (listed under checks.tokens.not_renderable), or name "
        "the tokenizer of the model you fine-tune (--tokenizer).")]


def _object_argument_findings(result: TokensResult) -> list[Finding]:
    """A failure, as for an example over the training limit: OpenAI's upload refuses the file."""
    if not result.object_arguments_count:
        return []
    named, more = _named_lines([f"{_where(o)} ({o.field})" for o in result.object_arguments[:MAX_LINES_NAMED]],
                               result.object_arguments_count)
    return [Finding(
        "format", Status.FAIL,
        f"{result.object_arguments_count:,} of {result.records:,} records give a tool call's arguments as an object, but "
        f"OpenAI's fine-tuning of {result.target_model} takes them only as a string holding JSON, so the upload would "
        f"be refused: {named}{more}",
        {"target_model": result.target_model, "object_arguments": result.object_arguments_count},
        "Write each call's arguments as a JSON string (json.dumps them) in the lines listed under "
        "checks.tokens.object_arguments, or name an open model's tokenizer (--tokenizer).")]


# What OpenAI's upload refuses, one rule each: (the lines' key in checks.tokens, what those records do, what the
# model takes instead, what to write in them). Each is a failure, as arguments given as an object are.
_UPLOAD_SHAPE_RULES = (
    ("names_not_accepted", "give a message a `name` that", "does not take (1 to 64 letters, digits, '_' or '-')",
     "Rename the participants in the lines listed under checks.tokens.names_not_accepted (bob.smith as bob_smith, "
     "José as Jose) or drop the names"),
    ("calls_without_id", "make a tool call without an `id`, as Hugging Face and TRL write them, but",
     "needs each call's id", "Give each tool call in the lines listed under checks.tokens.calls_without_id an id "
     "(a tool message answering it names the same id)"),
    ("tools_as_strings", "give their tool definitions as a string holding JSON, as Hugging Face datasets store them, "
     "but", "takes `tools` only as a list", "Write `tools` as the list itself (json.loads the string) in the lines "
     "listed under checks.tokens.tools_as_strings"),
)


def _upload_shape_findings(result: TokensResult) -> list[Finding]:
    """A failure per rule (_UPLOAD_SHAPE_RULES) some records break: OpenAI's upload refuses the file."""
    findings = []
    for key, doing, takes, fix in _UPLOAD_SHAPE_RULES:
        count, lines = getattr(result, f"{key}_count"), getattr(result, key)
        if not count:
            continue
        named, more = _named_lines([f"{_where(o)} ({o.field})" for o in lines[:MAX_LINES_NAMED]], count)
        findings.append(Finding(
            "format", Status.FAIL,
            f"{count:,} of {result.records:,} records {doing} OpenAI's fine-tuning of {result.target_model} {takes}, "
            f"so the upload would be refused: {named}{more}",
            {"target_model": result.target_model, key: count},
            f"{fix}, or name an open model's tokenizer (--tokenizer)."))
    return findings


def _format_findings(result: TokensResult) -> list[Finding]:
    """A warning where records are in a format the target chat model is not fine-tuned on: they were counted
    and priced as if it were, and the upload would be refused."""
    model = result.target_model
    not_chat = {name: n for name, n in result.formats_not_accepted.items() if name != TRL_PREFERENCE}
    findings = []
    if not_chat:
        formats = ", ".join(not_chat)
        if base_model_name(model) in COMPLETION_MODELS:  # formats are counted so for an OpenAI target only
            takes = 'prompt/completion lines only ({"prompt": ..., "completion": ...} per line)'
            convert = f"prompt/completion lines before fine-tuning {model}, or name a chat model (--target-model) or"
        else:
            takes = 'the chat format only ({"messages": [...]} per line)'
            convert = (f"chat lines (the prompt as the user message, the completion as the assistant reply) before "
                       f"fine-tuning {model}, or name")
        findings.append(Finding(
            "format", Status.WARN,
            f"{sum(not_chat.values()):,} of {result.records:,} records are {formats}, but {model} is fine-tuned on {takes}",
            {"target_model": model, "formats_not_accepted": not_chat},
            f"Convert the {formats} records to {convert} an open model's tokenizer (--tokenizer)."))
    if TRL_PREFERENCE in result.formats_not_accepted:
        # Not "chat lines": OpenAI does take preference pairs, in its own layout, and a chat line would drop the
        # rejected reply.
        pairs = result.formats_not_accepted[TRL_PREFERENCE]
        findings.append(Finding(
            "format", Status.WARN,
            f"{pairs:,} of {result.records:,} records are preference pairs in the prompt/chosen/rejected layout "
            f'({TRL_PREFERENCE}), but OpenAI takes preference pairs only as {{"input", "preferred_output", '
            '"non_preferred_output"} lines, and preference-tunes only some of its models',
            {"target_model": model, "formats_not_accepted": {TRL_PREFERENCE: pairs}},
            f"Check that OpenAI offers preference fine-tuning for {model} (its DPO guide lists the models), then convert "
            f"the {TRL_PREFERENCE} records to that layout (the prompt as input's user message, chosen as preferred_output, "
            "rejected as non_preferred_output); or name an open model's tokenizer (--tokenizer)."))
    return findings


CHECK = Check(id="tokens", order=25, measure=measure, judge=judge, needs=frozenset({Need.TARGET_MODEL}),
              config_section=("tokens", TokensConfig), conditions=frozenset({"format"}))
