"""Deciding: merging the checks' findings into conditions (pass / warn / fail / unknown) and a verdict.

Nothing is measured here and nothing is rendered: every figure comes from a check's finding, every
threshold from the config, so a reviewer can trace each status to its evidence. A condition's status is
the worst of its known findings; it is unknown when no check could judge it, or when a check failed or the
only check able to judge this data could not (JUDGED_ONLY_BY), unless another finding fails it.
"""

from __future__ import annotations

import math
import re

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Iterable, Iterator

from ..checks.base import Finding, Status
from ..excerpt import plain_excerpt
from .conditions import CONDITION_IDS, JUDGED_ONLY_BY, SPECS

PASS, WARN, FAIL, UNKNOWN = Status.PASS, Status.WARN, Status.FAIL, Status.UNKNOWN


class VerdictStatus(StrEnum):
    READY = "ready"
    NOT_READY = "not_ready"
    INSUFFICIENT = "insufficient_evidence"


READY, NOT_READY, INSUFFICIENT = VerdictStatus.READY, VerdictStatus.NOT_READY, VerdictStatus.INSUFFICIENT
EXIT_CODES = {READY: 0, NOT_READY: 1, INSUFFICIENT: 3}
SEVERITY = {FAIL: 0, UNKNOWN: 1, WARN: 2, PASS: 3}  # most severe first, for summaries and actions
RANK = {cid: i for i, cid in enumerate(CONDITION_IDS)}


@dataclass(frozen=True)
class Condition:
    id: str
    status: Status
    summary: str
    evidence: dict[str, Any] = field(default_factory=dict)
    action: str = ""  # what to do about it; empty when it passes
    # The input files the summary or action names, as given: report.json masks a sentence as text (a path like an
    # e-mail address with it), and a script must still tell which file is meant.
    files: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class NotJudged:
    id: str
    reason: str


@dataclass(frozen=True)
class Verdict:
    status: VerdictStatus
    sentence: str
    conditions: list[Condition]
    not_judged: list[NotJudged]
    actions: list[str]

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.status]


def overall_status(statuses: Iterable[str]) -> VerdictStatus:
    statuses = list(statuses)
    if FAIL in statuses:
        return NOT_READY
    if UNKNOWN in statuses or not statuses:
        return INSUFFICIENT
    return READY


# The longest a piece of dataset text quoted in a condition's sentence is shown (a label, a scenario's name): the
# sentence is read in one breath, and a reply taken as a label once put 26,000 characters into it.
QUOTE_LIMIT = 80
_QUOTES = ("'", '"')


def _texts(value: Any) -> Iterator[str]:
    """Every string in a finding's evidence, dict keys included (rare labels are keys, their counts values)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _texts(key)
            yield from _texts(item)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            yield from _texts(item)


def quoted_as_excerpts(sentence: str, evidence: dict[str, Any], paths: Iterable[str] = ()) -> str:
    """sentence with each text of its evidence that it quotes ('...' or "...") shown as its excerpt: masked,
    control-free and at most QUOTE_LIMIT characters, whichever check wrote the sentence. Input paths are left
    whole: a user must find the file, and Condition.files names it."""
    keep = set(paths)
    quoted = {text for text in _texts(evidence) if text and text not in keep
              and any(f"{q}{text}{q}" in sentence for q in _QUOTES)}
    for text in sorted(quoted, key=len, reverse=True):  # a label that holds a shorter one is replaced first
        shown = plain_excerpt(text, QUOTE_LIMIT)
        if shown != text:
            for q in _QUOTES:
                sentence = sentence.replace(f"{q}{text}{q}", f"{q}{shown}{q}")
    return sentence


def _holds_unknown(finding: Finding) -> bool:
    return bool(finding.evidence.get("check_failed")) or (finding.status == UNKNOWN and bool(finding.evidence.get(JUDGED_ONLY_BY)))


def merge_findings(condition_id: str, findings: list[Finding], paths: Iterable[str] = ()) -> Condition:
    """One condition from every finding about it: the worst known status decides; but a check that failed, or
    an unknown finding from the only check that can judge this data (JUDGED_ONLY_BY), leaves it unknown unless
    another fails it (the evidence that decides is missing, so a pass would be a guess).
    Dataset text a finding's sentence quotes is shown as its excerpt (quoted_as_excerpts); paths: the input files."""
    paths = list(paths)
    findings = [replace(f, summary=quoted_as_excerpts(f.summary, f.evidence, paths),
                        action=quoted_as_excerpts(f.action, f.evidence, paths)) for f in findings]
    known = [f for f in findings if f.status != UNKNOWN]
    failed = [f for f in findings if _holds_unknown(f)]
    chosen = known or findings
    status = min((f.status for f in chosen), key=SEVERITY.__getitem__)
    if failed and status != FAIL:
        # Held unknown by the only check able to judge, every finding is shown: a pass's figures were measured
        # though they do not decide (summaries leave passes out below), and another unknown's reason stands beside
        # it. Held by failed checks alone, passes stay out, so that those failures alone keep check_failed alone.
        crashed_only = all(f.evidence.get("check_failed") for f in failed)
        status, chosen = UNKNOWN, failed + [f for f in findings if not _holds_unknown(f)
                                            and (f.status != PASS or not crashed_only)]
    ordered = sorted(chosen, key=lambda f: SEVERITY[f.status])
    shown = [f for f in ordered if f.status != PASS] or ordered
    spec = SPECS.get(condition_id)
    # Left unknown with nothing but failed checks to show, a condition holds the failures alone: none of its
    # figures was measured. Once another finding's evidence is shown beside them (a warning), the declared keys
    # are seeded as on any other run, so a key never appears or vanishes with what else was found.
    failures_alone = all(f.evidence.get("check_failed") for f in chosen)
    evidence: dict[str, Any] = dict.fromkeys(spec.evidence_keys if spec and not failures_alone else ())
    for finding in ordered:
        evidence.update(finding.evidence)
    evidence = {key: rounded(value) for key, value in evidence.items()}
    actions = " ".join(f.action for f in ordered if f.action and f.status != PASS)
    said = [f.summary.rstrip(".") for f in shown]
    said += [f.caveat for f in ordered if f.caveat and f not in shown and not any(f.caveat in s for s in said)]
    return Condition(condition_id, status, "; ".join(said), evidence, actions)


