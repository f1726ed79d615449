"""The free-text rule and the task type inferred from the training records when the config names none."""

from __future__ import annotations

import json

from dataaudit.api import audit
from dataaudit.cli import main
from dataaudit.config import Config
from dataaudit.load.dataset import load_dataset
from dataaudit.load.targets import PREFERENCE_FORMATS, class_targets, free_text_reason, resolve_task_type, sampled_records, task_type_of
from tests.conftest import chat, shared_dataset, write_jsonl

CATEGORIES = ["shipping", "billing", "returns", "account"]
REPLIES = [f"Thanks for asking about order {i}: it left our warehouse on day {i % 28 + 1} and should arrive within a week."
           for i in range(60)]


def _category_chats(n: int = 60) -> list[dict]:
    return [chat(f"question number {i} about my order", CATEGORIES[i % 4]) for i in range(n)]


def _reply_chats(n: int = 60) -> list[dict]:
    return [chat(f"where is order {i}?", REPLIES[i]) for i in range(n)]


def test_free_text_rule():
    assert free_text_reason(["shipping", "billing"] * 30) is None
    assert free_text_reason(["x" * 81, "y" * 90, "short"]) == "median 81 characters, labels are at most 80"
    distinct = [f"answer {i}" for i in range(20)]
    assert free_text_reason(distinct) == "20 of 20 distinct, labels repeat (at most 50% distinct)"
    # Under 20 the share rules do not apply, but no repeat at all, or one target longer than any label, is a reply.
    assert free_text_reason(distinct[:19]) == "all 19 distinct, labels repeat"
    assert free_text_reason(["billing", "shipping", "billing"]) is None
    assert free_text_reason(["billing", "shipping", "billing", "y" * 81]) == "a target of 81 characters, labels are at most 80"
    assert free_text_reason(["billing"]) is None
    assert free_text_reason([]) is None


def test_the_cookbook_toy_chat_is_generation_though_it_holds_only_4_records():
    records = sampled_records([str(shared_dataset("openai_chat_examples") / "toy_chat_fine_tuning.jsonl")], Config())
    assert [len(r.target) for r in records] == [49, 19, 45, 26000]
    task = task_type_of(records)
    assert (task.name, task.reason) == ("generation", "the first 4 training records' targets are free text "
                                                      "(a target of 26,000 characters, labels are at most 80)")


def test_category_replies_make_a_classification_task(tmp_path):
    path = write_jsonl(tmp_path / "chats.jsonl", _category_chats())
    config, task = resolve_task_type(Config(), [str(path)])
    assert (config.task_type, task.inferred) == ("classification", True)
    assert task.reason == "the first 60 training records' targets are a small set of labels"


def test_free_text_replies_make_a_generation_task(tmp_path):
    path = write_jsonl(tmp_path / "chats.jsonl", _reply_chats())
    config, task = resolve_task_type(Config(), [str(path)])
    assert (config.task_type, task.inferred) == ("generation", True)
    assert task.reason.startswith("the first 60 training records' targets are free text (median ")


def test_text_records_with_labels_and_preference_pairs(tmp_path):
    labelled = write_jsonl(tmp_path / "text.jsonl", [{"text": f"t{i}", "label": "a" if i % 2 else "b"} for i in range(30)])
    assert resolve_task_type(Config(), [str(labelled)])[1].reason == "the training records carry labels, not replies"
    pairs = write_jsonl(tmp_path / "pairs.jsonl", [{"prompt": f"p{i}", "chosen": REPLIES[i], "rejected": "no."} for i in range(30)])
    assert resolve_task_type(Config(), [str(pairs)])[0].task_type == "generation"


def test_a_named_task_type_is_kept(tmp_path):
    path = write_jsonl(tmp_path / "chats.jsonl", _reply_chats())
    config, task = resolve_task_type(Config(task_type="classification"), [str(path)])
    assert (config.task_type, task.inferred, task.reason) == ("classification", False, "")


