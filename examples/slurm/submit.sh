#!/usr/bin/env bash
# Submits a synack sweep to Slurm: N array tasks (one shard each), then the merge, which
# waits for all of them. Prints the two job ids.
#
#   examples/slurm/submit.sh EXPERIMENT N SHARDS OUT [--set PATH=VALUE]...
#
# SHARDS and OUT must be on a file system every node sees (the shards' journals are read
# by the merge); the jobs' logs go to SHARDS too. SYNACK names the binary (default: synack
# on PATH). Overrides are split at spaces: a value cannot hold one. Run from the directory
# the experiment's path is relative to: the merged manifest records the file as named here,
# and a plain `synack run` names it the same way for byte-identical results.
set -euo pipefail
if [ $# -lt 4 ]; then
  sed -n '2,10p' "$0" >&2
  exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
experiment=$1 count=$2 shards=$3 out=$4
shift 4
sets="$*"
synack=${SYNACK:-$(command -v synack)}
mkdir -p "$shards"
export SYNACK="$synack" EXPERIMENT="$experiment" SHARDS="$shards" SHARD_COUNT="$count" \
  OUT="$out" SYNACK_SETS="$sets"
array=$(sbatch --parsable --array="1-$count" --chdir="$PWD" --export=ALL \
  --output="$shards/slurm-%A_%a.out" "$here/sweep.sbatch")
merge=$(sbatch --parsable --dependency="afterok:$array" --kill-on-invalid-dep=yes \
  --chdir="$PWD" --export=ALL --output="$shards/slurm-%j-merge.out" "$here/merge.sbatch")
echo "$array $merge"
