#!/usr/bin/env bash
# Creates .venv with dataaudit and its dependencies. torch==2.13.0 goes in first: the CPU build of that
# version is what these machines carry, and an unpinned torch would pull gigabytes of CUDA packages.
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}
# pyproject.toml says requires-python >= 3.11; an older python3 would make a .venv pip then refuses to install into.
too_old() { ! "$1" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; }
if ! command -v "$PY" >/dev/null 2>&1; then
    echo "setup.sh: $PY not found; dataaudit needs Python >= 3.11: run PYTHON=/path/to/python3.11 ./setup.sh" >&2
    exit 2
fi
if too_old "$PY"; then
    echo "setup.sh: $PY is Python $("$PY" -c 'import platform; print(platform.python_version())' 2>/dev/null || echo '(unknown version)'), and dataaudit needs >= 3.11: run PYTHON=/path/to/python3.11 ./setup.sh" >&2
    exit 2
fi
if [ -x .venv/bin/python ] && too_old .venv/bin/python; then
    echo "setup.sh: .venv was made with a Python older than 3.11; remove .venv and run PYTHON=/path/to/python3.11 ./setup.sh" >&2
    exit 2
fi
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check torch==2.13.0
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[test]"
