"""The per-file label shares are keyed as balance keys labels: a long label is one key in every place."""

from __future__ import annotations

import json

from dataaudit.api import audit
from dataaudit.checks.balance import LABEL_KEY_LIMIT, label_key
from dataaudit.config import Config

LONG_LABELS = ("A" * 200 + " long label one", "B" * 200 + " long label two")


def _batch_file(path, count: int = 100):
    path.write_text("".join(json.dumps({"text": f"{path.name} sample {i} about topic {i}", "label": LONG_LABELS[i % 2]}) + "\n"
                            for i in range(count)))
    return path


def test_a_long_label_is_keyed_in_per_file_as_in_balance(tmp_path):
    report = audit([_batch_file(tmp_path / "a.jsonl"), _batch_file(tmp_path / "b.jsonl")], Config(), embed=False).to_dict()
    keys = sorted(label_key(label) for label in LONG_LABELS)
    assert sorted(report["checks"]["balance"]["shares"]) == keys
    for entry in report["per_file"]:
        assert entry["label_shares"] == {keys[0]: 0.5, keys[1]: 0.5}
    assert all(len(key) <= LABEL_KEY_LIMIT for key in keys) and "long label one" not in json.dumps(report["per_file"])


def test_a_new_file_with_the_same_long_labels_mix_is_no_regression(tmp_path):
    """a.jsonl, then a.jsonl and b.jsonl with the same two 215-character labels 50/50: the new file's mix is the
    last run's, so the gate passes (it raised four regressions when per_file kept the labels whole)."""
    history = tmp_path / "h.db"
    first, second = _batch_file(tmp_path / "a.jsonl"), _batch_file(tmp_path / "b.jsonl")
    config = Config()
    config.dataset_name = "long-labels"
    audit([first], config, embed=False, history=history, fail_on_regression=True)
    again = audit([first, second], config, embed=False, history=history, fail_on_regression=True)
    assert again.compared_with is not None and again.regressions == []
