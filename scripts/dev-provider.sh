#!/usr/bin/env bash
# An OpenID provider for trying single sign-on with the demos: oidc-provider (the version the
# tests pin, auth-test/provider), on http://127.0.0.1:3005, with a client for the demo on each
# of the ports in DEV_DEMOS (default 3000 and 3001: client `demo-<port>`, secret `demo-secret`)
# and its development login page (any user name and password). Needs Node.js and npm; installs
# the pinned packages under target/oidc-provider on first use. Stop it with Ctrl-C.
#
#   bash scripts/dev-provider.sh
#   AUTH_OIDC_ISSUER=http://127.0.0.1:3005 AUTH_OIDC_CLIENT_ID=demo-3000 \
#     AUTH_OIDC_CLIENT_SECRET=demo-secret cargo run -p axum-demo
#   AUTH_OIDC_ISSUER=http://127.0.0.1:3005 AUTH_OIDC_CLIENT_ID=demo-3001 \
#     AUTH_OIDC_CLIENT_SECRET=demo-secret cargo run -p rocket-demo -- --addr 127.0.0.1:3001
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir="$root/target/oidc-provider"
mkdir -p "$dir"
for f in package.json package-lock.json provider.mjs; do
  cp "$root/auth-test/provider/$f" "$dir/$f"
done
if ! cmp -s "$dir/package-lock.json" "$dir/.installed-lock" 2>/dev/null \
  || [ ! -f "$dir/node_modules/oidc-provider/package.json" ]; then
  (cd "$dir" && npm ci --no-audit --no-fund --silent)
  cp "$dir/package-lock.json" "$dir/.installed-lock"
fi
export PORT="${PORT:-3005}" DEV_DEMOS="${DEV_DEMOS:-3000,3001}" KEYS_FILE="$dir/dev-keys.json"
echo "OpenID provider on http://127.0.0.1:$PORT for the demos on ports $DEV_DEMOS (Ctrl-C stops it)"
exec node "$dir/provider.mjs"
