"""The Python API's own contract: what audit() refuses before it runs, and messages in the API's words."""

from __future__ import annotations

from pathlib import Path

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


def test_a_model_the_config_file_names_and_that_is_missing_names_the_file(tmp_path):
    """The message told what to set but not where it was set: a scheduled run's log had no config file to look at."""
    from dataaudit.config import load_config

    data = write_jsonl(tmp_path / "t.jsonl", [{"text": f"t{i}", "label": "ab"[i % 2]} for i in range(20)])
    (tmp_path / "audit.toml").write_text('[embeddings]\nmodel = "no-such-model-anywhere"\n')
    config = load_config(tmp_path / "audit.toml")
    with pytest.raises(ModelNotFoundError) as raised:
        audit(data, config)
    assert str(raised.value).startswith(f"{tmp_path / 'audit.toml'}: embeddings.model: model 'no-such-model-anywhere' was "
                                        "not found locally"), str(raised.value)
    # set in code or by an override, there is no file to name
    with pytest.raises(ModelNotFoundError) as raised:
        audit(data, config_with_overrides(config, {"embeddings.model": "no-such-model-anywhere"}))
    assert str(raised.value).startswith("model 'no-such-model-anywhere' was not found locally"), str(raised.value)


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
    wanted = {"history": "a history file", "prompt_log": "the prompt-experiment log"}.get(named, "a file, a folder or a glob")
    assert str(raised.value).endswith(f"(an unset variable?); name {wanted}"), str(raised.value)


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


# What the CLI writes and does beside audit(), offered to a notebook through the API.

def _german_report(tmp_path, rows=None):
    from dataaudit.config import config_from_dict

    rows = rows or [{"text": f"Kunde {i} meldet sich wegen Rechnung {i}", "label": "ab"[i % 2]} for i in range(30)]
    data = write_jsonl(tmp_path / "train.jsonl", rows)
    return audit(str(data), config_from_dict({"task_type": "classification", "pii": {"phone_regions": ["DE"]}}), embed=False)


def test_write_suspects_masks_with_the_report_s_phone_regions_outside_any_audit(tmp_path):
    """Only the CLI masked the suspects file with the configured regions: a notebook calling the renderer after
    audit() wrote a German number in clear."""
    import csv
    import dataclasses

    from dataaudit.api import write_suspects
    from dataaudit.checks.label_noise import LabelNoiseResult
    from dataaudit.report import CheckResults

    report = _german_report(tmp_path)
    place = (str(tmp_path / "train.jsonl"), 3)
    suspect = {"file": place[0], "line": 3, "label": "030 22610445", "suggested": "b", "confidence": 0.91, "label_quality": 0.05}
    noise = LabelNoiseResult("confident learning", "logistic regression", 0.9, 0.5, True, "", 0.04, [0.01, 0.08], [suspect], 1,
                             [], [], 30, 2, 5, all_suspects=[suspect], suspect_texts={place: "Rückruf an 030 22610446 bitte"})
    report = dataclasses.replace(report, checks=CheckResults({**report.checks, "label_noise": noise}, report.checks.runs))
    path = tmp_path / "suspects.csv"
    assert write_suspects(report, path) == ""
    rows = list(csv.reader(path.read_text(encoding="utf-8").splitlines()))
    assert rows[1] == [place[0], "3", "Rückruf an <PHONE …446> bitte", "<PHONE …445>", "b", "0.9100", "0.0500"]


def test_write_suspects_says_why_the_file_has_its_header_only(tmp_path):
    from dataaudit.api import write_suspects
    from dataaudit.render.suspects import COLUMNS

    path = tmp_path / "suspects.csv"
    assert write_suspects(_german_report(tmp_path), path) == \
        "label noise was not estimated (embeddings were switched off (embed=False))"
    assert path.read_text(encoding="utf-8") == ",".join(COLUMNS) + "\n"


