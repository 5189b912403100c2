#!/usr/bin/env bash
# Makes sure ffmpeg and ffprobe are installed (Debian's ffmpeg package): the
# server processes every recording with them and does not start without them.
set -euo pipefail
ffmpeg="${FFMPEG:-ffmpeg}"
ffprobe="${FFPROBE:-ffprobe}"
if command -v "$ffmpeg" >/dev/null 2>&1 && command -v "$ffprobe" >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "[ffmpeg] ffmpeg is missing: install it (apt-get install ffmpeg) as root, or set FFMPEG and FFPROBE" >&2
  exit 1
fi
echo "[ffmpeg] installing Debian's ffmpeg package" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ffmpeg >/dev/null
