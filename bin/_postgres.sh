# ensure_postgres: prints a DATABASE_URL of a reachable PostgreSQL, starting a private one if needed.
PG_PORT="${ZONEBOOK_PG_PORT:-54329}"
PG_DIR="${ZONEBOOK_PG_DIR:-/tmp/zonebook-pg-$PG_PORT}"

_pg_bin() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
  done
  return 1
}

ensure_postgres() {
  local url="postgres://zonebook:zonebook@127.0.0.1:$PG_PORT/zonebook"
  if "$PY" - "$url" <<'PYEOF' >/dev/null 2>&1
import sys, psycopg
psycopg.connect(sys.argv[1], connect_timeout=2).close()
PYEOF
  then echo "$url"; return 0; fi
  local bin
  bin="$(_pg_bin)" || { apt_install postgresql >&2; bin="$(_pg_bin)"; }
  local run=()
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home /var/lib/postgresql postgres
    run=(runuser -u postgres --)
  fi
  if [ ! -f "$PG_DIR/PG_VERSION" ]; then
    mkdir -p "$PG_DIR"
    [ "$(id -u)" = 0 ] && chown postgres "$PG_DIR"
    "${run[@]}" "$bin/initdb" -D "$PG_DIR" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  log "starting PostgreSQL on 127.0.0.1:$PG_PORT ($PG_DIR)" >&2
  "${run[@]}" "$bin/pg_ctl" -D "$PG_DIR" -l "$PG_DIR/server.log" -w \
    -o "-p $PG_PORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null
  "$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -qtAc \
    "DO \$\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='zonebook') THEN CREATE ROLE zonebook LOGIN SUPERUSER PASSWORD 'zonebook'; END IF; END\$\$;" >&2
  "$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -qtAc "SELECT 1 FROM pg_database WHERE datname='zonebook'" | grep -q 1 \
    || "$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -qtAc "CREATE DATABASE zonebook OWNER zonebook" >&2
  echo "$url"
}