def test_write_timings_adds_what_the_caller_rendered_to_the_stages(tmp_path):
    import json

    from dataaudit.api import write_timings

    report = _german_report(tmp_path)
    path = tmp_path / "timings.json"
    write_timings(report, path, {"report files": 0.12345})
    spent = json.loads(path.read_text(encoding="utf-8"))
    assert set(spent["stages"]) == {"read", "index", "checks", "decide", "report files"}
    assert spent["stages"]["report files"] == 0.123
    assert spent["stages"]["read"] == round(report.timings["read"], 3)
    measured = {name for name, result in report.checks.items() if result is not None}
    assert {"format", "duplicates", "pii"} <= measured and "label_noise" not in measured  # embed=False
    assert spent["checks"] == {name: round(report.checks.runs[name].seconds, 3) for name in measured}


def test_dedup_of_one_file_writes_the_copy_where_named_and_of_several_into_the_folder(tmp_path):
    from dataaudit.api import dedup

    rows = [{"text": f"ticket {i} about the invoice", "label": "ab"[i % 2]} for i in range(20)]
    first = write_jsonl(tmp_path / "a.jsonl", rows + rows[:3])  # three exact copies
    second = write_jsonl(tmp_path / "b.jsonl", [{"text": "ticket 1 about the invoice", "label": "b"},
                                                {"text": "something else entirely", "label": "a"}])
    config = Config(task_type="format")
    (copy,) = dedup(str(first), str(tmp_path / "clean.jsonl"), config, embed=False)
    assert copy.path == tmp_path / "clean.jsonl" and isinstance(copy.path, Path)
    assert (copy.summary.records, copy.summary.kept, copy.summary.dropped) == (23, 20, 3)
    assert len((tmp_path / "clean.jsonl").read_text().splitlines()) == 20
    copies = dedup([str(first), str(second)], tmp_path / "clean", config, embed=False)
    assert [c.path for c in copies] == [tmp_path / "clean" / "a.jsonl", tmp_path / "clean" / "b.jsonl"]
    # the copy of line 2 in b.jsonl is of a.jsonl's line 2, kept there: the group spans the files
    assert [(c.summary.kept, c.summary.dropped) for c in copies] == [(20, 3), (1, 1)]


def test_fetch_label_studio_since_last_needs_a_history_and_starts_after_the_previous_run(tmp_path, monkeypatch):
    import datetime as dt

    import dataaudit.sources.label_studio as label_studio
    from dataaudit.api import fetch_label_studio
    from dataaudit.history.store import record_run

    with pytest.raises(InputError) as raised:
        fetch_label_studio("http://ls.example:8080", 7, Config(), since_last=True)
    assert str(raised.value) == "since_last=True needs history=FILE, where the previous run of this project is recorded"
    asked = []
    monkeypatch.setattr(label_studio, "load_project", lambda url, project, config, since=None: asked.append(since) or "dataset")
    history = tmp_path / "history.db"
    assert fetch_label_studio("http://ls.example:8080/", 7, Config(), since_last=True, history=history) == "dataset"
    record_run(history, {"dataset": "http://ls.example:8080/projects/7", "generated_at": "2026-12-01T08:00:00+00:00", "config": {},
                         "inputs": [{"role": "train", "path": "p", "sha256": "x"}], "checks": {"format": {"records": 10}},
                         "verdict": {"status": "ready", "conditions": []}})
    fetch_label_studio("http://ls.example:8080/", 7, Config(), since_last=True, history=history)
    fetch_label_studio("http://ls.example:8080/", 7, Config(), history=history)
    # the run is recorded under the project's shown name, without the URL's user, password or query
    fetch_label_studio("http://annotator:secret@LS.example:8080/?org=2", 7, Config(), since_last=True, history=history)
    assert asked == [None, dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.timezone.utc), None,
                     dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.timezone.utc)]


def test_dedup_of_a_glob_matching_one_file_writes_into_the_folder_as_for_several(tmp_path):
    from dataaudit.api import dedup

    batches = tmp_path / "batches"
    batches.mkdir()
    rows = [{"text": f"ticket {i} about the invoice", "label": "ab"[i % 2]} for i in range(20)]
    write_jsonl(batches / "a.jsonl", rows + rows[:2])
    (copy,) = dedup(str(batches / "*.jsonl"), tmp_path / "clean", Config(task_type="format"), embed=False)
    assert copy.path == tmp_path / "clean" / "a.jsonl" and (tmp_path / "clean").is_dir()
    assert len((tmp_path / "clean" / "a.jsonl").read_text().splitlines()) == 20
    # one file named with an out that ends with a slash: a folder too (it wrote a file called "slashed")
    (copy,) = dedup(str(batches / "a.jsonl"), f"{tmp_path / 'slashed'}/", Config(task_type="format"), embed=False)
    assert copy.path == tmp_path / "slashed" / "a.jsonl" and (tmp_path / "slashed" / "a.jsonl.dropped.jsonl").is_file()


