#!/usr/bin/env bash
# Availability search figures (release build): GET /v1/availability over 50 bookables ×
# 30 days with 1,000 bookings, against a one-row authenticated read in the same run.
#   tests/load/availability.sh          RUNS=500 tests/load/availability.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
# SQLite; then PostgreSQL when ATRIUM_TEST_POSTGRES_URL names a server where the
# benchmark may create a database (postgres://postgres@127.0.0.1:5432/postgres).
env -u ATRIUM_TEST_POSTGRES_URL cargo run --release -q -p atrium-tests --bin availability-bench
if [ -n "${ATRIUM_TEST_POSTGRES_URL:-}" ]; then
  cargo run --release -q -p atrium-tests --bin availability-bench
fi
