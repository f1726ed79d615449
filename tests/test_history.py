"""Scheduled checks: batches against one history file, regressions, the cache across runs, concurrency."""

from __future__ import annotations

import json
import random
import subprocess
import sys

import pytest

from dataaudit.cli import main
from dataaudit.config import HistoryConfig
from dataaudit.history.compare import compare_reports
from dataaudit.history.regressions import find_regressions, key_figures
from dataaudit.history.store import load_runs
from tests.conftest import ROOT, write_jsonl
from tests.test_checks_registry import SHOUTING_RECIPE, UNDER_TEST, under_test

LABELS = ["billing", "shipping", "returns"]
VOCABULARY = ("apple river stone window garden pencil yellow thunder mirror basket candle forest silver engine harbour "
              "meadow lantern violin pepper marble ladder cotton island rocket saddle tunnel wallet orchid falcon glacier "
              "hammer jacket kettle lemon magnet needle oyster parrot quartz ribbon shovel tomato umbrella velvet walnut "
              "anchor bridge cactus dolphin feather giraffe helmet igloo jungle koala lobster mango nickel onion pillow").split()
TOPIC_WORDS = {"billing": "invoice charge refund price", "shipping": "parcel courier delivery tracking", "returns": "return exchange label size"}


def batch(path, seed, noise, shares):
    """60 items x 3 annotators; `noise` is each annotator's chance of a random wrong label."""
    rng = random.Random(seed)
    truths = [label for label, share in zip(LABELS, shares) for _ in range(round(60 * share / sum(shares)))]
    rng.shuffle(truths)
    rows = []
    for i, truth in enumerate(truths):
        text = " ".join(rng.sample(TOPIC_WORDS[truth].split(), 2) + rng.sample(VOCABULARY, 7))
        annotations = [{"annotator": a, "label": truth if rng.random() > noise else rng.choice([x for x in LABELS if x != truth])}
                       for a in ("a1", "a2", "a3")]
        rows.append({"id": f"{seed}-{i}", "text": text, "annotations": annotations})
    return write_jsonl(path, rows)


def audit_batch(path, history, out, cache_dir, *extra):
    config = out.parent / "dataaudit.toml"
    config.write_text('task_type = "format"\ndataset_name = "tickets"\n[size]\nmin_examples_format = 50\n'
                      '[conditions]\nskip = { coverage = "no production sample in this test" }\n')
    return main(["audit", str(path), "--config", str(config), "--history", str(history), "--out", str(out), "--format", "json",
                 "--cache-dir", str(cache_dir), *extra])


def test_three_batches_report_exactly_the_planted_regressions(tmp_path, cache_dir):
    history = tmp_path / "history.db"
    even = [1, 1, 1]
    one = batch(tmp_path / "b1.jsonl", 1, 0.02, even)
    two = batch(tmp_path / "b2.jsonl", 2, 0.02, even)
    three = batch(tmp_path / "b3.jsonl", 3, 0.07, [3, 1, 1])  # noisier labels, billing share up
    codes = [audit_batch(p, history, tmp_path / f"r{i}", cache_dir, "--fail-on-regression") for i, p in enumerate((one, two, three), 1)]
    reports = [json.loads((tmp_path / f"r{i}" / "report.json").read_text()) for i in (1, 2, 3)]
    assert reports[0]["regressions"] == [] and reports[1]["regressions"] == []
    found = {r["what"] for r in reports[2]["regressions"]}
    assert "krippendorff_alpha" in found and "label_share:billing" in found
    assert found == {"krippendorff_alpha", "label_share:billing", "label_share:shipping", "label_share:returns"}
    alphas = [r["checks"]["agreement"]["krippendorff_alpha"] for r in reports]
    assert alphas[0] - alphas[2] > 0.05 and abs(alphas[0] - alphas[1]) <= 0.05
    assert codes[:2] == [0, 0] and codes[2] == 1
    runs = load_runs(history, "tickets")
    assert [len(r["regressions"]) > 0 for r in runs] == [False, False, True]


def test_rerun_of_an_unchanged_batch_embeds_nothing(tmp_path):
    path = batch(tmp_path / "b.jsonl", 7, 0.02, [1, 1, 1])
    cache = tmp_path / "cache"
    audit_batch(path, tmp_path / "h.db", tmp_path / "first", cache)
    audit_batch(path, tmp_path / "h.db", tmp_path / "second", cache)
    first = json.loads((tmp_path / "first" / "report.json").read_text())["checks"]["embeddings"]
    second = json.loads((tmp_path / "second" / "report.json").read_text())["checks"]["embeddings"]
    assert first["computed"] == 60 and (second["computed"], second["from_cache"]) == (0, 60)
    assert json.loads((tmp_path / "second" / "report.json").read_text())["regressions"] == []


