#!/usr/bin/env bash
# Installs the reference servers' dependencies, idempotently: the npm packages of
# tests/server from its lockfile, and a virtual environment for tests/pyserver from its
# pinned requirements. Re-installs only when the lockfile or requirements change.
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf '[setup-servers] %s\n' "$*"; }

command -v node >/dev/null || { echo "node is required (Node 20)" >&2; exit 1; }
if [ ! -d tests/server/node_modules ] || ! cmp -s tests/server/package-lock.json tests/server/node_modules/.package-lock.json.installed; then
  log "npm ci in tests/server"
  (cd tests/server && npm ci --no-audit --no-fund --loglevel=error)
  cp tests/server/package-lock.json tests/server/node_modules/.package-lock.json.installed
fi

PY="${PYTHON:-python3}"
if [ ! -x tests/pyserver/.venv/bin/python ] || ! cmp -s tests/pyserver/requirements.txt tests/pyserver/.venv/.requirements.txt; then
  log "python venv for tests/pyserver"
  rm -rf tests/pyserver/.venv
  "$PY" -m venv tests/pyserver/.venv
  tests/pyserver/.venv/bin/pip install --quiet --disable-pip-version-check -r tests/pyserver/requirements.txt
  cp tests/pyserver/requirements.txt tests/pyserver/.venv/.requirements.txt
fi
log "servers ready: $(node --version), $(tests/pyserver/.venv/bin/python --version)"
