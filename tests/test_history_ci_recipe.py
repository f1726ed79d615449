"""The README's GitHub Actions recipe carries the run history from one run to the next.

A checkout is fresh on every run: a recipe that passes --history with no step restoring and saving the file
makes every run a first run, and --fail-on-regression never fires."""

from __future__ import annotations

import re

from tests.conftest import ROOT


def _actions_recipe() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    (block,) = [b for b in re.findall(r"```yaml\n(.*?)```", text, re.S) if "--history" in b and "runs-on" in b]
    return block.splitlines()


def _step_index(lines: list[str], pattern: str) -> int:
    (index,) = [i for i, line in enumerate(lines) if re.search(pattern, line)]
    return index


def test_the_actions_recipe_restores_the_history_before_the_audit_and_saves_it_after_even_on_failure():
    lines = _actions_recipe()
    history = re.search(r"--history (\S+)", "\n".join(lines)).group(1)
    restore = _step_index(lines, r"uses: actions/cache/restore@")
    audit = _step_index(lines, r"run: dataaudit audit .*--fail-on-regression")
    save = _step_index(lines, r"uses: actions/cache/save@")
    assert restore < audit < save
    restore_with, save_with = lines[restore + 1], lines[save + 2]
    assert f"path: {history}" in restore_with and f"path: {history}" in save_with
    # a key of its own per run and attempt (a cache cannot be overwritten), found again by its prefix
    key = re.search(r"key: (.*?)\}$", save_with.strip()).group(1)
    assert key in restore_with and "github.run_id" in key and "github.run_attempt" in key
    prefix = re.search(r"restore-keys: (.*?)\}$", restore_with.strip()).group(1)
    assert key.startswith(prefix)
    assert lines[save + 1].strip() == "if: always()"  # actions/cache would save after a successful job only
    assert any(line.startswith("concurrency:") for line in lines)  # two runs from one history would lose one