def test_history_survives_two_audits_started_at_once(tmp_path):
    history = tmp_path / "history.db"
    paths = [batch(tmp_path / f"c{i}.jsonl", 10 + i, 0.02, [1, 1, 1]) for i in range(2)]
    command = [sys.executable, "-m", "dataaudit", "audit", "--history", str(history), "--no-embeddings", "--format", "json",
               "--dataset-name", "together"]
    processes = [subprocess.Popen(command[:4] + [str(p)] + command[4:] + ["--out", str(tmp_path / f"o{i}")], cwd=ROOT,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for i, p in enumerate(paths)]
    errors = [p.communicate(timeout=300)[1].decode() for p in processes]
    assert all(p.returncode in (1, 3) for p in processes), errors
    runs = load_runs(history, "together")
    assert len(runs) == 2
    assert {r["figures"]["records"] for r in runs} == {60}


def test_multi_file_audit_breaks_figures_down_per_batch_and_finds_cross_batch_duplicates(tmp_path):
    one = batch(tmp_path / "b1.jsonl", 1, 0.02, [1, 1, 1])
    rows = [json.loads(line) for line in one.read_text().splitlines()][:5]
    write_jsonl(tmp_path / "b2.jsonl", rows + [json.loads(line) for line in batch(tmp_path / "x.jsonl", 2, 0.02, [1, 1, 1]).read_text().splitlines()])
    out = tmp_path / "out"
    main(["audit", str(tmp_path / "b[12].jsonl"), "--no-embeddings", "--out", str(out), "--format", "json"])
    report = json.loads((out / "report.json").read_text())
    per_file = {p["file"].split("/")[-1]: p for p in report["per_file"]}
    assert set(per_file) == {"b1.jsonl", "b2.jsonl"}
    assert per_file["b2.jsonl"]["cross_batch_duplicates"] == 5 and per_file["b1.jsonl"]["cross_batch_duplicates"] == 0
    assert per_file["b1.jsonl"]["krippendorff_alpha"] is not None
    files = {g["files"][0].split("/")[-1] for g in report["checks"]["duplicates"]["exact_groups"]}
    assert any(len(g["files"]) == 2 for g in report["checks"]["duplicates"]["exact_groups"]), files


def test_history_and_compare_commands(tmp_path, cache_dir, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "220")
    history = tmp_path / "history.db"
    one = batch(tmp_path / "b1.jsonl", 1, 0.02, [1, 1, 1])
    three = batch(tmp_path / "b3.jsonl", 3, 0.07, [3, 1, 1])
    audit_batch(one, history, tmp_path / "r1", cache_dir)
    audit_batch(three, history, tmp_path / "r3", cache_dir)
    capsys.readouterr()
    assert main(["history", str(history)]) == 0
    table = capsys.readouterr().out
    assert "tickets" in table and "krippendorff_alpha" in table
    # a dataset name the history does not hold: an empty table alone read as "no runs yet"
    assert main(["history", str(history), "--dataset-name", "nope"]) == 0
    said = capsys.readouterr().err.strip().splitlines()
    assert said == [f"dataaudit: note: {history} holds no finished run of dataset nope; the datasets it holds: tickets"]
    assert main(["compare", str(tmp_path / "r1" / "report.json"), str(tmp_path / "r3" / "report.json"), "--out", str(tmp_path / "cmp")]) == 0
    result = json.loads((tmp_path / "cmp" / "compare.json").read_text())
    assert {c["figure"] for c in result["changes"]} >= {"krippendorff_alpha", "label_share:billing"}
    assert "krippendorff\\_alpha" in (tmp_path / "cmp" / "compare.md").read_text()  # Markdown-escaped
    same = json.loads((tmp_path / "r1" / "report.json").read_text())
    assert compare_reports(same, same)["changes"] == [] and compare_reports(same, same)["regressions"] == []
    assert main(["history", str(tmp_path / "none.db")]) == 2


def test_history_table_fits_80_columns_and_names_every_regression_under_it():
    from rich.console import Console

    from dataaudit.render.history import render_history

    regressions = [{"what": f"label_share:intent_number_{i}"} for i in range(6)]
    runs = [{"id": 1, "generated_at": "2026-12-06T21:54:00+00:00", "dataset": "nightly annotations", "verdict": "insufficient_evidence",
             "figures": {"usable": 2842, "krippendorff_alpha": 0.71, "covered_share": 0.9, "duplicate_share": 0.05}, "regressions": []},
            {"id": 2, "generated_at": "2026-12-07T21:54:00+00:00", "dataset": "nightly annotations", "verdict": "not_ready",
             "figures": {"usable": 2842}, "regressions": regressions}]
    console = Console(width=80, record=True, color_system=None)
    render_history(runs, "h.sqlite", console)
    lines = console.export_text().splitlines()
    assert max(len(line) for line in lines) <= 80
    header = next(line for line in lines if "run" in line and "verdict" in line)
    assert header.split() == ["run", "time", "dataset", "verdict", "usable", "alpha", "covered", "dup", "regressions"]
    row_two = next(line for line in lines if line.split()[:1] == ["2"])
    assert row_two.split()[-1] == "6" and "0.71" in "\n".join(lines) and "evidence" in "\n".join(lines)
    named = " ".join(lines[lines.index(next(line for line in lines if line.startswith("run 2 regressions:"))):])
    assert all(r["what"] in named.replace(" \n", "") for r in regressions)


def test_compare_fails_on_regression_when_asked_and_says_when_the_datasets_differ(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")

    def report(name: str, billing: int):
        rows = [{"text": f"ticket {i} about {name}", "label": "billing" if i < billing else "returns"} for i in range(40)]
        path = write_jsonl(tmp_path / f"{name}.jsonl", rows)
        out = tmp_path / f"r_{name}_{billing}"
        main(["audit", str(path), "--no-embeddings", "--format", "json", "--out", str(out)])
        return out / "report.json"

    before, after, other = report("tickets", 20), report("tickets", 35), report("orders", 20)
    capsys.readouterr()
    assert main(["compare", str(before), str(after)]) == 0
    assert main(["compare", str(before), str(after), "--fail-on-regression"]) == 1
    assert main(["compare", str(before), str(before), "--fail-on-regression"]) == 0
    assert "different datasets" not in capsys.readouterr().out
    assert main(["compare", str(before), str(other), "--out", str(tmp_path / "cmp")]) == 0
    assert "note the reports are of different datasets (tickets, orders)" in " ".join(capsys.readouterr().out.split())
    result = json.loads((tmp_path / "cmp" / "compare.json").read_text())
    assert result["datasets"] == {"before": "tickets", "after": "orders"} and "different datasets" in result["note"]
    assert "**Note:** the reports are of different datasets" in (tmp_path / "cmp" / "compare.md").read_text()


def test_a_regression_fails_the_run_even_when_the_verdict_is_not_enough_evidence(tmp_path, cache_dir):
    history = tmp_path / "history.db"
    config = tmp_path / "dataaudit.toml"
    # Every condition that could fail is out of scope and coverage is unknown (no production sample), so the
    # verdict is "not enough evidence" (3) however far alpha falls
    config.write_text('task_type = "format"\ndataset_name = "tickets"\n'
                      '[conditions]\nskip = { consistency = "-", hygiene = "-", scale = "-" }\n')
    common = ["--config", str(config), "--history", str(history), "--format", "json", "--cache-dir", str(cache_dir), "--no-embeddings"]
    careful = batch(tmp_path / "careful.jsonl", 1, 0.0, [1, 1, 1])
    careless = batch(tmp_path / "careless.jsonl", 2, 0.6, [1, 1, 1])
    assert main(["audit", str(careful), *common, "--out", str(tmp_path / "r1")]) == 3
    assert main(["audit", str(careless), *common, "--out", str(tmp_path / "r2"), "--fail-on-regression"]) == 1
    report = json.loads((tmp_path / "r2" / "report.json").read_text())
    assert report["verdict"]["status"] == "insufficient_evidence" and report["verdict"]["exit_code"] == 1
    assert any(r["what"] == "krippendorff_alpha" for r in report["regressions"])


def test_history_counts_every_conflict_not_the_listed_ones():
    from dataaudit.history.regressions import key_figures

    report = {"checks": {"duplicates": {"conflict_count": 240, "conflicts": [{}] * 200, "leak_count": 7, "leakage": [{}] * 5}},
              "verdict": {"conditions": []}}
    assert (key_figures(report)["conflicts"], key_figures(report)["leaked"]) == (240, 7)
    older = {"checks": {"duplicates": {"conflicts": [{}] * 3}}, "verdict": {}}  # a report from before the counts
    assert key_figures(older)["conflicts"] == 3


def test_a_run_that_held_no_records_is_no_baseline_and_moves_no_label_share(tmp_path):
    from dataaudit.config import HistoryConfig
    from dataaudit.history.regressions import find_regressions
    from dataaudit.history.store import record_run

    def run(examples: int, shares: dict, alpha) -> dict:
        return {"dataset": "project", "generated_at": f"2026-12-0{examples % 9 + 1}T00:00:00+00:00", "config": {},
                "inputs": [{"role": "train", "path": "ls/projects/7", "sha256": "x"}],
                "checks": {"format": {"records": 534}, "size": {"examples": examples}, "balance": {"shares": shares} if shares else None,
                           "agreement": {"krippendorff_alpha": alpha} if alpha is not None else None},
                "verdict": {"status": "not_ready", "conditions": []}}

    history = tmp_path / "history.db"
    assert record_run(history, run(267, {"entail": 0.6, "no": 0.4}, 0.29)).compared_with is None  # the first run
    assert record_run(history, run(0, {}, None)).regressions == []  # nothing new: no share "fell to 0"
    recorded = record_run(history, run(266, {"entail": 0.58, "no": 0.42}, 0.05))
    assert [r["what"] for r in recorded.regressions] == ["krippendorff_alpha"]  # compared with the batch that held records
    assert recorded.compared_with == run(267, {}, None)["generated_at"]
    shifted = find_regressions({"label_shares": {"a": 0.5}}, {"label_shares": {"a": 0.4496}}, HistoryConfig())
    assert shifted[0]["detail"] == "moved by -5.04 points (bound 5.00 points)"


def test_since_last_starts_where_the_previous_export_ended(tmp_path, monkeypatch):
    """The window of --since-last starts at the newest answer the previous run's export held (the tool's clock),
    not when that run's report was written: answers made while it ran belong to the next batch."""
    from dataaudit.sources import label_studio

    tasks = json.loads((ROOT / "tests" / "fixtures" / "annotation_tools" / "label_studio.json").read_text())
    first_day = [t for t in tasks if all(a["created_at"] < "2026-11-02" for a in t["annotations"])]
    exports = iter([first_day, tasks])

    def fetch(url, project, **_):
        body = next(exports)
        return label_studio.Export(label_studio.project_source(url, project), body, f"sha-{len(body)}")

    monkeypatch.setattr(label_studio, "fetch_export", fetch)
    common = ["audit", "--label-studio", "http://ls.test", "--project", "7", "--since-last", "--history", str(tmp_path / "h.db"),
              "--no-embeddings", "--format", "json"]
    assert main([*common, "--out", str(tmp_path / "r1")]) in (0, 1, 3)
    assert main([*common, "--out", str(tmp_path / "r2")]) in (0, 1, 3)
    first = json.loads((tmp_path / "r1" / "report.json").read_text())
    second = json.loads((tmp_path / "r2" / "report.json").read_text())
    newest_first = max(a["created_at"] for t in first_day for a in t["annotations"])
    later = [t for t in tasks if any(a["created_at"] > newest_first and not a["ground_truth"] and not a["was_cancelled"]
                                     for a in t["annotations"])]
    assert first["checks"]["size"]["examples"] == len(first_day) and len(later) > 0
    assert second["checks"]["size"]["examples"] == len(later)  # the report of run 1 was written in December: all of them


def test_since_last_with_nothing_new_is_not_enough_evidence(tmp_path, monkeypatch):
    from dataaudit.sources import label_studio

    tasks = json.loads((ROOT / "tests" / "fixtures" / "annotation_tools" / "label_studio.json").read_text())
    monkeypatch.setattr(label_studio, "fetch_export",
                        lambda url, project, **_: label_studio.Export(label_studio.project_source(url, project), tasks, "sha"))
    common = ["audit", "--label-studio", "http://ls.test", "--project", "7", "--since-last", "--history", str(tmp_path / "h.db"),
              "--no-embeddings", "--format", "json"]
    main([*common, "--out", str(tmp_path / "r1")])
    assert main([*common, "--out", str(tmp_path / "r2"), "--fail-on-regression"]) == 3
    report = json.loads((tmp_path / "r2" / "report.json").read_text())
    scale = next(c for c in report["verdict"]["conditions"] if c["id"] == "scale")
    assert scale["status"] == "unknown" and scale["summary"].startswith("no records to judge")
    assert report.get("regressions", []) == []


def test_compare_refuses_what_is_not_a_report_in_one_line(tmp_path, capsys):
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"checks": {"format": {"records": 3}}, "verdict": {"status": "ready", "conditions": []}}))
    latin = tmp_path / "latin.json"
    latin.write_bytes('{"dataset": "caf\xe9"}'.encode("latin-1"))
    wrong_types = tmp_path / "types.json"
    wrong_types.write_text('{"verdict": 1, "checks": []}')
    odd_sections = tmp_path / "sections.json"
    odd_sections.write_text('{"verdict": {"conditions": 5}, "checks": {"format": 3, "duplicates": []}}')
    bom = tmp_path / "bom.json"
    bom.write_bytes(b"\xef\xbb\xbf" + good.read_bytes())
    # A field compare reads, of a type no report writes: named in one line, whichever side it is on.
    edited = {}
    for name, field, value in (("config", "config", 1.5), ("status", "verdict.conditions", [{"id": "scale", "status": ["pass"]}]),
                               ("id", "verdict.conditions", [{"id": 3, "status": "pass"}]),
                               ("share", "checks.balance", {"shares": {"a": "0.5"}})):
        data = json.loads(good.read_text())
        section, _, key = field.rpartition(".")
        (data[section] if section else data)[key] = value
        edited[name] = tmp_path / f"{name}.json"
        edited[name].write_text(json.dumps(data))
    for bad, needle in ((latin, "not UTF-8 text"), (wrong_types, "expected an object with 'verdict' and 'checks' objects"),
                        (odd_sections, "(verdict.conditions is a number, not a list)"),
                        (edited["config"], "not a dataaudit report.json (config is a number, not an object)"),
                        (edited["status"], "(verdict.conditions[0].status is a list, not text)"),
                        (edited["id"], "(verdict.conditions[0].id is a number, not text)"),
                        (edited["share"], "(checks.balance.shares['a'] is text, not a number)")):
        for pair in ([good, bad], [bad, good]):
            capsys.readouterr()
            assert main(["compare", *map(str, pair)]) == 2
            err = capsys.readouterr().err
            assert needle in err and str(bad) in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert main(["compare", str(good), str(bom)]) == 0


