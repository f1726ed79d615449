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
from dataclasses import dataclass
from typing import NamedTuple

from ..config import DuplicatesConfig
from ..excerpt import plain_excerpt as excerpt
from ..load.records import Record
from ..normalize import normalize_text
from .base import AuditContext, Check, Finding, Status, line_places

MAX_LISTED = 200
PREFERENCE_FORMATS = ("preference", "unpaired_preference")


@dataclass
class PreferenceConfig:
    max_chosen_longer_share: float = 0.75  # warn above: chosen is longer than rejected in this share of pairs
    min_pairs_for_length_bias: int = 20  # fewer pairs say too little about a bias to judge it


@dataclass(frozen=True)
class PreferenceResult:
    pairs: int  # preference records (prompt, chosen, rejected)
    unpaired: int  # unpaired_preference records (prompt, completion, desirable or not)
    identical_pairs: list[int]  # lines whose chosen equals rejected after normalisation
    identical_count: int
    contradictions: list[list[int]]  # groups of lines: one prompt, A over B and B over A (or desirable and not)
    contradiction_examples: list[str]  # each group's prompt, excerpted
    contradiction_records: int
    chosen_longer_share: float | None  # share of pairs whose chosen has more characters than rejected
    mean_length_ratio: float | None  # mean of len(chosen) / len(rejected) over pairs with a non-empty rejected
    # The file of each line above, in the same order: a group's records may lie in several files.
    identical_files: list[str]
    contradiction_files: list[list[str]]


class PairFacts(NamedTuple):
    """A preference record's part of the figures: its responses as digests of their normalised text."""

    identical: bool  # chosen equals rejected after normalisation: the other fields are not read
    responses: bytes  # digest of the two normalised responses in sorted order: A over B and B over A share it
    chosen_first: bool  # normalised chosen sorts before rejected: which direction this pair is
    chosen_longer: bool
    length_ratio: float | None  # len(chosen) / len(rejected), None when rejected is empty


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
        facts.append(PairFacts(False, _pair_digest(chosen, rejected) if chosen_first else _pair_digest(rejected, chosen), chosen_first,
                               chosen_length > rejected_length, chosen_length / rejected_length if rejected_length else None))
    return facts


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
        longer += fact.chosen_longer
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
    return PreferenceResult(
        pairs=pairs,
        unpaired=unpaired,
        identical_pairs=[records[i].line for i in identical[:MAX_LISTED]],
        identical_count=len(identical),
        contradictions=[[records[i].line for i in group] for group, _ in groups[:MAX_LISTED]],
        contradiction_examples=[excerpt(prompt) for _, prompt in groups[:MAX_LISTED]],
        contradiction_records=sum(len(lines) for lines, _ in groups),
        chosen_longer_share=round(longer / compared, 4) if compared else None,
        mean_length_ratio=round(sum(ratios) / len(ratios), 4) if ratios else None,
        identical_files=[records[i].source for i in identical[:MAX_LISTED]],
        contradiction_files=[[records[i].source for i in group] for group, _ in groups[:MAX_LISTED]],
    )


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
    if result.contradictions:
        h = ctx.config.hygiene
        share = result.contradiction_records / records
        status = Status.FAIL if share > h.max_conflict_share else Status.WARN if share > h.warn_conflict_share else Status.PASS
        n = len(result.contradictions)
        findings.append(Finding(
            "hygiene", status,
            f"{n} {'group' if n == 1 else 'groups'} of preference records contradict each other on the same prompt "
            f"(e.g. {line_places(result.contradictions[0][:4], result.contradiction_files[0][:4])})",
            {"contradiction_groups": n, "contradiction_records": result.contradiction_records,
             "contradiction_share": round(share, 4), "max_conflict_share": h.max_conflict_share},
            f"Adjudicate the {n} contradicting {'group' if n == 1 else 'groups'}: one prompt, one preferred response."))
    share = result.chosen_longer_share
    compared = result.pairs - result.identical_count
    if share is not None and compared >= config.min_pairs_for_length_bias:
        evidence = {"chosen_longer_share": share, "mean_length_ratio": result.mean_length_ratio,
                    "max_chosen_longer_share": config.max_chosen_longer_share, "pairs": compared}
        if share > config.max_chosen_longer_share:
            findings.append(Finding(
                "hygiene", Status.WARN,
                f"chosen is longer than rejected in {share:.0%} of pairs (mean length ratio {result.mean_length_ratio:g}): "
                f"a trainer can learn length instead of quality (warn above {config.max_chosen_longer_share:.0%})",
                evidence, "Add pairs where the shorter response is preferred, or length-normalise the training objective."))
        else:
            findings.append(Finding("hygiene", Status.PASS, f"chosen is longer than rejected in {share:.0%} of pairs", evidence))
    return findings


CHECK = Check(id="preference", order=55, measure=measure, judge=judge, config_section=("preference", PreferenceConfig), conditions=frozenset({"hygiene"}))
