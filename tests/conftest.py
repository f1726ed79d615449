from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
SHARED = ROOT.parent / "shared" / "datasets"


def write_jsonl(path: Path, rows: list) -> Path:
    """rows: dicts (dumped as JSON) or raw strings (written as they are, for malformed lines)."""
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8")
    return path


def chat(user: str, assistant: str, system: str | None = "You are helpful.", **extra) -> dict:
    messages = ([{"role": "system", "content": system}] if system else []) + [
        {"role": "user", "content": user}, {"role": "assistant", "content": assistant}]
    return {"messages": messages, **extra}


def shared_dataset(name: str) -> Path:
    path = SHARED / name
    if not path.exists():
        pytest.skip(f"../shared/datasets/{name} is not beside the project (real-data test)")
    return path


@pytest.fixture(scope="session", autouse=True)
def _user_cache_in_a_temporary_folder(tmp_path_factory):
    """Audits that use the default cache folder (results, embeddings) write into a temporary one, never the
    user's; CLI subprocesses inherit it."""
    import os

    folder = tmp_path_factory.mktemp("user-cache")
    before = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(folder)
    yield folder
    if before is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = before


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("embedding-cache")


@pytest.fixture(scope="session")
def embedder(cache_dir):
    """The real default model, loaded once for the session; its cache lives in a temporary folder."""
    from dataaudit.embeddings import Embedder

    return Embedder(cache_dir=cache_dir)


@pytest.fixture
def add_check(tmp_path):
    """Registers check modules written on the fly, as a file dropped into dataaudit/checks/ is; gone after the test."""
    import sys

    from dataaudit import checks as checks_package
    from dataaudit.checks import all_checks

    folder = tmp_path / "plugin"
    folder.mkdir()
    original_path = list(checks_package.__path__)
    checks_package.__path__.append(str(folder))
    added: list[str] = []

    def add(name: str, source: str) -> None:
        (folder / f"{name}.py").write_text(source)
        added.append(f"dataaudit.checks.{name}")
        all_checks.cache_clear()

    try:
        yield add
    finally:
        checks_package.__path__[:] = original_path
        for module in added:
            sys.modules.pop(module, None)
        all_checks.cache_clear()


def noted_reuse(monkeypatch) -> list[int]:
    """The `reused` count of every kept search (search_memo.SearchMemo) run from here on, in order: 0 where a
    search ran whole."""
    from dataaudit import search_memo

    reused: list[int] = []
    search = search_memo.SearchMemo.search

    def noting_reuse(memo, *args):
        found = search(memo, *args)
        reused.append(memo.reused)
        return found

    monkeypatch.setattr(search_memo.SearchMemo, "search", noting_reuse)
    return reused


@pytest.fixture
def fifo_fds():
    """File descriptors a test opened on FIFOs (tests.test_io.make_fifo), closed after it."""
    import os

    opened: list[int] = []
    yield opened
    for fd in opened:
        os.close(fd)
