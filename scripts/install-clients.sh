#!/usr/bin/env bash
# Installs the real Ocean clients the end-to-end client tests drive, under .cache/clients/. Idempotent: each part
# is redone only when its pinned inputs (tests/clients/*) change.
#  - ocean.py (ocean-lib, which pins web3 6) in its own virtualenv, from PyPI, pinned by ocean-py-constraints.txt;
#  - ocean.js 3.4.6 and 8.0.0 side by side (npm aliases), pinned by tests/clients/package-lock.json.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
pins="$root/tests/clients"
cache="$root/.cache/clients"
mkdir -p "$cache"

stamp_of() { cat "$@" | sha256sum | cut -d' ' -f1; }

venv="$cache/ocean-py-venv"
stamp="$(stamp_of "$pins/ocean-py-constraints.txt")"
if [ "$(cat "$venv/.installed" 2>/dev/null)" != "$stamp" ]; then
  rm -rf "$venv"
  "${PYTHON:-python3}" -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -c "$pins/ocean-py-constraints.txt" ocean-lib
  echo "$stamp" >"$venv/.installed"
fi

js="$cache/ocean-js"
stamp="$(stamp_of "$pins/package.json" "$pins/package-lock.json")"
if [ "$(cat "$js/.installed" 2>/dev/null)" != "$stamp" ]; then
  rm -rf "$js"
  mkdir -p "$js"
  cp "$pins/package.json" "$pins/package-lock.json" "$js/"
  (cd "$js" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  echo "$stamp" >"$js/.installed"
fi
