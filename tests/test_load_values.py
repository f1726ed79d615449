"""Labels, ids and annotator names as Parquet and Arrow columns hold them: one spelling per value."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from dataaudit.config import Config
from dataaudit.load.dataset import load_dataset
from dataaudit.load.values import Invalid, label_text, scalar_value


@pytest.mark.parametrize("value, label", [
    (Decimal("3"), "3"), (Decimal("3.00"), "3"), (Decimal("1.50"), "1.5"), (Decimal("-0.50"), "-0.5"),
    (Decimal("1E+3"), "1000"), (Decimal("12345678901234567890.12"), "12345678901234567890.12"),
    (datetime.date(2020, 1, 2), "2020-01-02"), (datetime.datetime(2020, 1, 2, 3, 4, 5), "2020-01-02T03:04:05"),
])
def test_a_decimal_is_the_label_its_number_is_and_a_date_its_iso_text(value, label):
    assert label_text(value, "label") == label


def test_a_decimal_labels_spelling_is_the_one_its_int_or_float_has():
    assert [label_text(Decimal(text), "label") for text in ("3", "1.50", "2.0")] == [
        label_text(number, "label") for number in (3, 1.5, 2.0)]


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("sNaN"), Decimal("Infinity")])
def test_a_non_finite_decimal_is_no_value(value):
    with pytest.raises(Invalid, match="not a value"):
        scalar_value(value, "label")


def test_a_parquet_decimal_or_date32_label_column_is_read_as_labels(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    texts = ["refund please", "where is it", "cancel my order"]
    pq.write_table(pa.table({"text": texts, "label": pa.array([Decimal("1.10"), Decimal("2.00"), Decimal("1.1")],
                                                                pa.decimal128(5, 2))}), tmp_path / "dec.parquet")
    pq.write_table(pa.table({"text": texts, "label": pa.array([datetime.date(2020, 1, 1), datetime.date(2020, 1, 2),
                                                                datetime.date(2020, 1, 1)], pa.date32())}), tmp_path / "day.parquet")
    decimals = load_dataset(str(tmp_path / "dec.parquet"), Config(task_type="classification"))
    dates = load_dataset(str(tmp_path / "day.parquet"), Config(task_type="classification"))
    assert decimals.errors == [] and [r.label for r in decimals.records] == ["1.1", "2", "1.1"]
    assert dates.errors == [] and [r.label for r in dates.records] == ["2020-01-01", "2020-01-02", "2020-01-01"]


def test_a_boolean_label_exported_to_csv_and_to_jsonl_is_one_label(tmp_path):
    (tmp_path / "a.jsonl").write_text('{"text": "a", "label": true}\n{"text": "b", "label": false}\n')
    (tmp_path / "b.csv").write_text("text,label\nc,True\nd,FALSE\ne, True \nf,tRue\n")
    ds = load_dataset([tmp_path / "a.jsonl", tmp_path / "b.csv"], Config())
    assert [r.label for r in ds.records] == ["true", "false", "true", "false", "true", "tRue"]
    assert [r.written_label for r in ds.records] == [None, None, "True", "FALSE", " True ", None]


@pytest.mark.parametrize("spelling", ["null", "NULL", "Null", " null "])
def test_a_label_spelt_null_is_a_missing_value_as_nan_is(spelling):
    with pytest.raises(Invalid, match=r"^is '(null|NULL|Null)', a missing value written as text \(as JSON and SQL clients write null\), not a label$"):
        label_text(spelling, "label")


def test_a_label_none_stays_a_class_as_the_luis_none_intent_is():
    assert [label_text(spelling, "label") for spelling in ("None", "none", "nullable")] == ["None", "none", "nullable"]
