"""The readiness report: what was audited, with which config, the verdict, and every check's result.

`to_dict` is the JSON contract documented in the README (schema_version 1). Fields that only feed plots
(per-record token counts, map coordinates) are left out of JSON to keep it small.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .decide.verdict import Verdict

SCHEMA_VERSION = 1
PLOT_ONLY_FIELDS = {"input_token_counts", "target_token_counts", "map_points", "group_sizes", "centroid_2d"}


@dataclass
class InputSummary:
    role: str  # train | eval | production | prompt_log
    path: str
    sha256: str
    records: int


@dataclass
class Report:
    dataaudit_version: str
    generated_at: str
    dataset: str
    inputs: list[InputSummary]
    config: dict[str, Any]
    verdict: Verdict
    checks: dict[str, Any]  # measurement name -> typed result (None when not measured)
    per_file: list[dict[str, Any]] = field(default_factory=list)
    regressions: list[dict[str, Any]] | None = None
    warnings: list[str] = field(default_factory=list)
    schema_version: int = SCHEMA_VERSION

    @property
    def exit_code(self) -> int:
        return self.verdict.exit_code

    def to_dict(self) -> dict[str, Any]:
        data = {
            "schema_version": self.schema_version,
            "dataaudit_version": self.dataaudit_version,
            "generated_at": self.generated_at,
            "dataset": self.dataset,
            "inputs": [to_jsonable(i) for i in self.inputs],
            "config": to_jsonable(self.config),
            "verdict": to_jsonable(self.verdict),
            "checks": {name: to_jsonable(result) for name, result in self.checks.items()},
            "per_file": to_jsonable(self.per_file),
            "warnings": list(self.warnings),
        }
        if self.regressions is not None:
            data["regressions"] = to_jsonable(self.regressions)
        data["verdict"]["exit_code"] = self.exit_code
        return data


def to_jsonable(value: Any) -> Any:
    """Plain JSON types from dataclasses, numpy scalars and tuples; NaN becomes null."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value) if f.name not in PLOT_ONLY_FIELDS}
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items() if k not in PLOT_ONLY_FIELDS}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return value
