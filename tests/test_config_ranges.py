"""Every numeric key of every table has a range, and a value outside it is an exit-2 ConfigError naming the
file and the key (QA: reference_sample = 0 read coverage as 4.4%, a seed of 1e23 crashed a check)."""

from __future__ import annotations

import dataclasses
import typing

import pytest

from dataaudit.config import Config, ConfigError, config_from_dict, load_config, setting_sections

# One value outside its range per numeric key, written by hand from what the code does with the key.
BAD_VALUES = {
    "format.max_invalid_share": 1.5,
    "format.warn_invalid_share": -0.1,
    "size.min_examples_format": 0,
    "size.min_examples_classification": 0,
    "size.min_examples_extraction": -1,
    "size.min_examples_generation": 0,
    "size.context_limit": 0,
    "size.max_over_context_share": 2.0,
    "balance.min_label_count": 0,
    "balance.warn_imbalance_ratio": 0.5,
    "agreement.reliable_alpha": 1.2,
    "agreement.tentative_alpha": -0.1,
    "agreement.bootstrap_resamples": 50,
    "agreement.seed": 2**32,
    "agreement.careless_margin": 2.0,
    "agreement.disputed_limit": 0,
    "embeddings.batch_size": 0,
    "duplicates.near_cosine": 0.0,
    "duplicates.lexical_ratio": 1.5,
    "duplicates.neighbours": 10**20,
    "duplicates.max_groups_listed": 0,
    "hygiene.max_conflict_share": 1.5,
    "hygiene.warn_conflict_share": -0.5,
    "hygiene.max_leaked": -1,
    "hygiene.max_duplicate_share": 1.1,
    "hygiene.warn_duplicate_share": -0.1,
    "prompt_log.plateau_iterations": 0,
    "prompt_log.plateau_epsilon": -1.0,
    "economics.prompted_score": float("nan"),
    "economics.target_score": float("inf"),
    "economics.near_target_share": 1.5,
    "economics.far_target_share": -0.5,
    "economics.monthly_calls": -1.0,
    "economics.prompted_input_price_per_1k": -0.1,
    "economics.prompted_output_price_per_1k": -0.1,
    "economics.finetuned_input_price_per_1k": -0.1,
    "economics.finetuned_output_price_per_1k": -0.1,
    "economics.training_cost": -1.0,
    "economics.training_price_per_1k": -1.0,
    "economics.epochs": 0,
    "economics.few_shot_examples": 0,
    "economics.instruction_tokens": -1,
    "economics.finetuned_instruction_tokens": -1,
    "economics.payback_months": 0,
    "history.max_alpha_drop": 1.5,
    "history.max_label_share_shift": -0.1,
    "history.max_covered_share_drop": 2.0,
    "history.max_usable_drop": -1,
    "history.max_new_leaks": -1,
    "history.max_new_conflicts": -1,
    "history.max_duplicate_share_rise": 2.0,
    "engine.embed_actors": -1,
    "engine.gpus_per_actor": -1.0,
    "coverage.neighbours": 0,
    "coverage.own_mix_neighbours": 10**20,
    "coverage.classifier_weight": 7.0,
    "coverage.own_mix_local_neighbours": 0,
    "coverage.own_mix_local_weight": 1.5,
    "coverage.label_neighbours": 0,
    "coverage.label_mix_passes": 0,
    "coverage.reference_sample": 0,
    "coverage.min_production_inputs": 0,
    "coverage.min_training_inputs": 0,
    "coverage.min_training_inputs_per_label": -1,
    "coverage.min_gap_share": 1.5,
    "coverage.min_unnamed_gap_share": 1.5,
    "coverage.min_covered_share": 1.1,
    "coverage.max_uncovered_scenario_share": -0.1,
    "coverage.examples_per_scenario": 0,
    "coverage.max_scenarios": 0,
    "coverage.seed": 10**23,
    "label_noise.fail_error_rate": 1.5,
    "label_noise.warn_error_rate": -0.1,
    "label_noise.max_labels": 1,
    "label_noise.max_label_chars": 0,
    "label_noise.min_examples_per_label": 1,
    "label_noise.max_excluded_share": 1.5,
    "label_noise.min_lift": 3.0,
    "label_noise.folds": 1,
    "label_noise.max_train_rows": 0,
    "label_noise.bootstrap_resamples": 99,
    "label_noise.bootstrap_max_rows": 0,
    "label_noise.suspects_limit": 0,
    "label_noise.seed": 10**23,
    "preference.max_chosen_longer_share": 0.2,
    "preference.max_prefix_share": 1.5,
    "preference.min_pairs_for_length_bias": 0,
    "pii.warn_share": -0.1,
    "pii.max_share": 1.5,
    "pii.secret_entropy": 100.0,
    "pii.secret_min_length": 0,
    "pii.max_listed": -3,
    "repeated_targets.min_copies": 1,
    "repeated_targets.warn_share": 1.5,
    "repeated_targets.max_listed": -1,
    "tokens.example_limit": 0,
    "tokens.price_per_million": -3.0,
    "tokens.epochs": 0,
    "tokens.max_listed": -1,
}


