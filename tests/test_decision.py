"""The readiness decision beyond the data: plateau test, maintenance, cost model, and how they join the verdict."""

from __future__ import annotations

import json

import pytest

from dataaudit.api import audit
from dataaudit.cli import main
from dataaudit.config import Config, EconomicsConfig, MaintenanceConfig, PromptLogConfig, load_config
from dataaudit.checks.maintenance import maintenance_finding, measure_maintenance
from dataaudit.checks.prompt_log import prompt_ceiling_condition
from dataaudit.checks.economics import cost_model, measure_economics, quality_gap
from dataaudit.checks.prompt_log import measure_prompt_log, read_prompt_log
from dataaudit.checks.economics import cost_message
from tests.conftest import SAMPLE


def log(tmp_path, scores, name="log.csv"):
    path = tmp_path / name
    path.write_text("iteration,prompt_version,score\n" + "".join(f"{i},v{i},{s}\n" for i, s in enumerate(scores, 1)))
    return measure_prompt_log(read_prompt_log(path, PromptLogConfig()), str(path), PromptLogConfig())


def test_plateau_converged(tmp_path):
    result = log(tmp_path, [0.5, 0.62, 0.7, 0.74, 0.745, 0.748, 0.749])
    assert result.status == "converged" and result.recent_improvement == pytest.approx(0.009)
    assert result.best_so_far == [0.5, 0.62, 0.7, 0.74, 0.745, 0.748, 0.749]
    assert prompt_ceiling_condition(result).status == "pass"


def test_plateau_still_improving(tmp_path):
    result = log(tmp_path, [0.5, 0.55, 0.6, 0.65, 0.7])
    assert result.status == "improving" and result.recent_improvement == pytest.approx(0.15)
    assert prompt_ceiling_condition(result).status == "fail"


def test_plateau_noisy_but_flat(tmp_path):
    result = log(tmp_path, [0.70, 0.72, 0.69, 0.715, 0.70, 0.718, 0.705, 0.71])
    assert result.status == "converged" and result.best_score == 0.72 and result.best_version == "v2"


def test_plateau_too_short_to_tell_is_unknown(tmp_path):
    result = log(tmp_path, [0.6, 0.7, 0.71])
    assert result.status == "too_short"
    condition = prompt_ceiling_condition(result)
    assert condition.status == "unknown" and "1 more" in condition.action
    assert log(tmp_path, [0.6]).iterations == 1 and "has 1 iteration, too few" in prompt_ceiling_condition(log(tmp_path, [0.6])).summary


def test_lower_is_better_logs(tmp_path):
    path = tmp_path / "loss.jsonl"
    path.write_text("".join(json.dumps({"timestamp": f"2026-11-0{i}", "loss": v}) + "\n" for i, v in enumerate([0.9, 0.5, 0.495, 0.493, 0.492, 0.4915], 1)))
    config = PromptLogConfig(score_column="loss", higher_is_better=False)
    result = measure_prompt_log(read_prompt_log(path, config), str(path), config)
    assert result.status == "converged" and result.best_score == 0.4915


def test_cost_model_hand_computed():
    config = EconomicsConfig(monthly_calls=2_000_000, prompted_input_price_per_1k=0.0025, prompted_output_price_per_1k=0.01,
                             finetuned_input_price_per_1k=0.0003, finetuned_output_price_per_1k=0.0012, training_cost=4000.0)
    cost = cost_model(mean_input=20, mean_output=2, training_tokens=0, config=config)
    # prompted prompt: 200 instructions + 5 shots x (20 + 2) + 20 input = 330 tokens; fine-tuned: 20 + 20 = 40
    assert (cost.prompted_prompt_tokens, cost.finetuned_prompt_tokens) == (330, 40)
    # per call: (330 x 0.0025 + 2 x 0.01) / 1000 = 0.000845 and (40 x 0.0003 + 2 x 0.0012) / 1000 = 0.0000144
    assert cost.prompted_monthly_cost == pytest.approx(1690.0)
    assert cost.finetuned_monthly_cost == pytest.approx(28.8)
    assert cost.break_even_month == 3  # 4000 / 1661.2 = 2.41 months
    assert cost.payoff_volume == pytest.approx(4000 / (12 * (0.000845 - 0.0000144)), rel=1e-6)
    assert cost.volume_band == "high_volume" and "breaks even in month 3" in cost_message(cost)


