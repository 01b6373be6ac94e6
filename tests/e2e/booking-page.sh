#!/usr/bin/env bash
# The white-label booking page in headless Chromium (Selenium WebDriver), against the real
# binary on SQLite: the whole flow by keyboard only in a time zone other than the tenant's,
# a slot taken meanwhile, cancelling from "my bookings" with the refund shown first, a DST
# week (Europe/Berlin vs America/New_York), axe-core on every step and no request to
# another origin. Screenshots go to ${ATRIUM_LOG_DIR:-/tmp/atrium-e2e}/booking-page/.
#
#   tests/e2e/booking-page.sh [path/to/atrium]
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=$(realpath "${1:-target/debug/atrium}")
VENV="${ATRIUM_E2E_VENV:-/var/tmp/atrium-ci-venv}"
LOG_DIR="${ATRIUM_LOG_DIR:-/tmp/atrium-e2e}/booking-page"

if ! command -v chromedriver >/dev/null || ! command -v chromium >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
fi
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -c "import selenium" 2>/dev/null || "$VENV/bin/pip" install -q selenium

work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

# A generous anonymous budget: one test client makes every public request from one address.
(cd "$work" && ATRIUM_BIND=127.0.0.1:0 ATRIUM_LOG_LEVEL=warn ATRIUM_ANONYMOUS_RATE_LIMIT_PER_MINUTE=10000 \
  exec "$BIN" serve >"$work/out.log" 2>"$work/err.log") &
pid=$!
base=""
for _ in $(seq 1 400); do
  base=$(sed -n 's/^Atrium is listening on //p' "$work/out.log" | head -n1)
  [ -n "$base" ] && curl -sf "$base/ready" >/dev/null && break
  sleep 0.05
done
[ -n "$base" ] || { cat "$work/err.log" >&2; exit 1; }

mkdir -p "$LOG_DIR"
rm -f "$LOG_DIR"/*.png
status=0
timeout 240 "$VENV/bin/python" tests/e2e/booking_page.py "$base" "$LOG_DIR" tests/e2e/assets/axe.min.js || status=$?
if [ $status -ne 0 ]; then
  echo "---- server log" >&2
  tail -n 50 "$work/err.log" >&2
fi
exit $status