def test_write_reports_makes_its_folder_and_masks_the_line_files_as_configured(tmp_path):
    from dataaudit.api import write_reports

    rows = [{"text": f"Kunde {i} meldet sich wegen Rechnung {i}", "label": "keine"} for i in range(30)]
    rows += [{"text": "Bitte rufen Sie mich zurück", "label": number} for number in ("030 22610445", "030 22610446")]
    written = write_reports(_german_report(tmp_path, rows), tmp_path / "new" / "reports", ["json"])
    assert [p.name for p in written] == ["report.json", "duplicates.jsonl"]
    lines = (tmp_path / "new" / "reports" / "duplicates.jsonl").read_text(encoding="utf-8")
    assert "<PHONE …445>" in lines and "22610445" not in lines
    # a bare "json" string or an unknown format writes and removes nothing (it read as four unknown formats)
    for formats in ("json", ["json", "markdown"], []):
        with pytest.raises(ValueError, match="formats must be a list of json, md, html"):
            write_reports(_german_report(tmp_path, rows), tmp_path / "new" / "reports", formats)
    assert sorted(p.name for p in (tmp_path / "new" / "reports").iterdir()) == ["duplicates.jsonl", "report.json"]


def test_write_comparison_writes_both_files_with_a_bidi_override_escaped(tmp_path):
    import json

    from dataaudit.api import write_comparison

    comparison = {"before": "2026-12-01T00:00:00+00:00", "after": "2026-12-02T00:00:00+00:00",
                  "datasets": {"before": "shout\u202egnp.exe", "after": "shout\u202egnp.exe"}, "note": "",
                  "changes": [{"figure": "examples", "before": 30, "after": 32}], "regressions": []}
    written = write_comparison(comparison, tmp_path / "diff")
    assert written == [tmp_path / "diff" / "compare.json", tmp_path / "diff" / "compare.md"]
    text = (tmp_path / "diff" / "compare.json").read_text(encoding="utf-8")
    # masked and control-free as report.json writes dataset text: decoded (`jq -r`), the override is a visible escape
    assert "\u202e" not in text and json.loads(text) == {**comparison, "datasets": {"before": "shout\\u202egnp.exe",
                                                                                   "after": "shout\\u202egnp.exe"}}
    assert "examples" in (tmp_path / "diff" / "compare.md").read_text(encoding="utf-8")


def test_a_production_file_with_no_valid_record_is_told_the_production_field_setting(tmp_path):
    """The closing advice named --text-field / fields.text, which name the training file's field: following it
    for a production file broke the training file (QA)."""
    train = write_jsonl(tmp_path / "t.jsonl", [{"text": f"where is parcel {i}", "label": "a"} for i in range(5)])
    production = write_jsonl(tmp_path / "p.jsonl", [{"txt": "where is my parcel"}, {"txt": "refund please"}])
    with pytest.raises(InputError) as caught:
        audit(train, Config(), production=production, embed=False)
    message = str(caught.value)
    assert "none of the 2 production records is valid" in message
    assert message.endswith("fix the export or name its fields (fields.production_text in the config)"), message


