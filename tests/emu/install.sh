#!/usr/bin/env bash
# `cmake --install` into a temporary prefix gives a usable package: a fresh
# CMake project (find_package(mlpsweep), target mlpsweep::emu) and a plain
# cc line from `pkg-config --cflags --libs mlpsweep-emu` each build a small
# C program against the installed library; both run on the format-1 model of
# tests/emu/data and print what `mlpsweep predict` (format-1 code) predicted
# for its first row, to float32 rounding.
#   install.sh BUILD_DIR
set -uo pipefail
: "${MLPS_TMP:?}" "${MLPS_SRC:?}"
BUILD=$1
# A sanitizer build's library needs the sanitizer runtime in every program
# that loads it: not a package to install; the Release run covers this test.
if grep -q '^MLPS_SANITIZE:BOOL=ON' "$BUILD/CMakeCache.txt"; then
  echo "emu_install: skipped in a sanitizer build"
  exit 77
fi
W=$MLPS_TMP/emu_install
. "$(dirname "${BASH_SOURCE[0]}")/../check.sh"
rm -rf "$W" && mkdir -p "$W/app" && cd "$W" || exit 1
MODEL=$MLPS_SRC/tests/emu/data/model_v1.h5 REF=$MLPS_SRC/tests/emu/data/v1_pred.h5

cmake --install "$BUILD" --prefix "$W/prefix" >install.log 2>&1
check "cmake --install into a temporary prefix" "[ \$? -eq 0 ]" || cat install.log
check "it installs the header, the library, the CMake package and the .pc file" \
  "[ -f prefix/include/mlpsweep_emu.h ] && find prefix -name libmlpsweep_emu.so | grep -q . && find prefix -name mlpsweepConfig.cmake | grep -q . && find prefix -name mlpsweep-emu.pc | grep -q ."

cat > app/use_emu.c <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <mlpsweep_emu.h>
int main(int argc, char **argv) {
  char err[512];
  mlps_emu *u = mlps_emu_open(argv[1], err, sizeof err);
  if (!u) return fprintf(stderr, "%s\n", err), 1;
  double x[64], y[256];
  for (int j = 2; j < argc; j++) x[j - 2] = atof(argv[j]);
  int rc = mlps_emu_predict(u, 1, x, y);
  printf("%s %zu %zu %d %.9g\n", mlps_emu_version(), mlps_emu_n_inputs(u), mlps_emu_n_outputs(u), rc, y[0]);
  mlps_emu_close(u);
  return 0;
}
C
cat > app/CMakeLists.txt <<'CM'
cmake_minimum_required(VERSION 3.16)
project(use_emu C)
find_package(mlpsweep REQUIRED)
add_executable(use_emu use_emu.c)
target_link_libraries(use_emu PRIVATE mlpsweep::emu)
CM
read -r X0 X1 Y0 < <(/usr/bin/python3 -c "
import h5py; f = h5py.File('$REF'); x = f['X'][0]; print(repr(float(x[0])), repr(float(x[1])), repr(float(f['Y'][0, 0])))")

cmake -S app -B app/build -DCMAKE_PREFIX_PATH="$W/prefix" >cm.log 2>&1 && cmake --build app/build >>cm.log 2>&1
check "a fresh CMake project builds with find_package(mlpsweep) and mlpsweep::emu" "[ \$? -eq 0 ]" || tail -20 cm.log
app/build/use_emu "$MODEL" "$X0" "$X1" >cm.out 2>&1
check "  and its program predicts the reference row (rtol 1e-5)" \
  "awk -v r=$Y0 '{ d = \$5 / r - 1; exit (\$2 == 2 && \$3 == 60 && \$4 == 0 && d < 1e-5 && d > -1e-5) ? 0 : 1 }' cm.out" || cat cm.out

PC=$(find "$W/prefix" -name mlpsweep-emu.pc -printf '%h')
FLAGS=$(PKG_CONFIG_PATH=$PC pkg-config --cflags --libs mlpsweep-emu)
check "pkg-config --cflags --libs mlpsweep-emu answers" "[ \$? -eq 0 ] && [ -n \"\$FLAGS\" ]"
cc app/use_emu.c $FLAGS -o use_emu_pc >pc.log 2>&1
check "cc with those flags builds the program" "[ \$? -eq 0 ]" || cat pc.log
LIBDIR=$(PKG_CONFIG_PATH=$PC pkg-config --variable=libdir mlpsweep-emu)
LD_LIBRARY_PATH=$LIBDIR ./use_emu_pc "$MODEL" "$X0" "$X1" >pc.out 2>&1
check "  and prints the same line as the CMake-built one" "cmp -s pc.out cm.out" || cat pc.out
checks_done emu_install
