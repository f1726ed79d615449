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
    # Every evidence key a check can give this condition, on any run (a share said only when over its bound, the
    # agreement's figures only on annotated data): always present, null when no finding gave one, so a script
    # never meets a missing key and two runs' evidence compare key by key.
    evidence_keys: tuple[str, ...] = ()


# Every key any check can put in a condition's evidence, in the order a reader meets them: the keys are the
# same on every run whatever the data's shape (annotated or not, preference pairs, --production, --no-embeddings).
_FORMAT_KEYS = ("records", "valid", "invalid", "invalid_share", "max_invalid_share", "first_errors", "formats", "notes",
                "file_errors", "other_inputs",  # checks.format
                "target_model", "example_limit", "over_limit", "longest", "formats_not_accepted", "not_renderable",
                "object_arguments", "names_not_accepted", "calls_without_id", "tools_as_strings")  # checks.tokens
_HYGIENE_KEYS = (
    # checks.duplicates
    "duplicate_share", "duplicate_share_unrounded", "conflict_groups", "conflict_records", "conflict_share",
    "leaked_eval_records", "exact_groups", "near_groups", "label_field", "bounds", "copied_eval_records",
    "reworded_eval_records", "reworded_share", "max_reworded_leak_share",
    # checks.pii
    "records_with_findings", "share", "by_kind", "personal_share", "max_share",
    # checks.preference
    "identical_pairs", "identical_share", "max_invalid_share", "lines", "contradiction_groups", "contradiction_records",
    "contradiction_share", "max_conflict_share", "prefix_pairs", "rejected_prefix_pairs", "prefix_share",
    "max_prefix_share", "chosen_longer_share", "chosen_longer_share_unrounded", "mean_length_ratio",
    "max_chosen_longer_share", "min_chosen_longer_share", "pairs", "prompts_with_several_pairs",
    # checks.repeated_targets
    "repeated_target_records", "targets_judged", "repeated_target_share", "repeated_targets",
    "repeated_target_min_copies", "repeated_target_warn_share")
_CONSISTENCY_KEYS = (
    # checks.agreement
    "krippendorff_alpha", "krippendorff_alpha_unrounded", "alpha_ci", "bootstrap_resamples",
    "bootstrap_resamples_undefined", "level", "items_with_multiple_labels", "reliable", "tentative",
    "flagged_annotators", "question", "questions", "judged_only_by",
    # checks.label_noise
    "estimated_error_rate", "estimated_error_rate_unrounded", "error_rate_ci", "cv_accuracy", "baseline_accuracy",
    "worst_labels", "confused_pairs", "suspects_total", "reason", "labels_estimated", "labels_left_out",
    "examples_left_out")
_SCALE_KEYS = ("usable", "required", "task_type", "task_type_inferred", "after_deduplication", "over_context",
               "task_type_reason", "rare_labels", "imbalance_ratio")
_COVERAGE_KEYS = ("covered_share", "covered_share_unrounded", "min_covered_share", "max_uncovered_scenario_share",
                  "min_gap_share", "min_unnamed_gap_share", "production_inputs", "training_inputs",
                  "min_production_inputs", "min_training_inputs", "mix_shift", "uncovered_scenarios", "uncovered_share")
_PROMPT_CEILING_KEYS = ("iterations", "best_score", "best_version", "window", "epsilon", "recent_improvement",
                        "recent_improvement_unrounded")
_MAINTENANCE_KEYS = ("owner", "retraining_cadence", "eval_set", "monitoring", "missing")

# The evidence key of an unknown finding from the only check that can judge its condition on this data (agreement
# on annotators' answers with no item annotated twice): decide.verdict holds the condition unknown unless another
# finding fails it, since another check's pass or warning cannot stand in for it.
JUDGED_ONLY_BY = "judged_only_by"

CONDITIONS: tuple[ConditionSpec, ...] = (
    ConditionSpec("format", "can every record be read and trained on as it is?", True,
                  "no check judged the format", _FORMAT_KEYS),
    ConditionSpec("hygiene", "no leakage, no conflicting labels, few duplicates, no secrets or personal data?", True,
                  "no check judged hygiene", _HYGIENE_KEYS),
    ConditionSpec("consistency", "are the labels consistent enough that a model learns signal, not annotator noise?", True,
                  "no check judged consistency", _CONSISTENCY_KEYS),
    ConditionSpec("scale", "are there enough usable examples for the task?", True, "no check judged scale", _SCALE_KEYS),
    ConditionSpec("coverage", "do the training inputs cover the scenarios seen in production?", True,
                  "no check judged coverage", _COVERAGE_KEYS),
    ConditionSpec("prompt_ceiling", "has prompting plateaued, so fine-tuning is worth paying for?", False,
                  "data-only audit: supply a prompt log (--prompt-log) or set conditions.full_decision = true to judge it",
                  _PROMPT_CEILING_KEYS),
    ConditionSpec("maintenance", "is someone named to keep a fine-tuned model alive?", False,
                  "data-only audit: add a [maintenance] section to the config to judge it", _MAINTENANCE_KEYS),
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
