"""One reader per training format: each turns one parsed record into an input and a target, or names the
field that stops it. The format is detected per record (or forced with `fields.format`).

| format | fields | input | target |
|---|---|---|---|
| chat | `messages` (OpenAI) | every turn before the last assistant turn with weight 1 | that turn (with the assistant turns just before it) |
| prompt_completion | `prompt` + `completion`, strings or message lists | prompt | completion |
| text | `text` (+ a second text, + label) | text (+ second text) | label |
| alpaca | `instruction`, `input`, `output`, `system`, `history` | system + history + instruction + input | output |
| sharegpt | `conversations` of `{from, value}` | turns before the last gpt turn | last gpt turn |
| preference | `chosen` + `rejected` (+ `prompt`, or HH's shared turns up to the last `\\n\\nAssistant:`, or the shared prefix); or OpenAI's `input.messages` + `preferred_output` + `non_preferred_output` | prompt | chosen (and rejected) |
| unpaired_preference | `prompt` + `completion` + boolean `label` (KTO) | prompt | completion (desirable or not) |

How an input is built (it is the key that duplicates, leakage and coverage compare, so it is every field
the model sees and is stable): the texts of its parts, in the order above (for conversations: each turn in
order, system prompt first), blank parts left out, joined with one newline. Role names are not included; a
message's `name` is, before its turn's text (`bob: hi`), outside the query.
A tool call is written as canonical JSON: keys sorted, the call's `id` dropped (it differs between
identical calls) and its `arguments` string re-serialised with sorted keys when it holds JSON. The tools a row
offers (a chat's or a TRL prompt/completion or preference row's `tools` / `functions`, LLaMA-Factory's `tools`
string, an OpenAI DPO line's `input.tools` / `input.functions`) open its input as one system turn,
`[tools 1a2b3c4d5e6f]` (tools_turns), and the definitions as canonical JSON go beside it (Parsed.tools, then
Record.tools), what the token counts read in the digest's place. OpenAI's upload-only rules (its name pattern, a call's id, arguments as a
string) are not record errors: the tokens check reports them for an OpenAI target (openai_shape_errors).

A conversation's query (`Record.query_text`) is what the user asks: its user turns, joined the same way (a
content part that is no text stands as its placeholder), kept apart (`Record.query`, with the input's other
turns as `Record.context`) only where an assistant, tool or function turn sits in the input: for system and
user turns alone the query is the input without its system prompt. Tool calls, tool results, earlier assistant
replies and the system prompt are in the input, not the query. The query is what coverage, production overlap, an
eval leak by query and the embedding compare; the input (everything the model sees) is the key of exact
duplicates and conflicts.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, Callable, Mapping

from ..config import FieldsConfig
from ..errors import ConfigError
from .values import Invalid, check_text, is_blank, is_missing, json_type, key_name, quoted, scalar_text

FORMAT_NAMES = ("chat", "prompt_completion", "text", "alpaca", "sharegpt", "preference", "unpaired_preference")

CHAT_ROLES = {"system", "developer", "user", "assistant", "tool", "function"}
PREAMBLE_ROLES = {"system", "developer"}
MESSAGE_KEYS = {"role", "content", "name", "weight", "tool_calls", "tool_call_id", "function_call", "refusal"}
SHAREGPT_ROLES = {"human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant", "system": "system",
                  "function_call": "assistant", "observation": "tool", "tool": "tool"}
# Pair tasks whose two texts are both input, tried in order when no `text_pair` is configured.
KNOWN_PAIRS = (("premise", "hypothesis"), ("sentence1", "sentence2"), ("question1", "question2"),
               ("text", "text_pair"), ("text", "hypothesis"))


@dataclass(frozen=True)
class Parsed:
    input_text: str
    target: str | None = None
    rejected: str | None = None
    desirable: bool | None = None
    target_is_class: bool = True  # in a classification task this target is the class label
    preamble: str = ""  # the system prompt that starts input_text, as it appears there
    query: str | None = None  # what the user asks, where replies or tool turns sit among it (Record.query_text)
    context: str | None = None  # beside a query: the input's other turns (system, assistant, tool), joined
    tools: str = ""  # the tool set offered (tools_text), whose digest turn opens input_text; "" where none is


@dataclass(frozen=True)
class Turn:
    role: str  # system | user | assistant | tool
    text: str
    name: str = ""  # the message's `name` (OpenAI: a participant's or function's name), "" when it has none

    @property
    def seen(self) -> str:
        """The turn as the input (the key) holds it: its text after its name, which the model sees too."""
        return f"{self.name}: {self.text}" if self.name else self.text


def join(parts: list[str]) -> str:
    return "\n".join(p for p in parts if not is_blank(p))


def user_query(turns: list[Turn]) -> str:
    """What the user asks in a conversation: its user turns, joined. Tool calls, tool results, earlier
    assistant replies and the system prompt are what the model sees, not what is asked: they stay in the
    input (the key) but a production question copied from a training user turn must match that turn."""
    return join([t.text for t in turns if t.role == "user"])


def apart(turns: list[Turn]) -> tuple[str | None, str | None]:
    """(query, context) of an input's turns where an assistant, tool or function turn or a named turn sits among
    them: the user turns' texts (user_query) and the rest of the input (its other turns and every turn's name),
    each joined; (None, None) for unnamed system and user turns alone, whose query is the input without its system
    prompt (however its user turn starts). A user's name is who asks, not what: the same question from bob and
    from alice is one query under two contexts."""
    if all(t.role in ("user", "system") and not t.name for t in turns):
        return None, None
    return user_query(turns), join([t.seen if t.role != "user" else f"{t.name}:" if t.name else "" for t in turns])


def preamble(turns: list[Turn]) -> str:
    """The leading system turns, joined as they start the input."""
    lead = []
    for turn in turns:
        if turn.role != "system":
            break
        lead.append(turn.seen)
    return join(lead)


def _json_value(value: Any) -> Any:
    """What json.dumps writes for a value JSON has no type for, as a Parquet or Arrow cell holds them: an array
    or numpy scalar as its list or number; a decimal as the number where a float holds it exactly (1.50 is 1.5,
    as a JSON export of the same call writes it), else as its text (no digit lost); bytes as UTF-8 text; any
    other (a timestamp) as its text. A call's text is compared, never parsed back, so one spelling is enough."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, Decimal):
        number = float(value)
        return number if Decimal(repr(number)) == value or not value.is_finite() else str(value)
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "replace")
    return str(value)


def canonical_call(call: Any) -> Any:
    """A tool / function call without its id, with its arguments in one spelling: a string of sorted JSON,
    whether they came as a string (OpenAI) or as an object (Hugging Face, TRL), so that one conversation
    exported both ways is one input and one target (identical calls are identical targets)."""
    if not isinstance(call, dict):
        return call
    out = {k: canonical_call(v) if k == "function" else v for k, v in call.items() if k != "id" and v is not None}
    arguments = out.get("arguments")
    if isinstance(arguments, str):
        try:
            out["arguments"] = json.dumps(json.loads(arguments), sort_keys=True, ensure_ascii=False)
        except (ValueError, RecursionError):
            pass
    elif isinstance(arguments, (dict, list)):
        out["arguments"] = json.dumps(arguments, sort_keys=True, ensure_ascii=False, default=_json_value)
    return out


