"""io: atomic writes, and the one rule for what may stand where a file is written (no device, FIFO or socket)."""

from __future__ import annotations

import os
import stat
import sys

import pytest

from dataaudit.errors import InputError
from dataaudit import io
from dataaudit.io import WriteError, write_atomic, write_atomic_set

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")


def make_fifo(path, opened: list[int]):
    """A FIFO with its read end held open without blocking, so that a write that opened it by mistake would not
    hang the test (it would fail it: the FIFO must be left as it was). opened: the test closes these fds."""
    os.mkfifo(path)
    opened.append(os.open(path, os.O_RDONLY | os.O_NONBLOCK))
    return path


@needs_fifo
def test_a_fifo_where_a_file_is_written_is_refused_and_left_a_fifo(tmp_path, fifo_fds):
    fifo = make_fifo(tmp_path / "timings.json", fifo_fds)
    with pytest.raises(WriteError) as raised:
        write_atomic(fifo, "{}\n")
    assert str(raised.value) == f"{fifo}: not a regular file (a device, FIFO or socket): name a file"
    assert isinstance(raised.value, InputError)  # the CLI's exit 2; the API's input error
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert os.listdir(tmp_path) == ["timings.json"]  # nothing staged beside it


@needs_fifo
def test_a_set_with_one_fifo_among_its_files_or_removals_writes_and_removes_nothing(tmp_path, fifo_fds):
    (tmp_path / "report.json").write_text("old")
    make_fifo(tmp_path / "report.md", fifo_fds)
    with pytest.raises(WriteError, match=r"report\.md: not a regular file"):
        write_atomic_set([(tmp_path / "report.json", "new"), (tmp_path / "report.md", "new")])
    with pytest.raises(WriteError, match=r"report\.md: not a regular file"):
        write_atomic_set([(tmp_path / "report.json", "new")], remove=[tmp_path / "report.md"])
    assert (tmp_path / "report.json").read_text() == "old"
    assert stat.S_ISFIFO(os.stat(tmp_path / "report.md").st_mode)
    assert sorted(os.listdir(tmp_path)) == ["report.json", "report.md"]


@needs_fifo
def test_a_symlink_to_a_fifo_is_refused_and_a_dangling_one_or_a_regular_file_is_written(tmp_path, fifo_fds):
    fifo = make_fifo(tmp_path / "pipe", fifo_fds)
    link = tmp_path / "link.csv"
    link.symlink_to(fifo)
    with pytest.raises(WriteError, match="link.csv: not a regular file"):
        io.refuse_special_file(link, "--suspects")
    dangling = tmp_path / "dangling.csv"
    dangling.symlink_to(tmp_path / "gone")
    io.refuse_special_file(dangling)
    regular = tmp_path / "plain.csv"
    regular.write_text("x")
    assert write_atomic(regular, "y") == regular and regular.read_text() == "y"


@needs_fifo
def test_the_flag_is_named_when_given(tmp_path, fifo_fds):
    fifo = make_fifo(tmp_path / "s.csv", fifo_fds)
    with pytest.raises(WriteError) as raised:
        io.refuse_special_file(fifo, "--suspects")
    assert str(raised.value) == f"{fifo}: not a regular file (a device, FIFO or socket): name a file for --suspects"


@pytest.mark.skipif(sys.platform == "win32" or not hasattr(os, "geteuid") or os.geteuid() != 0,
                    reason="making a device node (mknod) needs root")
def test_a_device_node_is_not_renamed_away_when_running_as_root(tmp_path):
    null = tmp_path / "t.null"
    os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # a private /dev/null, never the real one
    with pytest.raises(WriteError, match="t.null: not a regular file"):
        write_atomic(null, "x")
    assert stat.S_ISCHR(os.stat(null).st_mode) and os.stat(null).st_rdev == os.makedev(1, 3)


@needs_fifo
def test_a_fifo_made_while_the_set_is_staged_is_refused_before_any_rename(tmp_path, fifo_fds, monkeypatch):
    staged = io._stage
    report, late = tmp_path / "report.json", tmp_path / "report.md"
    report.write_text("old\n")

    def stage_then_fifo(path, payload):
        tmp = staged(path, payload)
        if path == late:  # after the first check, as another process might
            make_fifo(late, fifo_fds)
        return tmp

    monkeypatch.setattr(io, "_stage", stage_then_fifo)
    with pytest.raises(WriteError, match=r"report.md: not a regular file \(a device, FIFO or socket\)"):
        write_atomic_set([(report, "new\n"), (late, "# new\n")])
    assert report.read_text() == "old\n" and stat.S_ISFIFO(os.lstat(late).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json", "report.md"]  # no staged file left


@needs_fifo
def test_a_fifo_made_at_a_removed_name_while_the_set_is_staged_is_left_and_the_old_set_whole(tmp_path, fifo_fds, monkeypatch):
    """The check before renaming covered the files written, not the ones removed: a FIFO made at report.md
    during staging was unlinked (second review)."""
    (tmp_path / "report.json").write_text("old")
    real_stage = io._stage

    def stage_then_race(path, payload):
        staged = real_stage(path, payload)
        make_fifo(tmp_path / "report.md", fifo_fds)  # appears after the first check, before the renames
        return staged

    monkeypatch.setattr(io, "_stage", stage_then_race)
    with pytest.raises(WriteError, match=r"report\.md: not a regular file"):
        write_atomic_set([(tmp_path / "report.json", "new")], remove=[tmp_path / "report.md"])
    assert stat.S_ISFIFO(os.stat(tmp_path / "report.md").st_mode) and (tmp_path / "report.json").read_text() == "old"
    assert sorted(os.listdir(tmp_path)) == ["report.json", "report.md"]
