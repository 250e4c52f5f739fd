#!/usr/bin/env bash
# Tests the Slurm example for real, on this machine alone: installs Slurm and MUNGE from the
# distribution's packages (Debian/Ubuntu: slurm-wlm, munge), starts a one-node cluster on
# localhost (munged, slurmctld and slurmd, without systemd), submits a sweep as an array of
# SHARD_COUNT tasks (default 4) with a dependent merge (submit.sh), waits for it (at most
# TIMEOUT seconds, default 600), and compares the merged results byte for byte with a plain
# `synack run` of the same file (manifest.json's wall_time_s aside). Stops the daemons it
# started and removes its files on exit.
#
#   sudo examples/slurm/local-cluster-test.sh [EXPERIMENT] [--set PATH=VALUE]...
#
# Needs root (packages, daemons) and about a minute on two cores for the default,
# experiments/loss-sweep.toml (200 runs). Not run in CI: it installs packages.
set -euo pipefail
cd "$(dirname "$0")/../.."
experiment=${1:-experiments/loss-sweep.toml}
shift || true
sets=("$@")
count=${SHARD_COUNT:-4}
timeout=${TIMEOUT:-600}

if [ "$(id -u)" -ne 0 ]; then
  echo "run as root: it installs packages and starts daemons" >&2
  exit 2
fi
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurm-wlm munge
fi
cargo build --release --quiet -p synack
synack=$PWD/target/release/synack

work=$(mktemp -d /tmp/synack-slurm.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
  # Only the daemons this script started, by their process ids.
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for f in "$work/slurmctld.pid" "$work/slurmd.pid" /run/munge/synack-test.pid; do
    [ -s "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
  done
  sleep 1
  rm -rf "$work"
}
trap cleanup EXIT

# MUNGE: the key the package made, a socket of our own, the daemon as user munge.
mkdir -p /run/munge /run/slurm
chown munge:munge /run/munge
chmod 755 /run/munge
if [ ! -s /etc/munge/munge.key ]; then
  dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
  chown munge:munge /etc/munge/munge.key
  chmod 400 /etc/munge/munge.key
fi
if ! pgrep -u munge -x munged >/dev/null; then
  runuser -u munge -- /usr/sbin/munged --pid-file=/run/munge/synack-test.pid
fi
munge -n | unmunge >/dev/null

# Slurm: one node, localhost, every CPU; no cgroups (proctrack/linuxproc, task/none), no
# accounting database.
cpus=$(nproc)
mem=$(awk '/MemTotal/ { print int($2 / 1024 / 2) }' /proc/meminfo)
mkdir -p "$work/state" "$work/spool"
cat >"$work/slurm.conf" <<CONF
ClusterName=synack-test
SlurmctldHost=localhost(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=16817
SlurmdPort=16818
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MinJobAge=600
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=test Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$work/slurm.conf
/usr/sbin/slurmctld -i -f "$SLURM_CONF"
/usr/sbin/slurmd -N localhost -f "$SLURM_CONF"
for _ in $(seq 30); do
  sinfo -h -o %T 2>/dev/null | grep -q idle && break
  sleep 1
done
sinfo

started=$(date +%s)
read -r array merge < <(SYNACK=$synack examples/slurm/submit.sh \
  "$experiment" "$count" "$work/shards" "$work/merged" "${sets[@]}")
echo "array job $array ($count tasks), merge job $merge"
while squeue -h -j "$array,$merge" 2>/dev/null | grep -q .; do
  if [ $(($(date +%s) - started)) -gt "$timeout" ]; then
    echo "FAIL: the jobs did not finish within ${timeout} s" >&2
    squeue
    exit 1
  fi
  sleep 2
done
state=$(scontrol show job "$merge" | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p')
echo "merge job: $state after $(($(date +%s) - started)) s"
cat "$work/shards/slurm-${merge}-merge.out" 2>/dev/null || true
if [ "$state" != COMPLETED ]; then
  echo "FAIL: the merge job ended $state" >&2
  cat "$work"/shards/slurm-*.out "$work/slurmctld.log" "$work/slurmd.log" 2>/dev/null | tail -40 >&2
  exit 1
fi

"$synack" run "$experiment" "${sets[@]}" --out "$work/plain" >/dev/null
status=0
for f in $( (ls "$work/plain"; ls "$work/merged") | sort -u); do
  a=$work/plain/$f b=$work/merged/$f
  if [ "$f" = manifest.json ]; then
    cmp -s <(grep -v '"wall_time_s"' "$a") <(grep -v '"wall_time_s"' "$b") || { echo "DIFFER: $f"; status=1; }
  elif ! cmp -s "$a" "$b"; then
    echo "DIFFER: $f"
    status=1
  fi
done
if [ $status -eq 0 ]; then
  echo "PASS: $count Slurm array tasks merged to the bytes of one synack run ($(ls "$work/merged" | wc -l) files)"
fi
exit $status
