#!/usr/bin/env bash
# Print the path of a CPython 3.10 interpreter, or fail with advice.
# Why 3.10: paradex-py 0.8.2 pins starknet-crypto-py<0.3, whose only Linux wheels are cp310;
# on 3.11+ pip falls back to an sdist that needs a Rust toolchain and crates.io.
set -u
is310() { "$1" -c 'import sys; sys.exit(0 if sys.version_info[:2]==(3,10) else 1)' >/dev/null 2>&1; }
try() { if [ -n "$1" ] && is310 "$1"; then command -v "$1" 2>/dev/null || echo "$1"; exit 0; fi; }

try "${PYTHON310:-}"
# pyenv shims need PYENV_VERSION to pick 3.10 when the global version is another one.
if command -v pyenv >/dev/null 2>&1; then
  for v in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.10(\.|$)' | sort -rV); do
    p="$(pyenv root)/versions/$v/bin/python3.10"; try "$p"
  done
fi
for p in python3.10 /usr/bin/python3.10 /usr/local/bin/python3.10 "$HOME"/.pyenv/versions/3.10*/bin/python3.10 "$HOME"/.local/bin/python3.10; do
  [ -x "$p" ] || command -v "$p" >/dev/null 2>&1 || continue
  try "$p"
done
if command -v uv >/dev/null 2>&1; then p=$(uv python find 3.10 2>/dev/null) && try "$p"; fi
cat >&2 <<'MSG'
error: no CPython 3.10 interpreter found.
paradex-py 0.8.2 needs starknet-crypto-py<0.3, which ships Linux wheels only for CPython 3.10.
Install one (pyenv install 3.10.13, or your distribution's python3.10) or set PYTHON310=/path/to/python3.10.
On 3.11+ the install compiles starknet-crypto-py from source: it needs a Rust toolchain (rustup) and crates.io.
MSG
exit 1
