#!/usr/bin/env bash
# Run the whole test suite (slow, browser and end-to-end tests included) in the environment scripts/setup.sh made.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
[ -x "$PY" ] || { echo "error: no .venv here: run 'bash scripts/setup.sh' first" >&2; exit 2; }
exec "$PY" -m pytest -q --durations=25 "$@"
