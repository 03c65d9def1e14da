#!/usr/bin/env bash
# The reports of analysis_smoke (its fixture) as a reader sees them: rendered
# in headless Chromium (browser_check.py), every image decodes and no figure
# is wider than a 1280 px window. Broken copies (an image that is not a PNG,
# one cut short, a figure 1800 px wide) must fail the same check.
# Exit 77 (SKIPPED) without chromium; tests/run.sh installs it.
set -uo pipefail
: "${MLPS_TMP:?}" "${MLPS_SRC:?}"
PY=/usr/bin/python3
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
S=$MLPS_TMP/analysis_smoke
W=$MLPS_TMP/analysis_browser
. "$HERE/../check.sh"
rm -rf "$W" && mkdir -p "$W" && cd "$W" || exit 1
[ -s "$S/runs/a/report.html" ] && [ -s "$S/c.html" ] || { echo "FAIL: no reports from analysis_smoke in $S"; exit 1; }

$PY "$HERE/browser_check.py" "$S/runs/a/report.html" --images 7 --screenshot-dir shots >a.log 2>&1
rc=$?
cat a.log
[ $rc -eq 77 ] && exit 77
check "report a (7 plots) renders: every image decodes, none wider than the window" "[ $rc -eq 0 ]"
$PY "$HERE/browser_check.py" "$S/c.html" --images 4 >c.log 2>&1
check "report c (no final model: 4 plots) renders" "[ \$? -eq 0 ]"; cat c.log
check "a screenshot of report a was written" "[ -s shots/report.png ]"

# Negative controls: the check must catch a broken image and a wide figure.
$PY - "$S/runs/a/report.html" <<'PYEOF'
import base64, io, re, sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
doc = open(sys.argv[1]).read()
i = doc.index("data:image/png;base64,") + len("data:image/png;base64,")
j = doc.index('"', i)
open("truncated.html", "w").write(doc[:i] + doc[i:i + 2000] + doc[j:])  # header intact, data cut
open("broken.html", "w").write(doc[:i] + "AAAA" + doc[i + 4:])  # no PNG signature
fig = plt.figure(figsize=(18, 2))
buf = io.BytesIO()
fig.savefig(buf, format="png", dpi=100)
wide = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
open("wide.html", "w").write(re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", wide, doc, count=1))
PYEOF
$PY "$HERE/browser_check.py" broken.html >broken.log 2>&1
check "an image that is not a PNG fails the check (browser)" "[ \$? -eq 1 ] && grep -q 'did not decode' broken.log"
$PY "$HERE/browser_check.py" truncated.html >truncated.log 2>&1
check "an image cut short fails the check" "[ \$? -eq 1 ] && grep -q 'does not decode in full' truncated.log"
$PY "$HERE/browser_check.py" wide.html >wide.log 2>&1
check "a figure 1800 px wide fails the check" "[ \$? -eq 1 ] && grep -q 'scaled down' wide.log"
checks_done analysis_browser
