"""Preference data: pairs that carry no signal, pairs that contradict each other, and a bias to length.

On `preference` records (prompt, chosen, rejected): a pair whose chosen and rejected are the same text after
the duplicate check's normalisation teaches nothing; the same prompt with A over B in one row and B over A in
another is a conflict, like one input with two labels (unpaired `unpaired_preference` records conflict the
same way when one prompt + completion is marked both desirable and undesirable); and when chosen is longer
than rejected in most pairs, a trainer learns that longer wins. Lengths are in characters.

The per-record work (normalising each response, comparing, measuring) runs on the engine's steps, per input
file where it lies (`map_records`); a pair's two normalised responses come back as one 16-byte digest of
the two in sorted order, and which of them was chosen. The driver joins the pairs on their prompt, the
index's key (computed by the engine that built the index), so a conflict whose rows lie in different files
is found as in one file; it holds one key and one digest per pair.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import NamedTuple

from ..config import DuplicatesConfig
from ..excerpt import plain_excerpt as excerpt
from ..load.records import Record
from ..normalize import normalize_text
from .base import AuditContext, Check, Finding, Status, line_places
from ..digits import percent_text

MAX_LISTED = 200
MAX_REPLIES_SHOWN = 4  # members of a contradiction shown with their replies
PREFERENCE_FORMATS = ("preference", "unpaired_preference")


@dataclass
class PreferenceConfig:
    # warn above: chosen is longer than rejected in this share of pairs; and at or below 1 minus it, where the
    # shorter reply wins as reliably (a shortcut as learnable as longer-wins)
    max_chosen_longer_share: float = 0.75
    max_prefix_share: float = 0.1  # warn above: one reply is a truncated copy (a prefix) of the other in this share
    min_pairs_for_length_bias: int = 20  # fewer pairs say too little about a bias to judge it


@dataclass(frozen=True)
class PreferenceResult:
    pairs: int  # preference records (prompt, chosen, rejected)
    unpaired: int  # unpaired_preference records (prompt, completion, desirable or not)
    identical_pairs: list[int]  # lines whose chosen equals rejected after normalisation
    identical_count: int
    contradictions: list[list[int]]  # groups of lines: one prompt, A over B and B over A (or desirable and not)
    contradiction_count: int  # every group: `contradictions` lists the first MAX_LISTED
    contradiction_examples: list[str]  # each group's prompt, excerpted
    contradiction_records: int
    chosen_longer_share: float | None  # share of pairs whose chosen has more characters than rejected
    mean_length_ratio: float | None  # mean of len(chosen) / len(rejected) over pairs with a non-empty rejected
    # The file of each line above, in the same order: a group's records may lie in several files.
    identical_files: list[str]
    contradiction_files: list[list[str]]
    # Each listed group's members (up to MAX_REPLIES_SHOWN) with their replies: {file, line, chosen, rejected} for
    # a pair, {file, line, completion, desirable} for an unpaired record; excerpts.
    contradiction_replies: list[list[dict]] = field(default_factory=list)
    prompts_with_several_pairs: int = 0  # prompts that carry more than one distinct pair (normal DPO data: a note)
    # the counts chosen_longer_share is rounded from: what the length bias is judged on (0.75005 rounds to 0.75)
    chosen_longer_pairs: int | None = None
    chosen_longer_share_unrounded: float | None = None
    prefix_pairs: int = 0  # pairs where one reply (normalised) is a truncated copy of the other: starts it, shorter
    prefix_lines: list[int] = field(default_factory=list)
    prefix_files: list[str] = field(default_factory=list)
    rejected_prefix_pairs: int = 0  # of prefix_pairs, those whose rejected is the truncated one
    # Every group, complete, as (file, line) members: what `dataaudit dedup` drops with --drop-conflicts.
    all_contradictions: list[tuple[tuple[str, int], ...]] = field(default_factory=list, repr=False, metadata={"json": False})
    # every (file, line) whose chosen equals its rejected, uncapped: `dataaudit dedup` drops them
    all_identical: list[tuple[str, int]] = field(default_factory=list, repr=False, metadata={"json": False})


class PairFacts(NamedTuple):
    """A preference record's part of the figures: its responses as digests of their normalised text."""

    identical: bool  # chosen equals rejected after normalisation: the other fields are not read
    responses: bytes  # digest of the two normalised responses in sorted order: A over B and B over A share it
    chosen_first: bool  # normalised chosen sorts before rejected: which direction this pair is
    chosen_longer: bool
    length_ratio: float | None  # len(chosen) / len(rejected), None when rejected is empty
    prefix: int = 0  # 1: rejected is a truncated copy of chosen (starts it, shorter); 2: chosen of rejected; 0: neither


