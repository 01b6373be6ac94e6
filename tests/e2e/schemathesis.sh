#!/usr/bin/env bash
# schemathesis (PyPI, pinned) in its stateful mode (ATRIUM_SCHEMATHESIS_PHASES) over the whole spec, as the owner of a
# fresh tenant with every plugin on and a generous plan, against a real server on SQLite.
# Fails on any 5xx (not_a_server_error) or a response outside its schema; the other
# findings are reported. Bounded in time: ATRIUM_SCHEMATHESIS_SECONDS (default 300);
# ATRIUM_SCHEMATHESIS_EXAMPLES (default 20) examples per step.
#
#   tests/e2e/schemathesis.sh [path/to/atrium]
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=$(realpath "${1:-target/debug/atrium}")
SCHEMATHESIS=4.32.5
VENV="${ATRIUM_SDK_TOOLS:-/var/tmp/atrium-sdk-tools}/schemathesis-$SCHEMATHESIS"
[ -x "$VENV/bin/schemathesis" ] || { python3 -m venv "$VENV" && "$VENV/bin/pip" install -q "schemathesis==$SCHEMATHESIS"; }

work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
(cd "$work" && ATRIUM_BIND=127.0.0.1:0 ATRIUM_LOG_LEVEL=warn ATRIUM_SIGNUP_RATE_LIMIT_PER_MINUTE=1000000 \
  ATRIUM_ANONYMOUS_RATE_LIMIT_PER_MINUTE=0 exec "$BIN" serve >"$work/out.log" 2>"$work/err.log") &
pid=$!
base=""
for _ in $(seq 1 400); do
  base=$(sed -n 's/^Atrium is listening on //p' "$work/out.log" | head -n1)
  [ -n "$base" ] && curl -sf "$base/ready" >/dev/null && break
  sleep 0.05
done
[ -n "$base" ] || { cat "$work/err.log" >&2; exit 1; }

token=$(curl -sfS "$base/v1/signup" -H 'content-type: application/json' -d '{
  "tenant": {"slug": "fuzz", "name": "Fuzz", "type": "small_business", "timezone": "UTC", "currency": "EUR"},
  "owner": {"email": "owner@fuzz.example", "password": "correct horse battery staple", "name": "Owner"}}' \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
plugins=$(curl -sfS "$base/v1/plugins" -H "authorization: Bearer $token" \
  | python3 -c 'import json,sys; print(json.dumps([p["name"] for p in json.load(sys.stdin) if p["optional"]]))')
curl -sfS -X PATCH "$base/v1/tenant" -H "authorization: Bearer $token" -H 'content-type: application/json' \
  -d "{\"enabled_plugins\": $plugins}" >/dev/null

status=0
timeout "${ATRIUM_SCHEMATHESIS_SECONDS:-300}" "$VENV/bin/schemathesis" run "$base/openapi.json" --url "$base" \
  --phases "${ATRIUM_SCHEMATHESIS_PHASES:-stateful}" -H "Authorization: Bearer $token" --checks not_a_server_error,response_schema_conformance \
  --max-examples "${ATRIUM_SCHEMATHESIS_EXAMPLES:-20}" --workers 1 --no-color \
  --report junit --report-dir "${ATRIUM_SCHEMATHESIS_REPORT:-$work/report}" || status=$?
if [ "$status" = 124 ]; then echo "schemathesis: time budget reached (bounded run)"; status=0; fi
exit $status
