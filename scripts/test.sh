#!/usr/bin/env bash
# Install everything that is missing, then run every check: lint, types, contract drift, tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
export PATH="$PWD/.venv/bin:$PATH"
echo "==> ruff";  ruff check . && ruff format --check .
echo "==> mypy";  mypy .
echo "==> protocol docs and schema";  mlf-protocol check >/dev/null
echo "==> pytest"; pytest "$@"
