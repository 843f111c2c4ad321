#!/usr/bin/env bash
# A private PostgreSQL 15 cluster for tests, on 127.0.0.1 only.
#   scripts/postgres.sh start|stop|status      (port: $CRM_PG_PORT, default 55432)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
port="${CRM_PG_PORT:-55432}"
data="${CRM_PG_DIR:-$root/var/pg}"
bin=/usr/lib/postgresql/15/bin
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

start() {
  if [ ! -s "$data/PG_VERSION" ]; then
    mkdir -p "$data"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$data"
    as_pg "$bin/initdb" -D "$data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$data"
  if as_pg "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then return 0; fi
  as_pg "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w start -o \
    "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$data -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" >/dev/null
  echo "PostgreSQL listening on 127.0.0.1:$port"
}
stop() { as_pg "$bin/pg_ctl" -D "$data" -m fast stop >/dev/null 2>&1 || true; }
status() { as_pg "$bin/pg_ctl" -D "$data" status; }
"${1:-start}"
