#!/usr/bin/env bash
# Installs the pinned Label Studio server into its own virtual environment, apart from the project's
# (it pins its own Django and friends). Idempotent: an environment that already has the pinned version is
# left alone. Used by tests/test_label_studio_server.py, which skips when the server is absent.
#   DATAAUDIT_LS_VENV   where the environment lives (default /tmp/ls-venv)
#   DATAAUDIT_LS_PYTHON the interpreter that creates it (default python3)
set -euo pipefail
LS_VERSION="1.23.2"
VENV="${DATAAUDIT_LS_VENV:-/tmp/ls-venv}"
PYTHON="${DATAAUDIT_LS_PYTHON:-python3}"

if [ -x "$VENV/bin/label-studio" ] && \
   [ "$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("label-studio"), int(m.version("sentry-sdk").split(".")[0]) < 3)' 2>/dev/null)" = "$LS_VERSION True" ]; then
    echo "label-studio $LS_VERSION already installed in $VENV"
    exit 0
fi
if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
# Label Studio 1.23.2 leaves sentry-sdk unbounded, and sentry-sdk 3 refuses the options it starts with
# ("Unknown option 'send_default_pii'"): the server exits while starting.
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "label-studio==$LS_VERSION" "sentry-sdk<3"
echo "label-studio $LS_VERSION installed in $VENV"
