"""The Python API: `audit()` loads, indexes, runs the registered checks, decides, and returns a Report.

audit() prints nothing. The files the CLI writes from a Report (write_reports, write_suspects, write_timings) and
the work of its other options and commands (fetch_label_studio for --label-studio and --since-last, dedup) are
here too, so that the CLI only parses arguments and a notebook can do all it does.

    >>> from dataaudit import audit
    >>> report = audit("sample_data/support_tickets.jsonl", production="sample_data/production.jsonl")
    >>> report.verdict.status, report.checks["duplicates"].duplicate_share
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import glob
import hashlib
import re
import threading
import time
import warnings as _warnings
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from . import __version__
from .checks import AuditContext, Check, Finding, RunStatus, all_checks
from .checks.base import NOTHING_TO_MEASURE, Status, need_missing
from .checks.batches import items_span_files, measure_batches
from .config import Config, load_config, where_set
from .config_paths import with_resolved_paths
from .decide.conditions import not_applicable
from .decide.verdict import decide
from .engine import make_engine
from .engine.base import DataSteps, SerialSteps
from .load.inputs import expand_inputs
from .embeddings import Embedder
from .errors import ConfigError, DataAuditError, InputError, InputWarning, ModelNotFoundError, said
from .io import WriteError
from .load.files import folder_name, is_uri
from .load.records import Dataset
from .load.values import key_name, quoted
from .load.targets import dataset_task_type, resolve_task_type, without_target_labels
from .report import CheckResults, CheckRun, InputSummary, Report
from .result_cache import ResultCache, fingerprint, referenced_file_states, refresh_run_state, results_folder
from .scan.pii import masked_as_configured, masking_phone_regions
from .vocabulary import mark_unreadable, vocabulary_warnings

if TYPE_CHECKING:
    from .fix.dedup import DedupSummary

PathArg = str | Path


def _inputs(role: str, dataset: Dataset) -> list[InputSummary]:
    return [InputSummary(role, f.path, f.sha256, f.records) for f in dataset.files]


def run_checks(ctx: AuditContext, checks: tuple[Check, ...] | None = None,
               reuse: Mapping[str, Any] | None = None) -> tuple[CheckResults, list[Finding], list[str]]:
    """Measure every check whose needs are met (in order, so later checks read earlier results), then judge.

    A check that raises anything but a DataAuditError is isolated: its status is `error`, the audit goes on,
    and a warning names it. A DataAuditError (bad input or config) stops the audit: it is the user's to fix.
    reuse: check id -> a result an earlier run measured from the same inputs, config and code; such a check
    is not measured again (only reusable checks are taken from it).
    """
    # The one place the checks' paths are resolved (config_paths): a config file's against its folder, whichever
    # folder this runs in. Resolving a resolved config changes nothing.
    ctx = dataclasses.replace(ctx, config=with_resolved_paths(ctx.config))
    results: dict[str, Any] = {}
    runs: dict[str, CheckRun] = {}
    warnings: list[str] = []
    run_state = {"embeddings": dict(ctx.embedding_stats)}
    for check in checks or all_checks():
        missing = [need for need in sorted(check.needs) if not ctx.has(need)]
        if missing:
            results[check.id] = None
            runs[check.id] = CheckRun(RunStatus.NOT_RUN, "; ".join(need_missing(n) for n in missing))
            continue
        if reuse and check.reusable and check.id in reuse:
            results[check.id] = refresh_run_state(reuse[check.id], run_state)
            runs[check.id] = _measured(results[check.id], reused=True)
            continue
        try:
            start = time.perf_counter()
            results[check.id] = check.measure(dataclasses.replace(ctx, results=results))
            runs[check.id] = _measured(results[check.id], seconds=time.perf_counter() - start)
        except DataAuditError:
            raise
        except Exception as exc:  # isolate a failing check, as cleanlab's Datalab isolates its issue managers
            results[check.id] = None
            runs[check.id] = CheckRun(RunStatus.ERROR, _failure(exc))
            warnings.append(f"check {check.id!r} failed and was skipped ({_failure(exc)}); "
                            "its conditions are judged without it")
    # A check with nothing to measure did run: label_noise reads "agreement not run" apart from "no item rated twice".
    final = dataclasses.replace(ctx, results=results, not_run={k: r.reason for k, r in runs.items()
                                                               if r.status in (RunStatus.NOT_RUN, RunStatus.ERROR)})
    findings: list[Finding] = []
    for check in checks or all_checks():
        if runs[check.id].status == RunStatus.ERROR:
            continue
        try:
            findings.extend(check.judge(results[check.id], final))
        except DataAuditError:
            raise
        except Exception as exc:
            runs[check.id] = CheckRun(RunStatus.ERROR, _failure(exc))
            warnings.append(f"check {check.id!r} could not judge its result ({_failure(exc)})")
    findings += [failed_check_finding(check, condition, runs[check.id].reason)
                 for check in checks or all_checks() if runs[check.id].status == RunStatus.ERROR for condition in sorted(check.conditions)]
    return CheckResults(results, runs), findings, warnings


# A failed check's exception often quotes the record it choked on ("could not convert string to float: '...'"):
# said as an excerpt, so one 70,000-character value cannot crowd every section out of report.md's size bound.
FAILURE_CHARS = 300


def _failure(exc: Exception) -> str:
    from .excerpt import plain_excerpt

    return plain_excerpt(f"{type(exc).__name__}: {exc}", FAILURE_CHARS)


def _measured(result: Any, *, seconds: float = 0.0, reused: bool = False) -> CheckRun:
    """How a check that measured ran: not_applicable when its result is None (report.json says the same)."""
    if result is None:
        return CheckRun(RunStatus.NOT_APPLICABLE, NOTHING_TO_MEASURE, reused=reused, seconds=seconds)
    return CheckRun(RunStatus.RAN, reused=reused, seconds=seconds)


def failed_check_finding(check: Check, condition: str, reason: str) -> Finding:
    """What a failed check leaves its condition: unknown, unless another check fails it (decide.merge_findings),
    so a verdict is never 'ready' on a condition whose evidence is missing."""
    return Finding(condition, Status.UNKNOWN, f"the {check.id} check failed ({reason}), so {condition} is not fully judged",
                   {"check_failed": check.id}, f"Report the {check.id} check's error (it is in the report's warnings); "
                                               "the other checks' findings stand.")


def _address_source(config: Config) -> str:
    """Where the Ray address was set, for an error that cannot reach it: the flag or override, else the config file."""
    if not config.engine.address:
        return ""
    if "engine.address" in config.set_by:
        return config.set_by["engine.address"]
    return f"engine.address in {config.source}" if config.source else ""


def audit(paths: PathArg | list[PathArg] | Dataset, config: Config | None = None, *, production: PathArg | list[PathArg] | None = None,
          eval_path: PathArg | list[PathArg] | None = None, prompt_log: PathArg | None = None, embed: bool = True,
          embedder: Embedder | None = None, progress: bool = False, config_path: PathArg | None = None,
          history: PathArg | None = None, fail_on_regression: bool = False, engine: Any = None,
          history_unfinished: bool = False) -> Report:
    """Audit one dataset (one or more files or globs audited together) and return the report.

    production: a sample of real production inputs (enables `coverage`); eval_path: the eval set, checked
    for leakage; prompt_log: prompt-experiment log for the `prompt_ceiling` condition; embed=False skips
    embeddings (no semantic near duplicates, coverage unknown); history: a SQLite run history, where this
    run is recorded and compared with the previous run of the same dataset (`report.regressions`);
    fail_on_regression: a regression makes the exit code 1; history_unfinished: the run is recorded as unfinished,
    no baseline and not listed until `dataaudit.history.store.confirm_run(history, report.history_run_id)` (for a
    caller that writes reports after: the CLI); engine: what reads, indexes and embeds (an
    engine object, or None for the one `config.engine` names: local by default, or Ray). config (a Config) or
    config_path (its file; neither: the nearest dataaudit.toml), not both: both are a TypeError. Raises a
    DataAuditError (InputError, ConfigError, ModelNotFoundError, EngineError) when the audit cannot run.
    """
    if config is not None and config_path is not None:
        # Either would be ignored in silence, the file perhaps invalid: the caller meant one of them.
        raise TypeError("audit() takes a Config (config=) or a config file's path (config_path=), not both; to change "
                        "a file's values in code use config_with_overrides(load_config(path), {...})")
    if config is None:
        config = load_config(config_path)
    elif not isinstance(config, Config):
        raise TypeError(f"audit(config=...) takes a Config (from dataaudit.config), not a {type(config).__name__}; "
                        "pass a config file's path as config_path=")
    else:
        _check_sections(config)
        config.validate()  # a Config built in code is checked as a file's is: a misspelt task type is an error, not a crash
    _check_path_args(paths, production=production, eval_path=eval_path, prompt_log=prompt_log)
    _check_other_args(embed=embed, progress=progress, fail_on_regression=fail_on_regression,
                      history_unfinished=history_unfinished, engine=engine, embedder=embedder)
    _refuse_empty_paths(paths=paths, production=production, eval_path=eval_path, prompt_log=prompt_log, history=history)
    from .checks.tokens import resolve_target
    from .config import refuse_missing_models_file

    owned = engine is None
    # Starting and closing an engine (a Ray cluster's connection is process-wide) is part of the audit, so under its lock.
    with _ONE_AUDIT_AT_A_TIME:
        with _naming_the_config_file(config):
            # A misspelt target model fails now, not after embedding; its models file read where the config puts it
            # (and a models file named but missing fails even without a target model, as a tokenizer's does).
            refuse_missing_models_file(config)
            resolve_target(with_resolved_paths(config).section("tokens"))
            engine = make_engine(config.engine, address_from=_address_source(config)) if owned else engine
        try:
            # Excerpts made while auditing mask phone numbers of the configured regions too, as the pii check finds them.
            with masking_phone_regions(config.section("pii").phone_regions), _naming_the_config_file(config, keyed_only=True):
                return _audit(engine, paths, config, production, eval_path, prompt_log, embed, embedder, progress, history,
                              fail_on_regression, history_unfinished)
        finally:
            if owned:
                engine.close()


# An audit records the warnings reading and embedding raise (warnings.catch_warnings(record=True)), and Python
# keeps that record, like every warnings filter, for the whole process: two audits in threads took each other's
# warnings into their reports. Audits in threads of one process therefore run one at a time; processes run in parallel.
_ONE_AUDIT_AT_A_TIME = threading.RLock()

_ACCEPTED = "a path (str or pathlib.Path), a list of paths, or a dataaudit Dataset"


def _check_path_args(paths, **others) -> None:
    """Inputs are paths (or a loaded Dataset for the training data): a DataFrame or a list of records would
    otherwise be turned into a file name by str() and fail as a missing or over-long file."""
    def bad(value, allow_dataset: bool) -> str | None:
        if isinstance(value, (str, Path)) or (allow_dataset and isinstance(value, Dataset)):
            return None
        if isinstance(value, (list, tuple)):
            return next((type(v).__name__ for v in value if not isinstance(v, (str, Path))), None)
        return type(value).__name__

    wrong = bad(paths, True)
    if wrong:
        raise TypeError(f"audit() takes {_ACCEPTED} as its inputs, not a {wrong}; write the records to a JSONL, CSV or "
                        "Parquet file first (a DataFrame: df.to_json('train.jsonl', orient='records', lines=True))")
    if isinstance(others.get("prompt_log"), (list, tuple)):
        raise TypeError("audit(prompt_log=...) takes one path (str or pathlib.Path), the prompt-experiment log, not a "
                        f"{type(others['prompt_log']).__name__}")
    for name, value in others.items():
        if value is not None and bad(value, False):
            raise TypeError(f"audit({name}=...) takes a path (str or pathlib.Path) or a list of paths, not a {bad(value, False)}")


_ENGINE_METHODS = ("read", "index", "embed", "info", "close")


def _check_other_args(*, engine, embedder, **switches) -> None:
    """A value of the wrong kind is a TypeError naming the parameter before anything runs: embed="no" is a true
    string (embeddings on), engine="local" failed as "'str' object has no attribute 'read'"."""
    for name, value in switches.items():
        if not isinstance(value, bool):
            raise TypeError(f"audit({name}=...) takes True or False, not {value!r}")
    if engine is not None and not all(callable(getattr(engine, method, None)) for method in _ENGINE_METHODS):
        raise TypeError(f"audit(engine=...) takes an engine object (dataaudit.engine.make_engine()) or None, not a "
                        f"{type(engine).__name__}; to choose an engine by name set engine.name in the config "
                        "(config_with_overrides(config, {'engine.name': 'ray'}))")
    if embedder is not None and not callable(getattr(embedder, "embed", None)):
        raise TypeError(f"audit(embedder=...) takes a dataaudit.embeddings.Embedder or None, not a {type(embedder).__name__}; "
                        "to choose the model set embeddings.model in the config")


_EMPTY_NAMED = {"paths": ("an input argument", "paths="), "production": ("--production", "production="),
                "eval_path": ("--eval", "eval_path="), "prompt_log": ("--prompt-log", "prompt_log="),
                "history": ("--history", "history=")}


def _refuse_empty_paths(**given) -> None:
    """An InputError for a path given as "": Path("") is the current folder, so an unset variable in a script
    (`audit "$DATA"`, `--production "$PROD"`) audited whatever lay there, and an empty --prompt-log or history was ignored."""
    for name, value in given.items():
        items = value if isinstance(value, (list, tuple)) else [value]
        if any(isinstance(item, str) and item == "" for item in items):
            names = {"history": "a history file", "prompt_log": "the prompt-experiment log"}.get(name, "a file, a folder or a glob")
            raise InputError(f'the input path is empty: {said(*_EMPTY_NAMED[name])} is "" (an unset variable?); name {names}')


def _check_sections(config: Config) -> None:
    """A Config built in code with a section of the wrong type (fields={"text": "x"}) is a ConfigError naming it,
    not an AttributeError from deep inside a check."""
    for spec in dataclasses.fields(config):
        value = getattr(config, spec.name)
        expected = spec.default_factory if spec.default_factory is not dataclasses.MISSING else None
        if isinstance(expected, type) and dataclasses.is_dataclass(expected) and not isinstance(value, expected):
            raise ConfigError(f"Config({spec.name}=...) takes a {expected.__name__} (from dataaudit.config), not a "
                              f"{type(value).__name__}; for example Config({spec.name}={expected.__name__}(...)), or "
                              "config_with_overrides(config, {...}) to set single keys")


def _local_files_first(paths) -> list[str]:
    """The inputs with local folders and globs expanded and URIs as given: the task type is sampled from local
    files only, and listing an object store here would be done again by the read (a network round trip each)."""
    items = [str(item) for item in (paths if isinstance(paths, (list, tuple)) else [paths])]
    return list(dict.fromkeys(f for item in items for f in ([item] if is_uri(item) else expand_inputs(item))))


def _named_folder(paths, config: Config) -> str:
    """The dataset's default name when the input is one glob or one folder: that folder's name, however many
    files it matches tonight. A scheduled `audit 'batches/2026-11-*.jsonl' --history ...` matched one file the
    first night (named after it) and two the next (named after the folder), so the second run met no earlier run
    to compare with. "" leaves the name to the reader: the file's own for one file (an existing file whose name
    holds glob characters, `data[1].jsonl`, included)."""
    items = paths if isinstance(paths, (list, tuple)) else [paths]
    if config.dataset_name or len(items) != 1 or is_uri(str(items[0])):  # a name given wins
        return ""
    given = Path(str(items[0]))
    if given.exists():  # an existing name is taken literally, as expand_inputs reads it: `data[1].jsonl` is one file
        return folder_name(given, is_folder=True) if given.is_dir() else ""
    return folder_name(given) if glob.has_magic(str(given)) else ""  # `*.jsonl`: the current folder's name


@contextmanager
def _naming_the_config_file(config: Config, keyed_only: bool = False):
    """A setting found wrong only when it is used (a target model's name, labels outside agreement.ordinal_order)
    names where it was set: the file it is in, or the flag or override that set it (config.set_by).
    keyed_only: only errors that start with a config key are the config's (a check's error about a data file's
    line is left as it is)."""
    try:
        yield
    except ConfigError as exc:
        named = where_set(config, str(exc), keyed_only=keyed_only)
        if named != str(exc):
            raise ConfigError(named) from exc
        raise


def _result_cache(config: Config, resolved: Config, dataset: Dataset, production: Dataset | None, eval_data: Dataset | None,
                  prompt_log: PathArg | None, model: str) -> tuple[ResultCache | None, str]:
    """Where earlier results of these exact inputs, config, model and code are kept (None: no caching).
    config: as written, keyed as the report shows it; resolved: its paths made absolute (config_paths), for the
    files it names (keyed by where they are and their state) and the results folder."""
    if not config.embeddings.cache:
        return None, ""
    inputs = [(role, f.path, f.sha256, f.records) for role, data in (("train", dataset), ("production", production), ("eval", eval_data))
              if data is not None for f in data.files]
    extra = [hashlib.sha256(Path(prompt_log).read_bytes()).hexdigest()] if prompt_log and Path(prompt_log).is_file() else []
    # Not settings, yet results depend on them: a classification the user named judges replies as labels where an
    # inferred one may not (duplicates.label_field).
    extra.append(f"task_type_inferred={config.task_type_inferred}")
    # ... and a level named on the command line: a rating headline takes --level nominal, not a default nominal
    # (common.question_level), so the same config keyed alike gave a run with the flag the other's result
    extra.append(f"agreement_level_named={'agreement.level' in config.set_by}")
    extra.extend(referenced_file_states(resolved))
    key = fingerprint(inputs=inputs, config=config.to_dict(), model=model, extra=extra)
    folder = results_folder(resolved.embeddings)
    if key is None or folder is None:
        return None, ""
    return ResultCache(folder), key


def require_rows(role: str, dataset: Dataset, config: Config | None = None) -> Dataset:
    """The dataset, or an InputError when its files held no usable record: no row at all (empty, header-only,
    UTF-16, binary), or rows of which none is valid (a misnamed --text-field, an export of the wrong kind), or
    annotator columns (config) of which none holds a label.

    Nothing can be measured then, and a scheduled check must see a broken export or a wrong flag (exit 2),
    not a verdict on data (exit 1). Unreadable files or rows beside usable ones stay format errors in the report.
    """
    columns = config.fields.annotator_columns if config is not None and role == "training" else []
    if columns and dataset.records and not any(record.annotations for record in dataset.records):
        raise InputError(f"{', '.join(f.path for f in dataset.files)}: none of the annotator columns {', '.join(columns)} holds a "
                         "label in any record; name them as the header spells them ("
                         f"{said('--annotator-columns', 'fields.annotator_columns')})")
    if dataset.records:
        return dataset
    if not dataset.total:
        why = {error.source: error.message for error in dataset.errors if error.line == 0}
        files = ", ".join(f"{file.path} ({why[file.path]})" if file.path in why else file.path for file in dataset.files)
        raise InputError(f"{files or dataset.name}: nothing to audit, no {role} record could be read (fix or export it again)")
    row_errors = [error for error in dataset.errors if error.line > 0]
    from .load.annotation_tools.build import SET_ASIDE, SET_ASIDE_ANY  # late: only an export's failure needs it

    export = dataset.annotation_export
    unlabelled = export.unlabelled if export is not None else 0
    if unlabelled and not row_errors:  # an export whose every item was set aside: nothing wrong with its fields
        word = {"label_studio": "task", "argilla": "record"}.get(export.tool, "item")
        every = f"all {unlabelled} {word}s have" if unlabelled != 1 else f"its one {word} has"
        raise InputError(f"{', '.join(f.path for f in dataset.files) or dataset.name}: {every} no submitted answer (none, or only "
                         f"{SET_ASIDE.get(export.tool, SET_ASIDE_ANY)}); nothing labelled to audit (label them, or export "
                         "after labelling)")
    kinds: dict[tuple[str, str], list] = {}
    for error in row_errors:
        kinds.setdefault(_error_kind(error.field, error.message), []).append(error)
    ranked = sorted(kinds.values(), key=len, reverse=True)
    commonest = "; ".join(_kind_summary(group) for group in ranked[:2]) or "no row made a record"
    rest = sum(len(group) for group in ranked[2:])
    if rest:
        commonest += f"; {rest} more of {len(ranked) - 2} other kind{'s' if len(ranked) > 3 else ''}"
    where = _where_rows_failed(dataset, row_errors)
    commonest_error = ranked[0][0] if ranked else None
    # the flags of the role the file was read in: --text-field names the training file's field, and following it
    # for a production file broke the training file (QA)
    fields = (said("--production-text-field, or fields.production_text in the config", "fields.production_text in the config")
              if role == "production" else
              said("--text-field, --label-field, or [fields] in the config", "fields.text, fields.label in the config"))
    fix = _KIND_FIX.get(commonest_error.field if commonest_error else "", f"fix the export or name its fields ({fields})")
    if row_errors and all("[" in e.field and "missing" not in e.message for e in row_errors):
        fix = "fix those records in the export"  # empty turns, broken pairs: naming other fields cannot mend them
    besides = f"; {unlabelled} more nobody labelled (only {SET_ASIDE.get(export.tool, SET_ASIDE_ANY)})" if unlabelled else ""
    raise InputError(f"{where}: none of the {dataset.total} {role} records is valid ({commonest}{besides}); {fix}")


def _where_rows_failed(dataset: Dataset, row_errors: list) -> str:
    """Where no row made a record: the first failing line, and with several files each file's own first line
    and count (the first file's line alone read as if all the records were its own)."""
    first_line = {}
    for error in row_errors:
        first_line.setdefault(error.source, error.line)
    if len(dataset.files) == 1 and row_errors:
        return f"{row_errors[0].source} line {row_errors[0].line}"
    whole_file = {error.source: error.message for error in dataset.errors if error.line == 0}
    places = []
    for file in dataset.files:
        counted = f"{file.records} record{'s' if file.records != 1 else ''}"
        if file.path in first_line:
            places.append(f"{file.path} line {first_line[file.path]} ({counted})")
        else:
            places.append(f"{file.path} ({whole_file.get(file.path, counted)})")
    more = len(places) - FILES_LISTED  # a folder of nightly batches stays one line
    return ", ".join(places[:FILES_LISTED]) + (f" and {more} more files" if more > 0 else "") or dataset.name


FILES_LISTED = 5
FIELDS_SEEN_LISTED = 30  # field names an error lists; a wide CSV has hundreds


def require_named_fields(dataset: Dataset, config: Config) -> None:
    """An InputError when a field a flag or override names explicitly (config.set_by) is in no record of the
    training files: --id-field nope audited without ids, --annotator-field nope blamed a missing id, and --question
    on plain records was ignored, each in silence or under another name. The message names the flag and the
    fields the records do have. A field the config file names is the file's to fix and is not checked here,
    but for annotator columns, one of which misspelt reads as an annotator fewer wherever it was set."""
    files = ", ".join(f.path for f in dataset.files) or dataset.name
    who = config.set_by.get("fields.question")
    if who and config.fields.question and dataset.annotation_export is None:
        raise InputError(f"{who}: {files} is not an annotation-tool export (Label Studio, Prodigy, Argilla), the only "
                         f"input with questions, so question {config.fields.question!r} names nothing; leave it out")
    if dataset.annotation_export is not None:
        return  # an export's items, ids and annotators are the tool's, not fields of rows
    _require_annotator_columns(dataset, config, files)
    wanted = {"fields.annotator": (config.fields.annotator, any(r.annotations for r in dataset.records)),
              "fields.id": (config.fields.id, any(r.record_id is not None for r in dataset.records))}
    for key, (name, found) in wanted.items():
        if key not in config.set_by or not name or found:
            continue
        seen = _fields_without(dataset, name)
        if seen is not None:
            raise InputError(f"{config.set_by[key]}: no record in {files} has a field {quoted(name)} (fields seen: "
                             f"{_fields_listed(seen)}); name one of those")


def _require_annotator_columns(dataset: Dataset, config: Config, files: str) -> None:
    """An InputError naming each annotator column (fields.annotator_columns, however set) that no row of the
    training files has, beside one that some row has: misspelt, it read as one annotator fewer and no agreement.
    Checked once over every file, after all are read: one engine reads each file in its own task, and a column
    may be in one batch only. Where no column is found at all, require_rows says that none holds a label."""
    columns = config.fields.annotator_columns
    labelled = {annotation.annotator for record in dataset.records for annotation in record.annotations}
    unlabelled = [column for column in columns if column not in labelled]
    if not columns or not unlabelled:
        return
    seen: list[str] = []
    missing = []
    for column in unlabelled:  # a column no record holds a label in, read again: is it in no row at all?
        fields = _fields_without(dataset, column)
        if fields is not None:
            missing.append(column)
            seen = fields
    if not missing or len(missing) == len(columns):
        return
    who = config.set_by.get("fields.annotator_columns", "fields.annotator_columns")
    one = len(missing) == 1
    raise InputError(f"{who}: no record in {files} has {'a field' if one else 'the fields'} "
                     f"{', '.join(map(quoted, missing))} (fields seen: {_fields_listed(seen)}); "
                     f"name {'one of those' if one else 'them from those'}")


def _fields_listed(seen: list[str]) -> str:
    """The fields rows have, as a message names a dataset's keys, the first FIELDS_SEEN_LISTED of them."""
    listed = ", ".join(map(key_name, seen[:FIELDS_SEEN_LISTED]))
    return (listed + (f", ... ({len(seen)} in all)" if len(seen) > FIELDS_SEEN_LISTED else "")) or "none"


def _fields_without(dataset: Dataset, name: str) -> list[str] | None:
    """The top-level fields of the training files' rows, in order of first appearance, when no row has `name`
    (a dotted name: its first part); None when one does, or a file cannot be read again here (a URI)."""
    from collections import Counter

    from .load.files import rows_of

    head = name.split(".")[0]
    seen: dict[str, None] = {}
    for file in dataset.files:
        if is_uri(file.path):
            return None
        try:
            for row in rows_of(Path(file.path), Counter()):
                if isinstance(row.data, dict):
                    if name in row.data or head in row.data:
                        return None
                    seen.update(dict.fromkeys(map(str, row.data)))
        except DataAuditError:
            return None  # the file's own error is reported by the read that follows
    return list(seen)


# What to do when every row fails the same way, by the field that names the kind of error.
_KIND_FIX = {
    "(encoding)": "re-export the file as UTF-8",
    "(json)": "fix the JSON: one object per line (JSONL) or a JSON array of records",
    "(csv)": "fix the CSV: a header line of column names, then rows with no more fields than it",
    "(line)": "fix the export (split or shorten its lines)",
}
_PLACE = re.compile(r"\d+")
_QUOTED = re.compile(r"'[^']*'")


def _error_kind(field: str, message: str) -> tuple[str, str]:
    """An error without what varies from row to row (offsets, positions, indexes, quoted values): rows that
    fail for one reason count as one kind, whatever byte or column each stopped at."""
    return _PLACE.sub("#", field), _PLACE.sub("#", _QUOTED.sub("'…'", message))


def _kind_summary(group: list) -> str:
    """`N x field: message` for one kind; when its rows differ in place or value, the first row's message, marked so."""
    first = group[0]
    fields = {error.field for error in group}
    field = first.field if len(fields) == 1 else _error_kind(first.field, "")[0].replace("[#]", "[]")
    if all(error.message == first.message for error in group):
        return f"{len(group)} x {field}: {first.message}"
    return f"{len(group)} x {field}: {first.message} (the first of them; the others differ in place or value)"


def _audit(engine, paths, config, production, eval_path, prompt_log, embed, embedder, progress, history, fail_on_regression,
           history_unfinished=False) -> Report:
    # A Dataset already loaded (a Label Studio project fetched from its server, a notebook's own) is audited as it
    # is, even empty: a scheduled pull with nothing new since the last run is not a broken export.
    timings: dict[str, float] = {}
    start = time.perf_counter()
    # What reading says on the way (a glob's matches skipped as not data) belongs in the report, which a
    # scheduled run's reader sees, not on a stderr nobody reads.
    with _warnings.catch_warnings(record=True) as caught:
        _warnings.simplefilter("always", InputWarning)
        if isinstance(paths, Dataset):
            config, task_type = dataset_task_type(config, paths)
            dataset = without_target_labels(paths) if task_type.inferred and task_type.name == "generation" else paths
        else:
            config, task_type = resolve_task_type(config, _local_files_first(paths))
            dataset = engine.read(paths, config, role="train", name=_named_folder(paths, config))
            require_named_fields(dataset, config)
            dataset = require_rows("training", dataset, config)
        production_data = require_rows("production", engine.read(production, config, role="production", name="production")) if production else None
        eval_data = require_rows("eval", engine.read(eval_path, config, role="eval", name="eval")) if eval_path else None
    timings["read"] = time.perf_counter() - start
    # What reads the files the config names gets their absolute paths (config_paths); the report, the cache key's
    # settings and the history keep the config as written, so a project that moves (a CI workspace) is the same config.
    resolved = with_resolved_paths(config)
    read_notes = []
    for note in caught:  # ours go in the report; a library's warning is shown as it would have been
        if issubclass(note.category, InputWarning):
            read_notes.append(str(note.message))
        else:
            _warnings.warn_explicit(note.message, note.category, note.filename, note.lineno, source=note.source)

    start = time.perf_counter()
    indexes = [engine.index("train", dataset, config)]
    if eval_data is not None:
        indexes.append(engine.index("eval", eval_data, config))
    if production_data is not None:
        indexes.append(engine.index("production", production_data, config))
    timings["index"] = time.perf_counter() - start
    warnings: list[str] = list(dict.fromkeys(read_notes))  # a glob expands twice
    stats: dict[str, int] = {}
    model_label = model_identity = ""
    embedder_given = embedder
    if embed:
        settings = resolved.embeddings
        try:
            embedder = embedder or Embedder(settings.model, device=settings.device, batch_size=settings.batch_size,
                                            cache_dir=settings.cache_dir or None, use_cache=settings.cache, progress=progress,
                                            cache_format=settings.cache_format)
        except ModelNotFoundError as exc:
            # A model the config file names is that file's to fix (a --model flag's error names the flag already).
            if config.source and config.embeddings.model and "embeddings.model" not in config.set_by:
                raise ModelNotFoundError(f"{config.source}: embeddings.model: {exc}") from exc
            raise
        start = time.perf_counter()
        indexes, stats, caught = engine.embed(indexes, embedder)
        timings["embed"] = time.perf_counter() - start
        warnings.extend(caught)
        model_label = embedder.label
        model_identity = embedder.ref.identity  # the label is a folder's name: two models may share it
        indexes = mark_unreadable(indexes, embedder.ref.location)  # the model that embedded, handed in or configured
    by_role = {index.role: index for index in indexes}
    ctx = AuditContext(config=resolved, train=by_role["train"], production=by_role.get("production"), eval=by_role.get("eval"),
                       prompt_log=Path(prompt_log) if prompt_log else None, embedding_model=model_label, embedding_stats=stats,
                       steps=engine if isinstance(engine, DataSteps) else SerialSteps(), task_type_reason=task_type.reason)
    # Only inputs read from files here are keyed by their bytes; an embedder handed in by the caller has no
    # identity we can key on. Either way nothing is reused.
    cacheable = embedder_given is None and not isinstance(paths, Dataset)
    cache, key = _result_cache(config, resolved, dataset, production_data, eval_data, prompt_log, model_identity) if cacheable else (None, "")
    reuse = cache.get(key) if cache else None
    start = time.perf_counter()
    checks, findings, check_warnings = run_checks(ctx, reuse=reuse)
    timings["checks"] = time.perf_counter() - start
    warnings.extend(check_warnings)
    warnings.extend(vocabulary_warnings(checks, ctx))
    if cache and reuse is None:
        by_id = {check.id: check for check in all_checks()}
        cache.put(key, {name: checks[name] for name, run in checks.runs.items()
                        if run.status in (RunStatus.RAN, RunStatus.NOT_APPLICABLE) and by_id[name].reusable})
    start = time.perf_counter()
    inputs = _inputs("train", dataset)
    if production_data:
        inputs += _inputs("production", production_data)
    if eval_data:
        inputs += _inputs("eval", eval_data)
    if prompt_log:
        log = checks.get("prompt_log")
        inputs += [InputSummary("prompt_log", str(prompt_log), log.sha256 if log else "", log.iterations if log else 0)]
    labelled = any(r.label is not None or r.annotations or r.question_annotations or r.gold is not None for r in dataset.records)
    verdict = decide(findings, config.conditions.skip, paths=[i.path for i in inputs],
                     not_applicable=not_applicable(task_type.name, labelled))
    export = dataset.annotation_export
    if export is not None and export.notes and checks.get("agreement") is None:
        # The export's notes (items nobody labelled, answers set aside) live in the agreement section, which a
        # dataset with no item rated twice does not have: said here, or 61 rows read as 60 examples unexplained.
        warnings.extend(note for note in export.notes if note not in warnings)
    per_file = []
    if len(dataset.files) > 1:
        if items_span_files(dataset):
            warnings.append("no per-file breakdown: some items are rated in several files (one file per annotator? one "
                            "export split in two?), so a file's figures would count parts of items; agreement is measured "
                            "over all files together")
        else:
            per_file = measure_batches(ctx.train, config.agreement, ctx.steps, level_named="agreement.level" in config.set_by)

    # Decided once, by the scale finding: a renderer choosing between checks.size and checks.duplicates could
    # print another figure than the verdict judged.
    scale = next((f.evidence for f in findings if f.condition == "scale" and "usable" in f.evidence), {})
    report = Report(
        dataaudit_version=__version__,
        generated_at=dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        dataset=dataset.name,
        inputs=inputs,
        config=config.to_dict(),
        verdict=verdict,
        checks=checks,
        per_file=per_file,
        fail_on_regression=fail_on_regression,
        warnings=warnings,
        engine=engine.info(),
        usable=scale.get("usable"),
        usable_after_deduplication=bool(scale.get("after_deduplication")),
    )
    if history:
        from .history.store import record_run

        recorded = record_run(history, report.to_dict(), config, answers_until=export.newest_answer if export else "",
                              unfinished=history_unfinished, fail_on_regression=fail_on_regression)
        if recorded.notes:  # why the comparison may mislead: said where no regression carries it
            report = dataclasses.replace(report, warnings=[*report.warnings, *(f"history {history}: {note}" for note in recorded.notes)])
        if recorded.compared_with is None and dataset.records:
            # Said, because a dataset named after each batch's file never meets its previous batch.
            report = dataclasses.replace(report, warnings=[*report.warnings, (
                f"history {history}: no earlier run of dataset '{report.dataset}' that audited records, so nothing was "
                + ("compared (the first run under this name)" if config.dataset_name else
                   "compared (the first run; or name the dataset with "
                   f"{said('--dataset-name', 'dataset_name in the config')} so that every batch is compared with the last)"))])
        report = dataclasses.replace(report, regressions=recorded.regressions, compared_with=recorded.compared_with,
                                     history_run_id=recorded.run_id)
    return dataclasses.replace(report, timings={**timings, "decide": time.perf_counter() - start})


# What the CLI writes beside a run, offered to a notebook too, so that both write the same files the same way.

def write_reports(report: Report, folder: PathArg, formats: list[str] | tuple[str, ...] = ("json", "md", "html")) -> list[Path]:
    """Write report.json, report.md and report.html (those in formats) into folder, with coverage.jsonl and
    duplicates.jsonl beside report.json, as one set (a file of an earlier run this one does not write is
    removed); every excerpt is masked with the phone regions of the report's own `[pii]` config. Returns the
    paths written, in the order of the `reports:` line. Unlike `dataaudit audit --out`, it does not refuse a
    folder that holds the audited data: a later audit of that folder would read these files as data.
    Raises ValueError for no format or one that is not json, md or html (a bare "json" string included: it
    would otherwise read as four unknown formats and remove the earlier set)."""
    from .render.outputs import FILE_NAMES
    from .render.outputs import write_reports as write_set

    if isinstance(formats, str) or not formats or any(name not in FILE_NAMES for name in formats):
        raise ValueError(f"formats must be a list of {', '.join(FILE_NAMES)}, got {formats!r}")
    _report_folder(folder)
    return write_set(report, folder, list(dict.fromkeys(formats)))  # ["json", "json"] writes (and returns) it once


def _output_file(path: PathArg) -> None:
    """A file to write (--suspects, --timings) given as "": Path("") is the current folder, refused in one line."""
    if isinstance(path, str) and path == "":
        raise InputError(f'the path is empty: {said("--suspects or --timings", "path=")} is "" (an unset variable?); name a file')


def _report_folder(folder: PathArg) -> None:
    """The folder a set of report files goes into, made if need be (a notebook's new folder; the CLI has made
    --out already). "" is refused, as the CLI's --out "" is: Path("") is the current folder, whose own
    report.md a set written there would replace or remove. A file there is refused in one line, not as
    mkdir's bare FileExistsError."""
    named = said("--out", "folder=")
    if isinstance(folder, str) and folder == "":
        raise InputError(f'the path is empty: {named} is "" (an unset variable?); name a folder')
    place = Path(folder)
    if place.exists() and not place.is_dir():
        raise WriteError(f"{folder}: {named} must be a folder for the reports, and this is "
                         f"{'a file' if place.is_file() else 'not a folder'}; name a folder")
    from .output_places import file_above

    if (in_the_way := file_above(place)) is not None:  # mkdir would say "Not a directory" of a path that is no file
        raise WriteError(f"{folder}: {named} cannot be made: {in_the_way}; name a folder you can write to")
    try:
        place.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WriteError(f"{folder}: {named} cannot be made ({exc.strerror or exc}); name a folder you can write to") from None


def write_suspects(report: Report, path: PathArg) -> str:
    """Write the label-noise suspects CSV (--suspects): every flagged line, most likely mislabelled first, masked
    with the report's own `[pii]` phone regions. Returns why it lists no line ("" when it lists some): the
    check did not run, its estimate is not reliable, or it flagged nothing; the file then has its header only."""
    from .io import write_atomic

    _output_file(path)
    write_atomic(path, _suspects_csv(report))
    return _why_no_suspects(report)


@masked_as_configured
def _suspects_csv(report: Report) -> str:
    from .render.suspects import render_suspects_csv

    noise = report.checks.get("label_noise")
    return render_suspects_csv(noise, noise.suspect_texts if noise is not None else {})


def _why_no_suspects(report: Report) -> str:
    noise = report.checks.get("label_noise")
    if noise is None:
        run = report.checks.runs.get("label_noise")
        reason = run.reason if run is not None and run.reason else "it did not run"
        return f"label noise was not estimated ({reason})"
    if not noise.reliable:
        # see render/suspects.py: an unreliable estimate names no line
        return f"the label-noise estimate is not reliable ({noise.reason or 'see the report'}), so no line is named"
    if not (noise.all_suspects or noise.suspects):
        return "the label-noise estimate flagged no line"
    return ""


COMPARISON_FILES = ("compare.json", "compare.md")  # what write_comparison writes, in that order


def write_comparison(comparison: Mapping[str, Any], folder: PathArg) -> list[Path]:
    """Write compare.json and compare.md (`dataaudit compare --out`) of a comparison, as
    `dataaudit.history.compare.compare_reports(read_report(before), read_report(after))` returns it; the JSON's
    control and bidi characters escaped as in report.json. Returns the paths written."""
    from .io import write_atomic_set
    from .render.compare import comparison_json, render_comparison_markdown
    from .render.json_report import dumps

    _report_folder(folder)
    as_json, as_md = COMPARISON_FILES
    return write_atomic_set([(Path(folder) / as_json, dumps(comparison_json(comparison), indent=2) + "\n"),
                             (Path(folder) / as_md, render_comparison_markdown(comparison))])


def write_timings(report: Report, path: PathArg, rendering: Mapping[str, float] | None = None) -> None:
    """Write where the time went (--timings): {"stages": seconds per stage, "checks": seconds per check that
    measured}; rendering: seconds spent on what the caller rendered after audit() (the CLI: "report files",
    "terminal"), added to the stages. report.json keeps no time, so that the same inputs give the same report."""
    import json

    from .io import write_atomic

    _output_file(path)
    spent = report.time_spent()
    spent["stages"].update({stage: round(seconds, 3) for stage, seconds in (rendering or {}).items()})
    write_atomic(path, json.dumps(spent, indent=2) + "\n")


def fetch_label_studio(url: str, project: int | str, config: Config | None = None, *, since_last: bool = False,
                       history: PathArg | None = None) -> Dataset:
    """A Label Studio project fetched from its server (token: LABEL_STUDIO_API_KEY), read as its export file
    would be: a Dataset for audit(). since_last: only annotations made since the previous run of this project
    recorded in history (every annotation when there is none); it needs history. Raises an InputError
    (since_last without history) or a DataAuditError of the fetch."""
    from .sources.label_studio import load_project, project_source

    config = config if config is not None else load_config()
    if since_last and not history:
        raise InputError(f"{said('--since-last needs --history FILE', 'since_last=True needs history=FILE')}, where the "
                         "previous run of this project is recorded")
    since = None
    if since_last:
        from .history.store import last_run_time
        from .load.annotation_tools.common import parse_time

        # The name the audit records the project under: a URL with a user, a password or a query was never found.
        previous = last_run_time(history, config.dataset_name or project_source(url, project))
        since = parse_time(previous) if previous else None
    return load_project(url, project, config, since=since)


@dataclasses.dataclass(frozen=True)
class DedupCopy:
    """One de-duplicated copy: where it was written (as the caller named it, or its name in the out folder; a
    Path, as summary.sidecar is) and what was kept and dropped (its sidecar lists every dropped line and why)."""
    path: Path
    summary: DedupSummary


def dedup(inputs: PathArg | list[PathArg], out: PathArg, config: Config | None = None, *, drop_conflicts: bool = False,
          embed: bool = True) -> list[DedupCopy]:
    """De-duplicated copies of a dataset (`dataaudit dedup`); the inputs are never touched. One file: its copy
    is out. Several files, a glob or a folder: audited together (a group that spans two files keeps one record
    in all), each copy written under its own name into the folder out. drop_conflicts also drops every record
    of a group with conflicting labels. One DedupCopy per file, in input order."""
    import glob

    from .fix.dedup import deduplicate, deduplicate_files
    from .fix.writers import copy_target

    config = config if config is not None else load_config()
    named = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    files = expand_inputs(named)
    # A glob is several inputs, as a folder is, even where it matches one file: its copy goes into the folder out.
    named_one_file = len(named) == 1 and not Path(named[0]).is_dir() and (Path(named[0]).is_file() or not glob.has_magic(str(named[0])))
    if len(files) == 1 and named_one_file:
        target = copy_target(files[0], out)
        return [DedupCopy(Path(target), deduplicate(files[0], target, config, drop_conflicts=drop_conflicts, embed=embed))]
    summaries = deduplicate_files(files, out, config, drop_conflicts=drop_conflicts, embed=embed)
    return [DedupCopy(Path(out) / Path(file).name, summary) for file, summary in zip(files, summaries)]
