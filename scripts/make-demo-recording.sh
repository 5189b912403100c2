#!/usr/bin/env bash
# Makes the demo recording that demo mode seeds: 45 s of ffmpeg's test pattern
# (with its running seconds counter) and a 440 Hz tone that beeps each second,
# as WebM (VP9 + Opus), which Chromium and Firefox both play. Needs ffmpeg
# (Debian: apt-get install ffmpeg). The result is committed; rerun only to change it.
set -euo pipefail
out="${1:-$(cd "$(dirname "$0")/.." && pwd)/server/assets/demo-recording.webm}"
seconds=45
ffmpeg -hide_banner -loglevel error -y \
  -f lavfi -i "testsrc=size=640x360:rate=24:duration=$seconds" \
  -f lavfi -i "sine=frequency=440:beep_factor=4:sample_rate=48000:duration=$seconds" \
  -c:v libvpx-vp9 -pix_fmt yuv420p -b:v 220k -deadline good -cpu-used 4 -row-mt 1 -g 48 \
  -c:a libopus -b:a 48k \
  -metadata title="Demo recording" \
  "$out"
ls -l "$out"
