# Sourced by the scripts: Open MPI settings for running here (PLATFORM.md §4).
# Root needs explicit permission; 4 ranks on 2 cores need oversubscription; one BLAS thread per
# rank (OpenBLAS threads fight over the cores otherwise).
if [ "$(id -u)" -eq 0 ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
export OMPI_MCA_rmaps_base_oversubscribe=1
export OPENBLAS_NUM_THREADS=1
