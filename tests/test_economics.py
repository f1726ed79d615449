"""The cost model's sentence is decided by the economics check and travels with its result."""

from __future__ import annotations

import json

import pytest

from dataaudit.api import audit
from dataaudit.checks.base import AuditContext
from dataaudit.checks.economics import CHECK, cost_model
from dataaudit.checks.tokens import resolve_target
from dataaudit.config import Config, EconomicsConfig, config_from_dict
from dataaudit.errors import ConfigError
from dataaudit.load.dataset import load_dataset
from dataaudit.render.json_report import render_json
from tests.conftest import write_jsonl

PRICES = dict(prompted_input_price_per_1k=0.0025, prompted_output_price_per_1k=0.01,
              finetuned_input_price_per_1k=0.0003, finetuned_output_price_per_1k=0.0012)


def test_a_low_volume_is_said_cheaper_to_prompt_or_still_paying_by_the_payoff_volume_the_check_computed():
    # per call saving (330 x 0.0025 + 2 x 0.01 - 40 x 0.0003 - 2 x 0.0012) / 1000 = 0.0008306; 1,000 of training
    # pays back within 12 months above 1000 / (12 x 0.0008306) = 100,329 calls/month: above LOW_VOLUME's 100,000
    below = cost_model(20, 2, 0, EconomicsConfig(monthly_calls=50_000, training_cost=1000.0, **PRICES))
    assert (below.volume_band, below.break_even_month, round(below.payoff_volume)) == ("low_volume", 25, 100_329)
    assert below.message == ("At 50,000 calls/month prompting is cheaper over 12 months: training pays back only in month 25 "
                             "(within 12 months above 100,329 calls/month).")
    paying = cost_model(20, 2, 0, EconomicsConfig(monthly_calls=50_000, training_cost=100.0, **PRICES))
    assert paying.payoff_volume < 50_000
    assert paying.message == "At 50,000 calls/month, a low volume, fine-tuning still saves 41.53 a month and breaks even in month 3."


def test_the_other_bands_are_worded_from_the_figures():
    high = cost_model(20, 2, 0, EconomicsConfig(monthly_calls=2_000_000, training_cost=4000.0, **PRICES))
    assert high.message == ("At 2,000,000 calls/month fine-tuning saves 1,661.20 a month and breaks even in month 3; "
                            "it pays back within 12 months above 401,316 calls/month.")
    middle = cost_model(20, 2, 0, EconomicsConfig(monthly_calls=500_000, training_cost=4000.0, **PRICES))
    assert middle.message == "Fine-tuning breaks even in month 10; it pays back within 12 months above 401,316 calls/month."
    never = cost_model(20, 2, 0, EconomicsConfig(monthly_calls=500_000, training_cost=1.0, prompted_input_price_per_1k=0.0001,
                                                 prompted_output_price_per_1k=0.0001, finetuned_input_price_per_1k=0.01,
                                                 finetuned_output_price_per_1k=0.01))
    assert never.message.startswith("Fine-tuning never pays off")


def test_the_api_result_and_report_json_carry_the_same_cost_message(tmp_path):
    rows = [{"text": f"where is my parcel number {i}", "label": "ab"[i % 2]} for i in range(30)]
    config = config_from_dict({"economics": {"monthly_calls": 2_000_000, "training_cost": 4000.0, **PRICES}})
    report = audit(write_jsonl(tmp_path / "d.jsonl", rows), config, embed=False)
    message = report.to_dict()["checks"]["economics"]["cost"]["message"]
    assert message == report.checks["economics"].cost.message and message.startswith("At 2,000,000 calls/month fine-tuning saves ")
    assert json.loads(render_json(report))["checks"]["economics"]["cost"]["message"] == message


def test_without_prices_there_is_no_cost_and_no_message(tmp_path):
    rows = [{"text": f"where is my parcel number {i}", "label": "ab"[i % 2]} for i in range(30)]
    report = audit(write_jsonl(tmp_path / "d.jsonl", rows), Config(), embed=False)
    assert report.to_dict()["checks"]["economics"]["cost"] is None


