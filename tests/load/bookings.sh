#!/usr/bin/env bash
# Booking creation figures (release build): 8 clients book 4,500 one-hour slots on 50
# named providers, against single-row INSERTs on the same database in the same run.
#   tests/load/bookings.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
# SQLite; then PostgreSQL when ATRIUM_TEST_POSTGRES_URL names a server where the
# benchmark may create a database (postgres://postgres@127.0.0.1:5432/postgres).
env -u ATRIUM_TEST_POSTGRES_URL cargo run --release -q -p atrium-tests --bin booking-bench
if [ -n "${ATRIUM_TEST_POSTGRES_URL:-}" ]; then
  cargo run --release -q -p atrium-tests --bin booking-bench
fi
