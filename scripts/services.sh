#!/usr/bin/env bash
# Starts the local services the tests talk to, when they are not already running.
set -uo pipefail
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  if command -v pg_ctlcluster >/dev/null; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  fi
fi
# The suite makes an app (with its own connection pool) per test, on SQLite and PostgreSQL, and
# the multi-process tests add their workers' pools: PostgreSQL's default of 100 connections is
# too few for the whole run. As root on the test machine, raise it once (takes a restart).
max=$(psql -h 127.0.0.1 -U postgres -tAc "SHOW max_connections" 2>/dev/null || echo 0)
if [ "${max:-0}" -lt 300 ] && [ "$(id -u)" = 0 ] && command -v pg_ctlcluster >/dev/null; then
  psql -h 127.0.0.1 -U postgres -qc "ALTER SYSTEM SET max_connections = 300" >/dev/null &&
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main restart || true
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
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
