"""The prompt-engineering curve: has prompting hit its ceiling, shown by data?

The plateau test looks at the best score so far, which ignores the noise of individual runs: prompting
has converged when the best score improved by less than epsilon over the last N iterations.
"""

from __future__ import annotations

import hashlib
import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..config import PromptLogConfig
from ..digits import against, snapped
from ..errors import InputError
from ..load.files import rows_of
from .base import AuditContext, Check, Finding, Need, Status


if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class PromptLogResult:
    path: str
    sha256: str
    iterations: int
    scores: list[float]
    best_so_far: list[float]
    versions: list[str]
    best_score: float | None
    best_version: str | None
    window: int
    epsilon: float
    recent_improvement: float | None  # best now minus best N iterations ago (in the better direction)
    status: str  # converged | improving | too_short
    higher_is_better: bool
    # the improvement as computed: recent_improvement is it rounded to 6 places, and 0.0099996 rounds to 0.01
    # while falling short of epsilon 0.01
    recent_improvement_unrounded: float | None = None


def read_prompt_log(path: str | Path, config: PromptLogConfig) -> pd.DataFrame:
    import pandas as pd  # here, not at import: every audit imports the check registry, few read a prompt log

    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read prompt log ({exc.strerror or exc})") from exc
    # Read by the training loader's own reader first, so a bad row stops the audit named as it is named there (its
    # line, its field, what to do), not with pandas' parser message; and JSONL rows keep their line numbers past
    # blank lines, which pandas skips without counting.
    rows = list(rows_of(path, Counter()))
    for row in rows:
        if row.error is not None:
            raise InputError(_bad_row(path, row.error.line, row.error.field, row.error.message))
        if not isinstance(row.data, dict):
            raise InputError(_bad_row(path, row.line, "", f"is {_json_kind(row.data)}, not an object; write one iteration "
                                                         'per line, as {"iteration": 1, "score": 0.71}'))
    # The frame is built from those same rows, whatever the file's kind: pandas chosen by suffix read a .jsonl.gz
    # as CSV and a ';'-separated CSV as one column, after the loader had read both. CSV cells stay text here;
    # the columns used as numbers are converted below.
    frame = pd.DataFrame([row.data for row in rows], index=[row.line - 1 for row in rows])
    if frame.empty:
        raise InputError(f"{path}: prompt log has a header but no rows; log at least one iteration's score")
    order_column = config.iteration_column if config.iteration_column in frame.columns else (
        "timestamp" if "timestamp" in frame.columns else None)
    for column in (config.score_column,):
        if column not in frame.columns:
            raise InputError(f"{path}: prompt log has no column {column!r} (columns: {', '.join(map(str, frame.columns))}); "
                             "name it with [prompt_log] score_column")
    if order_column is None:
        raise InputError(f"{path}: prompt log needs an {config.iteration_column!r} or 'timestamp' column to order its rows")
    # A row is named as the training loader names it: a JSONL line, or a CSV data row (1 = the first row after
    # the header), so one file's "line 2" is the same row whether it is audited as data or read as a log.
    scores = pd.to_numeric(frame[config.score_column], errors="coerce")
    bad_scores = scores.isna() | ~np.isfinite(scores.fillna(0.0))  # inf would decide the plateau as "best inf"
    if bad_scores.any():
        bad = int(bad_scores.idxmax()) + 1
        raise InputError(f"{path}: line {bad}: field {config.score_column!r} is not a finite number")
    order = frame[order_column]
    if order_column == "timestamp":
        order = _time_order(order, path)
    else:
        # Iterations sort as numbers: as text, it10 came before it2 and a late jump read as a plateau.
        order = pd.to_numeric(order, errors="coerce")
        if order.isna().any():
            bad = int(order.isna().idxmax()) + 1
            raise InputError(f"{path}: line {bad}: field {config.iteration_column!r} is not a number; number the iterations "
                             "(1, 2, 3, ...) or give a 'timestamp' column instead")
    frame = frame.assign(_score=scores, _order=order).sort_values("_order", kind="stable")
    frame.attrs["sha256"] = hashlib.sha256(raw).hexdigest()
    return frame


ISO_EXAMPLE = "2024-01-02T09:00:00"


