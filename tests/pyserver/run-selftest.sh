#!/usr/bin/env bash
# Creates tests/pyserver/.venv from requirements.txt when missing or stale, then runs
# selftest.py. Exit status is the self-test's.
set -euo pipefail
cd "$(dirname "$0")"
PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ] || ! cmp -s requirements.txt .venv/.requirements.txt; then
  rm -rf .venv
  "$PY" -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
  cp requirements.txt .venv/.requirements.txt
fi
exec .venv/bin/python selftest.py
