#!/usr/bin/env bash
# A real single-node Slurm cluster on loopback: munged with a generated key, slurmctld and
# slurmd with a minimal slurm.conf (state and spool in a temporary folder, ports on
# 127.0.0.1). Submits `meek slurm`'s array job (4 shards) and its merge job, waits for them,
# and checks that the merged result equals a single-process run. Stops every daemon it
# started, by PID, whatever happens.
#
# Usage: Tests/slurm/cluster-test.sh path/to/meek
set -euo pipefail
MEEK=$(realpath "${1:?usage: cluster-test.sh path/to/meek}")
REPO=$(cd "$(dirname "$0")/../.." && pwd)
D=$(mktemp -d /tmp/meek-slurm.XXXXXX)
PIDS=()

stop() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  rm -rf "$D"
}
trap stop EXIT
fail() { echo "slurm cluster test: FAILED: $*" >&2; echo "slurm: 0 passed, 1 failed"; for f in "$D"/*.log "$D"/out/slurm/*.log; do [ -f "$f" ] && { echo "--- $f" >&2; tail -20 "$f" >&2; }; done; exit 1; }

# Ports: two free ones above 20000.
read -r CTLD_PORT SLURMD_PORT < <(python3 -c 'import socket
s=[socket.socket() for _ in range(2)]
[x.bind(("127.0.0.1",0)) for x in s]
print(*[x.getsockname()[1] for x in s])')

mkdir -p "$D/state" "$D/spool"
head -c 1024 /dev/urandom > "$D/munge.key"; chmod 600 "$D/munge.key"
/usr/sbin/munged --key-file="$D/munge.key" --socket="$D/munge.sock" --pid-file="$D/munged.pid" \
  --log-file="$D/munged.log" --seed-file="$D/munge.seed" --force
for _ in $(seq 1 50); do [ -s "$D/munged.pid" ] && break; sleep 0.1; done
PIDS+=("$(cat "$D/munged.pid")")

cat > "$D/slurm.conf" <<CONF
ClusterName=meektest
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
AuthType=auth/munge
AuthInfo=socket=$D/munge.sock
CryptoType=crypto/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
StateSaveLocation=$D/state
SlurmdSpoolDir=$D/spool
SlurmctldPidFile=$D/slurmctld.pid
SlurmdPidFile=$D/slurmd.pid
SlurmctldLogFile=$D/slurmctld.log
SlurmdLogFile=$D/slurmd.log
SlurmUser=root
SlurmdUser=root
ReturnToService=2
MpiDefault=none
SwitchType=switch/none
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
NodeName=meeknode NodeHostname=localhost NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN
PartitionName=meek Nodes=meeknode Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$D/slurm.conf"
/usr/sbin/slurmctld -f "$D/slurm.conf"
for _ in $(seq 1 50); do [ -s "$D/slurmctld.pid" ] && break; sleep 0.1; done
PIDS+=("$(cat "$D/slurmctld.pid")")
/usr/sbin/slurmd -N meeknode -f "$D/slurm.conf"
for _ in $(seq 1 50); do [ -s "$D/slurmd.pid" ] && break; sleep 0.1; done
PIDS+=("$(cat "$D/slurmd.pid")")

for _ in $(seq 1 60); do sinfo -h -o %t 2>/dev/null | grep -q idle && break; sleep 0.5; done
sinfo -h -o %t | grep -q idle || fail "the node did not come up"

# The job: 4 shards of the baseline and their merge, submitted by meek itself, run the way
# the README does: `meek` found on PATH (the job scripts must name the binary itself).
cd "$REPO"
PATH="$(dirname "$MEEK"):$PATH" meek slurm priors/baseline.toml --shards 4 --draws 40000 --seed 11 --out "$D/out" --submit \
  || fail "meek slurm --submit"
grep -q "exec '$(realpath "$MEEK")' run " "$D/out/slurm/shards.sbatch" || fail "shards.sbatch does not name $(realpath "$MEEK")"
for _ in $(seq 1 240); do [ -z "$(squeue -h)" ] && break; sleep 0.5; done
[ -z "$(squeue -h)" ] || fail "jobs still queued after 120 s"
[ -f "$D/out/summary.json" ] || fail "the merge job wrote no summary"

"$MEEK" run priors/baseline.toml --draws 40000 --seed 11 --out "$D/single" --quiet
for f in summary.csv summary.json summary.md; do
  diff <(grep -v -e wall_seconds -e '"threads"' -e '"command"' -e '^| run |' "$D/single/$f") \
       <(grep -v -e wall_seconds -e '"threads"' -e '"command"' -e '^| run |' "$D/out/$f") >/dev/null \
    || fail "$f of the merged Slurm job differs from the single-process run"
done
echo "slurm cluster test: 4 shards + merge on a real single-node Slurm cluster = single process"
echo "slurm: 1 passed, 0 failed"