def _check_function(function: Any, field: str) -> None:
    """A called function: a name, and arguments as a string of JSON (OpenAI's trainer) or as an object (Hugging
    Face chat templates and TRL's conversational prompt/completion and chosen/rejected lists write them so)."""
    if not isinstance(function, dict):
        raise Invalid(field, "missing" if function is None else f"expected an object with name and arguments, got {json_type(function)}")
    name = function.get("name")
    if not isinstance(name, str) or is_blank(name):
        raise Invalid(f"{field}.name", "missing" if name is None else "is empty" if isinstance(name, str) else
                      f"expected the function's name as a string, got {json_type(name)}")
    arguments = function.get("arguments")
    if isinstance(arguments, dict):
        return
    if not isinstance(arguments, str):
        raise Invalid(f"{field}.arguments", "missing" if arguments is None else
                      f"expected an object or a string holding JSON, got {json_type(arguments)}")
    try:
        parsed = json.loads(arguments)
    except (ValueError, RecursionError) as exc:
        raise Invalid(f"{field}.arguments", f"is not valid JSON ({exc.msg if isinstance(exc, json.JSONDecodeError) else 'too deeply nested'})") from None
    if not isinstance(parsed, dict):
        # A function takes named parameters: OpenAI's trainer and every chat template read the arguments as an object.
        raise Invalid(f"{field}.arguments", f"holds {json_type(parsed)}, not a JSON object")


def check_calls(message: dict, field: str) -> None:
    """An assistant message's `tool_calls` (a list of {id, type: function, function: {name, arguments}}) or legacy
    `function_call` ({name, arguments}), not both, each naming its function. A call's `id` may be left out: Hugging
    Face chat templates and TRL write calls without one, and only OpenAI's upload needs it (openai_shape_errors,
    which the tokens check reports for an OpenAI target)."""
    calls = message.get("tool_calls")
    if calls is not None and message.get("function_call") is not None:
        raise Invalid(f"{field}.function_call", "tool_calls and a function_call on one message: a message makes its "
                                                "calls one way or the other (function_call is the legacy one)")
    if calls is not None:
        if not isinstance(calls, list):
            raise Invalid(f"{field}.tool_calls", f"expected a list of tool calls, got {json_type(calls)}")
        for i, call in enumerate(calls):
            here = f"{field}.tool_calls[{i}]"
            if not isinstance(call, dict):
                raise Invalid(here, f"expected a tool call (an object), got {json_type(call)}")
            if call.get("id") is not None and not isinstance(call["id"], str):
                raise Invalid(f"{here}.id", f"expected the call's id as a string, got {json_type(call['id'])}")
            if call.get("type") is not None and call["type"] != "function":
                raise Invalid(f"{here}.type", f"expected 'function', got {quoted(call['type'])}")
            _check_function(call.get("function"), f"{here}.function")
    if message.get("function_call") is not None:
        _check_function(message["function_call"], f"{field}.function_call")


def _openai_messages(obj: Mapping, messages_field: str) -> list[tuple[str, list]]:
    """The message lists of a chat or OpenAI DPO line that OpenAI's upload reads, each with its field."""
    given = obj.get("input")
    lists = [(messages_field, obj.get(messages_field)),
             *([("input.messages", given.get("messages"))] if isinstance(given, dict) else ()),
             *((key, obj.get(key)) for key in OPENAI_PREFERENCE_KEYS)]
    return [(field, messages) for field, messages in lists if isinstance(messages, list)]


def openai_shape_errors(obj: Mapping, messages_field: str = "messages") -> tuple[str | None, str | None]:
    """(the field of the first message `name` OpenAI's upload refuses, the field of the first tool call without an
    `id`) of a chat or OpenAI DPO line; None for each where there is none. OpenAI takes a name of 1 to 64 letters,
    digits, '_' or '-' and needs every call's id; Hugging Face and TRL data (a name "José", a final call with no
    id) is read as it is, and the tokens check reports these for an OpenAI target only."""
    name = call = None
    for field, messages in _openai_messages(obj, messages_field):
        for i, message in enumerate(messages):
            if not isinstance(message, dict):
                continue
            given = message.get("name")
            if name is None and isinstance(given, str) and not OPENAI_NAME.fullmatch(given):
                name = f"{field}[{i}].name"
            calls = message.get("tool_calls")
            if call is None and message.get("role") == "assistant" and isinstance(calls, list):
                call = next((f"{field}[{i}].tool_calls[{j}].id" for j, c in enumerate(calls) if isinstance(c, dict)
                             and (not isinstance(c.get("id"), str) or is_blank(c["id"]))), None)
    return name, call


def object_arguments(obj: Mapping, messages_field: str = "messages") -> str | None:
    """The field of the first tool or function call of a chat or OpenAI DPO line whose `arguments` are not a
    string (an object, as Hugging Face and TRL write them); None when every call's are. The readers take both;
    OpenAI's fine-tuning takes a string holding JSON only, which the tokens check reports for an OpenAI target."""
    for field, messages in _openai_messages(obj, messages_field):
        for i, message in enumerate(messages):
            if not isinstance(message, dict):
                continue
            calls = message.get("tool_calls")
            named = [(f"{field}[{i}].tool_calls[{j}].function", c.get("function")) for j, c in
                     enumerate(calls if isinstance(calls, list) else ()) if isinstance(c, dict)]
            named.append((f"{field}[{i}].function_call", message.get("function_call")))
            for where, function in named:
                if isinstance(function, dict) and function.get("arguments") is not None and not isinstance(function["arguments"], str):
                    return f"{where}.arguments"
    return None


def calls_text(calls: Any, field: str) -> str:
    if isinstance(calls, str):
        return scalar_text(calls, field)
    if isinstance(calls, list):
        calls = [canonical_call(c) for c in calls]
    else:
        calls = canonical_call(calls)
    return check_text(json.dumps(calls, sort_keys=True, ensure_ascii=False, default=_json_value), field)


# Content parts that carry no text, and the key whose value tells one such part from another.
MEDIA_PARTS = {"image_url": ("image", "url"), "input_audio": ("audio", "data"), "file": ("file", "file_id")}
# Hugging Face's (transformers' and TRL's) media parts: the medium inline (`image`, `audio`, `video`), by `url`,
# `path` or `base64`, or only by `index` into the row's `images` / `audios` / `videos` column (llava-instruct-mix).
HF_MEDIA_PARTS = ("image", "audio", "video")
HF_MEDIA_KEYS = ("url", "path", "base64")


MEDIA_CELL_KEYS = {"bytes", "path", "url"}  # a media column's cell (datasets' Image / Audio feature, undecoded)


