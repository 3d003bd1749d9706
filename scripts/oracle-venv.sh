#!/usr/bin/env bash
# Create or refresh .venv-oracle: the official EdgeX Python SDK (edgex-python-sdk 2.0.1, every dependency pinned)
# for the signing oracle test only. A separate venv, so it can never become a product dependency nor disturb
# paradex-py's pins in .venv. Skipped while its stamp is newer than the pinned requirements.
set -euo pipefail
cd "$(dirname "$0")/.."
req=packages/edgex/test/oracle/requirements.txt
if [ ! -x .venv-oracle/bin/python ] || ! .venv-oracle/bin/python -c 'import sys; sys.exit(0 if sys.version_info[:2]==(3,10) else 1)' 2>/dev/null; then
  py=$(bash scripts/find-python310.sh)
  echo "oracle-venv: creating .venv-oracle with $py" >&2
  rm -rf .venv-oracle
  "$py" -m venv .venv-oracle
  rm -f .stamp-venv-oracle
fi
if [ ! -f .stamp-venv-oracle ] || [ "$req" -nt .stamp-venv-oracle ]; then
  echo "oracle-venv: installing edgex-python-sdk (test-only)" >&2
  .venv-oracle/bin/python -m pip install -q --disable-pip-version-check -r "$req"
  .venv-oracle/bin/python -c 'import importlib.metadata as m; v = m.version("edgex-python-sdk"); assert v == "2.0.1", v'
  touch .stamp-venv-oracle
fi
