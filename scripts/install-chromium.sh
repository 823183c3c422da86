#!/usr/bin/env bash
# Installs Debian's chromium for the explorer's browser test when it is missing. Idempotent: an installed
# browser is left alone. Needs root (apt-get), as on the project's machines and in CI.
set -euo pipefail
browser="${CHROMIUM:-/usr/bin/chromium}"
if [ -x "$browser" ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "chromium is missing at $browser and installing it needs root: apt-get install chromium" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium >/dev/null
