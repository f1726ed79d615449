"""The run history: a SQLite file of past audits, so scheduled checks can report trends and regressions.

Each write is one IMMEDIATE transaction that reads the previous run and inserts this one, so two audits
started at the same time serialise on the file's lock instead of corrupting it or both comparing against
the same stale run.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import Config, config_from_dict, listing_caps
from ..errors import DataAuditError, InputError
from ..excerpt import sanitise
from ..io import NOT_REGULAR, WriteError, refuse_special_file
from ..scan.pii import masking_phone_regions
from .regressions import comparison_remarks, find_regressions, held_records, key_figures, masked_labels, report_phone_regions

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    dataset TEXT NOT NULL,
    generated_at TEXT NOT NULL,
    inputs TEXT NOT NULL,
    config_hash TEXT NOT NULL,
    verdict TEXT NOT NULL,
    figures TEXT NOT NULL,
    regressions TEXT NOT NULL
)
"""


APPLICATION_ID = 0x44415544  # "DAUD": marks a SQLite file as a dataaudit history
RUN_COLUMNS = ["id", "dataset", "generated_at", "inputs", "config_hash", "verdict", "figures", "regressions"]
# Columns added since the first histories, in the order a history gains them, with their definitions: runs
# written before a column existed read as its default (finished; passed its gate; compared with nothing said).
ADDED_COLUMNS = {
    "complete": "INTEGER NOT NULL DEFAULT 1",
    "baseline_id": "INTEGER",  # the run this one was compared with (NULL: none)
    "failed_gate": "INTEGER NOT NULL DEFAULT 0",  # 1: had regressions under --fail-on-regression, so no baseline
    "notes": "TEXT NOT NULL DEFAULT '[]'",  # why the comparison with the baseline may mislead (config changed, ...)
}
# A history's runs table as each version of dataaudit left it
HISTORY_COLUMNS = tuple([*RUN_COLUMNS, *list(ADDED_COLUMNS)[:n]] for n in range(len(ADDED_COLUMNS) + 1))
# Seconds a run waits for another process's write to the same history before saying it is locked.
LOCK_TIMEOUT_S = 120.0


def stored_text(text: str) -> str:
    """Text as the history stores and matches it. A name or path Python read from a non-UTF-8 file name (or under
    LC_ALL=C without UTF-8 mode) holds surrogate escapes, which SQLite cannot take: their bytes are decoded as
    UTF-8 where they are UTF-8 (`bä` read under LC_ALL=C is stored as `bä`, the name its UTF-8 runs stored) and
    kept as \\xNN escapes where they are not, so one name always stores, and matches, as one text."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _refuse(path: str | Path, why: str, *, reading: bool = False) -> InputError:
    # A run writes its history and may start a new one; a listing only reads one that exists.
    return InputError(f"{path}: {why}; name a dataaudit history file{'' if reading else ' or a new path'} instead")


# SQLite's answers that say the file could not be written, not that it is no history: (reason, what to do)
_WRITE_FAILURES = {
    "SQLITE_FULL": ("database or disk is full", "free some space on that disk"),
    "SQLITE_IOERR": ("disk I/O error: a full disk or a file size limit (ulimit -f)", "free some space or raise the limit"),
    "SQLITE_READONLY": ("permission denied", "use a history file you can write to"),
    "SQLITE_CANTOPEN": ("permission denied", "use a history file you can write to"),
    "SQLITE_PERM": ("permission denied", "use a history file you can write to"),
}


def _write_failure(path: Path, exc: sqlite3.DatabaseError, *, reports_written: bool = False) -> InputError | None:
    """A write that failed for the disk's or the permissions' sake, in those words (suggesting another history
    file would be wrong), or None for a file that is not a usable database."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    for prefix, (why, fix) in _WRITE_FAILURES.items():
        if name == prefix or name.startswith(prefix + "_"):
            if prefix == "SQLITE_CANTOPEN" and not _unwritable(path):
                return None  # cannot open for another reason (a dangling link, a special file): not a usable database
            if fix.startswith("use a history file") and _folder_unwritable(path):
                # The file itself is writable: "use a history file you can write to" would send the user to chmod it.
                why = f"its folder {path.parent} is not writable, and SQLite writes its -wal and -shm files beside it"
                fix = "make that folder writable for this user, or keep the history in a folder that is"
            if reports_written:  # marking a finished run: the reports exist by then, and must not be disowned
                return InputError(f"cannot write to history {path} ({why}): the reports were written, but this run is not "
                                  f"recorded (it is no baseline for the next run); {fix}")
            return InputError(f"cannot write to history {path} ({why}), so no report was written; {fix}")
    return None