def test_a_run_with_nothing_to_compare_says_so(tmp_path):
    history = tmp_path / "history.db"
    common = ["--history", str(history), "--format", "json", "--no-embeddings"]
    first, second = batch(tmp_path / "2026-11-01.jsonl", 1, 0.0, [1, 1, 1]), batch(tmp_path / "2026-11-02.jsonl", 2, 0.5, [1, 1, 1])
    for path, out in ((first, "r1"), (second, "r2")):  # each named after its file: two datasets
        main(["audit", str(path), *common, "--out", str(tmp_path / out)])
    warned = json.loads((tmp_path / "r2" / "report.json").read_text())["warnings"]
    assert any("no earlier run of dataset '2026-11-02'" in w and "--dataset-name" in w for w in warned)
    main(["audit", str(second), *common, "--dataset-name", "2026-11-01", "--out", str(tmp_path / "r3")])
    report = json.loads((tmp_path / "r3" / "report.json").read_text())
    assert not any("no earlier run" in w for w in report["warnings"])
    assert any(r["what"] == "krippendorff_alpha" for r in report["regressions"])


def test_a_new_batch_is_judged_on_its_own_alpha_not_only_the_cumulative_one(tmp_path):
    """Ten careful batches and a careless eleventh: the cumulative alpha barely moves, the new file's falls."""
    careful = [batch(tmp_path / f"b{i}.jsonl", i, 0.05, [1, 1, 1]) for i in range(1, 11)]
    careless = batch(tmp_path / "b11.jsonl", 11, 0.25, [1, 1, 1])
    history = tmp_path / "history.db"
    config = tmp_path / "dataaudit.toml"
    config.write_text('task_type = "format"\ndataset_name = "tickets"\n')
    common = ["--config", str(config), "--history", str(history), "--format", "json", "--no-embeddings"]
    main(["audit", *map(str, careful), *common, "--out", str(tmp_path / "r0")])
    main(["audit", *map(str, careful + [careless]), *common, "--out", str(tmp_path / "r1")])
    before = json.loads((tmp_path / "r0" / "report.json").read_text())["checks"]["agreement"]["krippendorff_alpha"]
    report = json.loads((tmp_path / "r1" / "report.json").read_text())
    after = report["checks"]["agreement"]["krippendorff_alpha"]
    newest = next(f for f in report["per_file"] if f["file"] == str(careless))["krippendorff_alpha"]
    assert before - after < 0.05 < before - newest  # the cumulative figure hides what the new file shows
    (regression,) = [r for r in report["regressions"] if r["what"].startswith("krippendorff_alpha")]
    # kept unrounded, as the report's own unrounded figures, so that it is shown rounded once, as they are
    unrounded_before = json.loads((tmp_path / "r0" / "report.json").read_text())["checks"]["agreement"]["krippendorff_alpha_unrounded"]
    unrounded_newest = next(f for f in report["per_file"] if f["file"] == str(careless))["krippendorff_alpha_unrounded"]
    assert (round(unrounded_before, 4), round(unrounded_newest, 4)) == (before, newest)
    assert regression == {"what": f"krippendorff_alpha:{careless}", "before": unrounded_before, "now": unrounded_newest,
                          "detail": f"this new file's alpha is {before - newest:.3f} below the last run's (bound 0.05)"}


def test_history_and_compare_terminal_output_mask_personal_data_in_dataset_names():
    from rich.console import Console

    from dataaudit.render.compare import render_comparison_terminal
    from dataaudit.render.history import render_history

    name = "team alice.smith@example.com 4111 1111 1111 1111\x1b[2J"
    runs = [{"id": 1, "generated_at": "2026-12-06T21:54:00+00:00", "dataset": name, "verdict": "ready", "figures": {},
             "regressions": [{"what": "label_share:bob@evil-label.com"}]}]
    console = Console(width=200, record=True, color_system=None)
    render_history(runs, "h.sqlite", console)
    result = compare_reports({"dataset": name, "generated_at": "a"}, {"dataset": "other", "generated_at": "b"})
    render_comparison_terminal(result, console)
    shown = console.export_text()
    assert "alice.smith" not in shown and "4111 1111" not in shown and "bob@evil" not in shown and "\x1b" not in shown
    assert "team <EMAIL ….com #7dcd> <CREDIT_CARD …1111>\\x1b[2J" in shown  # the history row
    assert "(team <EMAIL ….com #7dcd> <CREDIT_CARD …1111>\\x1b[2J, other)" in shown.replace("\n", "")  # the compare note
    assert "run 1 regressions: label_share:<EMAIL ….com #a97a>" in shown


def test_a_nightly_glob_keeps_one_dataset_name_however_many_files_it_matches(tmp_path):
    """The README's cron line: night 1 matches one batch, night 2 two; both are the folder's dataset, so night 2
    is compared with night 1 (named after the one file, night 1 met nothing the next night)."""
    folder = tmp_path / "batches"
    folder.mkdir()
    history = tmp_path / "history.db"
    pattern = str(folder / "2026-11-*.jsonl")
    common = ["--history", str(history), "--format", "json", "--no-embeddings", "--task-type", "format"]
    batch(folder / "2026-11-01.jsonl", 1, 0.05, [1, 1, 1])
    main(["audit", pattern, *common, "--out", str(tmp_path / "r1")])
    batch(folder / "2026-11-02.jsonl", 2, 0.05, [1, 1, 1])
    main(["audit", pattern, *common, "--out", str(tmp_path / "r2")])
    first, second = (json.loads((tmp_path / r / "report.json").read_text()) for r in ("r1", "r2"))
    assert first["dataset"] == second["dataset"] == "batches"
    assert not any("no earlier run" in w for w in second["warnings"])  # compared with night 1
    assert [run["dataset"] for run in load_runs(history)] == ["batches", "batches"]
    # A name given still wins; one file named on its own is still named after itself.
    main(["audit", pattern, *common, "--dataset-name", "tickets", "--out", str(tmp_path / "r3")])
    main(["audit", str(folder / "2026-11-01.jsonl"), *common, "--out", str(tmp_path / "r4")])
    assert [json.loads((tmp_path / r / "report.json").read_text())["dataset"] for r in ("r3", "r4")] == ["tickets", "2026-11-01"]