def test_the_resolved_config_says_whether_its_task_type_was_inferred_or_named(tmp_path):
    # duplicates.label_field reads it: replies are a named classification's classes however varied they are.
    from dataaudit.config import config_from_dict, config_with_overrides
    from dataaudit.load.targets import dataset_task_type

    path = write_jsonl(tmp_path / "chats.jsonl", _category_chats())
    inferred, _ = resolve_task_type(Config(), [str(path)])
    named, _ = resolve_task_type(config_from_dict({"task_type": "classification"}, source="audit.toml"), [str(path)])
    assert (inferred.task_type, inferred.task_type_inferred) == ("classification", True)
    assert (named.task_type, named.task_type_inferred) == ("classification", False)
    loaded, _ = dataset_task_type(Config(), load_dataset(path, Config()))
    assert (loaded.task_type, loaded.task_type_inferred) == ("classification", True)
    # An override after the inference keeps it, unless it names the task type itself; neither reaches to_dict.
    assert config_with_overrides(inferred, {"size.context_limit": 2048}).task_type_inferred is True
    assert config_with_overrides(inferred, {"task_type": "classification"}).task_type_inferred is False
    assert "task_type_inferred" not in inferred.to_dict()


def test_only_the_first_records_are_sampled_across_files_in_order(tmp_path):
    first = write_jsonl(tmp_path / "a.jsonl", ["{bad", *_category_chats(3)])
    second = write_jsonl(tmp_path / "b.jsonl", _reply_chats(5))
    records = sampled_records([str(first), str(second)], Config(), limit=5)
    pairs = sum(r.format in PREFERENCE_FORMATS for r in records)
    assert len(records) == 5 and pairs == 0 and class_targets(records) == ["shipping", "billing", "returns", REPLIES[0], REPLIES[1]]
    assert sampled_records([str(tmp_path / "missing.jsonl")], Config()) == []  # the read proper reports it


def test_an_inferred_generation_task_takes_no_reply_for_a_label(tmp_path):
    path = write_jsonl(tmp_path / "chats.jsonl", _reply_chats(40))
    report = audit(path, Config(), embed=False).to_dict()
    scale = next(c for c in report["verdict"]["conditions"] if c["id"] == "scale")
    assert scale["evidence"]["task_type"] == "generation" and scale["evidence"]["task_type_inferred"] is True
    assert scale["summary"].startswith("40 usable examples for a generation task that needs 1,000 (inferred: the first 40")
    assert report["config"]["task_type"] == "generation"
    assert report["checks"]["balance"] is None  # 40 replies are not 40 classes
    named = audit(path, Config(task_type="classification"), embed=False).to_dict()
    assert named["checks"]["balance"]["labels"] == 40
    assert next(c for c in named["verdict"]["conditions"] if c["id"] == "scale")["evidence"]["task_type_inferred"] is False


def test_a_loaded_dataset_is_inferred_from_its_records(tmp_path):
    loaded = load_dataset(write_jsonl(tmp_path / "chats.jsonl", _reply_chats(30)), Config())
    assert all(r.label == r.target for r in loaded.records)  # loaded before anything was inferred
    report = audit(loaded, Config(), embed=False).to_dict()
    assert report["config"]["task_type"] == "generation" and report["checks"]["balance"] is None


def test_cli_on_the_cookbook_drone_commands(tmp_path, capsys):
    drones = shared_dataset("openai_chat_examples") / "drone_training.jsonl"
    code = main(["audit", str(drones), "--no-embeddings", "--out", str(tmp_path), "--format", "json"])
    assert code == 1
    report = json.loads((tmp_path / "report.json").read_text())
    scale = next(c for c in report["verdict"]["conditions"] if c["id"] == "scale")
    # Tool calls, median 104 characters: a generation task, not 43 classes of JSON
    assert scale["summary"] == ("103 usable examples for a generation task that needs 1,000 (inferred: the first 103 training "
                                "records' targets are free text (median 104 characters, labels are at most 80); name the task "
                                "with task_type or --task-type)")
    assert report["checks"]["balance"] is None


