#!/usr/bin/env bash
# Set up MaxRay-Gen on Debian 12 with Python 3.11: system packages (apt) and a virtual environment in .venv.
#   bash scripts/setup.sh         # runtime (package + radio engines)
#   bash scripts/setup.sh --detect  # plus vision detection (ultralytics, AGPL-3.0; torch 2.14.1 + torchvision)
#   bash scripts/setup.sh --view  # plus the Rerun viewer extra (maxray view)
#   bash scripts/setup.sh --dev   # plus detection, viewing and test tools (and Chromium for the report test)
set -euo pipefail
cd "$(dirname "$0")/.."

extras="radio,blender,torch,farm"
case "${1:-}" in
  --dev) extras="radio,blender,torch,farm,detect,view,dev" ;;
  --view) extras="radio,blender,torch,farm,view" ;;
  --detect) extras="radio,blender,torch,farm,detect" ;;
  "") ;;
  *) echo "usage: bash scripts/setup.sh [--detect|--view|--dev]" >&2; exit 2 ;;
esac

# Dr.Jit's CPU backend needs LLVM >= 17 (Debian 12's default 14/15 abort); maxray finds it by itself.
if ! ls /usr/lib/*/libLLVM.so.19* /usr/lib/*/libLLVM-19.so* >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get install -y -qq libllvm19 >/dev/null 2>&1 \
      || { $sudo apt-get update -qq && $sudo apt-get install -y -qq libllvm19; }
  else
    echo "warning: install LLVM >= 17 (libLLVM) for Dr.Jit on the CPU; see 'maxray doctor'" >&2
  fi
fi

# Test tools: a single-node SLURM cluster from Debian packages (started by the farm tests), Debian 12's
# default LLVM 15, which the tests load on purpose to check that a too-old LLVM is refused cleanly, and Chromium,
# which opens the `maxray report` page headless.
if [ "${1:-}" = "--dev" ] && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
  need=""
  command -v slurmctld >/dev/null 2>&1 || need="slurm-wlm munge"
  ls /usr/lib/*/libLLVM-15.so.1 >/dev/null 2>&1 || ls /usr/lib/*/libLLVM-14.so.1 >/dev/null 2>&1 || need="$need libllvm15"
  command -v chromium >/dev/null 2>&1 || need="$need chromium"
  if [ -n "$need" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need >/dev/null 2>&1 \
      || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need; }
  fi
fi

py="${PYTHON:-python3.11}"
command -v "$py" >/dev/null 2>&1 || py=python3
if [ ! -x .venv/bin/python ]; then
  "$py" -m venv .venv
fi
# A pinned torch first: a bare "torch" requirement could pull a multi-GB CUDA build from the internet.
# Without detection: the 2.13.0 CPU build. torchvision (detection) does not import beside it, so detection takes
# torch 2.14.1 + torchvision 0.29.1 (both from the local wheel store here); a venv that has them keeps them.
if [[ ",${extras}," == *",detect,"* ]] || .venv/bin/python -c "import torchvision" >/dev/null 2>&1; then
  .venv/bin/python -m pip install -q --disable-pip-version-check "torch==2.14.1" "torchvision==0.29.1"
else
  .venv/bin/python -m pip install -q --disable-pip-version-check "torch==2.13.0"
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[${extras}]"
echo "MaxRay-Gen is installed in .venv ($(.venv/bin/maxray --version))"
