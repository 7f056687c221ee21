#!/usr/bin/env bash
# Starts or stops a throw-away PostgreSQL server for the tests: `.ci/pg.sh start` prints the URL to use
# as HEED_TEST_PG_URL; `.ci/pg.sh stop` stops it; `pause` stops it keeping its data and `resume` starts it
# again (the fault suite). Installs PostgreSQL with apt when its binaries are missing.
# As root it runs the server as `nobody` (PostgreSQL refuses to run as root).
set -euo pipefail
PORT="${HEED_PG_PORT:-54329}"
DIR="${HEED_PG_DIR:-/tmp/heed-pg-$PORT}"

find_bin() {
  local name=$1
  if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return; fi
  local candidate
  for candidate in /usr/lib/postgresql/*/bin/"$name"; do
    [ -x "$candidate" ] && { echo "$candidate"; return; }
  done
  return 1
}

ensure_installed() {
  if ! find_bin initdb >/dev/null; then
    echo "PostgreSQL binaries not found: installing with apt" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
  fi
}

as_server_user() {
  if [ "$(id -u)" = 0 ]; then
    su -s /bin/bash nobody -c "$(printf '%q ' "$@")"
  else
    "$@"
  fi
}

case "${1:-}" in
  start)
    ensure_installed
    INITDB=$(find_bin initdb); PG_CTL=$(find_bin pg_ctl)
    if [ -f "$DIR/data/postmaster.pid" ] && as_server_user "$PG_CTL" -D "$DIR/data" status >/dev/null 2>&1; then
      echo "postgres://postgres@127.0.0.1:$PORT/postgres"; exit 0
    fi
    rm -rf "$DIR"; mkdir -p "$DIR"
    [ "$(id -u)" = 0 ] && chown nobody "$DIR"
    as_server_user "$INITDB" -D "$DIR/data" -U postgres --auth=trust -E UTF8 >/dev/null
    as_server_user "$PG_CTL" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
      -o "-h 127.0.0.1 -p $PORT -k $DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" start >/dev/null
    echo "postgres://postgres@127.0.0.1:$PORT/postgres"
    ;;
  stop)
    PG_CTL=$(find_bin pg_ctl) || exit 0
    [ -d "$DIR/data" ] && as_server_user "$PG_CTL" -D "$DIR/data" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$DIR"
    ;;
  pause)
    # Stops the server abruptly but keeps its data (the fault suite takes the database away, then back).
    PG_CTL=$(find_bin pg_ctl)
    as_server_user "$PG_CTL" -D "$DIR/data" -m immediate stop >/dev/null
    ;;
  resume)
    PG_CTL=$(find_bin pg_ctl)
    as_server_user "$PG_CTL" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
      -o "-h 127.0.0.1 -p $PORT -k $DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" start >/dev/null
    echo "postgres://postgres@127.0.0.1:$PORT/postgres"
    ;;
  *) echo "usage: $0 start|stop|pause|resume" >&2; exit 2 ;;
esac
