#!/usr/bin/env bash
# Sets up what is missing and serves the app on http://127.0.0.1:3000 with
# SQLite under ./data, the demo rep and the demo recording, and the dev mailbox.
# Usage: scripts/run.sh [--release]     (debug builds are quicker to make)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
bash scripts/install-tools.sh
bash scripts/ffmpeg.sh

profile=()
# A release build also leaves brotli and gzip copies of the bundle to serve.
[ "${1:-}" = "--release" ] && profile=(--release --precompress)

echo "[run] building (the first build takes several minutes)" >&2
cargo leptos build --split "${profile[@]}"

target_dir="${CARGO_TARGET_DIR:-target}"
bin="$target_dir/$([ ${#profile[@]} -gt 0 ] && echo release || echo debug)/server"
export DEMO_MODE="${DEMO_MODE:-true}"
export LEPTOS_SITE_ROOT="${LEPTOS_SITE_ROOT:-target/site}"
echo "[run] serving on http://${LEPTOS_SITE_ADDR:-127.0.0.1:3000} (Ctrl-C stops)" >&2
exec "$bin"
