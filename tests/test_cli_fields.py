"""Field-naming flags given an empty value: the setting is named, never the data."""

from __future__ import annotations

import pytest

from dataaudit.cli import main
from tests.conftest import write_jsonl


FIELD_FLAGS = [("--label-field", "", "the label"), ("--text-field", "", "the input text"), ("--id-field", " ", "the item id"),
               ("--annotator-columns", ",", "each annotator's label")]


@pytest.mark.parametrize("command, flag, value, holds", [*(("audit", *f) for f in FIELD_FLAGS), *(("dedup", *f) for f in FIELD_FLAGS),
                                                         ("audit", "--question", "", "the annotation question's name")])
def test_an_empty_field_flag_is_one_line_exit_2_naming_the_flag(tmp_path, capsys, command, flag, value, holds):
    data = write_jsonl(tmp_path / "train.jsonl", [{"text": f"text {i}", "label": "ab"[i % 2]} for i in range(20)])
    argv = ["audit", str(data), "--format", "json"] if command == "audit" else ["dedup", str(data), "--out", str(tmp_path / "c.jsonl")]
    assert main([*argv, "--no-embeddings", flag, value]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        f'dataaudit: error: {flag} is "{value}", which names no field (an unset variable?); name the field that holds '
        f"{holds}, or leave {flag} out for the default"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train.jsonl"]


def test_a_named_label_field_is_still_taken(tmp_path, capsys):
    import json

    data = write_jsonl(tmp_path / "train.jsonl", [{"text": f"text number {i}", "tag": "ab"[i % 2]} for i in range(20)])
    main(["audit", str(data), "--format", "json", "--no-embeddings", "--label-field", "tag"])
    report = json.loads(capsys.readouterr().out)
    assert report["config"]["fields"]["label"] == "tag"
    assert (report["checks"]["format"]["valid"], report["checks"]["format"]["invalid"]) == (20, 0)
