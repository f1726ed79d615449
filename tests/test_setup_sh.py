"""setup.sh refuses a Python older than pyproject's requires-python before it makes .venv (the README promises
a .venv "with Python >= 3.11")."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT


def _old_python() -> str | None:
    """A Python older than 3.11 on this machine, if there is one (pyenv's or the system's)."""
    candidates = [*sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.*/bin/python3"))),
                  *(shutil.which(f"python3.{minor}") or "" for minor in range(6, 11))]
    for candidate in candidates:
        if not candidate:
            continue
        try:
            version = subprocess.run([candidate, "-c", "import sys; print(sys.version_info[:2] < (3, 11))"],
                                     capture_output=True, text=True, timeout=30).stdout.strip()
        except OSError:
            continue
        if version == "True":
            return candidate
    return None


def _run_setup(place: Path, python: str) -> subprocess.CompletedProcess:
    shutil.copy(ROOT / "setup.sh", place / "setup.sh")  # it works in its own folder: a copy makes no .venv here
    return subprocess.run(["bash", str(place / "setup.sh")], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHON": python})


def test_a_python_older_than_3_11_is_refused_naming_python_and_no_venv_is_made(tmp_path):
    old = _old_python()
    if old is None:
        pytest.skip("no Python older than 3.11 on this machine")
    result = _run_setup(tmp_path, old)
    assert result.returncode == 2
    assert result.stderr.startswith(f"setup.sh: {old} is Python 3.")
    assert result.stderr.rstrip().endswith("dataaudit needs >= 3.11: run PYTHON=/path/to/python3.11 ./setup.sh")
    assert not (tmp_path / ".venv").exists()


def test_a_missing_python_is_named(tmp_path):
    result = _run_setup(tmp_path, str(tmp_path / "no-python"))
    assert result.returncode == 2
    assert result.stderr == (f"setup.sh: {tmp_path / 'no-python'} not found; dataaudit needs Python >= 3.11: run "
                             "PYTHON=/path/to/python3.11 ./setup.sh\n")
    assert not (tmp_path / ".venv").exists()


def test_a_venv_made_with_an_old_python_is_refused_even_when_PYTHON_names_a_new_one(tmp_path):
    old = _old_python()
    if old is None:
        pytest.skip("no Python older than 3.11 on this machine")
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "python").symlink_to(old)
    # PYTHON passes the check (this interpreter runs the tests: >= 3.11), so the refusal is the old .venv's
    result = _run_setup(tmp_path, sys.executable)
    assert result.returncode == 2
    assert result.stderr == ("setup.sh: .venv was made with a Python older than 3.11; remove .venv and run "
                             "PYTHON=/path/to/python3.11 ./setup.sh\n")


def test_a_venv_made_with_a_new_python_passes_the_check_and_is_installed_into(tmp_path):
    """The passing case, without installing: .venv/bin/python is a stand-in that answers the version check with
    this (>= 3.11) interpreter and records each `-m pip install` instead of running it."""
    calls = tmp_path / "pip-calls"
    stand_in = tmp_path / ".venv" / "bin" / "python"
    stand_in.parent.mkdir(parents=True)
    stand_in.write_text(f'#!/bin/sh\nif [ "$1" = "-m" ]; then echo "$*" >> {calls}; exit 0; fi\nexec {sys.executable} "$@"\n')
    stand_in.chmod(0o755)
    result = _run_setup(tmp_path, sys.executable)
    assert (result.returncode, result.stderr) == (0, "")
    assert calls.read_text().splitlines() == [
        "-m pip install -q --disable-pip-version-check torch==2.13.0",
        "-m pip install -q --disable-pip-version-check -e .[test]"]
