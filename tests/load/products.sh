#!/usr/bin/env bash
# Stock reservation figures (release build): 64 clients reserve 3,000 units on one hot SKU,
# then over 100 SKUs, against the bare conditional UPDATE on the same database in the same
# run.
#   tests/load/products.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
# SQLite; then PostgreSQL when ATRIUM_TEST_POSTGRES_URL names a server where the
# benchmark may create a database (postgres://postgres@127.0.0.1:5432/postgres).
env -u ATRIUM_TEST_POSTGRES_URL cargo run --release -q -p atrium-tests --bin products-bench
if [ -n "${ATRIUM_TEST_POSTGRES_URL:-}" ]; then
  cargo run --release -q -p atrium-tests --bin products-bench
fi
