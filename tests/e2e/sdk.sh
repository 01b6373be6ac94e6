#!/usr/bin/env bash
# The generated clients against a real server on SQLite: generates sdk/python and
# sdk/typescript from the served spec (scripts/gen-sdks: any generator warning fails),
# runs the end-to-end script in each language (tests/e2e/sdk/), type-checks the
# TypeScript one with --strict, and checks that a body with a wrong `type` for its fields
# does NOT type-check.
#
#   tests/e2e/sdk.sh [path/to/atrium]
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=$(realpath "${1:-target/debug/atrium}")
TOOLS="${ATRIUM_SDK_TOOLS:-/var/tmp/atrium-sdk-tools}"

work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

(cd "$work" && ATRIUM_BIND=127.0.0.1:0 ATRIUM_LOG_LEVEL=warn exec "$BIN" serve >"$work/out.log" 2>"$work/err.log") &
pid=$!
base=""
for _ in $(seq 1 400); do
  base=$(sed -n 's/^Atrium is listening on //p' "$work/out.log" | head -n1)
  [ -n "$base" ] && curl -sf "$base/ready" >/dev/null && break
  sleep 0.05
done
[ -n "$base" ] || { cat "$work/err.log" >&2; exit 1; }

scripts/gen-sdks "$base/openapi.json"

echo "== Python"
PYTHONPATH=sdk/python timeout 120 "$TOOLS/venv/bin/python" tests/e2e/sdk/e2e.py "$base"

echo "== TypeScript"
cp tests/e2e/sdk/e2e.ts tests/e2e/sdk/negative.ts tests/e2e/sdk/tsconfig.json sdk/typescript/
(cd sdk/typescript && node_modules/.bin/tsc -p tsconfig.json && timeout 120 node dist/e2e.js "$base")
echo "== TypeScript: a wrong \`type\` for the fields must not type-check"
if out=$(cd sdk/typescript && node_modules/.bin/tsc --strict --noEmit --target es2022 --module nodenext \
  --moduleResolution nodenext negative.ts 2>&1); then
  echo "negative.ts type-checked: a provider body with a venue's capacity was accepted" >&2
  exit 1
fi
grep -q "negative.ts(9,.*error TS2353: .*'capacity' does not exist" <<<"$out" \
  || { echo "negative.ts failed for another reason than expected:" >&2; echo "$out" >&2; exit 1; }
echo "ok: rejected as expected (TS2353: 'capacity' is not a provider field)"
