# Sourced by the tests that kill a run mid-way (kill_points.sh, prune.sh):
#   kill_run PID   kill -9 of the launcher PID (an mpiexec started with &),
#                  then waits (up to 20 s) until its ranks, orphaned, have
#                  exited writing nothing; sets alive=1 if one is still up.
kill_run() {
  local launcher=$1 ranks p i
  ranks=$(pgrep -P "$launcher" | tr '\n' ' ')
  kill -9 "$launcher" 2>/dev/null
  wait "$launcher" 2>/dev/null
  for ((i = 0; i < 200; i++)); do
    alive=0
    for p in $ranks; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive -eq 0 ] && break
    sleep 0.1
  done
}
