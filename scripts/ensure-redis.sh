#!/usr/bin/env bash
# The cluster tests start their own redis-server processes (Debian's package, never a download).
# Install it when missing and we are root on a Debian-like machine; otherwise say what to do.
set -euo pipefail
REDIS="${QUIRE_REDIS_SERVER:-redis-server}"
if command -v "$REDIS" >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-redis: installing Debian's redis-server package for the cluster tests"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  # The package starts a system-wide server on 6379; the tests start their own and need none.
  (command -v systemctl >/dev/null 2>&1 && systemctl disable --now redis-server >/dev/null 2>&1) || true
  exit 0
fi
echo "ensure-redis: $REDIS not found. Install it (sudo apt-get install redis-server) or set QUIRE_REDIS_SERVER to a redis-server binary." >&2
exit 1
