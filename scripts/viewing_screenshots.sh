#!/usr/bin/env bash
# The screenshots of docs/viewing.md: `maxray view` in the native Rerun viewer (under Xvfb, software rendering)
# and `maxray report` in headless Chromium, both on the README's demo dataset.
#   bash scripts/viewing_screenshots.sh [DATASET] [OUTDIR]     (needs: setup.sh --view; apt xvfb xdotool imagemagick chromium)
set -euo pipefail
cd "$(dirname "$0")/.."
data="${1:-demo_dataset}"
out="${2:-docs/images/viewing}"
index="${INDEX:-1}"
[ -d "$data" ] || .venv/bin/maxray generate --preset demo --out "$data"
mkdir -p "$out"
tmp="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT

.venv/bin/maxray view "$data" --index "$index" --save "$tmp/sample.rrd" --no-progress
.venv/bin/rerun analytics disable >/dev/null 2>&1 || true
Xvfb :87 -screen 0 1600x1000x24 >/dev/null 2>&1 &
sleep 2
DISPLAY=:87 .venv/bin/rerun "$tmp/sample.rrd" >"$tmp/rerun.log" 2>&1 &
sleep "${WAIT_S:-30}"   # software rendering: the first frames take a while
# Tilt the 3-D view towards a bird's-eye view (left drag orbits), zoom in one notch, move the pointer aside.
export DISPLAY=:87
xdotool mousemove 400 500 mousedown 1
for _ in $(seq 1 10); do xdotool mousemove_relative -- 0 12; sleep 0.1; done
xdotool mouseup 1; sleep 1; xdotool click 4; xdotool mousemove 60 900; sleep 8
import -window root "$tmp/view.png"
.venv/bin/python - "$tmp/view.png" "$out" <<'EOF'
import sys
from PIL import Image
im = Image.open(sys.argv[1]).convert("RGB")
im.save(f"{sys.argv[2]}/view_layout.png", optimize=True)
w, h = im.size
im.crop((int(0.125 * w), int(0.052 * h), int(0.537 * w), int(0.965 * h))).save(f"{sys.argv[2]}/view_3d.png", optimize=True)
EOF

.venv/bin/maxray report "$data" --no-progress
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
  --disable-component-update --disable-sync --user-data-dir="$tmp/profile" --window-size=1400,1150 \
  --hide-scrollbars --screenshot="$out/report.png" "file://$(realpath "$data")/report/index.html" >/dev/null 2>&1
echo "wrote $out/view_layout.png, $out/view_3d.png, $out/report.png"
