#!/usr/bin/env bash
# Liquidity-mirror ingestion figures (release build): batches of 1,000 events over HTTP
# against a bulk INSERT of the same rows into the same database in the same run, then a
# reorg of depth 10. MIRROR_BENCH_BATCHES=1000 gives the 1-million-event run.
#   tests/load/mirror.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
env -u ATRIUM_TEST_POSTGRES_URL cargo run --release -q -p atrium-tests --bin mirror-bench
if [ -n "${ATRIUM_TEST_POSTGRES_URL:-}" ]; then
  cargo run --release -q -p atrium-tests --bin mirror-bench
fi
