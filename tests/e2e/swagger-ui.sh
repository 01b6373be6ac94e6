#!/usr/bin/env bash
# Renders /docs/ in headless Chromium, with background networking off, and checks that
# Swagger UI drew the spec's operations under the deployment's title.
#
#   tests/e2e/swagger-ui.sh [path/to/atrium]
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=$(realpath "${1:-target/debug/atrium}")
CHROMIUM="${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}"
[ -n "$CHROMIUM" ] || { echo "chromium is needed: apt-get install -y chromium" >&2; exit 1; }

work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

(cd "$work" && ATRIUM_BIND=127.0.0.1:0 ATRIUM_TITLE="Acme Bookings" ATRIUM_LOG_LEVEL=warn exec "$BIN" serve >"$work/out.log" 2>"$work/err.log") &
pid=$!
base=""
for _ in $(seq 1 400); do
  base=$(sed -n 's/^Atrium is listening on //p' "$work/out.log" | head -n1)
  [ -n "$base" ] && curl -sf "$base/ready" >/dev/null && break
  sleep 0.05
done
[ -n "$base" ] || { cat "$work/err.log" >&2; exit 1; }

dom=$(timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$work/profile" --virtual-time-budget=10000 --dump-dom "$base/docs/" 2>/dev/null)

fail=0
check() { if grep -q -- "$1" <<<"$dom"; then echo "ok: $2"; else echo "MISSING: $2" >&2; fail=1; fi; }
check '<title>Acme Bookings</title>' "page titled with the deployment title"
check 'class="swagger-ui' "Swagger UI mounted"
check 'opblock-summary-path' "operations rendered from /openapi.json"
check 'data-path="/health"' "the /health operation is listed"
check 'btn authorize' "the Authorize button is offered"
check 'href="./favicon.svg"' "the deployment's icon, not Swagger's"
absent() { if grep -q -- "$1" <<<"$dom"; then echo "PRESENT: $2" >&2; fail=1; else echo "ok: $2"; fi; }
absent 'class="topbar' "no Swagger top bar (logo, Explore box)"
absent 'favicon-32x32' "no Swagger favicon"
curl -sf "$base/docs/favicon.svg" | grep -q '>A</text>' && echo "ok: the icon shows the title's letter" \
  || { echo "MISSING: the icon shows the title's letter" >&2; fail=1; }
exit $fail