def test_compare_judges_by_the_baselines_bounds_and_a_skipped_condition(tmp_path, capsys):
    """A pull request's own config can neither loosen the bounds it is judged by nor skip a failing condition."""
    rows = [{"text": f"ticket {i} about billing", "label": "billing" if i % 2 else "returns"} for i in range(60)]
    data = write_jsonl(tmp_path / "t.jsonl", rows)
    fewer = write_jsonl(tmp_path / "pr.jsonl", rows[:40])
    loose = tmp_path / "loose.toml"
    loose.write_text("[history]\nmax_usable_drop = 100000\n[conditions]\nskip = { scale = \"later\" }\n")
    common = ["--no-embeddings", "--task-type", "format", "--format", "json"]
    main(["audit", str(data), *common, "--out", str(tmp_path / "base")])
    main(["audit", str(fewer), *common, "--config", str(loose), "--dataset-name", "t", "--out", str(tmp_path / "pr")])
    capsys.readouterr()
    code = main(["compare", str(tmp_path / "base" / "report.json"), str(tmp_path / "pr" / "report.json"),
                 "--fail-on-regression", "--out", str(tmp_path / "cmp")])
    result = json.loads((tmp_path / "cmp" / "compare.json").read_text())
    assert code == 1
    found = {r["what"]: r for r in result["regressions"]}
    assert found["usable"]["before"] > found["usable"]["now"]  # judged by the baseline's bound (0), not 100000
    assert found["condition:scale"]["now"] == "not judged"
    assert "the two reports' [history] bounds differ: the first report's are applied" in result["note"]


def _history_of_one_run(folder):
    from tests.conftest import SAMPLE

    history = folder / "h.sqlite"
    assert main(["audit", str(SAMPLE / "support_tickets.jsonl"), "--no-embeddings", "--no-cache", "--format", "json",
                 "--history", str(history), "--out", str(folder / "out")]) in (0, 1, 3)
    return history


def test_listing_a_history_never_writes_to_it(tmp_path):
    import sqlite3

    history = _history_of_one_run(tmp_path)
    with sqlite3.connect(history) as connection:  # as a history written before the marker was: listing once added it
        connection.execute("PRAGMA journal_mode=DELETE")
        connection.execute("PRAGMA application_id = 0")
    before = history.read_bytes()
    runs = load_runs(history)
    assert len(runs) == 1 and history.read_bytes() == before


def _as_another_user(tmp_path):
    """(command prefix, folder): as root, which every permission lets through, the command runs as nobody (setpriv)
    in a folder that account can reach; otherwise as the user, in tmp_path."""
    import os
    import shutil
    import tempfile

    if os.geteuid() != 0:
        return [], tmp_path
    if shutil.which("setpriv") is None:
        pytest.skip("run as root and no setpriv to drop to another account")
    folder = tempfile.mkdtemp(prefix="dataaudit-perm-")
    os.chmod(folder, 0o755)
    return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"], __import__("pathlib").Path(folder)


def test_a_history_the_user_may_read_but_not_write_is_listed_and_recording_to_it_says_so(tmp_path):
    import os
    import shutil

    from tests.conftest import SAMPLE

    prefix, place = _as_another_user(tmp_path)
    try:
        folder = place / "ro"
        folder.mkdir()
        history = _history_of_one_run(folder)  # a WAL history: a reader needs a -shm file it cannot make here
        shutil.rmtree(folder / "out")
        if prefix:
            os.chown(folder, 65534, 65534)
            os.chown(history, 65534, 65534)
        history.chmod(0o444)
        folder.chmod(0o555)
        env = {**os.environ, "HOME": str(place), "XDG_CACHE_HOME": str(place / "cache"), "COLUMNS": "160"}
        listed = subprocess.run([*prefix, sys.executable, "-m", "dataaudit", "history", str(history)], capture_output=True,
                                text=True, cwd=ROOT, env=env, timeout=120)
        assert listed.returncode == 0, listed.stderr
        assert "support_tickets" in listed.stdout
        recorded = subprocess.run([*prefix, sys.executable, "-m", "dataaudit", "audit", str(SAMPLE / "support_tickets.jsonl"),
                                   "--no-embeddings", "--no-cache", "--format", "json", "--history", str(history)],
                                  capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
        assert recorded.returncode == 2
        assert recorded.stderr.strip().splitlines()[-1] == (
            f"dataaudit: error: cannot write to history {history} (permission denied), so no report was written; use a history file you can write to")
    finally:
        folder.chmod(0o755)
        if place != tmp_path:
            shutil.rmtree(place)


def test_a_history_on_a_full_disk_is_named_as_such_and_a_new_one_is_not_left_empty(tmp_path):
    import resource

    from tests.conftest import SAMPLE

    def tiny_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))  # as `ulimit -f 1`: a write past 1 KB fails (EFBIG)

    existing = _history_of_one_run(tmp_path)
    for history in (tmp_path / "new.sqlite", existing):
        result = subprocess.run([sys.executable, "-m", "dataaudit", "audit", str(SAMPLE / "support_tickets.jsonl"), "--no-embeddings",
                                 "--no-cache", "--format", "json", "--history", str(history)],
                                capture_output=True, text=True, cwd=ROOT, preexec_fn=tiny_files, timeout=120)
        assert result.returncode == 2
        last = result.stderr.strip().splitlines()[-1]
        assert last.startswith(f"dataaudit: error: cannot write to history {history} (disk I/O error") and "--history at" not in last
    assert not (tmp_path / "new.sqlite").exists() and len(load_runs(existing)) == 1


def test_a_history_that_is_a_device_is_refused_as_one_not_as_a_full_disk(tmp_path, capsys):
    import os

    if not os.path.exists("/dev/null"):
        pytest.skip("needs /dev/null")
    history = tmp_path / "h.sqlite"
    history.symlink_to("/dev/null")
    from tests.conftest import SAMPLE

    assert main(["audit", str(SAMPLE / "support_tickets.jsonl"), "--no-embeddings", "--no-cache", "--format", "json",
                 "--history", str(history)]) == 2
    assert f"{history}: is not a regular file (a device, FIFO or socket)" in capsys.readouterr().err
    assert os.path.exists("/dev/null")


def test_an_unfinished_run_is_no_baseline_and_not_listed_until_confirmed_and_old_histories_gain_the_column(tmp_path):
    # The CLI records a run before it writes the reports; killed in between (SIGKILL, the OOM killer) the run
    # was the next night's baseline though nobody could read its reports.
    import sqlite3

    from dataaudit.history.store import confirm_run, last_run_time, record_run

    def run(when: str, alpha: float) -> dict:
        return {"dataset": "tickets", "generated_at": when, "config": {},
                "inputs": [{"role": "train", "path": "t.jsonl", "sha256": "x"}],
                "checks": {"format": {"records": 300}, "size": {"examples": 300}, "agreement": {"krippendorff_alpha": alpha}},
                "verdict": {"status": "ready", "conditions": []}}

    history = tmp_path / "history.db"
    first = record_run(history, run("2026-12-01T00:00:00+00:00", 0.85))
    killed = record_run(history, run("2026-12-02T00:00:00+00:00", 0.30), unfinished=True)
    assert [r["generated_at"] for r in load_runs(history)] == ["2026-12-01T00:00:00+00:00"]
    assert last_run_time(history, "tickets") == "2026-12-01T00:00:00+00:00"
    third = record_run(history, run("2026-12-03T00:00:00+00:00", 0.84), unfinished=True)
    assert third.compared_with == "2026-12-01T00:00:00+00:00" and third.regressions == []  # not the killed run's 0.30
    confirm_run(history, third.run_id)
    assert [r["id"] for r in load_runs(history)] == [first.run_id, third.run_id] and killed.run_id not in {first.run_id, third.run_id}

    old = tmp_path / "old.db"  # a history written before runs could be unfinished
    record_run(old, run("2026-12-01T00:00:00+00:00", 0.85))
    with sqlite3.connect(old) as connection:
        connection.execute("ALTER TABLE runs DROP COLUMN complete")
    assert len(load_runs(old)) == 1  # read as it is, every run finished
    assert record_run(old, run("2026-12-02T00:00:00+00:00", 0.84)).compared_with == "2026-12-01T00:00:00+00:00"
    assert len(load_runs(old)) == 2


