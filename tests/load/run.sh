#!/usr/bin/env bash
# Load and footprint figures for the README's performance section.
#
#   tests/load/run.sh            # SQLite (the embedded default)
#   DURATION=20 tests/load/run.sh
#
# Measures, on a release build: time from start to ready on an existing SQLite file,
# idle RSS after start, and /health requests/s and latency percentiles at 64 connections
# (wrk). Bounded: every load run lasts DURATION seconds against 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/../.."

DURATION="${DURATION:-10}"
CONNECTIONS="${CONNECTIONS:-64}"
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
  (cd "$work" && ATRIUM_BIND=127.0.0.1:0 ATRIUM_LOG_LEVEL=warn exec "$BIN" serve >"$work/out.log" 2>"$work/err.log") &
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

start_server; first_ms=$ms    # creates and migrates atrium.db
stop_server
start_server; ready_ms=$ms    # the same file again: the figure that counts
sleep 1
rss_kb=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")

wrk_out=$(wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency "$base/health")
rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$wrk_out")
p50=$(awk '$1 == "50%" {print $2}' <<<"$wrk_out")
p99=$(awk '$1 == "99%" {print $2}' <<<"$wrk_out")
errors=$(grep -E 'Non-2xx|Socket errors' <<<"$wrk_out" || true)
rss_after_kb=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")

echo "== Atrium load figures ($(nproc) cores, $(date -u +%Y-%m-%d), release build, SQLite)"
printf '%-46s %s\n' "start → ready, new database (ms)" "$first_ms"
printf '%-46s %s\n' "start → ready, existing database (ms)" "$ready_ms"
printf '%-46s %s\n' "idle RSS after start (MB)" "$(awk -v k="$rss_kb" 'BEGIN {printf "%.1f", k/1024}')"
printf '%-46s %s\n' "/health req/s at $CONNECTIONS connections" "$rps"
printf '%-46s %s / %s\n' "/health latency p50 / p99" "$p50" "$p99"
printf '%-46s %s\n' "RSS after the load (MB)" "$(awk -v k="$rss_after_kb" 'BEGIN {printf "%.1f", k/1024}')"
[ -n "$errors" ] && echo "wrk reported: $errors"
exit 0