def _digest(value: Any) -> str:
    """The first 12 hex digits of a sha256 of value: bytes as they are, anything else as its sorted JSON. A media
    column's {"bytes", "path"} cell is known by its bytes where it holds them, else by its path (or url): one image
    stored under two paths is one image, and a cell holding only a path is the part that names that path."""
    if isinstance(value, Mapping) and value and value.keys() <= MEDIA_CELL_KEYS:
        value = next((value[key] for key in ("bytes", "path", "url") if not is_missing(value.get(key))), value)
    if isinstance(value, (bytes, bytearray)):
        data = bytes(value)
    else:
        if not isinstance(value, str):
            value = json.dumps(value, sort_keys=True, ensure_ascii=False,
                               default=lambda v: _digest(v) if isinstance(v, (bytes, bytearray)) else _json_value(v))
        data = value.encode("utf-8", "surrogatepass")
    return hashlib.sha256(data).hexdigest()[:12]


def _media_placeholder(part: dict, attached: Mapping | None = None, taken: dict[str, int] | None = None) -> str:
    """`[image 1a2b3c4d5e6f]`: a part with no text stands in the input as its kind and a digest of what it points
    to, so two turns with different images are not duplicates and the same image twice is. A Hugging Face part
    that holds no medium points into the row's media column (attached: `images`, `audios`, `videos`): at its
    `index`, or with none (TRL's usual `{"type": "image"}`, or a null index as Parquet stores it) at the next item
    of its kind, as the processor takes them in order (taken: how many parts of each kind pointed into the column
    before it in this message list). The digest is of that item where the row has it, else of the index (which
    tells the parts of one turn apart); a bare part with no column to point into is `[image]`."""
    kind = part["type"]
    if kind in HF_MEDIA_PARTS:
        body = next((part[key] for key in (kind, *HF_MEDIA_KEYS) if not is_missing(part.get(key))), None)
        if body is not None:
            return f"[{kind} {_digest(body)}]"
        position = (taken or {}).get(kind, 0)
        if taken is not None:
            taken[kind] = position + 1
        index = part.get("index")
        items = (attached or {}).get(f"{kind}s")
        items = items.tolist() if hasattr(items, "tolist") else items
        if index is None:
            if not isinstance(items, list) or not 0 <= position < len(items):
                return f"[{kind}]"
            index = position
        if isinstance(index, int) and not isinstance(index, bool):
            body = items[index] if isinstance(items, list) and 0 <= index < len(items) else {"index": index}
        return f"[{kind} {_digest(body)}]" if body is not None else f"[{kind}]"
    kind, key = MEDIA_PARTS[part["type"]]
    body = part.get(part["type"])
    if isinstance(body, dict):
        body = body.get(key) or body.get("file_data") or body.get("filename") or body
    return f"[{kind} {_digest(body)}]" if body is not None else f"[{kind}]"


# OpenAI's content parts, then Hugging Face's media parts, as named in errors
PART_TYPES = ("text", "image_url", "input_audio", "file", "refusal", *HF_MEDIA_PARTS)


def _check_media(part: dict, kind: str, field: str) -> None:
    """A media part holds the object its type names; an image that object's `url` (OpenAI refuses it without).
    A Hugging Face part may hold nothing but its type: the processor then takes the row's next item of that kind
    (_media_placeholder)."""
    if kind in HF_MEDIA_PARTS:
        return
    body = part.get(kind)
    if body is None:
        raise Invalid(f"{field}.{kind}", "missing")
    if kind == "image_url" and isinstance(body, dict) and (not isinstance(body.get("url"), str) or is_blank(body["url"])):
        url = body.get("url")
        raise Invalid(f"{field}.image_url.url", "missing" if url is None else "is empty" if isinstance(url, str) else
                      f"expected the image's URL as a string, got {json_type(url)}")


def _content_text(content: Any, field: str, *, media: bool = True, attached: Mapping | None = None,
                  taken: dict[str, int] | None = None) -> str | None:
    """A message's text: a string, or content parts (OpenAI, Hugging Face): `text` parts' text, a `refusal` part's
    refusal (the reply), an image / audio / file / video part as a placeholder (see _media_placeholder; attached:
    the row, whose media columns a Hugging Face part points into; taken: the column items the message list's
    earlier parts took). A part that is no object,
    has no or an unknown type, or lacks what its type holds is an error naming it: left out, it left a turn
    that looked empty or a record counted valid without the part its author meant the model to see.
    media=False: an assistant's message, whose parts are text or a refusal only (a model replies in text; OpenAI's
    format has no image, audio or file part for the assistant, and its fine-tuning refuses images as output)."""
    if content is None:
        return None
    if isinstance(content, list):
        texts = []
        for i, part in enumerate(content):
            here = f"{field}[{i}]"
            if isinstance(part, str):
                # Skipping it would leave the turn looking empty and blame the wrong thing ("is empty").
                raise Invalid(field, 'a list must hold content parts ({"type": "text", "text": ...}), not plain strings')
            if not isinstance(part, dict):
                raise Invalid(here, f"expected a content part object, got {json_type(part)}")
            kind = part.get("type")
            if kind is None:
                raise Invalid(f"{here}.type", f"missing (expected {', '.join(PART_TYPES)})")
            if not isinstance(kind, str):
                # A list or object here is no part type any trainer knows (and cannot be looked up as one).
                raise Invalid(f"{here}.type", f"expected the part's type as a string, got {json_type(kind)}")
            if kind not in PART_TYPES:
                raise Invalid(f"{here}.type", f"unknown part type {quoted(kind)} (expected {', '.join(PART_TYPES)})")
            if kind in ("text", "refusal"):
                if part.get(kind) is None:
                    raise Invalid(f"{here}.{kind}", "missing")
                texts.append(scalar_text(part[kind], f"{here}.{kind}", allow_empty=True))
                continue
            if not media:
                raise Invalid(f"{here}.type", f"part of type {kind!r} in an assistant message: the assistant's "
                                              "reply is text or a refusal (image, audio, video and file parts "
                                              "belong in user messages)")
            _check_media(part, kind, here)
            texts.append(_media_placeholder(part, attached, taken))
        return "\n".join(texts)
    if not isinstance(content, str):
        raise Invalid(field, f"expected a string, got {json_type(content)}")
    return scalar_text(content, field, allow_empty=True)


OPENAI_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")  # a message's `name` as OpenAI's API takes it


def _name(message: dict, field: str) -> str:
    """A message's `name`: a string (OpenAI's format types it so), "" where it has none or a blank one. Any
    string: OpenAI's own pattern (OPENAI_NAME) is held for an OpenAI target only (openai_shape_errors)."""
    name = message.get("name")
    if name is None:
        return ""
    if not isinstance(name, str):
        raise Invalid(f"{field}.name", f"expected the name as a string, got {json_type(name)}")
    return "" if is_blank(name) else scalar_text(name, f"{field}.name")


