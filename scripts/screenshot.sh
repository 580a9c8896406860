#!/usr/bin/env bash
# Remakes docs/demo-page.png, the README's picture of the demo page, from the running axum
# demo in headless Chromium (apt-get install chromium chromium-driver).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q -p axum-demo -p conformance --bin screenshot
target/debug/screenshot target/debug/axum-demo docs/demo-page.png
