#!/usr/bin/env bash
# Webhook delivery figures (release build): fan-out latency of one event to 100 local
# endpoints, and signed deliveries/s against raw POSTs/s to the same receiver.
#   tests/load/webhooks.sh          EVENTS=200 tests/load/webhooks.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
# SQLite; then PostgreSQL when ATRIUM_TEST_POSTGRES_URL names a server where the
# benchmark may create a database (postgres://postgres@127.0.0.1:5432/postgres).
env -u ATRIUM_TEST_POSTGRES_URL cargo run --release -q -p atrium-tests --bin webhook-bench
if [ -n "${ATRIUM_TEST_POSTGRES_URL:-}" ]; then
  cargo run --release -q -p atrium-tests --bin webhook-bench
fi
