#!/usr/bin/env bash
# Re-take the add-on screenshots in docs/images/addon/ with a real Blender window on a virtual screen.
# pip's bpy has no user interface; this uses Debian's Blender (3.4) and Xvfb:
#   apt-get install -y blender xvfb xauth xdotool && bash scripts/addon_screenshots.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-docs/images/addon}"
site=".venv/lib/python3.11/site-packages"
start="$(mktemp -d)/start.blend"
blender -b --factory-startup --python-expr "import bpy; bpy.ops.wm.save_as_mainfile(filepath='${start}')" >/dev/null
xvfb-run -a -s "-screen 0 1600x1000x24" blender "${start}" --python scripts/addon_screenshots.py -- "${out}" "${site}" \
  | grep -E "^FACT|Error" || true
