#!/usr/bin/env bash
# Installs what the tests need and runs every test: formatting, lints (server
# and browser builds), the Rust tests, and the browser tests in Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
step() { printf '\n== %s\n' "$*" >&2; }

# A full build takes about 15 GB, and a build folder kept between runs (as
# CI keeps it) grows with every change: when the disk runs low, start it
# afresh rather than fail half-way with "No space left on device".
target="${CARGO_TARGET_DIR:-target}"
mkdir -p "$target"
free_gb=$(df -Pk "$target" | awk 'NR == 2 { print int($4 / 1048576) }')
if [ "$free_gb" -lt 30 ]; then
  step "only $free_gb GB free: removing the build folder $target"
  rm -rf "$target"
fi

step "tools"
bash scripts/install-tools.sh
# Every recording is processed with ffmpeg; the tests also make their videos with it.
bash scripts/ffmpeg.sh
if ! command -v "${CHROMIUM:-/usr/bin/chromium}" >/dev/null 2>&1; then
  step "installing Chromium (Debian package)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
if ! python3 -c 'import aiosmtpd' 2>/dev/null; then
  # The email tests run a real SMTP server (aiosmtpd) on a loopback port.
  step "installing aiosmtpd (PyPI) for the email tests"
  python3 -m pip install --quiet --disable-pip-version-check 'aiosmtpd==1.4.6'
fi
if ! python3 -c 'import moto.server' 2>/dev/null; then
  # The object-storage tests run an S3-compatible server (moto) on a loopback port.
  step "installing moto (PyPI) for the object-storage tests"
  python3 -m pip install --quiet --disable-pip-version-check 'moto[server]==5.1.*'
fi
if [ ! -d end2end/node_modules/@playwright/test ] || [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then
  step "installing the browser-test packages"
  (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
fi

# The Rust tests run a second time on PostgreSQL (TEST_POSTGRES_URL); when
# nothing answers there, a private cluster is set up and started.
step "PostgreSQL for the Rust tests"
bash scripts/postgres.sh

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy (server side)"
cargo clippy --all-targets -- -D warnings

step "cargo clippy (browser side, wasm32)"
cargo clippy -p frontend -p app --features app/hydrate --target wasm32-unknown-unknown -- -D warnings

step "cargo test (SQLite)"
TEST_DATABASE=sqlite cargo test

# The same tests again, each on a fresh database of the PostgreSQL server at
# TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres),
# made sure of by scripts/postgres.sh above.
step "cargo test (PostgreSQL)"
TEST_DATABASE=postgres cargo test

step "cargo leptos build --split"
cargo leptos build --split

step "browser tests (Playwright, Chromium)"
(cd end2end && npx playwright test)