def test_write_reports_refuses_an_empty_folder_and_a_file_in_one_line_and_writes_a_format_once(tmp_path, monkeypatch):
    """write_reports(report, "") wrote into the current folder and removed the user's own report.md there; a
    file as the folder was mkdir's bare FileExistsError; ["json", "json"] returned report.json twice."""
    from dataaudit.api import write_comparison, write_reports, write_suspects, write_timings

    report = _german_report(tmp_path)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "report.md").write_text("my own notes")
    for write in (lambda: write_reports(report, "", ["json", "md"]), lambda: write_comparison({}, "")):
        with pytest.raises(InputError) as raised:
            write()
        assert str(raised.value) == 'the path is empty: folder= is "" (an unset variable?); name a folder'
    assert (tmp_path / "report.md").read_text() == "my own notes" and not (tmp_path / "report.json").exists()
    (tmp_path / "afile").write_text("x")
    with pytest.raises(InputError) as raised:
        write_reports(report, "afile", ["json"])
    assert str(raised.value) == "afile: folder= must be a folder for the reports, and this is a file; name a folder"
    assert isinstance(raised.value, OSError)  # a WriteError: still caught by code that caught mkdir's error
    for write in (lambda: write_suspects(report, ""), lambda: write_timings(report, "")):
        with pytest.raises(InputError, match='^the path is empty: path= is "" \\(an unset variable\\?\\); name a file$'):
            write()
    written = write_reports(report, "out", ["json", "json", "md"])
    assert [p.name for p in written] == ["report.json", "report.md", "duplicates.jsonl"]


@pytest.mark.parametrize("given", ["*.jsonl", "./*.jsonl", ["part1.jsonl", "train.jsonl"], "data[0-9].jsonl", "."])
def test_inputs_in_the_current_folder_are_named_after_it_as_anywhere_else(tmp_path, monkeypatch, given):
    """`*.jsonl` from the folder itself was named after its first match (Path("*.jsonl").parent.name is ""), so
    the same batches audited as `batches/*.jsonl` and from inside batches/ met no common history name."""
    batches = tmp_path / "batches"
    batches.mkdir()
    for name in ("part1.jsonl", "train.jsonl", "data1.jsonl"):
        write_jsonl(batches / name, [{"text": f"{name} {i}", "label": "ab"[i % 2]} for i in range(10)])
    monkeypatch.chdir(batches)
    assert audit(given, Config(task_type="format"), embed=False).dataset == "batches"
    assert audit("part1.jsonl", Config(task_type="format"), embed=False).dataset == "part1"  # one file: its own name


def test_audits_in_threads_run_one_at_a_time_and_keep_their_own_warnings(tmp_path):
    """warnings.catch_warnings(record=True) is one record for the whole process: two audits in threads swapped
    their report.warnings. The second audit now waits until the first is done."""
    import threading
    import warnings

    from dataaudit.engine.local import LocalEngine
    from dataaudit.errors import InputWarning

    first_inside, let_first_go, second_inside = threading.Event(), threading.Event(), threading.Event()

    class First(LocalEngine):
        def read(self, paths, config, **kwargs):
            first_inside.set()
            let_first_go.wait(10)
            warnings.warn("first skipped a file", InputWarning)
            return super().read(paths, config, **kwargs)

    class Second(LocalEngine):
        def read(self, paths, config, **kwargs):
            second_inside.set()
            warnings.warn("second skipped a file", InputWarning)
            return super().read(paths, config, **kwargs)

    data = str(write_jsonl(tmp_path / "t.jsonl", [{"text": f"t{i}", "label": "ab"[i % 2]} for i in range(20)]))
    reports = {}
    runs = [threading.Thread(target=lambda: reports.update(first=audit(data, Config(task_type="format"), embed=False, engine=First()))),
            threading.Thread(target=lambda: reports.update(second=audit(data, Config(task_type="format"), embed=False, engine=Second())))]
    runs[0].start()
    assert first_inside.wait(10)
    runs[1].start()
    entered_alongside = second_inside.wait(0.5)
    let_first_go.set()
    for run in runs:
        run.join(30)
    assert not entered_alongside
    assert reports["first"].warnings == ["first skipped a file"] and reports["second"].warnings == ["second skipped a file"]


