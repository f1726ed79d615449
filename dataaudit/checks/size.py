"""Size: how many usable examples there are, and how long inputs and targets are in tokens.

Owns the `scale` condition, which also reads the balance (rare labels) and duplicates (usable after
de-duplication) results.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ..config import Config, FieldsConfig, SizeConfig
from ..digits import bound_text, value_text
from ..excerpt import LABEL_WIDTH, distinct_texts
from ..load.readers import READERS, without_tools_turn
from ..load.records import Dataset, Record
from ..tokens import TokenCounter, load_token_counter
from .base import AuditContext, Check, Finding, Status
from .tokens import resolve_target

MAX_LINES_LISTED = 100


@dataclass(frozen=True)
class TokenStats:
    min: int
    median: float
    p95: float
    max: int
    total: int
    mean: float


@dataclass(frozen=True)
class OverContext:
    file: str
    line: int
    tokens: int


@dataclass(frozen=True)
class SizeResult:
    examples: int  # valid records (items)
    # Examples with a non-empty input, before de-duplication (this check never sees duplicates). The scale
    # condition and every rendered "usable" read DuplicatesResult.usable (after de-duplication) when that check
    # ran, this only when it did not; the report keeps both, as checks.size.usable and checks.duplicates.usable.
    usable: int
    tokenizer: str
    input_tokens: TokenStats | None
    target_tokens: TokenStats | None
    context_limit: int
    # Examples over context_limit in these WordPiece counts; None where a target model with a training limit is
    # named: length is then judged once, in the model's own tokens, by the tokens check (length_judged_by).
    over_context: int | None
    over_context_examples: list[OverContext]
    # distinct texts with words the WordPiece counter cannot read (Thai, emoji, a word over its 100-character
    # limit), each counted as the larger of its WordPiece and o200k_base counts (tokens._recount)
    recounted: int = 0
    # Examples the loader cut to MAX_TEXT_CHARS: counted whole where their whole text could be read again
    # (Record.uncut, or a chat line's kept source), else on the cut text: cut_counted says how many such
    # counts are floors.
    cut_examples: int = 0
    cut_counted: int = 0
    length_judged_by: str = ""  # the target model whose training limit judges length (checks.tokens); "" = context_limit here
    input_token_counts: list[int] = field(default_factory=list, repr=False, metadata={"json": False})  # for plots
    target_token_counts: list[int] = field(default_factory=list, repr=False, metadata={"json": False})


def _stats(counts: list[int]) -> TokenStats | None:
    if not counts:
        return None
    values = np.asarray(counts)
    return TokenStats(int(values.min()), float(np.median(values)), float(np.percentile(values, 95)),
                      int(values.max()), int(values.sum()), round(float(values.mean()), 2))


# The most characters of one text the size check counts: past it a count is a floor (cut_counted says how many),
# as one 80 MB example counted whole took 160 s and 11 GB; a million characters is far past any training limit.
MAX_COUNTED_CHARS = 1_000_000


def whole_texts(record: Record) -> tuple[str, str | None, bool]:
    """(input, target, whether they are whole): the texts a trainer reads, up to MAX_COUNTED_CHARS each. The
    loader cuts a text at MAX_TEXT_CHARS for embedding and comparison and keeps the uncut one (`Record.uncut`),
    except for a record whose parsed source it keeps (a chat line, an OpenAI DPO line): that one is read again
    from its source."""
    if not record.truncated:
        return record.input_text, record.target, True
    if record.uncut is not None:
        return _counted(record.uncut[0], record.uncut[1])
    reader = READERS.get(record.format)
    if isinstance(record.raw, dict) and reader is not None:
        try:
            parsed = reader(record.raw, FieldsConfig(), "train")
        except Exception:  # a source read under other field names than the defaults: counted cut, and said
            return record.input_text, record.target, False
        return _counted(parsed.input_text, parsed.target)
    return record.input_text, record.target, False


def _counted(text: str, target: str | None) -> tuple[str, str | None, bool]:
    whole = len(text) <= MAX_COUNTED_CHARS and (target is None or len(target) <= MAX_COUNTED_CHARS)
    return text[:MAX_COUNTED_CHARS], None if target is None else target[:MAX_COUNTED_CHARS], whole


def counted_input(record: Record) -> tuple[str, str]:
    """(the input as its words are counted, the tools it offers as JSON, "" for none). The `[tools 1a2b3c4d5e6f]`
    turn that opens an input offering tools is the loader's key, a hash no model reads: the definitions are what a
    trainer renders into the prompt (a chat template writes them as JSON) and what OpenAI bills, so they are
    counted in its place (Record.tools, in every shape: a TRL or ShareGPT row keeps no source line, and its tools
    went uncounted). An input that offers none is counted whole, one that starts as a digest does too. The
    input is the uncut one (`whole_texts`): a 376,263-character turn counted on its first 100,000 characters
    read as 18,594 tokens of its 70,000."""
    text = whole_texts(record)[0]
    if record.tools is None:
        return text, ""
    return without_tools_turn(text), record.tools


def counted_texts(records: list[Record], inputs: list[tuple[str, str]] | None = None) -> list[str]:
    """Every distinct text token_lengths counts: inputs (as counted; inputs: their counted_input where known),
    tool sets and targets."""
    inputs = inputs if inputs is not None else [counted_input(r) for r in records]
    targets = [whole_texts(r)[1] for r in records]
    return list(dict.fromkeys([text for text, _ in inputs] + [tools for _, tools in inputs if tools]
                              + [t for t in targets if t is not None]))


def token_lengths(records: list[Record], tokens: TokenCounter) -> list[tuple[int, int | None]]:
    """(input tokens, target tokens or None without a target) of each record, its tools (counted_input) among
    its input's. Each distinct string is tokenised once: a classification set's targets are a few labels repeated
    on every record, a tool set is the same on many."""
    inputs = [counted_input(r) for r in records]
    targets = [whole_texts(r)[1] for r in records]
    distinct = counted_texts(records, inputs)
    count_of = dict(zip(distinct, tokens.count(distinct)))
    return [(count_of[text] + (count_of[tools] if tools else 0), None if target is None else count_of[target])
            for (text, tools), target in zip(inputs, targets)]


@functools.lru_cache(maxsize=2)
def _counter(model_path: str | None) -> TokenCounter:
    return load_token_counter(model_path)


def file_token_lengths(records: list[Record], model_path: str | None) -> list[tuple[int, int | None]]:
    """The map step, run where a file's records lie (tokenising is this check's CPU cost)."""
    return token_lengths(records, _counter(model_path))


def measure_size(dataset: Dataset, tokens: TokenCounter, config: SizeConfig,
                 lengths: list[tuple[int, int | None]] | None = None, *, length_judged_by: str = "") -> SizeResult:
    """lengths: token_lengths of every record when an engine already counted them. length_judged_by: the target
    model whose own training limit the tokens check holds examples to; context_limit is then not applied."""
    records = dataset.records
    lengths = lengths if lengths is not None else token_lengths(records, tokens)
    input_counts = [n for n, _ in lengths]
    target_counts = [t for _, t in lengths if t is not None]
    per_record = [n + (t or 0) for n, t in lengths]
    over = ([] if length_judged_by else
            [OverContext(records[i].source, records[i].line, n) for i, n in enumerate(per_record) if n > config.context_limit])
    return SizeResult(
        examples=len(records),
        usable=sum(1 for r in records if r.input_text.strip()),
        tokenizer=tokens.name,
        input_tokens=_stats(input_counts),
        target_tokens=_stats(target_counts),
        context_limit=config.context_limit,
        over_context=None if length_judged_by else len(over),
        over_context_examples=over[:MAX_LINES_LISTED],
        length_judged_by=length_judged_by,
        cut_examples=sum(r.truncated for r in records),
        cut_counted=sum(not whole_texts(r)[2] for r in records if r.truncated),
        input_token_counts=input_counts,
        target_token_counts=target_counts,
    )


def _measure(ctx: AuditContext) -> SizeResult:
    model = ctx.config.embeddings.model
    model_path = model if model and Path(model).is_dir() else None
    lengths = ctx.steps.map_records(ctx.train.dataset, file_token_lengths, model_path)
    counter = _counter(model_path)
    result = measure_size(ctx.train.dataset, counter, ctx.config.size, lengths, length_judged_by=length_judge(ctx))
    if counter.recounts is not None:
        result = replace(result, recounted=sum(counter.recounts(counted_texts(ctx.train.records))))
    return result


def length_judge(ctx: AuditContext) -> str:
    """The target model that judges example length, where one with a training limit is named: a fixed
    WordPiece context limit beside it would judge the same examples twice, against two different limits."""
    target = resolve_target(ctx.config.section("tokens"))
    return target.name if target is not None and target.example_limit is not None else ""


def usable_examples(size: SizeResult, duplicates) -> int:
    """The usable examples every output reports: after de-duplication when the duplicates check ran, else
    (that check skipped) the examples with a non-empty input."""
    return duplicates.usable if duplicates is not None else size.usable


def counted(count: int, noun: str) -> str:
    """`1 example`, `1,230 examples`: a count in the report's one number format, with its noun's number."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def ratio_text(value: float, bound: float | None = None) -> str:
    """A ratio as every view writes it: `41` and `32.333`, not `41.000`, or as many places as keep it on its side
    of the bound it is judged by (digits.value_text: 3.33333 against 3.3333); thousands separated."""
    return _plainer(value_text(value, bound) if bound is not None else value_text(value))


