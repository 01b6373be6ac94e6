#!/usr/bin/env bash
# Webhook delivery figures (release build): fan-out latency of one event to 100 local
# endpoints, and signed deliveries/s against raw POSTs/s to the same receiver.
#   tests/load/webhooks.sh          EVENTS=200 tests/load/webhooks.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo run --release -q -p atrium-tests --bin webhook-bench
