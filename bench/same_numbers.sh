#!/usr/bin/env bash
# Runs every smoke job, the smoke Fig. 7 switch run and the demo's four Fig. 3 runs into DIR, each on
# 2 MPI ranks with one BLAS thread, so two builds can be compared file by file with
# bench/compare_runs.py (a refactoring must leave every dataset bit for bit equal).
#   bench/same_numbers.sh DIR [PGDX_BINARY]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=${1:?usage: bench/same_numbers.sh DIR [PGDX_BINARY]}
bin=${2:-build/pgdx}
. scripts/mpi_env.sh
mkdir -p "$out"
for job in jobs/smoke_*.toml; do
  stem=$(basename "$job" .toml)
  if grep -q '^\[sweep\]' "$job"; then
    "$bin" sweep "$job" --local -j 1 --ranks 2 --quiet --out "$out/$stem" >/dev/null
  else
    mpirun -np 2 "$bin" train "$job" --quiet --out "$out/$stem" >/dev/null
  fi
  echo "same_numbers: $job -> $out/$stem"
done
for variant in "optimizer.name=sgd" "optimizer.name=lm optimizer.mu=0.5" "optimizer.name=lm optimizer.mu=0.1" \
               "optimizer.name=gn"; do
  args=()
  for kv in $variant; do args+=(--set "$kv"); done
  mpirun -np 2 "$bin" train jobs/fig3_regression1d.toml "${args[@]}" --quiet --out "$out/demo" >/dev/null
done
echo "same_numbers: demo -> $out/demo"