def test_the_cli_confirms_its_run_once_the_reports_are_written(tmp_path, capsys):
    import sqlite3

    data = write_jsonl(tmp_path / "t.jsonl", [{"text": f"ticket about item {i}", "label": "a" if i % 2 else "b"} for i in range(40)])
    history = tmp_path / "history.db"
    assert main(["audit", str(data), "--no-embeddings", "--history", str(history), "--out", str(tmp_path / "out")]) in (0, 1, 3)
    with sqlite3.connect(history) as connection:
        assert connection.execute("SELECT complete FROM runs").fetchall() == [(1,)]


def test_listing_leaves_no_log_files_beside_the_history(tmp_path):
    # mode=ro on a WAL history made -wal and -shm files owned by whoever listed it: in a shared folder another
    # account's listing then broke the owner's nightly audits ("permission denied") until someone removed them.
    from dataaudit.history.store import record_run

    history = tmp_path / "h.db"
    record_run(history, {"dataset": "d", "generated_at": "2026-12-01T00:00:00+00:00", "config": {},
                         "inputs": [{"role": "train", "path": "t.jsonl", "sha256": "x"}],
                         "checks": {"format": {"records": 3}, "size": {"examples": 3}}, "verdict": {"status": "ready", "conditions": []}})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["h.db"]
    assert len(load_runs(history)) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["h.db"]


def test_a_run_stopped_after_its_reports_while_the_summary_is_drawn_is_no_baseline(tmp_path, capsys, monkeypatch):
    import os
    import signal

    import dataaudit.render.terminal

    def killed(*_, **__):
        os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(dataaudit.render.terminal, "render_terminal", killed)
    data = write_jsonl(tmp_path / "t.jsonl", [{"text": f"ticket about item {i}", "label": "a" if i % 2 else "b"} for i in range(40)])
    history = tmp_path / "history.db"
    assert main(["audit", str(data), "--no-embeddings", "--history", str(history), "--out", str(tmp_path / "out")]) == 143
    assert load_runs(history) == []  # exit 143 says it did not finish: no baseline for the next night


def test_compare_reads_a_label_one_side_lacks_as_0_percent_there():
    def report(shares: dict) -> dict:
        return {"dataset": "d", "generated_at": "2026-12-01T00:00:00+00:00", "config": {}, "inputs": [],
                "checks": {"format": {"records": 100}, "size": {"examples": 100}, "balance": {"shares": shares}},
                "verdict": {"status": "ready", "conditions": []}}

    result = compare_reports(report({"yes": 0.6, "no": 0.4}), report({"yes": 0.55, "no": 0.4, "unsure": 0.05}))
    assert {"figure": "label_share:unsure", "before": 0.0, "after": 0.05} in result["changes"]


def test_a_history_that_cannot_be_written_when_the_run_is_marked_finished_says_the_reports_exist(tmp_path, monkeypatch):
    import sqlite3

    from dataaudit.errors import InputError
    from dataaudit.history import store

    class FullDisk:  # the connection opened; the disk filled before the update
        def __enter__(self):
            error = sqlite3.OperationalError("database or disk is full")
            error.sqlite_errorname = "SQLITE_FULL"
            raise error

        def __exit__(self, *exc):
            return False

        def close(self):
            pass

    history = tmp_path / "h.db"
    run = store.record_run(history, {"dataset": "d", "generated_at": "2026-12-01T00:00:00+00:00", "config": {},
                                     "inputs": [{"role": "train", "path": "t.jsonl", "sha256": "x"}],
                                     "checks": {"format": {"records": 3}, "size": {"examples": 3}},
                                     "verdict": {"status": "ready", "conditions": []}}, unfinished=True)
    monkeypatch.setattr(store, "_connect", lambda path, **_: FullDisk())
    with pytest.raises(InputError, match=r"\(database or disk is full\): the reports were written, but this run is not recorded"):
        store.confirm_run(history, run.run_id)


def test_the_report_names_the_run_its_regressions_were_judged_against(tmp_path, capsys):
    history = tmp_path / "history.db"
    first = write_jsonl(tmp_path / "b1.jsonl", [{"text": f"ticket about item {i}", "label": "a" if i % 2 else "b"} for i in range(60)])
    second = write_jsonl(tmp_path / "b2.jsonl", [{"text": f"ticket about item {i}", "label": "a" if i % 5 else "b"} for i in range(60)])
    for path, out in ((first, "r1"), (second, "r2")):
        main(["audit", str(path), "--no-embeddings", "--history", str(history), "--dataset-name", "nightly",
              "--format", "json,md", "--out", str(tmp_path / out)])
    one, two = (json.loads((tmp_path / out / "report.json").read_text()) for out in ("r1", "r2"))
    assert one["compared_with"] is None and two["compared_with"] == one["generated_at"]
    assert two["regressions"] and "Compared with the run of " + one["generated_at"].replace("+", "\\+") in (tmp_path / "r2" / "report.md").read_text()