def nonempty_list(value: Any, field: str, of: str) -> list:
    """value, a list with something in it, or the record error naming field and what it should hold."""
    if value is None:
        raise Invalid(field, "missing (or null)")
    if not isinstance(value, list):
        raise Invalid(field, f"expected a list of {of}, got {json_type(value)}")
    if not value:
        raise Invalid(field, "is empty")
    return value


# ---------------------------------------------------------------------------------------------------
# chat (OpenAI)


def _chat_turns(messages: Any, field: str, attached: Mapping | None = None) -> tuple[list[Turn], list[float]]:
    """Validated turns and each turn's weight (1 unless an assistant turn says 0). attached: the row (its media
    columns, which an indexed image part points into)."""
    messages = nonempty_list(messages, field, "messages")
    turns: list[Turn] = []
    weights: list[float] = []
    roles: list[str] = []
    call_ids: set[str] = set()  # the ids of the tool calls made so far, which a tool message answers
    taken: dict[str, int] = {}
    for i, message in enumerate(messages):
        here = f"{field}[{i}]"
        if not isinstance(message, dict):
            raise Invalid(here, f"expected an object, got {json_type(message)}")
        if None in message.values():  # Parquet structs give absent keys as null
            message = {k: v for k, v in message.items() if v is not None}
        if not message.keys() <= MESSAGE_KEYS:
            key = next(k for k in message if k not in MESSAGE_KEYS)
            raise Invalid(f"{here}.{key_name(key)}", f"unknown message key {quoted(key)} (known: {', '.join(sorted(MESSAGE_KEYS))})")
        if "role" not in message:
            raise Invalid(f"{here}.role", "missing")
        role = message["role"]
        if not _known(role, CHAT_ROLES):
            raise Invalid(f"{here}.role", f"unknown role {quoted(role)} (expected one of {', '.join(sorted(CHAT_ROLES))})")
        weight = message.get("weight", 1)
        if isinstance(weight, bool) or weight not in (0, 1):
            raise Invalid(f"{here}.weight", f"weight must be 0 or 1, got {quoted(weight)}")
        if "weight" in message and role != "assistant":
            raise Invalid(f"{here}.weight", f"weight is only read on assistant turns, not on {role!r}")
        text = _content_text(message.get("content"), f"{here}.content", media=role != "assistant", attached=attached,
                             taken=taken)
        if is_blank(text or "") and role == "assistant" and "refusal" in message:  # the model declined: that is its reply
            text = scalar_text(message["refusal"], f"{here}.refusal")
        calls = message.get("tool_calls") or message.get("function_call")
        if text is None and not (role == "assistant" and calls):
            raise Invalid(f"{here}.content", "missing")
        if text is not None and is_blank(text) and not calls and role != "tool":
            raise Invalid(f"{here}.content", "is empty")
        previous = roles[-1] if roles else None
        if role in PREAMBLE_ROLES and any(r not in PREAMBLE_ROLES for r in roles):
            raise Invalid(f"{here}.role", f"roles out of order: {role!r} after the conversation started")
        if role == "assistant" and "user" not in roles:
            raise Invalid(f"{here}.role", "roles out of order: assistant speaks before any user turn")
        if role in ("tool", "function") and previous not in ("assistant", "tool", "function"):
            raise Invalid(f"{here}.role", f"roles out of order: {role!r} does not follow an assistant tool call")
        if role == "tool" and not isinstance(message.get("tool_call_id"), str):
            raise Invalid(f"{here}.tool_call_id", "missing: a tool message names the call it answers" if "tool_call_id" not in message
                          else f"expected the id of the call it answers (a string), got {json_type(message['tool_call_id'])}")
        if role == "tool" and message["tool_call_id"] not in call_ids:
            raise Invalid(f"{here}.tool_call_id", f"{quoted(message['tool_call_id'])} answers no earlier tool call "
                                                  f"(ids called: {', '.join(quoted(c) for c in sorted(call_ids)[:8]) or 'none'})")
        if role == "function" and "name" not in message:
            # OpenAI's format (the only one with this legacy role) requires it: the function whose result this is.
            raise Invalid(f"{here}.name", "missing: a function message names the function whose result it holds")
        if role == "assistant":
            check_calls(message, here)
            call_ids.update(c["id"] for c in message.get("tool_calls") or () if isinstance(c.get("id"), str))
        roles.append(role)
        if calls:
            key = "tool_calls" if message.get("tool_calls") else "function_call"
            text = join([text or "", calls_text(calls, f"{here}.{key}")])
        kind = "system" if role in PREAMBLE_ROLES else "tool" if role in ("tool", "function") else role
        turns.append(Turn(kind, text or "", _name(message, here)))
        weights.append(weight)
    if "user" not in roles:
        raise Invalid(field, "no user turn")
    return turns, weights


def _known(value: Any, names: set[str] | dict[str, str]) -> bool:
    return isinstance(value, str) and value in names


def _split_at_target(turns: list[Turn], weights: list[float], field: str, role: str, what: str, added: int = 0) -> Parsed:
    """Input: every turn before the last trained assistant turn; target: that turn and assistant turns just before it.

    added: turns placed before the file's list (a top-level system prompt), left out of the places named."""
    if role != "train" and turns[-1].role != "assistant":
        query, context = apart(turns)
        return Parsed(join([t.seen for t in turns]), preamble=preamble(turns), query=query, context=context)  # awaiting its reply
    if not any(t.role == "assistant" for t in turns):
        raise Invalid(field, f"no {what} turn: a training example needs the {what}'s reply as its target")
    if turns[-1].role != "assistant":
        raise Invalid(f"{field}[{len(turns) - 1 - added}]", f"roles out of order: the conversation ends with {turns[-1].role!r}, "
                                                     f"not the {what}'s reply")
    trained = [i for i, t in enumerate(turns) if t.role == "assistant" and weights[i]]
    if not trained:
        raise Invalid(field, "every assistant turn has weight 0: nothing to train on")
    end = trained[-1]
    if end != len(turns) - 1:  # as a trailing user turn is: what follows the last trained reply is never learned
        raise Invalid(f"{field}[{len(turns) - 1 - added}].weight", "the conversation ends with an assistant turn of weight 0, "
                                                                   "after the last reply trained on; drop it or give it weight 1")
    start = end
    while start > 0 and turns[start - 1].role == "assistant" and weights[start - 1]:
        start -= 1
    query, context = apart(turns[:start])
    return Parsed(join([t.seen for t in turns[:start]]), join([t.text for t in turns[start:end + 1]]),
                  preamble=preamble(turns[:start]), query=query, context=context)


def check_tools(value: Any, field: str) -> None:
    """`tools` beside the messages (OpenAI), or its legacy `functions`: absent, null or a list of definitions
    (objects)."""
    if value is None:
        return
    if not isinstance(value, list):
        raise Invalid(field, f"expected a list of tool definitions, got {json_type(value)}")
    for i, tool in enumerate(value):
        if not isinstance(tool, dict):
            raise Invalid(f"{field}[{i}]", f"expected a tool definition (an object), got {json_type(tool)}")


