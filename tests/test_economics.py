"""The cost model's sentence is decided by the economics check and travels with its result."""

from __future__ import annotations

import json

from dataaudit.api import audit
from dataaudit.checks.economics import cost_model
from dataaudit.config import Config, EconomicsConfig, config_from_dict
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
