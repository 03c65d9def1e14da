#!/usr/bin/env bash
# The layering of src/ (src/README.md, "Modules"), checked on every
# `#include "..."` line of every .c and .h file. Each module gets src/ as a
# public include directory and the executable links them all, so a
# wrong-way include would build and link: this check is what stops it.
#   bash tests/structure/check_layers.sh [SRC_DIR]   (default: src/ of this checkout)
# Prints FILE:LINE: the include and the rule it breaks, for each one; exits 1
# if there is any, 0 if none.
set -uo pipefail

# The rules: "DIR: ALLOWED ...". A file is governed by the longest DIR that
# holds it (so a sub-folder such as sweep/engine may get a stricter line of
# its own); it may include its own DIR and the ALLOWED entries, each a folder
# (util) or a single header (data/h5.h). A folder of src/ without a line
# fails the check: a new module states its place here.
RULES='
util:
nn:     util
data:   util
search: util
config: util nn data search
sweep:  util search/space.h search/metric.h
workflow: util nn data search config sweep
cli:    util nn data search config sweep workflow emu
emu:    util data/h5.h
'
# (sweep/ is the generic MPI engine: it knows the search space and the metric
# names, nothing of networks, data or configs; workflow/ is the emulator
# application on it.)
# (emu/, the planned emulator library, reads and writes HDF5 through
# data/h5.h only; the rest of data/ is the training-data pipeline.)

self=tests/structure/check_layers.sh
src=$(cd "${1:-$(dirname "${BASH_SOURCE[0]}")/../../src}" && pwd) || exit 2
keys=() allows=()
while IFS= read -r line; do
  [ -n "${line// /}" ] || continue
  keys+=("${line%%:*}")
  allows+=("$(echo ${line#*:})") # word-split: normalised spaces
done <<<"$RULES"

# rule_of PATH: sets r to the index of the longest DIR holding PATH
# (relative to src/), or -1
rule_of() {
  local len=0 i k
  r=-1
  for i in "${!keys[@]}"; do
    k=${keys[$i]}
    case $1 in "$k"/*) [ ${#k} -gt $len ] && r=$i len=${#k} ;; esac
  done
}

bad=0 n=0
while IFS= read -r hit; do
  file=${hit%%:*} rest=${hit#*:}
  lineno=${rest%%:*}
  [[ ${rest#*:} =~ include[[:space:]]*\"([^\"]*)\" ]] || continue
  name=${BASH_REMATCH[1]}
  rel=${file#"$src"/}
  n=$((n + 1))
  # A quoted include is looked up next to the including file first, then in src/.
  dir=${file%/*}
  if [ -e "$dir/$name" ]; then target=${dir#"$src"}/$name; else target=/$name; fi
  target=${target#/}
  case $target in *./*) target=$(realpath -m --relative-to="$src" "$src/$target") ;; esac
  rule_of "$rel"
  if [ "$r" -lt 0 ]; then
    echo "src/$rel:$lineno: #include \"$name\": no rule for the folder of src/$rel; add a line for it to RULES in $self"
    bad=$((bad + 1))
    continue
  fi
  own=${keys[$r]}
  ok=0
  case $target in "$own"/*) ok=1 ;; esac
  for a in ${allows[$r]}; do
    case $target in "$a" | "$a"/*) ok=1 ;; esac
  done
  if [ $ok -eq 0 ]; then
    may=${allows[$r]:+"$own/ and ${allows[$r]// /, }"}
    echo "src/$rel:$lineno: #include \"$name\" (src/$target) breaks the layering: files in src/$own/ may include only ${may:-$own/} (rule \"$own:${allows[$r]:+ ${allows[$r]}}\" in $self; see src/README.md, Modules)"
    bad=$((bad + 1))
  fi
done < <(find "$src" -type f \( -name '*.c' -o -name '*.h' \) -print0 | sort -z |
  xargs -0 grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' /dev/null)

if [ $n -eq 0 ]; then
  echo "check_layers: no #include \"...\" lines found under $src (wrong directory?)"
  exit 1
fi
if [ $bad -ne 0 ]; then
  echo "check_layers: $bad include(s) against the layering, in $n checked"
  exit 1
fi
echo "check_layers: all $n includes of $src follow the layering"
