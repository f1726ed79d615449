"""The necessary conditions, defined once: their ids, order of impact, and what absence of evidence means.

Order of impact (used for the conditions table and the next actions): broken input first, then what makes
evaluation lie or training learn noise, then quantity, then scope of the data, then the decision outside
the data. Checks contribute Findings to these ids; `decide.verdict` merges them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ConditionSpec:
    id: str
    question: str  # what the condition asks of the data
    data: bool  # a condition on the data itself (a verdict needs at least one of these judged)
    when_absent: str  # why it is not judged when no check contributed a finding
    # Evidence keys a check adds on some runs only (a share said only when over its bound, rare labels only when
    # some are rare): always present, null when no finding gave one, so a script never meets a missing key.
    evidence_keys: tuple[str, ...] = ()


CONDITIONS: tuple[ConditionSpec, ...] = (
    ConditionSpec("format", "can every record be read and trained on as it is?", True,
                  "no check judged the format", ("notes", "file_errors")),
    ConditionSpec("hygiene", "no leakage, no conflicting labels, few duplicates, no secrets or personal data?", True,
                  "no check judged hygiene", ("personal_share", "max_share")),
    ConditionSpec("consistency", "are the labels consistent enough that a model learns signal, not annotator noise?", True,
                  "no check judged consistency", ("question", "questions")),
    ConditionSpec("scale", "are there enough usable examples for the task?", True, "no check judged scale",
                  ("task_type_reason", "rare_labels", "imbalance_ratio")),
    ConditionSpec("coverage", "do the training inputs cover the scenarios seen in production?", True,
                  "no check judged coverage"),
    ConditionSpec("prompt_ceiling", "has prompting plateaued, so fine-tuning is worth paying for?", False,
                  "data-only audit: supply a prompt log (--prompt-log) or set conditions.full_decision = true to judge it"),
    ConditionSpec("maintenance", "is someone named to keep a fine-tuned model alive?", False,
                  "data-only audit: add a [maintenance] section to the config to judge it"),
)
CONDITION_IDS: tuple[str, ...] = tuple(c.id for c in CONDITIONS)
SPECS = {c.id: c for c in CONDITIONS}

# Free-text targets are not labels (load/targets.py never takes a generation reply for a class): there is nothing
# annotators could disagree on, so asking two of them to label an overlapping sample is no remedy.
NO_LABELS_TO_AGREE_ON = ("not applicable: the targets are free text (a generation task), not labels annotators could "
                         "disagree on; it is judged when the records carry labels (a label field) or several annotators' "
                         "labels (nested 'annotations', --annotator-field, --annotator-columns, or an annotation tool's export)")


def not_applicable(task_type: str, labelled: bool) -> dict[str, str]:
    """The conditions that do not apply to this task as its data stands, each with why (listed as not judged).
    labelled: some training record carries a label or an annotation."""
    if task_type == "generation" and not labelled:
        return {"consistency": NO_LABELS_TO_AGREE_ON}
    return {}
