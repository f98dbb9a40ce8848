#!/usr/bin/env bash
# A virtual environment with this project and its runtime dependencies only (pyproject.toml's
# dependencies, no dev extra) in .runtime-venv/: tests/test_runtime.py runs every command in it,
# so a module that only the dev extra brings fails there. Made again when pyproject.toml changes.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.runtime-venv
stamp="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ "$(cat "$venv/pyproject.sha256" 2>/dev/null)" != "$stamp" ]; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  # editable: the environment runs this checkout's code, as the tests do
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -e .
  echo "$stamp" > "$venv/pyproject.sha256"
fi
