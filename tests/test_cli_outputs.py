"""The CLI's output paths: what may stand where a file is written, where a file may be written, and what stderr
says was written."""

from __future__ import annotations

import json
import os
import random
import stat

import pytest

from dataaudit.cli import main
from tests.conftest import write_jsonl
from tests.test_io import make_fifo, needs_fifo

NOT_REGULAR = "not a regular file (a device, FIFO or socket): name a file"


def _dataset(path, n=60):
    rng = random.Random(7)
    words = [f"w{i}" for i in range(300)]
    return write_jsonl(path, [{"text": " ".join(rng.sample(words, 8)), "label": "ab"[i % 2]} for i in range(n)])


@pytest.fixture
def no_audit(monkeypatch):
    """An audit that must not run: the refusal comes before it."""
    import dataaudit.api

    def audit(*args, **kwargs):
        raise AssertionError("the audit ran before its outputs were checked")

    monkeypatch.setattr(dataaudit.api, "audit", audit)


@needs_fifo
@pytest.mark.parametrize("flag, name", [("--suspects", "s.csv"), ("--timings", "t.json")])
def test_a_single_file_output_that_is_a_fifo_is_refused_before_the_audit(tmp_path, capsys, fifo_fds, no_audit, flag, name):
    data = _dataset(tmp_path / "train.jsonl")
    fifo = make_fifo(tmp_path / name, fifo_fds)
    assert main(["audit", str(data), "--no-embeddings", "--format", "json", flag, str(fifo)]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [f"dataaudit: error: {fifo}: {NOT_REGULAR} for {flag}"]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


@needs_fifo
def test_a_fifo_under_a_report_name_in_out_is_refused_before_the_audit(tmp_path, capsys, fifo_fds, no_audit):
    data = _dataset(tmp_path / "train.jsonl")
    out = tmp_path / "out"
    out.mkdir()
    fifo = make_fifo(out / "report.html", fifo_fds)  # a name this run (json only) would remove as stale
    assert main(["audit", str(data), "--no-embeddings", "--format", "json", "--out", str(out)]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [f"dataaudit: error: {fifo}: {NOT_REGULAR} for --out (report.html)"]
    assert os.listdir(out) == ["report.html"] and stat.S_ISFIFO(os.stat(fifo).st_mode)


@needs_fifo
@pytest.mark.parametrize("command", ["init", "redact", "dedup"])
def test_init_redact_and_dedup_refuse_a_fifo_as_their_file(tmp_path, capsys, fifo_fds, command):
    data = _dataset(tmp_path / "train.jsonl")
    fifo = make_fifo(tmp_path / "target.jsonl", fifo_fds)
    argv = {"init": ["init", str(fifo), "--force"], "redact": ["redact", str(data), "--out", str(fifo)],
            "dedup": ["dedup", str(data), "--out", str(fifo), "--no-embeddings"]}[command]
    assert main(argv) == 2
    assert capsys.readouterr().err.strip().splitlines() == [f"dataaudit: error: {fifo}: {NOT_REGULAR}"]
    assert sorted(os.listdir(tmp_path)) == ["target.jsonl", "train.jsonl"] and stat.S_ISFIFO(os.stat(fifo).st_mode)


@needs_fifo
def test_a_redact_list_that_would_be_a_fifo_is_refused_before_the_copy_is_written(tmp_path, capsys, fifo_fds):
    data = _dataset(tmp_path / "train.jsonl")
    fifo = make_fifo(tmp_path / "clean.jsonl.redacted.jsonl", fifo_fds)
    assert main(["redact", str(data), "--out", str(tmp_path / "clean.jsonl")]) == 2
    assert f"{fifo}: {NOT_REGULAR}" in capsys.readouterr().err
    assert not (tmp_path / "clean.jsonl").exists()


@needs_fifo
def test_compare_refuses_a_fifo_under_its_file_names_in_out(tmp_path, capsys, fifo_fds):
    reports = tmp_path / "reports"
    main(["audit", str(_dataset(tmp_path / "train.jsonl")), "--no-embeddings", "--format", "json", "--out", str(reports)])
    assert (reports / "report.json").is_file()
    out = tmp_path / "cmp"
    out.mkdir()
    fifo = make_fifo(out / "compare.md", fifo_fds)
    report = str(reports / "report.json")
    capsys.readouterr()
    assert main(["compare", report, report, "--out", str(out)]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [f"dataaudit: error: {fifo}: {NOT_REGULAR} for --out (compare.md)"]
    assert os.listdir(out) == ["compare.md"]


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="making a device node (mknod) needs root")
@pytest.mark.parametrize("flag", ["--suspects", "--timings"])
def test_a_device_node_named_as_an_output_is_left_a_device_when_running_as_root(tmp_path, capsys, flag):
    full = tmp_path / "t.full"
    os.mknod(full, 0o666 | stat.S_IFCHR, os.makedev(1, 7))  # a private /dev/full: "written" once replaced
    data = _dataset(tmp_path / "train.jsonl")
    assert main(["audit", str(data), "--no-embeddings", "--format", "json", flag, str(full)]) == 2
    assert f"{full}: {NOT_REGULAR} for {flag}" in capsys.readouterr().err
    assert stat.S_ISCHR(os.stat(full).st_mode) and os.stat(full).st_rdev == os.makedev(1, 7)


@pytest.mark.parametrize("flag, name", [("--suspects", "s.csv"), ("--timings", "t.json")])
def test_a_single_file_output_inside_the_audited_folder_is_refused_before_the_audit(tmp_path, capsys, no_audit, flag, name):
    # written there, the next audit of the folder read s.csv or t.json as training data
    data = tmp_path / "data"
    data.mkdir()
    _dataset(data / "train.jsonl")
    assert main(["audit", str(data), "--no-embeddings", "--format", "json", flag, str(data / name)]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        f"dataaudit: error: {data / name}: {flag} is inside the input folder {data}, so the next audit of it would read "
        f"this file as training data; name a file outside it for {flag}"]
    assert os.listdir(data) == ["train.jsonl"]


def test_init_into_a_folder_writes_dataaudit_toml_inside_it_as_redact_out_does(tmp_path, capsys):
    # `init newdir/` wrote a file called newdir (the slash dropped), where `redact --out clean/` writes inside clean
    assert main(["init", f"{tmp_path / 'newdir'}/"]) == 0
    written = tmp_path / "newdir" / "dataaudit.toml"
    assert written.is_file() and "reliable_alpha = 0.800" in written.read_text()
    assert capsys.readouterr().out == f"wrote {written}\n"
    assert main(["init", str(tmp_path / "newdir")]) == 2  # an existing folder: the same file inside, not overwritten
    assert f"{written} exists (use --force to overwrite)" in capsys.readouterr().err


def test_without_the_terminal_format_stderr_still_names_the_report_files_and_json_on_stdout_is_unchanged(tmp_path, capsys):
    # a crontab's `--format json,md --out DIR` drew no summary and so named nothing it wrote
    data = _dataset(tmp_path / "train.jsonl")
    out = tmp_path / "out"
    code = main(["audit", str(data), "--no-embeddings", "--format", "json,md", "--out", str(out)])
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.strip().splitlines() == ["reports: " + ", ".join(str(out / name) for name in ("report.json", "report.md", "duplicates.jsonl"))]
    assert sorted(p.name for p in out.iterdir()) == ["duplicates.jsonl", "report.json", "report.md"]
    assert main(["audit", str(data), "--no-embeddings", "--format", "json"]) == code
    captured = capsys.readouterr()
    assert "reports:" not in captured.err
    assert json.loads(captured.out)["verdict"] == json.loads((out / "report.json").read_text())["verdict"]


def test_dedup_says_how_many_groups_kept_their_first_label_and_offers_drop_conflicts_only_without_it(tmp_path, monkeypatch, capsys):
    # The count holds reworded copies with another label too, which --drop-conflicts does not drop: it is
    # offered for the audit's conflicts only, and not again once given.
    from pathlib import Path

    import dataaudit.api
    from dataaudit.api import DedupCopy
    from dataaudit.fix.dedup import DedupSummary

    def dedup_keeping(count):
        def dedup(inputs, out, config, *, drop_conflicts, embed):
            return [DedupCopy(str(out), DedupSummary(10, 8, 2, Path(f"{out}.dropped.jsonl"), count, 0, 0))]
        return dedup

    source = tmp_path / "t.jsonl"
    source.write_text('{"text": "a", "label": "x"}\n')
    for count, flags, said in [
            (3, [], "3 groups of copies with different labels kept the first record's label; their dropped copies are "
                    "listed with conflicting_labels; review them (--drop-conflicts drops every record of the audit's "
                    "conflicts instead)"),
            (1, ["--drop-conflicts"], "1 group of copies with different labels kept the first record's label; their "
                                      "dropped copies are listed with conflicting_labels; review it")]:
        monkeypatch.setattr(dataaudit.api, "dedup", dedup_keeping(count))
        assert main(["dedup", str(source), "--out", str(tmp_path / "c.jsonl"), "--no-embeddings", *flags]) == 0
        assert capsys.readouterr().out.splitlines()[-1] == said
    monkeypatch.setattr(dataaudit.api, "dedup", dedup_keeping(0))
    assert main(["dedup", str(source), "--out", str(tmp_path / "c.jsonl"), "--no-embeddings"]) == 0
    assert "different labels" not in capsys.readouterr().out