def _with_target_model(tmp_path, economics: dict, tokens: dict | None = None):
    """The economics result for 10 chat lines priced for gpt-4o-mini, and the tokens check's result it read."""
    from dataaudit.checks import tokens as tokens_check
    from dataaudit.index import build_index

    rows = [{"messages": [{"role": "user", "content": f"where is my parcel number {i}"},
                          {"role": "assistant", "content": "It is on its way."}]} for i in range(10)]
    config = config_from_dict({"task_type": "generation", "economics": {"monthly_calls": 50_000, **PRICES, **economics},
                               "tokens": {"target_model": "gpt-4o-mini", **(tokens or {})}})
    dataset = load_dataset(write_jsonl(tmp_path / "chat.jsonl", rows), config)
    tokens_result = tokens_check.measure(AuditContext(config=config, train=build_index("train", dataset, str.lower)))
    return CHECK.measure(AuditContext(config=config, train=None, results={"tokens": tokens_result})), tokens_result


def test_epochs_given_in_economics_are_the_tokens_checks_epochs_too_with_a_target_model(tmp_path):
    """The tokens check billed the trainer's default (10) while the cost model billed economics.epochs (1): one
    report gave two training costs."""
    result, tokens = _with_target_model(tmp_path, {"epochs": 1, "training_price_per_1k": 0.025})
    assert tokens.epochs == 1 and tokens.billed_tokens == tokens.billed_tokens_per_epoch
    assert result.cost.training_cost == round(tokens.billed_tokens_per_epoch * 1 * 0.025 / 1000, 4)


def test_without_any_epochs_the_trainers_default_for_the_file_is_billed(tmp_path):
    result, tokens = _with_target_model(tmp_path, {"training_price_per_1k": 0.025})
    assert tokens.epochs == 10  # the trainer's default for 10 examples: 100 // 10
    assert result.cost.training_cost == round(tokens.billed_tokens_per_epoch * 10 * 0.025 / 1000, 4)


def test_with_the_target_models_table_price_the_cost_model_bills_the_tokens_checks_cost(tmp_path):
    price = resolve_target(config_from_dict({"tokens": {"target_model": "gpt-4o-mini"}}).section("tokens")).price_per_million
    for economics, epochs in (({"epochs": 1}, 1), ({}, 10)):
        result, tokens = _with_target_model(tmp_path, economics)
        assert tokens.epochs == epochs
        assert tokens.estimated_cost_usd == round(tokens.billed_tokens_per_epoch * epochs * price / 1_000_000, 4)
        assert result.cost.training_cost == tokens.estimated_cost_usd


def test_tokens_epochs_win_over_an_equal_economics_epochs_and_a_disagreement_is_refused_by_the_config(tmp_path):
    agreed, tokens = _with_target_model(tmp_path, {"epochs": 2, "training_price_per_1k": 0.025}, {"epochs": 2})
    assert tokens.epochs == 2 and agreed.cost.training_cost == round(tokens.billed_tokens_per_epoch * 2 * 0.025 / 1000, 4)
    only_tokens, tokens = _with_target_model(tmp_path, {"training_price_per_1k": 0.025}, {"epochs": 4})
    assert tokens.epochs == 4 and only_tokens.cost.training_cost == round(tokens.billed_tokens_per_epoch * 4 * 0.025 / 1000, 4)
    # refused while the config is read, before any check runs (it was raised by the economics check, after all ran)
    with pytest.raises(ConfigError, match=r"^run\.toml: economics\.epochs \(1\) and tokens\.epochs \(2\) disagree"):
        config_from_dict({"economics": {"epochs": 1}, "tokens": {"target_model": "gpt-4o-mini", "epochs": 2}}, source="run.toml")


def test_a_deliberate_three_epochs_in_economics_is_billed_not_read_as_unset(tmp_path):
    """economics.epochs defaulted to 3, so a 3 the user wrote read as not given and the trainer's 10 was billed."""
    result, tokens = _with_target_model(tmp_path, {"epochs": 3, "training_price_per_1k": 0.025})
    assert tokens.epochs == 3 and result.cost.training_cost == round(tokens.billed_tokens_per_epoch * 3 * 0.025 / 1000, 4)