def test_cost_model_low_volume_and_training_from_tokens():
    config = EconomicsConfig(monthly_calls=50_000, prompted_input_price_per_1k=0.0025, prompted_output_price_per_1k=0.01,
                             finetuned_input_price_per_1k=0.0003, finetuned_output_price_per_1k=0.0012, training_price_per_1k=0.008, epochs=3)
    cost = cost_model(mean_input=20, mean_output=2, training_tokens=1_000_000, config=config)
    assert cost.training_cost == pytest.approx(24.0)  # 1M tokens x 3 epochs x 0.008 / 1k
    # a low volume that still pays back at once: said as computed (it read "prompting is almost always cheaper")
    assert cost.volume_band == "low_volume" and cost.break_even_month == 1 and cost.payoff_volume < 50_000
    assert cost_message(cost).startswith("At 50,000 calls/month, a low volume, fine-tuning still saves ")
    never = cost_model(20, 2, 1_000_000, EconomicsConfig(**{**config.__dict__, "monthly_calls": 0}))
    assert cost_message(never) == "At 0 calls/month prompting is cheaper: training never pays back at this volume."


def test_cost_model_that_never_pays_off():
    config = EconomicsConfig(monthly_calls=2_000_000, prompted_input_price_per_1k=0.0001, prompted_output_price_per_1k=0.0001,
                             finetuned_input_price_per_1k=0.01, finetuned_output_price_per_1k=0.01, training_cost=10.0)
    cost = cost_model(20, 2, 0, config)
    assert cost.break_even_month is None and cost.payoff_volume is None and "never pays off" in cost_message(cost)


def test_quality_gap_bands():
    config = EconomicsConfig()
    assert quality_gap(0.8, 0.9, config).assessment == "near_target"
    assert quality_gap(0.6, 0.9, config).assessment == "sizeable_gap"
    assert quality_gap(0.4, 0.9, config).assessment == "far_below"
    result = measure_economics(EconomicsConfig(target_score=0.9), mean_input=20, mean_output=2, training_tokens=0, prompted_score=0.81)
    assert result.quality_gap.share_of_target == 0.9 and result.cost is None and "economics.monthly_calls" in result.missing
    assert result.latency_tokens_saved_share == pytest.approx((330 - 40) / 330, abs=1e-4)


def test_maintenance_names_each_missing_item(tmp_path):
    config = Config(maintenance=MaintenanceConfig(owner="Dana", eval_set="missing.jsonl"))
    condition = maintenance_finding(measure_maintenance(config, tmp_path))
    assert condition.status == "fail" and condition.evidence["missing"] == ["retraining_cadence", "monitoring", "eval_set"]
    (tmp_path / "eval.jsonl").write_text('{"text": "x"}\n')
    full = Config(maintenance=MaintenanceConfig(owner="Dana", retraining_cadence="monthly", eval_set="eval.jsonl", monitoring="drift alerts"))
    assert maintenance_finding(measure_maintenance(full, tmp_path)).status == "pass"
    assert maintenance_finding(measure_maintenance(Config(), tmp_path)).status == "unknown"
    folder = Config(maintenance=MaintenanceConfig(owner="Dana", retraining_cadence="monthly", eval_set=".", monitoring="drift alerts"))
    assert "(. is a folder, not the eval file)" in maintenance_finding(measure_maintenance(folder, tmp_path)).summary


def _small_ready_dataset(tmp_path):
    from tests.test_cli import _clean_dataset

    return _clean_dataset(tmp_path, 110)


@pytest.mark.parametrize("prompt_scores, maintenance, expected", [
    (None, False, "ready"),                                  # data-only audit: both left out, said plainly
    ([0.5, 0.7, 0.705, 0.707, 0.708], False, "ready"),       # converged log joins and passes
    ([0.5, 0.6, 0.7, 0.8, 0.9], False, "not_ready"),          # still improving: fail
    ([0.5, 0.6], False, "insufficient_evidence"),             # too short: unknown
    (None, True, "not_ready"),                                # maintenance section present but incomplete
])
def test_verdict_across_decision_states(tmp_path, prompt_scores, maintenance, expected):
    config = Config(task_type="format")
    config.conditions.skip = {"consistency": "n/a", "coverage": "n/a"}
    if maintenance:
        config.maintenance = MaintenanceConfig(owner="Dana")
    path = None
    if prompt_scores:
        path = tmp_path / "log.csv"
        path.write_text("iteration,prompt_version,score\n" + "".join(f"{i},v{i},{s}\n" for i, s in enumerate(prompt_scores, 1)))
    report = audit(_small_ready_dataset(tmp_path), config, prompt_log=path, embed=False)
    assert report.verdict.status == expected
    judged = {c.id for c in report.verdict.conditions}
    assert ("prompt_ceiling" in judged) == bool(prompt_scores)
    if not prompt_scores:
        assert any(n.id == "prompt_ceiling" and "data-only" in n.reason for n in report.verdict.not_judged)


