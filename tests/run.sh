#!/usr/bin/env bash
# Quick-start command 2: install what is missing, build, and run the whole
# test suite twice: a Release build, then an AddressSanitizer +
# UndefinedBehaviorSanitizer build (build-asan/), so memory errors fail.
#   bash tests/run.sh            # both
#   MLPS_SKIP_ASAN=1 bash tests/run.sh   # Release only (quicker local loop)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../jobs/setup.sh"
# Test-only packages, one line per purpose:
mlps_install_missing clang-format || echo "tests: clang-format not installed: structure_format will be SKIPPED"  # the code's format
mlps_install_missing chromium || echo "tests: chromium not installed: analysis_browser will be SKIPPED"  # report in a browser
mlps_install_missing python3-emcee python3-scipy python3-torch || echo "tests: no python3-emcee or python3-torch: analysis_emulator will fail"  # mcmc_check.py, to_torch
mlps_install_missing slurm-wlm slurm-wlm-basic-plugins munge iproute2 || echo "tests/run.sh: no SLURM packages; tests/cluster will say it is skipped" # for tests/cluster

status=0
echo "== tests (Release, $MLPS_BUILD)"
ctest --test-dir "$MLPS_BUILD" --output-on-failure -j 2 || status=1

if [ -z "${MLPS_SKIP_ASAN:-}" ]; then
  asan_dir=$MLPS_ROOT/build-asan
  mkdir -p "$asan_dir"
  mlps_build "$asan_dir" -DMLPS_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
  echo "== tests (ASan+UBSan, $asan_dir)"
  # Tests labelled 'noasan' only measure statistics over many full runs and
  # are covered by the Release pass; the sanitizers see the same code paths
  # in the other tests.
  ctest --test-dir "$asan_dir" --output-on-failure -j 2 -LE noasan || status=1
fi
exit $status
