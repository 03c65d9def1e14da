#!/usr/bin/env bash
# check_layers.sh can fail: on a scratch tree with one wrong-way include per
# kind of rule (a lower module including a higher one, config including
# sweep, sweep including cli, the planned emu/ including more of data/ than
# data/h5.h, a folder without a rule) it exits 1 and names each file:line and
# its rule; on the same tree without them it passes, also with includes
# written relative to the including file.
set -uo pipefail
: "${MLPS_TMP:?}"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../check.sh"
W=$MLPS_TMP/structure_layers_selftest
rm -rf "$W" && mkdir -p "$W/src" && cd "$W/src" || exit 1

mkdir util nn data search config sweep workflow cli emu
for m in util nn data search config sweep workflow cli emu; do echo "/* $m */" >$m/$m.h; done
echo "/* h5 */" >data/h5.h
echo "/* space */" >search/space.h
printf '#include "util/util.h"\n#include "nn/nn.h"\n' >nn/a.c
printf '#include "util/util.h"\n#include "h5.h"\n' >data/a.c
printf '#include "../util/util.h"\n' >search/a.c
printf '#include "search/search.h"\n#include "data/data.h"\n#include "nn/nn.h"\n' >config/a.c
printf '#include "search/space.h"\n#include <mpi.h>\n' >sweep/a.c
printf '#include "config/config.h"\n#include "sweep/sweep.h"\n' >workflow/a.c
printf '#include "workflow/workflow.h"\n' >cli/a.c
printf '#include "data/h5.h"\n#include "util/util.h"\n#include "emu/emu.h"\n' >emu/a.c
bash "$here/check_layers.sh" "$W/src" >good.log 2>&1
check "a tree that follows the layering passes" "[ $? -eq 0 ] && grep -q 'all 15 includes' good.log" || cat good.log

printf '/* line 1 */\n#include "config/config.h"\n' >>nn/a.c
printf '#include "sweep/sweep.h"\n' >>config/a.c
printf '  #  include "cli/cli.h" /* spaces */\n' >>sweep/a.c
printf '#include "nn/nn.h"\n' >>util/util.h
printf '#include "data/data.h"\n' >>emu/a.c
printf '#include "../config/config.h"\n' >>data/a.c
mkdir foo && printf '#include "util/util.h"\n' >foo/x.c
bash "$here/check_layers.sh" "$W/src" >bad.log 2>&1
check "wrong-way includes fail the check" "[ $? -eq 1 ]"
for want in \
  'src/nn/a.c:4: #include "config/config.h" (src/config/config.h) breaks the layering: files in src/nn/ may include only nn/ and util (rule "nn: util"' \
  'src/config/a.c:4: #include "sweep/sweep.h" (src/sweep/sweep.h) breaks the layering: files in src/config/ may include only config/ and util, nn, data, search' \
  'src/sweep/a.c:3: #include "cli/cli.h" (src/cli/cli.h) breaks the layering: files in src/sweep/' \
  'src/util/util.h:2: #include "nn/nn.h" (src/nn/nn.h) breaks the layering: files in src/util/ may include only util/ (rule "util:"' \
  'src/emu/a.c:4: #include "data/data.h" (src/data/data.h) breaks the layering: files in src/emu/ may include only emu/ and util, data/h5.h' \
  'src/data/a.c:3: #include "../config/config.h" (src/config/config.h) breaks the layering' \
  'src/foo/x.c:1: #include "util/util.h": no rule for the folder of src/foo/x.c; add a line for it to RULES' \
  'check_layers: 7 include(s) against the layering'; do
  check "reported: ${want:0:60}..." 'grep -qF -- "$want" bad.log'
done
check "nothing else reported" "[ \$(grep -c '^src/' bad.log) -eq 7 ]" || cat bad.log
checks_done structure_layers_selftest
