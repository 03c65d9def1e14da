#!/usr/bin/env bash
# Shared set-up for the quick start and the test suite: installs the Debian
# packages that are missing (apt, as root or through sudo), then configures
# and builds mlpsweep into build/ (or $MLPS_BUILD). Idempotent: a second run
# installs nothing and rebuilds only what changed.
#
# Sourced by jobs/quickstart.sh and tests/run.sh; can also be run alone:
#   bash jobs/setup.sh [extra cmake args]
set -euo pipefail

MLPS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MLPS_BUILD=${MLPS_BUILD:-$MLPS_ROOT/build}

mlps_packages=(build-essential cmake pkg-config libopenmpi-dev openmpi-bin
  libopenblas-dev libhdf5-dev libyaml-dev
  python3 python3-numpy python3-h5py python3-matplotlib python3-yaml)

mlps_install_missing() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if ! command -v apt-get >/dev/null; then
    echo "mlpsweep setup: missing ${missing[*]} and no apt-get; install them (or load the matching modules) by hand" >&2
    return 1
  fi
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then sudo="sudo"; else
      echo "mlpsweep setup: need root or sudo to install: ${missing[*]}" >&2
      return 1
    fi
  fi
  echo "mlpsweep setup: installing ${missing[*]}"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

mlps_build() { # mlps_build BUILD_DIR [cmake args...]
  local dir=$1; shift
  cmake -S "$MLPS_ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=Release "$@" >"$dir.configure.log" 2>&1 \
    || { cat "$dir.configure.log" >&2; return 1; }
  cmake --build "$dir" -j "$(nproc)" >"$dir.build.log" 2>&1 \
    || { tail -n 60 "$dir.build.log" >&2; return 1; }
  echo "mlpsweep setup: built $dir"
}

mlps_install_missing "${mlps_packages[@]}"
mkdir -p "$MLPS_BUILD"
mlps_build "$MLPS_BUILD" "$@"

# mpirun refuses to run as root without these; a laptop user is not root and
# never sees them. More ranks than cores (as in the demo) need oversubscribe.
if [ "$(id -u)" -eq 0 ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
export OMPI_MCA_rmaps_base_oversubscribe=1
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
MLPS_BIN=$MLPS_BUILD/src/mlpsweep
