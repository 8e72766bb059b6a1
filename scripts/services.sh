#!/usr/bin/env bash
# Starts the local services the tests talk to, when they are not already running.
set -uo pipefail
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  if command -v pg_ctlcluster >/dev/null; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  fi
fi
if ! (command -v redis-cli >/dev/null && redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1); then
  command -v redis-server >/dev/null && redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null || true
fi
# pcscd with the vpcd driver: the virtual CCCD chip plugs into it. One per machine.
if command -v pcscd >/dev/null && ! pgrep -x pcscd >/dev/null; then
  mkdir -p /run/pcscd
  (pcscd --foreground >/tmp/pcscd.log 2>&1 &)
  sleep 1
fi
exit 0
