#!/usr/bin/env bash
# A real two-node SLURM on one machine, for tests/cluster/test_cluster.sh:
# munged, slurmctld and two slurmd "nodes" (n1, n2), each slurmd in its own
# network namespace (joined by a veth pair, 10.77.0.1 and 10.77.0.2) and its
# own UTS namespace (its own hostname), so MPI sees two hosts and talks TCP
# between them. The daemons are entered with `nsenter --net` rather than
# `ip netns exec`, which would remount /sys and hide the cgroup tree.
# Everything lives in one directory; nothing outside it is changed except the
# two named network namespaces, which cluster_down removes.
#
# Sourced; defines:
#   cluster_can_run              prints why this machine cannot run it, rc 1
#   cluster_up DIR               starts the daemons (state, logs, sockets in DIR),
#                                waits until both nodes are idle
#   cluster_down                 cancels the jobs, stops the daemons, removes
#                                the namespaces
#   in_cluster CMD...            runs CMD on the submit host (n1's namespace)
#   on_node NODE CMD...          runs CMD as if on NODE (n1 or n2): its network
#                                namespace and a UTS namespace named NODE
#   cluster_rsh_agent FILE       writes an rsh agent for Open MPI's mpirun
#                                (plm_rsh_agent) that starts its daemons on a
#                                node in its namespaces, in place of ssh
# and exports SLURM_CONF for the client commands.

MLPS_NS1=mlps-n1-$$
MLPS_NS2=mlps-n2-$$
MLPS_CLUSTER_DIR=