def test_history_on_a_folder_says_it_is_one(tmp_path, capsys):
    assert main(["history", str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip() == f"dataaudit: error: {tmp_path}: is a directory, not a history file"


def test_compare_and_the_history_keep_alpha_as_the_report_shows_it():
    """Two runs whose alphas (0.74342, 0.74338) both read 0.7434: no change to list, no 16-digit float stored; the
    unrounded alphas are kept apart, for the regression check alone."""
    def report(unrounded: float) -> dict:
        return {"generated_at": "t", "verdict": {"status": "ready", "conditions": []},
                "checks": {"agreement": {"krippendorff_alpha": round(unrounded, 4), "krippendorff_alpha_unrounded": unrounded}}}

    result = compare_reports(report(0.74342), report(0.74338))
    assert [c["figure"] for c in result["changes"]] == [] and result["regressions"] == []
    figures = key_figures(report(0.7434211))
    assert (figures["krippendorff_alpha"], figures["krippendorff_alpha_unrounded"]) == (0.7434, 0.7434211)
    # figures recorded before the unrounded alpha was kept are judged by the rounded one
    old = {k: v for k, v in figures.items() if k != "krippendorff_alpha_unrounded"}
    assert find_regressions(old, key_figures(report(0.6)), HistoryConfig())[0]["detail"] == "dropped by 0.143 (bound 0.05)"


HOSTILE_LABEL = "\x1b]0;REGLABEL\x07<svg onload=alert(1)> dave.reg@example.net"


def _run_with_labels(when: str, shares: dict[str, float]) -> dict:
    return {"dataset": "tickets", "generated_at": when, "config": {},
            "inputs": [{"role": "train", "path": "t.jsonl", "sha256": "x"}],
            "checks": {"format": {"records": 300}, "size": {"examples": 300}, "balance": {"shares": shares}},
            "per_file": [{"file": "t.jsonl", "labelled": 300, "label_shares": shares}],
            "verdict": {"status": "ready", "conditions": []}}


def test_the_history_keeps_label_names_masked_as_report_json_does_and_still_matches_them_run_to_run(tmp_path):
    from dataaudit.history.store import record_run
    from dataaudit.render.json_report import _safe

    history = tmp_path / "history.db"
    record_run(history, _run_with_labels("2026-12-01T00:00:00+00:00", {"billing": 1.0}))
    grown = record_run(history, _run_with_labels("2026-12-02T00:00:00+00:00", {"billing": 0.8, HOSTILE_LABEL: 0.2}),
                       fail_on_regression=False)  # a new label accepted: this run is the next one's baseline
    steady = record_run(history, _run_with_labels("2026-12-03T00:00:00+00:00", {"billing": 0.79, HOSTILE_LABEL: 0.21}))
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("history.db*"))  # the write-ahead log too
    for raw in (b"dave.reg", b"example.net", b"REGLABEL\x07", b"\x1b]0;"):
        assert raw not in stored
    shown_as = _safe({HOSTILE_LABEL: 0})  # the key report.json's checks.balance.shares has
    (masked,) = shown_as
    assert masked == "\\x1b]0;REGLABEL\\x07<svg onload=alert(1)> <EMAIL ….net #7830>"
    assert [r["what"] for r in grown.regressions] == [f"label_share:{masked}", "label_share:billing"]
    assert steady.regressions == []  # the masked key of this run matches the last run's
    (last,) = load_runs(history)[-1:]
    assert last["figures"]["label_shares"] == {"billing": 0.79, masked: 0.21}
    assert last["figures"]["file_label_shares"]["t.jsonl"]["shares"] == {"billing": 0.79, masked: 0.21}


def test_a_history_written_with_raw_label_names_is_still_the_baseline_of_a_masked_run(tmp_path):
    import sqlite3

    from dataaudit.history.store import record_run

    history = tmp_path / "history.db"
    record_run(history, _run_with_labels("2026-12-01T00:00:00+00:00", {"billing": 0.8, HOSTILE_LABEL: 0.2}))
    with sqlite3.connect(history) as connection:  # as histories before masking kept it
        masked_row = connection.execute("SELECT figures FROM runs").fetchone()[0]
        figures = json.loads(masked_row)
        figures["label_shares"] = {"billing": 0.8, HOSTILE_LABEL: 0.2}
        connection.execute("UPDATE runs SET figures = ?", (json.dumps(figures),))
    assert record_run(history, _run_with_labels("2026-12-02T00:00:00+00:00", {"billing": 0.8, HOSTILE_LABEL: 0.2})).regressions == []


def _gate_run(when: str, usable: int, *, config: dict | None = None, conditions: dict | None = None,
              paths: tuple[str, ...] = ("t.jsonl",), dataset: str = "tickets", sha256: str = "x") -> dict:
    return {"dataset": dataset, "generated_at": when, "config": config or {},
            "inputs": [{"role": "train", "path": p, "sha256": sha256} for p in paths],
            "checks": {"format": {"records": 300}, "size": {"examples": 300}, "duplicates": {"usable": usable}},
            "verdict": {"status": "ready", "conditions": [{"id": k, "status": v} for k, v in ({"scale": "pass"} if conditions is None else conditions).items()]}}


def test_a_run_that_failed_its_regression_gate_is_no_baseline_so_the_rerun_fails_again(tmp_path):
    # "Re-run failed jobs" or the next night's cron compared with the failed run and passed: the gate fired once.
    from dataaudit.history.store import record_run

    history = tmp_path / "history.db"
    base = record_run(history, _gate_run("2026-12-01T00:00:00+00:00", 300), fail_on_regression=True)
    failed = record_run(history, _gate_run("2026-12-02T00:00:00+00:00", 150), fail_on_regression=True)
    rerun = record_run(history, _gate_run("2026-12-03T00:00:00+00:00", 150), fail_on_regression=True)
    assert [r["what"] for r in failed.regressions] == ["usable"]
    assert [(r["what"], r["before"], r["now"]) for r in rerun.regressions] == [("usable", 300, 150)]
    assert rerun.compared_with == "2026-12-01T00:00:00+00:00" and rerun.baseline_id == base.run_id
    listed = {r["id"]: r for r in load_runs(history)}
    assert (listed[failed.run_id]["baseline_id"], listed[failed.run_id]["failed_gate"]) == (base.run_id, True)
    assert (listed[base.run_id]["baseline_id"], listed[base.run_id]["failed_gate"]) == (None, False)
    # Without the gate a run is the baseline whatever it found: how a change is accepted on purpose.
    accepted = record_run(history, _gate_run("2026-12-04T00:00:00+00:00", 150), fail_on_regression=False)
    assert [r["what"] for r in accepted.regressions] == ["usable"] and not load_runs(history)[-1]["failed_gate"]
    after = record_run(history, _gate_run("2026-12-05T00:00:00+00:00", 150), fail_on_regression=True)
    assert after.regressions == [] and after.baseline_id == accepted.run_id
    # Not told (an older caller): a run with regressions is no baseline, as under the gate.
    told_nothing = record_run(history, _gate_run("2026-12-06T00:00:00+00:00", 100))
    assert record_run(history, _gate_run("2026-12-07T00:00:00+00:00", 100)).baseline_id == after.run_id != told_nothing.run_id


def test_since_last_after_a_failed_gate_starts_where_the_baseline_left_off_so_the_failed_batch_is_read_again(tmp_path):
    # The window started after the failed run: the re-run read nothing new, exited 3 (which CI lets pass) and the
    # failed batch was never audited again.
    from dataaudit.history.store import last_run_time, record_run

    history = tmp_path / "history.db"
    record_run(history, _gate_run("2026-12-01T09:00:00+00:00", 300), answers_until="2026-12-01T08:00:00+00:00",
               fail_on_regression=True)
    failed = record_run(history, _gate_run("2026-12-02T09:00:00+00:00", 150), answers_until="2026-12-02T08:00:00+00:00",
                        fail_on_regression=True)
    assert [r["what"] for r in failed.regressions] == ["usable"]
    assert last_run_time(history, "tickets") == "2026-12-01T08:00:00+00:00"
    # A run accepted without the gate moves the window on, regressions and all.
    record_run(history, _gate_run("2026-12-03T09:00:00+00:00", 150), answers_until="2026-12-03T08:00:00+00:00",
               fail_on_regression=False)
    assert last_run_time(history, "tickets") == "2026-12-03T08:00:00+00:00"


def test_a_condition_skipped_in_the_config_fails_every_gated_run_not_just_the_first(tmp_path):
    from dataaudit.history.store import record_run

    history = tmp_path / "history.db"
    record_run(history, _gate_run("2026-12-01T00:00:00+00:00", 300, conditions={"scale": "fail"}))
    skip = {"conditions": {"skip": {"scale": "later"}}}
    for day in ("02", "03"):
        run = record_run(history, _gate_run(f"2026-12-{day}T00:00:00+00:00", 300, config=skip, conditions={}), fail_on_regression=True)
        assert [(r["what"], r["now"]) for r in run.regressions] == [("condition:scale", "not judged")]
        assert run.compared_with == "2026-12-01T00:00:00+00:00"


def test_regressions_across_a_config_change_or_another_project_say_so_and_are_kept(tmp_path):
    from dataaudit.history.store import record_run

    history = tmp_path / "history.db"
    record_run(history, _gate_run("2026-12-01T00:00:00+00:00", 300, conditions={"scale": "pass"}))
    loose = {"size": {"min_examples_classification": 100}}
    changed = record_run(history, _gate_run("2026-12-02T00:00:00+00:00", 300, config=loose, conditions={"scale": "fail"}),
                         fail_on_regression=True)
    (regression,) = changed.regressions
    assert regression["what"] == "condition:scale" and regression["detail"] == (
        "got worse (compared across a config change: size.min_examples_classification (a figure may have moved with these "
        "settings, not with the data))")
    assert changed.notes == regression["notes"] and load_runs(history)[-1]["notes"] == changed.notes
    assert len(changed.notes) == 1

    # Two projects both named after their folder "batches" (a/batches, b/batches) in one history.
    shared = tmp_path / "shared.db"
    record_run(shared, _gate_run("2026-12-01T00:00:00+00:00", 300, paths=("a/batches/b1.jsonl",), dataset="batches"))
    other = record_run(shared, _gate_run("2026-12-02T00:00:00+00:00", 150, paths=("b/batches/b1.jsonl",), dataset="batches",
                                         sha256="other bytes"))
    assert [r["what"] for r in other.regressions] == ["usable"]
    assert other.notes == ["no input file or folder in common with the baseline run, which read a/batches/b1.jsonl: another "
                           "project named 'batches' in this history? Give each project its own --dataset-name (dataset_name "
                           "in the config) or history file"]
    # A name given on purpose, or the next batch in the same folder, is no other project; a change of files is still said.
    named = record_run(shared, _gate_run("2026-12-03T00:00:00+00:00", 150, paths=("c/x.jsonl",), dataset="batches",
                                         config={"dataset_name": "batches"}), fail_on_regression=False)
    assert named.notes[0].startswith("compared with a run of other input files (1 added, 1 gone since the baseline, which read ")
    assert len(named.notes) == 1  # dataset_name, the one setting changed, moves no figure


def _moved_run(when: str, folder: str, hashes: tuple[str, str] = ("h1", "h2")) -> dict:
    files = [f"{folder}/b1.csv", f"{folder}/b2.csv"]
    run = _gate_run(when, 600, paths=tuple(files), dataset="live")
    run["inputs"] = [{"role": "train", "path": p, "sha256": h} for p, h in zip(files, hashes)]
    run["checks"]["balance"] = {"shares": {"a": 0.5, "b": 0.5}, "labelled": 600}
    # each batch far from the whole mix: judged as a new file, each would be a label_share regression
    run["per_file"] = [{"file": files[0], "labelled": 300, "label_shares": {"a": 0.1, "b": 0.9}},
                       {"file": files[1], "labelled": 300, "label_shares": {"a": 0.9, "b": 0.1}}]
    return run


def test_a_moved_project_is_recognised_by_its_file_hashes_not_taken_for_another_project(tmp_path):
    # mv A/live M/live: the same names and bytes were "another project named 'live'", and every batch was judged
    # as new since the last run.
    from dataaudit.history.compare import compare_reports
    from dataaudit.history.store import record_run

    history = tmp_path / "history.db"
    base = _moved_run("2026-12-01T00:00:00+00:00", "A/live")
    record_run(history, base, fail_on_regression=True)
    moved = _moved_run("2026-12-02T00:00:00+00:00", "M/live")
    run = record_run(history, moved, fail_on_regression=True)
    assert run.regressions == []
    assert run.notes == ["input files moved since the baseline (A/live/b1.csv is now M/live/b1.csv and 1 more, the same "
                         "names and bytes): compared as the same files"]
    compared = compare_reports(base, moved)
    assert compared["regressions"] == [] and compared["note"] == run.notes[0]
    # other bytes under the same names are other files: another project, its batches judged as new
    other = record_run(history, _moved_run("2026-12-03T00:00:00+00:00", "B/live", hashes=("h3", "h4")), fail_on_regression=True)
    assert other.notes[0].startswith("no input file or folder in common with the baseline run")
    assert sorted(r["what"] for r in other.regressions) == ["label_share:a:B/live/b1.csv", "label_share:a:B/live/b2.csv",
                                                           "label_share:b:B/live/b1.csv", "label_share:b:B/live/b2.csv"]


def test_a_config_change_note_names_the_settings_that_changed_and_ignores_those_that_move_no_figure(tmp_path):
    # Every history was noted "compared across a config change" for a new batch size, cache folder or engine.
    import copy
    import sqlite3

    from dataaudit.config import Config
    from dataaudit.history.store import record_run

    full = Config().to_dict()
    history = tmp_path / "history.db"
    record_run(history, _gate_run("2026-12-01T00:00:00+00:00", 300, config=full), fail_on_regression=True)
    plumbing = copy.deepcopy(full)
    plumbing["embeddings"].update(batch_size=64, cache_dir="/mnt/shared", device="cuda", cache_format="parquet")
    plumbing["engine"]["name"] = "ray"
    plumbing["history"]["max_usable_drop"] = 10
    plumbing["economics"]["monthly_calls"] = 5000
    plumbing["dataset_name"] = "tickets"
    plumbing["duplicates"]["max_groups_listed"] = 5  # a cap on what is listed: every count comes from the whole lists
    plumbing["pii"]["max_listed"] = 3
    same = record_run(history, _gate_run("2026-12-02T00:00:00+00:00", 150, config=plumbing), fail_on_regression=False)
    assert same.notes == [] and [r["what"] for r in same.regressions] == ["usable"]
    measured = copy.deepcopy(plumbing)
    measured["size"]["min_examples_classification"] = 100
    measured["label_noise"]["folds"] = 3
    changed = record_run(history, _gate_run("2026-12-03T00:00:00+00:00", 100, config=measured), fail_on_regression=True)
    assert changed.notes == ["compared across a config change: label_noise.folds, size.min_examples_classification (a figure "
                             "may have moved with these settings, not with the data)"]
    assert changed.regressions[0]["detail"] == f"fell by 50 (bound 10) ({changed.notes[0]})"

    # A run recorded before settings were kept one by one holds a hash of its whole config: said only where it differs.
    old = tmp_path / "old.db"
    first = record_run(old, _gate_run("2026-12-01T00:00:00+00:00", 300, config=full), fail_on_regression=True)
    with sqlite3.connect(old) as connection:
        (figures,) = connection.execute("SELECT figures FROM runs WHERE id = ?", (first.run_id,)).fetchone()
        older = {k: v for k, v in json.loads(figures).items() if k != "config_settings"}
        import hashlib

        whole = hashlib.sha256(json.dumps(full, sort_keys=True).encode()).hexdigest()[:16]
        connection.execute("UPDATE runs SET figures = ?, config_hash = ? WHERE id = ?", (json.dumps(older), whole, first.run_id))
    connection.close()
    unchanged = record_run(old, _gate_run("2026-12-02T00:00:00+00:00", 300, config=full), fail_on_regression=False)
    assert unchanged.baseline_id == first.run_id and unchanged.notes == []
    with sqlite3.connect(old) as connection:
        connection.execute("DELETE FROM runs WHERE id = ?", (unchanged.run_id,))
    connection.close()
    moved = record_run(old, _gate_run("2026-12-02T00:00:00+00:00", 300, config=measured), fail_on_regression=False)
    assert moved.baseline_id == first.run_id and moved.notes == [
        "config may differ (older history): the baseline run kept only a hash of its whole config, which differs from this "
        "run's (a setting that moves no figure changes it too)"]


def test_compare_names_the_settings_two_reports_differ_in():
    from dataaudit.config import Config

    full = Config().to_dict()
    base = _gate_run("2026-12-01T00:00:00+00:00", 300, config=full)
    other = json.loads(json.dumps(base))
    other["config"]["embeddings"]["batch_size"] = 8
    assert compare_reports(base, other)["note"] == ""
    other["config"]["agreement"]["reliable_alpha"] = 0.7
    assert compare_reports(base, other)["note"] == ("compared across a config change: agreement.reliable_alpha (a figure may "
                                                    "have moved with these settings, not with the data)")


def test_compare_says_when_two_reports_of_one_name_differ_in_config_model_or_files():
    base = _gate_run("2026-12-01T00:00:00+00:00", 300, paths=("a/batches/b1.jsonl",), dataset="batches")
    same = compare_reports(base, base)
    assert same["note"] == ""
    other = _gate_run("2026-12-02T00:00:00+00:00", 300, paths=("b/batches/b1.jsonl",), dataset="batches",
                      config={"embeddings": {"model": "other-model"}}, sha256="other bytes")
    other["checks"]["embeddings"] = {"model": "other-model"}
    base["checks"]["embeddings"] = {"model": "all-MiniLM-L6-v2"}
    note = compare_reports(base, other)["note"]
    assert "no input file or folder in common with the baseline run, which read a/batches/b1.jsonl" in note
    assert "--dataset-name" in note
    # the model is said once, as each run resolved it ("" and its default name are one model), not as a setting
    assert "compared across an embedding model change (all-MiniLM-L6-v2 then, other-model now)" in note
    assert "compared across a config change" not in note


def _corrupt_history(folder):
    """A history whose first page is intact and the rest overwritten (a torn copy, a bad disk)."""
    from dataaudit.history.store import record_run

    history = folder / "garbage_tail.db"
    for day in range(1, 6):
        record_run(history, _gate_run(f"2026-12-0{day}T00:00:00+00:00", 300 + day), fail_on_regression=False)
    good = history.read_bytes()
    history.write_bytes(good[:4096] + random.Random(7).randbytes(20000))
    return history


def test_a_corrupt_history_is_refused_in_one_line_and_left_as_it_was(tmp_path, capsys):
    history = _corrupt_history(tmp_path)
    before = history.read_bytes()
    assert main(["history", str(history)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "internal error" not in err
    # its header marks it as a history: damaged, not "name a dataaudit history file"
    assert f"{history}: is a damaged SQLite database (" in err and "restore it from a copy" in err
    data = write_jsonl(tmp_path / "t.jsonl", [{"text": f"ticket {i} about billing", "label": "billing" if i % 2 else "returns"}
                                              for i in range(40)])
    assert main(["audit", str(data), "--no-embeddings", "--no-cache", "--history", str(history), "--out", str(tmp_path / "o")]) == 2
    assert f"{history}: is a damaged SQLite database (" in capsys.readouterr().err
    assert history.read_bytes() == before  # the marker and the table were written and committed before the damage showed
    assert not (tmp_path / "o").exists()


def test_a_locked_history_says_it_is_locked_and_to_retry_not_to_name_another_file(tmp_path, monkeypatch):
    import sqlite3

    from dataaudit.errors import InputError
    from dataaudit.history import store

    history = tmp_path / "history.db"
    store.record_run(history, _gate_run("2026-12-01T00:00:00+00:00", 300))
    monkeypatch.setattr(store, "LOCK_TIMEOUT_S", 0.05)
    holder = sqlite3.connect(history, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        with pytest.raises(InputError) as raised:
            store.record_run(history, _gate_run("2026-12-02T00:00:00+00:00", 300))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    message = str(raised.value)
    assert message.startswith(f"history {history} is locked by another process") and "retry" in message
    assert "name a dataaudit history file" not in message
    assert len(load_runs(history)) == 1  # the baseline is where it was


def test_listing_a_device_says_what_it_is_not_that_it_is_missing(tmp_path, capsys):
    assert main(["history", "/dev/null"]) == 2
    err = capsys.readouterr().err
    assert "/dev/null: is not a regular file (a device, FIFO or socket)" in err and "no such" not in err


def test_the_first_run_warning_does_not_ask_for_a_dataset_name_already_given(tmp_path):
    data = write_jsonl(tmp_path / "t.jsonl", [{"text": f"ticket {i} about billing", "label": "billing" if i % 2 else "returns"}
                                              for i in range(40)])
    warnings = {}
    for named, extra in (("named", ["--dataset-name", "tickets"]), ("unnamed", [])):
        out = tmp_path / named
        main(["audit", str(data), "--no-embeddings", "--no-cache", "--format", "json", "--history", str(tmp_path / f"{named}.db"),
              "--out", str(out), *extra])
        (warnings[named],) = [w for w in json.loads((out / "report.json").read_text())["warnings"] if "nothing was compared" in w]
    assert warnings["named"].endswith("so nothing was compared (the first run under this name)")
    assert "--dataset-name" in warnings["unnamed"]


def test_the_cli_gates_only_with_the_flag_so_a_run_without_it_accepts_the_change(tmp_path, capsys):
    """--fail-on-regression is passed to the history: a gated run with regressions is no baseline (its re-run fails
    again); a run without the flag is the next baseline whatever it found (a change accepted on purpose)."""
    history = tmp_path / "history.db"
    full = write_jsonl(tmp_path / "full.jsonl", [{"text": f"ticket about item {i}", "label": "a" if i % 2 else "b"} for i in range(120)])
    half = write_jsonl(tmp_path / "half.jsonl", [{"text": f"ticket about item {i}", "label": "a" if i % 2 else "b"} for i in range(60)])

    def run(path, *flags):
        main(["audit", str(path), "--no-embeddings", "--history", str(history), "--dataset-name", "nightly",
              "--format", "json", "--out", str(tmp_path / "out"), *flags])
        return json.loads((tmp_path / "out" / "report.json").read_text())

    base = run(full)
    gated = run(half, "--fail-on-regression")
    again = run(half, "--fail-on-regression")
    assert [r["what"] for r in gated["regressions"]] == ["usable"] == [r["what"] for r in again["regressions"]]
    assert again["compared_with"] == base["generated_at"]  # the failed run is no baseline
    accepted = run(half)  # without the flag: found, listed, and the next baseline
    assert [r["what"] for r in accepted["regressions"]] == ["usable"]
    after = run(half, "--fail-on-regression")
    assert after["regressions"] == [] and after["compared_with"] == accepted["generated_at"]


def test_an_old_raw_label_history_is_masked_with_this_runs_phone_regions(tmp_path):
    """The baseline's label names were masked with the default regions and this run's with `[pii] phone_regions`,
    so one label got two keys: a false share regression, the number written out in it."""
    import sqlite3

    from dataaudit.history.store import record_run

    label = "call 030 12345678"
    history = tmp_path / "h.db"

    def run(when: str) -> dict:
        shares = {"billing": 0.5, label: 0.5}
        return {"dataset": "tickets", "generated_at": when, "config": {"pii": {"phone_regions": ["DE"]}},
                "inputs": [{"role": "train", "path": "t.jsonl", "sha256": "x"}],
                "checks": {"format": {"records": 300}, "size": {"examples": 300}, "balance": {"shares": shares}},
                "per_file": [{"file": "t.jsonl", "labelled": 300, "label_shares": shares}],
                "verdict": {"status": "ready", "conditions": []}}

    record_run(history, run("2026-12-01T00:00:00+00:00"))
    with sqlite3.connect(history) as connection:  # as a history written before label names were masked holds it
        figures = json.loads(connection.execute("SELECT figures FROM runs").fetchone()[0])
        figures["label_shares"] = {"billing": 0.5, label: 0.5}
        figures["file_label_shares"]["t.jsonl"]["shares"] = {"billing": 0.5, label: 0.5}
        connection.execute("UPDATE runs SET figures = ?", (json.dumps(figures),))
    assert record_run(history, run("2026-12-02T00:00:00+00:00")).regressions == []


def test_the_history_table_says_what_each_run_was_judged_against_and_which_failed_its_gate():
    from rich.console import Console

    from dataaudit.render.history import render_history

    runs = [{"id": 1, "generated_at": "2026-12-01T00:00:00+00:00", "dataset": "nightly", "verdict": "ready", "figures": {},
             "regressions": [], "baseline_id": None, "failed_gate": False, "notes": []},
            {"id": 2, "generated_at": "2026-12-02T00:00:00+00:00", "dataset": "nightly", "verdict": "not_ready", "figures": {},
             "regressions": [{"what": "usable"}], "baseline_id": 1, "failed_gate": True,
             "notes": ["compared across a config change (the baseline's config differs)"]}]
    console = Console(width=200, record=True, color_system=None)
    render_history(runs, "h.db", console)
    shown = console.export_text()
    assert "run 2 regressions (against run 1): usable; failed its gate, so no baseline" in shown
    assert "run 2 note: compared across a config change (the baseline's config differs)" in shown
    assert "run 1 regressions" not in shown and "run 1 note" not in shown


def test_a_new_checks_listing_caps_are_not_measured_settings(add_check):
    """store.NOT_MEASURED named each check's listing caps by hand: a new check's max_listed counted as a setting
    that moves a figure, so lowering it noted every next run "compared across a config change"."""
    import copy

    from dataaudit.config import Config
    from dataaudit.history.store import changed_settings, measured_settings

    add_check(UNDER_TEST, under_test(SHOUTING_RECIPE.replace("from dataaudit.checks.base", "from dataaudit.config import listing_cap\nfrom dataaudit.checks.base")
              .replace("    max_share: float = 0.2  #", "    max_listed: int = 20\n    examples_shown: int = listing_cap(5)\n    max_share: float = 0.2  #")))
    before = Config().to_dict()
    settings = measured_settings(before)
    assert f"{UNDER_TEST}.max_share" in settings and f"{UNDER_TEST}.max_listed" not in settings and f"{UNDER_TEST}.examples_shown" not in settings
    assert "pii.max_listed" not in settings and "label_noise.suspects_limit" not in settings and "label_noise.folds" in settings
    now = copy.deepcopy(before)
    now[UNDER_TEST].update(max_listed=3, examples_shown=1)
    assert changed_settings(settings, measured_settings(now)) == []
    now[UNDER_TEST]["max_share"] = 0.5
    assert changed_settings(settings, measured_settings(now)) == [f"{UNDER_TEST}.max_share"]


@pytest.mark.parametrize("text, said", [('{"verdict": "x",\n "a": tru}\n', "line 2, column 7: Expecting value"),
                                        ('{"verdict": "unclosed', "line 1, column 13: Unterminated string")])
def test_a_broken_report_json_is_named_with_its_line_and_column_in_plain_words(tmp_path, text, said):
    """Python's message ends in "starting at" / "at", which the reply cut off mid-phrase: "(line 1: Unterminated string
    starting at)"."""
    from dataaudit.errors import InputError
    from dataaudit.history.compare import read_report

    path = tmp_path / "report.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as raised:
        read_report(path)
    assert str(raised.value) == f"{path}: not a report.json ({said})"


def test_a_night_that_leaks_eval_records_fails_its_gate_and_is_no_baseline(tmp_path):
    from dataaudit.history.store import record_run

    def night(when: str, leaks: int) -> dict:
        run = _gate_run(when, 1176, paths=("live/b1.csv",))
        run["checks"]["duplicates"].update({"leak_count": leaks + 22, "semantic_leak_count": 22})
        return run

    history = tmp_path / "history.db"
    base = record_run(history, night("2026-12-01T00:00:00+00:00", 2), fail_on_regression=True)
    leaked = record_run(history, night("2026-12-02T00:00:00+00:00", 82), fail_on_regression=True)
    assert [(r["what"], r["before"], r["now"]) for r in leaked.regressions] == [("leaked_copies", 2, 82)]
    following = record_run(history, night("2026-12-03T00:00:00+00:00", 82), fail_on_regression=True)
    assert following.baseline_id == base.run_id and [r["what"] for r in following.regressions] == ["leaked_copies"]
    assert [r["failed_gate"] for r in load_runs(history)] == [False, True, True]