def _numeric_keys() -> list[str]:
    keys = []
    for name, cls in setting_sections().items():
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            if set(typing.get_args(hints[f.name]) or (hints[f.name],)) & {int, float}:
                keys.append(f"{name}.{f.name}")
    return keys


def test_every_numeric_key_has_a_bad_value_here():
    """A key added without a row here fails, so a new setting gets its range decided, not left unbounded."""
    assert sorted(_numeric_keys()) == sorted(BAD_VALUES)


@pytest.mark.parametrize("key, value", sorted(BAD_VALUES.items()), ids=sorted(BAD_VALUES))
def test_a_value_out_of_range_is_a_config_error_naming_file_and_key(tmp_path, key, value):
    section, name = key.split(".")
    literal = {float("nan"): "nan", float("inf"): "inf"}.get(value, repr(value)) if isinstance(value, float) else str(value)
    path = tmp_path / "dataaudit.toml"
    path.write_text(f"[{section}]\n{name} = {literal}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert key in message


def test_the_cli_exits_2_with_one_line_naming_file_and_key(tmp_path, capsys):
    from dataaudit.cli import main
    from tests.conftest import write_jsonl

    data = tmp_path / "train.jsonl"
    write_jsonl(data, [{"text": f"ticket {i}", "label": "a" if i % 2 else "b"} for i in range(20)])
    path = tmp_path / "dataaudit.toml"
    path.write_text("[coverage]\nreference_sample = 0\n")
    assert main(["audit", str(data), "--config", str(path), "--no-embeddings"]) == 2
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err
    assert f"{path}: coverage.reference_sample: must be >= 1, got 0" in err


@pytest.mark.parametrize("text, message", [
    ("[economics]\nnear_target_share = 0.3\nfar_target_share = 0.9",
     "economics.far_target_share: 0.9 is above near_target_share (0.3)"),
    ("[agreement]\nreliable_alpha = 0.6\ntentative_alpha = 0.7",
     "agreement.tentative_alpha: 0.7 is above reliable_alpha (0.6)"),
    ("[agreement]\ntentative_alpha = 0.0", "agreement.tentative_alpha: must be above 0, got 0"),
    ("[agreement]\nreliable_alpha = nan", "agreement.reliable_alpha: must be a finite number, got nan"),
    ("[agreement]\nreliable_alpha = 1.2", "agreement.reliable_alpha: must be between 0 and 1 (Krippendorff's alpha bar), got 1.2"),
    ("[label_noise]\nseed = 4294967296", "label_noise.seed: must be between 0 and 4_294_967_295 (numpy's seed range), got 4_294_967_296"),
    ("[coverage]\nclassifier_weight = 7.0", "coverage.classifier_weight: must be between 0 and 1"),
    ("[label_noise]\nmin_lift = 3.0", "label_noise.min_lift: must be between 0 and 1"),
])
def test_values_bounded_by_each_other_or_hard_limits_name_key_and_value(tmp_path, text, message):
    path = tmp_path / "dataaudit.toml"
    path.write_text(text + "\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}: {message}")


@pytest.mark.parametrize("text, key, value", [
    ("[label_noise]\nseed = 4294967295", "label_noise.seed", 4294967295),
    ("[label_noise]\nfolds = 0", "label_noise.folds", 0),
    ("[agreement]\nbootstrap_resamples = 0", "agreement.bootstrap_resamples", 0),
    ("[coverage]\nclassifier_weight = 0.0", "coverage.classifier_weight", 0.0),
    ("[coverage]\nreference_sample = 30", "coverage.reference_sample", 30),
    # Keys once refused against another key the user never set (QA rev39 3): none makes a gate that cannot be met.
    ("[coverage]\nreference_sample = 10", "coverage.reference_sample", 10),  # a sample size, not a bar
    ("[coverage]\nmin_training_inputs = 5000", "coverage.min_training_inputs", 5000),
    ("[coverage]\nmin_gap_share = 0.1", "coverage.min_gap_share", 0.1),  # coverage reads unnamed < named consistently
    ("[label_noise]\nmax_train_rows = 150", "label_noise.max_train_rows", 150),  # max_labels is only an upper limit
    ("[label_noise]\nmin_lift = 1.0", "label_noise.min_lift", 1.0),
    ("[economics]\nnear_target_share = 0.5\nfar_target_share = 0.5", "economics.far_target_share", 0.5),
    ("[economics]\nprompted_score = -5.0\ntarget_score = 90.0", "economics.prompted_score", -5.0),
])
def test_edge_values_inside_their_range_stay_accepted(tmp_path, text, key, value):
    path = tmp_path / "dataaudit.toml"
    path.write_text(text + "\n")
    section, name = key.split(".")
    assert getattr(getattr(load_config(path), section), name) == value


def test_the_defaults_are_inside_every_range():
    config_from_dict(Config().to_dict()).validate()


def test_dedup_s_list_every_group_cap_stays_valid():
    """fix/dedup.py audits with duplicates.max_groups_listed = 10**12 to see every group."""
    config = Config()
    config.duplicates.max_groups_listed = 10**12
    config.validate()
