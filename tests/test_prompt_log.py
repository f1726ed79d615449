"""The prompt log names a bad row as the training loader names a row: a CSV's data row, a JSONL's line."""

from __future__ import annotations

import json

import pytest

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
