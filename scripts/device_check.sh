#!/usr/bin/env bash
# The GPU check in one go (at most 8 minutes on one NVIDIA GPU and 16 cores): SBR trace on Dr.Jit CUDA vs LLVM,
# Cycles OptiX and CUDA render time, SCL training throughput with AMP. Writes device_check.json and
# device_check.md to --out (default $OUT, else ./device_check_out). See scripts/device_check.py.
#
#   bash scripts/device_check.sh [--out DIR] [--dry-run] [--only sbr,cycles,scl] [--wheels DIR]
#
# --wheels DIR   install what is missing from the wheels in DIR first (pip --no-index: the GPU machine has no
#                network), e.g. a folder of mitsuba, drjit, torch (CUDA build) and bpy wheels carried beside the
#                checkout. Without it, the packages already importable are used and the checks that lack theirs
#                are recorded as skipped.
# PYTHON         the interpreter (default: .venv/bin/python when present, else python3.11, else python3).
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }

wheels=""
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --wheels) [ $# -ge 2 ] || { echo "device_check: --wheels needs a folder" >&2; exit 2; }
              wheels="$2"; shift 2 ;;
    --wheels=*) wheels="${1#--wheels=}"; shift ;;
    --out|--only) [ $# -ge 2 ] || { echo "device_check: $1 needs a value" >&2; exit 2; }
                  args+=("$1" "$2"); shift 2 ;;
    --out=*|--only=*|--dry-run) args+=("$1"); shift ;;
    *) echo "device_check: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

if [ -n "${PYTHON:-}" ]; then py="$PYTHON"
elif [ -x .venv/bin/python ]; then py=.venv/bin/python
elif command -v python3.11 >/dev/null; then py=python3.11
else py=python3
fi

if [ -n "$wheels" ]; then
  [ -d "$wheels" ] || { echo "device_check: --wheels: no folder $wheels" >&2; exit 2; }
  # best effort: each package that is not importable yet, from the carried wheels only
  for pkg in numpy scipy h5py pydantic click mitsuba drjit torch bpy; do
    "$py" -c "import $pkg" 2>/dev/null || "$py" -m pip install -q --no-index --find-links "$wheels" "$pkg" \
      || echo "device_check: no wheel for $pkg in $wheels (its checks will be skipped)" >&2
  done
  "$py" -c "import maxray_gen" 2>/dev/null || "$py" -m pip install -q --no-index --no-deps --no-build-isolation -e . \
    || echo "device_check: maxray_gen not installed; running from the checkout" >&2
fi

exec "$py" scripts/device_check.py ${args[@]+"${args[@]}"}
