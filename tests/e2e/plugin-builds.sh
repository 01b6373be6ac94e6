#!/usr/bin/env bash
# Each plugin builds alone (with the plugins it needs) and serves exactly the kernel's
# paths and those of the plugins it compiles in, as the full build's spec attributes them
# (`x-atrium-plugin`). Usage: plugin-builds.sh FULL_SPEC.json
set -euo pipefail
cd "$(dirname "$0")/../.."
full="$1"
target="${CARGO_TARGET_DIR:-target}"
features=$(python3 - <<'PY'
import tomllib
f = tomllib.load(open("platform/server/Cargo.toml", "rb"))["features"]
# Features that are not plugins (the booking page) are not built alone here.
not_plugins = {"default", "booking-page"}
print(" ".join(k for k in f if k not in not_plugins))
PY
)
for plugin in $features; do
  echo "---- build with only the $plugin plugin (and what it needs)"
  cargo build -q -p atrium-server --no-default-features --features "$plugin"
  "$target/debug/atrium" openapi --output "$target/openapi-only-$plugin.json"
  python3 - "$full" "$target/openapi-only-$plugin.json" "$plugin" <<'PY'
import json, sys
full, only, plugin = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
compiled = set(only["info"]["x-atrium-plugins"])
assert plugin in compiled, f"{plugin} is not compiled into its own build: {compiled}"
owner = lambda item: item.get("x-atrium-plugin")
expected = {p for p, item in full["paths"].items() if owner(item) is None or owner(item) in compiled}
served = set(only["paths"])
assert served == expected, f"{plugin}: missing {sorted(expected - served)}, stray {sorted(served - expected)}"
own = [p for p, item in only["paths"].items() if owner(item) == plugin]
assert own, f"no paths of {plugin}"
print(f"{plugin}: {len(own)} own paths, {len(served)} in all, with {sorted(compiled)}")
PY
done
