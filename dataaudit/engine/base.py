"""What every engine shares: the input shards a path names, the merge of per-file Datasets, the
`engine` entry of the report, and the error an engine raises when it cannot finish."""

from __future__ import annotations

import glob
from dataclasses import dataclass
from pathlib import Path

from ..errors import DataAuditError, InputError
from ..load.records import Dataset

SHARD_SUFFIXES = (".jsonl", ".ndjson", ".json", ".csv", ".tsv", ".parquet", ".pq")


class EngineError(DataAuditError):
    """The engine cannot run or cannot finish (Ray missing, cluster unreachable, workers lost for good):
    the audit stops with exit 2 and writes no report."""


@dataclass(frozen=True)
class EngineInfo:
    name: str
    version: str
    nodes: int
    cpus: float
    gpus: float


def expand_paths(paths: str | Path | list | None) -> list[str]:
    """Files named or matched: an existing path is taken literally (`data[1].jsonl` is a file name), a
    pattern only when no such file exists, so quoted globs work from cron (no shell) on every platform."""
    if paths is None:
        return []
    found: list[str] = []
    for item in (list(paths) if isinstance(paths, (list, tuple)) else [paths]):
        pattern = str(item)
        if Path(pattern).exists() or not glob.has_magic(pattern):
            found.append(pattern)
            continue
        matches = sorted(glob.glob(pattern))
        if not matches:
            raise InputError(f"{pattern}: no file matches this pattern")
        found.extend(matches)
    return list(dict.fromkeys(found))


def expand_inputs(paths) -> list[str]:
    """Files named, matched by a glob, or inside a named directory (its data files, sorted by name; hidden
    files and other suffixes left out), in order, each once."""
    found: list[str] = []
    for item in expand_paths(paths):
        folder = Path(item)
        if folder.is_dir():
            shards = sorted(str(p) for p in folder.iterdir()
                            if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in SHARD_SUFFIXES)
            if not shards:
                raise InputError(f"{item}: directory holds no data files ({', '.join(SHARD_SUFFIXES)})")
            found.extend(shards)
        else:
            found.append(item)
    return list(dict.fromkeys(found))


def dataset_name(paths: list[str], config, name: str = "") -> str:
    first = Path(paths[0])
    return name or config.dataset_name or (first.stem if len(paths) == 1 else first.parent.name or first.stem)


def merge_datasets(parts: list[Dataset], name: str) -> Dataset:
    """One Dataset from per-file Datasets, in file order, as if the files had been read in one pass."""
    errors = [e for part in parts for e in part.errors]
    errors.sort(key=lambda e: (e.source, e.line))  # stable: equal keys keep their order within a file
    return Dataset(name, [f for part in parts for f in part.files], [r for part in parts for r in part.records], errors,
                   sum(p.total for p in parts), sum(p.invalid for p in parts), sum(p.blank_lines for p in parts))
