#!/usr/bin/env bash
# Wall time of the Fig. 3 job per optimizer on 1 and 2 ranks (median of 3 runs): the training-loop
# time pgdx reports and the whole process (MPI start-up included). Prints figures only.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/mpi_env.sh
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
printf "%-24s %6s %10s %10s\n" "optimizer" "ranks" "loop_s" "process_s"
for variant in "optimizer.name=sgd" "optimizer.name=lm optimizer.mu=0.5" "optimizer.name=lm optimizer.mu=0.1" \
               "optimizer.name=gn"; do
  args=()
  for kv in $variant; do args+=(--set "$kv"); done
  for np in 1 2; do
    loops=(); procs=()
    for rep in 1 2 3; do
      start=$(date +%s.%N)
      line=$(mpirun -np "$np" build/pgdx train jobs/fig3_regression1d.toml "${args[@]}" --out "$out" --quiet | grep -E '^pgdx: (completed|diverged)')
      procs+=("$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN {print b - a}')")
      loops+=("$(echo "$line" | sed -E 's/.* wall ([0-9.]+) s.*/\1/')")
    done
    printf "%-24s %6d %10s %10.2f\n" "${variant//optimizer./}" "$np" "$(printf '%s\n' "${loops[@]}" | median)" \
      "$(printf '%s\n' "${procs[@]}" | median)"
  done
done
