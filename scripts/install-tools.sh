#!/usr/bin/env bash
# Installs the build tools this project needs into one fixed folder and skips
# whatever is already there, so only the first run on a machine is slow.
#   cargo-leptos 0.3.11 (built with no_downloads: it must not fetch binaries)
#   wasm-bindgen-cli, the exact version of the wasm-bindgen crate in Cargo.lock
#   wasm-opt from npm binaryen (Debian's binaryen breaks hydration)
# Prints the PATH entries to add; source scripts/env.sh to get them.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/env.sh"

CARGO_LEPTOS_VERSION=0.3.11
WASM_BINDGEN_VERSION=0.2.129
BINARYEN_VERSION=132

log() { printf '[tools] %s\n' "$*" >&2; }
mkdir -p "$SAR_TOOLS/bin"

if ! rustup target list --installed | grep -q '^wasm32-unknown-unknown$'; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# A private target dir keeps the tools' builds out of the project's target/.
build_dir="$SAR_TOOLS/build"

if ! "$SAR_TOOLS/bin/cargo-leptos" --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
  log "building cargo-leptos $CARGO_LEPTOS_VERSION (about 16 minutes on 2 cores, once per machine)"
  src="$build_dir/cargo-leptos-$CARGO_LEPTOS_VERSION"
  if [ ! -f "$src/Cargo.toml" ]; then
    # `cargo info` downloads the published crate (with its lock file) into the registry cache.
    cargo info "cargo-leptos@$CARGO_LEPTOS_VERSION" >/dev/null
    reg=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/"cargo-leptos-$CARGO_LEPTOS_VERSION" | head -n1)
    mkdir -p "$build_dir"
    cp -r "$reg" "$src"
    chmod -R u+w "$src"
  fi
  # The published lock file pins cargo-util-schemas 0.14.2, which needs a newer rustc.
  (cd "$src" && cargo update -p cargo-util-schemas --precise 0.14.1)
  CARGO_TARGET_DIR="$build_dir/target" \
  CARGO_PROFILE_RELEASE_LTO=off CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    cargo install --locked --path "$src" --features no_downloads --root "$SAR_TOOLS" --force
fi

if ! "$SAR_TOOLS/bin/wasm-bindgen" --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then
  log "building wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 4 minutes, once per machine)"
  CARGO_TARGET_DIR="$build_dir/target" \
    cargo install --locked wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --root "$SAR_TOOLS" --force
fi

if ! "$SAR_TOOLS/npm/node_modules/.bin/wasm-opt" --version 2>/dev/null | grep -q "$BINARYEN_VERSION"; then
  log "installing wasm-opt from npm binaryen@$BINARYEN_VERSION"
  mkdir -p "$SAR_TOOLS/npm"
  npm install --prefix "$SAR_TOOLS/npm" --no-audit --no-fund "binaryen@$BINARYEN_VERSION" >&2
fi

log "tools ready in $SAR_TOOLS"