def _time_order(stamps: pd.Series, path: Path) -> pd.Series:
    """Timestamps as instants to sort by: as text, "2024-01-02 10:00" came before "... 9:00" and "Jan 10" before
    "Jan 9", and the plateau read the wrong last iterations. A column of numbers (epoch seconds) sorts as numbers.
    Dates are read in one format for the whole column (ISO 8601, else the one format every stamp fits): read one
    at a time, "01/02/2024" was 2 January beside "13/01/2024" as 13 January, and the order was made up."""
    import pandas as pd

    booleans = stamps.map(lambda value: isinstance(value, bool))
    if booleans.any():  # a JSON true is no time, though pandas reads it as the number 1
        raise InputError(f"{path}: line {int(booleans.idxmax()) + 1}: field 'timestamp' is a boolean, not a date and time; "
                         f"write it as {ISO_EXAMPLE} (or number the iterations in an 'iteration' column)")
    numbers = pd.to_numeric(stamps, errors="coerce")
    if numbers.notna().all():
        return numbers
    is_number = numbers.notna()
    others = stamps[~is_number]
    texts = others.where(others.map(lambda value: isinstance(value, str)), None)
    # utc: "+02:00" and "Z" stamps are one timeline, and a stamp without a zone is read as UTC beside them
    instants = pd.to_datetime(texts, errors="coerce", utc=True, format="ISO8601")
    readings = [instants] if instants.notna().all() else _one_format_readings(texts)
    if not readings:
        with warnings.catch_warnings():  # each stamp alone, to tell a mix of formats from a stamp that is no date
            warnings.simplefilter("ignore", UserWarning)
            alone = pd.to_datetime(texts, errors="coerce", utc=True, format="mixed")
        if alone.notna().all() and instants.notna().any():
            # "2024-01-03" beside "01/02/2024": each is a date, but no one format reads the column
            raise InputError(f"{path}: field 'timestamp' mixes date formats (line {int(instants.notna().idxmax()) + 1} and "
                             f"line {int(instants.isna().idxmax()) + 1}), which are not read one way; write every stamp "
                             f"as {ISO_EXAMPLE}")
        bad = int((alone.isna() if alone.isna().any() else instants.isna()).idxmax()) + 1
        raise InputError(f"{path}: line {bad}: field 'timestamp' is not a date and time; write it as {ISO_EXAMPLE} "
                         "(or number the iterations in an 'iteration' column)")
    if is_number.any():
        # each stamp is readable, but an epoch count and a calendar date are no one scale (seconds or
        # milliseconds, which zone): naming either row as "not a date" would blame a good one
        raise InputError(f"{path}: field 'timestamp' mixes epoch numbers (line {int(is_number.idxmax()) + 1}) with dates "
                         f"and times (line {int(others.index[0]) + 1}), which do not order together; write every stamp "
                         f"as {ISO_EXAMPLE} (or every one as epoch seconds)")
    # Only the order is used: where month/day and day/month readings put the rows in one order ("01/02/2024"
    # before "03/04/2024" either way), either reading sorts the log right, though the dates themselves differ.
    first, *rest = readings
    first_ranks = first.rank(method="dense")
    for other in rest:
        differs = first_ranks.ne(other.rank(method="dense"))
        if differs.any():
            raise InputError(f"{path}: line {int(differs.idxmax()) + 1}: field 'timestamp' reads as month/day and as "
                             f"day/month alike, and the two readings order the rows differently, so the order is unknown; "
                             f"write it as {ISO_EXAMPLE}")
    return first


def _one_format_readings(texts: pd.Series) -> list[pd.Series]:
    """The column read in each single date format that fits every stamp (as pandas guesses a stamp's format,
    month first and day first), one reading per format."""
    import pandas as pd
    from pandas.tseries.api import guess_datetime_format

    with warnings.catch_warnings():  # asking for both orders is the point; pandas warns when the guess disagrees
        warnings.simplefilter("ignore", UserWarning)
        formats = sorted({guessed for text in texts.dropna().unique() for day_first in (False, True)
                          if (guessed := guess_datetime_format(text, dayfirst=day_first)) is not None})
    readings = []
    for date_format in formats:
        reading = pd.to_datetime(texts, errors="coerce", utc=True, format=date_format)
        if reading.notna().all():
            readings.append(reading)
    return readings


def _bad_row(path: Path, line: int, field: str, message: str) -> str:
    where = f"line {line}: " if line else ""
    named = f"field {field!r}: " if field and not field.startswith("(") else ""
    fix = "; fix or remove that row of the prompt log" if line and "; " not in message else ""  # else it says its fix
    return f"{path}: {where}{named}{message}{fix}"