def _without_nulls(value: Any) -> Any:
    """A tool definition as JSON holds it: a Parquet struct's absent keys (null) left out, arrays as lists."""
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        value = value.tolist()
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_without_nulls(v) for v in value]
    return value


def tools_turns(tools: Any, functions: Any = None) -> list[Turn]:
    """The tool set a conversation offers as one system turn, `[tools 1a2b3c4d5e6f]`: a digest of its definitions,
    so that equal messages under other tools are other inputs (the model is told what it may call, and a reply
    calling reject_request is right where nothing else is offered) while excerpts, queries and embeddings do not
    fill with schema JSON. A set: the order of the definitions and the legacy `functions` spelling (each the
    `function` of a tool; a `tools` entry that is a bare function, as LLaMA-Factory and Hugging Face chat
    templates take them, is read so too) do not make another input. [] where none is offered."""
    return tools_turn(tools_text(tools, functions))


def tools_turn(definitions: str) -> list[Turn]:
    """tools_turns of a tool set already written as tools_text."""
    if not definitions:
        return []
    return [Turn("system", f"{TOOLS_TURN_OPEN}{_digest(definitions)}]")]


TOOLS_TURN_OPEN = "[tools "  # how tools_turns' digest turn starts


def tools_text(tools: Any, functions: Any = None) -> str:
    """The tool set offered as canonical JSON (one definition a line, sorted, each in OpenAI's `tools` spelling):
    what tools_turns digests, and the text a trainer renders the definitions from (size counts it in the digest's
    place). "" where none is offered."""
    definitions = [*(d if not isinstance(d, dict) or "function" in d or "name" not in d else {"type": "function", "function": d}
                     for d in tools or ()),
                   *({"type": "function", "function": f} for f in functions or ())]
    return "\n".join(sorted({json.dumps(_without_nulls(d), sort_keys=True, ensure_ascii=False, default=_json_value)
                              for d in definitions}))


def tool_definitions(definitions: str) -> list[dict]:
    """The definitions of a tools_text, each in OpenAI's `tools` spelling ([] for ""). Split at "\n" alone: JSON
    escapes a newline inside a string, but not U+2028 or U+0085, where str.splitlines would split too."""
    return [json.loads(line) for line in definitions.split("\n")] if definitions else []


def offered_tools(obj: Any) -> str:
    """tools_text of a parsed line's tools wherever a reader takes them (`tools` / `functions` beside the messages,
    a column holding them as a JSON string, or an OpenAI DPO line's `input`); "" where there are none or they are
    not well formed (the reader refused those lines)."""
    if not isinstance(obj, Mapping):
        return ""
    given = obj.get("input")
    source = given if isinstance(given, Mapping) and "tools" not in obj and "functions" not in obj else obj
    try:
        return offered_set(source)[1]
    except Invalid:
        return ""


def without_tools_turn(input_text: str) -> str:
    """An input without the digest turn tools_turns opens it with (what a tokeniser should not count as words)."""
    if not input_text.startswith(TOOLS_TURN_OPEN):
        return input_text
    end = input_text.find("]")
    return input_text[end + 1:].removeprefix("\n") if end == len(TOOLS_TURN_OPEN) + 12 else input_text


def _tool_list(value: Any, field: str) -> list | None:
    """`tools` or `functions` as a row holds them: a list of definitions, or (Hugging Face datasets, LLaMA-Factory:
    an Arrow column cannot hold schemas that differ per row) a string holding that list as JSON."""
    if isinstance(value, str):
        if is_blank(value):
            return None
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):
            raise Invalid(field, "is not valid JSON (expected a list of tool definitions, or a string holding one)") from None
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        value = value.tolist()
    check_tools(value, field)
    return value


def offered_set(obj: Mapping) -> tuple[list[Turn], str]:
    """(the tools turn, the tool set as tools_text) of a row that offers `tools` (or `functions`), validated as a
    chat's are; ([], "") where it offers none. The text goes on the record (Parsed.tools): what the size and tokens
    checks count in the digest's place, for every shape, where the row itself is not kept."""
    definitions = tools_text(_tool_list(obj.get("tools"), "tools"), _tool_list(obj.get("functions"), "functions"))
    return tools_turn(definitions), definitions


def check_parallel_tool_calls(value: Any, field: str) -> None:
    if value is not None and not isinstance(value, bool):
        raise Invalid(field, f"expected true or false, got {json_type(value)}")


def read_chat(obj: dict, f: FieldsConfig, role: str) -> Parsed:
    field = f.messages or "messages"
    if field not in obj:
        raise Invalid(field, "missing")
    offered, tools = offered_set(obj)  # a list, or the JSON string Hugging Face datasets store it as (as TRL's rows)
    check_parallel_tool_calls(obj.get("parallel_tool_calls"), "parallel_tool_calls")
    turns, weights = _chat_turns(obj[field], field, obj)
    parsed = _split_at_target(offered + turns, [1] * len(offered) + weights, field, role, "assistant", added=len(offered))
    return replace(parsed, tools=tools) if tools else parsed


# ---------------------------------------------------------------------------------------------------
# sharegpt


def _sharegpt_roles(f: FieldsConfig) -> dict[str, str]:
    roles = dict(SHAREGPT_ROLES)
    for tag, kind in ((f.user_tag, "user"), (f.assistant_tag, "assistant"), (f.system_tag, "system"),
                      (f.observation_tag, "tool"), (f.function_tag, "assistant")):
        if tag:
            roles[tag] = kind
    return roles


def _sharegpt_field(obj: dict, f: FieldsConfig) -> str:
    if f.messages:
        return f.messages
    return "conversations" if "conversations" in obj else "messages"


def _turn_tags(turns: list, f: FieldsConfig) -> tuple[str, str]:
    if f.role_tag or f.content_tag:
        return f.role_tag or "from", f.content_tag or "value"
    first = next((t for t in turns if isinstance(t, dict)), {})
    return ("from", "value") if "from" in first or "value" in first else ("role", "content")


