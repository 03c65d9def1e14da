#!/usr/bin/env bash
# The C sources of src/ and tests/ against .clang-format (clang-format 14):
#   bash tests/structure/check_format.sh [ROOT]        check (clang-format --dry-run --Werror)
#   bash tests/structure/check_format.sh --fix [ROOT]  reformat the files in place
# The check names each file that differs with its first place and the fix
# command, and exits 1; 0 when all are formatted. Without clang-format 14 it
# exits 77 (CTest: SKIPPED), since other versions format some lines otherwise.
set -uo pipefail
fix=0
if [ "${1:-}" = --fix ]; then fix=1; shift; fi
root=$(cd "${1:-$(dirname "${BASH_SOURCE[0]}")/../..}" && pwd) || exit 2
cf=${CLANG_FORMAT:-$(command -v clang-format-14 || command -v clang-format || true)}
if [ -z "$cf" ] || ! "$cf" --version 2>/dev/null | grep -q 'version 14\.'; then
  echo "check_format: needs clang-format 14 (apt-get install clang-format-14, or set CLANG_FORMAT); found: ${cf:-none}"
  exit 77
fi
[ -f "$root/.clang-format" ] || { echo "check_format: no $root/.clang-format"; exit 2; }
mapfile -d '' files < <(find "$root/src" "$root/tests" -type f \( -name '*.c' -o -name '*.h' \) -print0 | sort -z)
[ ${#files[@]} -gt 0 ] || { echo "check_format: no C files under $root/src and $root/tests"; exit 2; }

if [ $fix -eq 1 ]; then
  "$cf" -i --style=file "${files[@]}" || exit 1
  echo "check_format: formatted ${#files[@]} files"
  exit 0
fi
bad=0
for f in "${files[@]}"; do
  out=$("$cf" --dry-run --Werror --style=file "$f" 2>&1) && continue
  bad=$((bad + 1))
  n=$(grep -c 'error: code should be clang-formatted' <<<"$out")
  echo "${f#"$root"/}: $n place(s) not formatted, first: $(grep -m1 'error:' <<<"$out" | sed "s|^$root/||")"
done
if [ $bad -ne 0 ]; then
  echo "check_format: $bad of ${#files[@]} files differ from .clang-format; fix with: bash tests/structure/check_format.sh --fix"
  exit 1
fi
echo "check_format: all ${#files[@]} C files follow .clang-format"
