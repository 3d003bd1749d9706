#!/usr/bin/env bash
# Install what is missing, and nothing else: .venv (CPython 3.10 + this package + dev tools) and node_modules.
# Re-running is cheap: each step is skipped while its stamp is newer than the files it depends on.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; sys.exit(0 if sys.version_info[:2]==(3,10) else 1)' 2>/dev/null; then
  py=$(bash scripts/find-python310.sh)
  echo "bootstrap: creating .venv with $py" >&2
  rm -rf .venv
  "$py" -m venv .venv
  rm -f .stamp-venv
fi
if [ ! -f .stamp-venv ] || [ pyproject.toml -nt .stamp-venv ] || [ paradex-sim/pyproject.toml -nt .stamp-venv ]; then
  echo "bootstrap: installing Python dependencies" >&2
  .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null
  .venv/bin/python -m pip install -q --disable-pip-version-check -e '.[dev]' -e ./paradex-sim
  touch .stamp-venv
fi

if ! command -v node >/dev/null 2>&1; then
  echo "bootstrap: node (>= 20) is required for bridge-ts/, edgex/, bots/ and toolkit/" >&2; exit 1
fi
if [ ! -f .stamp-npm ] || [ package.json -nt .stamp-npm ] || [ package-lock.json -nt .stamp-npm ] || [ ! -d node_modules ]; then
  echo "bootstrap: installing Node dependencies" >&2
  npm ci --no-audit --no-fund --loglevel=error
  touch .stamp-npm
fi
