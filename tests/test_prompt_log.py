"""The prompt log names a bad row as the training loader names a row: a CSV's data row, a JSONL's line."""

from __future__ import annotations

import gzip
import json

import pytest

from dataaudit.checks.base import Status
from dataaudit.checks.prompt_log import measure_prompt_log, prompt_ceiling_condition
from dataaudit.config import Config, PromptLogConfig
from dataaudit.errors import InputError
from dataaudit.checks.prompt_log import read_prompt_log
from dataaudit.load import load_dataset


def test_a_bad_csv_row_is_named_by_its_data_row_as_the_training_loader_names_it(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("iteration,score,text,label\n1,0.5,first,a\n2,abc,,b\n3,0.6,third,c\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"log.csv: line 2: field 'score' is not a finite number$"):
        read_prompt_log(path, PromptLogConfig())
    as_data = load_dataset(path, Config())
    assert [(e.line, e.field) for e in as_data.errors] == [(2, "text")]  # the same row, the same number


def test_a_bad_iteration_is_named_by_its_data_row_and_a_jsonl_line_by_its_line(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("iteration,score\n1,0.5\nit2,0.6\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"line 2: field 'iteration' is not a number"):
        read_prompt_log(path, PromptLogConfig())
    jsonl = tmp_path / "log.jsonl"
    jsonl.write_text("".join(json.dumps({"iteration": i, "score": s}) + "\n" for i, s in [(1, 0.5), (2, 0.6), (3, "high")]))
    with pytest.raises(InputError, match=r"line 3: field 'score'"):
        read_prompt_log(jsonl, PromptLogConfig())


def _log(tmp_path, scores):
    path = tmp_path / "log.csv"
    path.write_text("iteration,score\n" + "".join(f"{i},{s!r}\n" for i, s in enumerate(scores, 1)), encoding="utf-8")
    config = PromptLogConfig()
    return measure_prompt_log(read_prompt_log(path, config), str(path), config)


def test_an_improvement_just_under_epsilon_is_a_plateau_whatever_its_rounding(tmp_path):
    # best rose 0.8 -> 0.8099996 over the window: 0.0099996, which round(..., 6) made 0.01, not under epsilon 0.01
    result = _log(tmp_path, [0.5, 0.7, 0.8, 0.805, 0.807, 0.8099996])
    assert result.window == 3 and result.epsilon == 0.01
    assert result.status == "converged" and result.recent_improvement == 0.01
    assert result.recent_improvement_unrounded == pytest.approx(0.0099996, abs=1e-12)
    finding = prompt_ceiling_condition(result)
    assert finding.status is Status.PASS and "(best improved by 0.0099996 over the last 3 iterations, under 0.010)" in finding.summary
    assert finding.evidence["recent_improvement_unrounded"] == result.recent_improvement_unrounded


@pytest.mark.parametrize("before, after", [(0.70, 0.71), (0.69, 0.70), (0.3, 0.31)])
def test_an_improvement_of_epsilon_up_to_float_noise_is_still_improving(tmp_path, before, after):
    # 0.70 - 0.69 is 0.009999999999999898 as floats: a rise of exactly 0.01, so not under epsilon
    result = _log(tmp_path, [0.1, before, before, before, after])
    assert result.status == "improving"
    finding = prompt_ceiling_condition(result)
    assert finding.status is Status.FAIL and "best rose by 0.010 over the last 3 iterations" in finding.summary


@pytest.mark.parametrize("name, body, said", [
    ("log.jsonl", '{"iteration": 1, "score": 0.5}\n{"iteration": 2, "score": 0.6}\nnot json\n',
     "line 3: invalid JSON: Expecting value at column 1; fix or remove that row of the prompt log"),
    ("log.jsonl", '{"iteration": 1, "score": 0.5}\n[1, 2]\n',
     'line 2: is a JSON array, not an object; write one iteration per line, as {"iteration": 1, "score": 0.71}'),
    ("log.jsonl", '{"iteration": 1, "score": NaN}\n',
     "line 1: field 'score': NaN is not valid JSON (a number was written as NaN); write a value or null"),
    ("log.csv", "iteration,prompt_version,score\n1,v1,0.5\n2,v2,0.6,extra\n3,v3,0.7\n",
     "line 2: row has 4 fields but the header has 3; fix or remove that row of the prompt log"),
])
def test_a_row_the_reader_cannot_read_is_named_by_line_and_field_with_its_fix(tmp_path, name, body, said):
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_prompt_log(path, PromptLogConfig())
    assert str(caught.value) == f"{path}: {said}"


def test_a_jsonl_line_is_counted_past_blank_lines(tmp_path):
    path = tmp_path / "log.jsonl"
    path.write_text('{"iteration": 1, "score": 0.5}\n\n{"iteration": 2, "score": "high"}\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"log.jsonl: line 3: field 'score' is not a finite number$"):
        read_prompt_log(path, PromptLogConfig())


def test_a_good_jsonl_log_is_read_in_iteration_order(tmp_path):
    path = tmp_path / "log.jsonl"
    path.write_text("".join(json.dumps({"iteration": i, "prompt_version": f"v{i}", "score": s}) + "\n"
                            for i, s in [(2, 0.6), (10, 0.7), (1, 0.5)]), encoding="utf-8")
    config = PromptLogConfig()
    result = measure_prompt_log(read_prompt_log(path, config), str(path), config)
    assert (result.scores, result.versions, result.best_version) == ([0.5, 0.6, 0.7], ["v1", "v2", "v10"], "v10")


def _versions_in_order(path):
    config = PromptLogConfig()
    return measure_prompt_log(read_prompt_log(path, config), str(path), config).versions


@pytest.mark.parametrize("stamps", [
    ["2024-01-02 9:00:00", "2024-01-02 10:00:00", "2024-01-02 11:00:00"],  # as text, 10 and 11 sort before 9
    ["Jan 9 2024", "Jan 10 2024", "Feb 1 2024"],  # as text, Feb before Jan 10 before Jan 9
    ["2024-01-02T08:00:00+02:00", "2024-01-02T09:30:00+00:00", "2024-01-02T11:00:00+02:00"],  # 06:00, 09:30, 09:00 UTC
])
@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_timestamps_order_the_log_as_times_not_as_text(tmp_path, stamps, suffix):
    path = tmp_path / f"log{suffix}"
    rows = list(zip(stamps, ["v1", "v2", "v3"], [0.5, 0.6, 0.7]))
    if suffix == ".jsonl":
        path.write_text("".join(json.dumps({"timestamp": t, "prompt_version": v, "score": s}) + "\n" for t, v, s in rows))
    else:
        path.write_text("timestamp,prompt_version,score\n" + "".join(f'"{t}",{v},{s}\n' for t, v, s in rows))
    expected = ["v1", "v3", "v2"] if stamps[0].endswith("+02:00") else ["v1", "v2", "v3"]
    assert _versions_in_order(path) == expected


@pytest.mark.parametrize("suffix, body", [
    (".jsonl", "".join(json.dumps({"timestamp": t, "prompt_version": v, "score": 0.5}) + "\n" for t, v in [(1704186000, "v1"), (99, "v0")])),
    (".csv", "timestamp,prompt_version,score\n1704186000,v1,0.5\n99,v0,0.5\n"),
])
def test_numeric_timestamps_order_as_numbers(tmp_path, suffix, body):
    path = tmp_path / f"log{suffix}"
    path.write_text(body)
    assert _versions_in_order(path) == ["v0", "v1"]


@pytest.mark.parametrize("suffix, body", [
    (".jsonl", '{"timestamp": "2024-01-02", "score": 0.5}\n\n{"timestamp": "soon", "score": 0.6}\n'),
    (".csv", "timestamp,score\n2024-01-02,0.5\nsoon,0.6\n"),
])
def test_a_timestamp_that_is_not_a_time_is_named_by_its_line(tmp_path, suffix, body):
    path = tmp_path / f"log{suffix}"
    path.write_text(body)
    line = 3 if suffix == ".jsonl" else 2
    with pytest.raises(InputError, match=rf"log{suffix}: line {line}: field 'timestamp' is not a date and time"):
        read_prompt_log(path, PromptLogConfig())


def test_a_compressed_jsonl_log_is_read_as_jsonl(tmp_path):
    path = tmp_path / "log.jsonl.gz"
    path.write_bytes(gzip.compress(b'{"iteration": 2, "prompt_version": "v2", "score": 0.6}\n'
                                   b'{"iteration": 1, "prompt_version": "v1", "score": 0.5}\n'))
    assert _versions_in_order(path) == ["v1", "v2"]
    path.write_bytes(gzip.compress(b'{"iteration": 1, "score": 0.5}\n\n{"iteration": 2, "score": "high"}\n'))
    with pytest.raises(InputError, match=r"log.jsonl.gz: line 3: field 'score' is not a finite number$"):
        read_prompt_log(path, PromptLogConfig())


def test_a_semicolon_csv_log_is_read_by_its_own_delimiter(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("iteration;prompt_version;score\n10;v10;0.7\n2;v2;0.6\n1;v1;0.5\n")
    assert _versions_in_order(path) == ["v1", "v2", "v10"]
    path.write_text("iteration;prompt_version;score\n1;v1;0.5\n\n2;v2;high\n")
    with pytest.raises(InputError, match=r"log.csv: line 2: field 'score' is not a finite number$"):
        read_prompt_log(path, PromptLogConfig())


def test_a_short_csv_row_keeps_its_own_line_number(tmp_path):
    # a row one field short is read (its missing column left empty) by the loader; the numbers must stay its
    path = tmp_path / "log.csv"
    path.write_text("iteration,prompt_version,score,notes\n1,v1,0.5,ok\n2,v2,0.6\n3,v3,,\n")
    with pytest.raises(InputError, match=r"log.csv: line 3: field 'score' is not a finite number$"):
        read_prompt_log(path, PromptLogConfig())


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_day_first_dates_are_read_in_one_format_for_the_whole_column(tmp_path, suffix):
    """'13/01/2024' can only be day/month: so is '01/02/2024' beside it (1 February), not 2 January as read one
    stamp at a time."""
    rows = [("01/02/2024", "v-feb", 0.5), ("13/01/2024", "v-jan13", 0.6), ("20/01/2024", "v-jan20", 0.7)]
    path = tmp_path / f"log{suffix}"
    if suffix == ".jsonl":
        path.write_text("".join(json.dumps({"timestamp": t, "prompt_version": v, "score": s}) + "\n" for t, v, s in rows))
    else:
        path.write_text("timestamp,prompt_version,score\n" + "".join(f"{t},{v},{s}\n" for t, v, s in rows))
    assert _versions_in_order(path) == ["v-jan13", "v-jan20", "v-feb"]


def test_dates_that_read_as_month_first_and_day_first_alike_are_refused_where_the_two_orders_differ(tmp_path):
    # 2 January before 1 March, or 1 February after 3 January: which row came first is unknown
    path = tmp_path / "log.csv"
    path.write_text("timestamp,score\n01/02/2024,0.5\n03/01/2024,0.6\n")
    with pytest.raises(InputError, match=r"log\.csv: line 1: field 'timestamp' reads as month/day and as day/month"):
        read_prompt_log(path, PromptLogConfig())


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_dates_read_either_way_alike_order_the_log_where_both_readings_give_one_order(tmp_path, suffix):
    """3 April or 4 March, 1 February or 2 January: either way the second row is the earlier, so the order is
    known though the dates are not (it stopped the audit, comparing the dates rather than their order)."""
    rows = [("03/04/2024", "v-later", 0.5), ("01/02/2024", "v-earlier", 0.6), ("05/06/2024", "v-last", 0.7)]
    path = tmp_path / f"log{suffix}"
    if suffix == ".jsonl":
        path.write_text("".join(json.dumps({"timestamp": t, "prompt_version": v, "score": s}) + "\n" for t, v, s in rows))
    else:
        path.write_text("timestamp,prompt_version,score\n" + "".join(f"{t},{v},{s}\n" for t, v, s in rows))
    assert _versions_in_order(path) == ["v-earlier", "v-later", "v-last"]


@pytest.mark.parametrize("suffix, body", [
    (".jsonl", '{"timestamp": 1704186000, "score": 0.5}\n{"timestamp": 1704189600, "score": 0.5}\n'
               '{"timestamp": "2024-01-02T09:00:00", "score": 0.6}\n'),
    (".csv", "timestamp,score\n1704186000,0.5\n1704189600,0.5\n2024-01-02T09:00:00,0.6\n"),
])
def test_a_column_mixing_epoch_numbers_and_dates_is_refused_as_mixed(tmp_path, suffix, body):
    """Line 1 holds a valid epoch: it was blamed as 'not a date and time'."""
    path = tmp_path / f"log{suffix}"
    path.write_text(body)
    with pytest.raises(InputError) as raised:
        read_prompt_log(path, PromptLogConfig())
    assert str(raised.value) == (f"{path}: field 'timestamp' mixes epoch numbers (line 1) with dates and times (line 3), "
                                 "which do not order together; write every stamp as 2024-01-02T09:00:00 (or every one "
                                 "as epoch seconds)")


def test_an_epoch_number_beside_a_stamp_that_is_no_date_names_that_stamp(tmp_path):
    path = tmp_path / "log.jsonl"
    path.write_text('{"timestamp": 1704186000, "score": 0.5}\n{"timestamp": "soon", "score": 0.6}\n')
    with pytest.raises(InputError, match=r"log\.jsonl: line 2: field 'timestamp' is not a date and time"):
        read_prompt_log(path, PromptLogConfig())


def test_boolean_timestamps_are_refused_not_read_as_0_and_1(tmp_path):
    path = tmp_path / "log.jsonl"
    path.write_text('{"timestamp": true, "score": 0.1}\n{"timestamp": false, "score": 0.2}\n')
    with pytest.raises(InputError, match=r"log\.jsonl: line 1: field 'timestamp' is a boolean, not a date and time"):
        read_prompt_log(path, PromptLogConfig())


def test_a_column_in_two_date_formats_is_refused_naming_a_row_of_each(tmp_path):
    path = tmp_path / "log.jsonl"
    path.write_text('{"timestamp": "2024-01-02T09:00:00", "score": 0.1}\n{"timestamp": "Jan 9 2024", "score": 0.2}\n')
    with pytest.raises(InputError, match=r"log\.jsonl: field 'timestamp' mixes date formats \(line 1 and line 2\)"):
        read_prompt_log(path, PromptLogConfig())


def test_a_column_mixing_date_formats_is_refused_as_mixed_not_as_no_date(tmp_path):
    """'01/02/2024' beside '2024-01-03' was blamed as line 1 'is not a date and time', which it is."""
    path = tmp_path / "log.csv"
    path.write_text("timestamp,score\n01/02/2024,0.5\n2024-01-03,0.6\n2024-01-04,0.7\n")
    with pytest.raises(InputError) as raised:
        read_prompt_log(path, PromptLogConfig())
    assert str(raised.value) == (f"{path}: field 'timestamp' mixes date formats (line 2 and line 1), which are not read "
                                 "one way; write every stamp as 2024-01-02T09:00:00")
    # a stamp that is no date at all is still named as one
    path.write_text("timestamp,score\n01/02/2024,0.5\nsoon,0.6\n")
    with pytest.raises(InputError) as raised:
        read_prompt_log(path, PromptLogConfig())
    assert str(raised.value).startswith(f"{path}: line 2: field 'timestamp' is not a date and time")
