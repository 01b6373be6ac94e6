#!/usr/bin/env bash
# Load and footprint figures for the README's performance section.
#
#   tests/load/run.sh                    # SQLite, then PostgreSQL if it answers on 127.0.0.1:5432
#   DBS=sqlite DURATION=20 tests/load/run.sh
#
# On a release build, per database: time from start to ready (an existing database),
# idle RSS, /health requests/s and latency at 64 connections (wrk), and an authenticated
# tenant-scoped GET (JWT + casbin + one read: GET /v1/locations/{id}) measured in the same
# run, as a ratio to /health. On PostgreSQL also the database's own ceiling on this machine:
# pgbench's built-in select-only script (one prepared primary-key SELECT per transaction, no
# HTTP at all) at the same number of connections, as a ratio to /health — no server that
# reads PostgreSQL once per request can go faster than that.
# Bounded: every load lasts DURATION seconds, on 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/../.."

DURATION="${DURATION:-10}"
CONNECTIONS="${CONNECTIONS:-64}"
PG_ADMIN_URL="${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
if [ -z "${DBS:-}" ]; then
  DBS=sqlite
  pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && DBS="sqlite postgres"
fi
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install -y wrk" >&2; exit 1; }
cargo build --release -q -p atrium-server
BIN="$PWD/target/release/atrium"

work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

# Starts the server in $work; sets $pid, $base and $ms (spawn → /ready answers 200).
start_server() {
  local t0 t1
  t0=$(date +%s%N)
  (cd "$work" && ATRIUM_BIND=127.0.0.1:0 ATRIUM_LOG_LEVEL=warn ATRIUM_SIGNUP_RATE_LIMIT_PER_MINUTE=1000000000 exec "$BIN" serve >"$work/out.log" 2>"$work/err.log") &
  pid=$!
  base=""
  for _ in $(seq 1 2000); do
    base=$(sed -n 's/^Atrium is listening on //p' "$work/out.log" 2>/dev/null | head -n1)
    if [ -n "$base" ] && [ "$(curl -s -o /dev/null -w '%{http_code}' "$base/ready")" = 200 ]; then
      t1=$(date +%s%N)
      ms=$(( (t1 - t0) / 1000000 ))
      return 0
    fi
    sleep 0.005
  done
  echo "server did not become ready" >&2; cat "$work/err.log" >&2; return 1
}

stop_server() { kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; pid=""; }

# wrk → "req/s p50 p99"
load() {
  local out
  out=$(wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency "$@")
  if grep -qE 'Non-2xx|Socket errors' <<<"$out"; then echo "wrk reported errors: $(grep -E 'Non-2xx|Socket errors' <<<"$out")" >&2; fi
  echo "$(awk '/^Requests\/sec/ {print $2}' <<<"$out") $(awk '$1 == "50%" {print $2}' <<<"$out") $(awk '$1 == "99%" {print $2}' <<<"$out")"
}

for db in $DBS; do
  rm -f "$work"/atrium.db*
  if [ "$db" = postgres ]; then
    psql "$PG_ADMIN_URL" -q -v ON_ERROR_STOP=1 <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'atrium_owner') THEN CREATE ROLE atrium_owner LOGIN NOSUPERUSER NOBYPASSRLS CREATEDB; END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'atrium_app') THEN CREATE ROLE atrium_app LOGIN NOSUPERUSER NOBYPASSRLS; END IF;
END \$\$;
DROP DATABASE IF EXISTS atrium_load WITH (FORCE);
CREATE DATABASE atrium_load OWNER atrium_owner;
SQL
    export ATRIUM_DATABASE_URL="postgres://atrium_app@127.0.0.1:5432/atrium_load"
    export ATRIUM_MIGRATION_DATABASE_URL="postgres://atrium_owner@127.0.0.1:5432/atrium_load"
  else
    unset ATRIUM_DATABASE_URL ATRIUM_MIGRATION_DATABASE_URL
  fi
  start_server; first_ms=$ms    # creates and migrates the database
  stop_server
  start_server; ready_ms=$ms    # the same database again: the figure that counts
  sleep 1
  rss_kb=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")

  token=$(curl -sf -X POST "$base/v1/signup" -H 'content-type: application/json' -d '{
    "tenant": {"slug": "load-test", "name": "Load", "type": "small_business", "timezone": "UTC", "currency": "USD"},
    "owner": {"email": "load@test.example", "password": "load test password", "name": "Load"}}' \
    | python3 -c 'import sys, json; print(json.load(sys.stdin)["access_token"])')
  location=$(curl -sf -X POST "$base/v1/locations" -H "authorization: Bearer $token" -H 'content-type: application/json' \
    -d '{"name": "Main", "type": "virtual", "timezone": "UTC"}' | python3 -c 'import sys, json; print(json.load(sys.stdin)["id"])')

  read -r h_rps h_p50 h_p99 <<<"$(load "$base/health")"
  read -r a_rps a_p50 a_p99 <<<"$(load -H "Authorization: Bearer $token" "$base/v1/locations/$location")"
  rss_after_kb=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
  stop_server
  pg_tps=""
  if [ "$db" = postgres ] && command -v pgbench >/dev/null; then
    psql "$PG_ADMIN_URL" -q -c 'DROP DATABASE IF EXISTS atrium_pgbench WITH (FORCE)' -c 'CREATE DATABASE atrium_pgbench'
    pgbench_url="${PG_ADMIN_URL%/*}/atrium_pgbench"
    pgbench -i -q -s 1 "$pgbench_url" >/dev/null 2>&1
    pg_tps=$(pgbench -S -M prepared -c "$CONNECTIONS" -j 2 -T "$DURATION" "$pgbench_url" 2>/dev/null \
      | awk '/^tps/ {print $3}')
  fi

  echo "== $db ($(nproc) cores, $(date -u +%Y-%m-%d), release build, $CONNECTIONS connections, ${DURATION}s each)"
  printf '%-52s %s\n' "start → ready, new database (ms)" "$first_ms"
  printf '%-52s %s\n' "start → ready, existing database (ms)" "$ready_ms"
  printf '%-52s %s\n' "idle RSS after start (MB)" "$(awk -v k="$rss_kb" 'BEGIN {printf "%.1f", k/1024}')"
  printf '%-52s %s (p50 %s, p99 %s)\n' "/health req/s" "$h_rps" "$h_p50" "$h_p99"
  printf '%-52s %s (p50 %s, p99 %s)\n' "GET /v1/locations/{id} req/s (JWT+casbin+read)" "$a_rps" "$a_p50" "$a_p99"
  printf '%-52s %s\n' "ratio authenticated GET / health" "$(awk -v a="$a_rps" -v h="$h_rps" 'BEGIN {printf "%.2f", a/h}')"
  printf '%-52s %s\n' "RSS after the load (MB)" "$(awk -v k="$rss_after_kb" 'BEGIN {printf "%.1f", k/1024}')"
  if [ -n "$pg_tps" ]; then
    printf '%-52s %s\n' "pgbench -S (select-only, no HTTP) tps" "$pg_tps"
    printf '%-52s %s\n' "ceiling: pgbench -S / health" "$(awk -v a="$pg_tps" -v h="$h_rps" 'BEGIN {printf "%.2f", a/h}')"
  fi
done
