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
