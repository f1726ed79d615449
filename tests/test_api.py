"""The Python API's own contract: what audit() refuses before it runs, and messages in the API's words."""

from __future__ import annotations

import pytest

from dataaudit.api import audit
from dataaudit.config import Config, config_with_overrides
from dataaudit.errors import INTERFACE, InputError, ModelNotFoundError
from tests.conftest import write_jsonl


def test_an_override_naming_a_field_no_record_has_is_an_input_error_naming_the_override(tmp_path):
    data = write_jsonl(tmp_path / "t.jsonl", [{"text": f"t{i}", "label": "ab"[i % 2]} for i in range(20)])
    config = config_with_overrides(Config(task_type="format"), {"fields.id": "nope"})
    with pytest.raises(InputError) as raised:
        audit(data, config, embed=False)
    assert str(raised.value) == (f"override 'fields.id': no record in {data} has a field 'nope' (fields seen: text, label); "
                                 "name one of those")


def test_a_field_named_by_the_config_file_is_not_checked_here(tmp_path):
    """The default id field ("id") is named by no flag: records without ids are audited as before."""
    data = write_jsonl(tmp_path / "t.jsonl", [{"text": f"t{i}", "label": "ab"[i % 2]} for i in range(20)])
    assert audit(data, Config(task_type="format"), embed=False).checks.get("format").valid == 20


def test_messages_name_the_api_setting_from_python_and_the_flag_under_the_cli():
    from dataaudit.embeddings import resolve_model

    with pytest.raises(ModelNotFoundError) as from_python:
        resolve_model("no-such-model-anywhere")
    assert "set embeddings.model to the path of a sentence-transformers model folder" in str(from_python.value)
    assert "--model" not in str(from_python.value)
    token = INTERFACE.set("cli")
    try:
        with pytest.raises(ModelNotFoundError) as from_cli:
            resolve_model("no-such-model-anywhere")
    finally:
        INTERFACE.reset(token)
    assert "pass --model with the path of a sentence-transformers model folder" in str(from_cli.value)


@pytest.mark.parametrize("kwargs, named", [({"paths": ""}, "paths"), ({"paths": ["DATA", ""]}, "paths"),
                                           ({"production": ""}, "production"), ({"eval_path": [""]}, "eval_path"),
                                           ({"prompt_log": ""}, "prompt_log"), ({"history": ""}, "history")])
def test_an_empty_path_is_the_input_error_naming_the_argument_not_the_current_folder(tmp_path, monkeypatch, kwargs, named):
    (tmp_path / "data").mkdir()
    data = write_jsonl(tmp_path / "data" / "t.jsonl", [{"text": f"t{i}", "label": "ab"[i % 2]} for i in range(20)])
    write_jsonl(tmp_path / "some.jsonl", [{"text": f"x{i}", "label": "a"} for i in range(20)])
    monkeypatch.chdir(tmp_path)
    paths = kwargs.pop("paths", str(data))
    paths = [str(data) if p == "DATA" else p for p in paths] if isinstance(paths, list) else paths
    with pytest.raises(InputError) as raised:
        audit(paths, Config(task_type="format"), embed=False, **kwargs)
    assert str(raised.value).startswith(f'the input path is empty: {named}= is ""'), str(raised.value)


def test_a_file_whose_name_has_glob_characters_is_named_after_itself_not_its_folder(tmp_path):
    """README: glob characters in an existing name are taken literally, and one file gets its own name; two
    such files in one folder were both named after the folder and shared one history name."""
    (tmp_path / "d19").mkdir()
    rows = [{"text": f"t{i}", "label": "ab"[i % 2]} for i in range(20)]
    first = write_jsonl(tmp_path / "d19" / "data[1].jsonl", rows)
    second = write_jsonl(tmp_path / "d19" / "data[2].jsonl", rows)
    assert [audit(str(path), Config(task_type="format"), embed=False).dataset for path in (first, second)] == ["data[1]", "data[2]"]
    # a pattern that matches them (no file has its name) is still named after the folder
    assert audit(str(tmp_path / "d19" / "data[[]*.jsonl"), Config(task_type="format"), embed=False).dataset == "d19"


def test_report_json_lists_the_files_a_condition_names_as_given_beside_its_masked_sentence(tmp_path):
    from dataaudit.render.json_report import report_json

    (tmp_path / "d18").mkdir()
    rows = [{"text": f"please check account {i}", "label": "ab"[i % 2]} for i in range(40)]
    rows += [{"text": f"write to frank{i}@example.com about it", "label": "a"} for i in range(10)]
    data = str(write_jsonl(tmp_path / "d18" / "frank.path@example.com.jsonl", rows))
    report = report_json(audit(data, Config(task_type="format"), embed=False))
    hygiene = next(c for c in report["verdict"]["conditions"] if c["id"] == "hygiene")
    assert "frank.path@example.com" not in hygiene["action"] and "lines 41, 42" in hygiene["action"]  # a sentence: masked
    assert hygiene["files"] == [data]  # the file it names, exactly as given
    assert report["inputs"][0]["path"] == data


def test_a_clean_generation_set_can_be_ready(tmp_path):
    """1,100 clean distinct chat examples with coverage scoped out exited 3: "no item carries more than one
    annotation", with the action to have two annotators label free-text replies."""
    import random

    from dataaudit.config import config_from_dict

    rng = random.Random(7)
    words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet", "kilo", "lima",
             "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango", "uniform", "victor", "xray", "yankee"]
    rows = [{"messages": [{"role": "user", "content": f"Summarise item {i}: " + " ".join(rng.sample(words, 8))},
                          {"role": "assistant", "content": f"Summary {i}: " + " ".join(rng.sample(words, 14)) + " and more detail."}]}
            for i in range(1100)]
    data = write_jsonl(tmp_path / "gen.jsonl", rows)
    report = audit(str(data), config_from_dict({"conditions": {"skip": {"coverage": "no production sample yet"}}}), embed=False)
    assert report.verdict.status == "ready" and report.exit_code == 0, report.verdict.sentence
    reasons = {n.id: n.reason for n in report.verdict.not_judged}
    assert reasons["consistency"].startswith("not applicable: the targets are free text (a generation task)")
    assert "consistency" not in [c.id for c in report.verdict.conditions]