class MarkedFacts(NamedTuple):
    """An unpaired preference record's part: its completion as a digest of its normalised text, and its mark."""

    completion: bytes
    desirable: bool


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _pair_digest(first: str, second: str) -> bytes:
    return _digest(f"{len(first)}:{first}{second}")  # the length keeps ("ab", "c") apart from ("a", "bc")


def preference_facts(records: list[Record], norm: DuplicatesConfig) -> list[PairFacts | MarkedFacts | None]:
    """The map step, one value per record (None for other formats), run where its file lies."""
    facts: list[PairFacts | MarkedFacts | None] = []
    for record in records:
        if record.format == "unpaired_preference":
            facts.append(MarkedFacts(_digest(normalize_text(record.target or "", norm)), bool(record.desirable)))
            continue
        if record.format != "preference":
            facts.append(None)
            continue
        chosen, rejected = normalize_text(record.target or "", norm), normalize_text(record.rejected or "", norm)
        if chosen == rejected:
            facts.append(PairFacts(True, b"", False, False, None))
            continue
        chosen_length, rejected_length = len(record.target or ""), len(record.rejected or "")
        chosen_first = chosen < rejected
        # A cut-off copy of the other reply ("...with e", or HH's "Answer" vs "Answer is long") lets a trainer learn
        # "the complete one wins" without reading either.
        prefix = 1 if _cut_copy(chosen, rejected) else 2 if _cut_copy(rejected, chosen) else 0
        facts.append(PairFacts(False, _pair_digest(chosen, rejected) if chosen_first else _pair_digest(rejected, chosen), chosen_first,
                               chosen_length > rejected_length, chosen_length / rejected_length if rejected_length else None,
                               prefix))
    return facts


def _cut_copy(whole: str, part: str) -> bool:
    """Whether `part` is `whole` cut off: its start, ending where a word ends, or mid-word once it is three words
    long (a cut by characters or tokens). A one-word "No" against "Nothing bad happens..." shares letters, not text."""
    if not part or not whole.startswith(part):
        return False
    return len(whole) == len(part) or not whole[len(part)].isalnum() or len(part.split()) >= 3


