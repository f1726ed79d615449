"""Label balance: what each count in the result holds."""

from __future__ import annotations

from dataaudit.checks.balance import measure_balance
from dataaudit.config import BalanceConfig
from dataaudit.load.records import Dataset, Record


def _dataset(labels: list[str]) -> Dataset:
    records = [Record("train.jsonl", i + 1, "text_label", f"text {i}", None, label) for i, label in enumerate(labels)]
    return Dataset("t", [], records, [], len(records), 0)


def test_the_smallest_class_is_kept_beside_the_threshold_it_is_compared_with():
    # min_label_count is the configured bound (10), never the smallest class (3): both are in the result
    result = measure_balance(_dataset(["a"] * 12 + ["b"] * 3 + ["c"] * 5), BalanceConfig(min_label_count=10))
    assert (result.min_label_count, result.smallest_label_count) == (10, 3)
    assert result.rare_labels == ["c", "b"] and result.imbalance_ratio == 4.0
    assert result.counts == {"a": 12, "c": 5, "b": 3}
    assert measure_balance(_dataset(["a", "b", "b"]), BalanceConfig(min_label_count=1)).smallest_label_count == 1


def test_a_label_with_exactly_min_label_count_examples_is_not_rare():
    # "2 label(s) under 10 examples": under, so 10 is enough and 9 is not
    result = measure_balance(_dataset(["a"] * 11 + ["b"] * 10 + ["c"] * 9), BalanceConfig(min_label_count=10))
    assert result.rare_labels == ["c"] and result.smallest_label_count == 9


def test_a_huge_label_is_keyed_by_its_excerpt_and_digest_and_two_alike_stay_two():
    import hashlib

    from dataaudit.checks.balance import LABEL_KEY_LIMIT, label_key

    huge, twin = "L" * 5_000_000, "L" * 4_999_999 + "M"  # the same first 5 MB but one letter
    result = measure_balance(_dataset(["a"] * 20 + [huge] + [twin] * 2), BalanceConfig(min_label_count=10))
    digest = hashlib.sha256(huge.encode()).hexdigest()[:12]
    huge_key, twin_key = label_key(huge), label_key(twin)
    assert huge_key == "L" * 97 + f"… [sha256 {digest}]" and len(huge_key) == LABEL_KEY_LIMIT
    assert twin_key != huge_key and twin_key.startswith("L" * 97 + "… [sha256 ")
    assert result.labels == 3 and result.counts == {"a": 20, twin_key: 2, huge_key: 1}
    assert result.rare_labels == [twin_key, huge_key]
    assert list(result.shares) == list(result.counts) and max(map(len, result.counts)) == LABEL_KEY_LIMIT
    # the excerpt is masked as any other: a secret at the head of a long label is not shown
    mailed = label_key("mail bob.smith@example.com " + "x" * 200)
    assert "bob.smith" not in mailed and mailed.endswith("]")
    # a label within the limit is its own key, whole
    assert label_key("x" * LABEL_KEY_LIMIT) == "x" * LABEL_KEY_LIMIT