EVIDENCE_DIGITS = 6


def rounded(value: Any) -> Any:
    """An evidence figure at one precision (6 significant digits) whichever check gave it; checks.<id> in
    report.json keeps the full value. Significant digits, not decimal places: 0.89996 beside a fail against 0.9,
    or a share of 1 in 30,000 beside a warn, must not read 0.9 and 0.0. Lists and dicts rounded item by item."""
    if isinstance(value, float):
        return float(f"{value:.{EVIDENCE_DIGITS}g}") if math.isfinite(value) else value
    if isinstance(value, dict):
        return {key: rounded(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [rounded(item) for item in value]
    return value


def _sentence(status: VerdictStatus, conditions: list[Condition]) -> str:
    def join(wanted: Status) -> str:
        # Two conditions may give one reason (consistency's label noise and coverage both "did not run: embeddings
        # were switched off"): the sentence says each clause once, where it first comes; the table keeps both.
        said: list[str] = []  # the clauses so far: a clause repeats one that equals it or ends ": " + it
        for condition in conditions:
            if condition.status == wanted:
                clauses = [clause for clause in condition.summary.rstrip(".").split("; ")
                           if not any(earlier == clause or earlier.endswith(f": {clause}") for earlier in said)]
                said += clauses
        return "; ".join(said)

    if status == NOT_READY:
        return f"Not ready: {join(FAIL)}."
    if status == INSUFFICIENT:
        unknown = join(UNKNOWN)
        return f"Not enough evidence: {unknown}." if unknown else "Not enough evidence: no condition on the data was judged."
    if any(c.status == WARN for c in conditions):
        return f"Ready, with warnings: {join(WARN)}."
    return "Ready: every necessary condition that was judged passes."


def build_verdict(conditions: list[Condition], skip: dict[str, str] | None = None,
                  not_judged: list[NotJudged] | None = None) -> Verdict:
    """Drop the conditions declared out of scope (config `conditions.skip`), order the rest, and decide.

    With no condition on the data judged at all, the verdict is 'not enough evidence', never 'ready'.
    """
    skip = skip or {}
    judged = sorted((c for c in conditions if c.id not in skip), key=lambda c: RANK.get(c.id, len(RANK)))
    listed = [NotJudged(cid, reason) for cid, reason in skip.items()]
    seen = {n.id for n in listed}
    listed += [n for n in (not_judged or []) if n.id not in seen and not seen.add(n.id)]
    data_judged = any(SPECS[c.id].data for c in judged if c.id in SPECS)
    status = overall_status(c.status for c in judged) if data_judged else INSUFFICIENT
    actions = [c.action for c in sorted(judged, key=lambda c: (SEVERITY[c.status], RANK.get(c.id, 99)))
               if c.status != PASS and c.action]
    return Verdict(status, _sentence(status, judged), judged, listed, actions)


def named_files(text: str, paths: Iterable[str]) -> list[str]:
    """The paths `text` names, in order of first mention, each once. A path counts only as a whole token
    (`a.jsonl` is not named by `xa.jsonl` or `a.jsonl.gz`), and where two paths start at one place the longer wins."""
    mentioned = sorted({path for path in paths if path and path in text}, key=len, reverse=True)
    if not mentioned:
        return []
    token = re.compile(r"(?<![\w./\\-])(?:" + "|".join(map(re.escape, mentioned)) + r")(?![\w/\\-]|\.\w)")
    return list(dict.fromkeys(match.group() for match in token.finditer(text)))


def decide(findings: list[Finding], skip: dict[str, str], paths: Iterable[str] = (),
           not_applicable: dict[str, str] | None = None) -> Verdict:
    """The verdict from every check's findings; conditions nobody judged are listed as not judged.
    paths: the audited input files, which each condition lists (Condition.files) where its sentences name them.
    not_applicable: conditions that do not apply to this task (conditions.not_applicable), dropped as a skipped
    one is, with their reason, unless a check judged them after all (a finding not unknown: annotators' labels
    the caller did not count); a team's own reason in skip comes first."""
    by_condition: dict[str, list[Finding]] = {}
    for finding in findings:
        by_condition.setdefault(finding.condition, []).append(finding)
    judged = {cid for cid, found in by_condition.items() if any(f.status != UNKNOWN for f in found)}
    skip = {**skip, **{cid: reason for cid, reason in (not_applicable or {}).items() if cid not in skip and cid not in judged}}
    paths = list(paths)
    conditions = [merge_findings(cid, found, paths) for cid, found in by_condition.items()]
    conditions = [replace(c, files=named_files(f"{c.summary}\n{c.action}", paths)) for c in conditions]
    absent = [NotJudged(cid, SPECS[cid].when_absent) for cid in CONDITION_IDS if cid not in by_condition]
    return build_verdict(conditions, skip, absent)
