#!/usr/bin/env bash
# Remakes docs/demo-page.png and docs/sso-page.png, the README's pictures of the demo page, from
# the running axum demo in headless Chromium (apt-get install chromium chromium-driver).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q -p axum-demo -p conformance --bin screenshot
target/debug/screenshot target/debug/axum-demo docs/demo-page.png
# The page signed in through an OpenID provider (needs Node.js and npm for oidc-provider).
target/debug/screenshot --sso target/debug/axum-demo docs/sso-page.png
