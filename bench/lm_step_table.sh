#!/usr/bin/env bash
# Seconds per LM step by phase for the paper's model sizes, on 1 and 2 ranks, structured vs
# explicit Gram (docs/performance.md). Prints `pgdx bench lm-step` output; never passes or fails.
# Usage: bench/lm_step_table.sh [--quick]   (--quick skips the explicit MNIST and modular runs)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/mpi_env.sh
quick=${1:-}
run() {  # ranks, then pgdx bench lm-step arguments
  local np=$1; shift
  echo "### mpirun -np $np build/pgdx bench lm-step $*"
  mpirun -np "$np" build/pgdx bench lm-step "$@"
  echo
}
for np in 1 2; do
  run "$np" --layers 1,80,1 --activation tanh --samples 100 --gram structured --steps 50
  run "$np" --layers 1,80,1 --activation tanh --samples 100 --gram explicit --steps 50
  run "$np" --layers 784,250,10 --activation relu --samples 200 --gram structured --steps 5
  run "$np" --layers 784,200,200,10 --activation relu --samples 200 --gram structured --steps 5
  run "$np" --layers 100,500,1 --activation tanh --samples 450 --gram structured --steps 20
  run "$np" --layers 100,500,1 --activation tanh --samples 450 --gram explicit --steps 5
  if [ "$quick" != "--quick" ]; then
    run "$np" --layers 784,250,10 --activation relu --samples 200 --gram explicit --steps 1
    run "$np" --layers 46,100,23 --activation quadratic --samples 476 --gram structured --steps 1
  fi
done
