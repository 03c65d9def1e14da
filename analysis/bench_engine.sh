#!/usr/bin/env bash
# Runs `mlpsweep bench` and analysis/bench_torch.py on the same networks,
# batch, optimizer and thread count, one after the other in the same run,
# and prints both JSON lines and the ratios (engine / torch samples per s).
#
#   analysis/bench_engine.sh                      # uses build/src/mlpsweep
#   MLPS_BIN=build-nn/src/mlpsweep THREADS=1 analysis/bench_engine.sh
#   NETS="3,64,64,64,64,60 10,512,512,512,512,150" ACT=relu OPT=adam BATCH=256
#
# Each figure is the best of REPEATS (default 3) runs, alternating engine and
# torch, because shared machines give noisy timings. The same run also times
# OpenBLAS's own sgemm on square PEAK_N (default 2048) matrices: its best-case
# rate on this core. For the issue's target ratios (5x on the small net, 2x on
# the 512 net) it prints the flop rate the target needs (ratio x torch's
# samples/s x the model's flops per sample) next to that ceiling.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
bin=${MLPS_BIN:-$root/build/src/mlpsweep}
py=${PYTHON:-/usr/bin/python3}
threads=${THREADS:-1}
batch=${BATCH:-256}
act=${ACT:-relu}
opt=${OPT:-adam}
repeats=${REPEATS:-3}
nets=${NETS:-"3,64,64,64,64,60 10,512,512,512,512,150"}
if [ ! -x "$bin" ]; then
  echo "bench_engine.sh: $bin not found; build first or set MLPS_BIN" >&2
  exit 2
fi
if ! "$py" -c "import torch" 2>/dev/null; then
  echo "bench_engine.sh: $py has no torch (Debian: apt-get install python3-torch)" >&2
  exit 2
fi
export OPENBLAS_NUM_THREADS=$threads OMP_NUM_THREADS=$threads

steps_for() { # enough steps for ~1-2 s per run
  local w; w=$(echo "$1" | tr ',' '\n' | sort -n | tail -1)
  if [ "$w" -ge 256 ]; then echo "${STEPS_LARGE:-60}"; else echo "${STEPS_SMALL:-1000}"; fi
}
field() { "$py" -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }
best() { # the JSON line with the highest samples_per_s
  "$py" -c "
import json, sys
rows = [json.loads(l) for l in sys.stdin if l.strip()]
print(json.dumps(max(rows, key=lambda r: r['samples_per_s'])))"
}

peak_n=${PEAK_N:-2048}
peak=$("$bin" bench --peak "$peak_n" --threads "$threads")
echo "$peak"
declare -A target=([3,64,64,64,64,60]=5 [10,512,512,512,512,150]=2)
summary=()
for net in $nets; do
  steps=$(steps_for "$net")
  args=(--net "$net" --batch "$batch" --act "$act" --optimizer "$opt" --steps "$steps" --threads "$threads")
  eng_all="" tor_all=""
  for _ in $(seq "$repeats"); do
    eng_all+=$("$bin" bench "${args[@]}")$'\n'
    tor_all+=$("$py" "$here/bench_torch.py" "${args[@]}")$'\n'
  done
  eng=$(printf '%s' "$eng_all" | best)
  tor=$(printf '%s' "$tor_all" | best)
  echo "$eng"
  echo "$tor"
  summary+=("$("$py" -c "
import json, sys
e, t, p = json.loads(sys.argv[1]), json.loads(sys.argv[2]), json.loads(sys.argv[3])
line = ('%-26s engine %10.0f samples/s (%8.1f us/step, sgemm %4.1f%%, %.0f GFLOP/s in sgemm)  '
        'torch %10.0f samples/s  ratio %.2fx'
        % (e['net'], e['samples_per_s'], e['step_us'], 100 * e['sgemm_fraction'], e['sgemm_gflops'],
           t['samples_per_s'], e['samples_per_s'] / t['samples_per_s']))
if sys.argv[4]:
    r = float(sys.argv[4])
    flops_per_sample = e['gflops'] * 1e9 / e['samples_per_s']
    need = r * t['samples_per_s'] * flops_per_sample * 1e-9
    line += ('\\n%26s target %gx needs %.0f GFLOP/s of model flops; OpenBLAS peak here %.0f GFLOP/s: %s'
             % ('', r, need, p['gflops'], 'reachable' if need <= p['gflops'] else
                'out of reach for any engine on this BLAS (%.2fx the peak)' % (need / p['gflops'])))
print(line)" "$eng" "$tor" "$peak" "${target[$net]:-}")")
done
echo "# batch $batch, $act, $opt, $threads thread(s), best of $repeats; $(uname -n), $(date -u +%FT%TZ)"
echo "# OpenBLAS's own sgemm, ${peak_n}^3: $(field "$peak" gflops) GFLOP/s ($(field "$peak" blas))"
printf '%s\n' "${summary[@]}"
