#!/usr/bin/env bash
# Build the sidecar's and the simulator's wheels from this checkout and install them into a fresh virtualenv
# DIR, as a user would (`pip install <checkout>` / the wheels): DIR/bin/paradex-ws and DIR/bin/paradex-sim.
# Used by the install tests (Python and TypeScript). Dependencies come from PyPI through pip's cache.
#   usage: scripts/install-sidecar-venv.sh DIR      (DIR is replaced; the wheels are left in DIR/wheels)
set -euo pipefail
dir=${1:?usage: install-sidecar-venv.sh DIR}
repo=$(cd "$(dirname "$0")/.." && pwd)
py=$(bash "$repo/scripts/find-python310.sh")

rm -rf "$dir"
"$py" -m venv "$dir"
dir=$(cd "$dir" && pwd)
# Build from a copy of the tracked sources: nothing stray (caches, egg-info) gets in, and builds running at
# the same time (two test runners) do not share setuptools' build/ folder inside the checkout.
src="$dir/src"
mkdir -p "$src"
git -C "$repo" ls-files -z --cached --others --exclude-standard -- pyproject.toml README.md paradex_ws_service paradex-sim \
  | (cd "$repo" && xargs -0 tar -cf - --ignore-failed-read 2>/dev/null) | tar -xf - -C "$src"
pip=("$dir/bin/python" -m pip --disable-pip-version-check -q)
"${pip[@]}" wheel --no-deps -w "$dir/wheels" "$src" "$src/paradex-sim"
# --no-compile: no byte-compiling of paradex-py's large dependency tree at install (CPU on a shared test box);
# modules compile on first import instead.
"${pip[@]}" install --no-compile --find-links "$dir/wheels" paradex-ws-service paradex-sim
rm -rf "$src"
echo "$dir/bin"
