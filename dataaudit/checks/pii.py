"""Personal data and credentials in the text a model would be trained on, evaluated with or compared against.

A fine-tuned model memorises what its training text holds: e-mail addresses, phone and card numbers, IBANs,
and worst, live credentials pasted into a ticket. Every text field of every record in the training, eval
and production inputs is scanned (`dataaudit.scan.pii`), a chat line's tool calls, names and refusals too,
walked as `dataaudit redact` walks it (`dataaudit.scan.walk`); each finding is listed by file, line and field
with its value masked. Any secret fails `hygiene`; personal data warns, and fails above a share of records.
"""

from __future__ import annotations

import shlex
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterator

import phonenumbers

from ..errors import ConfigError
from ..excerpt import mask
from ..load.records import Record
from ..scan.malformed import malformed_row_findings
from ..scan.pii import KINDS, PiiFinding, ScanOptions, kind_count, scan_text
from ..scan.walk import findings_in
from .base import AuditContext, Check, Finding, Status


@dataclass
class PiiConfig:
    kinds: list[str] = field(default_factory=lambda: list(KINDS))  # what to look for
    phone_regions: list[str] = field(default_factory=lambda: ["US", "GB"])  # national number forms to recognise
    warn_share: float = 0.0  # warn when personal data is in more than this share of records
    max_share: float = 0.01  # fail above this share (any secret always fails)
    secret_entropy: float = 3.5  # bits per character a value after "api key", "token", ... needs to be a secret
    secret_min_length: int = 16
    max_listed: int = 200  # findings listed in the report; the counts stay exact

    def __post_init__(self) -> None:
        unknown = sorted(set(self.kinds) - set(KINDS))
        if unknown:
            raise ConfigError(f"pii.kinds: unknown kind {unknown[0]!r} (known: {', '.join(KINDS)})")
        regions = sorted(set(self.phone_regions) - phonenumbers.SUPPORTED_REGIONS)
        if regions:
            raise ConfigError(f"pii.phone_regions: {regions[0]!r} is not a region code libphonenumber knows (use ISO 3166 codes such as US, GB, DE)")
        for name in ("warn_share", "max_share"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:  # also false for NaN
                raise ConfigError(f"pii.{name}: {value!r} is not a share between 0 and 1")
        if self.warn_share > self.max_share:
            raise ConfigError(f"pii.warn_share: {self.warn_share:g} is above max_share ({self.max_share:g}); a warning "
                              "bound must not exceed the failing one")
        if not 0.0 < self.secret_entropy <= 8.0:
            raise ConfigError(f"pii.secret_entropy: {self.secret_entropy!r} is not between 0 and 8 bits per character")
        if self.secret_min_length < 8:
            raise ConfigError(f"pii.secret_min_length: {self.secret_min_length!r} is below 8; short values are words, not keys")
        if self.max_listed < 0:
            raise ConfigError(f"pii.max_listed: {self.max_listed!r} is negative")

    def options(self) -> ScanOptions:
        return ScanOptions(frozenset(self.kinds), tuple(self.phone_regions), self.secret_entropy, self.secret_min_length)


@dataclass(frozen=True)
class PiiLocation:
    file: str
    line: int
    field: str  # which text of the record: messages[2].content, prompt, completion, text, label, ...
    kind: str
    detail: str
    masked: str  # the kind and at most the last four characters; never the value
    role: str = "train"  # a file read as training data and as --eval lists its findings once in each role


LINES_NAMED = 10  # lines an action names per file; the rest are counted
FILES_NAMED = 5  # files an action names per role; the rest are counted, or 400 small files make a 20,000-character action


@dataclass(frozen=True)
class PiiPlaces:
    """Where one file's records, read in one role, hold findings of one group (credentials, or personal data):
    the first lines, to name in an action, and how many lines in all, counted whatever pii.max_listed lists."""
    file: str
    first_lines: list[int]
    lines: int
    role: str = "train"  # a file read as training data and as --eval is two places: its lines are counted once in each


_Tally = dict[tuple[str, str], tuple[list[int], int, int]]


def _count_line(tally: _Tally, role: str, file: str, line: int) -> None:
    """Counts `line` into the (role, file)'s (first lines, lines, last line); a line holding several records (a
    JSON array on one line) once: a file's records come in line order within one role, not across roles."""
    first, count, last = tally.get((role, file), ([], 0, -1))
    if line != last:
        if len(first) < LINES_NAMED:
            first.append(line)
        tally[(role, file)] = (first, count + 1, line)


def _places(tally: _Tally) -> list[PiiPlaces]:
    return [PiiPlaces(file, first, count, role) for (role, file), (first, count, _) in tally.items()]


@dataclass(frozen=True)
class PiiResult:
    records: int  # records scanned in all roles
    records_with_findings: int
    share: float  # records_with_findings / records
    personal_records: int  # records with personal data (anything but a secret): the share that is judged
    secret_records: int
    by_kind: dict[str, int]  # findings per kind
    by_role: dict[str, int]  # records with findings per role (train, eval, production)
    findings: list[PiiLocation]  # the first max_listed
    findings_total: int
    findings_listed: int
    # What the share bounds judge: the training records (what the model learns from). A production sample
    # or an eval set is scanned and listed too, but its size must not dilute the training share.
    training_records: int = 0
    training_personal_records: int = 0
    training_by_kind: dict[str, int] = field(default_factory=dict)  # findings per kind in the training records
    # Per file, the lines with a credential / with personal data: what the actions name and count, uncapped by max_listed.
    secret_places: list[PiiPlaces] = field(default_factory=list)
    personal_places: list[PiiPlaces] = field(default_factory=list)
    # Rows kept as format errors are no records, but their text is in the file that is shared, and `redact`
    # replaces what they hold: their findings are in by_kind, findings and the places, and counted here
    # apart from the records (so the shares stay shares of records).
    malformed_rows_with_findings: int = 0
    malformed_secret_rows: int = 0
    malformed_personal_rows: int = 0


def record_texts(record: Record, text_field: str, label_field: str) -> Iterator[tuple[str, str]]:
    """(field, text) for every text of a record the loader keeps no parsed source of (see `record_findings`).

    The record's input and target stand for its fields. A preference pair's rejected reply is text the trainer
    reads too (DPO computes its likelihood on every step), and `redact` rewrites it: the audit scans it so that
    the two agree on what holds personal data.
    """
    names = {"chat": ("messages[user]", "messages[assistant]"), "prompt_completion": ("prompt", "completion"),
             "preference": ("prompt", "chosen"), "unpaired_preference": ("prompt", "completion")}
    input_name, target_name = names.get(record.format, (text_field, "target"))
    # Uncut: the loader cuts a text at 100,000 characters for embedding and comparison, but a trainer reads
    # all of it, and an address past the cut is as much in the data (scanning costs ~2 us a character).
    text, target, rejected = record.full_texts
    yield input_name, text
    if target is not None:
        yield target_name, target
    if rejected is not None:
        yield "rejected", rejected
    if record.label is not None and record.label != record.target:
        yield label_field, record.label


def record_findings(record: Record, text_field: str, label_field: str, options: ScanOptions,
                    seen: dict) -> list[tuple[str, PiiFinding]]:
    """(field, finding) for every value in the text a trainer or a model sees of one record.

    A record whose parsed source the loader keeps (`Record.raw`: chat and OpenAI DPO lines) is walked whole,
    as `redact` walks it: a tool call's arguments are text the model is trained to write, and a message's
    `name` or `refusal` is read by the trainer too. Other records are read field by field (`record_texts`)."""
    if isinstance(record.raw, dict):
        return [(walked.field, finding)
                for walked, findings in findings_in(record.raw, options, seen) for finding in findings]
    found_here = []
    for field_name, text in record_texts(record, text_field, label_field):
        found = seen.get(("", text))
        if found is None:
            found = seen[("", text)] = tuple(scan_text(text, options))
        found_here.extend((field_name, finding) for finding in found)
    return found_here


def scan_records(records: list[Record], text_field: str, label_field: str,
                 options: ScanOptions) -> list[tuple[tuple[str, PiiFinding], ...]]:
    """The map step, run where a file's records lie: each record's findings as (field, finding) pairs."""
    seen: dict = {}  # the same text (duplicates, shared system prompts) is scanned once
    return [tuple(record_findings(record, text_field, label_field, options, seen)) for record in records]


def measure_pii(ctx: AuditContext) -> PiiResult:
    config: PiiConfig = ctx.config.section("pii")
    options = config.options()
    fields = ctx.config.fields
    by_kind: Counter = Counter()
    by_role: Counter = Counter()
    listed: list[PiiLocation] = []
    training_by_kind: Counter = Counter()
    secret_lines: _Tally = {}
    personal_lines: _Tally = {}
    records = with_findings = personal = secret = total = training_records = training_personal = 0
    malformed_found = malformed_secret = malformed_personal = 0
    for index in (ctx.train, ctx.eval, ctx.production):
        if index is None:
            continue
        text_field = (fields.production_text if index.role == "production" and fields.production_text else fields.text) or "text"
        scanned = ctx.steps.map_records(index.dataset, scan_records, text_field, fields.label, options)
        training = index.role == "train"
        rows = [(record.source, record.line, found_here, False) for record, found_here in zip(index.records, scanned)]
        if index.dataset.annotation_export is None:  # an export's error places are items, not rows of the file
            read = {(record.source, line) for record in index.records for line in record.all_lines}
            rows += _malformed_rows([e for e in index.dataset.errors if (e.source, e.line) not in read], options)
        file_order = {f.path: n for n, f in enumerate(index.dataset.files)}
        rows.sort(key=lambda row: (file_order.get(row[0], len(file_order)), row[0], row[1]))  # stable: a line's records stay in order
        for source, line, found_here, malformed in rows:
            records += not malformed
            training_records += training and not malformed
            kinds_here: set[str] = set()
            for field_name, finding in found_here:
                total += 1
                by_kind[finding.kind] += 1
                training_by_kind[finding.kind] += training and not malformed
                kinds_here.add(finding.kind)
                if len(listed) < config.max_listed:
                    listed.append(PiiLocation(source, line, field_name, finding.kind, finding.detail, finding.masked,
                                              index.role))
            if kinds_here:
                if malformed:
                    malformed_found += 1
                    malformed_personal += bool(kinds_here - {"secret"})
                    malformed_secret += "secret" in kinds_here
                else:
                    with_findings += 1
                    by_role[index.role] += 1
                    personal += bool(kinds_here - {"secret"})
                    training_personal += training and bool(kinds_here - {"secret"})
                    secret += "secret" in kinds_here
                if "secret" in kinds_here:
                    _count_line(secret_lines, index.role, source, line)
                if kinds_here - {"secret"}:
                    _count_line(personal_lines, index.role, source, line)
    return PiiResult(
        records=records,
        records_with_findings=with_findings,
        share=with_findings / records if records else 0.0,
        personal_records=personal,
        secret_records=secret,
        by_kind={kind: by_kind[kind] for kind in KINDS if by_kind[kind]},
        by_role=dict(by_role),
        findings=listed,
        findings_total=total,
        findings_listed=len(listed),
        training_records=training_records,
        training_personal_records=training_personal,
        training_by_kind={kind: training_by_kind[kind] for kind in KINDS if training_by_kind[kind]},
        secret_places=_places(secret_lines),
        personal_places=_places(personal_lines),
        malformed_rows_with_findings=malformed_found,
        malformed_secret_rows=malformed_secret,
        malformed_personal_rows=malformed_personal,
    )


def _malformed_rows(errors: list, options: ScanOptions) -> list[tuple[str, int, tuple[tuple[str, PiiFinding], ...], bool]]:
    """(file, line, its (field, finding) pairs, True) for each row kept as a format error that holds a finding (a
    row some record was still read from, as a long layout's second answer to an item, is that record's)."""
    lines_by_file: dict[str, set[int]] = {}
    for error in errors:
        if error.line > 0:
            lines_by_file.setdefault(error.source, set()).add(error.line)
    rows: dict[tuple[str, int], list[tuple[str, PiiFinding]]] = {}
    for source, lines in lines_by_file.items():
        for line, field_name, finding in malformed_row_findings(source, lines, options):
            rows.setdefault((source, line), []).append((field_name, finding))
    return [(source, line, tuple(found), True) for (source, line), found in rows.items()]


def _lines_named(places: list[PiiPlaces]) -> str:
    """'support.jsonl lines 3, 17, 45 and 12 more': where to look, counted over every record, not the listed
    findings; past FILES_NAMED files, how many more files and lines."""
    parts = []
    for place in places[:FILES_NAMED]:
        shown = ", ".join(str(n) for n in place.first_lines)
        more = f" and {place.lines - len(place.first_lines)} more" if place.lines > len(place.first_lines) else ""
        parts.append(f"{place.file} line{'s' if place.lines > 1 else ''} {shown}{more}")
    rest = places[FILES_NAMED:]
    if rest:
        lines = sum(place.lines for place in rest)
        parts.append(f"and {len(rest)} more file{'s' if len(rest) > 1 else ''} ({lines} line{'s' if lines > 1 else ''})")
    return "; ".join(parts)


def _places_by_role(places: list[PiiPlaces]) -> str:
    """The training places first, unlabelled, then each other role's under its name ("eval input: ..."): a
    file read in two roles is named in each, and an action about training says which lines are not."""
    parts = [_lines_named([p for p in places if p.role == "train"])]
    parts += [f"{role} input: {_lines_named([p for p in places if p.role == role])}"
              for role in dict.fromkeys(p.role for p in places) if role != "train"]
    return "; ".join(part for part in parts if part)


def _rows(count: int) -> str:
    return f"{count} malformed row{'s' if count != 1 else ''}"


def _redact_command(result: PiiResult) -> str:
    files = list(dict.fromkeys(place.file for place in result.secret_places + result.personal_places))
    # The path shell-quoted: pasted into a shell, "data/a|b `c`.jsonl" would otherwise pipe and run the backticks.
    # INPUT: several files, or a path the report would mask (a folder named after an address) and so
    # print as a command that names no file.
    named = len(files) == 1 and mask(files[0]) == files[0]
    command = f"`dataaudit redact {shlex.quote(files[0]) if named else 'INPUT'} --out CLEAN`"
    return command + (" for each file" if len(files) > 1 else "")


def judge_pii(result: PiiResult | None, ctx: AuditContext) -> list[Finding]:
    if result is None:
        return []
    config: PiiConfig = ctx.config.section("pii")
    evidence: dict[str, Any] = {"records_with_findings": result.records_with_findings, "share": result.share, "by_kind": result.by_kind}
    if result.malformed_rows_with_findings:
        evidence["malformed_rows_with_findings"] = result.malformed_rows_with_findings
    findings = []
    if result.secret_records or result.malformed_secret_rows:
        held = [f"{result.secret_records} record(s) hold credentials"] if result.secret_records else []
        held += [f"{_rows(result.malformed_secret_rows)} hold{'s' if result.malformed_secret_rows == 1 else ''} credentials"] if result.malformed_secret_rows else []
        findings.append(Finding(
            "hygiene", Status.FAIL,
            f"{' and '.join(held)} ({result.by_kind.get('secret', 0)} secret(s): keys, tokens or private keys)",
            evidence,
            f"Revoke the credentials, then remove or redact them ({_redact_command(result)}): {_places_by_role(result.secret_places)}."))
    personal_share = result.training_personal_records / result.training_records if result.training_records else 0.0
    elsewhere = result.personal_records - result.training_personal_records
    if result.training_personal_records and personal_share > config.warn_share:
        status = Status.FAIL if personal_share > config.max_share else Status.WARN
        kinds = ", ".join(kind_count(result.training_by_kind[k], k) for k in KINDS if k != "secret" and k in result.training_by_kind)
        also = f"; {elsewhere} more in the eval or production inputs" if elsewhere else ""
        findings.append(Finding(
            "hygiene", status,
            f"personal data in {result.training_personal_records} of {result.training_records} training records "
            f"({personal_share:.1%}): {kinds}{also}",
            {**evidence, "personal_share": personal_share, "max_share": config.max_share},
            f"Redact before training ({_redact_command(result)} replaces each value with a placeholder): "
            f"{_places_by_role(result.personal_places)}."))
    if result.malformed_personal_rows:
        # Not judged as a share (they are no records), but the file that is shared holds them all the same.
        findings.append(Finding(
            "hygiene", Status.WARN,
            f"personal data in {_rows(result.malformed_personal_rows)}, which the audit could not read as records",
            evidence,
            f"Redact the file ({_redact_command(result)} rewrites malformed rows too) before fixing the rows: "
            f"{_places_by_role(result.personal_places)}."))
    if not findings and result.personal_records:  # under the bound, or only in eval / production: passes, still said
        inside = (f"personal data in {result.training_personal_records} of {result.training_records} training records "
                  f"({personal_share:.1%}, within the {config.warn_share:.1%} bound)" if result.training_personal_records
                  else f"no personal data or credentials in the {result.training_records} training records")
        outside = f"; {elsewhere} eval or production record(s) hold personal data" if elsewhere else ""
        findings.append(Finding("hygiene", Status.PASS, inside + outside, evidence))
    if not findings:
        scanned = f"in {result.records} records" if result.records else "(no records to scan)"
        findings.append(Finding("hygiene", Status.PASS, f"no personal data or credentials found {scanned}", evidence))
    return findings


CHECK = Check(id="pii", order=35, measure=measure_pii, judge=judge_pii, config_section=("pii", PiiConfig), conditions=frozenset({"hygiene"}))
