#!/usr/bin/env bash
# Mutation testing of the costliest rules (issue 18), one module at a time: scores per module and overall, and
# every surviving mutant (bench/mutation.py; the modules and their fast tests: [tool.mutmut] in
# pyproject.toml). Slow (see bench/README.md for how long), so not part of scripts/test.sh.
#   scripts/mutation.sh                              every module, one mutant at a time
#   scripts/mutation.sh --jobs 2 collector/ingest/gaps.py   one module, two mutants at a time
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
exec .venv/bin/python bench/mutation.py "$@"
