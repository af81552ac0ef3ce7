#!/usr/bin/env bash
# Fig. 3 initialisation study (docs/fig3-init-study.md): final training loss after 2000 steps
# for SGD, LM mu=0.1 and GN, per (weight init, bias init, seed). Prints one row per seed.
# Usage: scripts/fig3_init_study.sh [SEEDS...]   (default 0..11; ~3 minutes per 12 seeds and init)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/mpi_env.sh
seeds=("${@:-0 1 2 3 4 5 6 7 8 9 10 11}")
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "init bias seed sgd lm0.1 gn"
for combo in "he_uniform he_uniform" "he_uniform kaiming_uniform" "kaiming_uniform kaiming_uniform" "kaiming_uniform zeros" "he_uniform zeros" "glorot_normal zeros"; do set -- $combo; init=$1; bias=$2
for s in ${seeds[*]}; do
 row="$init $bias $s"
 for v in "sgd" "lm 0.1" "gn"; do set -- $v; a="--set optimizer.name=$1"; if [ -n "${2:-}" ]; then a="$a --set optimizer.mu=$2"; fi
  l=$(build/pgdx train jobs/fig3_regression1d.toml --set model.init=$init --set model.bias_init=$bias $a --set run.seed=$s --set run.record_every=1000 --out "$out" --set run.name=study --quiet | tail -1 | awk '{print $6}'); row="$row $l"; done
 echo $row; done; done