def test_full_decision_without_evidence_is_insufficient_evidence(tmp_path):
    config = Config(task_type="format")
    config.conditions.skip = {"consistency": "n/a", "coverage": "n/a"}
    config.conditions.full_decision = True
    report = audit(_small_ready_dataset(tmp_path), config, embed=False)
    assert report.verdict.status == "insufficient_evidence" and report.exit_code == 3
    assert {c.id: c.status for c in report.verdict.conditions}["maintenance"] == "unknown"


def test_sample_full_decision(tmp_path, cache_dir):
    config = load_config(SAMPLE / "decision.toml")
    assert config.maintenance is not None and config.conditions.full_decision
    out = tmp_path / "out"
    code = main(["audit", str(SAMPLE / "support_tickets.jsonl"), "--production", str(SAMPLE / "production.jsonl"),
                 "--prompt-log", str(SAMPLE / "prompt_log.csv"), "--config", str(SAMPLE / "decision.toml"),
                 "--out", str(out), "--format", "json,md", "--cache-dir", str(cache_dir)])
    report = json.loads((out / "report.json").read_text())
    statuses = {c["id"]: c["status"] for c in report["verdict"]["conditions"]}
    assert code == 1 and statuses["prompt_ceiling"] == "pass" and statuses["maintenance"] == "pass"
    economics = report["checks"]["economics"]
    assert economics["quality_gap"]["share_of_target"] == pytest.approx(0.812 / 0.9, abs=1e-4)
    assert economics["cost"]["break_even_month"] == 1
    assert "Sufficient conditions" in (out / "report.md").read_text()


def test_a_loss_target_is_reached_by_going_below_it():
    config = EconomicsConfig()
    loss = quality_gap(0.44, 0.3, config, higher_is_better=False)  # read as "147% of the target, near it"
    assert loss.share_of_target == pytest.approx(0.3 / 0.44, abs=1e-4) and loss.assessment == "sizeable_gap"
    assert quality_gap(0.28, 0.3, config, higher_is_better=False).assessment == "near_target"


@pytest.mark.parametrize("rows, message", [
    ("iteration,score\n1,0.5\n2,inf\n3,0.6\n", "line 2: field 'score' is not a finite number"),
    ("iteration,score\nit1,0.5\nit2,0.6\n", "line 1: field 'iteration' is not a number"),
])
def test_prompt_log_scores_must_be_finite_and_iterations_numbers(tmp_path, rows, message):
    from dataaudit.errors import InputError

    path = tmp_path / "log.csv"
    path.write_text(rows)
    with pytest.raises(InputError, match=message):
        read_prompt_log(path, PromptLogConfig())


def test_prompt_log_iterations_sort_as_numbers_and_jsonl_lines_count_from_one(tmp_path):
    scores = [0.5, 0.51, 0.515, 0.517, 0.518, 0.519, 0.52, 0.521, 0.522, 0.9]  # the tenth iteration jumps
    path = tmp_path / "log.csv"
    path.write_text("iteration,score\n" + "".join(f"{i},{s}\n" for i, s in enumerate(scores, 1)))
    result = measure_prompt_log(read_prompt_log(path, PromptLogConfig()), str(path), PromptLogConfig())
    assert result.status == "improving"  # as text, 10 sorted before 2 and the jump read as a plateau
    bad = tmp_path / "log.jsonl"
    bad.write_text(json.dumps({"iteration": 1, "score": "high"}) + "\n")
    from dataaudit.errors import InputError

    with pytest.raises(InputError, match="line 1: field 'score'"):
        read_prompt_log(bad, PromptLogConfig())
