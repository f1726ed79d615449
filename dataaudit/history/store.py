"""The run history: a SQLite file of past audits, so scheduled checks can report trends and regressions.

Each write is one IMMEDIATE transaction that reads the previous run and inserts this one, so two audits
started at the same time serialise on the file's lock instead of corrupting it or both comparing against
the same stale run.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path
from typing import Any

from ..config import Config, config_from_dict
from .regressions import find_regressions, key_figures
from ..report import Report

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


def _connect(path: str | Path) -> sqlite3.Connection:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path, timeout=120, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute(SCHEMA)
    return connection


def record_run(path: str | Path, report: Report, config: Config | None = None) -> list[dict[str, Any]]:
    """Store this run, compare it with the previous run of the same dataset, and set report.regressions."""
    data = report.to_dict()
    figures = key_figures(data)
    bounds = (config or config_from_dict(data["config"])).history
    config_hash = hashlib.sha256(json.dumps(data["config"], sort_keys=True).encode()).hexdigest()[:16]
    inputs = json.dumps([{"role": i["role"], "path": i["path"], "sha256": i["sha256"]} for i in data["inputs"]])
    connection = _connect(path)
    try:
        connection.execute("BEGIN IMMEDIATE")
        row = connection.execute("SELECT figures FROM runs WHERE dataset = ? ORDER BY id DESC LIMIT 1", (report.dataset,)).fetchone()
        regressions = find_regressions(json.loads(row[0]), figures, bounds) if row else []
        connection.execute("INSERT INTO runs (dataset, generated_at, inputs, config_hash, verdict, figures, regressions) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           (report.dataset, report.generated_at, inputs, config_hash, report.verdict.status, json.dumps(figures),
                            json.dumps(regressions)))
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    finally:
        connection.close()
    report.regressions = regressions
    return regressions


def load_runs(path: str | Path, dataset: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
    if not Path(path).exists():
        raise FileNotFoundError(2, "no such history file", str(path))
    connection = _connect(path)
    try:
        query = "SELECT id, dataset, generated_at, verdict, config_hash, figures, regressions FROM runs"
        args: tuple = ()
        if dataset:
            query += " WHERE dataset = ?"
            args = (dataset,)
        rows = connection.execute(query + " ORDER BY id DESC LIMIT ?", (*args, limit)).fetchall()
    finally:
        connection.close()
    return [{"id": r[0], "dataset": r[1], "generated_at": r[2], "verdict": r[3], "config_hash": r[4],
             "figures": json.loads(r[5]), "regressions": json.loads(r[6])} for r in reversed(rows)]


def print_history(path: str | Path, dataset: str | None, limit: int) -> None:
    from rich.console import Console
    from rich.table import Table

    def fmt(value, pattern="{:.3f}"):
        return "-" if value is None else pattern.format(value)

    table = Table(title=f"dataaudit history: {path}")
    for column in ("run", "time", "dataset", "verdict", "records", "usable", "alpha", "covered", "duplicates", "regressions"):
        table.add_column(column)
    for run in load_runs(path, dataset, limit):
        f = run["figures"]
        table.add_row(str(run["id"]), run["generated_at"], run["dataset"], run["verdict"], fmt(f.get("records"), "{}"),
                      fmt(f.get("usable"), "{}"), fmt(f.get("krippendorff_alpha")), fmt(f.get("covered_share"), "{:.1%}"),
                      fmt(f.get("duplicate_share"), "{:.1%}"), ", ".join(r["what"] for r in run["regressions"]) or "-")
    Console().print(table)