def _locked(path: str | Path, exc: sqlite3.DatabaseError) -> InputError | None:
    """A history another process holds (an audit writing it, a `sqlite3` shell left in a transaction), or None.
    Said as such: "not a usable database, name another file" would have the user start a history without its
    baseline."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return InputError(f"history {path} is locked by another process (another audit writing it?) and stayed locked for "
                          f"{LOCK_TIMEOUT_S:g} s; retry when that process has finished (keep this file: it holds the baseline)")
    return None


def _damaged(path: str | Path, why: Any, *, reading: bool = False) -> InputError:
    """A history that was one and is corrupt now: "name a dataaudit history file" would tell the user they named the
    wrong file, where the right one is damaged and a copy of it (a CI cache, an artifact) holds the baseline."""
    new_path = "" if reading else " or name a new path, which starts a history with no baseline"
    return InputError(f"{path}: is a damaged SQLite database ({why}); restore it from a copy (a CI cache or artifact){new_path}")


def _marked_history(path: str | Path) -> bool:
    """Whether the file's header is a SQLite header holding the dataaudit application_id (bytes 68-71): a file cut
    short (a partial cache restore) or overwritten past its first page keeps it, so it reads as a damaged history,
    not as some other file."""
    try:
        with open(path, "rb") as file:
            header = file.read(72)
    except OSError:
        return False
    return len(header) == 72 and header.startswith(b"SQLite format 3\x00") and int.from_bytes(header[68:72], "big") == APPLICATION_ID


def _corrupt(path: str | Path, exc: sqlite3.DatabaseError, *, reading: bool = False) -> InputError | None:
    """SQLite's "malformed" on a file marked as a dataaudit history, as damage; None for anything else."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    if name.startswith("SQLITE_CORRUPT") and _marked_history(path):
        return _damaged(path, exc, reading=reading)
    return None


def _history_error(path: str | Path, exc: sqlite3.DatabaseError, *, reports_written: bool = False, reading: bool = False) -> InputError:
    """A failed write in the disk's or the permissions' words, a lock as a lock, a marked history that is corrupt as
    damaged, else the file is no usable database.
    reading: a listing, which writes nothing, so only the disk's want of room for the -shm file is the disk's."""
    if reading:
        return (_locked(path, exc) or _unreadable_for_the_disk(path, exc) or _corrupt(path, exc, reading=True)
                or _refuse(path, f"is not a usable SQLite database ({exc})", reading=True))
    return (_locked(path, exc) or _write_failure(Path(path), exc, reports_written=reports_written) or _corrupt(path, exc)
            or _refuse(path, f"is not a usable SQLite database ({exc})", reading=reading))


def _folder_unwritable(path: Path) -> bool:
    import os

    return path.exists() and os.access(path, os.W_OK) and not os.access(path.parent, os.W_OK | os.X_OK)


