#!/usr/bin/env bash
# Sets up and runs the whole test suite (the README's test command calls this).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
scripts/services.sh
.venv/bin/ruff check .
# The pages' JavaScript: lint, then the unit tests (journal, clock, renderers, i18n); npm devDependencies.
npx --no-install eslint .
node --test tests/js/
.venv/bin/python scripts/i18n.py check  # every message translated, catalogues current, .mo compiled
.venv/bin/lint-imports  # package boundaries: [tool.importlinter] in pyproject.toml
.venv/bin/mypy  # the packages and settings are in pyproject.toml [tool.mypy]
exec .venv/bin/python -m pytest "$@"
