"""The readiness decision beyond the data: prompt ceiling, maintenance capacity, and the economics.

`prompt_ceiling` and `maintenance` are necessary conditions that join the verdict when their evidence is
supplied (a prompt log, a [maintenance] config section) or when config asks for the full decision; the
economics are sufficient conditions: reported, never blocking.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..config import Config
from ..checks.economics import measure_economics
from ..checks.prompt_log import PromptLogResult, measure_prompt_log, read_prompt_log
from ..load.records import Dataset
from .verdict import FAIL, PASS, UNKNOWN, Condition, NotJudged

DATA_ONLY = "data-only audit: supply a prompt log (--prompt-log) or set conditions.full_decision = true to judge it"


def prompt_ceiling_condition(result: PromptLogResult | None) -> Condition:
    if result is None:
        return Condition("prompt_ceiling", UNKNOWN, "no prompt-experiment log, so the prompt ceiling cannot be judged", {},
                         "Log each prompt iteration's score on a fixed eval set and pass it with --prompt-log FILE.")
    evidence = {"iterations": result.iterations, "best_score": result.best_score, "best_version": result.best_version,
                "window": result.window, "epsilon": result.epsilon, "recent_improvement": result.recent_improvement}
    if result.status == "too_short":
        return Condition("prompt_ceiling", UNKNOWN, f"the prompt log has {result.iterations} iterations, too few to tell "
                         f"whether prompting has plateaued (needs more than {result.window})", evidence,
                         f"Run at least {result.window + 1 - result.iterations} more prompt iterations and log their scores.")
    if result.status == "converged":
        return Condition("prompt_ceiling", PASS, f"prompting has plateaued at {result.best_score:g} (best improved by "
                         f"{result.recent_improvement:g} over the last {result.window} iterations, under {result.epsilon:g})", evidence)
    return Condition("prompt_ceiling", FAIL, f"prompting is still improving (best rose by {result.recent_improvement:g} over the "
                     f"last {result.window} iterations): its ceiling is not reached", evidence,
                     "Keep iterating on the prompt until the best score stops improving before paying for fine-tuning.")


def maintenance_condition(config: Config, base: Path) -> Condition:
    section = config.maintenance
    if section is None:
        return Condition("maintenance", UNKNOWN, "no [maintenance] section: nobody is named to keep a fine-tuned model alive", {},
                         "Add a [maintenance] section: owner, retraining_cadence, eval_set, monitoring.")
    missing = [name for name in ("owner", "retraining_cadence", "monitoring") if not getattr(section, name).strip()]
    eval_note = ""
    if not section.eval_set.strip():
        missing.append("eval_set")
    else:
        path = Path(section.eval_set)
        path = path if path.is_absolute() else base / path
        if not path.is_file():
            missing.append("eval_set")
            eval_note = f" ({section.eval_set} does not exist)"
        elif path.stat().st_size == 0:
            missing.append("eval_set")
            eval_note = f" ({section.eval_set} is empty)"
    evidence = {"owner": section.owner, "retraining_cadence": section.retraining_cadence, "eval_set": section.eval_set,
                "monitoring": section.monitoring, "missing": missing}
    if missing:
        return Condition("maintenance", FAIL, f"maintenance plan incomplete: missing {', '.join(missing)}{eval_note}", evidence,
                         "Complete the maintenance plan: " + ", ".join(missing) + ".")
    return Condition("maintenance", PASS, f"owned by {section.owner}, retrained {section.retraining_cadence}, monitored", evidence)


def decision_conditions(config: Config, prompt_log: str | Path | None, dataset: Dataset,
                        checks: dict[str, Any]) -> tuple[dict[str, Any], list[Condition], list[NotJudged]]:
    found: dict[str, Any] = {}
    conditions: list[Condition] = []
    not_judged: list[NotJudged] = []
    log_result = None
    if prompt_log:
        log_result = measure_prompt_log(read_prompt_log(prompt_log, config.prompt_log), str(prompt_log), config.prompt_log)
        found["prompt_log"] = log_result
    if prompt_log or config.conditions.full_decision:
        conditions.append(prompt_ceiling_condition(log_result))
    else:
        not_judged.append(NotJudged("prompt_ceiling", DATA_ONLY))
    if config.maintenance is not None or config.conditions.full_decision:
        base = Path(config.source).parent if config.source else Path.cwd()
        conditions.append(maintenance_condition(config, base))
    else:
        not_judged.append(NotJudged("maintenance", "data-only audit: add a [maintenance] section to the config to judge it"))

    size = checks["size"]
    mean_input = size.input_tokens.mean if size.input_tokens else 0.0
    mean_output = size.target_tokens.mean if size.target_tokens else 1.0
    training_tokens = (size.input_tokens.total if size.input_tokens else 0) + (size.target_tokens.total if size.target_tokens else 0)
    found["economics"] = measure_economics(config.economics, mean_input=mean_input, mean_output=mean_output,
                                           training_tokens=training_tokens,
                                           prompted_score=log_result.best_score if log_result else None)
    return found, conditions, not_judged
