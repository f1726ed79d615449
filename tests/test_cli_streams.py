"""cli: what reaches the standard streams when they close early, and how paths in messages are shown."""

from __future__ import annotations

import sys

import pytest

from dataaudit.cli import main
from tests.conftest import write_jsonl


class _ClosedPipe:
    """A stdout whose reader has gone (`| true`, `| head -1` once it has its line): every write is a broken pipe."""

    def __init__(self) -> None:
        self.tried = 0

    def write(self, text: str) -> int:
        self.tried += 1
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self) -> None:
        raise BrokenPipeError(32, "Broken pipe")

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        raise ValueError("no file descriptor")


def _report(tmp_path, billing: int):
    rows = [{"text": f"ticket {i} about tickets", "label": "billing" if i < billing else "returns"} for i in range(40)]
    path = write_jsonl(tmp_path / f"t{billing}.jsonl", rows)
    out = tmp_path / f"r{billing}"
    history = tmp_path / "h.db"
    assert main(["audit", str(path), "--no-embeddings", "--format", "json", "--out", str(out), "--history", str(history)]) in (0, 1, 3)
    return out / "report.json", history


def test_history_and_compare_keep_their_exit_code_when_stdout_closes_early(tmp_path, monkeypatch, capsys):
    # rich's own console turns a broken pipe into SystemExit(1): for compare "regressed", for history a failure.
    before, history = _report(tmp_path, 20)
    after, _ = _report(tmp_path, 35)
    capsys.readouterr()
    for argv, code in [(["history", str(history)], 0), (["compare", str(before), str(before), "--fail-on-regression"], 0),
                       (["compare", str(before), str(after), "--fail-on-regression"], 1), (["compare", str(before), str(after)], 0)]:
        closed = _ClosedPipe()
        monkeypatch.setattr(sys, "stdout", closed)
        returned = main(argv)
        monkeypatch.setattr(sys, "stdout", sys.__stdout__)
        assert (argv, returned, closed.tried >= 1) == (argv, code, True)
    assert capsys.readouterr().err == ""
