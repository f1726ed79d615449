"""Coverage with the real default model: planted topic gaps are named as uncovered scenarios."""

from __future__ import annotations

import json

import numpy as np

from dataaudit.api import audit
from dataaudit.config import Config
from dataaudit.checks.coverage import covered_by_neighbourhood
from tests.conftest import shared_dataset, write_jsonl

WEATHER = ["What's the weather like today?", "Will it rain tomorrow in Berlin?", "How hot will it be this afternoon?",
           "Is there snow in the forecast for the weekend?", "Do I need an umbrella today?", "What's the temperature outside right now?",
           "Is it going to be windy tonight?", "When will the storm arrive?", "How cold is it in Oslo this morning?",
           "Give me the weekly forecast", "Will the sun come out later?", "Is there a heat warning today?"]
MUSIC = ["Play some jazz", "Skip this song", "Turn the music up", "Play my workout playlist", "Who sings this track?",
         "Put on something relaxing", "Pause the music", "Play the latest album by Adele", "Shuffle my liked songs",
         "Add this song to my favourites", "Play classical music for studying", "Repeat this track"]
COOKING = ["How long do I boil an egg?", "Give me a recipe for pancakes", "What can I cook with chicken and rice?",
           "How do I make tomato sauce from scratch?", "What temperature should I bake bread at?", "Substitute for butter in cookies",
           "How do I know when pasta is done?", "Suggest a vegetarian dinner", "How much salt goes in risotto?",
           "What's a quick lunch idea?", "How do I caramelise onions?", "Recipe for a chocolate cake"]
PROD_IN = ["Is it raining in Paris now?", "What's the forecast for Friday?", "Will it be sunny on Sunday?", "Play some rock music",
           "Next song please", "Play something by Queen", "How do I make an omelette?", "Recipe for lasagna",
           "How long should I roast potatoes?", "Turn the volume down", "Is it foggy this morning?", "What should I cook tonight?"]
PROD_FLIGHTS = ["Book me a flight to Madrid next Tuesday", "How much is a plane ticket to New York?", "Can I change my flight to an earlier one?",
                "What's my baggage allowance on this airline?", "Check me in for my flight tomorrow", "Is my flight to Rome delayed?",
                "Find a cheap flight to Lisbon in May", "I need to cancel my plane booking", "What terminal does my flight leave from?",
                "Upgrade my flight seat to business class"]


def train_file(tmp_path):
    rows = [{"text": t, "label": label} for label, texts in (("weather", WEATHER), ("music", MUSIC), ("cooking", COOKING)) for t in texts]
    return write_jsonl(tmp_path / "train.jsonl", rows)


def skip_other_conditions(config: Config) -> Config:
    config.conditions.skip = {"consistency": "single-annotator fixture", "scale": "small fixture"}
    return config


def test_topic_absent_from_training_is_an_uncovered_scenario_with_examples(tmp_path, embedder):
    prod = write_jsonl(tmp_path / "prod.jsonl", [{"text": t} for t in PROD_IN + PROD_FLIGHTS])
    report = audit(train_file(tmp_path), skip_other_conditions(Config()), production=prod, embedder=embedder)
    coverage = report.checks["coverage"]
    assert coverage.production_inputs == 22
    assert coverage.uncovered, "the flight topic must be reported"
    flights = set(PROD_FLIGHTS)
    examples = [e for s in coverage.uncovered for e in s.examples]
    assert examples and all(e in flights for e in examples)
    assert sum(s.share for s in coverage.uncovered) >= 8 / 22
    top = coverage.uncovered[0]
    assert top.covered_share == 0.0 and all(e.nearest_training for e in top.uncovered_examples)
    assert "flight" in top.label
    condition = next(c for c in report.verdict.conditions if c.id == "coverage")
    assert condition.status == "fail" and "flight" in condition.summary


def test_production_drawn_from_training_topics_is_covered(tmp_path, embedder):
    prod = write_jsonl(tmp_path / "prod.jsonl", [{"text": t} for t in PROD_IN])
    report = audit(train_file(tmp_path), skip_other_conditions(Config()), production=prod, embedder=embedder)
    coverage = report.checks["coverage"]
    assert coverage.covered_share >= 0.9 and not coverage.uncovered


def test_neighbourhood_rule_on_synthetic_clusters():
    rng = np.random.default_rng(0)
    centres = np.eye(8, 16)
    train = np.vstack([c + 0.05 * rng.standard_normal((30, 16)) for c in centres[:6]])
    prod = np.vstack([c + 0.05 * rng.standard_normal((10, 16)) for c in centres])
    train /= np.linalg.norm(train, axis=1, keepdims=True)
    prod /= np.linalg.norm(prod, axis=1, keepdims=True)
    covered = covered_by_neighbourhood(train.astype(np.float32), prod.astype(np.float32), k=10, min_share_ratio=0.5)
    assert covered[:60].all() and not covered[60:].any()


def test_clinc150_held_out_domains_are_uncovered(tmp_path, embedder):
    folder = shared_dataset("clinc150")
    data = json.loads((folder / "data_full.json").read_text())
    domains = json.loads((folder / "domains.json").read_text())
    held_out = {"travel", "kitchen_and_dining"}
    held_intents = {i for d in held_out for i in domains[d]}
    per_intent: dict[str, int] = {}
    train_rows = []
    for text, intent in data["train"]:
        if intent not in held_intents and per_intent.get(intent, 0) < 30:
            per_intent[intent] = per_intent.get(intent, 0) + 1
            train_rows.append({"text": text, "label": intent})
    seen: dict[str, int] = {}
    prod_rows = []
    for text, intent in data["test"]:
        if seen.get(intent, 0) < 10:
            seen[intent] = seen.get(intent, 0) + 1
            prod_rows.append({"text": text, "intent": intent})
    train = write_jsonl(tmp_path / "train.jsonl", train_rows)
    prod = write_jsonl(tmp_path / "prod.jsonl", prod_rows)
    report = audit(train, skip_other_conditions(Config()), production=prod, embedder=embedder)
    coverage = report.checks["coverage"]
    in_domain = len([r for r in prod_rows if r["intent"] not in held_intents])
    assert len(prod_rows) == 1500 and in_domain == 1200
    # Held-out domains are 20% of production; the rest should be covered.
    assert 0.74 <= coverage.covered_share <= 0.87
    uncovered_share = sum(s.share for s in coverage.uncovered)
    assert uncovered_share >= 0.12
    by_text = {r["text"]: r["intent"] for r in prod_rows}
    examples = [e for s in coverage.uncovered for e in s.examples]
    assert sum(by_text.get(e) in held_intents for e in examples) / len(examples) >= 0.8
    assert coverage.domain_auc > 0.55
