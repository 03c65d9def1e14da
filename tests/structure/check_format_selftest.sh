#!/usr/bin/env bash
# check_format.sh can fail and can fix: on a scratch root with the project's
# .clang-format, a badly formatted src/ file fails the check, named with its
# first place; --fix reformats it; then the check passes and a second --fix
# changes nothing. Exits 77 (SKIPPED) without clang-format 14, like the check.
set -uo pipefail
: "${MLPS_TMP:?}"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../check.sh"
W=$MLPS_TMP/structure_format_selftest
rm -rf "$W" && mkdir -p "$W/src/util" "$W/tests" && cd "$W" || exit 1
cp "$here/../../.clang-format" .
printf 'static int add(int a,int b){\n    return a+b;}\n' >src/util/bad.c
printf '/* formatted */\nstatic int twice(int *x) { return 2 * *x; }\n' >tests/good.h
bash "$here/check_format.sh" "$W" >check1.log 2>&1
rc=$?
[ $rc -eq 77 ] && { cat check1.log; exit 77; }
check "a badly formatted file fails the check" "[ $rc -eq 1 ]"
check "... naming its first place and the fix" \
  "grep -q '^src/util/bad.c: .* first: src/util/bad.c:1:' check1.log && grep -q -- '--fix' check1.log && ! grep -q good.h check1.log" ||
  cat check1.log
bash "$here/check_format.sh" --fix "$W" >fix.log 2>&1
check "--fix exits 0" "[ $? -eq 0 ]"
check "--fix reformats the file" "[ \"\$(cat src/util/bad.c)\" = 'static int add(int a, int b) { return a + b; }' ]" ||
  cat src/util/bad.c
bash "$here/check_format.sh" "$W" >check2.log 2>&1
check "the check then passes" "[ $? -eq 0 ]" || cat check2.log
cp src/util/bad.c once.c
bash "$here/check_format.sh" --fix "$W" >/dev/null 2>&1
check "a second --fix changes nothing" "cmp -s once.c src/util/bad.c"
checks_done structure_format_selftest