def _json_or_text(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except (ValueError, RecursionError):
            return value
    return value


def read_sharegpt(obj: dict, f: FieldsConfig, role: str) -> Parsed:
    field = _sharegpt_field(obj, f)
    raw_turns = nonempty_list(obj.get(field), field, "turns")
    role_tag, content_tag = _turn_tags(raw_turns, f)
    names = _sharegpt_roles(f)
    turns, tools = offered_set(obj)  # LLaMA-Factory's `tools` column: a JSON string of the functions
    system = obj.get(f.system)
    if not is_missing(system):
        turns.append(Turn("system", scalar_text(system, f.system)))
    for i, item in enumerate(raw_turns):
        here = f"{field}[{i}]"
        if not isinstance(item, dict):
            raise Invalid(here, f"expected an object, got {json_type(item)}")
        speaker = item.get(role_tag)
        if not _known(speaker, names):
            raise Invalid(f"{here}.{role_tag}", f"unknown speaker {quoted(speaker)} (expected one of {', '.join(sorted(names))}; "
                                                "map others with fields.user_tag / assistant_tag / ...)")
        if content_tag not in item:
            raise Invalid(f"{here}.{content_tag}", "missing")
        kind = names[speaker]
        value = item[content_tag]
        if speaker == (f.function_tag or "function_call"):
            text = calls_text(_json_or_text(value), f"{here}.{content_tag}")
        else:
            text = scalar_text(value, f"{here}.{content_tag}", allow_empty=kind == "tool")
        if kind == "system" and any(t.role != "system" for t in turns):
            raise Invalid(f"{here}.{role_tag}", "roles out of order: system after the conversation started")
        if kind == "assistant" and not any(t.role == "user" for t in turns):
            raise Invalid(f"{here}.{role_tag}", "roles out of order: gpt speaks before any human turn")
        turns.append(Turn(kind, text))
    if not any(t.role == "user" for t in turns):
        raise Invalid(field, "no human turn")
    parsed = _split_at_target(turns, [1] * len(turns), field, role, "gpt", added=len(turns) - len(raw_turns))
    return replace(parsed, tools=tools) if tools else parsed


# ---------------------------------------------------------------------------------------------------
# prompt / completion, and the TRL conversational form (lists of messages)


def _completion_text(value: Any, field: str, attached: Mapping | None = None) -> str:
    """A completion given as a string, or as messages (TRL's conversational form): the model's turns only (tool
    results between its calls allowed), ending with its answer; the target is the assistant turns' text. A user
    turn here was once left out unread, its record kept with an empty target (or blamed on `target`)."""
    if not isinstance(value, list):
        return scalar_text(value, field)
    turns, raw = _loose_turns(value, field, attached)
    for i, turn in enumerate(turns):
        if turn.role not in REPLY_ROLES:
            raise Invalid(f"{field}[{i}].role", f"a completion holds the assistant's reply, got {raw[i]['role']!r}")
    if turns[-1].role != "assistant":
        raise Invalid(f"{field}[{len(turns) - 1}].role", f"the completion ends with a {turns[-1].role!r} turn, not the "
                                                         "assistant's answer")
    return join([t.text for t in turns if t.role == "assistant"])


def _loose_turns(value: list, field: str, attached: Mapping | None = None) -> tuple[list[Turn], list[dict]]:
    """Message lists inside prompt / completion / chosen / rejected: roles and texts, no ordering rules.
    attached: the row (its media columns, which an image part points into; each list takes them from the first)."""
    turns: list[Turn] = []
    taken: dict[str, int] = {}
    for i, message in enumerate(value):
        here = f"{field}[{i}]"
        if not isinstance(message, dict):
            raise Invalid(here, f"expected an object, got {json_type(message)}")
        message = {k: v for k, v in message.items() if v is not None}
        role = message.get("role")
        if not _known(role, CHAT_ROLES):
            raise Invalid(f"{here}.role", "missing" if role is None else f"unknown role {quoted(role)}")
        text = _content_text(message.get("content"), f"{here}.content", media=role != "assistant", attached=attached,
                             taken=taken)
        calls = message.get("tool_calls") or message.get("function_call")
        if role == "assistant":
            check_calls(message, here)
        if calls:
            text = join([text or "", calls_text(calls, f"{here}.tool_calls")])
        if not text or is_blank(text):
            raise Invalid(f"{here}.content", "missing" if text is None else "is empty")
        turns.append(Turn("system" if role in PREAMBLE_ROLES else role, text, _name(message, here)))
    if not turns:
        raise Invalid(field, "is empty")
    return turns, value


def _prompt_parts(obj: dict, f: FieldsConfig) -> Parsed:
    """The input (its preamble, query, context and tools) of an explicit prompt, string or messages, opened by the
    tools turn of the row's `tools` column (TRL) as a chat's input is, so one conversation in either shape is one
    input."""
    offered, tools = offered_set(obj)
    value = obj[f.prompt]
    if isinstance(value, list):
        turns = offered + _loose_turns(value, f.prompt, obj)[0]
        query, context = apart(turns)
        return Parsed(join([t.seen for t in turns]), preamble=preamble(turns), query=query, context=context, tools=tools)
    lead = join([t.seen for t in offered])
    return Parsed(join([lead, scalar_text(value, f.prompt)]), preamble=lead, tools=tools)


def read_prompt_completion(obj: dict, f: FieldsConfig, role: str) -> Parsed:
    if f.prompt not in obj:
        raise Invalid(f.prompt, "missing")
    prompt = _prompt_parts(obj, f)
    if role == "production" and f.completion not in obj:
        return prompt
    if f.completion not in obj:
        raise Invalid(f.completion, "missing")
    return replace(prompt, target=_completion_text(obj[f.completion], f.completion, obj))


def read_unpaired_preference(obj: dict, f: FieldsConfig, role: str) -> Parsed:
    base = read_prompt_completion(obj, f, role)
    desirable = obj.get(f.label)
    if not isinstance(desirable, bool):
        raise Invalid(f.label, f"expected true or false (desirable or not), got {json_type(desirable)}")
    return replace(base, desirable=desirable, target_is_class=False)


# ---------------------------------------------------------------------------------------------------
# text (+ a second text) + label


def text_fields(obj: dict, f: FieldsConfig, text_field: str) -> tuple[str, str | None]:
    if f.text_pair:
        return text_field, f.text_pair
    for first, second in KNOWN_PAIRS:
        if first == text_field and first in obj and second in obj:
            return first, second
    if text_field not in obj:
        for first, second in KNOWN_PAIRS:
            if first in obj and second in obj:
                return first, second
    return text_field, None


def near_name(obj: Mapping, wanted: str) -> str:
    """A clause naming the record's field that is `wanted` but for case or surrounding spaces (`Text`, `text `),
    with its spaces counted, as a quoted excerpt does not show them; "" when none is."""
    folded = wanted.strip().casefold()
    near = next((key for key in map(str, obj) if key != wanted and key.strip().casefold() == folded), None)
    if near is None:
        return ""
    spaces = [f"{n} {side} space{'s' if n > 1 else ''}" for n, side in
              ((len(near) - len(near.lstrip()), "leading"), (len(near) - len(near.rstrip()), "trailing")) if n]
    held = f" (with {' and '.join(spaces)})" if spaces else ""
    return (f"; field {quoted(near)}{held} differs from {quoted(wanted)} only in case or surrounding spaces: name it "
            "exactly, or rename the column")


def fields_shown(obj: Mapping) -> str:
    """The record's field names for an error that says a field is missing: naming them turns a misspelt flag (or
    a nested field) into a one-step fix. The names are data too: excerpts (a key can hold an e-mail, a token or
    70,000 characters)."""
    return (", ".join(key_name(name) for name in sorted(map(str, obj))[:8]) + (", ..." if len(obj) > 8 else "")) or "none"


def read_text(obj: dict, f: FieldsConfig, role: str, text_field: str = "text") -> Parsed:
    first, second = text_fields(obj, f, text_field)
    if first not in obj:
        raise Invalid(first, f"missing (the record's fields: {fields_shown(obj)}){near_name(obj, first)}")
    parts = [scalar_text(obj[first], first)]
    if second is not None:
        if second not in obj:
            raise Invalid(second, "missing (the second text of a pair)")
        parts.append(scalar_text(obj[second], second))
    return Parsed(join(parts))


# ---------------------------------------------------------------------------------------------------
# alpaca


def read_alpaca(obj: dict, f: FieldsConfig, role: str) -> Parsed:
    # As turns, so that a history's earlier replies stay in the input but out of the query, as a chat's do.
    turns: list[Turn] = []
    if not is_missing(obj.get(f.system)):
        turns.append(Turn("system", scalar_text(obj[f.system], f.system)))
    history = obj.get(f.history)
    if not is_missing(history):
        if not isinstance(history, list):
            raise Invalid(f.history, f"expected a list of [instruction, response] pairs, got {json_type(history)}")
        for i, pair in enumerate(history):
            if not isinstance(pair, list) or len(pair) != 2:
                raise Invalid(f"{f.history}[{i}]", "expected an [instruction, response] pair")
            turns += [Turn("user", scalar_text(pair[0], f"{f.history}[{i}][0]")),
                      Turn("assistant", scalar_text(pair[1], f"{f.history}[{i}][1]"))]
    if f.instruction not in obj:
        raise Invalid(f.instruction, "missing")
    instruction = scalar_text(obj[f.instruction], f.instruction, allow_empty=True)
    extra = scalar_text(obj[f.input], f.input, allow_empty=True) if not is_missing(obj.get(f.input)) else ""
    if is_blank(instruction) and is_blank(extra):
        raise Invalid(f.instruction, "is empty (and so is the input)")
    turns += [Turn("user", instruction), Turn("user", extra)]
    text, lead = join([t.text for t in turns]), preamble(turns)
    query, context = apart(turns)
    if role == "production" and f.output not in obj:
        return Parsed(text, preamble=lead, query=query, context=context)
    if f.output not in obj:
        raise Invalid(f.output, "missing")
    return Parsed(text, scalar_text(obj[f.output], f.output), preamble=lead, query=query, context=context)


# ---------------------------------------------------------------------------------------------------
# preference pairs (DPO and its kin), explicit or implicit prompt


def _common_length(first: str, second: str) -> int:
    """How many leading characters two texts share, found by comparing slices (in C) in a binary search: a
    character loop in Python (os.path.commonprefix's too) took ~14 s over HH-RLHF's 160k pairs of ~1.6k
    characters. Each step compares only the part not yet known equal, so the search reads each text about once."""
    known, most = 0, min(len(first), len(second))  # first[:known] == second[:known]; they part at or before most
    while known < most:
        middle = (known + most + 1) // 2
        if first[known:middle] == second[known:middle]:
            known = middle
        else:
            most = middle - 1
    return known


def _shared_prefix(chosen: str, rejected: str) -> int:
    """Where chosen and rejected part, backed off to a word boundary (as TRL's extract_prompt does)."""
    end = _common_length(chosen, rejected)
    while end > 0 and not chosen[end - 1].isspace():
        end -= 1
    return end


# Anthropic HH-RLHF's implicit form: each side is the whole conversation, "\n\nHuman: q\n\nAssistant: reply".
HH_MARKER = re.compile(r"\n\n(Human|Assistant):")
HH_ROLES = {"Human": "user", "Assistant": "assistant"}
HH_REPLY = "\n\nAssistant:"


def _hh_prompt_end(chosen: str, rejected: str) -> int:
    """Where the reply starts in an HH pair: after the last "\n\nAssistant:" both sides share; 0 when the pair is
    not in HH's form. Their shared leading words end inside the reply wherever two replies open alike ("Regarding
    your request..."), which put the reply's opening into the prompt and left the two replies as their tails."""
    if not all(text.startswith(("\n\nHuman:", "Human:")) for text in (chosen, rejected)):
        return 0
    shared = _common_length(chosen, rejected)
    marker = chosen.rfind(HH_REPLY, 0, shared)
    return 0 if marker < 0 else marker + len(HH_REPLY)


def _hh_turns(prompt: str) -> list[Turn]:
    """An HH prompt's turns, role markers left out as a chat's role names are; the empty assistant turn that ends
    it is where the reply goes."""
    pieces = HH_MARKER.split("\n\n" + prompt if prompt.startswith("Human:") else prompt)
    # pieces: text before the first marker (empty in HH's form), then (speaker, text) for each turn
    return [Turn(HH_ROLES[speaker], text.strip()) for speaker, text in zip(pieces[1::2], pieces[2::2])
            if not is_blank(text)]


OPENAI_PREFERENCE_KEYS = ("preferred_output", "non_preferred_output")


def _is_openai_preference(obj: dict, f: FieldsConfig) -> bool:
    return f.chosen not in obj and f.rejected not in obj and any(key in obj for key in OPENAI_PREFERENCE_KEYS)


def read_openai_preference(obj: dict, f: FieldsConfig, role: str) -> Parsed:
    """OpenAI's DPO lines: `input` {`messages`, optional `tools`, `parallel_tool_calls`} is the prompt (read as a
    chat's turns are), and the assistant messages of `preferred_output` / `non_preferred_output` are chosen /
    rejected."""
    given = obj.get("input")
    if not isinstance(given, dict):
        raise Invalid("input", "missing" if given is None else f"expected an object holding messages, got {json_type(given)}")
    if "messages" not in given:
        raise Invalid("input.messages", "missing")
    check_tools(given.get("tools"), "input.tools")
    check_tools(given.get("functions"), "input.functions")
    check_parallel_tool_calls(given.get("parallel_tool_calls"), "input.parallel_tool_calls")
    turns, _ = _chat_turns(given["messages"], "input.messages")
    sides = []
    for key in OPENAI_PREFERENCE_KEYS:
        output, _ = _loose_turns(nonempty_list(obj.get(key), key, "assistant messages"), key)
        if not any(t.role == "assistant" for t in output):
            raise Invalid(key, "holds no assistant message")
        # OpenAI's (and Together's) DPO format takes one assistant message per output, its tool calls inside it: a
        # user turn here was once dropped silently, its record kept as if the output were the assistant's alone.
        other = next((i for i, t in enumerate(output) if t.role != "assistant"), None)
        if other is not None:
            raise Invalid(f"{key}[{other}].role", f"a {output[other].role!r} message: an output holds the assistant's "
                                                  "reply only (the conversation before it belongs in input.messages)")
        if len(output) > 1:
            raise Invalid(key, f"holds {len(output)} assistant messages: an output is exactly one assistant message")
        sides.append(output[0].text)
    tools = tools_text(given.get("tools"), given.get("functions"))
    turns = tools_turn(tools) + turns
    query, context = apart(turns)
    return Parsed(join([t.seen for t in turns]), sides[0], sides[1], target_is_class=False, preamble=preamble(turns),
                  query=query, context=context, tools=tools)


REPLY_ROLES = ("assistant", "tool", "function")  # the turns a chosen or rejected reply may hold


def _reply_turns(turns: list[Turn], field: str, start: int = 0, *, parted: bool = False) -> None:
    """A chosen or rejected reply given as messages (from turn `start` of its list): the model's turns only,
    tool results between its calls allowed, ending with the assistant's answer. A user turn inside it would be
    trained as the model's own words, and a pair whose conversations part before the last reply compares
    replies to two different conversations. parted: `start` is where the two whole conversations of a pair
    part, so a turn there that is not the model's means they parted before the reply (one system prompt
    shared, then two different user questions)."""
    for i, turn in enumerate(turns[start:], start):
        if turn.role not in REPLY_ROLES and parted:
            raise Invalid(f"{field}[{i}]", f"chosen and rejected differ before the final assistant reply (from "
                                           f"turn {start}): a pair compares two replies to one conversation")
        if turn.role not in REPLY_ROLES:
            raise Invalid(f"{field}[{i}].role", f"a {turn.role!r} turn inside the reply: chosen and rejected hold the "
                                                "assistant's reply only (the conversation before it is the prompt)")
    if turns[-1].role != "assistant":
        raise Invalid(f"{field}[{len(turns) - 1}].role", f"the reply ends with a {turns[-1].role!r} turn, not the "
                                                         "assistant's answer")


def _reply_text(value: Any, field: str, attached: Mapping | None = None) -> str:
    if isinstance(value, list):
        turns, _ = _loose_turns(value, field, attached)
        _reply_turns(turns, field)
        return join([t.text for t in turns])
    return scalar_text(value, field)


def read_preference(obj: dict, f: FieldsConfig, role: str) -> Parsed:
    if _is_openai_preference(obj, f):
        return read_openai_preference(obj, f, role)
    for key in (f.chosen, f.rejected):
        if key not in obj:
            raise Invalid(key, "missing")
    chosen, rejected = obj[f.chosen], obj[f.rejected]
    if not is_missing(obj.get(f.prompt)):
        return replace(_prompt_parts(obj, f), target=_reply_text(chosen, f.chosen, obj),
                       rejected=_reply_text(rejected, f.rejected, obj), target_is_class=False)
    if isinstance(chosen, list) and isinstance(rejected, list):
        chosen_turns, chosen_raw = _loose_turns(chosen, f.chosen, obj)
        rejected_turns, rejected_raw = _loose_turns(rejected, f.rejected, obj)
        shared = 0
        while shared < min(len(chosen_raw), len(rejected_raw)) - 1 and chosen_raw[shared] == rejected_raw[shared]:
            shared += 1
        if shared == 0:
            raise Invalid(f.prompt, "missing, and chosen and rejected share no leading turns to take as the prompt")
        for turns, key in ((chosen_turns, f.chosen), (rejected_turns, f.rejected)):
            _reply_turns(turns, key, shared, parted=True)
        offered, tools = offered_set(obj)
        prompt = offered + chosen_turns[:shared]
        query, context = apart(prompt)
        return Parsed(join([t.seen for t in prompt]), join([t.text for t in chosen_turns[shared:]]),
                      join([t.text for t in rejected_turns[shared:]]), target_is_class=False,
                      preamble=preamble(prompt), query=query, context=context, tools=tools)
    chosen_text, rejected_text = scalar_text(chosen, f.chosen), scalar_text(rejected, f.rejected)
    offered, tools = offered_set(obj)  # the same tools key a string pair as the conversation given as messages
    end = _hh_prompt_end(chosen_text, rejected_text)
    if end:  # read as the same conversation given as messages would be: user turns the query, replies its context
        turns = _hh_turns(chosen_text[:end])
        if not any(t.role == "user" for t in turns):
            raise Invalid(f.prompt, "missing, and chosen and rejected share no human turn to take as the prompt")
        turns = offered + turns
        query, context = apart(turns)
        # An empty reply is refused as an explicit pair's is: a pair needs two replies to compare.
        return Parsed(join([t.seen for t in turns]), scalar_text(chosen_text[end:].lstrip(), f.chosen),
                      scalar_text(rejected_text[end:].lstrip(), f.rejected), target_is_class=False,
                      preamble=preamble(turns), query=query, context=context, tools=tools)
    end = _shared_prefix(chosen_text, rejected_text)
    if end == 0 or is_blank(chosen_text[:end]):
        raise Invalid(f.prompt, "missing, and chosen and rejected share no leading text to take as the prompt")
    lead = join([t.seen for t in offered])
    return Parsed(join([lead, chosen_text[:end].strip()]), scalar_text(chosen_text[end:], f.chosen),
                  scalar_text(rejected_text[end:], f.rejected), target_is_class=False, preamble=lead, tools=tools)


# ---------------------------------------------------------------------------------------------------
# detection

Reader = Callable[[dict, FieldsConfig, str], Parsed]
READERS: dict[str, Reader] = {
    "chat": read_chat, "prompt_completion": read_prompt_completion, "text": read_text, "alpaca": read_alpaca,
    "sharegpt": read_sharegpt, "preference": read_preference, "unpaired_preference": read_unpaired_preference,
}


def _looks_sharegpt(turns: Any, f: FieldsConfig) -> bool:
    if not isinstance(turns, list):
        return False
    first = next((t for t in turns if isinstance(t, dict)), None)
    return first is not None and (f.role_tag or "from") in first


def detect(obj: dict, f: FieldsConfig) -> str | None:
    """The format of one record, from the fields it has; None when no reader knows it. A CSV row's empty cells
    (files.CsvRow) are its nulls: the format is told by the cells it fills where they make one (a text + label row
    of a file that also has prompt and completion columns), by every column where they do not (a row left empty)."""
    if f.format:
        if f.format not in READERS:
            raise ConfigError(f"fields.format: {f.format!r} is not one of {', '.join(FORMAT_NAMES)}")
        return f.format
    empty = getattr(obj, "empty", None)
    if empty:
        filled = _detected({key: value for key, value in obj.items() if key not in empty}, f)
        if filled is not None:
            return filled
    return _detected(obj, f)


def _detected(obj: dict, f: FieldsConfig) -> str | None:
    if f.chosen in obj or f.rejected in obj or _is_openai_preference(obj, f):
        return "preference"
    if f.messages and f.messages in obj:
        return "sharegpt" if _looks_sharegpt(obj[f.messages], f) else "chat"
    if "conversations" in obj:
        return "sharegpt"
    if "messages" in obj:
        return "sharegpt" if _looks_sharegpt(obj["messages"], f) else "chat"
    if f.instruction in obj and (f.output in obj or f.input in obj):
        return "alpaca"
    if f.prompt in obj or f.completion in obj:
        return "unpaired_preference" if isinstance(obj.get(f.label), bool) else "prompt_completion"
    if "text" in obj or any(a in obj and b in obj for a, b in KNOWN_PAIRS):
        return "text"
    return None

