"""The Python API: `audit()` loads, measures, decides and returns a typed Report; it renders nothing.

    >>> from dataaudit import audit
    >>> report = audit("sample_data/support_tickets.jsonl", production="sample_data/production.jsonl")
    >>> report.verdict.status, report.checks["duplicates"].duplicate_share
"""

from __future__ import annotations

import datetime as dt
import warnings as _warnings
from pathlib import Path
from typing import Any

import numpy as np

from . import __version__
from .decide.conditions import coverage_condition, consistency_condition, format_condition, hygiene_condition, scale_condition
from .config import Config, ConfigError, load_config
from .decide.decision import decision_conditions
from .embeddings import Embedder
from .load.dataset import load_dataset
from .checks.agreement import measure_agreement
from .checks.balance import measure_balance
from .checks.batches import measure_batches
from .checks.coverage import measure_coverage
from .checks.duplicates import measure_duplicates
from .checks.format import measure_format
from .checks.size import measure_size
from .normalize import normalize_text
from .load.records import Dataset
from .report import InputSummary, Report
from .tokens import load_token_counter
from .decide.verdict import Condition, build_verdict

PathArg = str | Path


def _as_list(paths: PathArg | list[PathArg] | None) -> list[PathArg]:
    if paths is None:
        return []
    return list(paths) if isinstance(paths, (list, tuple)) else [paths]


def _distinct_in_order(*key_lists: list[str]) -> list[str]:
    return list(dict.fromkeys(k for keys in key_lists for k in keys if k))


def _vectors_for(keys: list[str], table: dict[str, np.ndarray]) -> np.ndarray:
    distinct = list(dict.fromkeys(k for k in keys if k))
    if not distinct:
        dim = len(next(iter(table.values()))) if table else 0
        return np.zeros((0, dim), dtype=np.float32)
    return np.stack([table[k] for k in distinct])


def _inputs(role: str, dataset: Dataset) -> list[InputSummary]:
    return [InputSummary(role, f.path, f.sha256, f.records) for f in dataset.files]


def audit(paths: PathArg | list[PathArg], config: Config | None = None, *, production: PathArg | list[PathArg] | None = None,
          eval_path: PathArg | list[PathArg] | None = None, prompt_log: PathArg | None = None, embed: bool = True,
          embedder: Embedder | None = None, progress: bool = False, config_path: PathArg | None = None) -> Report:
    """Audit one dataset (one or more files audited together) and return the report.

    production: a sample of real production inputs (enables `coverage`); eval_path: the eval set, checked
    for leakage; prompt_log: prompt-experiment log for the `prompt_ceiling` condition; embed=False skips
    embeddings (no semantic near duplicates, coverage unknown). Raises InputError / ConfigError /
    ModelNotFoundError when the audit cannot run at all.
    """
    if config is None:
        config = load_config(config_path)
    dataset = load_dataset(_as_list(paths), config, role="train")
    production_data = load_dataset(_as_list(production), config, role="production", name="production") if production else None
    eval_data = load_dataset(_as_list(eval_path), config, role="eval", name="eval") if eval_path else None
    warnings: list[str] = []

    checks: dict[str, Any] = {}
    checks["format"] = measure_format(dataset)
    model_path = config.embeddings.model or None
    checks["size"] = measure_size(dataset, load_token_counter(model_path if model_path and Path(model_path).is_dir() else None), config.size)
    checks["balance"] = measure_balance(dataset, config.balance)
    try:
        checks["agreement"] = measure_agreement(dataset, config.agreement)
    except ValueError as exc:  # labels that do not fit the configured level of measurement
        raise ConfigError(f"agreement: {exc}") from exc

    dup_config = config.duplicates
    train_keys = [normalize_text(r.input_text, dup_config) for r in dataset.records]
    production_keys = [normalize_text(r.input_text, dup_config) for r in production_data.records] if production_data else []
    eval_keys = [normalize_text(r.input_text, dup_config) for r in eval_data.records] if eval_data else []

    table: dict[str, np.ndarray] | None = None
    embedding_stats = {"computed": 0, "from_cache": 0}
    if embed:
        embedder = embedder or Embedder(config.embeddings.model, device=config.embeddings.device, batch_size=config.embeddings.batch_size,
                                        cache_dir=config.embeddings.cache_dir or None, use_cache=config.embeddings.cache, progress=progress)
        distinct = _distinct_in_order(train_keys, eval_keys, production_keys)
        before_computed, before_cached = embedder.stats.computed, embedder.stats.from_cache
        with _warnings.catch_warnings(record=True) as caught:
            _warnings.simplefilter("always")
            vectors = embedder.embed(distinct)
        warnings.extend(str(w.message) for w in caught)
        table = dict(zip(distinct, vectors))
        embedding_stats = {"computed": embedder.stats.computed - before_computed, "from_cache": embedder.stats.from_cache - before_cached}

    train_vectors = _vectors_for(train_keys, table) if table is not None else None
    checks["duplicates"] = measure_duplicates(
        dataset, train_keys, train_vectors, dup_config,
        eval_set=(eval_data, eval_keys, _vectors_for(eval_keys, table) if table is not None else None) if eval_data else None,
        production=(production_data, production_keys) if production_data else None)

    coverage_missing = ""
    if production_data is None:
        checks["coverage"] = None
    elif table is None:
        checks["coverage"] = None
        coverage_missing = "embeddings were switched off, so coverage cannot be judged"
    elif not production_data.records:
        checks["coverage"] = None
        coverage_missing = "the production sample holds no valid inputs"
    else:
        checks["coverage"] = measure_coverage(
            dataset.records, train_keys, train_vectors, production_data.records, production_keys,
            _vectors_for(production_keys, table), config.coverage, model=embedder.label if embedder else "",
            embeddings=embedding_stats)
    checks["embeddings"] = {"model": embedder.label if embedder else None, **embedding_stats} if embed else None

    per_file = measure_batches(dataset, train_keys, config.agreement) if len(dataset.files) > 1 else []

    conditions: list[Condition] = [
        format_condition(checks["format"], config),
        scale_condition(checks["size"], checks["balance"], checks["duplicates"], config),
        consistency_condition(checks["agreement"], config),
        coverage_condition(checks["coverage"], config, coverage_missing),
        hygiene_condition(checks["duplicates"], config),
    ]
    decision_checks, decision_conds, not_judged = decision_conditions(config, prompt_log, dataset, checks)
    checks.update(decision_checks)
    conditions += decision_conds
    verdict = build_verdict(conditions, config, not_judged)

    inputs = _inputs("train", dataset)
    if production_data:
        inputs += _inputs("production", production_data)
    if eval_data:
        inputs += _inputs("eval", eval_data)
    if prompt_log:
        inputs += [InputSummary("prompt_log", str(prompt_log), checks["prompt_log"].sha256 if checks.get("prompt_log") else "", 0)]
    return Report(
        dataaudit_version=__version__,
        generated_at=dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        dataset=dataset.name,
        inputs=inputs,
        config=config.to_dict(),
        verdict=verdict,
        checks=checks,
        per_file=per_file,
        warnings=warnings,
    )
