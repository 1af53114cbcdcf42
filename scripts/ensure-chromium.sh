#!/usr/bin/env bash
# The browser tests drive Debian's Chromium (never a downloaded one). Install it when missing
# and we are root on a Debian-like machine; otherwise say what to do and fail.
set -euo pipefail
CHROMIUM="${QUIRE_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: installing Debian's chromium package for the browser tests"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  exit 0
fi
echo "ensure-chromium: $CHROMIUM not found. Install it (sudo apt-get install chromium) or set QUIRE_CHROMIUM to a Chromium binary." >&2
exit 1
