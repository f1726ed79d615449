"""Hostile and odd inputs around the audit (config, history, compare, --out, report text): each ends in a
correct result or one clear line with exit 2; nothing from the data acts in a report; no file is lost."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3

import pytest

from dataaudit.cli import main
from tests.conftest import write_jsonl

ESC = "\x1b"


def _dataset(path, n=40, hostile_label="billing"):
    rows = [{"text": f"ticket number {i} about my order", "label": hostile_label if i % 2 else "returns"} for i in range(n)]
    return write_jsonl(path, rows)


def _one_error_line(captured: str, *needles: str) -> None:
    lines = [line for line in captured.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("dataaudit: error: "), captured
    assert "Traceback" not in captured
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


CONFIG_CASES = {
    "negative threshold": ("dataaudit.toml", "[hygiene]\nmax_duplicate_share = -0.5\n", "hygiene.max_duplicate_share"),
    "NaN disables a gate": ("dataaudit.toml", "[hygiene]\nmax_duplicate_share = nan\n", "finite"),
    "share above one": ("dataaudit.toml", "[coverage]\nmin_covered_share = 1.5\n", "coverage.min_covered_share"),
    "batch size zero": ("dataaudit.toml", "[embeddings]\nbatch_size = 0\n", "embeddings.batch_size"),
    "unknown key": ("dataaudit.toml", "[hygiene]\nmax_duplicate_shares = 0.1\n", "max_duplicate_shares"),
    "broken pyproject table": ("pyproject.toml", "[tool.dataaudit]\ntask_type = 'classification\n", "invalid TOML"),
}


@pytest.mark.parametrize("case", sorted(CONFIG_CASES))
def test_bad_config_exits_2_with_one_line(case, tmp_path, monkeypatch, capsys):
    name, text, needle = CONFIG_CASES[case]
    (tmp_path / name).write_text(text, encoding="utf-8")
    data = _dataset(tmp_path / "train.jsonl")
    monkeypatch.chdir(tmp_path)
    assert main(["audit", str(data), "--no-embeddings", "--format", "json", "--out", str(tmp_path / "out")]) == 2
    _one_error_line(capsys.readouterr().err, needle, name)
    assert not (tmp_path / "out").exists()


def test_non_utf8_config_exits_2(tmp_path, capsys):
    config = tmp_path / "latin1.toml"
    config.write_bytes("task_type = 'classification' # caf\xe9\n".encode("latin-1"))
    assert main(["audit", str(_dataset(tmp_path / "t.jsonl")), "--config", str(config), "--no-embeddings", "--format", "json"]) == 2
    _one_error_line(capsys.readouterr().err, "not UTF-8", "latin1.toml")


def test_history_refuses_a_database_that_is_not_ours_and_leaves_it_untouched(tmp_path, capsys):
    foreign = tmp_path / "app.db"
    connection = sqlite3.connect(foreign)
    connection.execute("CREATE TABLE customers (id INTEGER, name TEXT)")
    connection.commit()
    connection.close()
    before = hashlib.sha256(foreign.read_bytes()).hexdigest()
    assert main(["audit", str(_dataset(tmp_path / "t.jsonl")), "--no-embeddings", "--history", str(foreign), "--format", "json"]) == 2
    _one_error_line(capsys.readouterr().err, "not a dataaudit history", "app.db")
    assert hashlib.sha256(foreign.read_bytes()).hexdigest() == before
    text_file = tmp_path / "notes.txt"
    text_file.write_text("just some notes, not a database at all\n" * 20)
    assert main(["audit", str(_dataset(tmp_path / "t.jsonl")), "--no-embeddings", "--history", str(text_file), "--format", "json"]) == 2
    _one_error_line(capsys.readouterr().err, "notes.txt")
    assert text_file.read_text().startswith("just some notes")


def test_out_that_is_a_file_exits_2_before_anything_is_recorded(tmp_path, capsys):
    out = tmp_path / "report.txt"
    out.write_text("keep me")
    history = tmp_path / "history.db"
    assert main(["audit", str(_dataset(tmp_path / "t.jsonl")), "--no-embeddings", "--out", str(out), "--history", str(history)]) == 2
    _one_error_line(capsys.readouterr().err, "report.txt", "folder")
    assert out.read_text() == "keep me" and not history.exists()


@pytest.mark.parametrize("flag", ["--suspects", "--timings"])
def test_an_output_file_that_is_a_folder_exits_2_before_anything_is_recorded(tmp_path, capsys, flag):
    folder = tmp_path / "reports"
    folder.mkdir()
    history = tmp_path / "history.db"
    assert main(["audit", str(_dataset(tmp_path / "t.jsonl")), "--no-embeddings", flag, str(folder), "--history", str(history)]) == 2
    _one_error_line(capsys.readouterr().err, "reports", "folder")
    assert not any(folder.iterdir()) and not history.exists()


def test_compare_refuses_what_is_not_a_report(tmp_path, capsys):
    array = tmp_path / "array.json"
    array.write_text("[1, 2, 3]")
    assert main(["compare", str(array), str(array)]) == 2
    _one_error_line(capsys.readouterr().err, "array.json", "not a dataaudit report")
    report_dir = tmp_path / "r"
    assert main(["audit", str(_dataset(tmp_path / "t.jsonl")), "--no-embeddings", "--out", str(report_dir), "--format", "json"]) in (1, 3)
    capsys.readouterr()
    out_file = tmp_path / "cmp.txt"
    out_file.write_text("x")
    report = str(report_dir / "report.json")
    assert main(["compare", report, report, "--out", str(out_file)]) == 2
    _one_error_line(capsys.readouterr().err, "cmp.txt")


def test_json_without_out_goes_to_stdout(tmp_path, capsys):
    code = main(["audit", str(_dataset(tmp_path / "t.jsonl")), "--no-embeddings", "--format", "json"])
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert data["verdict"]["exit_code"] == code and data["checks"]["format"]["valid"] == 40


def test_an_existing_file_name_with_glob_characters_is_taken_literally(tmp_path, capsys):
    literal = _dataset(tmp_path / "data[1].jsonl", n=30)
    write_jsonl(tmp_path / "data1.jsonl", [{"text": "other", "label": "x"}] * 3)  # what the glob would match
    main(["audit", str(literal), "--no-embeddings", "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    assert [i["path"] for i in data["inputs"]] == [str(literal)] and data["checks"]["format"]["records"] == 30


def test_skipping_every_data_condition_is_not_enough_evidence(tmp_path, capsys):
    config = tmp_path / "scope.toml"
    config.write_text("[conditions.skip]\n" + "".join(f'{c} = "not ours"\n' for c in ("format", "hygiene", "consistency", "scale", "coverage")))
    code = main(["audit", str(_dataset(tmp_path / "t.jsonl")), "--config", str(config), "--no-embeddings", "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 3 and data["verdict"]["status"] == "insufficient_evidence" and data["verdict"]["conditions"] == []


def test_header_only_prompt_log_exits_2(tmp_path, capsys):
    log = tmp_path / "log.csv"
    log.write_text("iteration,prompt_version,score\n")
    assert main(["audit", str(_dataset(tmp_path / "t.jsonl")), "--no-embeddings", "--prompt-log", str(log), "--format", "json"]) == 2
    _one_error_line(capsys.readouterr().err, "log.csv")


HOSTILE_LABEL = "\x1b[31mred[/]\x1b[0m [bold]x <img src=x onerror=alert(1)> [click](http://evil.example) ![p](http://evil.example/p.png)"
HOSTILE_TEXT = "ticket \x1b]8;;http://evil.example\x07link\x1b]8;;\x07 <script>alert(1)</script> [go](javascript:alert(1)) \u202eevil"


def test_text_from_the_data_never_acts_in_any_report(tmp_path, capsys):
    rows = [{"text": f"{HOSTILE_TEXT} {i % 7}", "label": HOSTILE_LABEL if i % 3 else "plain"} for i in range(60)]
    data = write_jsonl(tmp_path / "hostile.jsonl", rows)
    out = tmp_path / "out"
    history = tmp_path / "h.db"
    for _ in range(2):  # a second run makes history regressions and compare rows carry the hostile label too
        main(["audit", str(data), "--no-embeddings", "--out", str(out), "--dataset-name", "[bold]name\x1b[2J", "--history", str(history)])
    terminal = capsys.readouterr().out
    assert ESC not in terminal and "\u202e" not in terminal
    markdown = (out / "report.md").read_text()
    assert ESC not in markdown and "<img" not in markdown and "<script" not in markdown
    assert not re.search(r"(?<!\\)\[[^\]]*(?<!\\)\]\((?:http|javascript)", markdown)  # no live link or image
    page = (out / "report.html").read_text()
    assert ESC not in page and "<img src=x" not in page and "<script>" not in page
    raw_json = (out / "report.json").read_text()
    assert "\\u001b" not in raw_json and ESC not in raw_json
    assert main(["history", str(history)]) == 0  # rich markup in names must not crash it
    table = capsys.readouterr().out
    assert "[bold]" in table and ESC not in table  # printed as text (folded at 80 columns), not as markup
    report = str(out / "report.json")
    assert main(["compare", report, report, "--out", str(tmp_path / "cmp")]) == 0
    compare_md = (tmp_path / "cmp" / "compare.md").read_text()
    assert "<img" not in compare_md and ESC not in compare_md


def test_an_error_is_never_exit_1(tmp_path, capsys, monkeypatch):
    import dataaudit.engine.local

    def explode(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(dataaudit.engine.local, "load_dataset", explode)  # the local engine loads
    assert main(["audit", str(_dataset(tmp_path / "t.jsonl")), "--no-embeddings"]) == 2
    assert "internal error" in capsys.readouterr().err


NO_ROWS = {
    "empty file": ({"t.jsonl": b""}, "file is empty"),
    "UTF-16 export": ({"t.jsonl": json.dumps({"text": "a", "label": "b"}).encode("utf-16")}, "UTF-16"),
    "header-only CSV and an empty file": ({"t.csv": b"text,label\n", "u.jsonl": b""}, "u.jsonl"),
}


@pytest.mark.parametrize("case", sorted(NO_ROWS))
def test_an_input_with_no_row_at_all_exits_2_naming_it(case, tmp_path, capsys, monkeypatch):
    files, reason = NO_ROWS[case]
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
    monkeypatch.chdir(tmp_path)
    assert main(["audit", *files, "--no-embeddings", "--format", "terminal"]) == 2
    _one_error_line(capsys.readouterr().err, sorted(files)[0], reason, "no training record could be read")


def test_a_production_file_with_no_row_exits_2_and_an_empty_file_beside_records_is_a_format_error(tmp_path, capsys):
    train, empty = _dataset(tmp_path / "t.jsonl"), tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    assert main(["audit", str(train), "--production", str(empty), "--no-embeddings", "--format", "terminal"]) == 2
    _one_error_line(capsys.readouterr().err, str(empty), "no production record could be read")
    out = tmp_path / "out"
    assert main(["audit", str(train), str(empty), "--no-embeddings", "--format", "json", "--out", str(out)]) in (0, 1, 3)
    file_errors = json.loads((out / "report.json").read_text())["checks"]["format"]["file_errors"]
    assert [(error["file"], error["message"]) for error in file_errors] == [(str(empty), "file is empty: no records")]


def test_a_dataset_handed_in_with_no_record_is_audited_not_refused():
    # What a Label Studio pull with nothing new since the last run looks like: not a broken export.
    from dataaudit import audit
    from dataaudit.config import Config
    from dataaudit.load.records import Dataset

    report = audit(Dataset("project 7", [], [], [], total=0, invalid=0), Config(), embed=False)
    assert report.verdict.status.value == "not_ready" and report.checks["format"].records == 0


def test_rows_of_which_none_is_valid_exit_2_with_the_commonest_reason_and_what_to_do(tmp_path, capsys):
    path = write_jsonl(tmp_path / "t.jsonl", [{"body": f"order {i} arrived broken", "label": "returns"} for i in range(30)])
    assert main(["audit", str(path), "--text-field", "text", "--no-embeddings", "--format", "terminal"]) == 2
    _one_error_line(capsys.readouterr().err, f"{path} line 1", "none of the 30 training records is valid", "30 x text: missing",
                    "--text-field")
    assert main(["audit", str(path), "--text-field", "body", "--no-embeddings", "--format", "terminal"]) in (0, 1, 3)


@pytest.mark.parametrize("flags, needle", [(["--since-last"], "--since-last applies to a Label Studio project only"),
                                           (["--project", "3"], "--project applies to a Label Studio project only"),
                                           (["--annotator-columns", "a1,a2"], "none of the annotator columns a1, a2 holds a label")])
def test_flags_that_cannot_apply_to_these_files_exit_2_instead_of_being_ignored(flags, needle, tmp_path, capsys):
    path = _dataset(tmp_path / "t.jsonl")
    assert main(["audit", str(path), *flags, "--no-embeddings", "--format", "terminal"]) == 2
    _one_error_line(capsys.readouterr().err, needle)


def test_an_error_line_quoting_the_data_shows_its_control_characters_as_escapes(tmp_path, capsys):
    hostile_key = "\x1b]8;;http://evil.example\x07click\x1b]8;;\x07\x1b[31m"
    path = write_jsonl(tmp_path / "t.jsonl", [{hostile_key: "x", "label": "b"} for _ in range(3)])
    assert main(["audit", str(path), "--text-field", "text", "--no-embeddings", "--format", "terminal"]) == 2
    err = capsys.readouterr().err
    _one_error_line(err, "none of the 3 training records is valid", "\\x1b]8;;http://evil.example\\x07click")
    assert ESC not in err and "\x07" not in err


@pytest.mark.parametrize("limit", ["0", "-1", "ten"])
def test_history_limit_must_be_a_positive_number(limit, tmp_path, capsys):
    with pytest.raises(SystemExit) as stopped:  # argparse's usage error: exit 2 with one message line
        main(["history", str(tmp_path / "h.db"), "--limit", limit])
    assert stopped.value.code == 2 and "--limit" in capsys.readouterr().err


@pytest.mark.parametrize("argv, needle", [(["audit", "x.jsonl", "--task-type", "foo"], "invalid choice: 'foo'"),
                                          (["dedup", "x.jsonl"], "the following arguments are required: --out"),
                                          (["audit", "x.jsonl", "--no-such-flag"], "unrecognized arguments: --no-such-flag")])
def test_usage_errors_are_one_line(argv, needle, capsys):
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    err = capsys.readouterr().err
    assert stopped.value.code == 2 and needle in err and len(err.strip().splitlines()) == 1 and "--help" in err
