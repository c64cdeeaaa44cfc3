#!/usr/bin/env bash
# Run the whole test suite (slow, browser and end-to-end tests included).
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 -m pytest -q "$@"
