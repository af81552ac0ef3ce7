# Sourced by the scripts: Open MPI settings for running here (PLATFORM.md §4).
# Root needs explicit permission; 4 ranks on 2 cores need oversubscription.
if [ "$(id -u)" -eq 0 ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
export OMPI_MCA_rmaps_base_oversubscribe=1
# One BLAS thread per rank, unless the caller chose a count or Slurm gave each task several CPUs
# (then pgdx takes SLURM_CPUS_PER_TASK). pgdx would pick one per rank itself when its ranks fill
# the node (README, "MPI ranks and BLAS threads"), but it sees only its own job: on this machine
# other runs share the two cores, and runs on 1, 2 and 4 ranks (LM/GN on a whole K) are bitwise
# equal only at equal thread counts (the count changes the bits of OpenBLAS's Cholesky).
if [ -z "${SLURM_CPUS_PER_TASK:-}" ]; then
  export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}"
fi