def test_one_report_gives_one_training_cost_with_economics_epochs_and_a_target_model(tmp_path):
    rows = [{"messages": [{"role": "user", "content": f"where is my parcel number {i}"},
                          {"role": "assistant", "content": "It is on its way."}]} for i in range(40)]
    config = config_from_dict({"task_type": "generation", "economics": {"monthly_calls": 50_000, "epochs": 1, **PRICES},
                               "tokens": {"target_model": "gpt-4o-mini"}})
    report = audit(write_jsonl(tmp_path / "chat.jsonl", rows), config, embed=False).to_dict()["checks"]
    assert report["tokens"]["epochs"] == 1
    assert report["economics"]["cost"]["training_cost"] == report["tokens"]["estimated_cost_usd"] > 0


def test_without_a_target_model_an_unset_epochs_bills_three():
    from dataaudit.checks.economics import measure_economics
    from dataaudit.config import EconomicsConfig

    config = EconomicsConfig(monthly_calls=1000, training_price_per_1k=0.01, **PRICES)
    result = measure_economics(config, mean_input=50.0, mean_output=5.0, training_tokens=10_000, prompted_score=None,
                               higher_is_better=True)
    assert result.cost.training_cost == round(10_000 * 3 * 0.01 / 1000, 4)


def test_without_a_target_model_tokens_epochs_is_the_epochs_billed(tmp_path):
    """tokens.epochs = 2 alone was billed as 3 without a target model: the tokens check does not run then, and the
    cost model read economics.epochs alone (second review)."""
    rows = [{"text": f"where is my parcel number {i}", "label": "ab"[i % 2]} for i in range(30)]
    config = config_from_dict({"economics": {"monthly_calls": 50_000, "training_price_per_1k": 0.025, **PRICES},
                               "tokens": {"epochs": 2}})
    report = audit(write_jsonl(tmp_path / "d.jsonl", rows), config, embed=False)
    size = report.checks["size"]
    trained = size.input_tokens.total + (size.target_tokens.total if size.target_tokens else 0)
    assert report.checks["economics"].cost.training_cost == round(trained * 2 * 0.025 / 1000, 4)


def test_without_a_target_model_a_trl_or_sharegpt_rows_tools_are_in_the_prompt_it_prices(tmp_path):
    """Economics prices the size check's mean input: a TRL or ShareGPT row's tool definitions were left out of it
    (its source line is not kept), so the same conversation cost 3 prompt words as such a row and 17 as a chat line."""
    from dataaudit.checks.size import measure_size
    from dataaudit.config import SizeConfig
    from dataaudit.tokens import TokenCounter

    words = TokenCounter("words", lambda texts: [len(t.split()) for t in texts])
    tool = {"type": "function", "function": {"name": "takeoff_drone", "description": "Take off now",
                                             "parameters": {"type": "object", "properties": {}}}}
    user, reply = {"role": "user", "content": "take off please"}, {"role": "assistant", "content": "done"}
    shapes = {"chat": {"messages": [user, reply], "tools": [tool]},
              "trl": {"prompt": [user], "completion": [reply], "tools": json.dumps([tool])},
              "sharegpt": {"conversations": [{"from": "human", "value": "take off please"}, {"from": "gpt", "value": "done"}],
                           "tools": json.dumps([tool["function"]])},
              "bare": {"messages": [user, reply]}}
    config = config_from_dict({"task_type": "generation",
                               "economics": {"monthly_calls": 50_000, "training_cost": 10.0, **PRICES}})
    prompts = {}
    for name, row in shapes.items():
        dataset = load_dataset(write_jsonl(tmp_path / f"{name}.jsonl", [row] * 4), config)
        size = measure_size(dataset, words, SizeConfig())
        result = CHECK.measure(AuditContext(config=config, train=None, results={"size": size}))
        prompts[name] = result.cost.finetuned_prompt_tokens - config.economics.finetuned_instruction_tokens
    assert prompts == {"chat": 17.0, "trl": 17.0, "sharegpt": 17.0, "bare": 3.0}