def test_no_valid_record_in_several_files_names_each_file_with_its_own_count(tmp_path):
    """"a.jsonl line 1: none of the 106 training records is valid" blamed the first file for both files' rows."""
    first = write_jsonl(tmp_path / "a.jsonl", [{"question": f"q{i}"} for i in range(5)])
    second = write_jsonl(tmp_path / "b.jsonl", [{"question": f"q{i}"} for i in range(3)])
    with pytest.raises(InputError) as raised:
        audit([str(first), str(second)], Config(task_type="classification"), embed=False)
    assert str(raised.value).startswith(f"{first} line 1 (5 records), {second} line 1 (3 records): none of the 8 training "
                                        "records is valid (8 x (record): unrecognised record"), str(raised.value)
    with pytest.raises(InputError) as raised:
        audit(str(first), Config(task_type="classification"), embed=False)
    assert str(raised.value).startswith(f"{first} line 1: none of the 5 training records is valid"), str(raised.value)


@pytest.mark.parametrize("kwargs, said", [
    ({"prompt_log": ["a.csv"]}, "audit(prompt_log=...) takes one path (str or pathlib.Path), the prompt-experiment log, not a list"),
    ({"engine": "local"}, "audit(engine=...) takes an engine object (dataaudit.engine.make_engine()) or None, not a str;"),
    ({"embed": "no"}, "audit(embed=...) takes True or False, not 'no'"),
    ({"fail_on_regression": 1}, "audit(fail_on_regression=...) takes True or False, not 1"),
    ({"embedder": "all-MiniLM-L6-v2"}, "audit(embedder=...) takes a dataaudit.embeddings.Embedder or None, not a str;")])
def test_an_argument_of_the_wrong_kind_is_a_type_error_naming_the_parameter(tmp_path, kwargs, said):
    """embed="no" audited with embeddings (a true string), engine="local" failed as "'str' object has no attribute
    'read'", a list of prompt logs as a bare TypeError from deep inside."""
    data = write_jsonl(tmp_path / "t.jsonl", [{"text": f"t{i}", "label": "ab"[i % 2]} for i in range(20)])
    kwargs = {"embed": False, **kwargs}
    with pytest.raises(TypeError) as raised:
        audit(str(data), Config(task_type="format"), **kwargs)
    assert str(raised.value).startswith(said), str(raised.value)


def test_the_report_repr_lists_the_checks_that_have_a_result(tmp_path):
    data = write_jsonl(tmp_path / "t.jsonl", [{"text": f"ticket {i}", "label": "ab"[i % 2]} for i in range(20)])
    report = audit(str(data), Config(task_type="format"), embed=False)
    with_result = sorted(name for name, result in report.checks.items() if result is not None)
    assert f"checks={with_result}," in repr(report)
    assert "coverage" not in with_result and len(with_result) < len(report.checks)  # not run: no production sample


def test_a_batch_nobody_may_read_beside_others_is_audited_around_with_the_format_warning(tmp_path, monkeypatch):
    from tests.test_load_dataset import _closed

    batches = tmp_path / "gb"
    batches.mkdir()
    rows = [{"text": f"ticket {i} about the invoice", "label": "ab"[i % 2]} for i in range(30)]
    write_jsonl(batches / "a.jsonl", rows)
    closed = write_jsonl(batches / "b.jsonl", rows)
    _closed(monkeypatch, closed)
    report = audit(str(batches / "*.jsonl"), Config(task_type="classification"), embed=False)
    assert [(e.file, e.message) for e in report.checks["format"].file_errors] == [
        (str(closed), "permission denied; make it readable to the user running the audit, or leave it out")]
    form = next(c for c in report.verdict.conditions if c.id == "format")
    assert form.status == "warn" and report.checks["format"].valid == 30


def test_an_owned_engine_is_made_and_closed_under_the_audit_lock(tmp_path, monkeypatch):
    """make_engine and engine.close() ran outside the lock, so a thread's audit could start or close an engine
    (a Ray connection is process-wide) while another audited."""
    import threading

    from dataaudit import api
    from dataaudit.engine.local import LocalEngine

    def taken_elsewhere() -> bool:
        free = []

        def try_it():  # from another thread: an RLock this thread holds would be taken again
            free.append(api._ONE_AUDIT_AT_A_TIME.acquire(blocking=False))
            if free[0]:
                api._ONE_AUDIT_AT_A_TIME.release()

        probe = threading.Thread(target=try_it)
        probe.start()
        probe.join(5)
        return not free[0]

    held = {}

    class Probed(LocalEngine):
        def close(self):
            held["close"] = taken_elsewhere()
            super().close()

    def probed_engine(settings, **kwargs):
        held["make_engine"] = taken_elsewhere()
        return Probed()

    monkeypatch.setattr(api, "make_engine", probed_engine)
    data = write_jsonl(tmp_path / "t.jsonl", [{"text": f"t{i}", "label": "ab"[i % 2]} for i in range(20)])
    audit(data, Config(task_type="format"), embed=False)
    assert held == {"make_engine": True, "close": True}


