#!/usr/bin/env bash
# Mail fan-out benchmark: one share to 1,000 recipients delivered by our
# worker to Postfix's smtp-sink, beside Postfix's smtp-source sending 1,000
# messages to the same sink. Release build; prints emails/s and the ratio.
#   bash bench/mail-fanout.sh [--count N] [--runs N]
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/sbin"
if ! command -v smtp-sink >/dev/null || ! command -v smtp-source >/dev/null; then
  echo "== installing Postfix (Debian) for smtp-sink and smtp-source" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postfix >/dev/null
fi
target="${CARGO_TARGET_DIR:-target}"
# The same build as bench/run's (cargo-leptos' flags), so neither rebuilds the other's.
. scripts/env.sh
bash scripts/install-tools.sh
echo "== cargo leptos build --release --split" >&2
cargo leptos build --release --split
python3 bench/mail_fanout.py "$target/release/server" "$@"