def _json_kind(value) -> str:
    if value is None:
        return "null"
    return {list: "a JSON array", str: "a JSON string", bool: "a JSON boolean"}.get(type(value), "a JSON number")


def measure_prompt_log(frame: pd.DataFrame, path: str, config: PromptLogConfig) -> PromptLogResult:
    scores = [float(s) for s in frame["_score"]]
    versions = [str(v) for v in frame[config.version_column]] if config.version_column in frame.columns else [str(i) for i in range(1, len(scores) + 1)]
    sign = 1.0 if config.higher_is_better else -1.0
    best: list[float] = []
    for score in scores:
        best.append(score if not best else (max(best[-1], score) if sign > 0 else min(best[-1], score)))
    window = config.plateau_iterations
    improvement = None
    status = "too_short"
    if len(scores) > window:
        improvement = sign * (best[-1] - best[-1 - window])
        status = "converged" if judged_improvement(improvement, config.plateau_epsilon) < config.plateau_epsilon else "improving"
    best_index = max(range(len(scores)), key=lambda i: sign * scores[i]) if scores else None
    return PromptLogResult(path, frame.attrs.get("sha256", ""), len(scores), scores, best, versions,
                           best[-1] if best else None, versions[best_index] if best_index is not None else None,
                           window, config.plateau_epsilon, None if improvement is None else round(improvement, 6), status,
                           config.higher_is_better, improvement)


def judged_improvement(improvement: float, epsilon: float) -> float:
    """The improvement the plateau is judged on: epsilon itself when within digits.FLOAT_NOISE of it, since scores logged
    to two places rise by 0.71 - 0.70 = 0.010000000000000009 or 0.70 - 0.69 = 0.009999999999999898, both a rise of
    exactly 0.01; any other value unrounded (0.0099996 is under 0.01)."""
    return snapped(improvement, epsilon)


def prompt_ceiling_condition(result: PromptLogResult | None) -> Finding:
    if result is None:
        return Finding("prompt_ceiling", Status.UNKNOWN, "no prompt-experiment log, so the prompt ceiling cannot be judged", {},
                         "Log each prompt iteration's score on a fixed eval set and pass it with --prompt-log FILE.")
    unrounded = (result.recent_improvement_unrounded if result.recent_improvement_unrounded is not None
                 else result.recent_improvement)
    evidence = {"iterations": result.iterations, "best_score": result.best_score, "best_version": result.best_version,
                "window": result.window, "epsilon": result.epsilon, "recent_improvement": result.recent_improvement,
                "recent_improvement_unrounded": unrounded}
    if result.status == "too_short":
        counted = f"{result.iterations} iteration{'' if result.iterations == 1 else 's'}"
        return Finding("prompt_ceiling", Status.UNKNOWN, f"the prompt log has {counted}, too few to tell "
                         f"whether prompting has plateaued (needs more than {result.window})", evidence,
                         f"Run at least {result.window + 1 - result.iterations} more prompt iterations and log their scores.")
    improvement, epsilon = against(judged_improvement(unrounded, result.epsilon), result.epsilon)
    if result.status == "converged":
        return Finding("prompt_ceiling", Status.PASS, f"prompting has plateaued at {result.best_score:g} (best improved by "
                         f"{improvement} over the last {result.window} iterations, under {epsilon})", evidence)
    return Finding("prompt_ceiling", Status.FAIL, f"prompting is still improving (best rose by {improvement} over the "
                     f"last {result.window} iterations): its ceiling is not reached", evidence,
                     "Keep iterating on the prompt until the best score stops improving before paying for fine-tuning.")


def _measure(ctx: AuditContext) -> PromptLogResult:
    config = ctx.config.prompt_log
    return measure_prompt_log(read_prompt_log(ctx.prompt_log, config), str(ctx.prompt_log), config)


def _judge(result: PromptLogResult | None, ctx: AuditContext) -> list[Finding]:
    # Without a log the condition is judged (as unknown) only when the team asked for the full decision.
    if result is None and not ctx.config.conditions.full_decision:
        return []
    return [prompt_ceiling_condition(result)]


CHECK = Check(id="prompt_log", order=80, measure=_measure, judge=_judge, needs=frozenset({Need.PROMPT_LOG}), conditions=frozenset({"prompt_ceiling"}))