def _wide(path: Path, columns: str, rows: list[str]) -> Path:
    path.write_text(f"id,text,{columns}\n" + "".join(f"{n},message {n},{row}\n" for n, row in enumerate(rows, start=1)),
                    encoding="utf-8")
    return path


def test_an_annotator_column_no_record_has_is_a_usage_error_naming_it(tmp_path):
    from dataaudit.api import require_named_fields
    from dataaudit.load import load_dataset

    wide = _wide(tmp_path / "wide.csv", "a1,a2,a3", ["x,x,y", "y,y,y"])
    config = Config(task_type="format")
    config.fields.annotator_columns = ["a1", "nonexist", "a3", "zz"]
    config.set_by["fields.annotator_columns"] = "--annotator-columns"
    with pytest.raises(InputError) as raised:
        audit(wide, config, embed=False)
    assert str(raised.value) == (f"--annotator-columns: no record in {wide} has the fields 'nonexist', 'zz' (fields seen: "
                                 "id, text, a1, a2, a3); name them from those")
    # the same when the file was read in a task of its own (the Ray engine: among_others), checked once after
    # every file is read; set in the config file, it is named by its key
    config = Config(task_type="format")
    config.fields.annotator_columns = ["a1", "a4"]
    with pytest.raises(InputError, match=r"^fields.annotator_columns: no record in .* has a field 'a4' \(fields seen"):
        require_named_fields(load_dataset(wide, config, among_others=True), config)


def test_annotator_columns_each_in_some_file_are_all_read(tmp_path):
    # one annotator labelled the first batch, another the second: no file has every column, together they do
    first = _wide(tmp_path / "b1.csv", "a1,a2", [f"{'ab'[n % 2]},{'ab'[n % 2]}" for n in range(10)])
    second = _wide(tmp_path / "b2.csv", "a1,a3", [f"{'ab'[n % 2]},{'ab'[n % 3 % 2]}" for n in range(10)])
    config = Config(task_type="format")
    config.fields.annotator_columns = ["a1", "a2", "a3"]
    config.set_by["fields.annotator_columns"] = "--annotator-columns"
    agreement = audit([first, second], config, embed=False).checks.get("agreement")
    assert sorted(a.annotator for a in agreement.annotators) == ["a1", "a2", "a3"]


def test_the_fields_seen_are_named_as_a_dataset_s_keys_are_shown(tmp_path):
    # a key is the dataset's: an address in it is masked in the message as in every other
    data = write_jsonl(tmp_path / "t.jsonl", [{"text": f"t{i}", "label": "ab"[i % 2], "bob.smith@example.org": 1}
                                              for i in range(20)])
    config = config_with_overrides(Config(task_type="format"), {"fields.id": "nope"})
    with pytest.raises(InputError) as raised:
        audit(data, config, embed=False)
    assert "fields seen: text, label, <EMAIL" in str(raised.value) and "bob" not in str(raised.value)


def test_a_report_folder_below_a_file_names_the_file_in_the_way(tmp_path):
    """write_reports(report, "afile/sub") said "cannot be made (Not a directory)" of a path that is no file."""
    from dataaudit.api import audit, write_reports
    from dataaudit.config import Config
    from dataaudit.io import WriteError
    from tests.conftest import SAMPLE

    (tmp_path / "afile").write_text("x", encoding="utf-8")
    report = audit(SAMPLE / "support_tickets.jsonl", Config(), embed=False)
    with pytest.raises(WriteError) as info:
        write_reports(report, tmp_path / "afile" / "sub")
    assert f"{tmp_path / 'afile'} is a file, not a folder" in str(info.value)
