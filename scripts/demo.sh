#!/usr/bin/env bash
# Install everything that is missing, then bring the whole system up locally (Ctrl-C stops it).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
exec .venv/bin/mlf-demo "$@"