def measure(ctx: AuditContext) -> PreferenceResult | None:
    index = ctx.train
    # A dataset without preference records, the usual case, starts no per-file pass.
    if not any(r.format in PREFERENCE_FORMATS for r in index.records):
        return None
    facts = ctx.steps.map_records(index.dataset, preference_facts, ctx.config.duplicates)
    pairs = unpaired = 0
    identical: list[int] = []  # record positions, in dataset order (file, then line), as every list below
    directed: dict[tuple[str, bytes, bool], list[int]] = {}  # (prompt, responses, chosen_first) -> positions
    marked: dict[tuple[str, bytes], dict[bool, list[int]]] = {}
    longer = 0
    ratios: list[float] = []
    prefixed: list[int] = []
    rejected_prefixed = 0
    pairs_of_prompt: dict[str, set[bytes]] = {}
    for i, fact in enumerate(facts):
        if fact is None:
            continue
        if isinstance(fact, MarkedFacts):
            unpaired += 1
            marked.setdefault((index.keys[i], fact.completion), {}).setdefault(fact.desirable, []).append(i)
            continue
        pairs += 1
        if fact.identical:
            identical.append(i)
            continue
        directed.setdefault((index.keys[i], fact.responses, fact.chosen_first), []).append(i)
        pairs_of_prompt.setdefault(index.keys[i], set()).add(fact.responses)  # A over B and B over A: one pair, contradicted
        longer += fact.chosen_longer
        if fact.prefix:
            prefixed.append(i)
            rejected_prefixed += fact.prefix == 1
        if fact.length_ratio is not None:
            ratios.append(fact.length_ratio)
    groups: list[tuple[list[int], str]] = []
    for (prompt, responses, chosen_first), lines in directed.items():
        if chosen_first and (prompt, responses, False) in directed:
            groups.append((sorted(lines + directed[(prompt, responses, False)]), prompt))
    for (prompt, _), by_mark in marked.items():
        if len(by_mark) == 2:
            groups.append((sorted(by_mark[True] + by_mark[False]), prompt))
    groups.sort(key=lambda g: g[0][0])
    compared = pairs - len(identical)
    records = index.records

    def replies(i: int) -> dict:
        r = records[i]
        if r.format == "unpaired_preference":
            return {"file": r.source, "line": r.line, "completion": excerpt(r.target or ""), "desirable": r.desirable}
        return {"file": r.source, "line": r.line, "chosen": excerpt(r.target or ""), "rejected": excerpt(r.rejected or "")}

    return PreferenceResult(
        pairs=pairs,
        unpaired=unpaired,
        identical_pairs=[records[i].line for i in identical[:MAX_LISTED]],
        identical_count=len(identical),
        contradictions=[[records[i].line for i in group] for group, _ in groups[:MAX_LISTED]],
        contradiction_count=len(groups),
        # The prompt as its first record wrote it, not the lowercased key the records were joined on; what is asked,
        # as every other check shows a record (an OpenAI DPO line's input opens with its `[tools ...]` digest).
        contradiction_examples=[excerpt(records[group[0]].query_text) for group, _ in groups[:MAX_LISTED]],
        contradiction_records=sum(len(lines) for lines, _ in groups),
        chosen_longer_share=round(longer / compared, 4) if compared else None,
        chosen_longer_pairs=longer,
        chosen_longer_share_unrounded=longer / compared if compared else None,
        mean_length_ratio=round(sum(ratios) / len(ratios), 4) if ratios else None,
        identical_files=[records[i].source for i in identical[:MAX_LISTED]],
        contradiction_files=[[records[i].source for i in group] for group, _ in groups[:MAX_LISTED]],
        contradiction_replies=[[replies(i) for i in _one_per_reply(group, records)[:MAX_REPLIES_SHOWN]]
                               for group, _ in groups[:MAX_LISTED]],
        prompts_with_several_pairs=sum(1 for seen in pairs_of_prompt.values() if len(seen) > 1),
        prefix_pairs=len(prefixed),
        prefix_lines=[records[i].line for i in prefixed[:MAX_LISTED]],
        prefix_files=[records[i].source for i in prefixed[:MAX_LISTED]],
        rejected_prefix_pairs=rejected_prefixed,
        all_contradictions=[tuple((records[i].source, records[i].line) for i in group) for group, _ in groups],
        all_identical=[(records[i].source, records[i].line) for i in identical],
    )


def _one_per_reply(group: list[int], records: list[Record]) -> list[int]:
    """The group's members with the first of each direction first: both sides of a contradiction are shown even
    when one side repeats."""
    seen: dict[tuple, int] = {}
    for i in group:
        seen.setdefault((records[i].target, records[i].rejected, records[i].desirable), i)
    firsts = list(seen.values())
    return firsts + [i for i in group if i not in firsts]


