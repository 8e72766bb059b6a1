#!/usr/bin/env bash
# Sets up and runs the whole test suite (the README's test command calls this).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
scripts/services.sh
.venv/bin/ruff check .
exec .venv/bin/python -m pytest "$@"
