"""history/store: what may stand at a --history path is the one rule io.refuse_special_file holds."""

from __future__ import annotations

import os

import pytest

from dataaudit.errors import InputError
from dataaudit.history import store
from dataaudit.io import WriteError


def test_the_store_refuses_what_the_one_rule_refuses_in_its_own_words(tmp_path, monkeypatch):
    asked: list[str] = []

    def refuse(path, flag=""):
        asked.append(str(path))
        raise WriteError(f"{path}: refused by the rule")

    monkeypatch.setattr(store, "refuse_special_file", refuse)
    history = tmp_path / "history.sqlite"
    with pytest.raises(InputError) as raised:
        store._connect(history)
    assert asked == [str(history)] and not history.exists()
    assert str(raised.value) == (f"{history}: is not a regular file (a device, FIFO or socket); name a dataaudit "
                                 "history file or a new path instead")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_a_fifo_as_history_is_refused_and_left_a_fifo(tmp_path):
    import stat

    fifo = tmp_path / "history.sqlite"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match=r"is not a regular file \(a device, FIFO or socket\); name a dataaudit history"):
        store._connect(fifo)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def _run(dataset: str, when: str, alpha: float, path: str = "t.jsonl") -> dict:
    return {"dataset": dataset, "generated_at": when, "config": {},
            "inputs": [{"role": "train", "path": path, "sha256": "x"}],
            "checks": {"format": {"records": 300}, "size": {"examples": 300}, "agreement": {"krippendorff_alpha": alpha}},
            "verdict": {"status": "ready", "conditions": []}}


def test_a_name_read_from_a_non_utf8_file_name_is_recorded_listed_and_matched_with_its_earlier_runs(tmp_path):
    # b"\xfcber" (latin-1) as Python reads a file name: a surrogate escape, which SQLite refused ("surrogates not
    # allowed", an internal error) in the SELECT of the baseline and in load_runs.
    latin1 = b"\xfcber".decode("utf-8", "surrogateescape")
    history = tmp_path / "h.db"
    first = store.record_run(history, _run(latin1, "2026-12-01T00:00:00+00:00", 0.85, path=f"data/{latin1}.jsonl"))
    second = store.record_run(history, _run(latin1, "2026-12-02T00:00:00+00:00", 0.30, path=f"data/{latin1}.jsonl"))
    assert first.compared_with is None and second.baseline_id == first.run_id
    assert [r["what"] for r in second.regressions] == ["krippendorff_alpha"]
    runs = store.load_runs(history, latin1)
    assert [(r["id"], r["dataset"]) for r in runs] == [(first.run_id, "\\xfcber"), (second.run_id, "\\xfcber")]


def test_a_utf8_name_read_under_the_c_locale_matches_the_runs_recorded_under_utf8(tmp_path):
    # LC_ALL=C PYTHONUTF8=0 reads argv's "bä" as b"b\xc3\xa4" surrogate-escaped: the same name, the same runs.
    as_c_locale = "bä".encode().decode("ascii", "surrogateescape")
    history = tmp_path / "h.db"
    first = store.record_run(history, _run("bä", "2026-12-01T00:00:00+00:00", 0.85))
    second = store.record_run(history, _run(as_c_locale, "2026-12-02T00:00:00+00:00", 0.84))
    assert second.baseline_id == first.run_id
    assert [r["dataset"] for r in store.load_runs(history, as_c_locale)] == ["bä", "bä"]
    assert store.last_run_time(history, as_c_locale) == "2026-12-02T00:00:00+00:00"
    assert store.stored_text("plain name") == "plain name"


class _InterruptedConnection:
    """A real connection whose `PRAGMA application_id` is where Ctrl-C lands: between two statements of _connect."""

    def __init__(self, real) -> None:
        self.real = real
        self.closed = False

    def execute(self, sql, *args):
        if sql.startswith("PRAGMA application_id"):
            raise KeyboardInterrupt
        return self.real.execute(sql, *args)

    def close(self) -> None:
        self.closed = True
        self.real.close()


def test_an_interrupt_while_the_history_is_open_closes_it_and_leaves_no_wal_or_shm(tmp_path, monkeypatch):
    import sqlite3

    history = tmp_path / "h.db"
    store.record_run(history, _run("d", "2026-12-01T00:00:00+00:00", 0.85))  # a WAL history: opening it makes -wal, -shm
    opened: list[_InterruptedConnection] = []
    real_connect = sqlite3.connect

    def connect(*args, **kwargs):
        opened.append(_InterruptedConnection(real_connect(*args, **kwargs)))
        return opened[-1]

    monkeypatch.setattr(store.sqlite3, "connect", connect)
    for opening in (lambda: store.record_run(history, _run("d", "2026-12-02T00:00:00+00:00", 0.84)),
                    lambda: store.load_runs(history)):
        opened.clear()
        with pytest.raises(KeyboardInterrupt):
            opening()
        # the connections are still referenced here: they were closed, not collected
        assert opened and all(c.closed for c in opened)
        assert sorted(p.name for p in tmp_path.iterdir()) == ["h.db"]