def judge(result: PreferenceResult | None, ctx: AuditContext) -> list[Finding]:
    if result is None:
        return []
    config: PreferenceConfig = ctx.config.section("preference")
    findings: list[Finding] = []
    records = max(result.pairs + result.unpaired, 1)
    if result.identical_count:
        share = result.identical_count / max(result.pairs, 1)
        bound = ctx.config.format.max_invalid_share
        findings.append(Finding(
            "hygiene", Status.FAIL if share > bound else Status.WARN,
            f"{result.identical_count} of {result.pairs} preference pairs have chosen identical to rejected "
            f"(e.g. {line_places(result.identical_pairs[:1], result.identical_files[:1])}): no signal to learn from",
            {"identical_pairs": result.identical_count, "identical_share": round(share, 4), "max_invalid_share": bound,
             "lines": result.identical_pairs[:20]},
            f"Remove the {result.identical_count} pairs whose chosen and rejected are the same, or replace the rejected response."))
    if result.contradiction_count:
        h = ctx.config.hygiene
        share = result.contradiction_records / records
        status = Status.FAIL if share > h.max_conflict_share else Status.WARN if share > h.warn_conflict_share else Status.PASS
        n = result.contradiction_count  # the listed groups stop at MAX_LISTED
        findings.append(Finding(
            "hygiene", status,
            f"{n} {'group' if n == 1 else 'groups'} of preference records contradict each other on the same prompt "
            f"(e.g. {line_places(result.contradictions[0][:4], result.contradiction_files[0][:4])})",
            {"contradiction_groups": n, "contradiction_records": result.contradiction_records,
             "contradiction_share": round(share, 4), "max_conflict_share": h.max_conflict_share},
            f"Adjudicate the {n} contradicting {'group' if n == 1 else 'groups'}: one prompt, one preferred response "
            f"(`dataaudit dedup` keeps every record of a contradiction; --drop-conflicts drops them all)."))
    if result.prefix_pairs:
        share = result.prefix_pairs / max(result.pairs - result.identical_count, 1)
        which = ("rejected is a truncated copy of chosen" if result.rejected_prefix_pairs == result.prefix_pairs else
                 "chosen is a truncated copy of rejected" if not result.rejected_prefix_pairs else
                 "one reply is a truncated copy of the other")
        findings.append(Finding(
            "hygiene", Status.WARN if share > config.max_prefix_share else Status.PASS,
            f"in {result.prefix_pairs} {'pair' if result.prefix_pairs == 1 else 'pairs'} {which} "
            f"(e.g. {line_places(result.prefix_lines[:1], result.prefix_files[:1])}): a trainer can learn that the "
            f"complete reply wins without reading either" + ("" if share > config.max_prefix_share else
                                                                f" (within the bound of {percent_text(config.max_prefix_share, config.max_prefix_share)})"),
            {"prefix_pairs": result.prefix_pairs, "rejected_prefix_pairs": result.rejected_prefix_pairs,
             "prefix_share": round(share, 4), "max_prefix_share": config.max_prefix_share, "lines": result.prefix_lines[:20]},
            "Replace the truncated replies with complete ones that are worse for another reason."
            if share > config.max_prefix_share else ""))
    compared = result.pairs - result.identical_count
    # judged unrounded, never on the 4-place share (older results carry only that)
    share = (result.chosen_longer_share_unrounded if result.chosen_longer_share_unrounded is not None
             else result.chosen_longer_share)
    if share is not None and compared >= config.min_pairs_for_length_bias:
        bound = config.max_chosen_longer_share
        low = round(1 - bound, 12)  # 1 - 0.7 is 0.30000000000000004: 3 of 10 pairs are at it, not above
        evidence = {"chosen_longer_share": result.chosen_longer_share, "chosen_longer_share_unrounded": share,
                    "mean_length_ratio": result.mean_length_ratio,
                    "max_chosen_longer_share": bound, "min_chosen_longer_share": low, "pairs": compared}
        ratio = "n/a" if result.mean_length_ratio is None else f"{result.mean_length_ratio:.2f}"
        longer = percent_text(share, bound, low)
        if share > bound:
            findings.append(Finding(
                "hygiene", Status.WARN,
                f"chosen is longer than rejected in {longer} of pairs (mean length ratio {ratio}): "
                f"a trainer can learn length instead of quality (warn above {percent_text(bound, bound)})",
                evidence, "Add pairs where the shorter response is preferred, or length-normalise the training objective."))
        elif share <= low:  # shorter-wins is as learnable a shortcut as longer-wins
            findings.append(Finding(
                "hygiene", Status.WARN,
                f"chosen is shorter than rejected in {percent_text(1 - share, bound, 1 - low)} of pairs (chosen longer in "
                f"{longer}, mean length ratio {ratio}): a trainer can learn brevity instead of quality (warn at or below "
                f"{percent_text(low, low)} chosen longer)",
                evidence, "Add pairs where the longer response is preferred, or length-normalise the training objective."))
        else:
            findings.append(Finding("hygiene", Status.PASS, f"chosen is longer than rejected in {longer} of pairs", evidence))
    if result.prompts_with_several_pairs:
        n = result.prompts_with_several_pairs
        findings.append(Finding(
            "hygiene", Status.PASS,
            f"{n} {'prompt carries' if n == 1 else 'prompts carry'} several distinct pairs (normal for DPO data; "
            f"each pair is its own example, and a duplicate only when prompt, chosen and rejected all repeat)",
            {"prompts_with_several_pairs": n}))
    return findings


CHECK = Check(id="preference", order=55, measure=measure, judge=judge, config_section=("preference", PreferenceConfig), conditions=frozenset({"hygiene"}))