def _unreadable_for_the_disk(path: Path, exc: sqlite3.DatabaseError) -> InputError | None:
    """A listing that failed because SQLite could not make the -shm file a reader of a WAL history needs (a full
    disk, a size limit), in those words, or None: the history is intact, "not a usable database" would have the
    user throw its baseline away."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    for prefix in ("SQLITE_FULL", "SQLITE_IOERR"):
        if name == prefix or name.startswith(prefix + "_"):
            why, fix = _WRITE_FAILURES[prefix]
            return InputError(f"cannot read history {path} ({why}): reading it needs room for a -shm file beside it; {fix} "
                              "(the history itself is kept as it was)")
    return None


def _unwritable(path: Path) -> bool:
    import os

    return not os.access(path if path.exists() else path.parent, os.W_OK) or (
        path.exists() and not os.access(path.parent, os.W_OK | os.X_OK))


def _connect(path: str | Path, *, reports_written: bool = False) -> sqlite3.Connection:
    """Open (or create) a history file, refusing any SQLite database that is not a dataaudit history:
    creating tables inside someone else's database would be writing to a file we were not given to write.
    The check and the creation happen in one IMMEDIATE transaction, so two audits creating the same new
    history at once serialise instead of seeing each other's half-made file."""
    path = Path(path)
    if path.is_dir():
        raise _refuse(path, "is a directory")
    try:
        refuse_special_file(path)  # the one rule for what this tool writes: /dev/null would read as a full disk below
    except WriteError:
        raise _refuse(path, f"is {NOT_REGULAR}") from None
    path.parent.mkdir(parents=True, exist_ok=True)
    created = not path.exists() and not path.is_symlink()
    if not created and path.exists() and path.stat().st_size:
        # Read before writing: a file that turns out to be corrupt or someone else's database is left as it was
        # (the marker and the table were written and committed before a corrupt page was ever read).
        _validate_readonly(path)
    connection = None
    try:
        connection = sqlite3.connect(path, timeout=LOCK_TIMEOUT_S, isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
        app_id = connection.execute("PRAGMA application_id").fetchone()[0]
        tables = {r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if app_id != APPLICATION_ID and tables:
            columns = [r[1] for r in connection.execute("PRAGMA table_info(runs)")] if "runs" in tables else []
            if not (tables <= {"runs", "sqlite_sequence"} and columns in HISTORY_COLUMNS):  # else: written before the marker
                connection.execute("ROLLBACK")
                raise _refuse(path, "is a SQLite database but not a dataaudit history")
        connection.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        connection.execute(SCHEMA)
        present = [r[1] for r in connection.execute("PRAGMA table_info(runs)")]
        for column, definition in ADDED_COLUMNS.items():
            if column not in present:  # a history made by an earlier version: its runs read as the column's default
                connection.execute(f"ALTER TABLE runs ADD COLUMN {column} {definition}")
        connection.execute("COMMIT")
        connection.execute("PRAGMA journal_mode=WAL")
    except sqlite3.DatabaseError as exc:
        if connection is not None:
            connection.close()
        if created and _locked(path, exc) is None:  # a file another process made and holds is its, not ours to remove
            _remove_unmade(path)
        raise _history_error(path, exc, reports_written=reports_written) from exc
    except BaseException:
        # A refusal, or Ctrl-C / SIGTERM between two statements: closed here, the last connection checkpoints and
        # removes the -wal and -shm files (left open, they stay beside the history, owned by this account).
        if connection is not None:
            connection.close()
        raise
    return connection


def _validate_readonly(path: Path) -> None:
    """Refuse, without writing a byte, a file that is no usable history: not a database, a corrupt one (every
    page read by quick_check), or another program's database."""
    connection = _connect_readonly(path, reading=False)
    if connection is None:
        return
    try:
        _refuse_damage(path, connection, reading=False)
    finally:
        connection.close()


def _refuse_damage(path: Path, connection: sqlite3.Connection, *, reading: bool) -> None:
    """Every page read (quick_check), so a listing and an audit call one damaged history damaged alike: a listing
    whose query happened to miss the corrupt pages would show a history the next audit refuses."""
    try:
        problems = [r[0] for r in connection.execute("PRAGMA quick_check(5)")]
    except sqlite3.DatabaseError as exc:
        raise _history_error(path, exc, reading=reading) from exc
    if problems != ["ok"]:
        raise _damaged(path, problems[0], reading=reading)


def _remove_unmade(path: Path) -> None:
    """A history this run created and could not initialise (a full disk, a size limit) is taken away again:
    a 0-byte file left behind reads as a history with nothing in it, and the next run's error would blame it."""
    for leftover in (path, *(path.with_name(path.name + s) for s in ("-journal", "-wal", "-shm"))):
        try:
            leftover.unlink()
        except OSError:
            pass


def _connect_readonly(path: Path, *, reading: bool = True) -> sqlite3.Connection | None:
    """A history opened for reading only (listing it, finding where --since-last starts): a history the user
    may read but not write (another account's, a read-only mount) is listed, where _connect would try to write
    its marker and fail. None for an empty file, which holds no runs yet. Refuses what _connect refuses."""
    import os

    if not os.access(path, os.R_OK):
        raise InputError(f"cannot read history {path} (permission denied); give a history file you can read")
    # With no write-ahead log beside it the file is all there is: read it as immutable, which makes no -wal or
    # -shm file (mode=ro on a WAL history makes both, owned by whoever lists it; in a shared folder the owner's
    # next audit could then not write its own history). With a log (a run writing now), mode=ro reads it too.
    wal = Path(str(path) + "-wal").exists()
    # Checked before a write (not reading): the file is to be written anyway, and an immutable read would ignore
    # the lock of another audit creating it and could take its half-written pages for a damaged file.
    uri = path.absolute().as_uri() + ("?mode=ro" if wal or not reading else "?immutable=1")  # as_uri quotes '?', '#' and '%'
    connection = None
    try:
        try:
            connection = sqlite3.connect(uri, uri=True, timeout=LOCK_TIMEOUT_S)
            app_id = connection.execute("PRAGMA application_id").fetchone()[0]
        except sqlite3.OperationalError as exc:
            if not (getattr(exc, "sqlite_errorname", "") or "").startswith(("SQLITE_CANTOPEN", "SQLITE_READONLY")):
                raise
            # A WAL history in a folder we cannot write: SQLite cannot make the -shm file a reader needs.
            # Read it as it is on disk; a writer running at this moment could make the listing one run behind.
            if connection is not None:
                connection.close()
            connection = sqlite3.connect(path.absolute().as_uri() + "?immutable=1", uri=True, timeout=LOCK_TIMEOUT_S)
            app_id = connection.execute("PRAGMA application_id").fetchone()[0]
        tables = {r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not tables:
            connection.close()
            return None
        columns = [r[1] for r in connection.execute("PRAGMA table_info(runs)")] if "runs" in tables else []
        if app_id != APPLICATION_ID and not (tables <= {"runs", "sqlite_sequence"} and columns in HISTORY_COLUMNS):
            connection.close()
            raise _refuse(path, "is a SQLite database but not a dataaudit history", reading=reading)
        if "runs" not in tables:
            connection.close()
            return None
    except sqlite3.DatabaseError as exc:
        if connection is not None:
            connection.close()
        if not reading:  # checked before a write: a full disk or a size limit is said as _connect says it
            raise _history_error(path, exc) from exc
        raise _history_error(path, exc, reading=True) from exc
    except BaseException:  # Ctrl-C or SIGTERM while reading: no -wal or -shm left behind (see _connect)
        if connection is not None:
            connection.close()
        raise
    return connection


# Runs read back to find the one a run is compared with: the latest that held records (a --since-last pull
# with nothing new holds none, and every figure of the next batch would otherwise "regress" from its nothing).
BASELINE_LOOKBACK = 50


@dataclass(frozen=True)
class RecordedRun:
    regressions: list[dict[str, Any]]
    compared_with: str | None  # generated_at of the run this one was compared with; None: no such run
    run_id: int | None = None  # this run's row: forget_run() takes it back when its reports cannot be written
    notes: list[str] = field(default_factory=list)  # why the comparison may mislead (a config change, other inputs)
    baseline_id: int | None = None  # the row of the run compared with


def _finished(connection: sqlite3.Connection) -> str:
    """The condition a run must meet to be read back: finished (its reports written), where the history says."""
    columns = [r[1] for r in connection.execute("PRAGMA table_info(runs)")]
    return "complete = 1" if "complete" in columns else "1"  # a read-only history from before the column: all finished


def _input_paths(inputs: list[dict[str, Any]]) -> set[str]:
    """The training files a run read (a production sample shared by two projects says nothing of either)."""
    return {entry["path"] for entry in inputs if isinstance(entry, dict) and "path" in entry and entry.get("role", "train") == "train"}


def moved_files(before_inputs: list[dict[str, Any]], now_inputs: list[dict[str, Any]]) -> dict[str, str]:
    """baseline path -> this run's path, for each training file gone from its path whose name and bytes (sha256)
    stand at exactly one new path now: a project moved or checked out elsewhere is the same files, compared as such
    (as "another project" it would also be judged file by file as if every batch were new)."""
    def train(inputs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [e for e in inputs if isinstance(e, dict) and isinstance(e.get("path"), str) and e.get("role", "train") == "train"]

    before, now = train(before_inputs), train(now_inputs)
    before_paths, now_paths = {e["path"] for e in before}, {e["path"] for e in now}
    arrived: dict[tuple[str, str], list[str]] = {}
    for entry in now:
        if entry["path"] not in before_paths and entry.get("sha256"):
            arrived.setdefault((Path(entry["path"]).name, entry["sha256"]), []).append(entry["path"])
    moved = {}
    for entry in before:
        if entry["path"] in now_paths or not entry.get("sha256"):
            continue
        candidates = arrived.get((Path(entry["path"]).name, entry["sha256"]), [])
        if len(candidates) == 1:
            moved[entry["path"]] = candidates[0]
    # two baseline files with one name and bytes cannot both have moved to the one new path
    taken = [target for target in moved.values()]
    return {old: new for old, new in moved.items() if taken.count(new) == 1}


def moved_figures(figures: dict[str, Any], moved: dict[str, str]) -> dict[str, Any]:
    """A baseline's key figures with its training files at the paths they moved to, so a moved batch is not new."""
    if not moved:
        return figures
    return {**figures, "train_files": [moved.get(p, p) for p in figures.get("train_files") or []]}


def _moved_note(moved: dict[str, str]) -> str:
    first = sorted(moved.items())[0]
    more = f" and {len(moved) - 1} more" if len(moved) > 1 else ""
    return (f"input files moved since the baseline ({sanitise(first[0])} is now {sanitise(first[1])}{more}, the same names "
            "and bytes): compared as the same files")


def comparison_notes(dataset: str, config_note: str, before_model: str | None, now_model: str | None,
                     before_paths: set[str], now_paths: set[str], *, named: bool = False,
                     moved: dict[str, str] | None = None) -> list[str]:
    """What makes two runs of one dataset name unlike, each said in a line: regressions across a config change,
    another embedding model or other files are listed all the same (a gate that a changed config or file list
    could silence would be no gate), with the reason they may not be the data's doing. config_note: the
    config_change_note, "" for none. named: the name was given (--dataset-name), so files with nothing in common
    are that user's choice, not two projects colliding. moved: moved_files(), baseline files found at new paths."""
    notes = []
    if moved:
        notes.append(_moved_note(moved))
        before_paths = {moved.get(p, p) for p in before_paths}
    folders = {str(Path(p).parent) for p in before_paths} & {str(Path(p).parent) for p in now_paths}
    if before_paths and now_paths and not before_paths & now_paths and not folders and not named:
        # Not one file nor folder in common: another project under the same name, not this one's next batch
        # (batches audited one at a time under --dataset-name share their folder).
        notes.append(f"no input file or folder in common with the baseline run, which read {_some(before_paths)}: another "
                     f"project named '{sanitise(dataset)}' in this history? Give each project its own --dataset-name (dataset_name "
                     "in the config) or history file")
    elif before_paths - now_paths and now_paths:
        # Files only added is a growing batch glob, the history's everyday case; a file gone is another mix.
        added, gone = len(now_paths - before_paths), len(before_paths - now_paths)
        notes.append(f"compared with a run of other input files ({added} added, {gone} gone since the baseline, which read "
                     f"{_some(before_paths)})" if not before_paths & now_paths else
                     f"compared with a run of other input files ({added} added, {gone} gone since the baseline)")
    if before_model != now_model and before_model and now_model:
        notes.append(f"compared across an embedding model change ({before_model} then, {now_model} now): near duplicates "
                     "and coverage are measured differently")
    if config_note:
        notes.append(config_note)
    return notes


# Settings that cannot move a figure the history compares: where and how a run computes (engine, device, batch
# size, the cache), what it is called, the economics estimate (no condition), and the regression bounds (they
# judge the figures, they do not make them). A whole section where None, else the listed keys of it. The caps
# on what a report lists join them from the config's own marks (not_measured), so a new check's cap needs no
# line here.
NOT_MEASURED: dict[str, tuple[str, ...] | None] = {
    "dataset_name": None, "engine": None, "economics": None, "history": None,
    # the model is compared as the run resolved it (comparison_notes: "" and its default name are one model)
    "embeddings": ("device", "batch_size", "cache", "cache_dir", "cache_format", "model"),
}


def not_measured() -> dict[str, tuple[str, ...] | None]:
    """NOT_MEASURED with every section's listing caps (config.listing_caps): every count comes from the whole
    lists, so a cap moves no figure."""
    left_out = dict(NOT_MEASURED)
    for section, caps in listing_caps().items():
        if section in left_out and left_out[section] is None:
            continue
        left_out[section] = tuple(dict.fromkeys((*(left_out.get(section) or ()), *caps)))
    return left_out


def _short_hash(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:16]


def measured_settings(config: dict[str, Any]) -> dict[str, str]:
    """Each setting that can move a figure, as "section.key" (a top-level one as its name, a section that is
    unset as its name) -> a hash of its value: what the history keeps to name the settings two runs differ in,
    without keeping their values (a label order, a path). The config is read as this version reads it, so a
    report from before a setting existed has it at its default."""
    try:
        config = config_from_dict(config).to_dict()
    except DataAuditError:  # a report of another version, keys this one does not know: compared as written
        pass
    settings = {}
    skipped = not_measured()
    for section, value in config.items():
        left_out = skipped.get(section, ())
        if left_out is None:
            continue
        if isinstance(value, dict):
            settings.update({f"{section}.{key}": _short_hash(v) for key, v in value.items() if key not in left_out})
        else:
            settings[section] = _short_hash(value)
    return settings


def changed_settings(before: dict[str, str], now: dict[str, str]) -> list[str]:
    """The settings whose values differ. A setting on one side only is a dataaudit upgrade's (every run keeps
    every setting its version has), not the user's change, and is left out; a section unset on one side and set
    on the other ([maintenance]) is named as the section."""
    changed = {key for key in before.keys() & now.keys() if before[key] != now[key]}
    for one, other in ((before, now), (now, before)):
        changed |= {key.split(".")[0] for key in one.keys() - other.keys() if key.split(".")[0] in other}
    return sorted(changed)


def whole_config_hash(config: dict[str, Any]) -> str:
    """The hash a history kept before settings were kept one by one: of the whole config as the report wrote it."""
    return _short_hash(config)


def config_change_note(before_settings: dict[str, str] | None, now_settings: dict[str, str],
                       before_whole_hash: str | None = None, now_config: dict[str, Any] | None = None) -> str:
    """The note on a comparison across a config change, naming the settings; "" where none moved. Against a run
    recorded before settings were kept one by one (before_settings None), only its whole-config hash is there:
    the note then says the config may differ, and only where that hash differs from this run's."""
    if before_settings is None:
        if before_whole_hash is None or now_config is None or before_whole_hash == whole_config_hash(now_config):
            return ""
        return ("config may differ (older history): the baseline run kept only a hash of its whole config, which differs "
                "from this run's (a setting that moves no figure changes it too)")
    changed = changed_settings(before_settings, now_settings)
    if not changed:
        return ""
    shown = ", ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
    return f"compared across a config change: {shown} (a figure may have moved with these settings, not with the data)"


def _some(paths: set[str], shown: int = 2) -> str:
    first = [sanitise(p) for p in sorted(paths)[:shown]]
    return ", ".join(first) + (f" and {len(paths) - shown} more" if len(paths) > shown else "")


def _with_notes(regressions: list[dict[str, Any]], notes: list[str]) -> list[dict[str, Any]]:
    """Each regression with the notes that qualify it, in its detail too: renderers show what, before, now and
    detail, so a note kept elsewhere would be lost where the regression is read."""
    if not notes:
        return regressions
    said_once = "; ".join(notes)
    return [{**r, "detail": f"{r['detail']} ({said_once})", "notes": list(notes)} for r in regressions]


def embedding_model(data: dict[str, Any]) -> str | None:
    """The model a run embedded with (its embeddings section); None without embeddings."""
    checks = data.get("checks") if isinstance(data.get("checks"), dict) else {}
    embeddings = checks.get("embeddings") if isinstance(checks.get("embeddings"), dict) else {}
    return embeddings.get("model") or None


def record_run(path: str | Path, data: dict[str, Any], config: Config | None = None, *, answers_until: str = "",
               unfinished: bool = False, fail_on_regression: bool | None = None) -> RecordedRun:
    """Store this run (a report's JSON dict) and compare it with its baseline: the latest earlier finished run of
    the same dataset that held records and did not fail its regression gate (no comparison when this one held
    none). One IMMEDIATE transaction reads that run and inserts this one. answers_until: the newest answer of an
    annotation tool's export this run read (where the next `--since-last` window starts); "" when the run read
    files. unfinished: the run is stored but read back by nothing (no baseline, not listed) until confirm_run():
    the CLI writes its reports in between, and a run killed there (SIGKILL, the OOM killer, a power cut) leaves
    no run nobody can read. fail_on_regression: whether regressions fail this run; a run they fail is no
    baseline, so re-running the failed job (or the next night's) is judged against the same run and fails again.
    False: the run is a baseline whatever it found (how a change is accepted on purpose). None (not told): as
    True, since a gate that lets the second try through is no gate."""
    dataset = stored_text(data["dataset"])
    figures = key_figures(data)
    bounds = (config or config_from_dict(data["config"])).history
    gated = True if fail_on_regression is None else fail_on_regression
    settings = measured_settings(data["config"])
    config_hash = _short_hash(settings)
    entries = [{"role": i["role"], "path": stored_text(i["path"]), "sha256": i["sha256"]} for i in data["inputs"]]
    if answers_until:
        for entry in entries:
            if entry["role"] == "train":
                entry["answers_until"] = answers_until
    inputs = json.dumps(entries)
    model = embedding_model(data)
    connection = _connect(path)
    try:
        connection.execute("BEGIN IMMEDIATE")
        rows = connection.execute("SELECT id, figures, generated_at, config_hash, inputs FROM runs WHERE dataset = ? AND complete = 1 "
                                  "AND failed_gate = 0 ORDER BY id DESC LIMIT ?", (dataset, BASELINE_LOOKBACK)).fetchall()
        baseline = next((r for r in rows if held_records(json.loads(r[1]))), None)
        # A run that audited nothing (a pull with nothing new) is not worse than the last batch: there is no batch.
        compared = baseline is not None and held_records(figures)
        regressions: list[dict[str, Any]] = []
        notes: list[str] = []
        if compared:
            moved = moved_files(json.loads(baseline[4]), entries)
            with masking_phone_regions(report_phone_regions(data)):
                before_figures = moved_figures(masked_labels(json.loads(baseline[1])), moved)
            regressions = find_regressions(before_figures, figures, bounds)
            before_settings = before_figures.get("config_settings")
            config_note = config_change_note(before_settings if isinstance(before_settings, dict) else None, settings,
                                             baseline[3], data["config"])
            notes = comparison_notes(dataset, config_note, before_figures.get("embedding_model"), model,
                                     _input_paths(json.loads(baseline[4])), _input_paths(entries),
                                     named=bool((data.get("config") or {}).get("dataset_name")), moved=moved)
            regressions = _with_notes(regressions, notes)
            notes += comparison_remarks(before_figures, figures, bounds)  # qualifies no regression: says what was left out
        stored_figures = {**figures, "embedding_model": model, "config_settings": settings}
        inserted = connection.execute("INSERT INTO runs (dataset, generated_at, inputs, config_hash, verdict, figures, regressions, "
                                      "complete, baseline_id, failed_gate, notes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                      (dataset, stored_text(data["generated_at"]), inputs, config_hash, stored_text(data["verdict"]["status"]),
                                       json.dumps(stored_figures), json.dumps(regressions), 0 if unfinished else 1,
                                       baseline[0] if compared else None, 1 if gated and regressions else 0, json.dumps(notes)))
        connection.execute("COMMIT")
    except BaseException as exc:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        if isinstance(exc, sqlite3.DatabaseError):  # the disk filled between opening the history and this insert
            raise _history_error(path, exc) from exc
        raise
    finally:
        connection.close()
    return RecordedRun(regressions, baseline[2] if compared else None, inserted.lastrowid, notes,
                       baseline[0] if compared else None)


def confirm_run(path: str | Path, run_id: int) -> None:
    """Mark a run recorded `unfinished` as finished: its reports are written, so it is a baseline and listed."""
    # Not _connect's "or a new path": a history made here would hold no run to confirm, and the caller's run would
    # stay unfinished in the file it meant, unsaid.
    if not Path(path).is_file():
        raise InputError(f"{path}: no such history file; confirm the run in the history it was recorded in")
    # The reports are written by now: a failure here (a disk that filled, a chmod, meanwhile) must not say otherwise.
    connection = _connect(path, reports_written=True)
    try:
        with connection:
            confirmed = connection.execute("UPDATE runs SET complete = 1 WHERE id = ?", (run_id,)).rowcount
    except sqlite3.DatabaseError as exc:
        raise _history_error(path, exc, reports_written=True) from exc
    finally:
        connection.close()
    if not confirmed:
        raise InputError(f"{path}: holds no run {run_id} to confirm; pass the history_run_id of a report recorded in this history")


def forget_run(path: str | Path, run_id: int) -> None:
    """Take back a recorded run whose reports could not be written (a full disk): the next run must be compared
    with the last run whose reports exist, not with one nobody could read."""
    connection = _connect(path)
    try:
        with connection:
            connection.execute("DELETE FROM runs WHERE id = ?", (run_id,))
    finally:
        connection.close()


def load_runs(path: str | Path, dataset: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
    """The latest finished runs, oldest first: each with the run it was compared with (`baseline_id`, None: none),
    whether it failed its regression gate (then it is no baseline) and the notes on that comparison. `config_hash`
    is a hash of the settings that can move a figure; rows an older dataaudit wrote hold one of the whole config,
    so it changes at the upgrade without a setting changing."""
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{path}: is a directory, not a history file")
    if path.exists() and not path.is_file():  # /dev/null exists: "no such file" would send the user looking for it
        raise _refuse(path, "is not a regular file (a device, FIFO or socket)", reading=True)
    if not path.is_file():
        raise InputError(f"{path}: no such history file")
    connection = _connect_readonly(path)
    if connection is None:
        return []
    try:
        _refuse_damage(path, connection, reading=True)
        columns = [r[1] for r in connection.execute("PRAGMA table_info(runs)")]
        extra = [c if c in columns else f"NULL AS {c}" for c in ("baseline_id", "failed_gate", "notes")]
        query = (f"SELECT id, dataset, generated_at, verdict, config_hash, figures, regressions, {', '.join(extra)} "
                 f"FROM runs WHERE {_finished(connection)}")
        args: tuple = ()
        if dataset:
            query += " AND dataset = ?"
            args = (stored_text(dataset),)
        rows = connection.execute(query + " ORDER BY id DESC LIMIT ?", (*args, limit)).fetchall()
        # A corrupt page shows only when a query reads it, after the file opened as a database.
        runs = [{"id": r[0], "dataset": r[1], "generated_at": r[2], "verdict": r[3], "config_hash": r[4],
                 "figures": json.loads(r[5]), "regressions": json.loads(r[6]), "baseline_id": r[7],
                 "failed_gate": bool(r[8]), "notes": json.loads(r[9]) if r[9] else []} for r in reversed(rows)]
    except sqlite3.DatabaseError as exc:
        raise _history_error(path, exc, reading=True) from exc
    except (json.JSONDecodeError, TypeError) as exc:
        raise _refuse(path, f"holds a run that is not readable ({exc})", reading=True) from exc
    finally:
        connection.close()
    return runs


def last_run_time(path: str | Path, dataset: str) -> str | None:
    """Where the previous run of this dataset that did not fail its gate left off (ISO time), or None: the start of
    `--since-last`.
    That is the newest answer its export held, on the annotation tool's own clock, so an answer made while
    that run was fetching or measuring is in this window; a run recorded before that was kept falls back to
    when its report was generated."""
    if not Path(path).is_file():
        return None
    connection = _connect_readonly(Path(path))
    if connection is None:
        return None
    try:
        columns = [r[1] for r in connection.execute("PRAGMA table_info(runs)")]
        # A run that failed its gate is no baseline, so its batch is not done with: the re-run must read it again,
        # or it reads nothing new, exits 3 (which CI lets pass) and the failed batch is never audited again.
        passed = " AND failed_gate = 0" if "failed_gate" in columns else ""
        row = connection.execute(f"SELECT generated_at, inputs FROM runs WHERE dataset = ? AND {_finished(connection)}{passed} "
                                 "ORDER BY id DESC LIMIT 1", (stored_text(dataset),)).fetchone()
    finally:
        connection.close()
    if row is None:
        return None
    marks = [entry.get("answers_until") for entry in json.loads(row[1]) if isinstance(entry, dict)]
    return next((mark for mark in marks if mark), row[0])