cluster_can_run() {
  if [ "$(id -u)" -ne 0 ]; then echo "needs root (network and UTS namespaces, slurmd)"; return 1; fi
  local c
  for c in slurmctld slurmd sbatch munged mungekey nsenter unshare ip; do
    command -v "$c" >/dev/null || { echo "$c is not installed (apt-get install slurm-wlm munge)"; return 1; }
  done
  if [ ! -e /usr/lib/x86_64-linux-gnu/slurm-wlm/mpi_pmix.so ] && ! ls /usr/lib/*/slurm-wlm/mpi_pmix.so >/dev/null 2>&1; then
    echo "SLURM's PMIx plugin (mpi_pmix.so) is missing"; return 1
  fi
  if ! ip netns add "mlps-probe-$$" 2>/dev/null; then echo "cannot create network namespaces here"; return 1; fi
  ip netns del "mlps-probe-$$"
  unshare --uts true 2>/dev/null || { echo "cannot create UTS namespaces here"; return 1; }
  return 0
}

# in_ns NS CMD...: CMD in namespace NS's network stack, same mounts and cgroups.
in_ns() { local ns=$1; shift; nsenter --net=/run/netns/"$ns" "$@"; }
in_cluster() { in_ns "$MLPS_NS1" "$@"; }
node_ns() { if [ "$1" = n2 ]; then echo "$MLPS_NS2"; else echo "$MLPS_NS1"; fi; }
on_node() {
  local n=$1
  shift
  in_ns "$(node_ns "$n")" unshare --uts sh -c "hostname $n && exec \"\$@\"" sh "$@"
}

cluster_rsh_agent() {
  cat > "$1" <<AGENT
#!/bin/sh
# Open MPI's mpirun calls: AGENT [ssh options] HOST COMMAND-STRING
while [ "\${1#-}" != "\$1" ]; do shift; done
host=\$1
shift
case \$host in
  n1) ns=$MLPS_NS1 ;;
  n2) ns=$MLPS_NS2 ;;
  *) echo "rsh agent: unknown node \$host" >&2; exit 1 ;;
esac
exec nsenter --net=/run/netns/\$ns unshare --uts sh -c "hostname \$host; \$*"
AGENT
  chmod +x "$1"
}

cluster_up() {
  local d=$1
  cluster_reap_stale
  MLPS_CLUSTER_DIR=$d
  mkdir -p "$d"/{state,spool/n1,spool/n2,tmp} || return 1
  # Who owns these daemons, for cluster_reap_stale after a killed test.
  echo "$$ $MLPS_NS1 $MLPS_NS2" > "$d/owner"
  # munge: one daemon on a private socket serves all three hosts (a Unix
  # socket is reached by path, whatever the network namespace).
  mungekey -c -f -k "$d/munge.key" 2>/dev/null || dd if=/dev/urandom of="$d/munge.key" bs=1024 count=1 2>/dev/null
  chmod 0400 "$d/munge.key"
  munged --force --socket="$d/munge.sock" --key-file="$d/munge.key" --pid-file="$d/munged.pid" \
    --log-file="$d/munged.log" --seed-file="$d/munge.seed" || return 1

  local cpus=${MLPS_CLUSTER_CPUS:-4}
  cat > "$d/slurm.conf" <<EOF
ClusterName=mlpstest
SlurmctldHost=mlps-ctl(10.77.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
# cred_expire also sets how long a requeued job waits before it may start
# again (default 120 s); 10 s keeps the walltime test short.
AuthInfo=socket=$d/munge.sock,cred_expire=10
StateSaveLocation=$d/state
SlurmdSpoolDir=$d/spool/%n
SlurmctldPidFile=$d/slurmctld.pid
SlurmdPidFile=$d/slurmd-%n.pid
SlurmctldLogFile=$d/slurmctld.log
SlurmdLogFile=$d/slurmd-%n.log
SlurmctldDebug=info
SlurmdDebug=info
TmpFS=$d/tmp
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/builtin
SchedulerParameters=sched_interval=2
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
KillWait=10
MinJobAge=600
InactiveLimit=0
SlurmdParameters=config_overrides
NodeName=n1 NodeAddr=10.77.0.1 CPUs=$cpus State=UNKNOWN
NodeName=n2 NodeAddr=10.77.0.2 CPUs=$cpus State=UNKNOWN
PartitionName=test Nodes=n1,n2 Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOF
  export SLURM_CONF=$d/slurm.conf

  ip netns add "$MLPS_NS1" && ip netns add "$MLPS_NS2" || return 1
  local a=mlpsa$$ b=mlpsb$$
  ip link add "$a" type veth peer name "$b" || return 1
  ip link set "$a" netns "$MLPS_NS1" && ip link set "$b" netns "$MLPS_NS2" || return 1
  in_ns "$MLPS_NS1" ip addr add 10.77.0.1/24 dev "$a"
  in_ns "$MLPS_NS2" ip addr add 10.77.0.2/24 dev "$b"
  in_ns "$MLPS_NS1" ip link set "$a" up; in_ns "$MLPS_NS1" ip link set lo up
  in_ns "$MLPS_NS2" ip link set "$b" up; in_ns "$MLPS_NS2" ip link set lo up

  # Each daemon gets its own hostname (UTS namespace); slurmctld checks that
  # its hostname is SlurmctldHost's.
  in_ns "$MLPS_NS1" unshare --uts sh -c 'hostname mlps-ctl && exec slurmctld -i -c' || return 1
  # Each slurmd also sees its own TmpFS (a private mount namespace binds
  # tmp-nX over tmp): SLURM's PMIx plugin keeps per-step directories there
  # whose names do not include the node, so two nodes sharing it collide.
  local n ns
  for n in n1 n2; do
    ns=$MLPS_NS1; [ $n = n2 ] && ns=$MLPS_NS2
    mkdir -p "$d/tmp-$n"
    in_ns "$ns" unshare --uts --mount --propagation private \
      sh -c "hostname $n && mount --bind '$d/tmp-$n' '$d/tmp' && exec slurmd -N $n" || return 1
  done
  local i
  for i in $(seq 1 60); do
    [ "$(in_cluster sinfo -h -N -t idle -o %N 2>/dev/null | sort -u | wc -l)" -eq 2 ] && return 0
    sleep 1
  done
  echo "cluster: nodes not idle after 60 s:" >&2
  in_cluster sinfo -N -l >&2
  tail -n 20 "$d"/slurmctld.log "$d"/slurmd-*.log >&2
  return 1
}

# A test killed on its timeout (SIGKILL) cannot stop its daemons, which
# outlive it (they daemonize): stop those of any /tmp/mlps-slurm.* whose
# owning test process is gone.
cluster_reap_stale() {
  local d owner ns1 ns2
  for d in /tmp/mlps-slurm.*; do
    [ -s "$d/owner" ] || continue
    read -r owner ns1 ns2 < "$d/owner"
    kill -0 "$owner" 2>/dev/null && continue
    echo "cluster: stopping the daemons left by test process $owner ($d)"
    (MLPS_CLUSTER_DIR=$d MLPS_NS1=$ns1 MLPS_NS2=$ns2; export SLURM_CONF=$d/slurm.conf; cluster_down)
    rm -rf "$d"
  done
}

cluster_down() {
  local d=$MLPS_CLUSTER_DIR f i
  [ -n "$d" ] || return 0
  # Jobs first, so no slurmstepd outlives its slurmd.
  if [ -s "$d/slurmctld.pid" ] && kill -0 "$(cat "$d/slurmctld.pid")" 2>/dev/null; then
    in_cluster scancel --full --quiet --user=root 2>/dev/null
    for i in $(seq 1 30); do
      [ -z "$(in_cluster squeue -h 2>/dev/null)" ] && break
      sleep 1
    done
  fi
  for f in "$d"/slurmd-n1.pid "$d"/slurmd-n2.pid "$d"/slurmctld.pid "$d"/munged.pid; do
    [ -s "$f" ] && kill "$(cat "$f")" 2>/dev/null
  done
  for i in $(seq 1 10); do
    local alive=0
    for f in "$d"/slurmd-n1.pid "$d"/slurmd-n2.pid "$d"/slurmctld.pid "$d"/munged.pid; do
      [ -s "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null && alive=1
    done
    [ $alive -eq 0 ] && break
    sleep 0.5
  done
  for f in "$d"/slurmd-n1.pid "$d"/slurmd-n2.pid "$d"/slurmctld.pid "$d"/munged.pid; do
    [ -s "$f" ] && kill -KILL "$(cat "$f")" 2>/dev/null
  done
  ip netns del "$MLPS_NS1" 2>/dev/null
  ip netns del "$MLPS_NS2" 2>/dev/null
  MLPS_CLUSTER_DIR=
}