def test_preference_pairs_are_generation_however_often_a_chosen_reply_repeats(tmp_path):
    """A canned chosen reply repeated is still a reply: inferred as labels, two chosen replies to one prompt
    (ordinary DPO data) read as a label conflict and failed hygiene."""
    canned = [{"prompt": f"help me with order {i}", "chosen": "I can help with that.", "rejected": "No."} for i in range(60)]
    canned.append({"prompt": "help me with order 0", "chosen": "Sure thing.", "rejected": "No."})
    path = write_jsonl(tmp_path / "pairs.jsonl", canned)
    config, task = resolve_task_type(Config(), [str(path)])
    assert config.task_type == "generation" and task.reason == "61 of the first 61 training records are preference pairs (chosen / rejected replies)"
    duplicates = audit(path, Config(), embed=False).checks["duplicates"]
    assert duplicates.conflict_count == 0 and duplicates.label_field is None


def test_a_label_field_is_judged_for_conflicts_in_a_generation_task_too(tmp_path):
    rows = [{**chat(f"where is order {i}?", REPLIES[i]), "label": CATEGORIES[i % 4]} for i in range(40)]
    rows.append({**chat("where is order 0?", REPLIES[0]), "label": "account"})  # line 41 copies line 1, another label
    report = audit(write_jsonl(tmp_path / "chats.jsonl", rows), Config(), embed=False)
    assert report.config["task_type"] == "generation"
    duplicates = report.checks["duplicates"]
    assert duplicates.label_field == "label" and duplicates.conflict_count == 1 and duplicates.conflicts[0].lines == [1, 41]


def test_one_canned_reply_in_most_rows_does_not_make_the_other_replies_labels(tmp_path):
    canned = "I'm sorry, I can't help with that."
    values = [canned] * 55 + REPLIES[:45]
    assert free_text_reason(values) == "apart from one target given 55 times (55%), median 98 characters, labels are at most 80"
    short = [canned] * 55 + [f"answer {i}" for i in range(45)]
    assert free_text_reason(short) == "apart from one target given 55 times (55%), 45 of the other 45 occur once, labels repeat"
    # a majority class with the others repeating is still a set of labels, however unbalanced
    assert free_text_reason(["negative"] * 80 + ["positive"] * 15 + ["neutral"] * 5) is None
    assert free_text_reason(["other"] * 60 + [f"intent_{i % 15}" for i in range(40)]) is None
    path = write_jsonl(tmp_path / "chats.jsonl", [chat(f"request {i}", canned) for i in range(55)]
                       + [chat(f"where is order {i}?", REPLIES[i]) for i in range(45)])
    config, task = resolve_task_type(Config(), [str(path)])
    assert config.task_type == "generation" and "apart from one target given 55 times" in task.reason


def test_an_inferred_task_type_is_not_said_set_by_an_override(tmp_path):
    # where_set named "override 'task_type'" for a task type nobody set: the inferred value was recorded as one.
    from dataaudit.config import config_with_overrides, where_set

    path = write_jsonl(tmp_path / "chats.jsonl", _reply_chats())
    given = config_with_overrides(Config(source="audit.toml"), {"size.context_limit": 2048}, names={"size.context_limit": "--context-limit"})
    config, task = resolve_task_type(given, [str(path)])
    assert (config.task_type, task.inferred) == ("generation", True)
    assert config.set_by == {"size.context_limit": "--context-limit"} and config.source == "audit.toml"
    assert where_set(config, "task_type: no threshold for it") == "audit.toml: task_type: no threshold for it"
    assert given.task_type == "" and given.set_by == {"size.context_limit": "--context-limit"}


def test_kto_records_are_named_unpaired_not_chosen_rejected_pairs(tmp_path):
    kto = [{"prompt": f"help me with order {i}", "completion": f"Order {i} ships today.", "label": i % 2 == 0} for i in range(31)]
    config, task = resolve_task_type(Config(), [str(write_jsonl(tmp_path / "kto.jsonl", kto))])
    assert config.task_type == "generation" and task.reason == ("31 of the first 31 training records are unpaired preference "
                                                                "records (prompt / completion / desirable label)")
    pairs = [{"prompt": f"help me with order {i}", "chosen": f"Order {i} ships today.", "rejected": "No."} for i in range(9)]
    _, task = resolve_task_type(Config(), [str(write_jsonl(tmp_path / "mixed.jsonl", pairs + kto))])
    assert task.reason == ("40 of the first 40 training records are preference records: 9 pairs (chosen / rejected replies) "
                           "and 31 unpaired (prompt / completion / desirable label)")
