"""`dataaudit dedup`: a de-duplicated copy of a dataset, and a sidecar naming every dropped line and why.

The first record of each duplicate group is kept (the one the report names as `keep`); a copy dropped with
another label than the kept record's is listed with both (`conflicting_labels`), a reworded copy (no conflict in
the audit) as much as a true one. Conflicting groups are dropped whole only when asked; a group whose kept record
goes with them keeps its first record that stays, and each next member that is no exact or lexical copy (the
audit's own rule, near_pairs.lexical_copy) of one kept before it. A generation prompt asked twice keeps its first
reply, the copy listed with `target_differs`. A preference contradiction (one prompt with A over B and B over A, or a
KTO completion marked desirable and undesirable) is never settled by keeping its first line: every record of it
is kept, and counted, unless --drop-conflicts drops them all. Malformed lines are dropped and listed too; a file read
only in part (a quote left open) or in another encoding than UTF-8 is refused. The copy is written
in the input's own format (JSONL, a JSON array, gzip-compressed or not, CSV, TSV, Parquet) with every kept row as it was; in a long
annotation layout (one row per annotator) an item is kept or dropped with all its rows. The input file is
read, never written: the output must be another path.
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ..checks.duplicates import label_names
from ..checks.near_pairs import Fields, input_fields, lexical_copy
from ..config import Config, DuplicatesConfig
from ..errors import InputError
from ..io import write_atomic_set
from ..load.files import stopped_at_open_quote
from ..normalize import normalize_text, skeleton, tokens
from .writers import DROP, check_target, gzip_error, local_paths, open_plain, rewritten, sidecar_path


INVALID = "invalid"  # the reason a malformed row was dropped, as the sidecar names it
SIDECAR = ".dropped.jsonl"  # the list of dropped rows, named after the copy
# Rows that are not UTF-8 are dropped one by one while they are a stray byte or two; past both limits the file is
# in another encoding, where every row with an accent fails and a copy without them would be quietly skewed. One
# row alone never refuses (a single bad byte in a small file), nor do a few in a large one (2 of 10,000).
MAX_UNDECODED_ROWS = 1
MAX_UNDECODED_SHARE = 0.01


@dataclass
class DedupSummary:
    records: int
    kept: int  # rows written
    dropped: int  # rows left out
    sidecar: Path
    # Of the whole run (every file audited together), not of this file: a group may span files, and the CLI
    # states the run's count once.
    # Groups of copies with different labels whose first record's label was kept, their dropped copies listed
    # with conflicting_labels: the audit's conflicts (without --drop-conflicts) and reworded copies with another label.
    run_conflicts_kept: int
    invalid: int = 0  # of the dropped rows, those left out because they could not be read as records
    run_contradictions_kept: int = 0  # preference contradictions every record of which was kept (without --drop-conflicts)


Place = tuple[str, int]  # (file as audited, line)


@dataclass(frozen=True)
class MemberText:
    """What dedup reads again of a group's member: the audit's groups carry neither labels nor texts."""

    value: str | None  # its label (or target)
    query: str  # what the lexical rule compares: its query, normalised as keys are (TextIndex.embed_texts)
    words: tuple[str, ...]  # its content words (normalize.skeleton)
    fields: Fields | None  # its input's fields (near_pairs.input_fields)


def _unavailable(report, drop_conflicts: bool) -> set[Place]:
    """Records that go whatever their group does, so cannot stand for it: kept_line would name a dropped line."""
    duplicates = report.checks["duplicates"]
    in_conflict = {member for conflict in duplicates.conflicts for member in zip(conflict.line_files, conflict.lines)}
    preference = report.checks.get("preference")
    identical = set(preference.all_identical) if preference is not None else set()
    return (in_conflict if drop_conflicts else set()) | identical


def _drop_reasons(report, drop_conflicts: bool, member_of: dict[Place, MemberText] | None = None,
                  dup: DuplicatesConfig | None = None) -> tuple[dict[Place, dict], int]:
    """Why each dropped row goes, keyed by its (file, line): groups and conflicts may span the files of a
    multi-file audit, whose line numbers repeat from file to file. Also how many groups kept their first
    record's label while copies dropped from them carry another.

    member_of: the members of the groups whose labels differ or whose kept record goes (`_read_members`)."""
    duplicates = report.checks["duplicates"]
    member_of = member_of or {}
    dup = dup or DuplicatesConfig()
    unavailable = _unavailable(report, drop_conflicts)
    groups = duplicates.all_groups
    in_near_group = {member for group in groups if group.kind == "near" for member in group.members}
    exact_set_of = {member: i for i, group in enumerate(groups) if group.kind == "exact" for member in group.members}
    reasons: dict[Place, dict] = {}

    def drop(member: Place, kept: Place, kind: str) -> None:
        reasons.setdefault(member, {"line": member[1], "reason": f"{kind} duplicate", "kept_line": kept[1]})
        if kept[0] != member[0]:
            reasons[member].setdefault("kept_file", kept[0])

    def same_set(a: Place, b: Place) -> bool:
        return a in exact_set_of and exact_set_of[a] == exact_set_of.get(b)

    def lexical(kept: Place, member: Place) -> bool:
        a, b = member_of.get(kept), member_of.get(member)
        return (dup.lexical and a is not None and b is not None
                and lexical_copy((a.query, b.query), (a.words, b.words), dup.lexical_ratio, (a.fields, b.fields)) is not None)

    for group in groups:
        if group.kind == "exact" and group.members[0] in in_near_group:
            continue  # decided with its near group, whose kept record it keeps
        leader = group.keep or group.members[0]
        if leader not in unavailable:
            for member in group.members:
                if member != leader:
                    drop(member, leader, "exact" if group.kind == "exact" or same_set(member, leader) else "near")
            continue
        # The members copy the leader; with it gone, the first member that stays takes its place, and so does each
        # next one that is no true copy (exact, or lexical by the audit's own rule) of a member kept before it, so a
        # member joined by embeddings alone stays: its likeness to the others was never measured.
        kept: list[Place] = []
        for member in group.members:
            if member in unavailable:
                continue
            copied = next((k for k in kept if same_set(member, k)), None) or next((k for k in kept if lexical(k, member)), None)
            if copied is None:
                kept.append(member)
            else:
                drop(member, copied, "exact" if same_set(member, copied) else "near")
    labels_kept: set[Place] = set()  # the kept record of each group counted
    for conflict in duplicates.conflicts:
        members = list(zip(conflict.line_files, conflict.lines))
        for member in members:
            if drop_conflicts:
                reasons[member] = {"line": member[1], "reason": "conflicting labels", "group_lines": conflict.lines,
                                   "labels": conflict.labels}
                if len(set(conflict.line_files)) > 1:
                    reasons[member]["group_files"] = conflict.line_files
            elif member in reasons:  # a copy dropped while the record kept carries another label: say so
                reasons[member]["conflicting_labels"] = conflict.labels
        if not drop_conflicts:
            # Counted by the record kept in its place, once with any reworded copy of it with another label (below);
            # a conflict none of whose records was dropped is counted alone.
            kept_of = {(r.get("kept_file", m[0]), r["kept_line"]) for m in members if "kept_line" in (r := reasons.get(m, {}))}
            labels_kept |= kept_of or {members[0]}
    for member, reason in reasons.items():
        kept = (reason.get("kept_file", member[0]), reason.get("kept_line"))
        if member not in member_of or kept not in member_of or member_of[member].value == member_of[kept].value:
            continue
        if duplicates.label_field is None:
            # Free-text targets are not labels (no conflict is judged on them) and the audit counts a prompt asked
            # twice as one usable example whatever its replies: the copy goes, saying that its reply was another.
            reason["target_differs"] = True
        elif "conflicting_labels" not in reason:
            # A reworded copy with another label (no conflict in the audit: a fine-grained label set can tell real
            # paraphrases apart) goes as the audit counts it, never silently: both labels are listed for review.
            pair = [member_of[kept].value, member_of[member].value]
            names = label_names(pair)  # as the audit names a conflict's labels: long ones alike carry a digest
            reason["conflicting_labels"] = [None if value is None else names[value] for value in pair]
            labels_kept.add(kept)
    preference = report.checks.get("preference")
    for group in preference.all_contradictions if preference is not None and drop_conflicts else ():
        lines = [line for _, line in group]
        for member in group:
            reasons[member] = {"line": member[1], "reason": "contradicting preferences", "group_lines": lines}
            if len({file for file, _ in group}) > 1:
                reasons[member]["group_files"] = [file for file, _ in group]
    for member in preference.all_identical if preference is not None else ():
        # chosen = rejected: nothing to prefer, no signal for a trainer (the audit's hygiene finding says so too)
        reasons.setdefault(member, {"line": member[1], "reason": "chosen identical to rejected"})
    for error in report.checks["format"].errors:
        if error.line > 0:
            reasons.setdefault((error.file, error.line), {"line": error.line, "reason": f"{INVALID}: {error.field}: {error.message}"})
    return reasons, len(labels_kept)


def _read_members(report, audited: list[Path], config: Config, drop_conflicts: bool) -> dict[Place, MemberText]:
    """The label (or target) and compared text of every member of a group whose labels differ or whose kept
    record goes; the dataset is read again only where some group needs it."""
    duplicates = report.checks["duplicates"]
    unavailable = _unavailable(report, drop_conflicts)
    wanted = {member for group in duplicates.all_groups
              if group.same_target is False or (group.keep or group.members[0]) in unavailable for member in group.members}
    if not wanted:
        return {}
    from ..load.dataset import load_dataset

    records = load_dataset(audited if len(audited) > 1 else audited[0], config, role="train").records
    use_label = duplicates.label_field == "label"
    dup = config.duplicates
    members = {}
    for r in records:
        if (r.source, r.line) in wanted:
            query = normalize_text(r.query_text, dup) or normalize_text(r.input_text, dup)
            members[(r.source, r.line)] = MemberText(r.label if use_label or r.target is None else r.target, query,
                                                     skeleton(tokens(query)), input_fields(r.query_text))
    return members


def _whole_items(reasons: dict[Place, dict], source: Path, config: Config) -> dict[Place, dict]:
    """Long annotation layout: a record is named by its first row; every row of a dropped item goes too."""
    from ..load.dataset import load_dataset

    name = str(source)
    rows_of = {r.line: r.all_lines for r in load_dataset(source, config, role="train").records}
    expanded = dict(reasons)
    for (file, line), reason in reasons.items():
        for row in rows_of.get(line, ()) if file == name else ():
            if row != line:
                expanded.setdefault((file, row), {**reason, "line": row, "item_first_line": line})
    return expanded


def deduplicate(input_path: str | Path, out_path: str | Path, config: Config, *, drop_conflicts: bool = False, embed: bool = True,
                embedder=None) -> DedupSummary:
    """A de-duplicated copy of one file at out_path, and its sidecar of dropped lines."""
    source, target = local_paths(input_path, out_path)
    return _deduplicate([(source, target)], config, drop_conflicts=drop_conflicts, embed=embed, embedder=embedder)[0]


def deduplicate_files(inputs: list[str | Path], out_folder: str | Path, config: Config, *, drop_conflicts: bool = False,
                      embed: bool = True, embedder=None) -> list[DedupSummary]:
    """The files audited together (groups and conflicts that span them included), each written de-duplicated
    under its own name into out_folder, with its sidecar; one summary per file, in input order."""
    folder = Path(out_folder)
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder}: is a file; with several inputs --out names the folder to write their copies into")
    if config.fields.annotator and len(inputs) > 1:
        raise InputError("dedup rewrites a long annotation layout one file at a time (an item's rows are kept or dropped "
                         "together); give one file")
    pairs = [local_paths(item, folder / Path(str(item)).name) for item in inputs]
    names = [target.name for _, target in pairs]
    clash = next((name for name in names if names.count(name) > 1), None)
    if clash:
        raise InputError(f"{clash}: two inputs share this name, and their copies would overwrite each other in {folder}; "
                         "rename one or dedup them apart")
    return _deduplicate(  # the folder is made by the first write, once every file is known to have records
pairs, config, drop_conflicts=drop_conflicts, embed=embed, embedder=embedder)


def _refuse_files_not_to_copy(report, pairs: list[tuple[Path, Path]], audited: list[Path]) -> None:
    """A file of a multi-file dedup none of whose rows is a valid record is refused as a single file is (the
    audit refuses that one): an empty copy would pass for a de-duplicated file. So is a file whose reading
    stopped early (a file error, a quote left open) or that is in another encoding than UTF-8: a copy would
    drop what was never read. Nothing is written then."""
    rows = {summary.path: summary.records for summary in report.inputs if summary.role == "train"}
    invalid: dict[str, set[int]] = {}
    unread_past: dict[str, str] = {}  # a file-level error (line 0): why the file could not be read on, e.g. to its end
    wrong_encoding: Counter[str] = Counter()
    for error in report.checks["format"].errors:
        invalid.setdefault(error.file, set()).add(error.line)
        if error.line == 0:
            unread_past.setdefault(error.file, error.message)
        elif stopped_at_open_quote(error):  # at a row, but the rows after it were never read
            unread_past.setdefault(error.file, f"row {error.line}: {error.message}")
        elif error.field == "(encoding)":
            wrong_encoding[error.file] += 1
    for (source, _), read_as in zip(pairs, audited):
        total = rows.get(str(read_as), 0)
        bad = {line for line in invalid.get(str(read_as), set()) if line > 0}
        if str(read_as) in unread_past:  # its rows may all be valid: what is wrong is where the reading stopped
            raise InputError(f"{source}: {unread_past[str(read_as)]}; so no copy of any file was written; fix that file "
                             "first")
        undecoded = wrong_encoding[str(read_as)]
        if undecoded > MAX_UNDECODED_ROWS and undecoded > MAX_UNDECODED_SHARE * total:
            raise InputError(f"{source}: {undecoded} of its {total} rows are not valid UTF-8, so the file is in another "
                             "encoding (a cp1252 or Latin-1 export) and dropping them would leave out every row with an "
                             "accent; no copy of any file was written; re-export it as UTF-8")
        if total == 0 or len(bad) >= total:
            raise InputError(f"{source}: none of its {total} rows is a valid training record, so no copy of any file was "
                             "written; fix or leave out that file, or name its fields (--text-field, --label-field)")


def _decompressed(source: Path, fmt, plain: Path) -> None:
    """source decompressed into plain, streamed: a line of a gigabyte from a small gzip file is never held whole."""
    with open_plain(source, fmt) as handle, open(plain, "wb") as out:
        while True:
            try:
                chunk = handle.read(1 << 20)
            except (OSError, EOFError) as exc:
                raise gzip_error(source, exc) from exc
            if not chunk:
                return
            out.write(chunk)


def _deduplicate(pairs: list[tuple[Path, Path]], config: Config, *, drop_conflicts: bool, embed: bool, embedder) -> list[DedupSummary]:
    from ..api import audit

    sources = [source for source, _ in pairs]
    formats = [check_target(source, target, sidecar=SIDECAR, inputs=sources) for source, target in pairs]
    config = dataclasses.replace(config, duplicates=dataclasses.replace(config.duplicates, max_groups_listed=10**12))
    with tempfile.TemporaryDirectory(prefix="dataaudit-dedup-") as scratch:
        audited = []
        for (source, _), fmt in zip(pairs, formats):
            if fmt.gzip:  # audit the decompressed rows; the line numbers are the same
                plain = Path(scratch) / str(len(audited)) / source.name.removesuffix(source.suffix)
                plain.parent.mkdir()
                _decompressed(source, fmt, plain)
                audited.append(plain)
            else:
                audited.append(source)
        report = audit(audited if len(audited) > 1 else audited[0], config, embed=embed, embedder=embedder)
        from ..vocabulary import say_unreadable

        say_unreadable(report.warnings)  # why texts that look alike to the model were not dropped: said on stderr
        if report.checks["format"].errors_listed < report.checks["format"].invalid:
            raise InputError(f"{', '.join(str(s) for s, _ in pairs)}: too many malformed lines to list; fix the file first")
        _refuse_files_not_to_copy(report, pairs, audited)
        members = _read_members(report, audited, config, drop_conflicts)
        reasons, labels_kept = _drop_reasons(report, drop_conflicts, members, config.duplicates)
        if config.fields.annotator:
            reasons = _whole_items(reasons, audited[0], config)
    preference = report.checks.get("preference")
    run_contradictions_kept = 0 if drop_conflicts or preference is None else len(preference.all_contradictions)
    # A gzip input is audited decompressed in the scratch folder: its lines are named by the input path.
    source_of = {str(read_as): str(source) for (source, _), read_as in zip(pairs, audited)}
    summaries, written = [], []
    for (source, target), read_as in zip(pairs, audited):
        name = str(read_as)
        mine = {line: {**reason, **({"kept_file": source_of[reason["kept_file"]]} if "kept_file" in reason else {}),
                       **({"group_files": [source_of[f] for f in reason["group_files"]]} if "group_files" in reason else {})}
                for (file, line), reason in reasons.items() if file == name}
        copy, stats = rewritten(source, target, lambda number, row: DROP if number in mine else row,
                                 newline_at_end=True)
        sidecar = sidecar_path(target, SIDECAR)
        written += [(target, copy), (sidecar, "".join(json.dumps({"file": str(source), **mine[line]}, ensure_ascii=False) + "\n"
                                                     for line in sorted(mine)))]
        invalid = sum(reason["reason"].startswith(INVALID) for reason in mine.values())
        summaries.append(DedupSummary(stats.rows, stats.kept, stats.rows - stats.kept, sidecar, labels_kept, invalid,
                                      run_contradictions_kept))
    # Every copy and its list replaced together: a file that cannot be written leaves the earlier set whole, never
    # a copy without its list (or beside a stale one), nor some files of a multi-file run new and others old.
    write_atomic_set(written)
    return summaries

