#!/usr/bin/env bash
# search/ is one-way: the front (sampler.c) calls the methods (sobol.c,
# tpe.c), which call only the dimension conversions (sdim.c); nothing calls
# back up. Checked on the compiled objects of mlps_search: which file's
# functions each file calls (nm), against the allowed edges below. A new
# file gets its edges here; a call against the arrows fails.
#   layers.sh LIBMLPS_SEARCH.a
set -uo pipefail
lib=${1:?usage: layers.sh libmlps_search.a}
. "$(dirname "${BASH_SOURCE[0]}")/../check.sh"
allowed=" sampler>sdim sampler>sobol sampler>tpe sampler>space tpe>sdim sdim>space "
declare -A owner # symbol -> file that defines it
while read -r file sym; do owner[$sym]=$file; done < <(
  nm -A --defined-only "$lib" | awk '$(NF-1) ~ /^[TDRB]$/ { split($1, a, ":"); f = a[2]; sub(/\.c\.o$/, "", f); print f, $NF }')
edges=$(nm -A --undefined-only "$lib" | awk '{ split($1, a, ":"); f = a[2]; sub(/\.c\.o$/, "", f); print f, $NF }' |
  while read -r file sym; do
    to=${owner[$sym]:-}
    [[ -n $to && $to != "$file" ]] && echo "$file>$to"
  done | sort -u)
check "the objects call each other (nm sees the front's calls)" '[[ $edges == *"sampler>tpe"* ]]'
for e in $edges; do
  check "call $e is allowed" '[[ $allowed == *" $e "* ]]'
done
checks_done search_layers
