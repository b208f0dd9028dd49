#!/usr/bin/env bash
# Install everything that is missing, then run every check: lint, types, contract drift, tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
export PATH="$PWD/.venv/bin:$PATH"
echo "==> ruff";  ruff check .; ruff format --check .
echo "==> mypy";  mypy .
echo "==> protocol docs and schema";  mlf-protocol check >/dev/null
# Tests marked `timescaledb` need the extension in the PostgreSQL the tests start. CI has plain
# PostgreSQL (TimescaleDB is in no registry we reach): say so when they are left out, never skip silently.
if ! python -c '
import sys
from pathlib import Path
from devstack.postgres import pg_bindir
home = pg_bindir().parent  # /usr/lib/postgresql/<major>
control = Path("/usr/share/postgresql") / home.name / "extension" / "timescaledb.control"
sys.exit(0 if (home / "lib" / "timescaledb.so").exists() and control.exists() else 1)
'; then
  echo "==> TimescaleDB is not installed for this PostgreSQL: deselecting the tests marked 'timescaledb'"
  set -- -m "not timescaledb" "$@"
fi
echo "==> pytest"; pytest "$@"