def test_confirming_a_run_in_a_missing_history_or_a_run_it_does_not_hold_is_refused(tmp_path):
    history = tmp_path / "u.db"
    recorded = store.record_run(history, _run("u", "2026-12-01T00:00:00+00:00", 0.85), unfinished=True)
    assert store.load_runs(history) == []
    store.confirm_run(history, recorded.run_id)
    assert [r["id"] for r in store.load_runs(history)] == [recorded.run_id]
    with pytest.raises(InputError, match=r"u\.db: holds no run 999 to confirm"):
        store.confirm_run(history, 999)
    with pytest.raises(InputError, match=r"nope\.db: no such history file"):
        store.confirm_run(tmp_path / "nope.db", 1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["u.db"]  # no empty history made for it


def _sqlite_error(message: str, name: str):
    import sqlite3

    exc = sqlite3.OperationalError(message)
    exc.sqlite_errorname = name  # as SQLite names it on the exceptions it raises
    return exc


def test_listing_a_history_on_a_full_disk_names_the_disk_not_a_damaged_database(tmp_path, monkeypatch):
    # A WAL history's reader needs room for a -shm file: on a full disk SQLite says "disk I/O error", and the
    # listing called the intact history "not a usable SQLite database".
    import sqlite3

    history = tmp_path / "h.db"
    store.record_run(history, _run("d", "2026-12-01T00:00:00+00:00", 0.85))
    (tmp_path / "h.db-wal").write_bytes(b"")  # a run's log beside it: read with mode=ro, which needs the -shm

    def full(*args, **kwargs):
        raise _sqlite_error("disk I/O error", "SQLITE_IOERR_SHMSIZE")

    monkeypatch.setattr(store.sqlite3, "connect", full)
    with pytest.raises(InputError) as raised:
        store.load_runs(history)
    assert str(raised.value) == (f"cannot read history {history} (disk I/O error: a full disk or a file size limit "
                                 "(ulimit -f)): reading it needs room for a -shm file beside it; free some space or raise "
                                 "the limit (the history itself is kept as it was)")
    monkeypatch.setattr(store.sqlite3, "connect", sqlite3.connect)
    damaged = store._history_error(history, _sqlite_error("file is not a database", "SQLITE_NOTADB"), reading=True)
    assert "is not a usable SQLite database (file is not a database)" in str(damaged)  # a damaged file still said as one


def test_a_writable_history_in_a_folder_it_cannot_write_names_the_folder(tmp_path, monkeypatch):
    # SQLite writes -wal and -shm beside the history: "use a history file you can write to" sent the user to a
    # file that was writable already.
    history = tmp_path / "h.db"
    history.write_bytes(b"")
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: real_access(p, mode) and str(p) != str(tmp_path))
    refused = store._history_error(history, _sqlite_error("unable to open database file", "SQLITE_CANTOPEN"))
    assert str(refused) == (f"cannot write to history {history} (its folder {tmp_path} is not writable, and SQLite writes its "
                            "-wal and -shm files beside it), so no report was written; make that folder writable for this "
                            "user, or keep the history in a folder that is")
    monkeypatch.setattr(os, "access", lambda p, mode: real_access(p, mode) and str(p) != str(history))
    unwritable_file = store._history_error(history, _sqlite_error("attempt to write a readonly database", "SQLITE_READONLY"))
    assert str(unwritable_file).endswith("(permission denied), so no report was written; use a history file you can write to")


def test_a_truncated_history_is_called_damaged_by_the_listing_and_the_audit_and_left_as_it_was(tmp_path):
    # A partial CI-cache restore cuts the file short: its header and application_id survive, and SQLite says
    # "database disk image is malformed" when opening it. That was "name a dataaudit history file instead", as if the
    # user had named the wrong file.
    history = tmp_path / "h.db"
    for day in range(1, 30):
        store.record_run(history, _run("d", f"2026-12-{day:02d}T00:00:00+00:00", 0.85), fail_on_regression=False)
    whole = history.read_bytes()
    assert len(whole) > 8192
    history.write_bytes(whole[: len(whole) // 2])
    cut = history.read_bytes()
    with pytest.raises(InputError) as listed:
        store.load_runs(history)
    assert str(listed.value).startswith(f"{history}: is a damaged SQLite database (")
    assert str(listed.value).endswith("; restore it from a copy (a CI cache or artifact)")
    with pytest.raises(InputError) as recorded:
        store.record_run(history, _run("d", "2026-12-30T00:00:00+00:00", 0.85))
    assert str(recorded.value).startswith(f"{history}: is a damaged SQLite database (")
    assert str(recorded.value).endswith("; restore it from a copy (a CI cache or artifact) or name a new path, which starts "
                                        "a history with no baseline")
    assert history.read_bytes() == cut


def test_a_malformed_file_without_the_history_marker_is_still_no_history():
    # The damage reading is for a file marked as a history: another program's corrupt database is not ours to restore.
    refused = store._history_error("/nonexistent/x.db", _sqlite_error("database disk image is malformed", "SQLITE_CORRUPT"))
    assert str(refused) == ("/nonexistent/x.db: is not a usable SQLite database (database disk image is malformed); name a "
                            "dataaudit history file or a new path instead")
