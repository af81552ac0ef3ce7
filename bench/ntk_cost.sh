#!/usr/bin/env bash
# Wall time of runs with and without the kernel diagnostic (run.ntk_every = 10, default probe of
# 500 rows; docs/diagnostics.md, "Cost"): the Fig. 3 job (every optimizer, 2 000 steps, its 100
# samples: K 100 × 100) and the LM point of jobs/fig1_mnist.toml (1 000 digits, batches of 200: an
# N = 2 000-row system per step, α = 8) shortened to STEPS steps, whose probe of 50 digits gives a
# 500 × 500 K. Prints the `pgdx train` summary lines; never passes or fails.
# Usage: bench/ntk_cost.sh [MNIST_STEPS (default 200)] [RANKS (default 2)]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/mpi_env.sh
steps=${1:-200}
ranks=${2:-2}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
mnist="$out/fig1_mnist_lm.toml"
sed '/^\[sweep\]/,$d' jobs/fig1_mnist.toml > "$mnist"  # the job without its sweep: its LM point at α = 8
run() {  # label, then pgdx train arguments
  local label=$1; shift
  printf '%-34s ' "$label"
  mpirun -np "$ranks" build/pgdx train "$@" --out "$out" --quiet | grep -o 'wall [0-9.]* s'
}
for every in 0 10; do
  for optimizer in "sgd" "lm --set optimizer.mu=0.1" "gn"; do
    # shellcheck disable=SC2086
    run "fig3 ${optimizer%% *} ntk_every=$every" jobs/fig3_regression1d.toml --set optimizer.name=$optimizer \
      --set run.ntk_every=$every --set run.name="fig3_$every"
  done
  run "fig1 mnist lm $steps steps ntk_every=$every" "$mnist" --set run.steps="$steps" --set run.ntk_every=$every \
    --set run.name="mnist_$every"
done