def bound_ratio_text(bound: float) -> str:
    """A configured ratio bound, exactly as set and as plainly: `20`, `3.3333` (digits.bound_text)."""
    return _plainer(bound_text(bound))


def _plainer(text: str) -> str:
    """A fixed-point figure without trailing zeros after its point and with thousands separated; other text as is."""
    whole, point, places = text.partition(".")
    if not whole.lstrip("-").isdigit() or (point and not places.isdigit()):
        return text  # repr(): an exponent, inf or nan
    places = places.rstrip("0")
    return f"{int(whole):,}" + (f".{places}" if places else "")


def _usable(count: int) -> str:
    return counted(count, "usable example")


def _a_task(task: str) -> str:
    """`a classification task`, `an extraction task`: the task types are words, so their first letter decides."""
    return f"{'an' if task[:1] in 'aeiou' else 'a'} {task} task"


def unrounded_ratio(balance) -> float:
    """The imbalance ratio as computed, which a bound judges; the rounded one where a stored result lacks it."""
    unrounded = getattr(balance, "imbalance_ratio_unrounded", None)
    return balance.imbalance_ratio if unrounded is None else unrounded


def scale_finding(size: SizeResult, balance, duplicates, config: Config, task_type_reason: str = "") -> Finding:
    usable = usable_examples(size, duplicates)
    required = config.min_examples()
    task = config.task_type or "classification"
    evidence = {"usable": usable, "required": required, "task_type": task, "task_type_inferred": bool(task_type_reason),
                "after_deduplication": duplicates is not None, "over_context": size.over_context}
    if task_type_reason:
        evidence["task_type_reason"] = task_type_reason
    if size.examples == 0:
        # Only a dataset handed in loaded can be empty (files without a record stop the audit, exit 2): a
        # scheduled pull with nothing new. There is nothing to judge, which is not the same as too little.
        return Finding("scale", Status.UNKNOWN, "no records to judge: the dataset is empty (with --since-last: nothing was "
                       "annotated since the previous run)", evidence,
                       "Nothing to do until new annotations arrive; audit the whole project (without --since-last) to judge all of it.")
    # Classification is what an audit assumed before it inferred anything; a task inferred otherwise says so
    # where the threshold is read, with how to name another.
    inferred = (f" (inferred: {task_type_reason}; name the task with task_type or --task-type)"
                if task_type_reason and task != "classification" else "")
    if size.usable == 0:
        # Records without an input (an agreement export of item ids and labels): more examples would not help.
        return Finding("scale", Status.FAIL, f"none of the {counted(size.examples, 'example')} has an input text, so none is usable "
                       f"for {_a_task(task)} (needs {required:,})", evidence,
                       "Include the input text in the export, or name its field (--text-field, or [fields] text in the config).")
    # Every problem is said, each with its own remedy: a set too small to train on still has its rare labels,
    # and a remedy for a problem the data does not have ("shorten over-long examples" with none) is noise.
    problems: list[str] = []
    remedies: list[str] = []
    if usable < required:
        problems.append(f"{_usable(usable)} for {_a_task(task)} that needs {required:,}{inferred}")
        remedies.append(f"collect at least {required - usable:,} more distinct examples (the {task} threshold is {required:,})")
    if balance is not None and balance.rare_labels:
        evidence["rare_labels"] = {label: balance.counts[label] for label in balance.rare_labels}
        # Named as every report section names a label (told apart over all of them, at the same width), so two
        # long labels that share their first 40 characters do not read as one ('..._refund_p…' twice).
        names = distinct_texts(list(balance.counts), LABEL_WIDTH)
        listed = ", ".join(f"'{names[label]}' ({balance.counts[label]:,})" for label in balance.rare_labels[:5])
        more = f" and {len(balance.rare_labels) - 5:,} more" if len(balance.rare_labels) > 5 else ""
        problems.append(f"{counted(len(balance.rare_labels), 'label')} under {counted(balance.min_label_count, 'example')}: {listed}{more}")
        remedies.append("add examples for the rare labels (or merge them)")
    imbalance = None if balance is None else unrounded_ratio(balance)
    if imbalance is not None and imbalance > config.balance.warn_imbalance_ratio:
        evidence["imbalance_ratio"] = balance.imbalance_ratio
        evidence["imbalance_ratio_unrounded"] = imbalance
        # One rounding for the ratio in every view: the size section writes it with value_text too ("32.333",
        # where this read "32.3333x").
        bound = config.balance.warn_imbalance_ratio
        problems.append(f"the largest label has {ratio_text(imbalance, bound)}x the examples of the smallest "
                        f"(warn above {bound_ratio_text(bound)}x)")
        remedies.append("add examples for the smaller labels (or cap the largest)")
    if size.over_context and size.over_context / size.examples > config.size.max_over_context_share:
        verb = "exceeds" if size.over_context == 1 else "exceed"
        problems.append(f"{counted(size.over_context, 'example')} {verb} the {size.context_limit:,}-token context limit")
        remedies.append("shorten or drop the over-long example" if size.over_context == 1
                        else f"shorten or drop the {size.over_context:,} over-long examples")
    action = "; ".join(dict.fromkeys(remedies))
    action = action[:1].upper() + action[1:] + "." if action else ""
    if usable < required:
        return Finding("scale", Status.FAIL, "; ".join(problems), evidence, action)
    if problems:
        return Finding("scale", Status.WARN, f"{_usable(usable)} (needs {required:,}){inferred}, but " + "; ".join(problems), evidence, action)
    return Finding("scale", Status.PASS, f"{_usable(usable)} for {_a_task(task)} (needs {required:,}){inferred}", evidence)


def _judge(result: SizeResult, ctx: AuditContext) -> list[Finding]:
    return [scale_finding(result, ctx.results.get("balance"), ctx.results.get("duplicates"), ctx.config, ctx.task_type_reason)]


CHECK = Check(id="size", order=20, measure=_measure, judge=_judge, conditions=frozenset({"scale"}))
